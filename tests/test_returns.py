"""`oopwatch returns`: filled-in watch-lists back into case events, statuses and the funnel."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from pipeline import schema, store
from pipeline.cases import returns
from tests.conftest import CASE_YEAR, list_headers, person_key

TODAY = dt.date.today()
# the list's columns when the roster has no phone numbers (the phone column is left out)
ZH_HEADERS = list_headers(0)
UNKNOWN_KEY = f"{CASE_YEAR}-0123456789abcdef"
VISIT_DATE = ZH_HEADERS.index("走访日期")  # 0-based; the outcome follows it
AMOUNT_COLUMN = get_column_letter(ZH_HEADERS.index("救助金额（元）") + 1)


def case_key(db: Path, person_id: str, year: int = CASE_YEAR) -> str:
    return f"{year}-{person_key(db, person_id)}"


def export_xlsx(cli, db: Path, out: Path, *args: str) -> Path:
    result = cli("export", "--db", db, "--year", CASE_YEAR, "--out", out, *args)
    assert result.exit_code == 0, result.output
    return out


def data_rows(sheet) -> list[list[object]]:
    return [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]


def write_rows(sheet, rows: list[list[object]]) -> None:
    """Overwrite the data rows (row 2 on) with ``rows``, as a sort in Excel would."""
    sheet.delete_rows(2, sheet.max_row)
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            sheet.cell(r, c, value)


def fill(sheet, key: str, **follow: object) -> int:
    """Fill the follow-up cells of the row holding ``key``; its row number."""
    headers = [c.value for c in sheet[1]]
    names = {
        "date": "走访日期",
        "outcome": "走访结果",
        "amount": "救助金额（元）",
        "notes": "备注",
    }
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == key:
            for name, value in follow.items():
                row[headers.index(names[name])].value = value
            return row[0].row
    raise AssertionError(f"no row has {key}")


def row_of(sheet, key: str) -> int:
    return next(r[0].row for r in sheet.iter_rows(min_row=2) if r[0].value == key)


def run_returns(cli, db: Path, *files: Path):
    return cli("returns", *files, "--db", db)


def snapshot(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(store.current_snapshot(db)), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def funnel(db: Path, region: str, as_of: dt.date) -> dict[str, int]:
    con = duckdb.connect(str(store.current_snapshot(db)), read_only=True)
    try:
        return returns.funnel(con, CASE_YEAR, region, as_of)
    finally:
        con.close()


@pytest.fixture
def filled(cli, db: Path, case_store: dict, tmp_path: Path) -> dict[str, object]:
    """An export sorted by name, one row deleted, four rows filled in (two of them wrong), one
    row with an unknown case key added; saved as a new file."""
    ids = case_store
    source = export_xlsx(cli, db, tmp_path / "list.xlsx")
    book = openpyxl.load_workbook(source)
    sheet = book["名单"]
    rows = sorted(data_rows(sheet), key=lambda r: r[2], reverse=True)  # sorted by name
    rows = [r for r in rows if r[0] != case_key(db, ids["a_formula"])]  # deleted
    write_rows(sheet, rows)
    rows_at = {
        "a_high": fill(
            sheet, case_key(db, ids["a_high"]), date=dt.date(2026, 3, 10), outcome="已获救助",
            amount=1500.5,
        ),
        "b_medium": fill(sheet, case_key(db, ids["b_medium"]), date="2026/3/11", outcome="已走访"),
        "a_dibao": fill(
            sheet, case_key(db, ids["a_dibao"]), date="2026年3月12日", outcome="去过了"
        ),
    }  # fmt: skip
    extra = sheet.max_row + 1
    sheet.cell(extra, 1, UNKNOWN_KEY)
    sheet.cell(extra, ZH_HEADERS.index("走访结果") + 1, "已走访")
    rows_at["unknown"] = extra
    out = tmp_path / "returned" / "list-filled.xlsx"
    out.parent.mkdir()
    book.save(out)
    export_id = snapshot(db, "SELECT export_id FROM exports")[0][0]
    return {"file": out, "rows": rows_at, "export_id": export_id, "book": book}


def test_round_trip(cli, db: Path, case_store: dict, filled: dict, query):
    ids = case_store
    result = run_returns(cli, db, filled["file"])
    assert result.exit_code == 0, result.output
    assert f"{filled['file']}: read 4, loaded 2, rejected 2, unfilled 1" in result.output
    assert "unknown_key 1, unknown_outcome 1" in result.output

    assert query(
        "SELECT rows_read, rows_loaded, rows_rejected, rows_unfilled, rows_unchanged, export_id,"
        " format FROM return_files"
    ) == [(4, 2, 2, 1, 0, filled["export_id"], "xlsx")]
    rejects = query('SELECT sheet, "row", reason, case_key, raw FROM return_rejects ORDER BY "row"')
    assert sorted((r[0], r[1], r[2]) for r in rejects) == sorted(
        [
            ("名单", filled["rows"]["a_dibao"], "unknown_outcome"),
            ("名单", filled["rows"]["unknown"], "unknown_key"),
        ]
    )
    assert not any(pid in r[4] for r in rejects for pid in ids.values()), "raw rows are masked"
    assert any("去过了" in r[4] and "2301********" in r[4] for r in rejects)

    events = query(
        'SELECT person_id, year, visit_date, outcome, assistance, sheet, "row", export_id'
        " FROM case_events ORDER BY person_id"
    )
    assert events == sorted(
        [
            (ids["a_high"], CASE_YEAR, dt.date(2026, 3, 10), "assistance_granted",
             Decimal("1500.50"), "名单", filled["rows"]["a_high"], filled["export_id"]),
            (ids["b_medium"], CASE_YEAR, dt.date(2026, 3, 11), "visited", None, "名单",
             filled["rows"]["b_medium"], filled["export_id"]),
        ]
    )  # fmt: skip

    stages = dict(query("SELECT person_id, stage FROM case_status WHERE year = ?", [CASE_YEAR]))
    assert stages == {
        ids["a_high"]: "helped",
        ids["b_medium"]: "visited",
        ids["a_dibao"]: "exported",
        ids["a_formula"]: "exported",
        ids["b_general"]: "exported",
    }
    assert query("SELECT stage FROM case_status WHERE year = 2025") == [("flagged",)]
    status = query(
        "SELECT last_visit_date, last_outcome, assistance_total, export_region, last_export_id"
        " FROM case_status WHERE person_id = ? AND year = ?",
        [ids["a_high"], CASE_YEAR],
    )
    assert status == [
        (dt.date(2026, 3, 10), "assistance_granted", Decimal("1500.50"), "", filled["export_id"])
    ]
    kinds = query(
        "SELECT kind FROM case_history WHERE person_id = ? AND year = ? ORDER BY happened_at, kind",
        [ids["a_high"], CASE_YEAR],
    )
    assert [k for (k,) in kinds] == ["list_entered", "exported", "outcome"]

    assert funnel(db, "23", TODAY) == {
        "flagged": 5, "exported": 5, "visited": 2, "helped": 1, "unreachable": 0, "moved": 0,
        "deceased": 0, "on_list": 5, "waiting": 0,
    }  # fmt: skip
    later = TODAY + dt.timedelta(days=15)
    assert funnel(db, "23", later)["waiting"] == 3
    assert funnel(db, "23", TODAY + dt.timedelta(days=14))["waiting"] == 0, "more than 14 days"
    assert funnel(db, "230125", later) == {
        "flagged": 2, "exported": 2, "visited": 1, "helped": 0, "unreachable": 0, "moved": 0,
        "deceased": 0, "on_list": 2, "waiting": 1,
    }  # fmt: skip
    assert funnel(db, "230124100201", later) == {
        "flagged": 2, "exported": 2, "visited": 1, "helped": 1, "unreachable": 0, "moved": 0,
        "deceased": 0, "on_list": 2, "waiting": 1,
    }  # fmt: skip

    # the same file again changes nothing
    before = query("SELECT count(*) FROM case_events"), query("SELECT count(*) FROM return_files")
    again = run_returns(cli, db, filled["file"])
    assert again.exit_code == 0, again.output
    assert "already returned" in again.output and "nothing changed" in again.output
    assert before == (
        query("SELECT count(*) FROM case_events"),
        query("SELECT count(*) FROM return_files"),
    )
    assert query("SELECT count(*) FROM return_rejects") == [(2,)]


def test_a_corrected_value_replaces_the_earlier_one(cli, db, case_store, filled, query, tmp_path):
    ids = case_store
    assert run_returns(cli, db, filled["file"]).exit_code == 0
    book = filled["book"]
    sheet = book["名单"]
    fill(sheet, case_key(db, ids["a_high"]), amount="2,000")
    fill(sheet, case_key(db, ids["a_dibao"]), outcome="无需帮扶")  # the bad outcome, corrected
    corrected = tmp_path / "list-corrected.xlsx"
    book.save(corrected)
    result = run_returns(cli, db, corrected)
    assert result.exit_code == 0, result.output
    assert "read 4, loaded 3 (1 already recorded), rejected 1, unfilled 1" in result.output
    current = query(
        "SELECT person_id, outcome, assistance FROM case_events WHERE superseded_by IS NULL"
        " ORDER BY person_id"
    )
    assert current == sorted(
        [
            (ids["a_high"], "assistance_granted", Decimal("2000.00")),
            (ids["b_medium"], "visited", None),
            (ids["a_dibao"], "no_need", None),
        ]
    )
    second = query("SELECT max(return_id) FROM return_files")[0][0]
    assert query(
        "SELECT assistance, superseded_by FROM case_events WHERE superseded_by IS NOT NULL"
    ) == [(Decimal("1500.50"), second)]
    assert query(
        "SELECT assistance_total, stage FROM case_status WHERE person_id = ? AND year = ?",
        [ids["a_high"], CASE_YEAR],
    ) == [(Decimal("2000.00"), "helped")]
    assert query(
        "SELECT count(*) FROM case_history WHERE person_id = ? AND kind = 'outcome'",
        [ids["a_high"]],
    ) == [(2,)], "the history keeps the superseded value"
    assert funnel(db, "", TODAY)["visited"] == 3


def test_same_values_from_another_file_add_nothing(cli, db, case_store, filled, query, tmp_path):
    ids = case_store
    assert run_returns(cli, db, filled["file"]).exit_code == 0
    source = tmp_path / "list.csv"
    export_xlsx(cli, db, source)
    with open(source, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows[1:]:
        if row[0] == case_key(db, ids["b_medium"]):
            row[VISIT_DATE : VISIT_DATE + 2] = ["2026-03-11", "visited"]
    back = tmp_path / "list-back.csv"
    with open(back, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    result = run_returns(cli, db, back)
    assert result.exit_code == 0, result.output
    assert "read 1, loaded 1 (1 already recorded), rejected 0, unfilled 4" in result.output
    assert query("SELECT count(*) FROM case_events") == [(2,)]
    assert query("SELECT format, export_id FROM return_files ORDER BY return_id") == [
        ("xlsx", filled["export_id"]),
        ("csv", None),
    ]


def write_return_csv(path: Path, rows: list[list[str]], headers: list[str] = ZH_HEADERS) -> Path:
    """A returned CSV in UTF-8 with BOM: the export's headers, only key and follow-ups given."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        for key, date, outcome, amount, notes in rows:
            writer.writerow([key, *[""] * (len(headers) - 5), date, outcome, amount, notes])
    return path


def test_every_check_with_its_reason(cli, db: Path, case_store: dict, tmp_path: Path, query):
    ids = case_store
    hi, dib, med, gen = (
        case_key(db, ids[k]) for k in ("a_high", "a_dibao", "b_medium", "b_general")
    )
    rows = [
        [hi, "2026年3月3日", "已走访", "", ""],  # 2: ok
        [dib, "20260304", "no_need", "0", "no help needed"],  # 3: ok, by code
        [med, "2026-03-05", "Could Not Reach", "", ""],  # 4: ok, English label
        [gen, "2026-13-45", "已走访", "", ""],  # 5: bad_visit_date
        [gen, "2099-01-01", "已走访", "", ""],  # 6: future_visit_date
        [gen, "2026-03-05", "maybe", "", ""],  # 7: unknown_outcome
        [gen, "2026-03-05", "", "", "came by"],  # 8: missing_outcome
        [gen, "2026-03-05", "已获救助", "12.345", ""],  # 9: bad_amount
        [gen, "2026-03-05", "已获救助", "abc", ""],  # 10: bad_amount
        [gen, "2026-03-05", "已获救助", "-5", ""],  # 11: negative_amount
        ["not-a-key", "2026-03-05", "已走访", "", ""],  # 12: unknown_key (malformed)
        [case_key(db, ids["b_below"]).replace("2026", "1999"), "", "已走访", "", ""],  # 13: ok
        [case_key(db, ids["b_general"]), "", "", "", ""],  # 14: unfilled
        ["", "", "已走访", "", ""],  # 15: unknown_key (no key)
    ]
    path = write_return_csv(tmp_path / "checks.csv", rows)
    result = run_returns(cli, db, path)
    assert result.exit_code == 0, result.output
    assert "read 13, loaded 4, rejected 9, unfilled 1" in result.output
    assert query('SELECT "row", reason FROM return_rejects ORDER BY "row"') == [
        (5, "bad_visit_date"),
        (6, "future_visit_date"),
        (7, "unknown_outcome"),
        (8, "missing_outcome"),
        (9, "bad_amount"),
        (10, "bad_amount"),
        (11, "negative_amount"),
        (12, "unknown_key"),
        (15, "unknown_key"),
    ]
    assert query(
        "SELECT person_id, year, visit_date, outcome, assistance, notes FROM case_events"
        ' ORDER BY "row"'
    ) == [
        (ids["a_high"], 2026, dt.date(2026, 3, 3), "visited", None, None),
        (ids["a_dibao"], 2026, dt.date(2026, 3, 4), "no_need", Decimal("0.00"), "no help needed"),
        (ids["b_medium"], 2026, dt.date(2026, 3, 5), "unreachable", None, None),
        (ids["b_below"], 1999, None, "visited", None, None),
    ]
    (rows_read, loaded, rejected) = query(
        "SELECT rows_read, rows_loaded, rows_rejected FROM return_files"
    )[0]
    assert rows_read == loaded + rejected


def test_workbook_rewritten_elsewhere_is_read_by_its_headers(cli, db, case_store, tmp_path, query):
    """A list copied into a new workbook (as WPS or a colleague might): a title row above the
    headers, English headers, columns reordered, no hidden sheet, numbers and dates as typed."""
    ids = case_store
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "我的名单"
    sheet.append(["第三网格 走访记录"])
    sheet.append(["Outcome", "Notes", "Name", "Case key", "Assistance (yuan)", "Visit date"])
    sheet.append(["已获救助", "住院救助", "张三", case_key(db, ids["a_high"]), 1234.5, 20260310])
    sheet.append([None, None, "李四", case_key(db, ids["a_dibao"]), None, None])
    sheet.append(["已走访", None, "王五", case_key(db, ids["b_medium"]), 100, dt.date(2026, 3, 9)])
    path = tmp_path / "rewritten.xlsx"
    book.save(path)
    result = run_returns(cli, db, path)
    assert result.exit_code == 0, result.output
    assert "read 2, loaded 2, rejected 0, unfilled 1" in result.output
    assert query(
        'SELECT "row", visit_date, outcome, assistance, notes, export_id FROM case_events'
        ' ORDER BY "row"'
    ) == [
        (3, dt.date(2026, 3, 10), "assistance_granted", Decimal("1234.50"), "住院救助", None),
        (5, dt.date(2026, 3, 9), "visited", Decimal("100.00"), None, None),
    ]


def test_unreadable_files_are_refused(cli, db: Path, case_store: dict, tmp_path: Path, query):
    fake = tmp_path / "notes.xlsx"
    fake.write_text("not a workbook", encoding="utf-8")
    result = run_returns(cli, db, fake)
    assert result.exit_code == 2
    assert str(fake) in result.output and "not a workbook" in result.output

    book = openpyxl.Workbook()
    book.active.append(["姓名", "走访结果"])
    other = tmp_path / "other.xlsx"
    book.save(other)
    result = run_returns(cli, db, other)
    assert result.exit_code == 2
    assert str(other) in result.output and "案件编号/Case key" in result.output

    book = openpyxl.Workbook()
    book.active.append(["案件编号", "姓名"])
    no_outcome = tmp_path / "no-outcome.xlsx"
    book.save(no_outcome)
    result = run_returns(cli, db, no_outcome)
    assert result.exit_code == 2
    assert "走访结果/Outcome" in result.output

    good = write_return_csv(
        tmp_path / "good.csv", [[case_key(db, case_store["a_high"]), "", "已走访", "", ""]]
    )
    result = run_returns(cli, db, good, fake)
    assert result.exit_code == 2, "one refused file refuses the whole command"
    assert query("SELECT count(*) FROM return_files") == [(0,)]
    assert query("SELECT count(*) FROM case_events") == [(0,)]


def test_cells_become_exact_text():
    assert returns.cell_text(1234.5) == "1234.50"
    assert returns.cell_text(0.1 + 0.2) == "0.30"
    assert returns.cell_text(1.234) == "1.234"
    assert returns.cell_text(20261103.0) == "20261103"
    assert returns.cell_text(dt.datetime(2026, 11, 3)) == "2026-11-03"
    assert returns.cell_text("'=SUM(A1)") == "=SUM(A1)"
    assert returns.cell_text("\u3000 ") is None
    assert schema.mask_text("id 23012419800101104X ok") == "id 2301**********104X ok"


def test_repeated_key_in_one_file_the_last_row_stands(cli, db, case_store, tmp_path, query):
    key = case_key(db, case_store["a_high"])
    rows = [
        [key, "2026-03-01", "已走访", "", ""],
        [key, "2026-03-01", "已走访", "", ""],  # the same again: adds nothing
        [key, "2026-03-08", "已获救助", "300", ""],  # later in the file: stands
    ]
    result = run_returns(cli, db, write_return_csv(tmp_path / "twice.csv", rows))
    assert "read 3, loaded 3 (1 already recorded), rejected 0, unfilled 0" in result.output
    assert query(
        'SELECT "row", outcome, superseded_by IS NULL FROM case_events ORDER BY "row"'
    ) == [(2, "visited", False), (4, "assistance_granted", True)]
    empty = write_return_csv(tmp_path / "empty.csv", [])
    result = run_returns(cli, db, empty)
    assert result.exit_code == 0, result.output
    assert "read 0, loaded 0, rejected 0, unfilled 0" in result.output


def test_dashboard_shows_stages_funnel_waiting_and_the_logs(
    cli, db: Path, case_store: dict, filled: dict, monkeypatch: pytest.MonkeyPatch
):
    """After an export and a return: the watch-list's follow-up column, the overview's funnel,
    the people waiting more than 14 days, and the quality page's export and return logs."""
    from streamlit.testing.v1 import AppTest

    from dashboard import data
    from tests.conftest import REPO

    assert run_returns(cli, db, filled["file"]).exit_code == 0
    # The export was made three weeks ago: three exported people now wait for an outcome.
    con = store.open_store(db)
    con.execute("UPDATE exports SET made_at = made_at - INTERVAL 21 DAY")
    store.run_script(con, "marts/case_status.sql")  # as every write does
    store.close_and_publish(con, db)
    monkeypatch.setenv("OOPWATCH_DB", str(db))
    snap = data.current(db)
    assert data.case_funnel(snap, CASE_YEAR, "23") == {
        "flagged": 5, "exported": 5, "visited": 2, "helped": 1, "unreachable": 0, "moved": 0,
        "deceased": 0, "on_list": 5, "waiting": 3,
    }  # fmt: skip
    waiting = data.waiting_cases(snap, CASE_YEAR, "23")
    ids = case_store
    assert sorted(waiting["person"]) == sorted(
        schema.mask_id(ids[k]) for k in ("a_dibao", "a_formula", "b_general")
    )
    assert set(waiting["days"]) == {21}

    app = str(REPO / "dashboard" / "app.py")
    at = AppTest.from_file(app, default_timeout=30).run()
    at.switch_page("views/watchlist.py").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    stage = dict(zip(table["身份证号（脱敏）"], table["跟进情况"], strict=True))
    assert stage[schema.mask_id(ids["a_high"])] == "已获帮扶"
    assert stage[schema.mask_id(ids["b_medium"])] == "已走访"
    assert stage[schema.mask_id(ids["a_dibao"])] == "已导出待走访"
    assert any("无走访结果：3 人" in e.label for e in at.expander)

    at = AppTest.from_file(app, default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label: m.value for m in at.metric}["导出超过14天无结果"] == "3"

    at = AppTest.from_file(app, default_timeout=30).run()
    at.switch_page("views/quality.py").run()
    assert not at.exception, [e.value for e in at.exception]
    logs = [df.value for df in at.dataframe if "操作" in df.value.columns]
    assert [list(f["操作"]) for f in logs] == [["returns", "export"]]
    returned = next(df.value for df in at.dataframe if "未填写行数" in df.value.columns)
    assert returned[["读取行数", "导入行数", "拒收行数", "未填写行数"]].values.tolist() == [
        [4, 2, 2, 1]
    ]


def test_a_file_exported_before_keys_is_still_returned(cli, db, case_store, tmp_path, query):
    """A store whose exports carry the old unkeyed case keys ({year}-{sha256(ID)[:16]}): opened by
    this version, its keys become keyed ones; a file with the old keys is still read back, and
    its outcomes are recorded under the new key. A made-up old-style key matches no one."""
    person = case_store["a_high"]
    out = export_xlsx(cli, db, tmp_path / "list.xlsx")
    assert out.exists()
    old = f"{CASE_YEAR}-{hashlib.sha256(person.encode()).hexdigest()[:16]}"
    con = duckdb.connect(str(db))  # as a store of the earlier version had it
    con.execute(
        "UPDATE export_rows SET case_key = year || '-' || left(sha256(person_id), 16), "
        "legacy_key = NULL"
    )
    con.execute("DELETE FROM meta WHERE key = 'case_keys'")
    con.close()
    store.open_store(db).close()
    assert query("SELECT case_key, legacy_key FROM export_rows WHERE person_id = ?", [person]) == [
        (case_key(db, person), old)
    ]
    stranger = f"{CASE_YEAR}-{hashlib.sha256(b'230124198001010000').hexdigest()[:16]}"
    rows = [[old, "2026-03-01", "已走访", "", ""], [stranger, "2026-03-01", "已走访", "", ""]]
    result = run_returns(cli, db, write_return_csv(tmp_path / "old.csv", rows))
    assert result.exit_code == 0, result.output
    assert query("SELECT case_key, person_id, outcome FROM case_events") == [
        (case_key(db, person), person, "visited")
    ]
    assert query("SELECT case_key, reason FROM return_rejects") == [(stranger, "unknown_key")]


def test_returned_amounts_follow_the_contract_grammar(cli, db, case_store, tmp_path, query):
    keys = [case_key(db, case_store[k]) for k in ("a_high", "a_dibao", "b_medium", "b_general")]
    rows = [
        [keys[0], "2026-03-01", "已获救助", "1e3", ""],  # 2: exponent
        [keys[1], "2026-03-01", "已获救助", "1_000", ""],  # 3: underscore
        [keys[2], "2026-03-01", "已获救助", "２,０００元", ""],  # 4: full-width, separator, 元
        [keys[3], "2026-03-01", "已获救助", "NaN", ""],  # 5
    ]
    result = run_returns(cli, db, write_return_csv(tmp_path / "amounts.csv", rows))
    assert result.exit_code == 0, result.output
    assert query('SELECT "row", reason FROM return_rejects ORDER BY 1') == [
        (2, "bad_amount"),
        (3, "bad_amount"),
        (5, "bad_amount"),
    ]
    assert query("SELECT assistance FROM case_events") == [(Decimal("2000.00"),)]


def test_a_formula_without_a_saved_value_is_rejected_and_two_answers_are_reported(
    cli, db, case_store, tmp_path, query
):
    """A workbook filled by a program (openpyxl saves formulas without their values): the
    formula cells were read as empty and the rows dropped as unfilled. And one case key
    answered twice with different outcomes: loaded, the last standing, and said."""
    source = export_xlsx(cli, db, tmp_path / "list.xlsx")
    book = openpyxl.load_workbook(source)
    sheet = book["名单"]
    formula_row = fill(sheet, case_key(db, case_store["a_high"]), amount="=1000+500")
    fill(sheet, case_key(db, case_store["b_medium"]), date="2026-03-02", outcome="已走访")
    twice = case_key(db, case_store["a_dibao"])
    fill(sheet, twice, date="2026-03-02", outcome="已走访")
    sheet.append([twice, *[None] * (VISIT_DATE - 1), "2026-03-03", "无需帮扶", None, None])
    out = tmp_path / "filled.xlsx"
    book.save(out)
    result = run_returns(cli, db, out)
    assert result.exit_code == 0, result.output
    assert query('SELECT "row", reason, detail FROM return_rejects') == [
        (
            formula_row,
            "formula_without_value",
            f"cell {AMOUNT_COLUMN}{formula_row} holds a formula with no saved value: open and "
            "save the file in Excel or WPS, or type the value",
        )
    ]
    last = sheet.max_row
    assert f"warning: case {twice} has different answers on rows" in result.output
    assert f"row {last} stands" in result.output
    assert query(
        "SELECT outcome FROM case_events WHERE case_key = ? AND superseded_by IS NULL", [twice]
    ) == [("no_need",)]


def test_outcomes_that_are_no_visit_are_their_own_stage(cli, db: Path, case_store, tmp_path, query):
    """无法联系 is no visit, 已迁出 and 已故 end a case: none of them counts as visited; each is
    its own stage in case_status, case_stages and the funnel."""
    ids = case_store
    hi, dib, med, gen = (
        case_key(db, ids[k]) for k in ("a_high", "a_dibao", "b_medium", "b_general")
    )
    rows = [
        [hi, "2026-03-03", "无法联系", "", ""],
        [dib, "2026-03-03", "已走访", "", ""],
        [dib, "2026-03-09", "已迁出", "", "moved to the city"],  # the latest outcome
        [med, "2026-03-05", "已故", "", ""],
        [gen, "2026-03-02", "无法联系", "", ""],
        [gen, "2026-03-06", "已走访", "", ""],  # reached on the second try
    ]
    assert run_returns(cli, db, write_return_csv(tmp_path / "r.csv", rows)).exit_code == 0
    expected = {
        ids["a_high"]: "unreachable",
        ids["a_dibao"]: "moved",
        ids["b_medium"]: "deceased",
        ids["b_general"]: "visited",
    }
    stages = dict(query("SELECT person_id, stage FROM case_status WHERE year = ?", [CASE_YEAR]))
    assert {p: stages[p] for p in expected} == expected
    assert stages[ids["a_formula"]] == "flagged"  # nothing was exported in this test
    live = dict(query("SELECT person_id, stage FROM case_stages WHERE year = ?", [CASE_YEAR]))
    assert {p: live[p] for p in expected} == expected
    assert funnel(db, "23", TODAY) == {
        "flagged": 5, "exported": 4, "visited": 1, "helped": 0, "unreachable": 1, "moved": 1,
        "deceased": 1, "on_list": 5, "waiting": 0,
    }  # fmt: skip


def test_the_person_page_shows_exports_visits_assistance_and_notes(
    cli, db: Path, case_store: dict, filled: dict, monkeypatch: pytest.MonkeyPatch
):
    from streamlit.testing.v1 import AppTest

    from dashboard import data
    from tests.conftest import REPO

    fill(filled["book"]["名单"], case_key(db, case_store["a_high"]), notes="家中有两位老人")
    filled["book"].save(filled["file"])
    assert run_returns(cli, db, filled["file"]).exit_code == 0
    monkeypatch.setenv("OOPWATCH_DB", str(db))
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=30).run()
    at.switch_page("views/person.py")
    at.query_params["person"] = data.person_token(data.current(db), case_store["a_high"])
    at.query_params["year"] = str(CASE_YEAR)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(df.value for df in at.table if "事项" in df.value.columns)
    rows = table.to_dict("records")
    assert rows[0]["事项"] == f"导出到走访名单 {filled['export_id']}"
    assert rows[1] == {
        "日期": "2026-03-10", "事项": "走访结果", "走访结果": "已获救助", "救助金额": "¥1,500.50",
        "备注": "家中有两位老人",
    }  # fmt: skip
