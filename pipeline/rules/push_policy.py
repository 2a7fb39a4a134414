"""The departmental push policy as data (``rules/push.toml``, ``rules/holidays.csv``): warning
types, how often each department is sent a list, the deadlines for answers, the calendar."""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pipeline import schema

DEPARTMENTS = ("civil", "rural")
DAY_KINDS = ("holiday", "workday")  # a public holiday; a weekend day worked instead (调休)


@dataclass(frozen=True)
class Warning:
    """A warning type: the categories it covers and the share of the reference income over
    which a listed person of them is pushed."""

    type: str
    label_zh: str
    label_en: str
    categories: tuple[str, ...]
    share: Decimal


@dataclass(frozen=True)
class Cadence:
    """How often the people of ``categories`` are pushed to each of ``departments``."""

    departments: tuple[str, ...]
    categories: tuple[str, ...]
    every_days: int


@dataclass
class PushPolicy:
    """Everything in push.toml and holidays.csv, checked."""

    warnings: list[Warning] = field(default_factory=list)
    cadences: list[Cadence] = field(default_factory=list)
    departments: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (zh, en)
    decision_working_days: int = 20
    visit_days: int = 14
    roster_days: int = 30
    holidays: list[tuple[dt.date, str, str]] = field(default_factory=list)  # date, kind, name

    def warning_rows(self) -> list[tuple[str, str, str, list[str], str]]:
        """(type, zh, en, categories, share) of every warning type, for SQL parameters."""
        return [
            (w.type, w.label_zh, w.label_en, list(w.categories), str(w.share))
            for w in self.warnings
        ]

    def warning_label(self, type_: str, lang: str) -> str:
        """A warning type's label in ``lang`` (the type itself when the policy has none)."""
        for w in self.warnings:
            if w.type == type_:
                return w.label_zh if lang == "zh" else w.label_en
        return type_

    def department_label(self, code: str, lang: str) -> str:
        zh, en = self.departments.get(code, (code, code))
        return zh if lang == "zh" else en


def _positive_int(where: str, value: object, problems: list[str]) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.append(f"{where}: must be a whole number of at least 1, not {value!r}")
        return 1
    return value


def _categories(where: str, value: object, problems: list[str]) -> tuple[str, ...]:
    known = schema.CODES["category"]
    if not isinstance(value, list) or not value:
        problems.append(f"{where}: categories must be a list of category codes")
        return ()
    unknown = [c for c in value if c not in known]
    if unknown:
        problems.append(f"{where}: unknown categories {unknown}: use {', '.join(known)}")
    return tuple(c for c in value if c in known)


def _warnings(path: Path, data: dict, problems: list[str]) -> list[Warning]:
    out, seen = [], {}
    for n, entry in enumerate(data.get("warning", []), start=1):
        where = f"{path.name} [[warning]] {n}"
        missing = [
            k for k in ("type", "label_zh", "label_en", "categories", "share") if k not in entry
        ]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        try:
            share = Decimal(str(entry["share"]))
        except InvalidOperation:
            share = Decimal(-1)
        if not Decimal(0) <= share <= Decimal(10) or share != round(share, 4):
            problems.append(f'{where}: share {entry["share"]!r} is not a share like "0.5"')
            continue
        cats = _categories(where, entry["categories"], problems)
        for c in cats:
            if c in seen:
                problems.append(f"{where}: category {c} is in warning {seen[c]} already")
            seen[c] = entry["type"]
        out.append(Warning(entry["type"], entry["label_zh"], entry["label_en"], cats, share))
    if not out:
        problems.append(f"{path.name}: no [[warning]]: nobody could be pushed")
    return out


def _cadences(path: Path, data: dict, problems: list[str]) -> list[Cadence]:
    out = []
    for n, entry in enumerate(data.get("cadence", []), start=1):
        where = f"{path.name} [[cadence]] {n}"
        departments = entry.get("departments", [])
        unknown = (
            [d for d in departments if d not in DEPARTMENTS]
            if isinstance(departments, list)
            else [departments]
        )
        if unknown or not departments:
            problems.append(f"{where}: departments must be a list of {', '.join(DEPARTMENTS)}")
            continue
        cats = _categories(where, entry.get("categories"), problems)
        days = _positive_int(f"{where} every_days", entry.get("every_days"), problems)
        out.append(Cadence(tuple(departments), cats, days))
    return out


def _holidays(path: Path, problems: list[str]) -> list[tuple[dt.date, str, str]]:
    if not path.exists():
        return []
    rows = []
    with open(path, encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.DictReader(fh), start=2):
            try:
                day = dt.date.fromisoformat((row.get("date") or "").strip())
            except ValueError:
                problems.append(f"{path.name} line {n}: date {row.get('date')!r} is not YYYY-MM-DD")
                continue
            kind = (row.get("kind") or "").strip()
            if kind not in DAY_KINDS:
                problems.append(f"{path.name} line {n}: kind {kind!r} is not holiday or workday")
                continue
            rows.append((day, kind, (row.get("name") or "").strip()))
    return rows


def load(folder: Path, problems: list[str]) -> PushPolicy:
    """Read ``folder/push.toml`` and ``folder/holidays.csv``, adding problems to ``problems``.
    A folder without push.toml uses the shipped one (``rules/push.toml``)."""
    from pipeline.rules.ruleset import RULES_DIR

    path = folder / "push.toml"
    if not path.exists():
        path = RULES_DIR / "push.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"{path}: cannot be read: {exc}")
        return PushPolicy()
    policy = PushPolicy(warnings=_warnings(path, data, problems))
    policy.cadences = _cadences(path, data, problems)
    for code, entry in (data.get("department") or {}).items():
        if code not in DEPARTMENTS:
            problems.append(f"{path.name} [department.{code}]: use {', '.join(DEPARTMENTS)}")
            continue
        policy.departments[code] = (entry.get("label_zh", code), entry.get("label_en", code))
    for code in DEPARTMENTS:
        policy.departments.setdefault(code, (code, code))
    deadlines = data.get("deadlines") or {}
    for key in ("decision_working_days", "visit_days", "roster_days"):
        if key in deadlines:
            value = _positive_int(f"{path.name} [deadlines] {key}", deadlines[key], problems)
            setattr(policy, key, value)
    policy.holidays = _holidays(path.parent / "holidays.csv", problems)
    return policy
