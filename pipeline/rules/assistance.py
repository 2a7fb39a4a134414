"""Medical-assistance policy as data (``rules/assistance/``): load and check it, and resolve the
policy in force in a region and year with the file each value comes from.

A file has ``[groups]`` (visit-type groups: name -> visit types), ``[[item]]`` rows (category,
group, ratio, optional deductible in yuan or ``deductible_share`` of the previous year's rural
per-capita income, optional shared ``cap``), ``[[cap]]`` rows (name, yearly amount) and
``[[tilted]]`` rows (倾斜救助: categories, a deductible on the year's remaining OOP, ratio,
cap). ``regions/<code>.toml`` override the default for their region: per (category, group) item,
per cap name and for the tilted tier, the most specific code in force that year wins.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pipeline import schema

OPEN_END = 9999
CATEGORIES = set(schema.CODES["category"])
VISIT_TYPES = set(schema.CODES["visit_type"])


@dataclass(frozen=True)
class Item:
    """What a category gets for a visit-type group: ratio above a deductible, within a cap."""

    file: str
    region: str
    category: str
    group: str
    ratio: Decimal
    deductible: Decimal | None
    deductible_share: Decimal | None
    cap: str | None
    years: tuple[int, int]
    source: str


@dataclass(frozen=True)
class Cap:
    """A yearly amount shared by every item that names it."""

    file: str
    region: str
    name: str
    amount: Decimal
    years: tuple[int, int]
    source: str


@dataclass(frozen=True)
class Tilted:
    """倾斜救助: a second deductible on the year's remaining OOP, a ratio and a cap."""

    file: str
    region: str
    categories: tuple[str, ...]
    deductible: Decimal
    ratio: Decimal
    cap: Decimal | None
    years: tuple[int, int]
    source: str


@dataclass
class Policy:
    """Every assistance policy file of a rules folder, checked."""

    groups: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # region -> groups
    items: list[Item] = field(default_factory=list)
    caps: list[Cap] = field(default_factory=list)
    tilted: list[Tilted] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # region -> (zh, en)


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _years(where: str, entry: dict, base: tuple[int, int], problems: list[str]) -> tuple[int, int]:
    start = entry.get("effective_from", base[0])
    end = entry.get("effective_to", base[1])
    for key, value in (("effective_from", start), ("effective_to", end)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1990 <= value <= OPEN_END:
            problems.append(f"{where}: {key} = {value!r} is not a year")
            return base
    if end < start:
        problems.append(f"{where}: effective_to {end} is before effective_from {start}")
    return (start, end)


def _ratio(where: str, name: str, value: object, problems: list[str]) -> Decimal:
    number = _number(value)
    if number is None or not 0 <= number <= 1:
        problems.append(f"{where}: {name} = {value!r} is not a ratio between 0 and 1")
        return Decimal(0)
    return number


def _amount(where: str, name: str, value: object, problems: list[str]) -> Decimal | None:
    if value is None:
        return None
    number = _number(value)
    if number is None or number < 0:
        problems.append(f"{where}: {name} = {value!r} is not an amount in yuan ≥ 0")
        return None
    return number


def _category(where: str, value: object, problems: list[str]) -> str:
    if value not in CATEGORIES:
        known = ", ".join(schema.CODES["category"])
        problems.append(f"{where}: category {value!r} does not exist (categories: {known})")
    return str(value)


def _load_file(
    path: Path, folder: Path, region: str | None, policy: Policy, problems: list[str]
) -> None:
    """Read one file into ``policy``; ``region`` None for a region file (it names its own)."""
    name = str(path.relative_to(folder.parent))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"{name}: cannot read: {exc}")
        return
    if region is None:
        region = str(data.get("region", ""))
        if not (region.isdigit() and len(region) in (2, 4, 6, 9)):
            problems.append(f"{name}: region = {region!r} is not a 2/4/6/9-digit division code")
            return
    base = _years(name, {"effective_from": data.get("effective_from", 1990),
                         "effective_to": data.get("effective_to", OPEN_END)},
                  (1990, OPEN_END), problems)  # fmt: skip
    if "name_zh" in data or "name_en" in data:  # how explanations name the policy
        zh = str(data.get("name_zh", data.get("name_en", "")))
        policy.names[region] = (zh, str(data.get("name_en", zh)))
    groups = data.get("groups", {})
    if not isinstance(groups, dict):
        problems.append(f"{name}: [groups] must be a table of group = [visit types]")
        groups = {}
    for group, types in groups.items():
        for visit in types if isinstance(types, list) else [types]:
            if visit not in VISIT_TYPES:
                known = ", ".join(schema.CODES["visit_type"])
                problems.append(
                    f"{name}: group {group}: visit type {visit!r} does not exist ({known})"
                )
    policy.groups[region] = {g: list(t) for g, t in groups.items() if isinstance(t, list)}
    for i, entry in enumerate(data.get("item", []), start=1):
        where = f"{name} item {i}"
        policy.items.append(
            Item(
                file=name, region=region,
                category=_category(where, entry.get("category"), problems),
                group=str(entry.get("group", "")),
                ratio=_ratio(where, "ratio", entry.get("ratio"), problems),
                deductible=_amount(where, "deductible", entry.get("deductible"), problems),
                deductible_share=_amount(
                    where, "deductible_share", entry.get("deductible_share"), problems
                ),
                cap=entry.get("cap"), years=_years(where, entry, base, problems),
                source=str(entry.get("source", "")),
            )
        )  # fmt: skip
    for i, entry in enumerate(data.get("cap", []), start=1):
        where = f"{name} cap {i}"
        amount = _amount(where, "amount", entry.get("amount"), problems)
        policy.caps.append(
            Cap(
                name,
                region,
                str(entry.get("name", "")),
                amount or Decimal(0),
                _years(where, entry, base, problems),
                str(entry.get("source", "")),
            )  # fmt: skip
        )
    for i, entry in enumerate(data.get("tilted", []), start=1):
        where = f"{name} tilted {i}"
        cats = tuple(_category(where, c, problems) for c in entry.get("categories", []))
        policy.tilted.append(
            Tilted(
                name, region, cats,
                _amount(where, "deductible", entry.get("deductible", 0), problems) or Decimal(0),
                _ratio(where, "ratio", entry.get("ratio"), problems),
                _amount(where, "cap", entry.get("cap"), problems),
                _years(where, entry, base, problems), str(entry.get("source", "")),
            )
        )  # fmt: skip
    policy.files.append(path)


def groups_for(policy: Policy, region: str) -> dict[str, list[str]]:
    """The visit-type groups in force in ``region``: the default's, overridden per group."""
    merged: dict[str, list[str]] = {}
    for code in ["", *(region[:n] for n in (2, 4, 6, 9) if len(region) >= n)]:
        merged.update(policy.groups.get(code, {}))
    return merged


def _cross_checks(policy: Policy, divisions: set[str], problems: list[str]) -> None:
    for region in policy.groups:
        if region and region not in divisions:
            problems.append(f"assistance region {region} is not in the division list (MCA codes)")
    for item in policy.items:
        groups = groups_for(policy, item.region)
        if item.group not in groups:
            problems.append(
                f"{item.file}: item {item.category}/{item.group}: group {item.group!r} is not "
                f"defined ([groups] has {', '.join(groups) or 'none'})"
            )
        if item.deductible is not None and item.deductible_share is not None:
            problems.append(
                f"{item.file}: item {item.category}/{item.group}: a deductible in yuan or a "
                "share of income, not both"
            )
        caps = {c.name for c in policy.caps if item.region.startswith(c.region)}
        if item.cap is not None and item.cap not in caps:
            problems.append(
                f"{item.file}: item {item.category}/{item.group}: cap {item.cap!r} is not "
                "defined for this region"
            )
    keys: dict[tuple, list[Item]] = {}
    for item in policy.items:
        keys.setdefault((item.region, item.category, item.group), []).append(item)
    for (region, category, group), items in keys.items():
        spans = sorted(i.years for i in items)
        for (a0, a1), (b0, b1) in zip(spans, spans[1:], strict=False):
            if b0 <= a1:
                problems.append(
                    f"{items[0].file}: {category}/{group} of region {region or 'default'}: "
                    f"years {a0}–{a1} and {b0}–{b1} overlap"
                )


def load(folder: Path, divisions: set[str], problems: list[str]) -> Policy:
    """Read ``folder/assistance/`` (none: no assistance policy), adding problems to ``problems``."""
    policy = Policy()
    base = folder / "assistance"
    default = base / "default.toml"
    if default.exists():
        _load_file(default, folder, "", policy, problems)
    for path in sorted((base / "regions").glob("*.toml")):
        _load_file(path, folder, None, policy, problems)
    _cross_checks(policy, divisions, problems)
    return policy


def in_force(policy: Policy, region: str, year: int) -> tuple[list[Item], list[Cap], list[Tilted]]:
    """The items, caps and tilted tier in force in ``region`` (a code of any length) in
    ``year``: per (category, group), per cap name and for the tilted tier, the most specific
    region's entry whose years include ``year``."""

    def applies(entry: Item | Cap | Tilted) -> bool:
        return region.startswith(entry.region) and entry.years[0] <= year <= entry.years[1]

    def best(entries: list, key) -> list:  # noqa: ANN001
        chosen: dict = {}
        for entry in sorted((e for e in entries if applies(e)), key=lambda e: len(e.region)):
            chosen[key(entry)] = entry
        return list(chosen.values())

    items = best(policy.items, lambda i: (i.category, i.group))
    caps = best(policy.caps, lambda c: c.name)
    tilted = [t for t in policy.tilted if applies(t)]
    if tilted:
        deepest = max(len(t.region) for t in tilted)
        tilted = [t for t in tilted if len(t.region) == deepest]
    return items, caps, tilted


def describe(policy: Policy, region: str, year: int) -> list[str]:
    """The assistance policy in force, one line per value with the file it comes from."""
    items, caps, tilted = in_force(policy, region, year)
    groups = groups_for(policy, region)
    lines = [f"medical assistance policy in force in {region or '(default)'} for {year}:"]
    if not items:
        lines.append("  none (no category gets assistance)")
    for item in sorted(items, key=lambda i: (i.category, i.group)):
        visits = ", ".join(groups.get(item.group, []))
        deductible = (
            f"deductible {item.deductible} yuan" if item.deductible is not None
            else f"deductible {item.deductible_share} of last year's rural income"
            if item.deductible_share is not None else "no deductible"
        )  # fmt: skip
        cap = f", cap {item.cap}" if item.cap else ""
        lines.append(
            f"  {item.category} / {item.group} ({visits}): ratio {item.ratio}, {deductible}{cap}"
            f"  ({item.file}: {item.source})"
        )
    for cap in sorted(caps, key=lambda c: c.name):
        lines.append(f"  cap {cap.name}: {cap.amount} yuan a year  ({cap.file}: {cap.source})")
    for tier in tilted:
        cap = f", cap {tier.cap} yuan" if tier.cap is not None else ""
        lines.append(
            f"  tilted tier for {', '.join(tier.categories)}: above {tier.deductible} yuan of the "
            f"year's remaining OOP, ratio {tier.ratio}{cap}  ({tier.file}: {tier.source})"
        )
    return lines
