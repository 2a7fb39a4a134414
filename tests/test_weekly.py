"""A weekly import updates only the people it touched; the result must equal a full rebuild.

The models a weekly import updates in place (people, mart_person_year, household_year,
county_week_claims) are compared, row for row, with what a full refresh builds from the same
rows, after every import: generated weeks with corrections and reversals, and hand-made cases
(a person moving household and village, a claim corrected to another person, a reversal before
its claim, a roster naming an unmatched or enrolment-only person).
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dashboard import data
from pipeline import flow, models, rules, store
from pipeline.models import build
from pipeline.rules import evaluation
from tests.conftest import CLAIM_HEADER, ROSTER_HEADER, make_id, write_csv

UPDATED = ("people", "mart_person_year", "household_year", "county_week_claims", "person_keys")
ENROLMENT_HEADER = ["person_id", "year", "scheme", "status", "name", "household_id", "village_code"]
VILLAGE_A = "230124100201"
VILLAGE_B = "230125100202"  # another county
P1, P2, P3, P4, P5 = (make_id(i) for i in range(11, 16))


@pytest.fixture
def weekly_always(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Update in place however large the week (small test stores would otherwise rebuild).

    Returns the list of each evaluation's choice: True where it kept the unchanged people's
    results from the previous run.
    """
    monkeypatch.setattr(build, "REBUILD_SHARE", 1000.0)
    choices: list[bool] = []
    same = evaluation._same_rules_and_years

    def spy(*args: object) -> bool:
        choices.append(same(*args))
        return choices[-1]

    monkeypatch.setattr(evaluation, "_same_rules_and_years", spy)
    return choices


def touched_since_build(db: Path) -> int:
    """People touched by weekly updates since the last full build (meta)."""
    con = store.connect(db, read_only=True)
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'touched_since_build'").fetchall()
    finally:
        con.close()
    return int(rows[0][0])


def differences_from_full(db: Path) -> dict[str, int]:
    """Rows that differ (either way) between each updated table and a full rebuild of it."""
    con = store.open_store(db)
    try:
        con.execute("BEGIN TRANSACTION")
        for table in UPDATED:
            con.execute(f"CREATE TEMP TABLE kept_{table} AS SELECT * FROM {table}")
        models.refresh_models(con)
        found = {}
        for table in UPDATED:
            found[table] = con.execute(
                f"""SELECT (SELECT count(*) FROM (SELECT * FROM kept_{table}
                                                  EXCEPT ALL SELECT * FROM {table}))
                         + (SELECT count(*) FROM (SELECT * FROM {table}
                                                  EXCEPT ALL SELECT * FROM kept_{table}))"""
            ).fetchall()[0][0]
        con.execute("ROLLBACK")
    finally:
        con.close()
    return found


RUN_TABLES = ("flags", "watch_runs", "watch_changes")
REPLAY_TABLES = ("assist_claims", "assist_replay")  # the assistance replay, kept per person


def rule_differences_from_full(db: Path) -> dict[str, int]:
    """Rows of the latest run that differ (either way) from a full evaluation in its place.

    The run is taken out and evaluated again in full inside a transaction that is rolled back.
    first_flagged is compared for entries carried over only (a new entry's is the run's time).
    """
    con = store.open_store(db)
    try:
        con.execute("BEGIN TRANSACTION")
        run = con.execute("SELECT max(run_id) FROM rule_runs").fetchall()[0][0]
        for table in RUN_TABLES:
            con.execute(f"CREATE TEMP TABLE kept_{table} AS FROM {table} WHERE run_id = ?", [run])
        for table in REPLAY_TABLES:
            con.execute(f"CREATE TEMP TABLE kept_{table} AS FROM {table}")
        for table in ("watch_entries", "flag_entries"):  # as the previous run left them
            con.execute(f"DELETE FROM {table} WHERE from_run = ?", [run])
            con.execute(f"UPDATE {table} SET to_run = NULL WHERE to_run = ?", [run])
        for table in ("watch_changes", "rule_runs", "region_watch_runs"):
            con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run])
        import_id = con.execute("SELECT max(import_id) FROM import_batches").fetchall()[0][0]
        assert rules.evaluate(con, rules.load(), import_id) == run
        found = {}
        for table in RUN_TABLES:
            cols = (
                "* EXCLUDE (first_flagged), CASE WHEN status = 'continuing' THEN first_flagged END"
            )
            cols = cols if table == "watch_runs" else "*"
            full = f"(FROM {table} WHERE run_id = {int(run)})"
            found[table] = con.execute(
                f"""SELECT (SELECT count(*) FROM (SELECT {cols} FROM kept_{table}
                                                  EXCEPT ALL SELECT {cols} FROM {full}))
                         + (SELECT count(*) FROM (SELECT {cols} FROM {full}
                                                  EXCEPT ALL SELECT {cols} FROM kept_{table}))"""
            ).fetchall()[0][0]
        for table in REPLAY_TABLES:  # the weekly replay of the touched people = a full replay
            found[table] = con.execute(
                f"""SELECT (SELECT count(*) FROM (FROM kept_{table} EXCEPT ALL FROM {table}))
                         + (SELECT count(*) FROM (FROM {table} EXCEPT ALL FROM kept_{table}))"""
            ).fetchall()[0][0]
        con.execute("ROLLBACK")
    finally:
        con.close()
    return found


def unsorted_rows(db: Path) -> dict[str, int]:
    """Rows of the sorted models out of their sort order (storage order against ORDER BY)."""
    found = {}
    for table in ("people", "mart_person_year"):
        order = build.BUILT[table].order
        found[table] = rows(
            db,
            f"""SELECT count(*) FROM (
                SELECT row_number() OVER () AS stored,
                       row_number() OVER (ORDER BY {order}) AS sorted
                FROM {table}) WHERE stored <> sorted""",
        )[0][0]
    return found


def rows(db: Path, query: str, params: list | None = None) -> list[tuple]:
    """Rows of a query on the store."""
    con = store.connect(db, read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


def test_generated_weeks_updated_in_place_equal_a_full_rebuild(
    tmp_path, db, cli, weekly_always, memory_pieces
):
    """``memory_pieces``: also as a store with more claim rows than memory allows (10M people):
    the sorted models written then sorted, weekly rows appended unsorted, the window rules'
    people in batches."""
    assert cli("generate", "--out", tmp_path / "x", "--people", "1500", "--weeks", "4",
               "--as-of", "2026-11-20").exit_code == 0  # fmt: skip
    flow.ingest([tmp_path / "x" / "week01"], db)
    assert touched_since_build(db) == 0  # the first import builds in full
    assert unsorted_rows(db) == {"people": 0, "mart_person_year": 0}  # in either way, sorted
    touched = 0
    for week in ("week02", "week03", "week04"):
        flow.ingest([tmp_path / "x" / week], db)
        assert touched_since_build(db) > touched, week  # this import updated in place
        touched = touched_since_build(db)
        assert differences_from_full(db) == dict.fromkeys(UPDATED, 0), week
        assert rule_differences_from_full(db) == dict.fromkeys(RUN_TABLES + REPLAY_TABLES, 0), week
    assert weekly_always == [True, True, True]  # each week kept the unchanged people's results
    assert rows(db, "SELECT count(*) > 100 FROM watchlist WHERE status = 'continuing'") == [(True,)]
    # The generated weeks do hold corrections and reversals of earlier weeks' claims.
    later = "FROM claim_log AS c JOIN import_files AS f USING (file_id) WHERE f.import_id > 1"
    reversals = f"SELECT count(*) FILTER (WHERE c.reverses IS NOT NULL) > 0 {later}"
    assert rows(db, reversals) == [(True,)]
    assert rows(
        db,
        "SELECT count(*) > 0 FROM claim_rows_superseded AS s JOIN import_files AS f "
        "ON f.file_id = s.superseded_by_file_id WHERE f.import_id > 1",
    ) == [(True,)]


def test_moves_corrections_and_late_people_updated_in_place(tmp_path, db, weekly_always):
    w1 = tmp_path / "w1"
    write_csv(w1 / "roster.csv", ROSTER_HEADER, [
        (P1, "甲", "H1", VILLAGE_A, "dibao"),
        (P2, "乙", "H1", VILLAGE_A, "dibao"),
        (P3, "丙", "H2", VILLAGE_B, "dibao"),
    ])  # fmt: skip
    write_csv(w1 / "enrolment.csv", ENROLMENT_HEADER, [
        (P4, 2026, "residents", "active", "丁", "H3", VILLAGE_A),
    ])  # fmt: skip
    write_csv(w1 / "claims.csv", CLAIM_HEADER + ["reverses"], [
        ("C1", P1, "2026-03-02", "inpatient", "5000.00", "3000.00", "0", "0", ""),
        ("C2", P2, "2026-03-03", "outpatient", "300.00", "100.00", "0", "0", ""),
        ("C3", P3, "2026-03-04", "outpatient", "800.00", "200.00", "0", "0", ""),
        ("C4", P5, "2026-03-05", "inpatient", "900.00", "400.00", "0", "0", ""),
        ("C5", P1, "2026-03-09", "outpatient", "120.00", "20.00", "0", "0", ""),
        ("R2", P2, "2026-03-10", "outpatient", "-700.00", "0", "0", "0", "C77"),
    ])  # fmt: skip
    flow.ingest([w1], db)

    w2 = tmp_path / "w2"
    write_csv(w2 / "roster.csv", ROSTER_HEADER, [
        (P2, "乙", "H2", VILLAGE_B, "dibao"),  # moves to household H2 in another county
        (P4, "丁", "H3", VILLAGE_A, "dibao"),  # was only enrolled
        (P5, "戊", "H3", VILLAGE_A, "dibao"),  # had an unmatched claim
    ])  # fmt: skip
    write_csv(w2 / "claims.csv", CLAIM_HEADER + ["reverses"], [
        ("C1", P1, "2026-03-02", "inpatient", "5000.00", "3500.00", "0", "0", ""),  # corrected
        ("C5", P3, "2026-03-09", "outpatient", "120.00", "20.00", "0", "0", ""),  # P1's: refused
        ("R1", P3, "2026-03-11", "outpatient", "-800.00", "0", "0", "0", "C3"),
    ])  # fmt: skip
    flow.ingest([w2], db)
    assert touched_since_build(db) == 5  # P1 (C1 corrected), P2, P3, P4, P5
    assert rows(db, "SELECT line, reason FROM rejected_rows") == [(3, "claim_id_other_person")]
    assert differences_from_full(db) == dict.fromkeys(UPDATED, 0)
    assert rule_differences_from_full(db) == dict.fromkeys(RUN_TABLES + REPLAY_TABLES, 0)

    w3 = tmp_path / "w3"  # the claim R2 reversed arrives: it never counts
    write_csv(w3 / "claims.csv", CLAIM_HEADER, [
        ("C77", P2, "2026-03-01", "inpatient", "700.00", "0", "0", "0"),
        ("C6", P1, "2026-03-16", "outpatient", "50.00", "0", "0", "0"),
    ])  # fmt: skip
    flow.ingest([w3], db)
    assert touched_since_build(db) == 7
    assert differences_from_full(db) == dict.fromkeys(UPDATED, 0)
    assert rule_differences_from_full(db) == dict.fromkeys(RUN_TABLES + REPLAY_TABLES, 0)
    assert weekly_always == [True, True]

    # By hand: P1 keeps C1 as corrected (1,500.00), C5 (100.00) and C6 (50.00); P2 C2
    # (200.00); P3 has nothing left (C3 reversed, C5 refused); P5 C4 (500.00); P4 has a
    # person-year by enrolment only.
    assert rows(db, "SELECT person_id, oop, claims, household_id FROM person_year "
                    "ORDER BY person_id") == [
        (P1, Decimal("1650.00"), 3, "H1"),
        (P2, Decimal("200.00"), 1, "H2"),
        (P4, Decimal("0.00"), 0, "H3"),
        (P5, Decimal("500.00"), 1, "H3"),
    ]  # fmt: skip
    assert rows(db, "SELECT household_id, members, household_oop FROM household_year "
                    "ORDER BY household_id") == [
        ("H1", 1, Decimal("1650.00")),
        ("H2", 1, Decimal("200.00")),
        ("H3", 2, Decimal("500.00")),
    ]  # fmt: skip
    # Weeks from Monday: C1 (03-02, P1) and C4 (03-05, P5) in A; C2 (P2, now in B);
    # C5 (03-09, A); C6 (03-16, A).
    assert rows(db, "SELECT county, week, claims FROM county_week_claims ORDER BY ALL") == [
        ("230124", dt.date(2026, 3, 2), 2),
        ("230124", dt.date(2026, 3, 9), 1),
        ("230124", dt.date(2026, 3, 16), 1),
        ("230125", dt.date(2026, 3, 2), 1),
    ]


def test_a_large_week_or_many_small_ones_rebuild_in_full(tmp_path, db):
    people = [(make_id(100 + i), "某", f"H{i}", VILLAGE_A, "dibao") for i in range(10)]
    write_csv(tmp_path / "w1" / "roster.csv", ROSTER_HEADER, people)
    flow.ingest([tmp_path / "w1"], db)
    one = [("C1", make_id(100), "2026-03-02", "outpatient", "10.00", "0", "0", "0")]
    write_csv(tmp_path / "w2" / "claims.csv", CLAIM_HEADER, one)
    flow.ingest([tmp_path / "w2"], db)
    assert touched_since_build(db) == 1  # 1 row of 10 people: in place
    write_csv(tmp_path / "w3" / "claims.csv", CLAIM_HEADER,
              [(f"D{i}", make_id(100 + i), "2026-03-03", "outpatient", "10.00", "0", "0", "0")
               for i in range(5)])  # fmt: skip
    flow.ingest([tmp_path / "w3"], db)
    assert touched_since_build(db) == 0  # 1 + 5 rows pass half of 10 people: rebuilt in full
    assert rows(db, "SELECT count(*), sum(oop) FROM person_year") == [(5, Decimal("60.00"))]


def test_a_new_enrolment_year_or_new_rules_evaluate_everyone(tmp_path, db, weekly_always):
    """Unchanged people keep their results only under the same rules and enrolment years."""
    people = [(P1, "甲", "H1", VILLAGE_A, "dibao"), (P2, "乙", "H2", VILLAGE_A, "dibao")]
    write_csv(tmp_path / "w1" / "roster.csv", ROSTER_HEADER, people)
    enrolled = [(P1, 2026, "residents", "active", "甲", "H1", VILLAGE_A)]
    write_csv(tmp_path / "w1" / "enrolment.csv", ENROLMENT_HEADER, enrolled)
    flow.ingest([tmp_path / "w1"], db)
    assert rows(db, "SELECT person_id, rules FROM watchlist") == [(P2, "coverage_gap")]

    # A 2025 enrolment row of P1 only: 2025 is covered now, so P2 (untouched) is flagged for it.
    enrolled = [(P1, 2025, "residents", "active", "甲", "H1", VILLAGE_A)]
    write_csv(tmp_path / "w2" / "enrolment.csv", ENROLMENT_HEADER, enrolled)
    flow.ingest([tmp_path / "w2"], db)
    assert weekly_always == [False]
    assert rows(db, "SELECT person_id, year FROM watchlist ORDER BY year") == [
        (P2, 2025),
        (P2, 2026),
    ]
    assert rule_differences_from_full(db) == dict.fromkeys(RUN_TABLES + REPLAY_TABLES, 0)

    # Other rules (a lower line for over_line): everyone is evaluated again.
    rules_dir = tmp_path / "rules"
    shutil.copytree(rules.RULES_DIR, rules_dir)
    heilongjiang = rules_dir / "regions" / "23.toml"  # the villages' province: a flat line
    text = heilongjiang.read_text(encoding="utf-8")
    heilongjiang.write_text(text.replace('line = "10000.00"', 'line = "10.00"'), "utf-8")
    claim = [("C1", P2, "2026-03-02", "outpatient", "50.00", "0", "0", "0")]
    write_csv(tmp_path / "w3" / "claims.csv", CLAIM_HEADER, claim)
    flow.ingest([tmp_path / "w3"], db, rules_dir=rules_dir)
    assert weekly_always == [False, False]
    assert rows(db, "SELECT person_id, year, rules FROM watchlist ORDER BY year") == [
        (P2, 2025, "coverage_gap"),
        (P2, 2026, "oop_line;coverage_gap"),
    ]


def test_projected_flags_follow_the_data_date_for_untouched_people(tmp_path, db, weekly_always):
    """The projected rule's window moves with the latest settlement: re-examined for everyone."""
    people = [(P1, "甲", "H1", VILLAGE_A, "dibao"), (P2, "乙", "H2", VILLAGE_A, "dibao")]
    write_csv(tmp_path / "w1" / "roster.csv", ROSTER_HEADER, people)
    march = [
        (f"C{d}", P1, f"2026-03-0{d}", "outpatient", "1000.00", "0", "0", "0") for d in (2, 3, 4)
    ]
    write_csv(tmp_path / "w1" / "claims.csv", CLAIM_HEADER, march)
    flow.ingest([tmp_path / "w1"], db)
    # 3,000.00 by 4 March; at 3,000.00 per 90 days, 3,000.00 + 3,000.00 / 90 x 302 days left
    # = 13,066.67 by 31 December: over Heilongjiang's 10,000.
    assert rows(db, "SELECT person_id, rules, oop FROM watchlist") == [
        (P1, "projected", Decimal("3000.00"))
    ]
    assert "13,066.67" in rows(db, "SELECT explain_en FROM watchlist")[0][0]

    # P2's claim of 1 July moves the data's date: P1's March claims leave the 90-day window.
    july = [("C9", P2, "2026-07-01", "outpatient", "10.00", "0", "0", "0")]
    write_csv(tmp_path / "w2" / "claims.csv", CLAIM_HEADER, july)
    flow.ingest([tmp_path / "w2"], db)
    assert weekly_always == [True]
    assert rows(db, "SELECT count(*) FROM watchlist") == [(0,)]
    assert rows(db, "SELECT person_id, change FROM watch_history WHERE run_id = 2") == [
        (P1, "left")
    ]
    assert rule_differences_from_full(db) == dict.fromkeys(RUN_TABLES + REPLAY_TABLES, 0)


def test_a_run_by_other_rule_code_is_not_kept(tmp_path, db, weekly_always):
    """After an upgrade that changes the rules' SQL, a weekly import evaluates everyone."""
    people = [(P1, "甲", "H1", VILLAGE_A, "dibao"), (P2, "乙", "H2", VILLAGE_A, "dibao")]
    write_csv(tmp_path / "w1" / "roster.csv", ROSTER_HEADER, people)
    big = [("C1", P1, "2026-03-02", "outpatient", "30000.00", "0", "0", "0")]
    write_csv(tmp_path / "w1" / "claims.csv", CLAIM_HEADER, big)
    flow.ingest([tmp_path / "w1"], db)
    small = [("C2", P2, "2026-03-03", "outpatient", "10.00", "0", "0", "0")]
    write_csv(tmp_path / "w2" / "claims.csv", CLAIM_HEADER, small)
    flow.ingest([tmp_path / "w2"], db)
    assert weekly_always == [True]  # same code: P1's entry was kept

    con = store.connect(db)
    con.execute("UPDATE meta SET value = 'older' WHERE key = 'rules_code'")
    con.close()
    write_csv(tmp_path / "w3" / "claims.csv", CLAIM_HEADER, [("C3", *small[0][1:])])
    flow.ingest([tmp_path / "w3"], db)
    assert weekly_always == [True]  # not even asked: the previous run's code differs
    assert rows(db, "SELECT value <> 'older' FROM meta WHERE key = 'rules_code'") == [(True,)]
    assert rows(db, "SELECT person_id, rules, weeks_on_list FROM watchlist") == [
        (P1, "oop_line", 3)
    ]
    assert rule_differences_from_full(db) == dict.fromkeys(RUN_TABLES + REPLAY_TABLES, 0)


def entries(db: Path) -> list[tuple]:
    """P1's list entries: opened by, ended by, on the list since, OOP."""
    return rows(db, "SELECT from_run, to_run, since_run, oop FROM watch_entries ORDER BY from_run")


def test_a_run_writes_only_the_entries_that_changed(tmp_path, db, weekly_always):
    """An unchanged person-year's entry holds from run to run; a change ends it and opens the
    next, continuing the stretch on the list; leaving ends it; coming back starts a new stretch."""
    people = [(P1, "甲", "H1", VILLAGE_A, "dibao"), (P2, "乙", "H1", VILLAGE_A, "dibao")]
    write_csv(tmp_path / "w1" / "roster.csv", ROSTER_HEADER, people)
    weeks = [  # one file of claims per import; dates never pass 2 March (the projection's date)
        [("C1", P1, "2026-03-02", "inpatient", "30000.00", "0", "0", "0", "")],
        # P1 is examined again (a member of P2's household touched) but unchanged
        [("C2", P2, "2026-03-01", "outpatient", "10.00", "0", "0", "0", "")],
        [("C3", P1, "2026-03-02", "inpatient", "5000.00", "0", "0", "0", "")],  # P1's OOP rises
        [("R1", P1, "2026-03-02", "inpatient", "-30000.00", "0", "0", "0", "C1"),
         ("R3", P1, "2026-03-02", "inpatient", "-5000.00", "0", "0", "0", "C3")],  # P1 leaves
        [("C5", P1, "2026-03-02", "inpatient", "20000.00", "0", "0", "0", "")],  # and returns
    ]  # fmt: skip
    for n, claims in enumerate(weeks, start=1):
        write_csv(tmp_path / f"w{n}" / "claims.csv", CLAIM_HEADER + ["reverses"], claims)
        flow.ingest([tmp_path / f"w{n}"], db)
        assert rule_differences_from_full(db) == dict.fromkeys(RUN_TABLES + REPLAY_TABLES, 0), n
        if n == 2:  # run 2 wrote nothing: the entries of run 1 hold
            assert entries(db) == [(1, None, 1, Decimal("30000.00"))]
            assert rows(db, "SELECT DISTINCT from_run, to_run FROM flag_entries") == [(1, None)]
    assert weekly_always == [True, True, True, True]
    assert entries(db) == [
        (1, 3, 1, Decimal("30000.00")),
        (3, 4, 1, Decimal("35000.00")),  # changed in run 3, on the list since run 1
        (5, None, 5, Decimal("20000.00")),  # back in run 5: a new stretch
    ]
    # Every run's list as watch_runs gives it (the view over the entries).
    assert rows(db, "SELECT run_id, status, weeks_on_list, oop FROM watch_runs "
                    "ORDER BY run_id") == [
        (1, "new", 1, Decimal("30000.00")),
        (2, "continuing", 2, Decimal("30000.00")),
        (3, "continuing", 3, Decimal("35000.00")),
        (5, "new", 1, Decimal("20000.00")),
    ]  # fmt: skip
    first = rows(db, "SELECT run_id, evaluated_at FROM rule_runs ORDER BY run_id")
    assert rows(db, "SELECT first_flagged FROM watch_runs ORDER BY run_id") == [
        (first[0][1],), (first[0][1],), (first[0][1],), (first[4][1],)
    ]  # fmt: skip
    assert rows(db, "SELECT run_id, change, reason FROM watch_changes ORDER BY run_id") == [
        (1, "entered", None), (4, "left", "reversal"), (5, "entered", None)
    ]  # fmt: skip
    assert rows(db, "SELECT person_id, status, weeks_on_list, oop FROM watchlist") == [
        (P1, "new", 1, Decimal("20000.00"))
    ]
    # The person page reads the same from the entries (its own queries, by the person's index).
    snap = str(store.current_snapshot(db))
    watch = data.person_watch(snap, P1, 2026)
    assert (watch["status"], watch["weeks_on_list"], watch["oop"]) == (
        "new", 1, Decimal("20000.00")
    )  # fmt: skip
    history = data.person_flag_history(snap, P1, 2026)
    assert list(zip(history["run_id"], history["on_list"], history["oop"], strict=True)) == [
        (5, True, Decimal("20000.00")), (4, False, None), (3, True, Decimal("35000.00")),
        (2, True, Decimal("30000.00")), (1, True, Decimal("30000.00")),
    ]  # fmt: skip
    fired = rows(db, "SELECT rule_id FROM flags WHERE run_id = 5 ORDER BY rule_id")
    assert data.person_flags(snap, P1, 2026)["rule_id"].tolist() == [r[0] for r in fired] != []


def make_older(db: Path) -> None:
    """Give the store the layout of a version that kept a copy of the list and flags per run."""
    import duckdb

    con = duckdb.connect(str(db))
    for table in ("watch_runs", "flags"):  # compared_oop is newer still: they did not have it
        columns = "* EXCLUDE (compared_oop)" if table == "flags" else "*"
        con.execute(f"CREATE TABLE copied_{table} AS SELECT {columns} FROM {table} ORDER BY ALL")
    for view in ("watchlist", "watch_runs", "flags", "case_status_live"):
        con.execute(f"DROP VIEW {view}")
    con.execute("DROP TABLE watch_entries")
    con.execute("DROP TABLE flag_entries")
    for table in ("watch_runs", "flags"):
        con.execute(f"ALTER TABLE copied_{table} RENAME TO {table}")
    con.execute("UPDATE meta SET value = 'older' WHERE key = 'models_version'")
    con.execute("UPDATE meta SET value = 'older' WHERE key = 'rules_code'")  # its own rule SQL
    con.close()


def test_an_older_store_keeps_every_run_as_entries(tmp_path, cli):
    """A store whose runs were copies becomes entries: every run reads the same, and the next
    weekly import continues the list as a store made by this version does."""
    assert cli("generate", "--out", tmp_path / "x", "--people", "1500", "--weeks", "4",
               "--as-of", "2026-11-20").exit_code == 0  # fmt: skip
    weeks = [tmp_path / "x" / f"week0{n}" for n in range(1, 5)]
    made, older = tmp_path / "made.duckdb", tmp_path / "older.duckdb"
    for week in weeks:
        flow.ingest([week], made)
    for week in weeks[:3]:
        flow.ingest([week], older)
    before = {
        t: rows(older, f"SELECT * EXCLUDE (compared_oop) FROM {t} ORDER BY ALL")
        if t == "flags" else rows(older, f"FROM {t} ORDER BY ALL")
        for t in ("watch_runs", "flags")
    }  # fmt: skip
    make_older(older)
    store.open_store(older).close()
    assert rows(older, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'watch_runs'") == [
        (0,)
    ]
    for table, expected in before.items():
        columns = "* EXCLUDE (compared_oop)" if table == "flags" else "*"
        got = rows(older, f"SELECT {columns} FROM {table} ORDER BY ALL")
        assert len(expected) > 300 and got == expected
    opened = rows(older, "SELECT count(*) FROM watch_entries")[0][0]
    assert opened == len(before["watch_runs"])  # one entry per stored row, none lost

    flow.ingest([weeks[3]], older)
    con = store.connect(made, read_only=True)
    try:
        con.execute(f"ATTACH '{older}' AS older (READ_ONLY)")
        for table in ("watch_runs", "flags", "watch_changes"):
            # (compared_oop: the household's OOP of a household_burden flag, which the older
            # store never recorded for its runs, is compared for the latest run below)
            cols = {"watch_runs": "* EXCLUDE (first_flagged)", "flags": "* EXCLUDE (compared_oop)"}
            cols = cols.get(table, "*")
            differing = con.execute(
                f"""SELECT count(*) FROM (
                        (SELECT {cols} FROM {table} EXCEPT ALL SELECT {cols} FROM older.{table})
                        UNION ALL
                        (SELECT {cols} FROM older.{table} EXCEPT ALL SELECT {cols} FROM {table}))"""
            ).fetchall()[0][0]
            assert differing == 0, table
        latest = """SELECT person_id, rule_id, compared_oop FROM {}flags
                    WHERE run_id = 4 ORDER BY ALL"""
        assert (
            con.execute(latest.format("")).fetchall()
            == con.execute(latest.format("older.")).fetchall()
        )
        assert (
            con.execute("SELECT count(*) FROM older.watchlist WHERE weeks_on_list = 4").fetchall()[
                0
            ][0]
            > 100
        )
    finally:
        con.close()


def test_the_replay_follows_a_claim_moved_to_another_year_and_a_reversal(
    tmp_path, db, weekly_always, query
):
    """The weekly replay takes only the person-years an import touched: a correction that
    moves a claim from 2025 into 2026 touches both years, a reversal the year of the claim it
    cancels, a roster row every year of its person; the result equals a full replay. dibao,
    inpatient 70% of the remainder (total - basic)."""
    w1 = tmp_path / "w1"
    write_csv(w1 / "roster.csv", ROSTER_HEADER, [
        (P1, "甲", "H1", VILLAGE_A, "dibao"),
        (P2, "乙", "H2", VILLAGE_A, "monitored"),
    ])  # fmt: skip
    write_csv(w1 / "claims.csv", CLAIM_HEADER + ["reverses"], [
        ("Y1", P1, "2025-12-30", "inpatient", "2000.00", "1000.00", "0", "700.00", ""),
        ("Y2", P1, "2025-06-01", "inpatient", "1000.00", "0", "0", "700.00", ""),
        ("Y3", P1, "2026-02-01", "inpatient", "3000.00", "1000.00", "0", "1400.00", ""),
        ("Y4", P2, "2025-05-01", "inpatient", "1000.00", "0", "0", "0", ""),
    ])  # fmt: skip
    flow.ingest([w1], db)
    w2 = tmp_path / "w2"
    write_csv(w2 / "roster.csv", ROSTER_HEADER, [(P2, "乙", "H2", VILLAGE_A, "dibao")])
    write_csv(w2 / "claims.csv", CLAIM_HEADER + ["reverses"], [
        # Y1 corrected: settled 2026-01-02 instead (its 2025 share leaves 2025)
        ("Y1", P1, "2026-01-02", "inpatient", "2000.00", "1000.00", "0", "700.00", ""),
        ("X2", P1, "2026-03-01", "inpatient", "-1000.00", "0", "0", "-700.00", "Y2"),
    ])  # fmt: skip
    flow.ingest([w2], db)
    assert rule_differences_from_full(db) == dict.fromkeys(RUN_TABLES + REPLAY_TABLES, 0)
    assert weekly_always == [True]
    # P1 2025: nothing left (Y1 moved, Y2 reversed); 2026: Y1 700.00 + Y3 1,400.00 owed.
    # P2 has been dibao since the import of week 2 (no category_since): 2025's claim was
    # before it, so monitored, 70% of 1,000.00 = 700.00 owed, 0 paid.
    assert query(
        "SELECT person_id, year, entitled, paid FROM assistance_replay ORDER BY 1, 2"
    ) == [
        (P1, 2026, Decimal("2100.00"), Decimal("2100.00")),
        (P2, 2025, Decimal("700.00"), Decimal("0.00")),
    ]  # fmt: skip


def test_a_week_that_leaves_the_data_date_decides_the_moving_kinds_for_its_scope(
    tmp_path, db, cli, weekly_always, monkeypatch
):
    """A roster-only week does not move the data's date: the projected rule's results cannot
    change for anyone the week did not touch, so it runs after the scope is known and for the
    scope alone; the run equals a full evaluation."""
    assert cli("generate", "--out", tmp_path / "x", "--people", "1500", "--weeks", "3",
               "--as-of", "2026-11-20").exit_code == 0  # fmt: skip
    flow.ingest([tmp_path / "x" / "week01"], db)
    flow.ingest([tmp_path / "x" / "week02"], db)
    roster_only = tmp_path / "roster-only"
    roster_only.mkdir()
    shutil.copy(tmp_path / "x" / "week03" / "roster.csv", roster_only / "roster.csv")
    ran: list[str] = []
    run_script = store.run_script

    def spy(con, name, *args, **kwargs):  # noqa: ANN001, ANN202
        ran.append(name)
        return run_script(con, name, *args, **kwargs)

    monkeypatch.setattr(store, "run_script", spy)
    flow.ingest([roster_only], db)
    monkeypatch.setattr(store, "run_script", run_script)
    (same_date,) = rows(db, "SELECT count(DISTINCT as_of) FROM (SELECT as_of FROM rule_runs "
                            "ORDER BY run_id DESC LIMIT 2)")[0]  # fmt: skip
    assert same_date == 1
    assert ran.index("rules/rule_scope.sql") < ran.index("rules/projected.sql")
    assert weekly_always == [True, True]
    assert rule_differences_from_full(db) == dict.fromkeys(RUN_TABLES + REPLAY_TABLES, 0)


def header_only(source: Path, target: Path) -> Path:
    """``target``: the files of ``source`` with their header lines only."""
    target.mkdir()
    for path in source.iterdir():
        with open(path, "rb") as stream:
            (target / path.name).write_bytes(stream.readline())
    return target


def test_an_import_that_loads_no_row_leaves_the_list_as_it_stands(tmp_path, db, cli):
    """Empty files, or files whose every row is rejected, change nothing the rules read: the
    import is recorded and published, but no rule run is made and the latest run's new entries
    stay new. New rules, or a later import with rows, run again."""
    assert cli("generate", "--out", tmp_path / "x", "--people", "1500", "--weeks", "2",
               "--as-of", "2026-11-20").exit_code == 0  # fmt: skip
    flow.ingest([tmp_path / "x" / "week01"], db)
    flow.ingest([tmp_path / "x" / "week02"], db)
    before = rows(db, "SELECT person_id, year, status, weeks_on_list FROM watchlist ORDER BY ALL")
    assert [r[2] for r in before].count("new") > 0
    runs = rows(db, "SELECT max(run_id), count(*) FROM rule_runs")[0]

    empty = flow.ingest([header_only(tmp_path / "x" / "week02", tmp_path / "empty")], db)
    assert empty.import_id == 3 and empty.list_stands == runs[0]
    assert rows(db, "SELECT max(run_id), count(*) FROM rule_runs")[0] == runs
    assert rows(db, "SELECT person_id, year, status, weeks_on_list FROM watchlist "
                    "ORDER BY ALL") == before  # fmt: skip
    assert empty.watch["new"] == [r[2] for r in before].count("new")
    # recorded and published: the dashboard's snapshot lists the import
    snap = store.connect(empty.snapshot, read_only=True)
    try:
        assert snap.execute("SELECT max(import_id) FROM import_batches").fetchall() == [(3,)]
    finally:
        snap.close()
    out = cli("ingest", header_only(tmp_path / "x" / "week01", tmp_path / "empty2"), "--db", db,
              "--lang", "en")  # fmt: skip
    assert f"no rows loaded: the watch-list of rule run {runs[0]} stands" in out.output

    # every row rejected: nothing loaded either
    bad = tmp_path / "bad"
    write_csv(bad / "claims.csv", CLAIM_HEADER, [("Z1", "not-an-id", "2026-11-01", "inpatient",
                                                  "100.00", "0", "0", "0")])  # fmt: skip
    assert flow.ingest([bad], db).list_stands == runs[0]
    assert rows(db, "SELECT count(*) FROM rule_runs")[0][0] == runs[1]
    # and no claim segment for an import without a claim row (weeks 01 and 02 have theirs)
    assert rows(db, "SELECT import_id FROM claim_segments ORDER BY 1") == [(1,), (2,)]
    assert len(list(db.with_name(db.name + ".segments").iterdir())) == 2

    # other rules: a run, though no row came
    changed = tmp_path / "rules"
    shutil.copytree(rules.RULES_DIR, changed)
    rule_file = next(p for p in sorted(changed.glob("*.toml")) if "10000" in p.read_text())
    rule_file.write_text(rule_file.read_text().replace("10000", "9000", 1))
    write_csv(tmp_path / "empty3" / "claims.csv", CLAIM_HEADER, [])
    again = flow.ingest([tmp_path / "empty3"], db, rules_dir=changed)
    assert again.list_stands is None
    assert rows(db, "SELECT count(*) FROM rule_runs")[0][0] == runs[1] + 1
    assert rows(db, "SELECT count(*) FROM watchlist WHERE status = 'new'")[0][0] != len(before)


def test_segments_are_cut_into_row_groups_a_person_lookup_reads_one_of(
    tmp_path, db, cli, monkeypatch
):
    """A person's claims are found through each segment's row-group statistics: a segment is
    written in at least ROW_GROUPS_PER_SEGMENT groups (of at least MIN_ROW_GROUP rows, whole
    vectors of 2,048), each a narrow range of person_id. (Here MIN_ROW_GROUP is 2,048, so a
    test-sized week is cut too.)"""
    assert store.segments.row_group_size(193_000) == 8_192  # 193,000 / 24 = 8,041: the minimum
    assert store.segments.row_group_size(1_000_000) == 43_008  # 41,666 in whole vectors
    assert store.segments.row_group_size(9_600_000) == 122_880  # DuckDB's default at most
    assert store.segments.row_group_size(10) == 8_192
    monkeypatch.setattr(store.segments, "MIN_ROW_GROUP", 2_048)
    assert cli("generate", "--out", tmp_path / "x", "--people", "1500", "--weeks", "2",
               "--as-of", "2026-11-20").exit_code == 0  # fmt: skip
    flow.ingest([tmp_path / "x" / "week01"], db)
    flow.ingest([tmp_path / "x" / "week02"], db)
    segments = rows(db, "SELECT path, rows FROM claim_segments ORDER BY import_id")
    assert segments[0][1] > 2 * 2_048  # the first week's: several groups
    for path, count in segments:
        size = -(-max(2_048, count // 24) // 2_048) * 2_048
        groups = rows(
            db,
            "SELECT row_group_id, row_group_num_rows, stats_min_value, stats_max_value "
            "FROM parquet_metadata(?) WHERE path_in_schema = 'person_id' ORDER BY 1",
            [path],
        )
        assert len(groups) == -(-count // size), path
        assert all(g[1] == size for g in groups[:-1])
        # sorted: each group's person_ids come after the previous group's
        assert all(a[3] <= b[2] for a, b in zip(groups, groups[1:], strict=False))
    # a person's claims read through the view are the same as ever
    person = rows(db, "SELECT person_id FROM claim_log GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    got = rows(db, "SELECT count(*) FROM claim_log WHERE person_id = ?", [person[0][0]])
    assert got == rows(db, "SELECT count(*) FILTER (WHERE person_id = ?) FROM claim_log",
                       [person[0][0]])  # fmt: skip


def test_the_store_writes_row_groups_a_lookup_reads_little_of(tmp_path):
    """The writer attaches the store with ROW_GROUP_SIZE 16,384 (DuckDB's default is 122,880):
    a table of 40,000 rows is three row groups, in the file, as a read-only reader (the
    dashboard on a snapshot) finds it; the spill folder is still DB.tmp."""
    db = tmp_path / "s.duckdb"
    con = store.open_store(db)
    assert con.execute("SELECT current_setting('temp_directory')").fetchall() == [
        (str(db) + ".tmp",)
    ]
    con.execute("CREATE TABLE t AS SELECT range AS x FROM range(40000)")
    con.execute("CHECKPOINT")
    con.close()
    groups = "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('t')"
    assert rows(db, groups) == [(3,)]


@pytest.mark.parametrize("share", [1.0, 0.0], ids=["deleted", "rewritten"])
def test_rows_taken_out_of_a_table_in_place_or_by_a_rewrite(tmp_path, monkeypatch, share):
    """store.delete_where: a DELETE, or for a table too big for its deletion marks, the table
    rewritten without the rows. Either way the same rows stay, in their order, and a row whose
    condition is NULL stays (as a DELETE leaves it)."""
    monkeypatch.setattr(store.db, "DELETE_MARK_SHARE", share)
    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    con.execute("CREATE TABLE t (k VARCHAR, v DECIMAL(14,2))")
    con.execute(
        "INSERT INTO t VALUES ('b', 1.10), ('a', 2.20), (NULL, 3.30), ('c', 4.40), ('a', 5.50)"
    )
    con.execute("CREATE TEMP TABLE gone AS SELECT 'a' AS k UNION ALL SELECT NULL")
    store.delete_where(con, "t", "k IN (SELECT k FROM gone)")
    assert con.execute("SELECT k, v FROM t").fetchall() == [
        ("b", Decimal("1.10")), (None, Decimal("3.30")), ("c", Decimal("4.40")),
    ]  # fmt: skip
    con.close()


@pytest.mark.parametrize("changed", ["rules/over_line.sql", "assistance/assist_claims.sql"])
def test_a_change_to_the_rules_or_the_replay_sql_is_other_rule_code(tmp_path, monkeypatch, changed):
    """A weekly run keeps the unchanged people's flags and replay rows only from a run of the
    same code: a changed rule or replay file makes the next run evaluate everyone."""
    before = evaluation._code_version()
    copy = tmp_path / "sql"
    shutil.copytree(store.SQL_DIR, copy)
    monkeypatch.setattr(store, "SQL_DIR", copy)
    assert evaluation._code_version() == before
    (copy / changed).write_text((copy / changed).read_text() + "\n-- changed\n")
    assert evaluation._code_version() != before
