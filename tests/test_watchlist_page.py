"""Watch-list page on the sample store (three weekly imports), through Streamlit's AppTest."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import pytest
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
           ORDER BY status <> 'new', oop DESC, person_id""",
        [year],
    )
    assert len(expected) > 10, "the sample data should flag a good number of people"
    table = at.dataframe[0].value
    assert len(table) == len(expected)
    assert set(table["风险等级"]) == {"高"}
    ids = list(table["身份证号（脱敏）"])
    assert ids == [schema.mask_id(r[0]) for r in expected], "new first, then OOP desc"
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
    severity = lines[0].index("风险等级")
    assert {r[severity] for r in lines[1:]} == {"高"}
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


def test_the_page_is_the_first_rows_in_new_severity_then_oop_order(app_db: Path) -> None:
    """watch_page is stored in display order (new first, then severity, then OOP); a page is its
    first matching rows (with a limit smaller than the list, as at province scale), equal to
    sorting the list in SQL."""
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
            f"ORDER BY status <> 'new', {rank}, oop DESC, person_id LIMIT 40",
            [region],
        )
        count = snapshot_sql(app_db, f"SELECT count(*) FROM watchlist WHERE {where}", [region])
        assert total == count[0][0] > 0, (region, status)
        assert list(frame["person"]) == [schema.mask_id(p) for p, _ in expected], region
        assert list(frame["severity"]) == [s for _, s in expected]


@pytest.fixture(scope="module")
def two_weeks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's first two weeks: the second run lists people new that week."""
    from pipeline import flow

    db = tmp_path_factory.mktemp("two_weeks") / "oopwatch.duckdb"
    for week in ("week01", "week02"):
        flow.ingest([REPO / "sample_data" / week], db)
    return db


def test_new_this_week_is_one_click_from_the_overview(
    two_weeks: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The overview's 本周新增 figure links to the watch-list with only the new people."""
    monkeypatch.setenv("OOPWATCH_DB", str(two_weeks))
    new = snapshot_sql(
        two_weeks, "SELECT count(*) FROM watchlist WHERE year = 2026 AND status = 'new'"
    )
    assert new[0][0] == 20
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert {m.label: m.value for m in at.metric}["本周新增"] == "20"
    links = [p for p in at.page_link if p.label == "查看本周新增"]
    assert len(links) == 1, [p.label for p in at.page_link]
    assert links[0].proto.page == "watchlist"
    assert links[0].proto.query_string == "status=new&region="

    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.switch_page("views/watchlist.py")
    at.query_params["status"] = "new"  # what the link opens
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert len(table) == 20 and set(table["状态"]) == {"新增"}
    assert at.selectbox(key="wl.status.zh").value == "new"
    assert "status" not in at.query_params, "a later change of the filter is not undone"


def test_households_threshold_of_the_household_and_place(app_db: Path) -> None:
    """By household: one row per household with listed members, as many as SQL counts; the
    household-burden threshold is shown beside the household's OOP; township with village."""
    at = open_watchlist()
    table = at.dataframe[0].value
    rows = snapshot_sql(
        app_db,
        """SELECT w.person_id, w.name, t.name, v.name FROM watchlist AS w
           LEFT JOIN region_names AS v ON v.code = w.village_code AND v.level = 5
           LEFT JOIN region_names AS t ON t.code = substr(w.village_code, 1, 9) AND t.level = 4
           WHERE w.year = 2026""",
    )
    # keyed by masked ID and name (two people may share a masked ID)
    keys = list(zip(table["身份证号（脱敏）"], table["姓名"], strict=True))
    shown = dict(zip(keys, table["预警线"], strict=True))
    places = dict(zip(keys, table["村(社区)"], strict=True))
    household_rows = snapshot_sql(
        app_db,
        """SELECT person_id, name, threshold, compared_oop FROM watchlist
           WHERE year = 2026 AND threshold_rule = 'household_burden' AND compared_oop <> oop""",
    )
    assert len(household_rows) > 3, "the sample flags households' burdens"
    for pid, name, threshold, compared in household_rows:
        assert shown[schema.mask_id(pid), name] == f"¥{threshold:,.2f}（户负担 ¥{compared:,.2f}）"
    for pid, name, township, village in rows:
        assert places[schema.mask_id(pid), name] == f"{township} {village}"

    at.segmented_control(key="wl.by").set_value("household").run()
    assert not at.exception, [e.value for e in at.exception]
    households = at.dataframe[0].value
    expected = snapshot_sql(
        app_db,
        "SELECT count(DISTINCT coalesce(household_id, person_id)), count(*) FROM watchlist"
        " WHERE year = 2026",
    )[0]
    assert len(households) == expected[0] < expected[1], "members of a household share a row"
    assert households["在单人数"].sum() == expected[1]
    assert any(f"共 {expected[0]} 户" in m.value for m in at.markdown)


def test_stage_filter_and_a_clicked_row_opens_the_person(app_db: Path) -> None:
    """The follow-up stage filter narrows to that stage; a row clicked (its place in session
    state, as the table's callback leaves it) opens the person inside the drill-down."""
    at = open_watchlist()
    at.selectbox(key="wl.stage.zh").set_value("flagged").run()
    assert not at.exception
    flagged = snapshot_sql(
        app_db,
        """SELECT count(*) FROM watchlist AS w
           WHERE year = 2026 AND NOT EXISTS (SELECT 1 FROM case_status AS c
               WHERE c.person_id = w.person_id AND c.year = 2026 AND c.stage <> 'flagged')""",
    )[0][0]
    assert len(at.dataframe[0].value) == flagged > 0
    assert set(at.dataframe[0].value["跟进情况"]) == {"待导出"}

    from dashboard import data

    frame, _ = data.watchlist_page(data.current(app_db), 2026, limit=1)
    at.session_state["wl.open"] = {
        "year": "2026", "region": frame["village_code"][0],
        "household": frame["household_id"][0], "person": frame["token"][0],
    }  # fmt: skip
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value.startswith("逐级下钻")
    assert any(s.value == "人员详情" for s in at.subheader) or "人员详情" in str(
        [m.value for m in at.markdown]
    )


def test_selectors_offer_only_codes_that_exist(app_db: Path) -> None:
    """Category: only categories someone on the year's list has; region: only divisions with
    people; rule: only rules that fired."""
    at = open_watchlist()
    listed = [
        r[0]
        for r in snapshot_sql(
            app_db,
            """SELECT DISTINCT w.category, c.ord FROM watchlist AS w
               JOIN codes AS c ON c.domain = 'category' AND c.code = w.category
               WHERE w.year = 2026 ORDER BY c.ord""",
        )
    ]
    options = at.selectbox(key="wl.category.zh").options
    assert options[1:] == [
        dict(snapshot_sql(app_db, "SELECT code, label_zh FROM codes WHERE domain = 'category'"))[c]
        for c in listed
    ]
    assert (
        len(options) - 1
        < len(snapshot_sql(app_db, "SELECT code FROM codes WHERE domain = 'category'"))
        or len(listed) == 6
    )
    fired = [r[0] for r in snapshot_sql(app_db, "SELECT DISTINCT rule_id FROM flags ORDER BY 1")]
    assert sorted(at.selectbox(key="wl.rule.zh").options[1:]) == sorted(
        at.selectbox(key="wl.rule.zh").format_func(r) for r in fired
    )
