"""`oopwatch export`: the caseworker workbook and CSV, masking, the log, splits, refusals."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from pipeline import labels, schema, store
from pipeline.cases import export
from tests.conftest import CASE_YEAR, FORMULA_NAME, list_headers, make_id, person_key

# the list's columns when the roster has no phone numbers (the phone column is left out)
ZH_HEADERS = list_headers(0)
OUTCOME = get_column_letter(ZH_HEADERS.index("走访结果") + 1)
EN_HEADERS = list_headers(1)
# list order: severity high first, then OOP highest first
ORDER_2026 = ["a_high", "a_dibao", "b_medium", "a_formula", "b_general"]
BOM = b"\xef\xbb\xbf"


def run_export(cli, db: Path, out: Path, *args: str):
    return cli("export", "--db", db, "--year", CASE_YEAR, "--out", out, *args)


def cover_values(book: openpyxl.Workbook, sheet: str = "封面") -> dict[str, object]:
    """The cover's label → value pairs (column A → column B)."""
    return {r[0]: r[1] for r in book[sheet].iter_rows(values_only=True) if r[0]}


def column(sheet, header: str) -> int:
    """1-based column of a header in row 1."""
    return [c.value for c in sheet[1]].index(header) + 1


def all_text(path: Path) -> str:
    """Every XML part of a workbook as text (to look for full IDs anywhere in the file)."""
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


def test_workbook_list_cover_and_log(cli, db: Path, case_store: dict, tmp_path: Path, query):
    out = tmp_path / "lists" / "方正-宾县.xlsx"
    result = run_export(cli, db, out)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["封面", "名单", "_oopwatch"]
    assert book["_oopwatch"].sheet_state == "hidden"
    sheet = book["名单"]
    assert [c.value for c in sheet[1]] == ZH_HEADERS
    assert sheet.freeze_panes == "D2"
    assert sheet.auto_filter.ref == "A1:W6"  # 23 columns (负责人 among them)
    assert sheet.max_row == 6

    ids = [sheet.cell(r, 2).value for r in range(2, 7)]
    assert ids == [schema.mask_id(case_store[k]) for k in ORDER_2026]
    assert re.fullmatch(r"2301\*{10}\d{3}X", ids[0])
    keys = [sheet.cell(r, 1).value for r in range(2, 7)]
    expected_keys = [f"{CASE_YEAR}-{person_key(db, case_store[k])}" for k in ORDER_2026]
    assert keys == expected_keys

    first = {c.value: sheet.cell(2, c.column) for c in sheet[1]}
    assert first["姓名"].value == "张三"
    assert first["村（社区）"].value == "东风村"
    assert first["人员类别"].value == "脱贫人口"
    assert first["风险等级"].value == "高"
    assert first["触发规则"].value == "超过监测线"
    assert first["新增/持续"].value == "新增"
    assert first["在名单周数"].value == 1
    assert first["最近就诊机构"].value == "哈医大一院", "the claim with the latest settle date"
    assert first["最近诊断"].value == "C34.9 支气管和肺恶性肿瘤"  # the code with its ICD-10 title
    assert first["年度个人负担（元）"].value == 25000
    assert first["年度个人负担（元）"].number_format == "¥#,##0.00"
    assert first["预警线（元）"].number_format == "¥#,##0.00"
    assert first["首次预警日期"].number_format == "yyyy-mm-dd"
    assert first["预警说明"].value.startswith("2026年个人负担 25,000.00 元")
    assert all(first[h].value is None for h in ("走访日期", "走访结果", "救助金额（元）", "备注"))
    # follow-up columns are marked by their header's fill
    fills = {c.value: c.fill.fgColor.rgb for c in sheet[1]}
    assert fills["走访结果"] != fills["姓名"]
    assert fills["走访日期"] == fills["备注"] == fills["救助金额（元）"] == fills["走访结果"]
    # widths fit Chinese text: the explanation column is wider than the name column
    explain = get_column_letter(ZH_HEADERS.index("预警说明") + 1)
    assert sheet.column_dimensions[explain].width > sheet.column_dimensions["C"].width

    name = sheet.cell(ORDER_2026.index("a_formula") + 2, 3)
    assert name.value == FORMULA_NAME and name.data_type == "s"

    (outcome,) = [v for v in sheet.data_validations.dataValidation if v.type == "list"]
    assert str(outcome.sqref) == f"{OUTCOME}2:{OUTCOME}6"
    assert outcome.formula1 == '"' + ",".join(z for z, _e in labels.OUTCOMES.values()) + '"'
    assert outcome.formula1 == '"已走访,已申请救助,已获救助,无需帮扶,无法联系,已迁出,已故"'

    cover = cover_values(book)
    assert cover["地区"] == "全国"
    assert cover["年度"] == CASE_YEAR
    assert cover["名单人数"] == 5
    assert (cover["高"], cover["中"], cover["低"]) == (2, 3, 0)
    assert cover["超过监测线"] == 5
    assert cover["较上次导出新增人数"] == 5
    assert cover["身份证号"].startswith("已脱敏")
    assert cover["生成人"]
    fingerprint = query("SELECT fingerprint FROM rule_runs ORDER BY run_id DESC LIMIT 1")[0][0]
    assert cover["预警规则版本"] == fingerprint
    facts = {r[0]: r[1] for r in book["_oopwatch"].iter_rows(values_only=True)}
    assert facts["export_id"] == cover["导出编号"]
    assert facts["format_version"] == labels.FORMAT_VERSION
    assert (facts["year"], facts["region"], facts["full_ids"]) == ("2026", None, "false")

    text = all_text(out) + result.output
    assert not any(pid in text for pid in case_store.values()), "no full ID in file or output"

    logged = query(
        "SELECT export_id, rows, sha256, full_ids, year, region, format, lang, file FROM exports"
    )
    assert len(logged) == 1
    export_id, rows, sha, full_ids, year, region, fmt, lang, file = logged[0]
    assert (rows, full_ids, year, region, fmt, lang) == (5, False, CASE_YEAR, "", "xlsx", "zh")
    assert sha == hashlib.sha256(out.read_bytes()).hexdigest()
    assert export_id == facts["export_id"] and Path(file) == out.absolute()
    logged_rows = query(
        "SELECT case_key, person_id, severity, oop FROM export_rows WHERE export_id = ?",
        [export_id],
    )
    assert sorted(r[0] for r in logged_rows) == sorted(expected_keys)
    assert {r[1]: r[3] for r in logged_rows}[case_store["a_high"]] == Decimal("25000.00")

    assert "rows: 5 (high 2, medium 3, low 0)" in result.output
    assert "IDs: masked" in result.output
    assert f"sha256: {sha}" in result.output
    assert "seconds:" in result.output
    # the dashboard sees the log: the published snapshot has it
    con = duckdb.connect(str(store.current_snapshot(db)), read_only=True)
    assert con.execute("SELECT count(*) FROM exports").fetchall() == [(1,)]
    con.close()


def test_full_ids_in_english_are_logged(cli, db: Path, case_store: dict, tmp_path: Path, query):
    out = tmp_path / "full.xlsx"
    result = run_export(cli, db, out, "--full-ids", "--lang", "en", "--region", "230125")
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Cover", "Watch-list", "_oopwatch"]
    sheet = book["Watch-list"]
    headers = [c.value for c in sheet[1]]
    assert headers == ["Case key", "Resident ID", *EN_HEADERS[2:]]
    assert [sheet.cell(r, 2).value for r in (2, 3)] == [
        case_store["b_medium"],
        case_store["b_general"],
    ]
    assert sheet.cell(2, column(sheet, "Category")).value == "Out of poverty"
    assert sheet.cell(2, column(sheet, "Severity")).value == "Medium"
    (outcome,) = [v for v in sheet.data_validations.dataValidation if v.type == "list"]
    assert outcome.formula1 == (
        '"visited,assistance applied,assistance granted,no need,could not reach,moved away,'
        'deceased"'
    )
    cover = cover_values(book, "Cover")
    assert cover["Region"] == "宾县（230125）"
    assert cover["Resident IDs"].startswith("FULL")
    assert query("SELECT full_ids, region, rows, lang FROM exports") == [(True, "230125", 2, "en")]
    assert "IDs: FULL" in result.output
    assert not any(pid in result.output for pid in case_store.values())


def test_csv_has_bom_and_defuses_formulas(cli, db: Path, case_store: dict, tmp_path: Path, query):
    out = tmp_path / "list.csv"
    result = run_export(cli, db, out)
    assert result.exit_code == 0, result.output
    content = out.read_bytes()
    assert content.startswith(BOM)
    rows = list(csv.reader(io.StringIO(content[len(BOM) :].decode("utf-8"))))
    assert rows[0] == ZH_HEADERS
    assert len(rows) == 6
    by_key = {r[0]: r for r in rows[1:]}
    assert [r[1] for r in rows[1:]] == [schema.mask_id(case_store[k]) for k in ORDER_2026]
    formula = rows[1 + ORDER_2026.index("a_formula")]
    assert formula[2] == "'" + FORMULA_NAME
    at = {h: i for i, h in enumerate(ZH_HEADERS)}
    assert rows[1][at["年度个人负担（元）"]] == "25000.00"
    assert rows[1][at["预警线（元）"]] == "10000.00"
    # first flagged in data terms (issue 17): the data's date of the run that first listed them
    first_run_date = query(
        """SELECT min(r.as_of) FROM watchlist AS w
           JOIN rule_runs AS r ON r.run_id = w.run_id - w.weeks_on_list + 1"""
    )[0][0]
    assert rows[1][at["首次预警日期"]] == first_run_date.isoformat()
    assert all(r[-4:] == ["", "", "", ""] for r in rows[1:])
    assert len(by_key) == 5
    assert not any(pid in content.decode("utf-8-sig") for pid in case_store.values())
    assert query("SELECT format, rows FROM exports") == [("csv", 5)]
    assert query("SELECT sha256 FROM exports")[0][0] == hashlib.sha256(content).hexdigest()


def test_existing_file_is_kept_without_force(cli, db: Path, case_store: dict, tmp_path: Path):
    out = tmp_path / "list.xlsx"
    out.write_bytes(b"the caseworker's own notes")
    result = run_export(cli, db, out)
    assert result.exit_code == 2
    assert str(out) in result.output and "--force" in result.output
    assert out.read_bytes() == b"the caseworker's own notes"
    result = run_export(cli, db, out, "--force")
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames[1] == "名单"
    assert not list(tmp_path.glob(".*partial")), "no temp file left behind"


def test_new_since_the_previous_export_of_the_region(cli, db: Path, case_store: dict, tmp_path):
    first = tmp_path / "high.xlsx"
    assert run_export(cli, db, first, "--region", "23", "--severity", "high").exit_code == 0
    second = tmp_path / "all.xlsx"
    result = run_export(cli, db, second, "--region", "23")
    assert result.exit_code == 0, result.output
    cover = cover_values(openpyxl.load_workbook(second))
    assert cover["名单人数"] == 5
    assert cover["较上次导出新增人数"] == 3
    first_id = cover_values(openpyxl.load_workbook(first))["导出编号"]
    assert cover["上次导出"].startswith(first_id)
    assert f"3 new since export {first_id}" in result.output
    # another region's export is not "the previous one"
    other = tmp_path / "county.xlsx"
    assert run_export(cli, db, other, "--region", "230124").exit_code == 0
    assert cover_values(openpyxl.load_workbook(other))["较上次导出新增人数"] == 3


@pytest.mark.parametrize(
    ("split", "sheets"),
    [
        ("county", {"方正县": 3, "宾县": 2}),
        ("township", {"方正镇": 2, "会发镇": 1, "宾州镇": 2}),
    ],
)
def test_split_one_sheet_per_division(cli, db, case_store, tmp_path, split, sheets):
    out = tmp_path / f"{split}.xlsx"
    result = run_export(cli, db, out, "--split", split)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["封面", *sheets, "_oopwatch"]
    for name, rows in sheets.items():
        sheet = book[name]
        assert sheet.max_row == rows + 1
        assert sheet.auto_filter.ref == f"A1:W{rows + 1}"
        assert sheet.freeze_panes == "D2"
        (outcome,) = [v for v in sheet.data_validations.dataValidation if v.type == "list"]
        assert str(outcome.sqref) == (
            f"{OUTCOME}2" if rows == 1 else f"{OUTCOME}2:{OUTCOME}{rows + 1}"
        )
    cover = cover_values(book)
    assert {name: cover[name] for name in sheets} == sheets
    assert sum(sheets.values()) == cover["名单人数"] == 5


@pytest.mark.parametrize("region", ["2301240", "23a1", "２３"])
def test_bad_region_is_refused(cli, db: Path, case_store: dict, tmp_path: Path, region: str):
    result = run_export(cli, db, tmp_path / "x.xlsx", "--region", region)
    assert result.exit_code == 2
    assert "2 (province), 4 (city), 6 (county), 9 (township) or 12 (village)" in result.output
    assert not (tmp_path / "x.xlsx").exists()


def test_fetch_on_a_read_only_snapshot(db: Path, case_store: dict):
    """The dashboard's path: fetch + bytes on the published snapshot, nothing logged."""
    con = duckdb.connect(str(store.current_snapshot(db)), read_only=True)
    try:
        data = export.fetch(con, CASE_YEAR, severities=["high"])
        assert [r.person_id for r in data.rows] == [case_store["a_high"], case_store["a_dibao"]]
        assert data.by_severity == [("high", 2), ("medium", 0), ("low", 0)]
        assert data.new_since_previous == 2 and data.previous_export_id is None
        assert [r.person_id for r in export.fetch(con, CASE_YEAR, categories=["dibao"]).rows] == [
            case_store["a_dibao"]
        ]
        assert len(export.fetch(con, CASE_YEAR, rules=["oop_line"]).rows) == 5
        assert export.fetch(con, CASE_YEAR, statuses=["continuing"]).rows == []
        assert [r.person_id for r in export.fetch(con, 2025).rows] == [case_store["a_2025"]]
        assert len(export.fetch(con, CASE_YEAR, region="230124100201").rows) == 2
        with pytest.raises(export.ExportRefused, match="unknown severity urgent"):
            export.fetch(con, CASE_YEAR, severities=["urgent"])
        book = openpyxl.load_workbook(io.BytesIO(export.xlsx_bytes(data, "en")))
        assert book["Watch-list"].max_row == 3
        assert export.csv_bytes(data, "en").startswith(BOM + b"Case key,")
        assert con.execute("SELECT count(*) FROM exports").fetchall() == [(0,)]
    finally:
        con.close()


def test_sheet_names_are_valid_and_unique():
    names = export.sheet_names(["a/b:c", "x" * 40, "x" * 40, "", "History", "封面"], taken=["封面"])
    assert names[0] == "a_b_c"
    assert names[1] == "x" * 31 and names[2] == "x" * 29 + "~2"
    assert names[3] == "Sheet" and names[4] == "History~2" and names[5] == "封面~2"
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in names)
    assert export.text_width("方正县ab") == 8


def test_township_head_phone_and_print_setup(
    cli, db: Path, case_store: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The roster's phone numbers (v1.1) and the head of each household come out in the list,
    beside the township; the sheet prints A4 landscape, one page wide, the header on every
    page."""
    from tests.conftest import CASE_PEOPLE, CASE_VILLAGES, write_csv

    rows = []
    for key, (seq, _c, village, name, category, _b) in CASE_PEOPLE.items():
        code, village_name = CASE_VILLAGES[village]
        phone = f"138 0000 {seq:04d}" if key != "b_medium" else ""
        rows.append((case_store[key], name, f"H{seq}", "户主", code, village_name, category, phone))
    # a second member of a_high's household H1, its head now someone else
    spouse = (make_id(950, county="230124"), "张妻", "H1", "户主", CASE_VILLAGES["A1"][0],
              CASE_VILLAGES["A1"][1], "out_of_poverty", "")  # fmt: skip
    rows[0] = (*rows[0][:3], "配偶", *rows[0][4:])
    header = ["person_id", "name", "household_id", "relation", "village_code", "village_name",
              "category", "phone"]  # fmt: skip
    write_csv(tmp_path / "w2" / "roster.csv", header, [*rows, spouse])
    assert cli("ingest", tmp_path / "w2", "--db", db).exit_code == 0
    out = tmp_path / "list.xlsx"
    assert cli("export", "--db", db, "--year", CASE_YEAR, "--out", out).exit_code == 0
    sheet = openpyxl.load_workbook(out)["名单"]
    headers = [c.value for c in sheet[1]]
    assert headers[:7] == ["案件编号", "身份证号（脱敏）", "姓名", "户主姓名", "联系电话", "户编号",
                           "乡镇（街道）"]  # fmt: skip
    table = {r[0]: dict(zip(headers, r, strict=True))
             for r in sheet.iter_rows(min_row=2, values_only=True)}  # fmt: skip
    key = {k: f"{CASE_YEAR}-{person_key(db, case_store[k])}" for k in case_store}
    assert table[key["a_high"]]["户主姓名"] == "张妻"
    assert table[key["a_high"]]["联系电话"] == "13800000001"
    assert table[key["b_medium"]]["联系电话"] is None
    assert table[key["a_dibao"]]["户主姓名"] == "李四"
    assert table[key["a_high"]]["乡镇（街道）"] == "方正镇"
    assert table[key["a_dibao"]]["乡镇（街道）"] == "会发镇"
    assert table[key["b_general"]]["最近诊断"] == "J44.9 其他慢性阻塞性肺病"
    setup = sheet.page_setup
    assert (setup.orientation, setup.paperSize, setup.fitToHeight) == ("landscape", 9, 0)
    assert setup.fitToWidth in (None, 1), "one page wide (1 is the default, left out)"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1"

    # the person page shows the phone masked, like IDs
    from streamlit.testing.v1 import AppTest

    from dashboard import data
    from tests.conftest import REPO

    monkeypatch.setenv("OOPWATCH_DB", str(db))
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=30).run()
    at.switch_page("views/person.py")
    at.query_params["person"] = data.person_token(data.current(db), case_store["a_high"])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    captions = " ".join(c.value for c in at.caption)
    assert "联系电话：138****0001" in captions and "13800000001" not in captions


def test_by_household_keeps_a_households_members_together(cli, sample_store: Path, tmp_path):
    """--by-household: each household's members in one block, the blocks in the order of their
    most urgent member (severity, then OOP), members in list order; the same rows as the list."""
    from tests.authkit import copy_store

    db = copy_store(sample_store, tmp_path / "s" / "oopwatch.duckdb")
    plain, grouped = tmp_path / "plain.csv", tmp_path / "grouped.csv"
    assert cli("export", "--db", db, "--year", "2026", "--out", plain).exit_code == 0
    done = cli("export", "--db", db, "--year", "2026", "--out", grouped, "--by-household")
    assert done.exit_code == 0, done.output

    def read(path: Path) -> list[dict[str, str]]:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))

    before, after = read(plain), read(grouped)
    assert sorted(r["案件编号"] for r in before) == sorted(r["案件编号"] for r in after)
    households = [r["户编号"] for r in after]
    blocks = [h for i, h in enumerate(households) if i == 0 or households[i - 1] != h]
    assert len(blocks) == len(set(households)), "each household's members in one block"
    assert len(set(households)) < len(households), "the sample has households of several"
    rank = {r["案件编号"]: i for i, r in enumerate(before)}  # list order
    first = {}
    for r in after:
        first.setdefault(r["户编号"], rank[r["案件编号"]])
    assert [first[h] for h in blocks] == sorted(first[h] for h in blocks)
    for h in blocks:
        members = [rank[r["案件编号"]] for r in after if r["户编号"] == h]
        assert members == sorted(members)
