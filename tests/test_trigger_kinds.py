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


@pytest.fixture
def switched_on(tmp_path: Path) -> Path:
    """The shipped rules with only the three new kinds on in Shanxi (14)."""
    folder = tmp_path / "rules"
    shutil.copytree(rules.RULES_DIR, folder)
    lines = ['region = "14"', ""]
    for rule in ("oop_line", "oop_income", "projected", "household_burden", "coverage_gap",
                 "assistance_shortfall"):  # fmt: skip
        lines += ["[[override]]", f'rule = "{rule}"', "enabled = false", ""]
    for rule in ONLY:
        lines += ["[[override]]", f'rule = "{rule}"', "enabled = true", ""]
    (folder / "regions" / "14.toml").write_text("\n".join(lines), encoding="utf-8")
    return folder


def flags(query) -> dict[tuple[str, str], tuple]:
    return {(p, r): (t, c, zh) for p, r, t, c, zh in query(
        "SELECT person_id, rule_id, threshold, compared_oop, explain_zh FROM flags"
    )}  # fmt: skip


def test_rolling_window_stay_and_category_lines(tmp_path, db, query, switched_on):
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
