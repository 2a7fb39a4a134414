"""The national dashboard (issue 20): ``oopwatch serve --warehouse`` over a national build.

Two real provinces (generated extracts, two weekly imports each, corrections and reversals
among them) ingested into stores of their own and published into one warehouse after each
week; a national build (DuckDB) after each publish, loaded into the warehouse's national
dashboard store; its snapshot read back, and the dashboard's pages run on it (AppTest).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from dashboard.data.snapshots import READER_CONFIG
from pipeline import flow, national, store, warehouse
from pipeline.access import auth
from pipeline.cli import main
from pipeline.national import serving
from tests.authkit import PASSWORD, copy_store, page_text
from tests.conftest import CLAIM_HEADER, REPO, write_csv

APP = REPO / "dashboard" / "app.py"
AWAY = Decimal("3500.00")  # the traveller's claim in province 53: 12,000 - 7,000 - 1,000 - 500


@dataclass(frozen=True)
class Nation:
    """Two provinces' stores, their warehouse with two national builds loaded, and the person
    of 23 with a claim settled in 53 (the traveller)."""

    wh: Path
    db: Path  # the national dashboard's store
    provinces: dict[str, Path]
    traveller: str
    first_list: set[tuple]  # the national list after the first build: (person, year, status)


def _cli(*args: object) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def on(db: Path, query: str, params: list | None = None) -> list[tuple]:
    """A query on a store's published snapshot."""
    con = duckdb.connect(str(store.current_snapshot(db)), read_only=True, config=READER_CONFIG)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def nation(tmp_path_factory: pytest.TempPathFactory) -> Nation:
    root = tmp_path_factory.mktemp("nation")
    wh = root / "wh"
    stores = {code: root / f"p{code}" / "store.duckdb" for code in ("23", "53")}
    for code in stores:
        _cli("generate", "--out", root / f"x{code}", "--people", 600, "--weeks", 2,
             "--province", code, "--seed", code, "--as-of", "2026-11-20")  # fmt: skip
        flow.ingest([root / f"x{code}" / "week01"], stores[code])
        warehouse.publish(stores[code], wh)
    national.build(wh, "duckdb")
    serving.load(wh)
    db = serving.serving_path(wh)
    first = set(on(db, "SELECT person_id, year, status FROM watchlist"))
    traveller = on(
        stores["23"],
        "SELECT person_id FROM person_year WHERE year = 2026 AND claims > 0 "
        "ORDER BY person_id LIMIT 1",
    )[0][0]
    away = root / "away"
    write_csv(
        away / "claims.csv",
        CLAIM_HEADER,
        [("C53-AWAY-1", traveller, "2026-06-01", "inpatient", "12000.00", "7000.00",
          "1000.00", "500.00")],
    )  # fmt: skip
    flow.ingest([root / "x23" / "week02"], stores["23"])
    flow.ingest([root / "x53" / "week02", away], stores["53"])
    for db_ in stores.values():
        warehouse.publish(db_, wh)
    national.build(wh, "duckdb")
    serving.load(wh)
    return Nation(wh, db, stores, traveller, first)


def _national(wh: Path, relation: str, columns: str) -> list[tuple]:
    con = duckdb.connect()
    try:
        return con.execute(
            f"SELECT {columns} FROM read_parquet('{wh}/national/{relation}/**/*.parquet', "
            "hive_partitioning = true)"
        ).fetchall()
    finally:
        con.close()


def test_the_store_holds_the_build_in_a_store_s_own_tables(nation: Nation) -> None:
    """person_year, households, flags, the list and the regional marts of the national
    dashboard's store are the build's, row for row, in a province's column types."""
    figures = "person_id, year, name, household_id, village_code, category, oop, total_cost, "
    figures += "assistance_paid, claims, inpatient_claims, in_scope_cost, enrolled_active"
    mine = on(nation.db, f"SELECT {figures} FROM person_year")
    assert sorted(mine) == sorted(_national(nation.wh, "person_year", figures))
    assert len(mine) > 2000
    types = dict(on(nation.db, "SELECT column_name, data_type FROM duckdb_columns() "
                               "WHERE table_name = 'mart_person_year'"))  # fmt: skip
    province = dict(on(nation.provinces["23"], "SELECT column_name, data_type FROM "
                       "duckdb_columns() WHERE table_name = 'mart_person_year'"))  # fmt: skip
    assert types == province
    listed = "person_id, year, rules, oop, threshold, severity, explain_zh, explain_en"
    assert sorted(on(nation.db, f"SELECT {listed} FROM watchlist")) == sorted(
        _national(nation.wh, "watchlist", listed)
    )
    flagged = "person_id, year, rule_id, oop, threshold, explain_en"
    assert sorted(on(nation.db, f"SELECT {flagged} FROM flags WHERE run_id = 2")) == sorted(
        _national(nation.wh, "flags", flagged)
    )
    region = "level, code, year, people, claims, oop, oop_median, flagged"
    assert sorted(on(nation.db, f"SELECT {region} FROM region_year")) == sorted(
        _national(nation.wh, "region_year", region)
    )
    # the watch-list page's rows and a key per person, as a province's store has them
    assert on(nation.db, "SELECT count(*) FROM watch_page") == on(
        nation.db, "SELECT count(*) FROM watchlist"
    )
    assert on(nation.db, "SELECT count(*), count(DISTINCT token) FROM person_keys")[0] == (
        1200,
        1200,
    )


def test_each_build_is_a_rule_run_so_new_and_continuing_are_the_provinces(nation: Nation) -> None:
    """Each build is one rule run of the national store, written as a province's evaluation
    writes its runs: after week 1's build everyone listed is new; after week 2's, each
    person's status and weeks on the list are exactly their province's (two runs each), but
    in the traveller's household, whose figures are the nation's (the medical-assistance
    shortfall, the provinces' own finding, included)."""
    assert nation.first_list and {s for (_, _, s) in nation.first_list} == {"new"}
    runs = on(nation.db, "SELECT run_id, import_id, as_of FROM rule_runs ORDER BY run_id")
    assert [(r, i) for r, i, _ in runs] == [(1, None), (2, None)]
    assert str(runs[1][2]) == "2026-11-20"
    home = on(nation.provinces["23"], "SELECT household_id FROM people WHERE person_id = ?",
              [nation.traveller])[0][0]  # fmt: skip
    members = {p for (p,) in on(nation.provinces["23"], "SELECT person_id FROM people "
                                "WHERE household_id = ?", [home])}  # fmt: skip
    shortfall = set()
    theirs = set()
    for db in nation.provinces.values():
        shortfall |= {
            p
            for (p,) in on(
                db, "SELECT person_id FROM watchlist WHERE rules LIKE '%assistance_shortfall%'"
            )
        }
        theirs |= set(on(db, "SELECT person_id, year, status, weeks_on_list FROM watchlist"))
    skip = members | shortfall
    ours = set(on(nation.db, "SELECT person_id, year, status, weeks_on_list FROM watchlist"))
    assert {w for w in ours if w[0] not in skip} == {w for w in theirs if w[0] not in skip}
    assert {"new", "continuing"} <= {w[2] for w in ours}
    # who entered and who left in the second run: the provinces' second runs'
    moved = "SELECT person_id, year, change FROM watch_changes WHERE run_id = 2"
    theirs_moved = {m for db in nation.provinces.values() for m in on(db, moved)}
    assert {m for m in on(nation.db, moved) if m[0] not in skip} == {
        m for m in theirs_moved if m[0] not in skip
    }


def test_a_person_s_claims_add_up_to_their_national_year(nation: Nation) -> None:
    """Every person-year's claims on the national person page (claims_in_force_of: the build's
    claims in force, corrections and reversals resolved, two provinces; diagnoses from the raw
    rows) add up to their national OOP and count, to the cent; the traveller's hold the claim
    settled in 53."""
    con = duckdb.connect(
        str(store.current_snapshot(nation.db)), read_only=True, config=READER_CONFIG
    )
    try:
        years = con.execute("SELECT person_id, year, oop, claims FROM person_year "
                            "WHERE claims > 0").fetchall()  # fmt: skip
        assert len(years) > 1000
        described = 0
        for person, year, oop, claims in years:
            got = con.execute(
                "SELECT coalesce(sum(oop), 0), count(*), count(diagnosis) "
                "FROM claims_in_force_of(?, ?)",
                [person, year],
            ).fetchall()[0]
            assert got[:2] == (oop, claims), (person, year)
            described += got[2]
        assert described > 10000  # the generated claims' diagnoses, from the raw rows
        away = con.execute(
            "SELECT claim_id, oop FROM claims_in_force_of(?, 2026) WHERE claim_id = 'C53-AWAY-1'",
            [nation.traveller],
        ).fetchall()
        assert away == [("C53-AWAY-1", AWAY)]
        home = on(nation.provinces["23"], "SELECT oop FROM person_year WHERE person_id = ? "
                  "AND year = 2026", [nation.traveller])[0][0]  # fmt: skip
        assert con.execute(
            "SELECT oop FROM person_year WHERE person_id = ? AND year = 2026", [nation.traveller]
        ).fetchall() == [(home + AWAY,)]
    finally:
        con.close()


def test_loading_again_changes_nothing_and_imports_are_refused(nation: Nation, tmp_path) -> None:
    """A build already loaded is not loaded twice (no third run); the national store takes no
    import and no `flag` run; a warehouse with no build cannot be served; --db and --warehouse
    together are refused."""
    assert not serving.behind(nation.wh)
    assert serving.load(nation.wh) is None
    assert on(nation.db, "SELECT max(run_id) FROM rule_runs") == [(2,)]
    with pytest.raises(flow.ImportRefused, match="national dashboard's store"):
        flow.ingest([REPO / "sample_data" / "week01"], nation.db)
    runner = CliRunner()
    flagged = runner.invoke(main, ["flag", "--db", str(nation.db)])
    assert flagged.exit_code == 2 and "national build" in flagged.output
    # pushes to the departments and their answers are each province's
    pushed = runner.invoke(main, ["push", "--db", str(nation.db), "--to", "civil", "--out",
                                  str(tmp_path / "p.xlsx")])  # fmt: skip
    assert pushed.exit_code == 2 and "a province's store" in pushed.output
    assert not (tmp_path / "p.xlsx").exists()
    answers = tmp_path / "a.csv"
    answers.write_text("身份证号,核查结果,核查日期\n", encoding="utf-8")
    answered = runner.invoke(main, ["feedback", str(answers), "--db", str(nation.db)])
    assert answered.exit_code == 2 and "a province's store" in answered.output
    empty = tmp_path / "empty"
    empty.mkdir()
    out = runner.invoke(main, ["serve", "--warehouse", str(empty)])
    assert out.exit_code == 2 and "has no national build yet" in out.output
    both = runner.invoke(main, ["serve", "--warehouse", str(empty), "--db", str(nation.db)])
    assert both.exit_code == 2 and "not both" in both.output


# ---- the pages


def _session(db: Path, monkeypatch: pytest.MonkeyPatch, user: str | None = None) -> AppTest:
    monkeypatch.setenv("OOPWATCH_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = "en"
    if user:
        at.session_state["auth.user"] = user
        at.session_state["auth.source"] = "password"
        at.session_state["auth.last_active"] = time.time()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open(at: AppTest, page: str, **params: str) -> str:
    at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return page_text(at)


PAGES = ("overview", "watchlist", "quality", "drilldown", "person", "audit")


def test_every_page_runs_on_the_national_store(nation: Nation, monkeypatch) -> None:
    """The same pages as a province's store (no policy lab: the replay is a province's; no
    upload: extracts go to a province), each saying which build it shows; the overview's
    figures are the nation's; the quality page lists the provinces' publishes."""
    at = _session(nation.db, monkeypatch)
    for page in PAGES:
        text = _open(at, f"views/{page}.py")
        assert "National view: built on duckdb" in text, page
    for page in ("lab", "upload"):
        with pytest.raises(Exception, match="Could not find a navigation page"):
            at.switch_page(f"views/{page}.py")
    people = on(nation.db, "SELECT people, oop FROM region_year WHERE level = 0 AND year = 2026")
    text = _open(at, "views/overview.py", year="2026")
    assert f"People {people[0][0]:,}" in text
    assert f"¥{people[0][1]:,.2f}" in text
    quality = _open(at, "views/quality.py")
    assert "Provinces' publishes" in quality and "Imports\n" not in quality
    frame = at.dataframe[0].value
    assert len(frame) == 2 and list(frame.iloc[:, 2]) == [2, 2]  # two imports each


def test_the_person_page_shows_both_provinces_claims(nation: Nation, monkeypatch) -> None:
    """The traveller's page holds their claim settled in 53 beside 23's; where a province's
    page replays medical assistance, the national one says the replay is the provinces'."""
    from dashboard import data

    at = _session(nation.db, monkeypatch)
    token = data.person_token(data.current(nation.db), nation.traveller)
    text = _open(at, "views/person.py", person=token, year="2026")
    # no replay nationally: the page says where it is instead of a policy that owed ¥0.00
    assert "The medical-assistance replay runs on each province's policy" in text
    assert "Owed by the policy" not in text
    shown = "".join(table.value.to_csv() for table in [*at.table, *at.dataframe])
    assert (
        '2026-06-01,Inpatient,"¥12,000.00","¥7,000.00","¥1,000.00",¥500.00,¥0.00,"¥3,500.00"'
        in (shown)
    )


def test_a_province_s_user_sees_their_province_only(nation: Nation, monkeypatch, tmp_path) -> None:
    """Accounts of the national store (users add --db WAREHOUSE/national.duckdb): a province
    23 caseworker's drill-down starts at 23, the provinces' table shows 23 only, and a person
    of 53 is refused."""
    from dashboard import data

    db = copy_store(nation.db, tmp_path / "national.duckdb")  # accounts of its own
    auth.add_user(db, "hlj", "caseworker", "23", PASSWORD, by="tests")
    at = _session(db, monkeypatch, user="hlj")
    _open(at, "views/quality.py")
    assert list(at.dataframe[0].value.iloc[:, 0]) == ["黑龙江省 (23)"]
    other = on(db, "SELECT person_id FROM watchlist WHERE village_code LIKE '53%' "
                   "ORDER BY person_id LIMIT 1")[0][0]  # fmt: skip
    assert "Not in your region." in _open(
        at, "views/person.py", person=data.person_token(data.current(db), other)
    )
    assert "Not in your region." in _open(at, "views/drilldown.py", region="53")
