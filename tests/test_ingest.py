"""Ingest: validation reasons, corrections, reversals, matching, encodings, formats, atomicity."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard import data
from pipeline import flow, store
from tests.conftest import CLAIM_HEADER, ROSTER_HEADER, bad_check, make_id, write_csv

P1 = make_id(1)
P2 = make_id(2, county="530102")
PX = make_id(3, check="X")
VILLAGE = "230124100201"


def roster(path: Path, rows: list[tuple], encoding: str = "utf-8") -> Path:
    return write_csv(path, ROSTER_HEADER, rows, encoding)


def claims(path: Path, rows: list[tuple], header: list[str] = CLAIM_HEADER) -> Path:
    return write_csv(path, header, rows)


def oop_of(query, person_id: str, year: int = 2026) -> Decimal | None:
    rows = query("SELECT oop FROM person_year WHERE person_id = ? AND year = ?", [person_id, year])
    return rows[0][0] if rows else None


def test_every_reject_reason_with_line_and_totals_to_the_cent(tmp_path, db, query, staging):
    folder = tmp_path / "week1"
    roster(folder / "roster.csv", [(P1, "张三", "H1", VILLAGE, "dibao")])
    header = CLAIM_HEADER + ["in_scope_cost"]
    rows = [
        ("C1", P1, "2026-03-01", "inpatient", "20000.00", "8000.00", "1000.00", "500.50", ""),
        ("", P1, "2026-03-01", "outpatient", "1.00", "0", "0", "0", ""),
        ("C3", P1[:17], "2026-03-01", "outpatient", "1.00", "0", "0", "0", ""),
        ("C4", bad_check(P1), "2026-03-01", "outpatient", "1.00", "0", "0", "0", ""),
        ("C5", P1, "2026-02-30", "outpatient", "1.00", "0", "0", "0", ""),
        ("C6", P1, "2026-03-01", "spa", "1.00", "0", "0", "0", ""),
        ("C7", P1, "2026-03-01", "outpatient", "abc", "0", "0", "0", ""),
        ("C8", P1, "2026-03-01", "outpatient", "20.00", "10.123", "0", "0", ""),
        ("C9", P1, "2026-03-01", "outpatient", "20.00", "0", "0", "-5.00", ""),
        ("C10", P1, "2026-03-01", "outpatient", "100.00", "60.00", "30.00", "10.02", ""),
        ("C11", P1, "2026-03-01", "outpatient", "100.00", "60.00", "30.00", "10.01", ""),
        ("C12x", P1, "2026-03-01", "outpatient", "1", "0", "0", "0", "", "EXTRA"),
        ("C12", "ABCDEFGHIJKLMNOPQR", "2026-03-01", "outpatient", "1.00", "0", "0", "0", ""),
        ("C13", P1, "2026-03-01", "outpatient", "100.00", "0", "0", "0", "200.00"),
        ("C14", P1, "20260315", "住院", "1000.00", "500.00", "0", "0", "900.00"),
        ("C15", P1, "2026/03/16", "pharmacy", "88.80", "0", "0", "0", ""),
    ]
    write_csv(folder / "claims.csv", header, rows)

    report = flow.ingest([folder], db)

    by_file = {Path(f.file).name: f for f in report.files}
    assert (by_file["claims.csv"].rows_read, by_file["claims.csv"].rows_loaded) == (16, 4)
    assert by_file["claims.csv"].rows_rejected == 12
    assert (by_file["roster.csv"].rows_read, by_file["roster.csv"].rows_loaded) == (1, 1)
    rejected = query("SELECT line, reason FROM rejected_rows ORDER BY line")
    assert rejected == [
        (3, "missing_claim_id"),
        (4, "bad_id_length"),
        (5, "bad_id_checksum"),
        (6, "bad_date"),
        (7, "unknown_visit_type"),
        (8, "bad_amount"),
        (9, "bad_amount"),
        (10, "negative_amount"),
        (11, "payments_exceed_total"),
        (13, "malformed_row"),
        (14, "bad_id_format"),
        (15, "in_scope_exceeds_total"),
    ]
    raw = query("SELECT raw, detail FROM rejected_rows WHERE line = 8")[0]
    assert raw[0] == f"C7,{P1},2026-03-01,outpatient,abc,0,0,0,"
    assert "total_cost = abc" in raw[1]
    # The detail of an ID problem never repeats the ID.
    assert P1[:17] not in query("SELECT detail FROM rejected_rows WHERE line = 4")[0][0]
    row = query(
        "SELECT total_cost, basic_paid, critical_paid, assistance_paid, other_paid, oop, claims, "
        "inpatient_claims FROM person_year WHERE person_id = ?",
        [P1],
    )
    assert row == [
        (
            Decimal("21188.80"),
            Decimal("8560.00"),
            Decimal("1030.00"),
            Decimal("510.51"),
            Decimal("0.00"),
            Decimal("11088.29"),
            4,
            2,
        )
    ]
    files = query("SELECT file, rows_read, rows_loaded, rows_rejected FROM imports ORDER BY file")
    assert [(Path(f).name, r, lo, rej) for f, r, lo, rej in files] == [
        ("claims.csv", 16, 4, 12),
        ("roster.csv", 1, 1, 0),
    ]


def test_roster_and_enrolment_rejects(tmp_path, db, query):
    folder = tmp_path / "w"
    roster(
        folder / "roster.csv",
        [
            (P1, "张三", "H1", VILLAGE, "dibao"),
            (P2, "", "H2", VILLAGE, "dibao"),
            (PX, "李四", "H3", "2301241002", "dibao"),
            (make_id(40), "王五", "H4", VILLAGE, "rich"),
        ],
    )
    write_csv(
        folder / "enrolment.csv",
        ["person_id", "year", "scheme", "status", "subsidy"],
        [
            (P1, "2026", "residents", "active", "380.00"),
            (P1, "20x6", "residents", "active", ""),
            (P1, "2026", "residents", "paused", ""),
            (P1, "2026", "城乡居民医保", "正常参保", "-1"),
        ],
    )
    flow.ingest([folder], db)
    assert query("SELECT kind, line, reason FROM rejected_rows ORDER BY kind, line") == [
        ("enrolment", 3, "bad_year"),
        ("enrolment", 4, "unknown_status"),
        ("enrolment", 5, "negative_amount"),
        ("roster", 3, "missing_name"),
        ("roster", 4, "bad_village_code"),
        ("roster", 5, "unknown_category"),
    ]
    assert query("SELECT person_id, year, enrolled_active FROM person_year") == [(P1, 2026, True)]


def test_enrolment_is_the_latest_row_per_scheme_in_any_import(tmp_path, db, query):
    """A person-year is enrolled when the latest row of some scheme says active: a later
    suspension ends the residents' scheme (week 2), a later activation of another scheme counts
    (week 3), and a year only enrolment names still has its person-year, with no claims."""
    week = [tmp_path / f"w{n}" for n in (1, 2, 3)]
    write_csv(week[0] / "roster.csv", ROSTER_HEADER, [(P1, "张三", "H1", VILLAGE, "dibao")])
    header = ["person_id", "year", "scheme", "status", "subsidy"]
    write_csv(week[0] / "enrolment.csv", header, [
        (P1, "2026", "residents", "active", ""), (P1, "2025", "residents", "active", ""),
    ])  # fmt: skip
    write_csv(week[0] / "claims.csv", CLAIM_HEADER,
              [("C1", P1, "2026-03-01", "inpatient", "100.00", "0", "0", "0")])  # fmt: skip
    write_csv(week[1] / "enrolment.csv", header, [(P1, "2026", "residents", "suspended", "")])
    write_csv(week[2] / "enrolment.csv", header, [(P1, "2026", "employees", "active", "")])
    expected = [
        [(2025, True, 0), (2026, True, 1)],
        [(2025, True, 0), (2026, False, 1)],
        [(2025, True, 0), (2026, True, 1)],
    ]
    for folder, years in zip(week, expected, strict=True):
        flow.ingest([folder], db)
        assert (
            query("SELECT year, enrolled_active, claims FROM person_year ORDER BY year") == years
        ), folder.name


def test_correction_replaces_and_reversals_cancel_in_either_order(tmp_path, db, query):
    roster(tmp_path / "w1" / "roster.csv", [(P1, "张三", "H1", VILLAGE, "dibao")])
    claims(
        tmp_path / "w1" / "claims.csv",
        [
            ("C1", P1, "2026-01-10", "outpatient", "1000.00", "400.00", "0", "0"),
            ("C2", P1, "2026-01-11", "outpatient", "500.00", "0", "0", "0"),
            ("C3", P1, "2026-01-12", "outpatient", "300.00", "0", "0", "0"),
        ],
    )
    flow.ingest([tmp_path / "w1"], db)
    assert oop_of(query, P1) == Decimal("1400.00")

    header = CLAIM_HEADER + ["reverses"]
    write_csv(
        tmp_path / "w2" / "claims.csv",
        header,
        [
            ("C1", P1, "2026-01-10", "outpatient", "1000.00", "700.00", "0", "0", ""),
            ("R1", P1, "2026-01-20", "outpatient", "-500.00", "0", "0", "0", "C2"),
            ("R9", P1, "2026-01-21", "inpatient", "-2000.00", "0", "0", "0", "C99"),
        ],
    )
    flow.ingest([tmp_path / "w2"], db)
    assert oop_of(query, P1) == Decimal("600.00")  # C1 corrected to 300.00 + C3 300.00
    assert query("SELECT claims FROM person_year WHERE person_id = ?", [P1]) == [(2,)]
    assert query("SELECT claim_id, basic_paid FROM claim_rows_superseded") == [
        ("C1", Decimal("400.00"))
    ]

    # The claim that R9 reverses arrives after its reversal: it never counts.
    claims(
        tmp_path / "w3" / "claims.csv",
        [("C99", P1, "2026-01-05", "inpatient", "2000.00", "0", "0", "0")],
    )
    flow.ingest([tmp_path / "w3"], db)
    assert oop_of(query, P1) == Decimal("600.00")
    assert query("SELECT count(*) FROM claim_rows WHERE claim_id = 'C99'") == [(1,)]

    # Each import wrote its claim rows once, as a segment of its own (sorted by person_id) ...
    assert query("SELECT import_id, rows, first_file, last_file FROM claim_segments") == [
        (1, 3, 1, 1), (2, 3, 3, 3), (3, 1, 4, 4)
    ]  # fmt: skip
    assert query("SELECT person_id, year, len(log_rows) FROM claim_person_rows") == [(P1, 2026, 7)]
    # ... where the person page finds the claims in force: C1 as corrected and C3 (C2 and C99
    # are reversed)
    found = data.person_claims(str(store.current_snapshot(db)), P1, 2026)
    assert list(found["claim_id"]) == ["C1", "C3"]
    assert list(found["oop"]) == [Decimal("300.00"), Decimal("300.00")]


def test_same_claim_twice_in_one_import_keeps_the_later_row(tmp_path, db, query):
    roster(tmp_path / "w" / "roster.csv", [(P1, "张三", "H1", VILLAGE, "dibao")])
    claims(
        tmp_path / "w" / "claims.csv",
        [
            ("C1", P1, "2026-01-10", "outpatient", "100.00", "0", "0", "0"),
            ("C1", P1, "2026-01-10", "outpatient", "100.00", "40.00", "0", "0"),
        ],
    )
    flow.ingest([tmp_path / "w"], db)
    assert oop_of(query, P1) == Decimal("60.00")
    assert query("SELECT line FROM claim_rows_superseded") == [(2,)]


def test_unmatched_claims_count_once_a_roster_names_the_person(tmp_path, db, query, cli):
    claims(
        tmp_path / "w1" / "claims.csv",
        [("C1", P2, "2026-02-01", "inpatient", "5000.00", "3765.44", "0", "0")],
    )
    result = cli("ingest", tmp_path / "w1", "--db", db)
    assert result.exit_code == 0
    assert "未匹配 1 条（已保留，等待人员名单）" in result.output  # Chinese unless --lang en
    assert query("SELECT count(*) FROM person_year") == [(0,)]
    assert query("SELECT count(*) FROM unmatched_claims") == [(1,)]

    roster(tmp_path / "w2" / "roster.csv", [(P2, "赵六", "H9", "530102001201", "monitored")])
    result = cli("ingest", tmp_path / "w2", "--db", db)
    assert result.exit_code == 0
    assert oop_of(query, P2) == Decimal("1234.56")
    assert query("SELECT count(*) FROM unmatched_claims") == [(0,)]


def test_lowercase_x_is_the_same_person_and_latest_roster_row_wins(tmp_path, db, query):
    roster(tmp_path / "w1" / "roster.csv", [(PX, "钱七", "H1", VILLAGE, "dibao")])
    flow.ingest([tmp_path / "w1"], db)
    roster(tmp_path / "w2" / "roster.csv", [(PX.lower(), "钱七", "H1", VILLAGE, "monitored")])
    claims(
        tmp_path / "w2" / "claims.csv",
        [("C1", PX.lower(), "2026-02-01", "outpatient", "10.00", "0", "0", "0")],
    )
    flow.ingest([tmp_path / "w2"], db)
    assert query("SELECT person_id, category, oop FROM person_year") == [
        (PX, "monitored", Decimal("10.00"))
    ]


def test_oop_line_boundary_is_exact(tmp_path, db, query):
    a, b = make_id(11), make_id(12)
    roster(
        tmp_path / "w" / "roster.csv",
        [(a, "甲", "H1", VILLAGE, "dibao"), (b, "乙", "H2", VILLAGE, "dibao")],
    )
    claims(
        tmp_path / "w" / "claims.csv",
        [
            ("C1", a, "2026-05-01", "inpatient", "30000.00", "15000.00", "5000.00", "0"),
            ("C2", b, "2026-05-01", "inpatient", "30000.01", "15000.00", "5000.00", "0"),
        ],
    )
    flow.ingest([tmp_path / "w"], db)
    assert query("SELECT person_id, oop FROM person_year ORDER BY person_id") == sorted(
        [(a, Decimal("10000.00")), (b, Decimal("10000.01"))]
    )
    assert query("SELECT person_id FROM person_year WHERE oop > 10000") == [(b,)]


def test_bom_and_gb18030_with_chinese_headers_and_labels(tmp_path, db, query):
    roster(tmp_path / "w" / "roster.csv", [(P1, "张三", "H1", VILLAGE, "dibao")], "utf-8-sig")
    write_csv(
        tmp_path / "w" / "claims_gb.csv",
        ["结算流水号", " 身份证号 ", "结算日期", "就诊类型", "医疗总费用", "基本医保统筹支付",
         "大病保险支付", "医疗救助支付", "定点医疗机构", "经办人"],
        [
            ("G1", P1, "2026/05/01", "住院", "12345.67", "6000.00", "0", "345.67", "方正县人民医院",
             "王"),
            ("G2", P1, "20260502", "定点药店购药", " 20.00 ", "0", "0", "0", "大药房", "李"),
        ],
        "gb18030",
    )  # fmt: skip
    report = flow.ingest([tmp_path / "w"], db)
    gb = next(f for f in report.files if f.file.endswith("claims_gb.csv"))
    assert gb.encoding == "gb18030"
    assert gb.extra_columns == ["经办人"]
    assert query("SELECT name FROM person_year") == [("张三",)]
    assert oop_of(query, P1) == Decimal("6020.00")
    assert query("SELECT hospital, extra->>'经办人' FROM claim_rows ORDER BY claim_id") == [
        ("方正县人民医院", "王"),
        ("大药房", "李"),
    ]


def test_xlsx_first_sheet_with_title_row_and_parquet(tmp_path, db, query):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["方正县防止返贫监测对象名单"])
    ws.append(["身份证号", "姓名", "户编号", "村级区划代码", "人员类别"])
    ws.append([P1, "张三", "H1", VILLAGE, "低保对象"])
    ws.append([PX, "李四", "H2", VILLAGE, "unknown"])
    other = wb.create_sheet("ignored")
    other.append(["not", "read"])
    (tmp_path / "w").mkdir()
    wb.save(tmp_path / "w" / "roster.xlsx")
    table = pa.table(
        {
            "claim_id": ["P1", "P2"],
            "person_id": [P1, P1],
            "settle_date": pa.array([dt.date(2026, 6, 1), dt.date(2026, 6, 2)]),
            "visit_type": ["inpatient", "chronic"],
            "total_cost": [1234.5, 100.0],
            "basic_paid": [234.5, 50.25],
            "critical_paid": [0.0, 0.0],
            "assistance_paid": [0.0, 0.0],
        }
    )
    pq.write_table(table, tmp_path / "w" / "claims.parquet")
    report = flow.ingest([tmp_path / "w"], db)
    xlsx = next(f for f in report.files if f.file.endswith(".xlsx"))
    assert (xlsx.rows_read, xlsx.rows_loaded, xlsx.rows_rejected) == (2, 1, 1)
    assert query("SELECT line, reason FROM rejected_rows") == [(4, "unknown_category")]
    assert oop_of(query, P1) == Decimal("1049.75")


def test_line_numbers_survive_blank_lines_and_multiline_fields(tmp_path, db, query, staging):
    path = tmp_path / "w" / "claims.csv"
    path.parent.mkdir()
    path.write_text(
        ",".join(CLAIM_HEADER) + ",hospital\n"
        f"C1,{P1},2026-01-01,outpatient,1.00,0,0,0,a\n"
        "\n"
        f"C2,{P1},2026-01-01,outpatient,bad,0,0,0,b\n"
        f'C3,{P1},2026-01-01,outpatient,1.00,0,0,0,"two\nlines"\n'
        f"C4,{P1},2026-13-01,outpatient,1.00,0,0,0,c\n",
        encoding="utf-8",
    )
    report = flow.ingest([path], db)
    assert report.files[0].rows_read == 4
    assert query("SELECT line, reason FROM rejected_rows ORDER BY line") == [
        (4, "bad_amount"),
        (7, "bad_date"),
    ]


def test_reimport_of_the_same_content_changes_nothing(tmp_path, db, query, cli):
    roster(tmp_path / "w" / "roster.csv", [(P1, "张三", "H1", VILLAGE, "dibao")])
    claims(
        tmp_path / "w" / "claims.csv",
        [
            ("C1", P1, "2026-01-10", "outpatient", "10.00", "0", "0", "0"),
            ("C2", "bad", "2026-01-10", "outpatient", "10.00", "0", "0", "0"),
        ],
    )
    assert cli("ingest", tmp_path / "w", "--db", db).exit_code == 0
    before = query("SELECT (SELECT count(*) FROM imports), (SELECT count(*) FROM rejected_rows)")
    copy = tmp_path / "again" / "claims_copy.csv"
    copy.parent.mkdir()
    copy.write_bytes((tmp_path / "w" / "claims.csv").read_bytes())
    result = cli("ingest", tmp_path / "w", copy, "--db", db)
    assert result.exit_code == 0
    assert "已导入过" in result.output
    assert "没有新内容：所有文件都已导入过，数据没有变化。" in result.output
    english = cli("ingest", tmp_path / "w", copy, "--db", db, "--lang", "en")
    assert "already imported" in english.output and "nothing changed" in english.output
    assert (
        query("SELECT (SELECT count(*) FROM imports), (SELECT count(*) FROM rejected_rows)")
        == before
        == [(2, 1)]
    )


def test_missing_required_column_refuses_the_whole_import(tmp_path, db, query, cli):
    roster(tmp_path / "w" / "roster.csv", [(P1, "张三", "H1", VILLAGE, "dibao")])
    write_csv(
        tmp_path / "w" / "claims.csv",
        ["claim_id", "person_id", "settle_date", "visit_type", "basic_paid", "critical_paid",
         "assistance_paid"],
        [("C1", P1, "2026-01-01", "outpatient", "0", "0", "0")],
    )  # fmt: skip
    result = CliRunnerResult = cli("ingest", tmp_path / "w", "--db", db)
    assert CliRunnerResult.exit_code == 2
    message = result.output
    assert str(tmp_path / "w" / "claims.csv") in message
    assert "total_cost (医疗总费用)" in message
    assert "headers found: claim_id, person_id" in message
    assert "Nothing of this import was loaded" in message
    assert query("SELECT count(*) FROM imports") == [(0,)]
    assert query("SELECT count(*) FROM roster_rows") == [(0,)]


def test_unreadable_files_are_refused_with_the_file_named(tmp_path, db):
    binary = tmp_path / "claims.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(flow.ImportRefused, match=r"claims\.csv: binary content"):
        flow.ingest([binary], db)
    broken = tmp_path / "roster.xlsx"
    broken.write_bytes(b"this is not a zip file")
    with pytest.raises(flow.ImportRefused, match=r"roster\.xlsx: not a readable Excel"):
        flow.ingest([broken], db)
    unknown = tmp_path / "people.csv"
    unknown.write_text("a,b\n1,2\n")
    with pytest.raises(flow.ImportRefused, match="cannot tell the kind"):
        flow.ingest([unknown], db)


def _big_claims(path: Path, rows: int) -> None:
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT 'K' || i AS claim_id, '{P1}' AS person_id, '2026-01-01' AS settle_date,
                  'outpatient' AS visit_type, '10.00' AS total_cost, '1.00' AS basic_paid,
                  '0' AS critical_paid, '0' AS assistance_paid FROM range({rows}) t(i))
            TO '{path}' (HEADER, DELIMITER ',')"""
    )
    con.close()


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["storing claims", "claims: corrections"])
def test_killed_import_leaves_the_store_as_it_was(tmp_path, db, query, moment):
    """Killed while its claims' segment is written, or after it was written and before the
    COMMIT: the store is as it was, and the next opening removes the file no one lists."""
    roster(tmp_path / "w1" / "roster.csv", [(P1, "张三", "H1", VILLAGE, "dibao")])
    claims(
        tmp_path / "w1" / "claims.csv",
        [("C1", P1, "2026-01-10", "outpatient", "10.00", "0", "0", "0")],
    )
    flow.ingest([tmp_path / "w1"], db)
    state = "SELECT (SELECT count(*) FROM claim_rows), (SELECT count(*) FROM imports), " \
        "(SELECT sum(oop) FROM person_year)"  # fmt: skip
    before = query(state)
    big = tmp_path / "w2" / "claims_big.csv"
    big.parent.mkdir()
    _big_claims(big, 4_000_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "ingest", str(big), "--db", str(db), "-v"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if moment in line:
            break
    time.sleep(0.2)
    assert proc.poll() is None, "the import finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert query(state) == before
    segments = db.with_name(db.name + ".segments")
    assert "claims-00000002.parquet" in {p.name for p in segments.iterdir()}, "killed too late"
    store.open_store(db).close()
    assert sorted(p.name for p in segments.iterdir()) == ["claims-00000001.parquet"]
    report = flow.ingest([tmp_path / "w2"], db)
    assert report.files[0].rows_loaded == 4_000_000
    assert query("SELECT claims FROM person_year") == [(4_000_001,)]


def test_full_width_spaces_and_tabs_are_trimmed_and_unknown_divisions_counted(tmp_path, db, query):
    roster(
        tmp_path / "w" / "roster.csv",
        [
            (f"\u3000{P1}\t", "\u3000张三\u3000", " H1 ", VILLAGE, " 低保对象 "),
            (P2, "李四", "H2", "532822990201", "monitored"),
        ],
    )
    flow.ingest([tmp_path / "w"], db)
    assert query("SELECT person_id, name, household_id, category FROM people ORDER BY 1") == sorted(
        [(P1, "张三", "H1", "dibao"), (P2, "李四", "H2", "monitored")]
    )
    assert query("SELECT level, code, households, people FROM unknown_divisions") == [
        (4, "532822990", 1, 1)
    ]


def test_utf8_head_with_gb18030_further_on_is_read_as_gb18030(tmp_path, db, query):
    path = tmp_path / "roster.csv"
    ascii_rows = [
        (make_id(i % 1000, county=f"23{i // 1000:04d}"), f"name{i}", f"H{i}", VILLAGE, "dibao")
        for i in range(40000)
    ]
    write_csv(
        path, ROSTER_HEADER, [*ascii_rows, (P2, "张三", "H9", VILLAGE, "低保对象")], "gb18030"
    )
    assert path.stat().st_size > 1024 * 1024
    report = flow.ingest([path], db)
    assert report.files[0].encoding == "gb18030"
    assert report.files[0].rows_loaded == 40001
    assert query("SELECT name, category FROM people WHERE person_id = ?", [P2]) == [
        ("张三", "dibao")
    ]


def test_generate_and_ingest_through_the_cli(tmp_path, db, cli, query):
    out = tmp_path / "gen"
    result = cli("generate", "--out", out, "--people", 200, "--seed", 3, "--weeks", 2,
                 "--as-of", "2026-11-20")  # fmt: skip
    assert result.exit_code == 0, result.output
    listed = sorted(p.name for p in out.iterdir())
    assert listed == ["assistance_manifest.csv", "departments", "week01", "week02"]
    result = cli("ingest", out / "week01", "--db", db)
    assert result.exit_code == 0, result.output
    read, loaded, rejected = query(
        "SELECT sum(rows_read), sum(rows_loaded), sum(rows_rejected) FROM imports"
    )[0]
    assert read == loaded + rejected
    assert f"{read:,}" in result.output


def test_an_import_within_a_region_refuses_rows_outside_it(tmp_path, db, cli, query):
    """`--within 230124` (a county admin's upload): every row must lie in that county."""
    inside, elsewhere = make_id(1), make_id(2, county="140123")
    header = ["person_id", "name", "household_id", "village_code", "category"]
    write_csv(tmp_path / "w1" / "roster.csv", header,
              [(inside, "甲", "H1", "230124100201", "monitored"),
               (elsewhere, "乙", "H2", "140123100201", "monitored")])  # fmt: skip
    refused = cli("ingest", tmp_path / "w1", "--db", db, "--within", "230124")
    assert refused.exit_code == 2
    assert "1 rows reach outside region 230124" in refused.output
    assert "roster.csv line 3 (roster, village, village 140123100201)" in refused.output
    assert not db.exists() or query("SELECT count(*) FROM roster_rows") == [(0,)]

    assert cli("ingest", tmp_path / "w1", "--db", db).exit_code == 0  # the national admin
    bill = ("2026-03-01", "inpatient", "100.00", "50.00", "0", "0")
    write_csv(tmp_path / "w2" / "claims.csv", CLAIM_HEADER,
              [("C1", inside, *bill), ("C2", elsewhere, *bill)])  # fmt: skip
    refused = cli("ingest", tmp_path / "w2", "--db", db, "--within", "230124")
    assert refused.exit_code == 2 and "claims.csv line 3 (claims" in refused.output
    assert query("SELECT count(*) FROM claim_rows") == [(0,)]
    write_csv(tmp_path / "w3" / "claims.csv", CLAIM_HEADER, [("C1", inside, *bill)])
    assert cli("ingest", tmp_path / "w3", "--db", db, "--within", "230124").exit_code == 0
    assert query("SELECT claim_id FROM claim_rows") == [("C1",)]


def test_the_terminal_output_is_for_a_chinese_clerk(tmp_path, cli, monkeypatch):
    """Chinese by default, the stages of the import but no internal step names, file names
    shortened from the left, every line within 80 columns, a per-year breakdown and where the
    rejected rows are; English with --lang en, the internal steps with --verbose."""
    from rich.cells import cell_len

    monkeypatch.setenv("COLUMNS", "80")
    folder = tmp_path / "a" / "rather" / "long" / "path" / "to" / "the" / "extracts" / "week01"
    roster(folder / "roster.csv", [(P1, "张三", "H1", VILLAGE, "dibao")])
    claims(folder / "claims.csv", [("C1", P1, "2026-01-10", "inpatient", "30000.00", "0", "0",
                                    "0"), ("C2", "bad", "2026-01-10", "inpatient", "1", "0", "0",
                                    "0")])  # fmt: skip
    db = tmp_path / "store" / "oopwatch.duckdb"
    result = cli("ingest", folder, "--db", db)
    assert result.exit_code == 0, result.output
    out = result.output
    lines = out.splitlines()
    assert all(cell_len(line) <= 80 for line in lines), [x for x in lines if cell_len(x) > 80]
    for text in ("读取并校验", "计算人员年度合计", "执行预警规则", "发布给仪表盘", "第 1 批导入",
                 "人员名单", "结算明细", "身份证号不是18位", "预警名单（按年度）：",
                 "2026 年 新增 1、持续 0、移出 0", "用时"):  # fmt: skip
        assert text in out, text
    assert "…/week01/claims.csv" in out and "…/week01/roster.csv" in out
    assert not re.search(r"\bmodel\b|mart_person_year|fingerprint|claims:", out), out
    where = next(i for i, line in enumerate(lines) if line.startswith("被拒绝的 1 行"))
    assert "rejected_rows WHERE import_id = 1" in lines[where + 1]
    assert lines[-1].startswith("用时")

    verbose = cli("ingest", folder, "--db", tmp_path / "v" / "o.duckdb", "-v", "--lang", "en")
    assert "model mart_person_year" in verbose.output
    assert "watch-list by year:" in verbose.output and "2026: 1 new" in verbose.output
    assert "the 1 rejected rows" in verbose.output


def test_an_older_stores_code_labels_follow_this_version(tmp_path, db, query):
    """Labels changed since a store was made (shorter English categories) reach it on open."""
    roster(tmp_path / "w" / "roster.csv", [(P1, "张三", "H1", VILLAGE, "dibao")])
    flow.ingest([tmp_path / "w"], db)
    con = store.open_store(db)
    con.execute("UPDATE codes SET label_en = 'Dibao (long)' WHERE code = 'dibao'")
    con.close()
    store.open_store(db).close()
    assert query("SELECT label_en FROM codes WHERE domain = 'category' AND code = 'dibao'") == [
        ("Dibao",)
    ]


@pytest.mark.parametrize("chunk", [7, 64, 1 << 24])
def test_the_fingerprint_is_the_files_sha256_and_line_count_in_any_chunking(
    tmp_path, monkeypatch, chunk
):
    """The hash runs in a thread beside the line count, chunk by chunk: the digest must be the
    file's sha256 however the bytes are cut, and the count its physical lines."""
    import hashlib

    from pipeline.ingest import read

    path = tmp_path / "claims.csv"
    body = "".join(f"C{i},甲{i}\r\n" for i in range(200)) + "last line without newline"
    path.write_bytes(body.encode("utf-8"))
    monkeypatch.setattr(read, "CHUNK", chunk)
    source = read.Source(path, "claims", "csv", path.stat().st_size)
    read.fingerprint(source)
    assert source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert source.physical_lines == 201
    assert source.has_nul is False
