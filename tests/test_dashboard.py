"""Dashboard: the overview page on a real store built by ingest, through Streamlit's AppTest."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import data, ui
from pipeline import flow, store
from tests.conftest import CLAIM_HEADER, REPO, ROSTER_HEADER, make_id, snapshot_sql, write_csv

APP = REPO / "dashboard" / "app.py"
HLJ = "230124100001"  # 黑龙江省 哈尔滨市 方正县
BJ = "110101001001"  # 北京市 东城区
A = make_id(1)
B = make_id(2)
C = make_id(3, county="110101")

ROSTER = [
    (A, "张三", "H1", HLJ, "dibao"),
    (B, "李四", "H2", HLJ, "monitored"),
    (C, "王五", "H3", BJ, "general"),
]
# OOP = total - basic - critical - assistance, by hand:
#   A: 30000.00 - 15000.00 - 3000.00 - 2000.00                 = 10000.00 (on the line, not over)
#   B: (20000.00 - 10000.00) + (0.10 - 0.09)                    = 10000.01 (over)
#   C: 1234.56 - 600.00 - 0 - 100.00                            =   534.56
#   2026 total: 20534.57 over 4 claims; 2025: C alone, 500.00 - 400.00 = 100.00 over 1 claim
CLAIMS = [
    ("C1", A, "2026-03-01", "inpatient", "30000.00", "15000.00", "3000.00", "2000.00"),
    ("C2", B, "2026-04-02", "inpatient", "20000.00", "10000.00", "0", "0"),
    ("C3", B, "2026/05/03", "pharmacy", "0.10", "0.09", "0", "0"),
    ("C4", C, "20260604", "outpatient", "1234.56", "600.00", "0", "100.00"),
    ("C5", C, "2025-12-31", "outpatient", "500.00", "400.00", "0", "0"),
]


def build_store(tmp_path: Path) -> Path:
    """A store with one import of the hand-made extract, published."""
    week = tmp_path / "week01"
    write_csv(week / "roster.csv", ROSTER_HEADER, ROSTER)
    write_csv(week / "claims.csv", CLAIM_HEADER, CLAIMS)
    db = tmp_path / "store" / "oopwatch.duckdb"
    report = flow.ingest([week], db)
    assert report.rows_read == len(ROSTER) + len(CLAIMS)
    assert all(f.rows_rejected == 0 for f in report.files)
    return db


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The hand-made store of this module (overrides the sample store of conftest)."""
    db = build_store(tmp_path)
    monkeypatch.setenv("OOPWATCH_DB", str(db))
    return db


def run_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    """The four headline figures (the first row of metrics)."""
    return {m.label: m.value for m in at.metric[:4]}


def frame_with(at: AppTest, column: str):
    """The page's table that has ``column``."""
    found = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(found) == 1, [list(df.value.columns) for df in at.dataframe]
    return found[0]


def all_metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_metrics_table_and_language(app_db: Path) -> None:
    at = run_app()
    assert at.title[0].value == "医疗费用个人负担总览"
    assert at.selectbox[0].value == 2026
    assert at.selectbox[0].options == ["2026", "2025"]
    assert metrics(at) == {
        "人数": "3",
        "结算笔数": "4",
        "个人负担总额": "¥20,534.57",
        "个人负担超过10,000元人数": "1",
    }
    table = frame_with(at, "省份")
    assert list(table["省份"]) == ["北京市", "黑龙江省"]
    assert list(table["人数"]) == [1, 2]
    assert list(table["结算笔数"]) == [1, 3]
    assert list(table["个人负担总额"]) == ["¥534.56", "¥20,000.01"]
    assert list(table["超过10,000元人数"]) == [0, 1]
    charts = at.get("plotly_chart")
    assert len(charts) == 6, "category, rules, cost split, list trend, funnel, province chart"
    assert any("数据截至" in c.value and "第 1 批导入" in c.value for c in at.caption)

    at.selectbox[0].set_value(2025).run()
    assert not at.exception
    assert metrics(at) == {
        "人数": "1",
        "结算笔数": "1",
        "个人负担总额": "¥100.00",
        "个人负担超过10,000元人数": "0",
    }

    at.sidebar.radio[0].set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Out-of-pocket medical costs: overview"
    assert at.selectbox[0].label == "Year"
    assert at.selectbox[0].value == 2025, "switching language keeps the chosen year"
    assert metrics(at) == {
        "People": "1",
        "Claims": "1",
        "Total out-of-pocket": "¥100.00",
        "People over ¥10,000": "0",
    }
    assert list(frame_with(at, "Province")["Province"]) == ["北京市"]
    assert any("Data as of" in c.value and "(import 1)" in c.value for c in at.caption)

    at.selectbox[0].set_value(2026).run()
    assert at.sidebar.radio[0].value == "en", "the language survives later reruns"
    assert metrics(at)["Total out-of-pocket"] == "¥20,534.57"


def test_a_new_import_shows_on_the_next_rerun(app_db: Path, tmp_path: Path) -> None:
    at = run_app()
    assert metrics(at)["个人负担超过10,000元人数"] == "1"
    first = data.current(app_db)
    # A second week: A pays 0.01 more, so A is over the line too.
    week = tmp_path / "week02"
    write_csv(
        week / "claims.csv", CLAIM_HEADER, [("C6", A, "2026-07-01", "pharmacy", "0.01", 0, 0, 0)]
    )
    flow.ingest([week], app_db)
    at.run()
    assert not at.exception
    assert data.current(app_db) != first
    assert metrics(at)["个人负担超过10,000元人数"] == "2"
    assert metrics(at)["结算笔数"] == "5"
    assert metrics(at)["个人负担总额"] == "¥20,534.58"
    assert any("第 2 批导入" in c.value for c in at.caption)


def test_no_snapshot_says_how_to_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "never.duckdb"
    monkeypatch.setenv("OOPWATCH_DB", str(db))
    at = run_app()
    assert not at.metric
    assert any("导入数据" in i.value and str(db) in i.value for i in at.info)
    assert not any("oopwatch" in i.value for i in at.info), "no command lines in the interface"
    assert not db.exists(), "the dashboard must not create the store"


def test_dashboard_reads_snapshots_not_the_store(app_db: Path) -> None:
    """While the dashboard has data open, the store stays free for the importer."""
    run_app()
    snapshot = Path(data.current(app_db))
    assert snapshot.parent == store.snapshot_dir(app_db)
    store.connect(app_db).close()  # would raise StoreLocked if the dashboard held the store


def test_money_formats_exactly() -> None:
    assert ui.yuan(Decimal("12345.67")) == "¥12,345.67"
    assert ui.yuan(Decimal("0.1") + Decimal("0.2")) == "¥0.30"
    assert ui.yuan(Decimal("-5")) == "-¥5.00"
    assert ui.yuan(Decimal("99999999999999.99")) == "¥99,999,999,999,999.99"
    assert ui.line(Decimal("10000")) == "10,000"


# ---------------------------------------------------------------- overview on the sample weeks


def participation_sql(db: Path, year: int, prefix: str) -> str:
    rows = snapshot_sql(
        db,
        """SELECT count(*) FILTER (WHERE enrolled_active), count(*) FROM person_year
           WHERE year = ? AND on_roster AND village_code LIKE ? || '%'""",
        [year, prefix],
    )
    active, roster = rows[0]
    return f"{Decimal(active) / Decimal(roster) * 100:.2f}%"


def test_overview_participation_and_week_movement(
    sample_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OOPWATCH_DB", str(sample_store))
    at = run_app()
    year = at.selectbox[0].value
    assert year == 2026
    assert at.selectbox[1].value == "" and at.selectbox[1].label == "地区"
    shown = all_metrics(at)
    assert shown["参保率"] == participation_sql(sample_store, year, "")
    entered, left = snapshot_sql(
        sample_store,
        """SELECT count(*) FILTER (WHERE change = 'entered'),
                  count(*) FILTER (WHERE change = 'left')
           FROM watch_history WHERE year = ? AND run_id = (SELECT max(run_id) FROM rule_runs)""",
        [year],
    )[0]
    assert (shown["本周新增"], shown["本周移出"]) == (f"{entered:,}", f"{left:,}")
    assert left == 1, "the sample's third week takes one person off the list"
    (flagged,) = snapshot_sql(
        sample_store, "SELECT count(*) FROM watchlist WHERE year = ?", [year]
    )[0]
    assert shown["预警人数"] == f"{flagged:,}"
    assert len(at.get("plotly_chart")) == 6
    assert not at.warning, "a fresh import is not stale"

    # One province: the figures follow the region.
    at.selectbox[1].set_value("23").run()
    assert not at.exception
    shown = all_metrics(at)
    assert shown["参保率"] == participation_sql(sample_store, year, "23")
    (hlj,) = snapshot_sql(
        sample_store,
        "SELECT count(*) FROM watchlist WHERE year = ? AND village_code LIKE '23%'",
        [year],
    )[0]
    assert shown["预警人数"] == f"{hlj:,}" != f"{flagged:,}"

    at.sidebar.radio[0].set_value("en").run()
    assert not at.exception
    assert at.selectbox[1].label == "Region"
    assert at.selectbox[1].value == "23", "the region survives the language switch"
    assert all_metrics(at)["Participation"] == participation_sql(sample_store, year, "23")
    at.selectbox[0].set_value(2025).run()
    assert not at.exception


def test_language_is_read_from_and_kept_in_the_url(app_db: Path) -> None:
    """A link with ?lang=en opens in English; switching writes (or, for Chinese, drops) it."""
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Out-of-pocket medical costs: overview"
    at.sidebar.radio[0].set_value("zh").run()
    assert at.title[0].value == "医疗费用个人负担总览"
    assert "lang" not in at.query_params
    at.sidebar.radio[0].set_value("en").run()
    assert at.query_params["lang"] in ("en", ["en"])


def test_participation_shows_its_target_without_an_arrow(
    sample_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The target under the rate, grey and arrowless, and the gap in its tooltip: a red
    "↓ −0.64 个百分点" read as a drop since last week."""
    monkeypatch.setenv("OOPWATCH_DB", str(sample_store))
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    (metric,) = [m for m in at.metric if m.label == "参保率"]
    assert metric.delta == "目标 99.90%", metric.delta  # short: never cut off in a narrow column
    gap = r"目标 99\.90%，(低于|高于)目标 \d+\.\d\d 个百分点（不是与上周相比）"
    assert re.search(gap, metric.help), metric.help
    # grey, and no arrow up or down
    assert (metric.proto.color, metric.proto.direction) == (2, 2), metric.proto


def test_the_list_trend_starts_at_zero(sample_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.setenv("OOPWATCH_DB", str(sample_store))
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    (trend,) = [s for s in specs if s["data"][0].get("mode") == "lines+markers"]
    assert trend["layout"]["yaxis"]["rangemode"] == "tozero"


def test_people_and_people_monitored_say_what_they_count_and_empty_stages_are_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """人数 and 监测人数 explain themselves; a funnel with nobody exported yet says why the later
    stages are empty."""
    from tests.conftest import CLAIM_HEADER, ROSTER_HEADER, make_id, write_csv

    db = tmp_path / "oopwatch.duckdb"
    person = make_id(1)
    write_csv(tmp_path / "w" / "roster.csv", ROSTER_HEADER,
              [(person, "张三", "H1", "230124100201", "dibao")])  # fmt: skip
    write_csv(tmp_path / "w" / "claims.csv", CLAIM_HEADER,
              [("C1", person, "2026-03-01", "inpatient", "30000.00", "0", "0", "0")])  # fmt: skip
    flow.ingest([tmp_path / "w"], db)
    monkeypatch.setenv("OOPWATCH_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    helps = {m.label: m.help for m in at.metric}
    assert "有结算或参保记录" in helps["人数"] and "名单" in helps["监测人数"], helps
    captions = [c.value for c in at.caption]
    assert any(c.startswith("尚无人员处于：已导出、已走访、已获帮扶") for c in captions), captions


def test_a_region_chosen_narrows_every_table_and_chart(app_db: Path) -> None:
    """National users: choosing a province replaces the table by province with that province's
    divisions, and every chart reads the province only."""
    at = run_app()
    assert frame_with(at, "省份") is not None
    at.selectbox(key="overview.region.zh").set_value("23").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [df for df in at.dataframe if "省份" in df.value.columns]
    names = set(frame_with(at, "名称")["名称"])
    cities = {
        n for (n,) in snapshot_sql(app_db, "SELECT name FROM region_names WHERE code LIKE '23%'")
    }
    assert names and names <= cities
    assert metrics(at)["人数"] == "2"  # Heilongjiang's two people
