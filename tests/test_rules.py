"""Rules: every kind with hand-computed thresholds, overrides, years, history, rules check."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline import flow, rules
from tests.conftest import CLAIM_HEADER, make_id, write_csv

HLJ_COUNTY = "230124100201"  # 方正县, Heilongjiang: flat line only (regions/23.toml)
HLJ_OVERRIDE = "230224100201"  # 泰来县: regions/230224.toml switches the income rule back on
SHANXI = "140123100201"  # 娄烦县, Shanxi: default rules; income figure only for 2023
ROSTER = ["person_id", "name", "household_id", "village_code", "category", "household_income"]


def people(folder: Path, rows: list[tuple]) -> None:
    write_csv(folder / "roster.csv", ROSTER, rows)


def bill(folder: Path, rows: list[tuple[str, str, str, str]], name: str = "claims.csv") -> None:
    """Claims (claim_id, person, date, oop): total = oop, nothing paid, so OOP is exact.
    Outpatient: the default assistance policy covers none, so no assistance is owed and the
    assistance_shortfall rule stays out of these tests of the OOP rules."""
    write_csv(
        folder / name,
        CLAIM_HEADER,
        [(cid, pid, day, "outpatient", oop, "0", "0", "0") for cid, pid, day, oop in rows],
    )


def watch(query, year: int | None = None) -> dict[str, tuple]:
    sql = "SELECT person_id, rules, threshold, severity, status FROM watchlist"
    params = []
    if year is not None:
        sql += " WHERE year = ?"
        params = [year]
    return {r[0]: r[1:] for r in query(sql, params)}


def test_oop_line_is_strictly_greater_with_its_explanation(tmp_path, db, query):
    a, b = make_id(1), make_id(2)
    people(tmp_path / "w", [(a, "甲", "H1", HLJ_COUNTY, "out_of_poverty", ""),
                            (b, "乙", "H2", HLJ_COUNTY, "out_of_poverty", "")])  # fmt: skip
    bill(tmp_path / "w", [("C1", a, "2026-03-01", "10000.00"), ("C2", b, "2026-03-01", "10000.01")])
    flow.ingest([tmp_path / "w"], db)
    assert watch(query) == {b: ("oop_line", Decimal("10000.00"), "medium", "new")}
    assert query("SELECT explain_zh, explain_en FROM watchlist") == [
        (
            "2026年个人负担 10,000.01 元，超过监测线 10,000 元",
            "OOP in 2026: 10,000.01 yuan, over the monitoring line of 10,000 yuan",
        )
    ]


def test_income_share_by_category_with_the_figure_it_fell_back_to(tmp_path, db, query):
    dibao, general, general_high = make_id(1), make_id(2), make_id(3)
    people(
        tmp_path / "w",
        [
            (dibao, "甲", "H1", SHANXI, "dibao", ""),
            (general, "乙", "H2", SHANXI, "general", ""),
            (general_high, "丙", "H3", SHANXI, "general", ""),
        ],
    )
    # 2025 in Shanxi: no 2024 figure, so the province's 2023 figure 17,677 yuan is used.
    # dibao share 50% → 8,838.50; general 100% → 17,677.00.
    bill(
        tmp_path / "w",
        [
            ("C1", dibao, "2025-05-01", "8838.51"),
            ("C2", general, "2025-05-01", "8838.51"),
            ("C3", general_high, "2025-05-01", "17677.01"),
            ("C4", general_high, "2026-05-01", "17677.00"),
        ],
    )
    flow.ingest([tmp_path / "w"], db)
    assert watch(query, 2025) == {
        dibao: ("oop_income", Decimal("8838.50"), "high", "new"),  # dibao raises severity
        general_high: ("oop_line;oop_income", Decimal("10000.00"), "high", "new"),
    }
    assert watch(query, 2026) == {
        general_high: ("oop_line", Decimal("10000.00"), "medium", "new")  # 17,677.00 not over
    }
    note = query(
        "SELECT note_zh FROM flags WHERE person_id = ? AND rule_id = 'oop_income'", [dibao]
    )
    assert note == [("2023年山西省（无2024年山西省数据，以此代替）",)]


def test_county_override_beats_its_province_with_the_national_figure(tmp_path, db, query):
    here, there = make_id(1, county="230224"), make_id(2)
    people(tmp_path / "w", [(here, "甲", "H1", HLJ_OVERRIDE, "dibao", ""),
                            (there, "乙", "H2", HLJ_COUNTY, "dibao", "")])  # fmt: skip
    # 2025: no Heilongjiang figure, national 2024 = 23,119 → dibao 50% = 11,559.50.
    bill(tmp_path / "w", [("C1", here, "2025-05-01", "12000.00"),
                          ("C2", there, "2025-05-01", "12000.00")])  # fmt: skip
    flow.ingest([tmp_path / "w"], db)
    flagged = watch(query)
    assert flagged[here][0] == "oop_line;oop_income"
    assert flagged[there][0] == "oop_line"
    assert query("SELECT threshold FROM flags WHERE rule_id = 'oop_income'") == [
        (Decimal("11559.50"),)
    ]


def _rules_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(rules.RULES_DIR, folder)
    return folder


def test_a_rule_ending_in_2025_does_not_fire_in_2026(tmp_path, db, query):
    folder = _rules_copy(tmp_path)
    text = (folder / "default.toml").read_text(encoding="utf-8")
    text = text.replace(
        'id = "oop_line"\nkind = "over_line"',
        'id = "oop_line"\nkind = "over_line"\neffective_to = 2025',
    )
    # From 2026 a second version of the rule with a line of 20,000.
    text += (
        '\n[[rule]]\nid = "oop_line"\nkind = "over_line"\nlabel_zh = "线"\nlabel_en = "line"\n'
        'explain_zh = "{oop} > {threshold}"\nexplain_en = "{oop} > {threshold}"\n'
        'effective_from = 2026\n[rule.params]\nline = "20000.00"\n'
    )
    (folder / "default.toml").write_text(text, encoding="utf-8")
    (folder / "regions" / "23.toml").unlink()
    person = make_id(1)
    people(tmp_path / "w", [(person, "甲", "H1", HLJ_COUNTY, "general", "")])
    bill(tmp_path / "w", [("C1", person, "2025-05-01", "15000.00"),
                          ("C2", person, "2026-05-01", "15000.00")])  # fmt: skip
    flow.ingest([tmp_path / "w"], db, rules_dir=folder)
    rows = query("SELECT year, threshold FROM flags WHERE rule_id = 'oop_line' ORDER BY year")
    assert rows == [(2025, Decimal("10000.00"))]  # 2026: 15,000 is under the new 20,000 line


def test_household_burden_needs_a_known_income(tmp_path, db, query):
    a1, a2, b1 = make_id(1), make_id(2), make_id(3)
    people(
        tmp_path / "w",
        [
            (a1, "甲", "HA", HLJ_COUNTY, "monitored", "10000.00"),
            (a2, "乙", "HA", HLJ_COUNTY, "monitored", "10000.00"),
            (b1, "丙", "HB", HLJ_COUNTY, "monitored", ""),
        ],
    )
    # HA: 2,000.00 + 2,000.01 = 4,000.01 > 40% of 10,000 → both members flagged.
    # HB: no income figure → never flagged by this rule, however large its OOP.
    bill(
        tmp_path / "w",
        [
            ("C1", a1, "2026-05-01", "2000.00"),
            ("C2", a2, "2026-05-01", "2000.01"),
            ("C3", b1, "2026-05-01", "9000.00"),
        ],
    )
    flow.ingest([tmp_path / "w"], db)
    assert sorted(watch(query)) == sorted([a1, a2])
    assert watch(query)[a1][:2] == ("household_burden", Decimal("4000.00"))
    # The threshold is the household's: it is compared with the household's OOP (4,000.01), not
    # the person's 2,000.00, and says which rule it belongs to.
    assert query(
        "SELECT person_id, oop, threshold, threshold_rule, compared_oop FROM watchlist ORDER BY 1"
    ) == [
        (a1, Decimal("2000.00"), Decimal("4000.00"), "household_burden", Decimal("4000.01")),
        (a2, Decimal("2000.01"), Decimal("4000.00"), "household_burden", Decimal("4000.01")),
    ]
    assert query("SELECT compared_oop FROM flags WHERE person_id = ?", [a1]) == [
        (Decimal("4000.01"),)
    ]
    assert query(
        "SELECT household_id, household_oop, income_known FROM household_year ORDER BY 1"
    ) == [("HA", Decimal("4000.01"), True), ("HB", Decimal("9000.00"), False)]


def test_coverage_gaps_suspended_ended_and_missing(tmp_path, db, query):
    active, suspended, ended, missing = (make_id(i) for i in (1, 2, 3, 4))
    rows = [(p, "某", f"H{i}", HLJ_COUNTY, "monitored", "")
            for i, p in enumerate([active, suspended, ended, missing])]  # fmt: skip
    people(tmp_path / "w", rows)
    write_csv(
        tmp_path / "w" / "enrolment.csv",
        ["person_id", "year", "scheme", "status"],
        [
            (active, "2026", "residents", "active"),
            (suspended, "2026", "residents", "suspended"),
            (ended, "2026", "城乡居民医保", "终止参保"),
        ],
    )
    flow.ingest([tmp_path / "w"], db)
    assert {p: r[0] for p, r in watch(query, 2026).items()} == {
        suspended: "coverage_gap",
        ended: "coverage_gap",
        missing: "coverage_gap",
    }


def test_new_continuing_and_leaving_after_a_reversal(tmp_path, db, query):
    stays, reversed_ = make_id(1), make_id(2)
    people(tmp_path / "w1", [(stays, "甲", "H1", HLJ_COUNTY, "monitored", ""),
                             (reversed_, "乙", "H2", HLJ_COUNTY, "monitored", "")])  # fmt: skip
    bill(tmp_path / "w1", [("C1", stays, "2026-03-01", "12000.00"),
                           ("C2", reversed_, "2026-03-01", "12000.00")])  # fmt: skip
    flow.ingest([tmp_path / "w1"], db)
    first = query("SELECT first_flagged FROM watchlist WHERE person_id = ?", [stays])[0][0]
    write_csv(
        tmp_path / "w2" / "claims.csv",
        [*CLAIM_HEADER, "reverses"],
        [("R2", reversed_, "2026-03-08", "inpatient", "-12000.00", "0", "0", "0", "C2")],
    )
    flow.ingest([tmp_path / "w2"], db)
    assert query("SELECT person_id, status, weeks_on_list, first_flagged FROM watchlist") == [
        (stays, "continuing", 2, first)
    ]
    assert query(
        "SELECT person_id, change, reason, oop_before, oop_now FROM watch_history WHERE run_id = 2"
    ) == [(reversed_, "left", "reversal", Decimal("12000.00"), Decimal("0.00"))]


def test_projected_needs_pace_and_history(tmp_path, db, query, memory_pieces):
    fast, single = make_id(1), make_id(2)
    people(tmp_path / "w", [(fast, "甲", "H1", HLJ_COUNTY, "monitored", ""),
                            (single, "乙", "H2", HLJ_COUNTY, "monitored", "")])  # fmt: skip
    # as_of = 2026-06-30 (latest settlement). fast: 3 claims of 2,000 in the last 90 days,
    # OOP 6,000 so far; pace 6,000 / 90 a day x 184 days left = 12,266.67 → 18,266.67 > 10,000.
    # single: one claim of 9,000 in the window: under min_claims_in_window = 3.
    bill(
        tmp_path / "w",
        [
            ("C1", fast, "2026-05-01", "2000.00"),
            ("C2", fast, "2026-06-01", "2000.00"),
            ("C3", fast, "2026-06-30", "2000.00"),
            ("C4", single, "2026-06-15", "9000.00"),
        ],
    )
    flow.ingest([tmp_path / "w"], db)
    assert watch(query) == {fast: ("projected", Decimal("10000.00"), "low", "new")}
    assert query("SELECT explain_zh FROM watchlist") == [
        (
            "2026年至今个人负担 6,000.00 元，按近 90 天的速度预计年底达 18,266.67 元，"
            "将超过监测线 10,000 元",
        )  # fmt: skip
    ]


def _write_rules(tmp_path: Path, default_extra: str = "", region: str | None = None) -> Path:
    folder = _rules_copy(tmp_path)
    if default_extra:
        with open(folder / "default.toml", "a", encoding="utf-8") as fh:
            fh.write(default_extra)
    if region is not None:
        (folder / "regions" / "999999.toml").write_text(region, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("extra", "region", "message"),
    [
        ('\n[[rule]]\nid = "x"\nkind = "over_moon"\nlabel_zh = "a"\nlabel_en = "a"\n'
         'explain_zh = "a"\nexplain_en = "a"\n', None, "unknown kind 'over_moon'"),
        ('\n[[rule]]\nid = "y"\nkind = "over_line"\nlabel_zh = "a"\nlabel_en = "a"\n'
         'explain_zh = "a"\nexplain_en = "a"\n[rule.params]\nline = "ten"\n', None,
         "line = 'ten' is not a valid amount"),
        ('\n[[rule]]\nid = "z"\nkind = "over_income_share"\nlabel_zh = "a"\nlabel_en = "a"\n'
         'explain_zh = "a"\nexplain_en = "a"\n[rule.params.shares]\nrich = "0.5"\n', None,
         "category 'rich' does not exist"),
        ('\n[[rule]]\nid = "oop_line"\nkind = "over_line"\nlabel_zh = "a"\nlabel_en = "a"\n'
         'explain_zh = "a"\nexplain_en = "a"\neffective_from = 2024\n[rule.params]\n'
         'line = "1"\n', None, "rule oop_line has overlapping years"),
        ("", 'region = "999999"\n', "region '999999' is not a province, city, county or township"),
    ],
)  # fmt: skip
def test_rules_check_names_each_problem(tmp_path, cli, extra, region, message):
    folder = _write_rules(tmp_path, extra, region)
    result = cli("rules", "check", folder)
    assert result.exit_code == 1
    assert message in result.output


def test_rules_check_and_show_on_the_shipped_rules(cli):
    result = cli("rules", "check")
    assert result.exit_code == 0
    assert result.output.startswith("ok: 10 rules, 2 region file(s)")
    shown = cli("rules", "show", "--region", "230224", "--year", "2026").output
    assert "line = 10000.00  (23.toml)" in shown
    assert "- oop_income [over_income_share] on" in shown
    assert "(230224.toml)" in shown
    assert "reference income: 23119 yuan, 2024 national figure" in shown
    hlj = cli("rules", "show", "--region", "230124", "--year", "2026").output
    assert "- oop_income [over_income_share] OFF" in hlj


def test_flag_command_reevaluates_with_changed_rules(tmp_path, db, cli, query):
    person = make_id(1)
    people(tmp_path / "w", [(person, "甲", "H1", HLJ_COUNTY, "general", "")])
    bill(tmp_path / "w", [("C1", person, "2026-05-01", "12000.00")])
    flow.ingest([tmp_path / "w"], db)
    folder = _rules_copy(tmp_path)
    for name in ("default.toml", "regions/23.toml"):
        path = folder / name
        path.write_text(path.read_text(encoding="utf-8").replace('"10000.00"', '"15000.00"'),
                        encoding="utf-8")  # fmt: skip
    result = cli("flag", "--db", db, "--rules", folder)
    assert result.exit_code == 0, result.output
    assert "left the list 1" in result.output
    assert query("SELECT change, reason FROM watch_history WHERE run_id = 2") == [
        ("left", "rule_change")
    ]


def test_leaving_because_assistance_was_paid_later(tmp_path, db, query):
    person = make_id(1)
    people(tmp_path / "w1", [(person, "甲", "H1", HLJ_COUNTY, "monitored", "")])
    bill(tmp_path / "w1", [("C1", person, "2026-03-01", "12000.00")])
    flow.ingest([tmp_path / "w1"], db)
    # The bureau settles medical assistance later: the same claim_id comes again, corrected.
    write_csv(
        tmp_path / "w2" / "claims.csv",
        CLAIM_HEADER,
        [("C1", person, "2026-03-01", "outpatient", "12000.00", "0", "0", "3000.00")],
    )
    flow.ingest([tmp_path / "w2"], db)
    assert query("SELECT count(*) FROM watchlist") == [(0,)]
    assert query(
        "SELECT change, reason, oop_before, oop_now FROM watch_history WHERE run_id = 2"
    ) == [("left", "assistance_paid_later", Decimal("12000.00"), Decimal("9000.00"))]


@pytest.mark.parametrize(
    ("category", "threshold"),
    [
        ("destitute", "8838.50"),
        ("dibao", "8838.50"),
        ("dibao_edge", "8838.50"),
        ("monitored", "8838.50"),
        ("out_of_poverty", "8838.50"),
        ("general", "17677.00"),
    ],
)
def test_each_category_share_of_the_income_line(tmp_path, db, query, category, threshold):
    at, over = make_id(1), make_id(2)
    people(tmp_path / "w", [(at, "甲", "H1", SHANXI, category, ""),
                            (over, "乙", "H2", SHANXI, category, "")])  # fmt: skip
    line = Decimal(threshold)
    bill(tmp_path / "w", [("C1", at, "2025-05-01", str(line)),
                          ("C2", over, "2025-05-01", str(line + Decimal("0.01")))])  # fmt: skip
    flow.ingest([tmp_path / "w"], db)
    assert query("SELECT person_id, threshold FROM flags WHERE rule_id = 'oop_income'") == [
        (over, line)
    ]


def test_a_region_file_can_give_its_own_income_figure(tmp_path, db, query):
    folder = _rules_copy(tmp_path)
    (folder / "regions" / "140123.toml").write_text(
        'region = "140123"\nsource = "test"\n\n[[income]]\nyear = 2024\nyuan = "20000"\n'
        'source = "county statistics bulletin (test figure)"\n',
        encoding="utf-8",
    )
    person = make_id(1)
    people(tmp_path / "w", [(person, "甲", "H1", SHANXI, "dibao", "")])
    bill(tmp_path / "w", [("C1", person, "2025-05-01", "10000.01")])
    flow.ingest([tmp_path / "w"], db, rules_dir=folder)
    # The county's 2024 figure beats the province's 2023 one: 50% of 20,000 = 10,000.00.
    assert query("SELECT threshold, note_zh FROM flags WHERE rule_id = 'oop_income'") == [
        (Decimal("10000.00"), "2024年娄烦县（无2024年山西省数据，以此代替）")
    ]
