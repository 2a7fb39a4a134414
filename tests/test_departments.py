"""Pushes to the departments that decide (`oopwatch push`) and their decisions back
(`oopwatch feedback`), on the hand-made case store (Heilongjiang, 2026).

The reference income for 2026 there is the national 2024 figure, 23,119 yuan (no 2025 figure,
none of Heilongjiang's), so with rules/push.toml's defaults the return-to-poverty line
(out-of-poverty and monitored people, 50%) is 11,559.50 and the falling-into-poverty line
(others, 100%) 23,119.00. On the 2026 list: a_high 25,000.00 (out of poverty, high),
b_medium 15,000.00 and a_formula 12,000.00 (out of poverty): pushed as 返贫预警; a_dibao
10,500.00 (dibao) and b_general 11,000.00 (general): under 23,119.00, not pushed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl

from pipeline import labels
from pipeline.access import activity
from pipeline.rules import RULES_DIR
from tests.conftest import CASE_YEAR, CLAIM_HEADER, make_id, person_key, snapshot_sql, write_csv

TODAY = dt.date.today()


def key(db: Path, person_id: str, year: int = CASE_YEAR) -> str:
    return f"{year}-{person_key(db, person_id)}"


def push(cli, db: Path, out: Path, *args: str):  # noqa: ANN001, ANN201
    result = cli("push", "--db", db, "--out", out, "--year", CASE_YEAR, *args)
    assert result.exit_code == 0, result.output
    return result


def pushed_rows(path: Path) -> tuple[list[str], list[list[object]]]:
    """Header and rows of a pushed workbook's list sheet."""
    sheet = openpyxl.load_workbook(path)["推送名单"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return rows[0], rows[1:]


def test_push_carries_the_warnings_over_their_lines(cli, db, case_store, tmp_path, query):
    ids = case_store
    out = tmp_path / "civil.xlsx"
    result = push(cli, db, out, "--to", "civil")
    assert "rows: 3 (返贫预警 3, 致贫预警 0)" in result.output
    assert "not pushed: 2 under_line" in result.output
    header, rows = pushed_rows(out)
    assert header[:3] == ["推送编号", "序号", "预警类型"]
    assert header[-4:] == ["核查结果", "核查日期", "说明", "救助金额（元）"]
    col = {h: i for i, h in enumerate(header)}
    got = [
        (r[col["序号"]], r[col["预警类型"]], r[col["案件编号"]], r[col["身份证号（脱敏）"]],
         r[col["人员类别"]], r[col["年度个人负担（元）"]], r[col["预警线（元）"]],
         r[col["新增/变化"]])
        for r in rows
    ]  # fmt: skip
    masked = {k: ids[k][:4] + "*" * 10 + ids[k][-4:] for k in ids}
    assert got == [
        (1, "返贫预警", key(db, ids["a_high"]), masked["a_high"], "脱贫人口", 25000, 11559.5,
         "新增"),
        (2, "返贫预警", key(db, ids["b_medium"]), masked["b_medium"], "脱贫人口", 15000, 11559.5,
         "新增"),
        (3, "返贫预警", key(db, ids["a_formula"]), masked["a_formula"], "脱贫人口", 12000,
         11559.5, "新增"),
    ]  # fmt: skip
    assert all(r[col["核查结果"]] is None for r in rows)
    assert rows[0][col["触发规则"]] == "超过监测线"  # Heilongjiang: the flat line only
    # logged: the push and who was on it, as the department saw them
    (push_id, seq, dept, region, n, sha, full) = query(
        "SELECT push_id, seq, department, region, rows, sha256, full_ids FROM pushes"
    )[0]
    assert (seq, dept, region, n, full) == (1, "civil", "", 3, False)
    assert sha == hashlib.sha256(out.read_bytes()).hexdigest()
    assert rows[0][col["推送编号"]] == push_id
    assert query(
        "SELECT row_no, person_id, warning_type, oop, line, change FROM push_rows ORDER BY row_no"
    ) == [
        (1, ids["a_high"], "return_to_poverty", Decimal("25000.00"), Decimal("11559.50"), "new"),
        (2, ids["b_medium"], "return_to_poverty", Decimal("15000.00"), Decimal("11559.50"), "new"),
        (3, ids["a_formula"], "return_to_poverty", Decimal("12000.00"), Decimal("11559.50"), "new"),
    ]  # fmt: skip
    # audited with the file's sha256, IDs masked
    entry = activity.entries(db, action="push")[0]
    assert (entry.rows, entry.sha256, entry.full_ids) == (3, sha, False)
    assert push_id in entry.detail
    # the hidden sheet names the push for the answers to come back
    hidden = openpyxl.load_workbook(out)[labels.HIDDEN_SHEET]
    facts = {r[0]: r[1] for r in hidden.iter_rows(values_only=True)}
    assert (facts["kind"], facts["push_id"], facts["department"]) == ("push", push_id, "civil")


def test_a_county_push_as_csv_with_a_bom(cli, db, case_store, tmp_path):
    out = tmp_path / "b.csv"
    result = push(cli, db, out, "--to", "rural", "--region", "230125", "--lang", "en")
    assert "rows: 1 (返贫预警 1, 致贫预警 0)" in result.output
    assert "not pushed: 1 under_line" in result.output
    content = out.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Push", "No.", "Warning type"]
    assert rows[1][2] == "Risk of return to poverty"
    assert rows[1][rows[0].index("Warning line (yuan)")] == "11559.50"
    assert rows[1][rows[0].index("Case key")] == key(db, case_store["b_medium"])


def test_the_warning_lines_are_rules_data(cli, db, case_store, tmp_path, query):
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    text = (rules / "push.toml").read_text(encoding="utf-8")
    (rules / "push.toml").write_text(text.replace('share = "1.0"', 'share = "0.4"'), "utf-8")
    push(cli, db, tmp_path / "x.xlsx", "--to", "civil", "--rules", rules)
    # 40% of 23,119 = 9,247.60: the dibao (high) and the general person are now 致贫预警
    assert query(
        "SELECT person_id, warning_type, line FROM push_rows WHERE warning_type <> "
        "'return_to_poverty' ORDER BY row_no"
    ) == [
        (case_store["a_dibao"], "fall_into_poverty", Decimal("9247.60")),
        (case_store["b_general"], "fall_into_poverty", Decimal("9247.60")),
    ]


def test_since_last_carries_only_the_new_and_the_changed(cli, db, case_store, tmp_path, query):
    ids = case_store
    push(cli, db, tmp_path / "1.xlsx", "--to", "civil")
    again = push(cli, db, tmp_path / "2.xlsx", "--to", "civil", "--since-last")
    assert "rows: 0 " in again.output and "not pushed: 3 unchanged" in again.output
    # a week later: b_below's new claim puts them over (9,000 + 5,000), a_formula is now
    # monitored on the roster (same warning type, another category)
    week = tmp_path / "week2"
    claim = ("C6-9", ids["b_below"], "2026-07-01", "outpatient", "5000.00", "0", "0", "0")
    write_csv(week / "claims.csv", CLAIM_HEADER, [claim])
    write_csv(
        week / "roster.csv",
        ["person_id", "name", "household_id", "village_code", "category"],
        [(ids["a_formula"], "公式", "H2", "230124100201", "monitored")],
    )
    assert cli("ingest", week, "--db", db).exit_code == 0
    third = push(cli, db, tmp_path / "3.xlsx", "--to", "civil", "--since-last")
    assert "rows: 2 " in third.output and "not pushed: 2 unchanged" in third.output
    assert query(
        "SELECT person_id, category, change FROM push_rows r JOIN pushes p USING (push_id) "
        "WHERE p.seq = 3 ORDER BY row_no"
    ) == [(ids["b_below"], "out_of_poverty", "new"), (ids["a_formula"], "monitored", "changed")]
    # another department has had nothing yet: everyone is new to it
    rural = push(cli, db, tmp_path / "r.xlsx", "--to", "rural", "--since-last")
    assert "rows: 4 " in rural.output
    assert query("SELECT department, seq, since_last, rows FROM pushes ORDER BY made_at") == [
        ("civil", 1, False, 3), ("civil", 2, True, 0), ("civil", 3, True, 2), ("rural", 1, True, 4),
    ]  # fmt: skip


def test_full_ids_need_a_reason_which_is_logged(cli, db, case_store, tmp_path):
    out = tmp_path / "full.xlsx"
    refused = cli("push", "--db", db, "--to", "civil", "--out", out, "--full-ids")
    assert refused.exit_code == 2 and "--full-ids needs --reason" in refused.output
    assert not out.exists()
    push(cli, db, out, "--to", "civil", "--full-ids", "--reason", "2026年数据共享协议第3条")
    header, rows = pushed_rows(out)
    assert rows[0][header.index("身份证号")] == case_store["a_high"]
    entry = activity.entries(db, action="push")[0]
    assert entry.full_ids and "2026年数据共享协议第3条" in entry.detail
    assert not any(pid in (entry.detail + (entry.filters or "")) for pid in case_store.values())


# ---------------------------------------------------------------- feedback

FEEDBACK_HEADER = ["身份证号", "案件编号", "核查结果", "核查日期", "反馈部门", "说明", "救助金额"]


def feedback(cli, db: Path, *files: Path, department: str | None = None):  # noqa: ANN001, ANN201
    args = ["feedback", *files, "--db", db]
    if department:
        args += ["--department", department]
    return cli(*args)


def test_every_decision_code_loads_from_a_departments_own_extract(
    cli, db, case_store, tmp_path, query
):
    ids = case_store
    push(cli, db, tmp_path / "p.xlsx", "--to", "civil")
    rows = [
        (ids["a_high"], "", "纳入低保", "2026-11-02", "民政", "", ""),
        (ids["b_medium"], "", "monitored", "2026/11/03", "civil", "", ""),
        (ids["a_formula"], "", "纳入特困", "2026年11月4日", "", "", ""),
        (ids["a_dibao"], "", "风险消除", "20261105", "", "病情好转", ""),
        (ids["b_general"], "", "not eligible", "2026-11-06", "", "家庭收入超标", ""),
        (ids["b_below"], "", "已救助", "2026-11-07", "", "", "¥2,000.50"),
        ("", key(db, ids["a_2025"], 2025), "verifying", "2026-11-08", "", "", ""),
    ]
    path = write_csv(tmp_path / "民政反馈.csv", FEEDBACK_HEADER, rows, encoding="utf-8-sig")
    result = feedback(cli, db, path, department="civil")
    assert result.exit_code == 0, result.output
    assert "read 7, loaded 7, rejected 0" in result.output
    push_id = query("SELECT push_id FROM pushes")[0][0]
    assert query(
        "SELECT person_id, year, department, decision, decided_on, reason, amount, push_id "
        'FROM decisions ORDER BY "row"'
    ) == [
        (ids["a_high"], 2026, "civil", "dibao", dt.date(2026, 11, 2), None, None, push_id),
        (ids["b_medium"], 2026, "civil", "monitored", dt.date(2026, 11, 3), None, None, push_id),
        (ids["a_formula"], 2026, "civil", "destitute", dt.date(2026, 11, 4), None, None, push_id),
        (ids["a_dibao"], 2026, "civil", "risk_eliminated", dt.date(2026, 11, 5), "病情好转", None,
         None),
        (ids["b_general"], 2026, "civil", "not_eligible", dt.date(2026, 11, 6), "家庭收入超标",
         None, None),
        (ids["b_below"], 2026, "civil", "assisted", dt.date(2026, 11, 7), None,
         Decimal("2000.50"), None),
        (ids["a_2025"], 2025, "civil", "verifying", dt.date(2026, 11, 8), None, None, None),
    ]  # fmt: skip
    # the same file again changes nothing; its rows in another file add nothing either
    again = feedback(cli, db, path, department="civil")
    assert "already read" in again.output
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes() + b"\n")
    third = feedback(cli, db, copy, department="civil")
    assert "read 7, loaded 7 (7 already recorded), rejected 0" in third.output
    assert query("SELECT count(*) FROM decisions") == [(7,)]


def test_a_later_decision_supersedes_and_both_are_kept(cli, db, case_store, tmp_path, query):
    pid = case_store["a_high"]
    push(cli, db, tmp_path / "p.xlsx", "--to", "civil")
    first = write_csv(tmp_path / "1.csv", FEEDBACK_HEADER,
                      [(pid, "", "verifying", "2026-11-01", "民政", "", "")])  # fmt: skip
    second = write_csv(tmp_path / "2.csv", FEEDBACK_HEADER,
                       [(pid, "", "dibao", "2026-11-20", "民政", "", "")])  # fmt: skip
    late = write_csv(tmp_path / "3.csv", FEEDBACK_HEADER,  # sent late, dated before
                     [(pid, "", "not_eligible", "2026-11-10", "民政", "收入超标", "")])  # fmt: skip
    rural = write_csv(tmp_path / "4.csv", FEEDBACK_HEADER,  # the other department's own
                      [(pid, "", "monitored", "2026-11-05", "乡村振兴", "", "")])  # fmt: skip
    for path in (first, second, late, rural):
        assert feedback(cli, db, path).exit_code == 0
    assert query(
        "SELECT decision_id, department, decision, superseded_by FROM decisions "
        "ORDER BY decision_id"
    ) == [
        (1, "civil", "verifying", 2),
        (2, "civil", "dibao", None),
        (3, "civil", "not_eligible", 2),
        (4, "rural", "monitored", None),
    ]


def test_every_rejected_row_with_its_reason(cli, db, case_store, tmp_path, query):
    ids = case_store
    k = key(db, ids["a_high"])
    masked = ids["a_high"][:4] + "*" * 10 + ids["a_high"][-4:]
    stranger = make_id(999, county="230124")
    rows = [
        (ids["a_high"], "", "dibao", "2026-11-02", "民政", "", ""),  # 2: ok
        (masked, "", "dibao", "2026-11-02", "民政", "", ""),  # 3: no_person (masked ID)
        ("", "2026-0123456789abcdef", "dibao", "2026-11-02", "民政", "", ""),  # 4: unknown_key
        (stranger, "", "dibao", "2026-11-02", "民政", "", ""),  # 5: unknown_person
        (ids["b_medium"], k, "dibao", "2026-11-02", "民政", "", ""),  # 6: key_id_mismatch
        (ids["a_high"], "", "", "2026-11-02", "民政", "说了", ""),  # 7: missing_decision
        (ids["a_high"], "", "maybe", "2026-11-02", "民政", "", ""),  # 8: unknown_decision
        (ids["a_high"], "", "dibao", "", "民政", "", "100"),  # 9: missing_date
        (ids["a_high"], "", "dibao", "2026-13-45", "民政", "", ""),  # 10: bad_date
        (ids["a_high"], "", "dibao", "2099-01-01", "民政", "", ""),  # 11: future_date
        (ids["a_high"], "", "dibao", "2026-11-02", "卫健委", "", ""),  # 12: unknown_department
        (ids["a_high"], "", "dibao", "2026-11-02", "", "", ""),  # 13: missing_department
        (ids["a_high"], "", "not_eligible", "2026-11-02", "民政", "", ""),  # 14: missing_reason
        (ids["a_high"], "", "assisted", "2026-11-02", "民政", "", "12.345"),  # 15: bad_amount
        (ids["a_high"], "", "assisted", "2026-11-02", "民政", "", "-5"),  # 16: negative_amount
        (ids["a_high"], "", "assisted", "2026-11-02", "民政", "", ""),  # 17: missing_amount
        (ids["a_high"], k, "", "", "", "", ""),  # 18: unanswered
    ]
    path = write_csv(tmp_path / "checks.csv", FEEDBACK_HEADER, rows)
    result = feedback(cli, db, path)
    assert result.exit_code == 0, result.output
    assert "read 16, loaded 1, rejected 15, unanswered 1" in result.output
    assert query('SELECT "row", reason FROM feedback_rejects ORDER BY "row"') == [
        (3, "no_person"), (4, "unknown_key"), (5, "unknown_person"), (6, "key_id_mismatch"),
        (7, "missing_decision"), (8, "unknown_decision"), (9, "missing_date"), (10, "bad_date"),
        (11, "future_date"), (12, "unknown_department"), (13, "missing_department"),
        (14, "missing_reason"), (15, "bad_amount"), (16, "negative_amount"),
        (17, "missing_amount"),
    ]  # fmt: skip
    assert set(labels.FEEDBACK_REASONS) - {"formula_without_value"} == {
        r for (r,) in query("SELECT DISTINCT reason FROM feedback_rejects")
    }
    rejected = " ".join(raw for (raw,) in query("SELECT raw || detail FROM feedback_rejects"))
    assert ids["a_high"] not in rejected and stranger not in rejected  # IDs masked
    assert query("SELECT rows_read, rows_loaded, rows_rejected FROM feedback_files") == [
        (16, 1, 15)
    ]


def test_the_pushed_workbook_filled_in_comes_back(cli, db, case_store, tmp_path, query):
    ids = case_store
    out = tmp_path / "civil.xlsx"
    push(cli, db, out, "--to", "civil")
    book = openpyxl.load_workbook(out)
    sheet = book["推送名单"]
    header = [c.value for c in sheet[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    sheet.cell(2, col["核查结果"], "纳入防返贫监测")
    sheet.cell(2, col["核查日期"], dt.datetime(2026, 11, 20))
    sheet.cell(3, col["核查结果"], "已救助")
    sheet.cell(3, col["核查日期"], "2026-11-21")
    sheet.cell(3, col["救助金额（元）"], 1234.5)
    filled = tmp_path / "civil_back.xlsx"
    book.save(filled)
    result = feedback(cli, db, filled)
    assert "read 2, loaded 2, rejected 0, unanswered 1" in result.output
    push_id = query("SELECT push_id FROM pushes")[0][0]
    assert query(
        "SELECT person_id, department, decision, decided_on, amount, push_id, case_key "
        "FROM decisions ORDER BY \"row\""
    ) == [
        (ids["a_high"], "civil", "monitored", dt.date(2026, 11, 20), None, push_id,
         key(db, ids["a_high"])),
        (ids["b_medium"], "civil", "assisted", dt.date(2026, 11, 21), Decimal("1234.50"),
         push_id, key(db, ids["b_medium"])),
    ]  # fmt: skip
    assert query("SELECT push_id, department FROM feedback_files") == [(push_id, "civil")]


def test_a_formula_without_a_saved_value_is_rejected(cli, db, case_store, tmp_path, query):
    """A workbook filled by a program (openpyxl saves formulas without their values)."""
    path = tmp_path / "formula.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(FEEDBACK_HEADER)
    sheet.append([case_store["a_high"], "", "assisted", "2026-11-02", "民政", "", "=1000+500"])
    book.save(path)
    result = feedback(cli, db, path)
    assert "read 1, loaded 0, rejected 1" in result.output
    assert query('SELECT "row", reason, detail FROM feedback_rejects') == [
        (2, "formula_without_value", "cell G2 holds a formula with no saved value: open and "
         "save the file in Excel or WPS, or type the value")
    ]  # fmt: skip


def test_a_file_without_the_feedback_columns_is_refused(cli, db, case_store, tmp_path, query):
    path = write_csv(tmp_path / "other.csv", ["姓名", "结果"], [("张三", "ok")])
    result = feedback(cli, db, path)
    assert result.exit_code == 2
    assert "other.csv" in result.output and "核查结果" in result.output
    assert query("SELECT count(*) FROM feedback_files") == [(0,)]


def test_a_push_or_answer_committed_but_not_published_is_published_next(
    cli, db, case_store, tmp_path, monkeypatch
):
    """Killed between the COMMIT and the publish: the next start publishes the store (the
    snapshot's state counts pushes and answer files, as it counts exports and returns)."""
    from pipeline import serve, store

    def killed(con, db):  # noqa: ANN001, ANN202
        con.close()

    def published_again() -> None:
        said: list[str] = []
        serve.ensure_snapshot(db, echo=said.append, demo=False)
        assert any("behind the store" in s for s in said), said

    with monkeypatch.context() as patched:
        patched.setattr(store, "close_and_publish", killed)
        push(cli, db, tmp_path / "p.xlsx", "--to", "civil")
    assert snapshot_sql(db, "SELECT count(*) FROM pushes") == [(0,)]  # not published
    published_again()
    assert snapshot_sql(db, "SELECT count(*) FROM pushes") == [(1,)]
    row = (case_store["a_high"], "", "dibao", "2026-11-02", "民政", "", "")
    path = write_csv(tmp_path / "f.csv", FEEDBACK_HEADER, [row])
    with monkeypatch.context() as patched:
        patched.setattr(store, "close_and_publish", killed)
        assert "loaded 1" in feedback(cli, db, path).output
    assert snapshot_sql(db, "SELECT count(*) FROM decisions") == [(0,)]
    published_again()
    assert snapshot_sql(db, "SELECT count(*) FROM decisions") == [(1,)]


def test_the_demo_pushes_each_week_and_reads_the_departments_answers(tmp_path, query):
    """`oopwatch serve`'s demo: the committed sample imported week by week, each week's
    warnings pushed to both departments dated by the data, then the departments' answers
    that `oopwatch generate` wrote (sample_data/departments/) read: every row loaded but the
    two a person would get wrong."""
    from pipeline import serve
    from pipeline.cases import tracking
    from tests.conftest import REPO

    db = tmp_path / "demo.duckdb"
    said: list[str] = []
    serve.build_demo(db, REPO / "sample_data", echo=said.append)
    con = duckdb.connect(str(db), read_only=True)
    try:
        pushes = con.execute(
            "SELECT department, seq, CAST(made_at AS DATE), since_last FROM pushes "
            "ORDER BY made_at, department"
        ).fetchall()
        files = con.execute(
            "SELECT department, rows_read, rows_loaded, rows_rejected FROM feedback_files "
            "ORDER BY feedback_id"
        ).fetchall()
        rejects = con.execute("SELECT reason FROM feedback_rejects ORDER BY feedback_id").fetchall()
        unknown = con.execute(
            "SELECT count(*) FROM decisions ANTI JOIN people USING (person_id)"
        ).fetchall()
        funnel = tracking.funnel(con, 2026, "", 0).iloc[0]
    finally:
        con.close()
    weeks = [dt.date(2026, 11, 6), dt.date(2026, 11, 13), dt.date(2026, 11, 20)]
    assert pushes == [
        (dept, n + 1, day, True) for n, day in enumerate(weeks) for dept in ("civil", "rural")
    ]
    assert files == [("civil", 9, 8, 1), (None, 38, 37, 1)]  # (rural says so per row)
    assert rejects == [("no_person",), ("missing_amount",)]
    assert unknown == [(0,)]
    assert funnel["pushed"] > 0 and funnel["verified"] > 0 and funnel["included"] > 0
    assert any("civil.csv: 9 answers read, 8 loaded, 1 rejected" in s for s in said)


def test_everyone_on_the_list_is_pushed_or_counted_as_left_out(
    cli, db, case_store, tmp_path, query
):
    """Someone listed with no claims and no enrolment that year (coverage_gap once the
    enrolment extract covers 2026: no person-year) is counted as under the line, not lost:
    pushed + left out = the year's list."""
    newcomer = make_id(990, county="230124")
    week = tmp_path / "week2"
    roster = ["person_id", "name", "household_id", "village_code", "category"]
    write_csv(week / "roster.csv", roster, [(newcomer, "周九", "H99", "230124100201", "monitored")])
    enrolment = ["person_id", "year", "scheme", "status"]
    write_csv(
        week / "enrolment.csv", enrolment, [(case_store["a_high"], 2026, "residents", "active")]
    )
    assert cli("ingest", week, "--db", db).exit_code == 0
    assert query("SELECT rules FROM watchlist WHERE year = 2026 AND person_id = ?", [newcomer]) == [
        ("coverage_gap",)
    ]
    assert query("SELECT count(*) FROM person_year WHERE person_id = ?", [newcomer]) == [(0,)]
    listed = query("SELECT count(*) FROM watchlist WHERE year = 2026")[0][0]
    result = push(cli, db, tmp_path / "p.xlsx", "--to", "rural")
    pushed = int(re.search(r"rows: (\d+) ", result.output).group(1))
    left = sum(int(n) for n in re.findall(r"not pushed: (\d+) ", result.output))
    assert pushed == 3 and pushed + left == listed
