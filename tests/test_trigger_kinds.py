"""More trigger kinds (issue 18): a rolling window, a per-stay line and a flat line per
category, switched on by a region file, with hand-computed cases at their boundaries."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline import flow, rules
from tests.conftest import make_id, write_csv

VILLAGE = "140123100201"  # 山西省 (a 2023 reference income of 17,677 yuan; 2024 none)
HEADER = ["claim_id", "person_id", "settle_date", "visit_type", "total_cost", "basic_paid",
          "critical_paid", "assistance_paid"]  # fmt: skip
ONLY = ("oop_rolling", "stay_line", "oop_category_line")


def only_on(tmp_path: Path, on: dict[str, str]) -> Path:
    """The shipped rules with only the rules ``on`` names switched on in Shanxi (14), each
    with the TOML lines of its own parameters."""
    folder = tmp_path / "rules"
    shutil.copytree(rules.RULES_DIR, folder)
    lines = ['region = "14"', ""]
    for rule in ("oop_line", "oop_income", "projected", "household_burden", "coverage_gap",
                 "assistance_shortfall"):  # fmt: skip
        lines += ["[[override]]", f'rule = "{rule}"', "enabled = false", ""]
    for rule, params in on.items():
        lines += ["[[override]]", f'rule = "{rule}"', "enabled = true", params, ""]
    (folder / "regions" / "14.toml").write_text("\n".join(lines), encoding="utf-8")
    return folder


@pytest.fixture
def switched_on(tmp_path: Path) -> Path:
    """The shipped rules with only the three new kinds on in Shanxi (14)."""
    return only_on(tmp_path, dict.fromkeys(ONLY, ""))


def flags(query) -> dict[tuple[str, str], tuple]:
    return {(p, r): (t, c, zh) for p, r, t, c, zh in query(
        "SELECT person_id, rule_id, threshold, compared_oop, explain_zh FROM flags"
    )}  # fmt: skip


def test_rolling_window_stay_and_category_lines(tmp_path, db, query, switched_on, memory_pieces):
    """Data's date 2026-11-20 (the latest claim). Rolling: 90 days back, 80% of 17,677.00 =
    14,141.60 (2025's figure is the 2023 one too). Stay: monitored 6,000. Category line:
    monitored 10,000, out_of_poverty 26,000."""
    roll, old, stay, stay_at, cat, oop_cat = (make_id(i) for i in range(41, 47))
    write_csv(
        tmp_path / "w" / "roster.csv",
        ["person_id", "name", "household_id", "village_code", "category"],
        [
            (p, "某", f"H{i}", VILLAGE, c)
            for i, (p, c) in enumerate(
                [
                    (roll, "general"),
                    (old, "general"),
                    (stay, "monitored"),
                    (stay_at, "monitored"),
                    (cat, "monitored"),
                    (oop_cat, "out_of_poverty"),
                ]
            )
        ],
    )
    write_csv(tmp_path / "w" / "claims.csv", HEADER, [
        # within the window (after 2026-08-22): 14,141.61 over 14,141.60 -> rolling fires
        ("R1", roll, "2026-08-23", "outpatient", "7000.00", "0", "0", "0"),
        ("R2", roll, "2026-11-20", "outpatient", "7141.61", "0", "0", "0"),
        # 2026-08-22 is 90 days before: outside; only 7,141.61 inside -> no rolling flag
        ("O1", old, "2026-08-22", "outpatient", "7000.00", "0", "0", "0"),
        ("O2", old, "2026-11-19", "outpatient", "7141.61", "0", "0", "0"),
        # one stay of 6,000.01 OOP (two small stays add to more but neither passes)
        ("S1", stay, "2026-03-01", "inpatient", "9000.01", "3000.00", "0", "0"),
        ("T1", stay_at, "2026-03-01", "inpatient", "6000.00", "0", "0", "0"),
        ("T2", stay_at, "2026-04-01", "inpatient", "4000.00", "0", "0", "0"),
        # category lines: monitored 10,000.01 over 10,000; out_of_poverty 25,999 under 26,000
        ("C1", cat, "2026-05-01", "outpatient", "10000.01", "0", "0", "0"),
        ("C2", oop_cat, "2026-05-01", "outpatient", "25999.00", "0", "0", "0"),
    ])  # fmt: skip
    flow.ingest([tmp_path / "w"], db, rules_dir=switched_on)
    got = flags(query)
    # stay_at: stays of 6,000.00 and 4,000.00 (none over 6,000) make 10,000.00 a year, not
    # over the monitored line of 10,000 either: nothing
    assert set(got) == {(roll, "oop_rolling"), (stay, "stay_line"), (cat, "oop_category_line")}
    threshold, compared, zh = got[(roll, "oop_rolling")]
    assert (threshold, compared) == (Decimal("14141.60"), Decimal("14141.61"))
    assert zh.startswith("截至数据日期近 90 天个人负担 14,141.61 元，超过")
    threshold, compared, zh = got[(stay, "stay_line")]
    assert (threshold, compared) == (Decimal("6000.00"), Decimal("6000.01"))
    assert zh == "2026年一次住院个人负担 6,000.01 元，超过 6,000 元"
    assert got[(cat, "oop_category_line")][:2] == (Decimal("10000.00"), Decimal("10000.01"))


def test_rules_check_refuses_a_bad_line_table(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(rules.RULES_DIR, folder)
    (folder / "regions" / "14.toml").write_text(
        'region = "14"\n[[override]]\nrule = "stay_line"\n[override.params.lines]\n'
        'rich = "1"\nmonitored = "lots"\n',
        encoding="utf-8",
    )
    with pytest.raises(rules.RulesError) as info:
        rules.load(folder)
    text = str(info.value)
    assert "category 'rich' does not exist" in text
    assert "lines for monitored = 'lots' is not a number" in text


def test_a_rolling_window_moves_with_a_weekly_import(tmp_path, db, query, switched_on):
    """Week 2 brings only someone else's claim, 15 days later: the data's date moves from
    2026-09-20 to 2026-10-05 and the first person's 90-day window loses R1 (2026-07-01), so the
    weekly run drops their flag (as a full run would)."""
    roll, other = make_id(51), make_id(52)
    write_csv(
        tmp_path / "w1" / "roster.csv",
        ["person_id", "name", "household_id", "village_code", "category"],
        [(roll, "某", "H1", VILLAGE, "general"), (other, "某", "H2", VILLAGE, "general")],
    )
    write_csv(tmp_path / "w1" / "claims.csv", HEADER, [
        ("R1", roll, "2026-07-01", "outpatient", "7000.00", "0", "0", "0"),
        ("R2", roll, "2026-09-20", "outpatient", "7141.61", "0", "0", "0"),
    ])  # fmt: skip
    flow.ingest([tmp_path / "w1"], db, rules_dir=switched_on)
    assert query("SELECT person_id FROM watchlist") == [(roll,)]
    write_csv(tmp_path / "w2" / "claims.csv", HEADER, [
        ("X1", other, "2026-10-05", "outpatient", "10.00", "0", "0", "0"),
    ])  # fmt: skip
    flow.ingest([tmp_path / "w2"], db, rules_dir=switched_on)
    assert query("SELECT count(*) FROM watchlist") == [(0,)]


def household_net_rules(tmp_path: Path) -> Path:
    """Only household_net_income on in Shanxi (14), the way rules/examples/37.toml switches it
    on: 365 days, twice a dibao standard of 7,200."""
    return only_on(
        tmp_path, {"household_net_income": '[override.params]\ndibao_standard = "7200.00"'}
    )


def test_household_income_net_of_oop_under_twice_the_dibao_standard(tmp_path, db, query):
    """Data's date 2026-11-20; the window is the 365 days after 2025-11-20. Three members and
    50,000.00 a year: the household's line is 50,000.00 - 2 x 7,200 x 3 = 6,800.00 of OOP."""
    a, b, f, c, d, g, e = (make_id(i) for i in range(61, 68))
    roster = [(a, "H1", "50000.00"), (b, "H1", "50000.00"), (f, "H1", "50000.00"),
              (c, "H2", "50000.00"), (d, "H2", "50000.00"), (g, "H2", "50000.00"),
              (e, "H3", "")]  # fmt: skip
    write_csv(
        tmp_path / "w" / "roster.csv",
        ["person_id", "name", "household_id", "village_code", "category", "household_income"],
        [(p, "某", h, VILLAGE, "out_of_poverty", inc) for p, h, inc in roster],
    )
    write_csv(tmp_path / "w" / "claims.csv", HEADER, [
        # H1: 4,000.00 (inside the window, in 2025) + 2,800.03 = 6,800.03 over 6,800.00
        ("A1", a, "2025-11-21", "outpatient", "4000.00", "0", "0", "0"),
        ("B1", b, "2026-11-20", "outpatient", "2800.03", "0", "0", "0"),
        # H2: 1.00 on 2025-11-20 is 365 days back, outside; 6,800.00 is not over 6,800.00
        ("C1", c, "2025-11-20", "outpatient", "1.00", "0", "0", "0"),
        ("D1", d, "2026-06-01", "outpatient", "6800.00", "0", "0", "0"),
        # H3: no income figure, never treated as zero
        ("E1", e, "2026-06-01", "outpatient", "50000.00", "0", "0", "0"),
    ])  # fmt: skip
    flow.ingest([tmp_path / "w"], db, rules_dir=household_net_rules(tmp_path))
    got = flags(query)
    # a's claim is 2025's: a has no 2026 person-year to flag; f has no claims at all
    assert set(got) == {(b, "household_net_income")}
    threshold, compared, zh = got[(b, "household_net_income")]
    assert (threshold, compared) == (Decimal("6800.00"), Decimal("6800.03"))
    # (50,000.00 - 6,800.03) / 3 = 14,399.99
    assert zh == (
        "截至数据日期近 365 天家庭个人负担 6,800.03 元，家庭年收入 50,000.00 元扣除后人均 "
        "14,399.99 元（3 人），低于当地低保标准 7,200 元的 2 倍"
    )
    assert query("SELECT person_id FROM watchlist") == [(b,)]


def test_a_member_s_net_income_of_half_a_cent_rounds_up_as_money_does(tmp_path, db, query):
    """(23,220.00 - 5,659.15) / 2 members = 8,780.425: 8,780.43, half away from zero, as every
    amount is rounded. Divided as a double (DuckDB's DECIMAL / INTEGER) it was 8,780.42499… and
    printed 8,780.42; Spark, dividing decimals, printed 8,780.43 (found by the national parity
    test)."""
    a, b = make_id(71), make_id(72)
    write_csv(
        tmp_path / "w" / "roster.csv",
        ["person_id", "name", "household_id", "village_code", "category", "household_income"],
        [(p, "某", "H9", VILLAGE, "out_of_poverty", "23220.00") for p in (a, b)],
    )
    write_csv(tmp_path / "w" / "claims.csv", HEADER, [
        ("A1", a, "2026-11-20", "outpatient", "5659.15", "0", "0", "0"),
    ])  # fmt: skip
    flow.ingest([tmp_path / "w"], db, rules_dir=household_net_rules(tmp_path))
    threshold, compared, zh = flags(query)[(a, "household_net_income")]
    # the line: 23,220.00 - 2 x 7,200 x 2 members is below 0, so 0.00
    assert (threshold, compared) == (Decimal("0.00"), Decimal("5659.15"))
    assert "扣除后人均 8,780.43 元（2 人）" in zh


def test_a_household_net_rule_on_without_a_dibao_standard_is_refused(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(rules.RULES_DIR, folder)
    (folder / "regions" / "14.toml").write_text(
        'region = "14"\n[[override]]\nrule = "household_net_income"\nenabled = true\n',
        encoding="utf-8",
    )
    with pytest.raises(rules.RulesError) as info:
        rules.load(folder)
    assert str(info.value) == (
        "14.toml: rule household_net_income is on in region 14 but has no dibao_standard"
    )


def test_the_shandong_example_loads_when_copied_into_regions(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(rules.RULES_DIR, folder)
    shutil.copy(folder / "examples" / "37.toml", folder / "regions" / "37.toml")
    ruleset = rules.load(folder)
    (rule,) = [r for r in rules.resolve(ruleset, "37") if r.id == "household_net_income"]
    assert (rule.enabled, rule.params) == (
        True, {"window_days": 365, "multiple": "2", "dibao_standard": "7200.00"}
    )  # fmt: skip
    assert not [r for r in rules.resolve(ruleset, "14") if r.id == "household_net_income"][
        0
    ].enabled
