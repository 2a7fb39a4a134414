"""Drill-down and person pages on a real store (sample_data, three weekly imports), via AppTest."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import data, ui
from dashboard.ui import md
from tests.authkit import page_text
from tests.conftest import REPO, snapshot_sql

APP = REPO / "dashboard" / "app.py"
DRILL = "views/drilldown.py"
WEEKS = ("week01", "week02", "week03")


@dataclass(frozen=True)
class Target:
    """A flagged person to drill down to, found by SQL independent of the dashboard."""

    person_id: str
    name: str
    household_id: str
    village_code: str
    year: int


@pytest.fixture(scope="module")
def target(sample_store: Path) -> Target:
    """The 2026 flagged person with the highest OOP whose list status changed at least once."""
    rows = snapshot_sql(
        sample_store,
        """SELECT w.person_id, p.name, p.household_id, p.village_code, w.year
           FROM watchlist AS w JOIN people AS p USING (person_id)
           WHERE w.year = 2026 AND p.village_code IS NOT NULL
           ORDER BY w.oop DESC, w.person_id LIMIT 1""",
    )
    return Target(*rows[0])


def run(target: Any) -> AppTest:
    """Run the app (or a widget's change) and fail on any exception it shows."""
    at = target.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_drill(**params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    for key, value in params.items():
        at.query_params[key] = value
    run(at)
    at.switch_page(DRILL)
    return run(at)


def select(at: AppTest, label: str):
    return next(s for s in at.selectbox if s.label == label)


def rendered_text(at: AppTest) -> str:
    """Everything the page shows as text: markdown, metrics, tables, options, charts."""
    return page_text(at)


def test_province_figures_equal_sql(app_db: Path) -> None:
    at = open_drill(year="2026")
    assert at.title[0].value == "逐级下钻：从全国到个人"
    expected = snapshot_sql(
        app_db,
        # people: person-years; flagged: the watch-list's person-years placed in the province
        # (issue 17: one definition on every page, people without a person-year included)
        """WITH people AS (
               SELECT substr(village_code, 1, 2) AS code, count(*) AS people FROM person_year
               WHERE year = 2026 AND village_code IS NOT NULL GROUP BY 1
           ),
           flagged AS (
               SELECT substr(village_code, 1, 2) AS code, count(*) AS flagged FROM watchlist
               WHERE year = 2026 AND village_code IS NOT NULL GROUP BY 1
           )
           SELECT coalesce(n.name, p.code), p.people, coalesce(f.flagged, 0)
           FROM people AS p
           LEFT JOIN flagged AS f USING (code)
           LEFT JOIN region_names AS n ON n.level = 1 AND n.code = p.code""",
    )
    table = at.dataframe[0].value
    shown = {r["名称"]: (r["人数"], r["预警人数"]) for _, r in table.iterrows()}
    assert shown == {name: (people, flagged) for name, people, flagged in expected}
    assert list(table["预警人数"]) == sorted(table["预警人数"], reverse=True), "attention first"
    people = sum(p for _, p, _ in expected)
    flagged = sum(f for _, _, f in expected)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["人数"] == ui.count(people)
    assert metrics["预警人数"] == ui.count(flagged)
    assert len(at.get("plotly_chart")) == 1
    assert at.query_params["year"] == "2026"


def test_drill_from_country_to_person(app_db: Path, target: Target) -> None:
    at = open_drill(year=str(target.year))
    names = dict(snapshot_sql(app_db, "SELECT code, name FROM region_names"))
    for code in data.region_ancestors(target.village_code)[1:]:
        box = select(at, "进入下一级")
        assert names[code] in box.options
        run(box.set_value(code))
        assert at.query_params["region"] == code
        crumbs = [b.label for b in at.button if b.key and b.key.startswith("crumb.")]
        above = data.region_ancestors(code)[1:-1]
        assert crumbs == ["全国"] + [names[c] for c in above]
        assert any(m.value == f"**{names[code]}**" for m in at.markdown), "breadcrumb ends here"
    # the village: its households, the target's among them
    assert at.subheader[0].value == "本村家庭"
    run(select(at, "打开家庭").set_value(target.household_id))
    assert at.query_params["household"] == target.household_id
    members = at.dataframe[0].value
    assert target.name in list(members["姓名"])
    assert "身份证号" in members.columns
    # the person, drawn below the household on this page: by token in the URL, never by ID
    run(
        select(at, "打开人员详情").set_value(
            data.person_token(data.current(app_db), target.person_id)
        )
    )
    assert at.title[0].value == "逐级下钻：从全国到个人"
    assert at.subheader[0].value == "人员详情"
    assert at.query_params["person"] == data.person_token(data.current(app_db), target.person_id)
    masked = target.person_id[:4] + "*" * 10 + target.person_id[-4:]
    crumb = f"**{md(f'{target.name} {masked}')}**"
    assert any(m.value == crumb for m in at.markdown), "the breadcrumb ends at the person"
    assert any(f"{target.name}\u3000`{masked}`" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) == 2  # timeline and waterfall
    assert target.person_id not in rendered_text(at)
    # the breadcrumb's household step leads back to the members (the person leaves the URL)
    run(next(b for b in at.button if b.key == "crumb.household").click())
    assert "person" not in at.query_params
    assert at.subheader[0].value == "家庭成员"
    assert target.name in list(at.dataframe[0].value["姓名"])


def test_a_pasted_link_opens_the_household(app_db: Path, target: Target) -> None:
    at = open_drill(
        year=str(target.year), region=target.village_code, household=target.household_id
    )
    assert at.subheader[0].value == "家庭成员"
    members = at.dataframe[0].value
    expected = snapshot_sql(
        app_db,
        "SELECT count(*) FROM people WHERE household_id = ?",
        [target.household_id],
    )[0][0]
    assert len(members) == expected
    assert all("*" in m for m in members["身份证号"])
    # the breadcrumb leads back up: click the province
    province = target.village_code[:2]
    run(next(b for b in at.button if b.key == f"crumb.{province}").click())
    assert at.query_params["region"] == province
    assert "household" not in at.query_params
    assert at.subheader[0].value == "各市（州）"


def test_person_page_masks_the_id_and_shows_the_year(app_db: Path, target: Target) -> None:
    at = open_drill()
    # a link with the full ID finds no one (the page is no oracle for guessed IDs)
    at.switch_page("views/person.py")
    at.query_params["person"] = target.person_id
    at.query_params["year"] = str(target.year)
    run(at)
    assert any("找不到这个人" in i.value for i in at.info), [i.value for i in at.info]
    assert target.person_id not in rendered_text(at)
    # by its token: shown, the ID masked
    at.query_params["person"] = data.person_token(data.current(app_db), target.person_id)
    run(at)
    masked = target.person_id[:4] + "*" * 10 + target.person_id[-4:]
    assert any(f"`{masked}`" in m.value for m in at.markdown)
    text = rendered_text(at)
    assert masked in text
    assert target.person_id not in text
    assert target.person_id.lower() not in text

    # the waterfall is the person_year row: total, each fund (paid, negative), OOP
    row = snapshot_sql(
        app_db,
        """SELECT total_cost, basic_paid, critical_paid, assistance_paid, other_paid, oop
           FROM person_year WHERE person_id = ? AND year = ?""",
        [target.person_id, target.year],
    )[0]
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    fall = next(tr for s in specs for tr in s["data"] if tr["type"] == "waterfall")
    values = [row[0], -row[1], -row[2], -row[3], -row[4], row[5]]
    assert fall["y"] == [float(v) for v in values]
    assert fall["text"] == [ui.yuan(abs(v)) for v in values]
    assert fall["x"][0] == "医疗总费用" and fall["x"][-1] == "个人负担"
    assert row[0] - sum(row[1:5]) == row[5]
    timeline = next(s for s in specs if any(tr["type"] == "scatter" for tr in s["data"]))
    points = sum(len(tr["x"]) for tr in timeline["data"])
    claims = snapshot_sql(
        app_db,
        "SELECT count(*) FROM claims_effective WHERE person_id = ? AND year = ?",
        [target.person_id, target.year],
    )[0][0]
    assert points == claims > 0

    # rules with their explanations, and the run-by-run history (three imports, three runs)
    explain = snapshot_sql(
        app_db,
        "SELECT explain_zh FROM watchlist WHERE person_id = ? AND year = ?",
        [target.person_id, target.year],
    )[0][0]
    bullets = "\n".join(m.value for m in at.markdown if m.value.startswith("- **"))
    assert all(part in bullets for part in explain.split("；")), explain
    tables = [d.value for d in [*at.dataframe, *at.table]]
    runs = next(t for t in tables if "在预警名单" in t.columns)
    assert len(runs) == len(WEEKS)
    assert runs["在预警名单"].iloc[0] == "是"


def test_language_switch(app_db: Path, target: Target) -> None:
    at = open_drill(year=str(target.year))
    run(at.sidebar.radio[0].set_value("en"))
    assert at.title[0].value == "Drill-down: from the country to the person"
    assert at.subheader[0].value == "Provinces"
    assert {"Name", "People", "Flagged", "Flag rate"} <= set(at.dataframe[0].value.columns)
    assert any(m.value == "**National**" for m in at.markdown)
    # down to the household and on to the person: the language survives the page switch
    at.query_params["region"] = target.village_code
    at.query_params["household"] = target.household_id
    run(at)
    assert at.subheader[0].value == "Household members"
    assert any(b.label == "National" for b in at.button)
    box = select(at, "Open a person")
    assert box.options[0] == "Choose…"
    run(box.set_value(data.person_token(data.current(app_db), target.person_id)))
    assert at.subheader[0].value == "Person"
    assert at.sidebar.radio[0].value == "en"
    assert {"Category", "Watch-list status"} <= {m.label for m in at.metric}
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    fall = next(tr for s in specs for tr in s["data"] if tr["type"] == "waterfall")
    assert fall["x"][0] == "Total cost" and fall["x"][-1] == "Out-of-pocket"
    bullets = [m.value for m in at.markdown if m.value.startswith("- **")]
    assert bullets and all("yuan" in b and "Severity" in b for b in bullets)


def test_unknown_places_fall_back(app_db: Path) -> None:
    at = open_drill(region="999999", year="2026")
    assert at.warning and "999999" in at.warning[0].value
    assert at.subheader[0].value == "各省份"
    at.switch_page("views/person.py")
    at.query_params["person"] = "0123456789abcdef"
    run(at)
    assert at.info[0].value == "找不到这个人。"


def test_person_page_year_picker_follows_the_url(app_db: Path, target: Target) -> None:
    """The person page (a link) shows the URL's year; picking another writes it to the URL and
    shows that year's OOP, equal to person_year's."""
    years = [
        y
        for (y,) in snapshot_sql(
            app_db,
            "SELECT year FROM person_year WHERE person_id = ? ORDER BY year DESC",
            [target.person_id],
        )
    ]
    assert len(years) >= 2, "the sample's target should have more than one year"
    at = open_drill()
    at.switch_page("views/person.py")
    at.query_params["person"] = data.person_token(data.current(app_db), target.person_id)
    at.query_params["year"] = str(years[0])
    run(at)
    picker = at.selectbox(key="person.year")
    assert picker.value == years[0] and picker.options == [str(y) for y in years]
    run(picker.set_value(years[1]))
    assert at.query_params["year"] == str(years[1])
    oop = snapshot_sql(
        app_db,
        "SELECT oop FROM person_year WHERE person_id = ? AND year = ?",
        [target.person_id, years[1]],
    )[0][0]
    metric = next(m for m in at.metric if m.label == f"{years[1]}年个人负担")
    assert metric.value == ui.yuan(oop)


def test_new_this_week_and_why_in_the_drill_down(app_db: Path, target: Target) -> None:
    """Region tables count who is new this week; a household's members say new or continuing
    and why they are flagged; English shows relations in English."""
    at = open_drill(year="2026")
    table = at.dataframe[0].value
    expected = dict(
        snapshot_sql(
            app_db,
            """SELECT coalesce(n.name, substr(w.village_code, 1, 2)),
                      count(*) FILTER (WHERE w.status = 'new')
               FROM watchlist AS w
               LEFT JOIN region_names AS n ON n.level = 1 AND n.code = substr(w.village_code, 1, 2)
               WHERE w.year = 2026 AND w.village_code IS NOT NULL GROUP BY 1""",
        )
    )
    shown = dict(zip(table["名称"], table["本周新增"], strict=True))
    assert {k: v for k, v in shown.items() if k in expected} == expected

    at = open_drill(year="2026", region=target.village_code, household=target.household_id)
    members = at.dataframe[0].value
    rows = snapshot_sql(
        app_db,
        """SELECT p.name, w.status, w.explain_zh, p.relation FROM people AS p
           LEFT JOIN watchlist AS w ON w.person_id = p.person_id AND w.year = 2026
           WHERE p.household_id = ?""",
        [target.household_id],
    )
    why = dict(zip(members["姓名"], members["预警原因"], strict=True))
    status = dict(zip(members["姓名"], members["新增/持续"], strict=True))
    for name, state, explain, _relation in rows:
        assert why[name] == (explain or "")
        assert status[name] == {"new": "新增", "continuing": "持续", None: ""}[state]
    assert why[target.name], "the flagged person's reason is in the table"

    run(at.sidebar.radio[0].set_value("en"))
    english = {"户主": "head of household", "配偶": "spouse", "子女": "child", "父母": "parent",
               "孙子女": "grandchild", "其他": "other"}  # fmt: skip
    relations = dict(zip(at.dataframe[0].value["Name"], at.dataframe[0].value["Relation"],
                         strict=True))  # fmt: skip
    for name, _s, _e, relation in rows:
        assert relations[name] == english.get(relation, relation or "—")
