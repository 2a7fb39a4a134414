"""``oopwatch national build``: the national models and rules from every province's partitions
of the warehouse, on DuckDB or on Spark, from one source of SQL (``pipeline/sql/national/``,
one relation per file, built in the order their ``-- reads:`` lines give).

Reads ``raw/claims`` (every province's claim rows: the claims in force are resolved here),
``marts/person_year`` (who each person is, and their enrolment) and ``marts/household_year``
(households' incomes); writes ``national/<relation>/``
(``year=YYYY/`` partitions where the relation has years), each relation written aside and put in
place when whole, and ``national/_build.json`` (engine, time, rows per relation).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pipeline import rules as rule_sets
from pipeline import store
from pipeline.national.engines import DuckEngine, EngineError, SparkEngine
from pipeline.store.files import build_order

Notify = Callable[[str], None]

RELATIONS = tuple(build_order("national"))
# what the build writes (the others are steps on the way), and whether by year
WRITTEN = {
    "people": False, "person_year": True, "household_year": True, "unmatched_claims": True,
    "flags": True, "region_year": True,
}  # fmt: skip
RULE_COLUMNS = (
    ("rule_id", "VARCHAR"), ("line", "DECIMAL(14,2)"), ("severity", "VARCHAR"),
    ("explain_zh", "VARCHAR"), ("explain_en", "VARCHAR"), ("effective_from", "INTEGER"),
    ("effective_to", "INTEGER"),
)  # fmt: skip


class NationalError(Exception):
    """A national build that cannot run; the message says why."""


@dataclass
class BuildReport:
    """What a national build read and wrote."""

    engine: str
    warehouse: Path
    provinces: list[str]
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0


def provinces(warehouse: Path) -> list[str]:
    """The provinces whose claims the warehouse holds."""
    folder = warehouse / "raw" / "claims"
    return sorted(p.name.removeprefix("province=") for p in folder.glob("province=*") if p.is_dir())


def national_rules(rules_dir: Path | None = None) -> list[tuple]:
    """The national line rules: the enabled rules of kind over_line, with their default line."""
    ruleset = rule_sets.load(rules_dir) if rules_dir else rule_sets.load()
    found = []
    for rule in ruleset.rules:
        if rule.kind == "over_line" and rule.enabled:
            found.append((
                rule.id, Decimal(str(rule.params["line"])), rule.severity, rule.explain_zh,
                rule.explain_en, rule.effective_from, rule.effective_to,
            ))  # fmt: skip
    return found


def build(
    warehouse: Path,
    engine: str = "duckdb",
    master: str = "local[2]",
    year: int | None = None,
    rules_dir: Path | None = None,
    notify: Notify | None = None,
) -> BuildReport:
    """Build the national relations from the warehouse on ``engine`` (duckdb or spark)."""
    say = notify or (lambda _: None)
    started = time.perf_counter()
    found = provinces(warehouse)
    if not found:
        raise NationalError(
            f"{warehouse} holds no province's claims: `oopwatch warehouse publish` writes them"
        )
    if not list((warehouse / "marts" / "person_year").rglob("*.parquet")):
        raise NationalError(f"{warehouse} holds no person_year mart: publish a province first")
    out = warehouse / "national"
    out.mkdir(parents=True, exist_ok=True)
    work = out / f".building-{engine}"
    shutil.rmtree(work, ignore_errors=True)  # what a stopped build left
    work.mkdir()
    report = BuildReport(engine, warehouse, found)
    say(f"{engine}: {len(found)} province(s): {', '.join(found)}")
    try:
        runner = (
            DuckEngine(work / "spill") if engine == "duckdb" else SparkEngine(work / "stage", master)
        )
    except EngineError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise NationalError(str(exc)) from None
    try:
        runner.parquet("raw_claims", warehouse / "raw" / "claims", year)
        runner.parquet("mart_person_year", warehouse / "marts" / "person_year", year)
        runner.parquet("mart_household_year", warehouse / "marts" / "household_year", year)
        runner.rows("national_rules", RULE_COLUMNS, national_rules(rules_dir))
        for name in RELATIONS:
            at = time.perf_counter()
            report.rows[name] = runner.create(name, store.sql(f"national/{name}.sql"))
            report.seconds[name] = round(time.perf_counter() - at, 2)
            say(f"{name}: {report.rows[name]:,} rows, {report.seconds[name]:.1f} s")
        for name, by_year in WRITTEN.items():
            runner.write(name, work / name, by_year)
    finally:
        runner.close()
    for name in WRITTEN:  # each relation in place once whole
        _swap(work / name, out / name)
    report.total_seconds = round(time.perf_counter() - started, 2)
    _record(out, report, year)
    shutil.rmtree(work, ignore_errors=True)
    return report


def _swap(new: Path, target: Path) -> None:
    """Put ``new`` where ``target`` is: the old folder moved aside first, then removed."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)


def _record(out: Path, report: BuildReport, year: int | None) -> None:
    path = out / "_build.json"
    tmp = out / "._build.json.partial"
    tmp.write_text(
        json.dumps(
            {
                "engine": report.engine,
                "built_at": dt.datetime.now().isoformat(timespec="seconds"),
                "provinces": report.provinces,
                "year": year,
                "rows": report.rows,
                "seconds": report.seconds,
                "total_seconds": report.total_seconds,
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    os.replace(tmp, path)
