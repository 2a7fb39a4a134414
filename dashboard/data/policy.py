"""The policy lab (政策模拟): the rules in force in a province and the what-if of edited
parameters against the snapshot (pipeline/rules/whatif.py; nothing is written to the store)."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

import streamlit as st

from dashboard.data.access import guarded, in_region, lab_scope
from dashboard.data.snapshots import cursor
from pipeline import rules
from pipeline.rules import whatif


@st.cache_resource(show_spinner=False)
def _ruleset() -> rules.RuleSet:
    return rules.load(rules.RULES_DIR)


@guarded(lab_scope, in_region())
@st.cache_data(max_entries=32, show_spinner=False)
def policy_parameters(region: str, year: int) -> whatif.Parameters:
    """The monitoring line, income shares, assistance ratios and caps in force in ``region``."""
    return whatif.parameters(_ruleset(), region, year)


@guarded(lab_scope, in_region())
@st.cache_data(max_entries=16, show_spinner=False)
def policy_whatif(
    snapshot: str, region: str, year: int, line: str | None,
    shares: tuple[tuple[str, str], ...], ratios: tuple[tuple[str, str, str, str | None], ...],
    caps: tuple[tuple[str, str], ...],
) -> tuple[whatif.WhatIf, dict[str, str]]:  # fmt: skip
    """The region under the edited parameters, side by side with now, and the region files
    (relative path -> TOML text) that put them in force. Amounts and shares as text (exact)."""
    params = whatif.Parameters(
        Decimal(line) if line else None,
        {c: Decimal(v) for c, v in shares},
        {(c, g): Decimal(r) for c, g, r, _ in ratios},
        {(c, g): cap for c, g, _, cap in ratios},
        {n: Decimal(a) for n, a in caps},
    )
    source = f"政策模拟 / policy lab, {dt.date.today().isoformat()}"
    files = whatif.override_files(region, params, source, rules.RULES_DIR)
    with tempfile.TemporaryDirectory() as tmp:
        ruleset = rules.load(whatif.with_overrides(rules.RULES_DIR, files, Path(tmp)))
    con = cursor(snapshot)  # its own temp tables: the shared connection's are untouched
    try:
        result = whatif.compare(con, ruleset, year, region, Path(snapshot).name)
    finally:
        con.close()
    return result, files
