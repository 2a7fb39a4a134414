"""Imports and data-quality page on the sample store, through Streamlit's AppTest."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import data
from pipeline import flow
from tests.conftest import CLAIM_HEADER, REPO, ROSTER_HEADER, make_id, snapshot_sql, write_csv

APP = REPO / "dashboard" / "app.py"
FULL_ID = re.compile(r"\d{17}[0-9Xx]")
ANY_ID = re.compile(r"\d{15,17}[0-9Xx]")  # also the 17-digit IDs rejected for their length


def open_quality() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.switch_page("views/quality.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_imports_table_equals_the_imports_view(app_db: Path) -> None:
    at = open_quality()
    assert at.title[0].value == "导入记录与数据质量"
    table = at.dataframe[0].value
    expected = snapshot_sql(
        app_db,
        "SELECT file, rows_read, rows_loaded, rows_rejected FROM imports ORDER BY file",
    )
    got = sorted(
        zip(table["文件"], table["读取行数"], table["导入行数"], table["拒收行数"], strict=True)
    )
    assert got == [tuple(r) for r in expected]
    assert sum(table["拒收行数"]) > 0, "the sample data has rejected rows"
    # kinds and encodings as people say them, not internal codes
    assert set(table["类型"]) <= {"人员名单", "参保登记", "结算明细"}
    assert not {"utf-8-sig", "claims", "roster", "enrolment"} & set(table.to_numpy().ravel())


def test_reject_reasons_counts_and_masked_examples(app_db: Path) -> None:
    at = open_quality()
    reasons = at.dataframe[1].value
    expected = dict(
        snapshot_sql(app_db, "SELECT reason, count(*) FROM rejected_rows GROUP BY reason")
    )
    from pipeline import labels

    words = {labels.reason_label(code, "zh"): n for code, n in expected.items()}
    assert dict(zip(reasons["原因"], reasons["行数"], strict=True)) == words
    assert not set(reasons["原因"]) & set(expected), "the reasons in words, not their codes"
    examples = at.dataframe[2].value
    assert set(examples["原因"]) == set(words)
    assert all(n <= 3 for n in examples["原因"].value_counts())
    text = examples.to_csv(index=False)
    assert not ANY_ID.search(text), "no resident ID (18 or 17 characters) unmasked"
    assert "**********" in text, "the IDs are there, masked"
    raws = [r[0] for r in snapshot_sql(app_db, "SELECT raw FROM rejected_rows")]
    assert any(FULL_ID.search(r) for r in raws), "the raw rows do hold full IDs to mask"


def test_unknown_divisions_and_unmatched(app_db: Path) -> None:
    at = open_quality()
    frames = [df.value for df in at.dataframe]
    unknown = next(f for f in frames if "代码" in f.columns)
    assert list(unknown["代码"]) == ["532822990"]
    assert list(unknown["户数"]) == [1]
    assert list(unknown["层级"]) == ["乡镇"]
    # Every claim's person is named once all three weeks are in: nothing waits for a roster.
    assert snapshot_sql(app_db, "SELECT count(*) FROM unmatched_claims") == [(0,)]
    assert any("所有结算都已匹配" in i.value for i in at.info)
    at.sidebar.radio[0].set_value("en").run()
    assert at.title[0].value == "Imports and data quality"
    assert "Rows read" in at.dataframe[0].value.columns


def test_unmatched_claims_before_the_roster_names_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After week01 alone, one household's claims wait for a roster: counted, IDs masked."""
    db = tmp_path / "oopwatch.duckdb"
    flow.ingest([REPO / "sample_data" / "week01"], db)
    monkeypatch.setenv("OOPWATCH_DB", str(db))
    at = open_quality()
    (count,) = snapshot_sql(db, "SELECT count(*) FROM unmatched_claims")[0]
    assert count > 0
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["待匹配结算笔数"] == f"{count:,}"
    table = next(df.value for df in at.dataframe if "身份证号（脱敏）" in df.value.columns)
    assert sum(table["结算笔数"]) == count
    assert not FULL_ID.search(table.to_csv(index=False))


def test_quiet_weeks_flags_low_and_empty_weeks_not_the_current_one(tmp_path: Path) -> None:
    """4 claims a week, except 1 in week 5 and none in week 6; week 9 is still under way."""
    person = make_id(7)
    monday = date(2026, 1, 5)
    per_week = [4, 4, 4, 4, 1, 0, 4, 4, 1]
    claims = [
        (
            f"Q{w}-{i}",
            person,
            str(monday + timedelta(weeks=w, days=i)),
            "outpatient",
            "10",
            "5",
            0,
            0,
        )
        for w, n in enumerate(per_week)
        for i in range(n)
    ]
    week = tmp_path / "in"
    write_csv(week / "roster.csv", ROSTER_HEADER, [(person, "赵六", "H9", "230124100001", "dibao")])
    write_csv(week / "claims.csv", CLAIM_HEADER, claims)
    db = tmp_path / "oopwatch.duckdb"
    flow.ingest([week], db)
    quiet = data.quiet_weeks(data.current(db))
    assert [(r.county, str(r.week), r.claims) for r in quiet.itertuples()] == [
        ("230124", str(monday + timedelta(weeks=5)), 0),
        ("230124", str(monday + timedelta(weeks=4)), 1),
    ]
    assert set(quiet["name"]) == {"方正县"}
    assert set(quiet["median"]) == {4}


def test_reject_reasons_are_explained_in_both_languages(app_db: Path) -> None:
    at = open_quality()
    shown = set(at.dataframe[1].value["原因"])
    assert {"身份证号校验位错误", "缺少必填项：姓名"} <= shown
    at.sidebar.radio[0].set_value("en").run()
    shown = set(at.dataframe[1].value["Reason"])
    assert {"unknown code in visit_type", "not an amount in yuan with at most 2 decimals"} <= shown


def test_a_county_week_unlike_its_history_is_listed_with_its_modified_z(
    tmp_path: Path, cli
) -> None:
    """Two counties, 20 ± 2 claims a week for 11 weeks (each claim: cost 100, basic 60,
    assistance 10: OOP 30, assistance 10% of the cost), then in week 11 county 230125 sends
    nothing (a missing extract) and 230124's assistance triples (30 a claim: OOP 10); week 12 is
    under way. History of week 11: 20 21 19 20 22 20 21 19 20 21 20 claims: median 20, MAD 1.
    230125: claims 0, z = 0.6745 x (0 - 20) / 1 = -13.49; OOP 0 against median 600, MAD 30:
    z = -13.49. 230124: OOP 200 (20 x 10): z = 0.6745 x (200 - 600) / 30 = -8.99; assistance
    30% against a history of 10% every week (no spread): listed, z empty. Nothing else."""
    a, b = make_id(11, county="230124"), make_id(12, county="230125")
    monday = date(2026, 1, 5)
    counts = [20, 21, 19, 20, 22, 20, 21, 19, 20, 21, 20]
    claims = []
    for county, person in (("230124", a), ("230125", b)):
        for w, n in enumerate([*counts, 20, 3]):
            if county == "230125" and w == 11:
                continue  # the missing extract
            assistance = "30" if county == "230124" and w == 11 else "10"
            claims += [
                (f"U{county}-{w}-{i}", person, str(monday + timedelta(weeks=w, days=i % 5)),
                 "outpatient", "100", "60", "0", assistance)
                for i in range(n)
            ]  # fmt: skip
    week = tmp_path / "in"
    write_csv(week / "roster.csv", ROSTER_HEADER, [
        (a, "赵六", "H1", "230124100001", "dibao"), (b, "钱七", "H2", "230125100001", "dibao"),
    ])  # fmt: skip
    write_csv(week / "claims.csv", CLAIM_HEADER, claims)
    db = tmp_path / "oopwatch.duckdb"
    report = flow.ingest([week], db)
    last = monday + timedelta(weeks=11)
    expected = [
        ("230124", last, "assistance_share", 0.3, 0.1, None),
        ("230124", last, "oop", 200.0, 600.0, -8.99),
        ("230125", last, "claims", 0.0, 20.0, -13.49),
        ("230125", last, "oop", 0.0, 600.0, -13.49),
    ]
    got = [(c, w, m, round(v, 6), round(md, 6), z) for c, w, m, v, md, z in report.unusual]
    assert got == expected
    frame = data.unusual_weeks(data.current(db))
    assert [
        (r.county, r.week, r.metric, None if r.z != r.z else r.z)  # NaN: no spread
        for r in frame.itertuples()
    ] == [  # fmt: skip
        (c, w, m, z) for c, w, m, _, _, z in expected
    ]
    assert set(frame["name"]) >= {"方正县"}
    # the import summary says it, in words
    out = cli("ingest", week, "--db", tmp_path / "again.duckdb", "--create", "--lang", "en")
    assert "230125 2026-03-23 claims 0, usually 20 (z = -13.49): a missing extract?" in out.output
    assert "230124 2026-03-23 medical assistance 30% of the cost, usually 10% (every past week " \
        "the same)" in out.output  # fmt: skip
    at = open_quality_on(db)
    text = "\n".join(d.value.to_csv() for d in at.dataframe)
    assert "-13.49" in text and "方正县 (230124)" in text


def open_quality_on(db: Path) -> AppTest:
    import os

    os.environ["OOPWATCH_DB"] = str(db)
    try:
        return open_quality()
    finally:
        del os.environ["OOPWATCH_DB"]
