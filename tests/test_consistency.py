"""Every page agrees on the numbers: one definition of "flagged people in a region" (the current
watch-list's person-years placed in it) for the overview, the watch-list, the drill-down at every
level, a village's households, the export and the import summary."""

from __future__ import annotations

import csv
from pathlib import Path

from dashboard import data
from pipeline import flow
from tests.conftest import CLAIM_HEADER, ROSTER_HEADER, make_id, write_csv

VILLAGE = "230124100201"
ENROLMENT_HEADER = ["person_id", "year", "scheme", "status"]


def test_flagged_people_agree_on_every_page(tmp_path: Path, db: Path, cli) -> None:
    """A roster person with neither claims nor enrolment in 2026 is flagged no_active_enrolment
    (2026 is an enrolment year): they have no person-year row, and the region and household
    counts built on person-years used to miss them."""
    high, quiet, covered = make_id(1), make_id(2), make_id(3)
    folder = tmp_path / "w1"
    write_csv(folder / "roster.csv", ROSTER_HEADER, [
        (high, "张三", "H1", VILLAGE, "dibao"),
        (quiet, "李四", "H2", VILLAGE, "dibao"),
        (covered, "王五", "H3", VILLAGE, "dibao"),
    ])  # fmt: skip
    write_csv(folder / "enrolment.csv", ENROLMENT_HEADER, [
        (high, "2026", "residents", "active"),
        (covered, "2026", "residents", "active"),
    ])  # fmt: skip
    write_csv(folder / "claims.csv", CLAIM_HEADER,
              [("C1", high, "2026-03-01", "inpatient", "30000.00", "0", "0", "0")])  # fmt: skip
    result = cli("ingest", folder, "--db", db)
    assert result.exit_code == 0, result.output

    snapshot = data.current(db)
    on_list = data.watchlist_page(snapshot, 2026)[1]
    assert on_list == 2, "high (over the line) and quiet (no enrolment)"
    assert data.watch_flagged(snapshot, 2026, "") == on_list
    for level, code in enumerate(["", VILLAGE[:2], VILLAGE[:4], VILLAGE[:6], VILLAGE[:9]]):
        children = data.region_children(snapshot, 2026, code)
        assert children["flagged"].sum() == on_list, (level, code, children)
        assert data.watch_flagged(snapshot, 2026, code) == on_list
    households = data.village_households(snapshot, 2026, VILLAGE)
    assert households["flagged_members"].sum() == on_list, households
    assert set(households.loc[households["flagged_members"] > 0, "household_id"]) == {"H1", "H2"}

    out = tmp_path / "list.csv"
    assert cli("export", "--db", db, "--year", "2026", "--out", out).exit_code == 0
    with open(out, encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == on_list
    assert "2026 年 新增 2" in result.output, result.output


def test_the_data_date_is_the_latest_settlement_not_the_import_time(
    tmp_path: Path, db: Path, monkeypatch
) -> None:
    from streamlit.testing.v1 import AppTest

    person = make_id(1)
    write_csv(
        tmp_path / "w" / "roster.csv", ROSTER_HEADER, [(person, "张三", "H1", VILLAGE, "dibao")]
    )
    write_csv(tmp_path / "w" / "claims.csv", CLAIM_HEADER,
              [("C1", person, "2026-03-01", "inpatient", "300.00", "0", "0", "0")])  # fmt: skip
    flow.ingest([tmp_path / "w"], db)
    monkeypatch.setenv("OOPWATCH_DB", str(db))
    app = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
    at = AppTest.from_file(str(app), default_timeout=30).run()
    captions = [c.value for c in at.caption]
    assert any(
        c.startswith("数据截至 2026-03-01（最近结算日期）；导入于 ") and "第 1 批导入" in c
        for c in captions
    ), captions


def test_exports_date_the_first_flag_and_count_weeks_in_data_terms(
    tmp_path: Path, db: Path, cli
) -> None:
    """Three imports in an afternoon with data up to 2026-03-20: first flagged on the data's date
    of the first run, one week on the list; a later week's data (2026-04-10) makes it four."""
    import datetime as dt

    person = make_id(1)
    write_csv(
        tmp_path / "w1" / "roster.csv", ROSTER_HEADER, [(person, "张三", "H1", VILLAGE, "dibao")]
    )
    write_csv(tmp_path / "w1" / "claims.csv", CLAIM_HEADER,
              [("C1", person, "2026-03-20", "inpatient", "30000.00", "0", "0", "0")])  # fmt: skip
    for n, day in ((2, "2026-03-01"), (3, "2026-03-02")):  # earlier claims: the date stays
        write_csv(tmp_path / f"w{n}" / "claims.csv", CLAIM_HEADER,
                  [(f"C{n}", person, day, "outpatient", "10.00", "0", "0", "0")])  # fmt: skip
    for n in (1, 2, 3):
        assert cli("ingest", tmp_path / f"w{n}", "--db", db).exit_code == 0

    def exported() -> dict[str, str]:
        out = tmp_path / f"list-{len(list(tmp_path.glob('list-*')))}.csv"
        assert cli("export", "--db", db, "--year", "2026", "--out", out).exit_code == 0
        with open(out, encoding="utf-8-sig", newline="") as fh:
            (row,) = list(csv.DictReader(fh))
        return row

    row = exported()
    assert (row["首次预警日期"], row["在名单周数"]) == ("2026-03-20", "1")
    assert row["首次预警日期"] != dt.date.today().isoformat()
    write_csv(tmp_path / "w4" / "claims.csv", CLAIM_HEADER,
              [("C4", person, "2026-04-10", "outpatient", "10.00", "0", "0", "0")])  # fmt: skip
    assert cli("ingest", tmp_path / "w4", "--db", db).exit_code == 0
    row = exported()
    assert (row["首次预警日期"], row["在名单周数"]) == ("2026-03-20", "4")


def test_a_raised_severity_says_why(tmp_path: Path, db: Path, query) -> None:
    """A 低保对象 over the line (a medium rule): raised one level for the category, and the
    explanation says so; one of the general category is not raised and says nothing."""
    raised, plain = make_id(1), make_id(2)
    write_csv(tmp_path / "w" / "roster.csv", ROSTER_HEADER, [
        (raised, "张三", "H1", VILLAGE, "dibao"),
        (plain, "李四", "H2", VILLAGE, "general"),
    ])  # fmt: skip
    write_csv(tmp_path / "w" / "enrolment.csv", ENROLMENT_HEADER, [
        (raised, "2026", "residents", "active"), (plain, "2026", "residents", "active"),
    ])  # fmt: skip
    write_csv(tmp_path / "w" / "claims.csv", CLAIM_HEADER, [
        # outpatient: no assistance is owed for it, so the only rules are the OOP lines
        ("C1", raised, "2026-03-01", "outpatient", "12000.00", "0", "0", "0"),
        ("C2", plain, "2026-03-01", "outpatient", "12000.00", "0", "0", "0"),
    ])  # fmt: skip
    flow.ingest([tmp_path / "w"], db)
    rows = dict((p, (s, zh, en)) for p, s, zh, en in query(
        "SELECT person_id, severity, explain_zh, explain_en FROM watchlist"
    ))  # fmt: skip
    severity, zh, en = rows[raised]
    assert severity == "high" and "风险等级 中 → 高：低保对象" in zh, zh
    assert "severity medium -> high: dibao" in en.lower(), en
    assert "风险等级" not in rows[plain][1] and "severity" not in rows[plain][2].lower()


def test_empty_results_are_said_not_written(tmp_path: Path, db: Path, cli) -> None:
    """An export for a year or region with no data, or a code that is no division, refuses
    (exit 2) instead of writing an empty list; so does `rules show` for a 5-digit code."""
    person = make_id(1)
    write_csv(
        tmp_path / "w" / "roster.csv", ROSTER_HEADER, [(person, "张三", "H1", VILLAGE, "dibao")]
    )
    write_csv(tmp_path / "w" / "claims.csv", CLAIM_HEADER,
              [("C1", person, "2026-03-01", "inpatient", "30000.00", "0", "0", "0")])  # fmt: skip
    assert cli("ingest", tmp_path / "w", "--db", db).exit_code == 0
    cases = {
        ("--year", "2019"): "no data for any region in 2019",
        ("--year", "2026", "--region", "530102"): "no data for region 530102 in 2026",
        ("--year", "2026", "--region", "999999"): "region 999999 is not a division",
    }
    for args, said in cases.items():
        out = tmp_path / "x.csv"
        result = cli("export", "--db", db, "--out", out, *args)
        assert result.exit_code == 2 and said in result.output, (args, result.output)
        assert not out.exists()
    assert cli("export", "--db", db, "--year", "2026", "--region", "230124",
               "--out", tmp_path / "ok.csv").exit_code == 0  # fmt: skip
    shown = cli("rules", "show", "--region", "23012", "--year", "2026")
    assert shown.exit_code == 2 and "not a division code" in shown.output
    assert cli("rules", "show", "--region", "230124", "--year", "2026").exit_code == 0
