"""region_year: the drill-down's figures per level, hand-computed on a small store."""

from __future__ import annotations

from decimal import Decimal

from pipeline import flow
from tests.conftest import CLAIM_HEADER, make_id, write_csv

V1, V2, V3 = "230124100201", "230124100202", "140123100201"


def test_region_year_rolls_people_flags_money_and_participation_up_every_level(tmp_path, db, query):
    a, b, c = make_id(1), make_id(2), make_id(3, county="140123")
    write_csv(
        tmp_path / "w" / "roster.csv",
        ["person_id", "name", "household_id", "village_code", "category"],
        [(a, "甲", "H1", V1, "monitored"), (b, "乙", "H1", V2, "monitored"),
         (c, "丙", "H3", V3, "general")],
    )  # fmt: skip
    write_csv(
        tmp_path / "w" / "enrolment.csv",
        ["person_id", "year", "scheme", "status"],
        [(a, "2026", "residents", "active"), (b, "2026", "residents", "suspended"),
         (c, "2026", "residents", "active")],
    )  # fmt: skip
    write_csv(
        tmp_path / "w" / "claims.csv",
        CLAIM_HEADER,
        [
            ("C1", a, "2026-03-01", "inpatient", "20000.00", "8000.00", "1000.00", "500.00"),
            ("C2", b, "2026-03-01", "outpatient", "300.00", "100.00", "0", "0"),
            ("C3", c, "2026-03-01", "pharmacy", "50.50", "0", "0", "0"),
        ],
    )
    flow.ingest([tmp_path / "w"], db)
    rows = query(
        "SELECT level, code, parent_code, name, people, roster_people, enrolled_active, flagged, "
        "households, claims, total_cost, oop, oop_median FROM region_year "
        "WHERE year = 2026 AND level IN (0, 1, 3, 5) ORDER BY level, code"
    )
    # a: OOP 10,500.00 (over the line); b: 200.00 and suspended (a coverage gap); c: 50.50.
    assert rows == [
        (0, "", None, "全国", 3, 3, 2, 2, 2, 3, Decimal("20350.50"), Decimal("10750.50"),
         Decimal("200.00")),
        (1, "14", "", "山西省", 1, 1, 1, 0, 1, 1, Decimal("50.50"), Decimal("50.50"),
         Decimal("50.50")),
        (1, "23", "", "黑龙江省", 2, 2, 1, 2, 1, 2, Decimal("20300.00"), Decimal("10700.00"),
         Decimal("5350.00")),
        (3, "140123", "1401", "娄烦县", 1, 1, 1, 0, 1, 1, Decimal("50.50"), Decimal("50.50"),
         Decimal("50.50")),
        (3, "230124", "2301", "方正县", 2, 2, 1, 2, 1, 2, Decimal("20300.00"),
         Decimal("10700.00"), Decimal("5350.00")),
        (5, V3, "140123100", V3, 1, 1, 1, 0, 1, 1, Decimal("50.50"), Decimal("50.50"),
         Decimal("50.50")),
        (5, V1, "230124100", V1, 1, 1, 1, 1, 1, 1, Decimal("20000.00"), Decimal("10500.00"),
         Decimal("10500.00")),
        (5, V2, "230124100", V2, 1, 1, 0, 1, 1, 1, Decimal("300.00"), Decimal("200.00"),
         Decimal("200.00")),
    ]  # fmt: skip
    assert query("SELECT participation FROM region_year WHERE level = 0 AND year = 2026") == [
        (2 / 3,)
    ]


def test_a_median_between_two_amounts_rounds_its_half_cent_up(tmp_path, db, query):
    """Two people, OOP 2.01 and 3.00: the median is 2.505, shown 2.51 (half away from zero, as
    every amount). DuckDB's median of a DECIMAL truncated it to 2.50, and Spark's, a DOUBLE,
    rounded it; the national parity test found the two apart."""
    a, b = make_id(1), make_id(2)
    write_csv(
        tmp_path / "w" / "roster.csv",
        ["person_id", "name", "household_id", "village_code", "category"],
        [(a, "甲", "H1", V1, "monitored"), (b, "乙", "H2", V1, "monitored")],
    )
    write_csv(
        tmp_path / "w" / "claims.csv",
        CLAIM_HEADER,
        [
            ("C1", a, "2026-03-01", "outpatient", "2.01", "0", "0", "0"),
            ("C2", b, "2026-03-01", "outpatient", "3.00", "0", "0", "0"),
        ],
    )
    flow.ingest([tmp_path / "w"], db)
    assert query(
        "SELECT DISTINCT oop_median FROM region_year WHERE year = 2026 AND code IN ('', ?)", [V1]
    ) == [(Decimal("2.51"),)]


def test_watch_marts_count_every_run_and_the_overview_reads_them(tmp_path, db, query):
    """Two imports: a reversal takes a off the list, a new claim puts c on it."""
    from dashboard import data

    a, b, c = make_id(1), make_id(2), make_id(3, county="140123")
    week1, week2 = tmp_path / "w1", tmp_path / "w2"
    write_csv(
        week1 / "roster.csv",
        ["person_id", "name", "household_id", "village_code", "category"],
        [(a, "甲", "H1", V1, "monitored"), (b, "乙", "H1", V2, "monitored"),
         (c, "丙", "H3", V3, "general")],
    )  # fmt: skip
    write_csv(
        week1 / "enrolment.csv",
        ["person_id", "year", "scheme", "status"],
        [(a, "2026", "residents", "active"), (b, "2026", "residents", "suspended"),
         (c, "2026", "residents", "active")],
    )  # fmt: skip
    write_csv(
        week1 / "claims.csv",
        CLAIM_HEADER,
        [("C1", a, "2026-03-01", "inpatient", "20000.00", "8000.00", "1000.00", "500.00")],
    )
    write_csv(
        week2 / "claims.csv",
        [*CLAIM_HEADER, "reverses"],
        [
            ("R1", a, "2026-03-02", "inpatient", "-20000.00", "-8000.00", "-1000.00", "-500.00",
             "C1"),
            ("C4", c, "2026-03-05", "inpatient", "15000.00", "3000.00", "0", "0", ""),
        ],
    )  # fmt: skip
    flow.ingest([week1], db)
    flow.ingest([week2], db)

    assert query("SELECT claim_id FROM reversed_claims") == [("C1",)]
    # a: OOP 0 after the reversal; b: suspended (no active enrolment) all along; c: 12,000.00.
    runs = query(
        'SELECT run_id, level, code, flagged, flagged_new, entered, "left" '
        "FROM region_watch_runs WHERE level <= 1 ORDER BY run_id, level, code"
    )
    assert runs == [
        (1, 0, "", 2, 2, 2, 0),
        (1, 1, "23", 2, 2, 2, 0),
        (2, 0, "", 2, 1, 1, 1),
        (2, 1, "14", 1, 1, 1, 0),
        (2, 1, "23", 1, 0, 0, 1),
    ]
    assert query(
        "SELECT level, code, people FROM region_watch_rules "
        "WHERE rule = 'oop_line' AND level <= 3 ORDER BY level, code"
    ) == [(0, "", 1), (1, "14", 1), (2, "1401", 1), (3, "140123", 1)]
    assert query(
        "SELECT code, category, people FROM region_category WHERE level <= 1 "
        "ORDER BY code, category"
    ) == [("", "general", 1), ("", "monitored", 2), ("14", "general", 1), ("23", "monitored", 2)]
    assert query("SELECT code, over_line FROM region_year WHERE level <= 1 ORDER BY code") == [
        ("", 1), ("14", 1), ("23", 0)
    ]  # fmt: skip

    snap = data.current(db)
    assert list(data.list_trend(snap, 2026, "")["people"]) == [2, 2]
    assert list(data.list_trend(snap, 2026, "14")["people"]) == [0, 1]
    assert data.week_changes(snap, 2026, "") == (1, 1)
    assert data.week_changes(snap, 2026, "23") == (0, 1)
    assert data.watch_flagged(snap, 2026, "2301") == 1
    provinces = data.overview_by_province(snap, 2026)
    assert provinces[["province", "people", "over_line"]].values.tolist() == [
        ["山西省", 1, 1], ["黑龙江省", 2, 0]
    ]  # fmt: skip
    assert list(provinces["oop"]) == [Decimal("12000.00"), Decimal("0.00")]
