"""Following every case (issue 21): deadlines in working days with holidays as data, the
departmental funnel, the case timeline and the cohort outcomes, on the hand-made case store
(Heilongjiang 2026: a_high, b_medium and a_formula pushed as 返贫预警; every person of 2026 was
first listed by the run whose data's date is 2026-06-01, the latest settlement then)."""

from __future__ import annotations

import datetime as dt
import getpass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipeline import rules, store
from pipeline.cases import tracking
from pipeline.rules.push_policy import PushPolicy
from tests.conftest import CASE_YEAR, CLAIM_HEADER, person_key, write_csv

FLAGGED = dt.date(2026, 6, 1)
FEEDBACK_HEADER = ["身份证号", "核查结果", "核查日期", "反馈部门", "说明", "救助金额"]


def pushed_on(db: Path, day: dt.date, seq: int = 1) -> None:
    """Date the push (made now by the CLI) as if made on ``day`` at 09:00."""
    con = duckdb.connect(str(db))
    try:
        con.execute(
            "UPDATE pushes SET made_at = ? WHERE seq = ?",
            [dt.datetime.combine(day, dt.time(9)), seq],
        )
    finally:
        con.close()
    store.publish(db)


def run(db: Path, fn, *args):  # noqa: ANN001, ANN201
    con = duckdb.connect(str(db), read_only=True)
    try:
        return fn(con, *args)
    finally:
        con.close()


def answer(cli, db: Path, tmp_path: Path, name: str, rows: list[tuple]) -> None:  # noqa: ANN001
    path = write_csv(tmp_path / name, FEEDBACK_HEADER, rows)
    result = cli("feedback", path, "--db", db)
    assert result.exit_code == 0 and "rejected 0" in result.output, result.output


CALENDAR = PushPolicy(
    decision_working_days=20,
    holidays=[
        (dt.date(2026, 9, 25), "holiday", "中秋节"),
        *[(dt.date(2026, 10, d), "holiday", "国庆节") for d in (1, 2, 5, 6, 7)],
        (dt.date(2026, 9, 27), "workday", "调休上班"),
        (dt.date(2026, 10, 10), "workday", "调休上班"),
    ],
)


def test_no_decision_twenty_working_days_after_a_push_is_overdue(cli, db, case_store, tmp_path):
    """Pushed on Friday 18 September 2026. Working days after it, with the calendar above:
    21-24 Sep (4), Sun 27 worked (5), 28-30 (8), 8-9 Oct (10), Sat 10 worked (11), 12-16 (16),
    19-22 (20): due Thursday 22 October. With weekends only it would be Friday 16 October."""
    ids = case_store
    assert cli("push", "--db", db, "--to", "civil", "--out", tmp_path / "p.xlsx").exit_code == 0
    pushed_on(db, dt.date(2026, 9, 18))

    def state(policy: PushPolicy, today: dt.date) -> dict[str, tuple]:
        frame = run(db, tracking.cases, policy, CASE_YEAR, "", today)
        by_id = {v: k for k, v in ids.items()}
        return {
            by_id[p]: (due, late)
            for p, due, late in zip(
                frame["person_id"], frame["decision_due"], frame["decision_overdue"], strict=True
            )
            if due is not None
        }

    due = dt.date(2026, 10, 22)
    assert state(CALENDAR, due) == {k: (due, False) for k in ("a_high", "b_medium", "a_formula")}
    assert state(CALENDAR, due + dt.timedelta(days=1)) == {
        k: (due, True) for k in ("a_high", "b_medium", "a_formula")
    }
    weekends = PushPolicy(decision_working_days=20)
    assert state(weekends, dt.date(2026, 10, 17))["a_high"] == (dt.date(2026, 10, 16), True)
    # verifying is no decision: the clock runs on; not eligible stops it; the shipped calendar
    # (rules/holidays.csv) is read with the rules
    answer(cli, db, tmp_path, "1.csv", [(ids["a_high"], "verifying", "2026-10-01", "民政", "", "")])
    answer(cli, db, tmp_path, "2.csv", [(ids["b_medium"], "not_eligible", "2026-10-09", "民政",
                                         "家庭收入超标", "")])  # fmt: skip
    late = state(CALENDAR, dt.date(2026, 11, 1))
    assert late == {"a_high": (due, True), "a_formula": (due, True)}
    shipped = rules.load().push
    assert (dt.date(2026, 10, 1), "holiday", "国庆节") in shipped.holidays
    assert shipped.decision_working_days == 20 and shipped.visit_days == 14
    counts = tracking.overdue_by_region(run(db, tracking.cases, CALENDAR, CASE_YEAR, "",
                                            dt.date(2026, 11, 1)), 6)  # fmt: skip
    assert counts[["region", "decision_overdue"]].values.tolist() == [
        ["230124", 2], ["230125", 0],
    ]  # fmt: skip


def test_no_visit_fourteen_days_after_export_is_overdue(cli, db, case_store, tmp_path):
    out = tmp_path / "list.xlsx"
    assert cli("export", "--db", db, "--year", CASE_YEAR, "--out", out).exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    exported = con.execute("SELECT CAST(made_at AS DATE) FROM exports").fetchall()[0][0]
    con.close()
    policy = PushPolicy(visit_days=14)
    on_time = run(db, tracking.cases, policy, CASE_YEAR, "", exported + dt.timedelta(days=14))
    late = run(db, tracking.cases, policy, CASE_YEAR, "", exported + dt.timedelta(days=15))
    assert on_time["visit_overdue"].sum() == 0
    assert late["visit_overdue"].sum() == 5  # the five on the 2026 list
    assert set(late["visit_due"]) == {exported + dt.timedelta(days=14)}


@pytest.fixture
def followed(cli, db, case_store, tmp_path):  # noqa: ANN001, ANN201
    """The case store followed through 2026: pushed to civil 11 June; civil decides a_high
    dibao (25 June), b_medium not eligible (21 June), a_formula verifying (15 June); rural
    assists a_high (5 July) and eliminates b_general's risk (1 August); the roster puts
    a_formula in monitoring from 1 July; caseworkers see b_medium on 10 June and a_dibao on
    20 July; a_2025 is over the line again in 2026 (11,000 yuan)."""
    ids = case_store
    assert cli("push", "--db", db, "--to", "civil", "--out", tmp_path / "p.xlsx").exit_code == 0
    pushed_on(db, dt.date(2026, 6, 11))
    answer(cli, db, tmp_path, "civil.csv", [
        (ids["a_high"], "纳入低保", "2026-06-25", "民政", "", ""),
        (ids["b_medium"], "不符合条件", "2026-06-21", "民政", "家庭收入超标", ""),
        (ids["a_formula"], "核查中", "2026-06-15", "民政", "", ""),
    ])  # fmt: skip
    answer(cli, db, tmp_path, "rural.csv", [
        (ids["a_high"], "已救助", "2026-07-05", "乡村振兴", "", "3000"),
        (ids["b_general"], "风险消除", "2026-08-01", "农业农村", "", ""),
    ])  # fmt: skip
    out = tmp_path / "list.csv"
    assert cli("export", "--db", db, "--year", CASE_YEAR, "--out", out).exit_code == 0
    visits = tmp_path / "visits.csv"
    keys = {k: f"{CASE_YEAR}-{person_key(db, ids[k])}" for k in ("b_medium", "a_dibao")}
    seen = [(keys["b_medium"], "2026-06-10", "已走访"), (keys["a_dibao"], "2026-07-20", "已走访")]
    write_csv(visits, ["案件编号", "走访日期", "走访结果"], seen)
    assert cli("returns", visits, "--db", db).exit_code == 0
    week = tmp_path / "week2"
    roster = ["person_id", "name", "household_id", "village_code", "category", "category_since"]
    monitored = (ids["a_formula"], "公式", "H2", "230124100201", "monitored", "2026-07-01")
    write_csv(week / "roster.csv", roster, [monitored])
    claim = ("C7-9", ids["a_2025"], "2026-06-15", "outpatient", "11000.00", "0", "0", "0")
    write_csv(week / "claims.csv", CLAIM_HEADER, [claim])
    assert cli("ingest", week, "--db", db).exit_code == 0
    return ids


def test_the_departmental_funnel_with_median_days(db, followed):
    row = run(db, tracking.funnel, CASE_YEAR, "", 2).iloc[0].to_dict()
    # flagged: the five of 1 June and a_2025 (over the line in 2026 since the last import);
    # verified: a_high, b_medium and b_general (rural's risk eliminated, never pushed)
    steps = ("region", "flagged", "pushed", "verified", "included", "assisted")
    assert [row[k] for k in steps] == ["23", 6, 3, 3, 1, 1]
    # flag 1 June → push 11 June: 10 days each; push → decision: 14 (a_high) and 10 (b_medium);
    # decision → inclusion 0 (a_high, the same day); inclusion 25 June → assistance 5 July: 10
    days = ("days_flag_to_push", "days_push_to_decision", "days_decision_to_inclusion",
            "days_to_assistance")  # fmt: skip
    assert [row[k] for k in days] == [10, 12, 0, 10]


def test_the_case_timeline_in_order(db, followed):
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        """SELECT day, step, department, code, amount, superseded FROM case_timeline
           WHERE person_id = ? AND year = 2026 ORDER BY day, happened_at""",
        [followed["a_high"]],
    ).fetchall()
    con.close()
    steps = [(r[0], r[1], r[2], r[3]) for r in rows if r[1] != "exported"]
    assert steps == [  # (no medical assistance on a_high's outpatient claims)
        (FLAGGED, "flagged", None, None),
        (dt.date(2026, 6, 11), "pushed", "civil", "return_to_poverty"),
        (dt.date(2026, 6, 25), "decision", "civil", "dibao"),
        (dt.date(2026, 7, 5), "decision", "rural", "assisted"),
    ]
    assert [r[4] for r in rows if r[1] == "decision"] == [None, Decimal("3000.00")]
    assert [r[1] for r in rows].count("exported") == 1


def test_who_actually_fell_back(db, followed):
    frame = run(db, tracking.outcomes, CASE_YEAR, "", dt.date(2027, 6, 1))
    got = {
        r["group"]: (r["people"], r["complete"], r["included"], r["eliminated"], r["moved_down"],
                     r["over_later"])
        for r in frame.to_dict("records")
    }  # fmt: skip
    # a_high included (dibao) and assisted; a_formula included by the roster (monitored from
    # 1 July: a poorer category than out of poverty); b_general's risk eliminated; b_medium
    # visited after 9 days, a_dibao after 49; a_2025 first listed for 2026 by the week-2 run
    assert got == {
        "all": (6, 5, 2, 1, 1, 0),
        "assisted": (1, 1, 1, 0, 0, 0),
        "not_assisted": (5, 4, 1, 1, 1, 0),
        "0-14": (1, 1, 0, 0, 0, 0),
        "31-90": (1, 1, 0, 0, 0, 0),
        "not_visited": (4, 3, 2, 1, 1, 0),
    }
    earlier = run(db, tracking.outcomes, 2025, "", dt.date(2027, 6, 1))
    assert earlier.iloc[0][["people", "over_later"]].tolist() == [1, 1]  # a_2025, over in 2026


def test_assignees_go_out_on_the_list_and_come_back_from_it(cli, db, case_store, tmp_path):
    """A case given to a caseworker in the dashboard is on the export's 负责人 column; a
    负责人 written into the returned workbook assigns the case, and one that cannot follow it
    (no such account, another county's) is said, never taken."""
    import openpyxl

    from pipeline.access import assignments, auth

    ids = case_store
    auth.add_user(db, "li", "caseworker", "230124", "correct horse 1", by="admin")
    auth.add_user(db, "wang", "caseworker", "230125", "correct horse 2", by="admin")
    auth.add_user(db, "peek", "viewer", "23", "correct horse 3", by="admin")
    key = {k: f"{CASE_YEAR}-{person_key(db, ids[k])}" for k in ids}
    high = (ids["a_high"], CASE_YEAR, key["a_high"], "230124100201")
    assert assignments.assign(db, [high], "li", by="admin") == 1
    with pytest.raises(assignments.AssignRefused, match="viewer"):
        assignments.assign(db, [high], "peek", by="admin")
    with pytest.raises(assignments.AssignRefused, match="does not cover"):
        assignments.assign(db, [high], "wang", by="admin")
    out = tmp_path / "list.xlsx"
    assert cli("export", "--db", db, "--year", CASE_YEAR, "--out", out).exit_code == 0
    book = openpyxl.load_workbook(out)
    sheet = book["名单"]
    header = [c.value for c in sheet[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    rows = {sheet.cell(r, col["案件编号"]).value: r for r in range(2, sheet.max_row + 1)}
    assert sheet.cell(rows[key["a_high"]], col["负责人"]).value == "li"
    assert sheet.cell(rows[key["a_dibao"]], col["负责人"]).value is None
    sheet.cell(rows[key["a_dibao"]], col["负责人"], "li")
    sheet.cell(rows[key["b_medium"]], col["负责人"], "li")  # li's county is 230124, not 230125
    sheet.cell(rows[key["b_general"]], col["负责人"], "nobody")
    sheet.cell(rows[key["b_general"]], col["走访结果"], "已走访")
    back = tmp_path / "back.xlsx"
    book.save(back)
    result = cli("returns", back, "--db", db)
    assert result.exit_code == 0, result.output
    assert "read 1, loaded 1, rejected 0" in result.output  # the outcome: 负责人 alone is none
    assert "assigned: 1 case(s)" in result.output
    assert f"case {key['b_medium']}: 负责人 li: li's region 230124 does not cover" in result.output
    assert f"case {key['b_general']}: 负责人 nobody: nobody is no enabled account" in result.output
    current = {(a.person_id, a.assignee) for a in assignments.current_assignments(db)}
    assert current == {(ids["a_high"], "li"), (ids["a_dibao"], "li")}
    assert [h[1:] for h in assignments.history(db, ids["a_dibao"], CASE_YEAR)] == [
        ("li", getpass.getuser(), "returns")
    ]


def test_export_outcomes_writes_the_cohort_workbook(cli, db, followed, tmp_path):
    import openpyxl

    out = tmp_path / "outcomes.xlsx"
    result = cli("export", "--db", db, "--year", CASE_YEAR, "--out", out, "--outcomes")
    assert result.exit_code == 0, result.output
    assert "people first flagged: 6" in result.output
    assert "entered monitoring/dibao 2, risk eliminated 1, poorer category 1" in result.output
    sheet = openpyxl.load_workbook(out)["成效"]
    rows = [list(r) for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert rows[0][:4] == ["分组", "人数", "已满12个月", "纳入监测/低保/特困"]
    assert rows[1][:2] == ["全部", 6] and rows[1][3] == 2
    assert rows[2][:2] == ["已获救助", 1]
    assert not any(isinstance(v, str) and v.startswith("2301") for r in rows for v in r)  # no IDs
    refused = cli("export", "--db", db, "--year", CASE_YEAR, "--out", tmp_path / "o.csv",
                  "--outcomes")  # fmt: skip
    assert refused.exit_code == 2 and "must end in .xlsx" in refused.output
