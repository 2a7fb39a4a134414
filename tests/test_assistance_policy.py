"""Medical-assistance policy as data (rules/assistance/): the shipped default and example,
their checks, and what `oopwatch rules show` prints of them."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline import rules
from pipeline.rules import assistance


def test_the_shipped_policy_in_force(cli, tmp_path: Path) -> None:
    ruleset = rules.load()
    items, caps, tilted = assistance.in_force(ruleset.assistance, "140123", 2026)  # Shanxi
    got = {(i.category, i.group): (i.ratio, i.deductible, i.cap) for i in items}
    assert got == {
        ("destitute", "inpatient"): (Decimal("1.00"), None, None),
        ("dibao", "inpatient"): (Decimal("0.70"), None, "dibao_year"),
        ("monitored", "inpatient"): (Decimal("0.70"), None, None),
        ("destitute", "chronic"): (Decimal("0.60"), None, None),
        ("dibao", "chronic"): (Decimal("0.30"), None, "dibao_year"),
        ("monitored", "chronic"): (Decimal("0.30"), None, None),
        ("destitute", "special_drug"): (Decimal("0.20"), None, None),
        ("dibao", "special_drug"): (Decimal("0.10"), None, "dibao_year"),
        ("monitored", "special_drug"): (Decimal("0.10"), None, None),
    }, "the numbers of the Shanxi 2022 plan; categories it does not name get nothing"
    assert [(c.name, c.amount) for c in caps] == [("dibao_year", Decimal("60000"))]
    assert tilted == []
    assert all(i.source for i in items), "each number with the statement it comes from"
    # the shipped example (not in force) copied into regions/: the county adds a dibao_edge
    # item with a share-of-income deductible and a tilted tier
    assert assistance.in_force(ruleset.assistance, "230224101201", 2026)[2] == []
    folder = tmp_path / "rules"
    shutil.copytree(rules.RULES_DIR, folder)
    (folder / "assistance" / "regions").mkdir(exist_ok=True)
    shutil.copy(folder / "assistance" / "examples" / "230224.toml",
                folder / "assistance" / "regions" / "230224.toml")  # fmt: skip
    ruleset = rules.load(folder)
    items, _caps, tilted = assistance.in_force(ruleset.assistance, "230224101201", 2026)
    edge = next(i for i in items if i.category == "dibao_edge")
    assert (edge.ratio, edge.deductible_share) == (Decimal("0.60"), Decimal("0.10"))
    assert [(t.deductible, t.ratio, t.cap) for t in tilted] == [
        (Decimal("5000"), Decimal("0.70"), Decimal("50000"))
    ]
    assert assistance.in_force(ruleset.assistance, "140123", 2021) == ([], [], [])

    shown = cli("rules", "show", "--rules", folder, "--region", "230224", "--year", "2026").output
    assert "dibao / inpatient (inpatient): ratio 0.70, no deductible, cap dibao_year" in shown
    assert "(rules/assistance/default.toml: 低保对象住院救助比例 70%，年度救助限额 6 万元)" in shown
    assert "tilted tier for destitute, dibao, monitored, dibao_edge: above 5000 yuan" in shown
    assert "(rules/assistance/regions/230224.toml:" in shown
    checked = cli("rules", "check", folder).output
    assert "assistance policy: 10 item(s), 1 cap(s), 1 tilted tier(s) in 2 file(s)" in checked
    shipped = cli("rules", "check").output
    assert "assistance policy: 9 item(s), 1 cap(s), 0 tilted tier(s) in 1 file(s)" in shipped


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[item]]\ncategory = "rich"\ngroup = "inpatient"\nratio = "0.5"\n',
         "category 'rich' does not exist"),
        ('[[item]]\ncategory = "dibao"\ngroup = "dental"\nratio = "0.5"\n',
         "group 'dental' is not defined"),
        ('[groups]\ndental = ["teeth"]\n', "visit type 'teeth' does not exist"),
        ('[[item]]\ncategory = "dibao"\ngroup = "inpatient"\nratio = "1.5"\n',
         "ratio = '1.5' is not a ratio between 0 and 1"),
        ('[[item]]\ncategory = "dibao"\ngroup = "inpatient"\nratio = "0.5"\ncap = "nope"\n',
         "cap 'nope' is not defined for this region"),
        ('[[item]]\ncategory = "dibao"\ngroup = "inpatient"\nratio = "0.5"\n'
         'effective_from = 2020\neffective_to = 2030\n'
         '[[item]]\ncategory = "dibao"\ngroup = "inpatient"\nratio = "0.6"\n'
         'effective_from = 2025\n', "years 2020–2030 and 2025–9999 overlap"),
        ('[[item]]\ncategory = "dibao"\ngroup = "inpatient"\nratio = "0.5"\n'
         'deductible = "100"\ndeductible_share = "0.1"\n', "not both"),
    ],
)  # fmt: skip
def test_rules_check_refuses_a_bad_assistance_file(cli, tmp_path: Path, text, message) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(rules.RULES_DIR, folder)
    extra = folder / "assistance" / "regions" / "14.toml"
    extra.write_text(f'region = "14"\n{text}', encoding="utf-8")
    result = cli("rules", "check", folder)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "assistance/regions/14.toml" in result.output
