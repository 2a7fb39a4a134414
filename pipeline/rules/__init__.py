"""Rules as data: load and check ``rules/`` (TOML), resolve region overrides, evaluate them over
the models (``evaluate``)."""

from pipeline.rules.evaluation import compile_to, evaluate, run_summary, standing_run
from pipeline.rules.ruleset import (
    KINDS,
    OPEN_END,
    RULES_DIR,
    SEVERITIES,
    Region,
    Rule,
    RulesError,
    RuleSet,
    check_region,
    describe,
    load,
    reference_income,
    resolve,
)

__all__ = [
    "KINDS", "OPEN_END", "RULES_DIR", "SEVERITIES", "Region", "Rule", "RuleSet", "RulesError",
    "check_region", "compile_to", "describe", "evaluate", "load", "reference_income", "resolve",
    "run_summary", "standing_run",
]  # fmt: skip
