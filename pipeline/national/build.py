"""``oopwatch national build``: the national models and rules from every province's partitions
of the warehouse, on DuckDB or on Spark, from one source of SQL.

1. The national models (``pipeline/sql/national/``, one relation per file, in the order their
   ``-- reads:`` lines give): the claims in force from ``raw/claims``, people, person_year
   summed across provinces, household_year, unmatched claims, the data's date.
2. The store's own files, as a province runs them: ``models/region_names.sql`` (division and
   village names), ``rules/setup.sql``, each rule kind's ``rules/<kind>.sql`` in force in the
   rules folder (the medical-assistance shortfall: the provinces' own findings, ``NATIONAL_FORM``),
   and ``rules/watch_listed.sql``: DuckDB runs them as they are, Spark through
   ``port.Script``. They read the national relations under the names a store gives its own
   (``claims_effective``, ``roster_rows``, …: ``ALIASES``).
3. The national marts (``pipeline/sql/national/marts/``: flags, watchlist), then the store's
   own regional marts over them (``STORE_MARTS``: region_year with every drill level's figures,
   region_category, region_watch_rules).

Writes ``national/<relation>/`` (``WRITTEN``: the claims in force, the models, the marts; in
``year=YYYY/`` partitions where the relation has years), each relation written aside and put in
place when whole, and ``national/_build.json`` (engine, time, rows per relation, the rules'
fingerprint and text). ``serving`` then loads them into the national dashboard's store.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline import rules as rule_sets
from pipeline import store
from pipeline.national.engines import DuckEngine, EngineError, SparkEngine
from pipeline.rules import evaluation
from pipeline.store.files import build_order

Notify = Callable[[str], None]

MODELS = tuple(build_order("national"))
MARTS = tuple(build_order("national/marts"))
# the national relations under the names the store's files read
ALIASES = {
    "claims_effective": "claims_in_force", "roster_rows": "raw_roster",
    "enrolment_rows": "raw_enrolment", "rule_scope_people": "people",
}  # fmt: skip
# kinds whose national form is another file: the shortfall needs the medical-assistance replay
# of every claim against a province's policy, which each province runs and publishes with its
# flags; the nation takes the provinces' findings (national/rules/assistance_shortfall.sql)
NATIONAL_FORM = {"assistance_shortfall": "national/rules/assistance_shortfall.sql"}
# the store's marts the build runs after its own (the regional figures every drill level shows)
STORE_MARTS = ("region_oop_median", "region_year", "region_category", "region_watch_rules")
# what the build writes (the others are steps on the way), and whether by year
WRITTEN = {
    "claims_in_force": True, "people": False, "region_names": False, "person_year": True,
    "household_year": True, "unmatched_claims": True, "flags": True, "watchlist": True,
    "region_year": True, "region_category": True, "region_watch_rules": True,
    "eval_params": False,
}  # fmt: skip
# written sorted: the national person page reads one person's claims in force (14 ms over the
# 48.7M claims of 5 provinces x 1M people, sorted; 325 ms unsorted; the sort costs about 60 s)
ORDERED = {"claims_in_force": "person_id"}
# what the build reads of the warehouse
INPUTS = {
    "raw_claims": "raw/claims", "raw_roster": "raw/roster", "raw_enrolment": "raw/enrolment",
    "mart_person_year": "marts/person_year", "mart_household_year": "marts/household_year",
    "mart_flags": "marts/flags",
}  # fmt: skip
REFERENCE = ("rule_params", "income_ref", "severity_policy", "codes", "divisions")


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


def _ruleset(rules_dir: Path | None) -> rule_sets.RuleSet:
    try:
        return rule_sets.load(rules_dir) if rules_dir else rule_sets.load()
    except rule_sets.RulesError as exc:
        raise NationalError(f"the rules folder has problems:\n{exc}") from None


def write_reference(ruleset: rule_sets.RuleSet, folder: Path) -> list[str]:
    """The small tables the rule files read, as Parquet in ``folder`` (REFERENCE): the rules
    compiled as a province's evaluation compiles them, the code labels, the division names.
    Returns the rule kinds to run: those enabled in some region."""
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        for table in ("ddl/codes.sql", "ddl/divisions.sql", "ddl/meta.sql"):
            store.run_script(con, table)
        store.load_reference(con)
        evaluation.compile_to(con, ruleset)
        for name in REFERENCE:
            con.execute(f"COPY {name} TO '{folder / name}.parquet' (FORMAT parquet)")
        return evaluation.kinds_in_force(con)
    finally:
        con.close()


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
    ruleset = _ruleset(rules_dir)
    out = warehouse / "national"
    out.mkdir(parents=True, exist_ok=True)
    work = out / f".building-{engine}"
    shutil.rmtree(work, ignore_errors=True)  # what a stopped build left
    work.mkdir()
    report = BuildReport(engine, warehouse, found)
    say(f"{engine}: {len(found)} province(s): {', '.join(found)}")
    try:
        if engine == "duckdb":
            runner: DuckEngine | SparkEngine = DuckEngine(work / "spill")
        else:
            runner = SparkEngine(work / "stage", master)
    except EngineError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise NationalError(str(exc)) from None
    doing = "reading the warehouse"
    try:
        for name, path in INPUTS.items():
            if name == "mart_flags" and not any((warehouse / path).rglob("*.parquet")):
                continue  # no province has flags: no province's shortfall to take
            runner.parquet(name, warehouse / path, year)
        kinds = write_reference(ruleset, work / "reference")
        for name in REFERENCE:
            runner.parquet(name, work / "reference" / f"{name}.parquet", None)

        def step(name: str, make: Callable[[], int]) -> None:
            nonlocal doing
            doing = name
            at = time.perf_counter()
            report.rows[name] = make()
            report.seconds[name] = round(time.perf_counter() - at, 2)
            say(f"{name}: {report.rows[name]:,} rows, {report.seconds[name]:.1f} s")

        for name in MODELS:
            step(name, lambda n=name: runner.create(n, store.sql(f"national/{n}.sql")))
        for alias, name in ALIASES.items():
            runner.view(alias, f"SELECT * FROM {name}")
        step("region_names", lambda: _script(runner, "models/region_names.sql", "region_names"))
        doing = "rules/setup.sql"
        runner.script(store.sql("rules/setup.sql"))
        runner.view("applicable", "SELECT * FROM applicable_every")
        runner.view("applicable_moving", "SELECT * FROM applicable_every")
        has_flags = any((warehouse / INPUTS["mart_flags"]).rglob("*.parquet"))
        for kind in kinds:
            if kind in NATIONAL_FORM and not has_flags:
                continue
            doing = NATIONAL_FORM.get(kind, f"rules/{kind}.sql")
            at = time.perf_counter()
            runner.script(store.sql(doing))
            say(f"rule kind {kind}: {time.perf_counter() - at:.1f} s")
        doing = "rules/watch_listed.sql"
        runner.script(store.sql("rules/watch_listed.sql"))
        for name in MARTS:
            step(name, lambda n=name: runner.create(n, store.sql(f"national/marts/{n}.sql")))
        for name in STORE_MARTS:
            step(name, lambda n=name: _script(runner, f"marts/{n}.sql", n))
        for name, by_year in WRITTEN.items():
            doing = f"writing {name}"
            runner.write(name, work / name, by_year, ORDERED.get(name))
    except Exception as exc:  # the engine's error (DuckDB's, Spark's), in one line
        shutil.rmtree(work, ignore_errors=True)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NationalError(f"{engine} failed in {doing}: {first}") from exc
    finally:
        runner.close()
    for name in WRITTEN:  # each relation in place once whole
        _swap(work / name, out / name)
    report.total_seconds = round(time.perf_counter() - started, 2)
    _record(out, report, year, ruleset)
    shutil.rmtree(work, ignore_errors=True)
    return report


def _script(runner: DuckEngine | SparkEngine, name: str, relation: str) -> int:
    """Run a store's script; how many rows the relation it makes has."""
    runner.script(store.sql(name))
    return runner.count(relation)


def _swap(new: Path, target: Path) -> None:
    """Put ``new`` where ``target`` is: the old folder moved aside first, then removed."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)


def _record(out: Path, report: BuildReport, year: int | None, ruleset: rule_sets.RuleSet) -> None:
    """``_build.json``: what was built, when, from which provinces, under which rules."""
    path = out / "_build.json"
    tmp = out / "._build.json.partial"
    tmp.write_text(
        json.dumps(
            {
                "engine": report.engine,
                "built_at": dt.datetime.now().isoformat(timespec="seconds"),
                "provinces": report.provinces,
                "year": year,
                "fingerprint": ruleset.fingerprint,
                "rules_text": ruleset.text,
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
