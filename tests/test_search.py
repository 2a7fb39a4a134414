"""Finding a person: the sidebar search by name, resident ID (full or masked) or household
number, within the user's region, leading into the drill-down."""

from __future__ import annotations

import pytest

from dashboard import data
from pipeline.access import auth
from pipeline.schema import mask_id
from tests.authkit import Secured, signed_in
from tests.conftest import snapshot_sql


def test_search_terms() -> None:
    assert data.search_terms("  ") is None
    assert data.search_terms("23010219800101123x") == ("p.person_id = ?", ["23010219800101123X"])
    where, params = data.search_terms("2301**********123X")
    assert "starts_with" in where and params == ["2301", "123X", 8]
    assert data.search_terms("2301 ** 123x")[1] == ["2301", "123X", 8]
    assert data.search_terms("张 三")[1] == ["张 三"] * 3  # a name or household number


def test_finds_by_name_id_masked_id_and_household(secured: Secured) -> None:
    snap = data.current(secured.db)
    me = secured.a
    with data.acting_as(auth.Access("north", "caseworker", me.code)):
        for text in (me.person_name, me.person_id, mask_id(me.person_id), me.household_id):
            found, _more = data.search_people(snap, text, me.code, 2026)
            assert me.person_id in set(found["person_id"]), text
            row = found[found["person_id"] == me.person_id].iloc[0]
            assert row["token"] == data.person_token(snap, me.person_id)
            assert row["severity"] in ("low", "medium", "high"), "flagged in 2026"
        # the exact name comes first; a part of it finds the person too
        found, _ = data.search_people(snap, me.person_name, me.code, 2026)
        assert found["name"].iloc[0] == me.person_name
        found, _ = data.search_people(snap, me.person_name[1:], me.code, 2026)
        assert me.person_id in set(found["person_id"])
        # the other county's person is not found, however they are typed
        other = secured.b
        for text in (other.person_name, other.person_id, other.household_id):
            found, _ = data.search_people(snap, text, me.code, 2026)
            assert other.person_id not in set(found["person_id"]), text
        with pytest.raises(data.AccessDenied):
            data.search_people(snap, other.person_name, other.code, 2026)
    with data.acting_as(auth.Access("peek", "viewer", me.code)), pytest.raises(data.AccessDenied):
        data.search_people(snap, me.person_name, me.code, 2026)


def test_search_counts_and_more(secured: Secured) -> None:
    """A common character: at most SEARCH_LIMIT results, and the flag that there are more,
    agreeing with SQL on the store."""
    snap = data.current(secured.db)
    me = secured.a
    char = me.person_name[0]
    expected = snapshot_sql(
        secured.db,
        "SELECT count(*) FROM people WHERE starts_with(coalesce(village_code, ''), ?)"
        " AND (contains(name, ?) OR household_id = ?)",
        [me.code, char, char],
    )[0][0]
    with data.acting_as(auth.Access("north", "caseworker", me.code)):
        found, more = data.search_people(snap, char, me.code, 2026)
    assert len(found) == min(expected, data.SEARCH_LIMIT)
    assert more == (expected > data.SEARCH_LIMIT)


def test_the_sidebar_search_links_into_the_drill_down(secured_app: Secured) -> None:
    me = secured_app.a
    at = signed_in("north")
    at.sidebar.text_input(key="search.text").input(me.person_name).run()
    assert not at.exception, [e.value for e in at.exception]
    links = [p for p in at.sidebar.get("page_link") if mask_id(me.person_id) in p.label]
    assert len(links) == 1, [p.label for p in at.sidebar.get("page_link")]
    link = links[0].proto
    assert link.page == "drilldown"
    snap = data.current(secured_app.db)
    token = data.person_token(snap, me.person_id)
    assert sorted(link.query_string.split("&")) == sorted(
        ["year=2026", f"person={token}", f"region={me.village_code}",
         f"household={me.household_id}"]
    )  # fmt: skip
    assert me.person_name in link.label and "在预警名单" in link.label
    assert me.person_id not in str(at.sidebar.get("page_link")), "never the full ID"

    at.sidebar.text_input(key="search.text").input(secured_app.b.person_name).run()
    labels = [p.label for p in at.sidebar.get("page_link")]
    assert not any(mask_id(secured_app.b.person_id) in label for label in labels)

    viewer = signed_in("peek")
    assert not [w for w in viewer.sidebar.text_input if w.key == "search.text"]
