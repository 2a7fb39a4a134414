"""oopwatch whatif (issue 18): an alternative rules folder against a real store, side by side,
with nothing written to the store."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from pipeline import flow
from tests.conftest import make_id, write_csv
from tests.test_assistance_replay import HEADER, policy, roster  # noqa: F401 (a fixture)

D = Decimal


def alternative(folder: Path, tmp_path: Path) -> Path:
    """The same rules with a line of 8,000 and 80% assistance for monitored inpatients."""
    alt = tmp_path / "alt"
    shutil.copytree(folder, alt)
    for name in ("default.toml", "regions/23.toml"):
        path = alt / name
        path.write_text(path.read_text(encoding="utf-8").replace('"10000.00"', '"8000.00"'),
                        encoding="utf-8")  # fmt: skip
    path = alt / "assistance" / "default.toml"
    text = path.read_text(encoding="utf-8")
    old = 'category = "monitored"\ngroup = "inpatient"\nratio = "0.70"'
    assert old in text
    path.write_text(text.replace(old, old.replace("0.70", "0.80")), encoding="utf-8")
    return alt


def test_whatif_side_by_side_and_nothing_written(tmp_path, db, query, policy, cli):  # noqa: F811
    """Now: g2 over the 10,000 line; m2 short (the county's tilted tier owes 1,000.00 more:
    22,000.00 owed, 21,000.00 paid). The alternative: a line of 8,000 and 80% for monitored
    inpatients, paid as the policy in force is paid now. g1 (9,000) enters; m (owed 8,000.00,
    paid 7,000.00 now) gets 1,000.00 more, so is not short; m2 (owed 24,700.00: 24,000 + 70% of
    the 1,000 of remaining OOP above 5,000) gets 2,700.00 more: its OOP falls from 9,000.00 to
    6,300.00, under the new line, and it stays 1,000.00 short."""
    g1, g2, m, m2 = make_id(31), make_id(32), make_id(33), make_id(35)
    week = tmp_path / "w1"
    roster(week, [(g1, "general"), (g2, "general"), (m, "monitored"), (m2, "monitored")])
    write_csv(week / "claims.csv", HEADER, [
        ("G1", g1, "2026-02-01", "outpatient", "9000.00", "0", "0", "0", "0", "9000.00"),
        ("G2", g2, "2026-02-01", "outpatient", "12000.00", "0", "0", "0", "0", "12000.00"),
        ("M1", m, "2026-02-01", "inpatient", "10000.00", "0", "0", "7000.00", "0", "10000.00"),
        ("M2", m2, "2026-02-01", "inpatient", "30000.00", "0", "0", "21000.00", "0",
         "30000.00"),
    ])  # fmt: skip
    flow.ingest([week], db, rules_dir=policy)
    before = query("SELECT count(*), sum(entitled) FROM assistance_replay")
    runs = query("SELECT count(*) FROM rule_runs")
    out = tmp_path / "whatif.xlsx"
    done = cli("whatif", "--db", db, "--rules", alternative(policy, tmp_path), "--year", "2026",
               "--out", out)  # fmt: skip
    assert done.exit_code == 0, done.output
    text = done.output
    assert "people flagged                       2             3   entering 1, leaving 0" in text
    assert "  oop_line                           1             2" in text
    assert "  assistance_shortfall               1             1" in text
    assert (
        "medical assistance: owed now 29,000.00 yuan, under the alternative 32,700.00 yuan, "
        "paid 28,000.00 yuan" in text
    )
    assert "would owe 4,700.00 yuan more than was paid (3,700.00 yuan more than" in text
    assert "would enter: 1" in text and "would leave" not in text
    entering = [line for line in text.splitlines() if line.startswith("  2301")]
    assert len(entering) == 1 and "**********" in entering[0], "IDs masked"
    # a region's what-if replays its people only, with the same figures
    alt = tmp_path / "alt"
    regional = cli("whatif", "--db", db, "--rules", alt, "--year", "2026", "--region", "23")
    assert regional.exit_code == 0, regional.output
    for line in text.splitlines()[2:]:
        if line.startswith(("people flagged", "medical assistance:", "the alternative")):
            assert line in regional.output, line
    # nothing written: the store's replay and runs are as they were
    assert query("SELECT count(*), sum(entitled) FROM assistance_replay") == before
    assert query("SELECT count(*) FROM rule_runs") == runs
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["summary", "by_rule", "by_category", "by_region", "changes"]
    changes = list(book["changes"].iter_rows(min_row=2, values_only=True))
    assert [(c[0], c[6]) for c in changes] == [("enter", "oop_line")]
    assert all("*" in c[1] for c in changes), "IDs masked"


def test_the_rules_in_force_change_nothing(tmp_path, db, policy, cli):  # noqa: F811
    """The rules the store was evaluated with, as the alternative: nobody enters or leaves."""
    p = make_id(34)
    week = tmp_path / "w1"
    roster(week, [(p, "monitored")])
    write_csv(week / "claims.csv", HEADER, [
        ("P1", p, "2026-02-01", "inpatient", "30000.00", "0", "0", "1000.00", "0", "30000.00"),
    ])  # fmt: skip
    flow.ingest([week], db, rules_dir=policy)
    done = cli("whatif", "--db", db, "--rules", policy)
    assert done.exit_code == 0, done.output
    assert "entering 0, leaving 0" in done.output
    assert "(0.00 yuan more than the policy in force owes)" in done.output
    # a region goes into the what-if's SQL: only a division code passes, on every path in
    refused = cli("whatif", "--db", db, "--rules", policy, "--region", "23' OR '1'='1")
    assert refused.exit_code != 0
    assert "is not a 2/4/6/9/12-digit division code" in refused.output
    from dashboard import data
    from pipeline import rules as rules_mod
    from pipeline.rules import whatif

    con = data.cursor(data.current(db))
    try:
        with pytest.raises(whatif.WhatIfRefused):
            whatif.compare(con, rules_mod.load(policy), 2026, "23' OR '1'='1", "snapshot")
    finally:
        con.close()
