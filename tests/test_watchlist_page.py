"""Watch-list page on the sample store (three weekly imports), through Streamlit's AppTest."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from pipeline import schema
from tests.conftest import REPO, snapshot_sql

APP = REPO / "dashboard" / "app.py"
FULL_ID = re.compile(r"\d{17}[0-9Xx]")
BOM = b"\xef\xbb\xbf"


def open_watchlist() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.switch_page("views/watchlist.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def all_text(at: AppTest) -> str:
    """Everything the page shows as text: markdown, captions and every dataframe cell."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [df.value.to_csv(index=False) for df in at.dataframe]
    return "\n".join(parts)


def test_filters_match_sql_and_ids_are_masked(app_db: Path) -> None:
    at = open_watchlist()
    assert at.title[0].value == "因病返贫风险预警名单"
    year = at.selectbox(key="wl.year").value
    assert year == 2026
    at.selectbox(key="wl.severity.zh").set_value("high").run()
    at.selectbox(key="wl.rule.zh").set_value("oop_line").run()
    assert not at.exception
    expected = snapshot_sql(
        app_db,
        """SELECT person_id FROM watchlist
           WHERE year = ? AND severity = 'high'
                 AND 'oop_line' IN (SELECT unnest(string_split(rules, ';')))
           ORDER BY oop DESC, person_id""",
        [year],
    )
    assert len(expected) > 10, "the sample data should flag a good number of people"
    table = at.dataframe[0].value
    assert len(table) == len(expected)
    assert set(table["风险等级"]) == {"高"}
    ids = list(table["身份证号（脱敏）"])
    assert ids == [schema.mask_id(r[0]) for r in expected], "sorted by OOP desc within high"
    assert not FULL_ID.search(all_text(at)), "no full resident ID anywhere on the page"
    assert any(f"符合条件 {len(expected)} 人" in m.value for m in at.markdown)

    # A region filter narrows in SQL as well: Heilongjiang only.
    at.selectbox(key="wl.region.zh").set_value("23").run()
    hlj = snapshot_sql(
        app_db,
        """SELECT count(*) FROM watchlist
           WHERE year = ? AND severity = 'high' AND village_code LIKE '23%'
                 AND 'oop_line' IN (SELECT unnest(string_split(rules, ';')))""",
        [year],
    )[0][0]
    assert len(at.dataframe[0].value) == hlj < len(expected)


def test_downloads_are_the_export_writers_files_of_the_rows_shown(app_db: Path) -> None:
    """Excel and CSV of exactly the filtered rows (here all fit on the page), IDs masked; the
    buttons build them on click (the browser test clicks them), from these data functions."""
    import openpyxl

    from dashboard import data

    at = open_watchlist()
    at.selectbox(key="wl.severity.zh").set_value("high").run()
    shown = at.dataframe[0].value
    masked = list(shown["身份证号（脱敏）"])
    labels = [b.proto.label for b in at.download_button]
    assert labels == ["下载走访名单（Excel）", "下载名单（CSV）"]
    assert any(f"全部 {len(masked)} 人" in c.value for c in at.caption)

    snap = data.current(app_db)
    chosen = {"year": 2026, "region": "", "rule": None, "severity": "high", "status": None,
              "category": None}  # fmt: skip
    raw, rows, sha = data.watchlist_file(snap, **chosen, lang="zh", kind="csv")
    assert rows == len(masked) and sha == hashlib.sha256(raw).hexdigest()
    assert raw.startswith(BOM)
    lines = list(csv.reader(io.StringIO(raw[len(BOM) :].decode("utf-8"))))
    assert lines[0][:3] == ["案件编号", "身份证号（脱敏）", "姓名"]
    assert [r[1] for r in lines[1:]] == masked
    assert {r[8] for r in lines[1:]} == {"高"}
    assert not FULL_ID.search(raw.decode("utf-8-sig"))

    content, _, _ = data.watchlist_file(snap, **chosen, lang="zh", kind="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content))["名单"]
    assert [c.value for c in sheet[1]][:2] == ["案件编号", "身份证号（脱敏）"]
    assert [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)] == masked
    assert sheet.data_validations.dataValidation[0].type == "list"


def test_switching_language_changes_labels(app_db: Path) -> None:
    at = open_watchlist()
    assert at.selectbox(key="wl.severity.zh").label == "风险等级"
    at.selectbox(key="wl.severity.zh").set_value("high").run()
    at.sidebar.radio[0].set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Poverty-return risk watch-list"
    severity = at.selectbox(key="wl.severity.en")
    assert severity.label == "Severity"
    assert severity.value == "high", "the filter survives the language switch"
    at.selectbox(key="wl.rule.en").set_value("oop_line").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert "Resident ID (masked)" in table.columns
    assert set(table["Severity"]) == {"High"}
    assert any("people match" in m.value for m in at.markdown)


def test_the_page_is_the_first_rows_in_severity_then_oop_order(app_db: Path) -> None:
    """watch_page is stored in display order; a page is its first matching rows (with a limit
    smaller than the list, as at province scale), equal to sorting the list in SQL."""
    from dashboard import data

    snapshot = data.current(app_db)
    rank = "CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END"
    for region, status in (("", None), ("23", "continuing"), ("14", None)):
        frame, total = data.watchlist_page(snapshot, 2026, region, status=status, limit=40)
        where = "year = 2026 AND starts_with(coalesce(village_code, ''), ?)"
        where += f" AND status = '{status}'" if status else ""
        expected = snapshot_sql(
            app_db,
            f"SELECT person_id, severity FROM watchlist WHERE {where} "  # noqa: S608
            f"ORDER BY {rank}, oop DESC, person_id LIMIT 40",
            [region],
        )
        count = snapshot_sql(app_db, f"SELECT count(*) FROM watchlist WHERE {where}", [region])
        assert total == count[0][0] > 0, (region, status)
        assert list(frame["person"]) == [schema.mask_id(p) for p, _ in expected], region
        assert list(frame["severity"]) == [s for _, s in expected]
