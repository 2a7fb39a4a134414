"""The national dashboard's store, ``WAREHOUSE/national.duckdb``: what ``oopwatch serve
--warehouse`` shows, with the same pages, roles and region scope as a province's store.

It is a store in every way the dashboard sees (its tables, views and snapshots), filled from the
national build's output instead of from extracts:

1. the build's relations go into the store's own tables (``LOADED``: people, mart_person_year
   behind person_year, household_year, unmatched_claims, region_names and the regional marts
   the build made with the store's own files), each in the store's column types;
2. the build's flags and watch-list become one rule run, written as a province's evaluation
   writes its runs (``rules/evaluate.sql``): only what changed since the previous build opens
   or ends an entry, so the list's new and continuing, weeks on the list and who left and why
   work nationally too, build by build;
3. the marts a store builds from its runs and cases (``LOCAL_MARTS``: the watch-list page, the
   case stages, the list's rules per run) are built by the store's own files;
4. a person's claims are read from the build's claims in force when the person page opens
   (the macro ``claims_in_force_of``, ``national/serving/claims_in_force_of.sql``).

Then it is published as a store is, so a dashboard that is running moves to the new build on
its next click. ``oopwatch national build`` ends with this; ``serve --warehouse`` catches up when
the store is behind the build (``_build.json``) or missing. Accounts and the audit log are the
store's (``oopwatch users add NAME --db WAREHOUSE/national.duckdb``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline import store
from pipeline.models import MARTS, build_marts, refresh_models
from pipeline.store.files import sql

Notify = Callable[[str], None]

SERVING_NAME = "national.duckdb"
BUILD_KEY = "national_build"  # meta: the built_at of the build the store holds
ENGINE_KEY = "national_engine"  # meta: the engine that built it
WAREHOUSE_KEY = "national_warehouse"  # meta: the warehouse it was loaded from
# the store's table -> the national relation it is filled from
LOADED = {
    "people": "people", "mart_person_year": "person_year", "household_year": "household_year",
    "unmatched_claims": "unmatched_claims", "region_names": "region_names",
    "region_year": "region_year", "region_category": "region_category",
    "region_watch_rules": "region_watch_rules",
}  # fmt: skip
# the order a table is stored in, as a store keeps it (a village's people are a few row groups)
ORDER = {
    "people": "village_code, household_id, person_id",
    "mart_person_year": "village_code, person_id, year",
    # a village's households are a few row groups (household codes begin with the village's):
    # its page's households 70 ms at 5 x 1M people instead of 78 (the rest is the list's
    # anti join with every person-year, as in a province's store of that size)
    "household_year": "household_id, year",
}
# the store's marts built from the national build's (region_oop_median feeds region_year only)
FROM_BUILD = {*LOADED, "region_oop_median"}
LOCAL_MARTS = tuple(m for m in MARTS if m not in FROM_BUILD)


class ServingError(Exception):
    """The national dashboard's store cannot be made; the message says why."""


@dataclass
class LoadReport:
    """What one load put into the national dashboard's store."""

    db: Path
    built_at: str
    run_id: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def serving_path(warehouse: Path) -> Path:
    """The national dashboard's store of a warehouse."""
    return warehouse / SERVING_NAME


def build_record(warehouse: Path) -> dict:
    """The last national build's ``_build.json``; :class:`ServingError` if there is none."""
    path = warehouse / "national" / "_build.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ServingError(
            f"{warehouse} has no national build yet: run "
            f"`oopwatch national build --warehouse {warehouse}` first"
        ) from None
    except (OSError, ValueError) as exc:
        raise ServingError(f"{path} cannot be read: {exc}") from None


def behind(warehouse: Path) -> bool:
    """Whether the national dashboard's store is missing or holds an earlier build."""
    db = serving_path(warehouse)
    if not db.exists() or store.current_snapshot(db) is None:
        return True
    con = store.connect(db, read_only=True)
    try:
        held = con.execute("SELECT value FROM meta WHERE key = ?", [BUILD_KEY]).fetchall()
        version = _version(con)
    finally:
        con.close()
    built_at = build_record(warehouse)["built_at"]
    return not held or held[0][0] != built_at or version != store.models_version()


def _files(warehouse: Path, relation: str) -> str | None:
    """A read of a national relation's Parquet (with its year partitions), or None if the build
    wrote no file for it (no rows)."""
    folder = warehouse / "national" / relation
    if not any(folder.rglob("*.parquet")):
        return None
    return f"read_parquet({store.quoted(folder / '**' / '*.parquet')}, hive_partitioning = true)"


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE {relation}").fetchall()]


def _fill(con: duckdb.DuckDBPyConnection, table: str, source: str | None, order: str = "") -> int:
    """Replace the rows of ``table`` by the source's, in the table's column types (the columns
    both have; the build's extra ones, such as home_province, stay in the warehouse)."""
    con.execute(f"DELETE FROM {table}")
    if source is None:
        return 0
    have = set(_columns(con, f"SELECT * FROM {source}"))
    columns = ", ".join(c for c in _columns(con, table) if c in have)
    con.execute(
        f"INSERT INTO {table} BY NAME SELECT {columns} FROM {source}"
        + (f" ORDER BY {order}" if order else "")
    )
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def _version(con: duckdb.DuckDBPyConnection) -> str | None:
    held = con.execute("SELECT value FROM meta WHERE key = 'models_version'").fetchall()
    return held[0][0] if held else None


def _open(db: Path) -> duckdb.DuckDBPyConnection:
    """The store, read-write (created on first use); refused if it is a province's."""
    new = not db.exists()
    con = store.open_store(db)
    if not new and not store.is_national(con):
        con.close()
        raise ServingError(f"{db} is a province's store, not a national dashboard's: move it")
    return con


def _tables(con: duckdb.DuckDBPyConnection) -> None:
    """Every model and mart table made by this oopwatch's SQL (over no rows: their columns and
    types are a province's), in a new store or one an earlier oopwatch made (its rows are
    loaded afterwards; its rule runs stay)."""
    if _version(con) == store.models_version() and store.is_national(con):
        return
    refresh_models(con)
    con.execute("DROP TABLE IF EXISTS region_watch_runs")  # rebuilt from the stored runs
    build_marts(con)
    con.execute("DELETE FROM meta WHERE key IN ('models_version', ?)", [store.NATIONAL_KEY])
    con.execute(
        "INSERT INTO meta VALUES ('models_version', ?), (?, 'true')",
        [store.models_version(), store.NATIONAL_KEY],
    )


def _rule_run(con: duckdb.DuckDBPyConnection, warehouse: Path, record: dict) -> int:
    """The build's flags and list as the store's next rule run (rules/evaluate.sql)."""
    run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM rule_runs").fetchall()[0][0]
    params = _files(warehouse, "eval_params")
    as_of = con.execute(f"SELECT max(as_of) FROM {params}").fetchall()[0][0] if params else None
    con.execute(
        "INSERT INTO rule_runs VALUES (?, NULL, CAST(? AS TIMESTAMP), ?, ?, ?)",
        [run_id, record["built_at"], as_of, record.get("fingerprint"),
         json.dumps(record.get("rules_text"))],
    )  # fmt: skip
    con.execute(
        """CREATE OR REPLACE TEMP TABLE eval_params AS
        SELECT run_id, import_id, evaluated_at, as_of, fingerprint FROM rule_runs
        WHERE run_id = ?""",
        [run_id],
    )
    con.execute("SET VARIABLE rules_incremental = false")
    con.execute("CREATE OR REPLACE TEMP TABLE rule_scope (person_id VARCHAR)")
    flags, listed = _files(warehouse, "flags"), _files(warehouse, "watchlist")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE fired AS SELECT person_id, year, rule_id, oop, threshold, "
        "severity, note_zh, note_en, explain_zh, explain_en, compared_oop AS compared FROM "
        + (flags or "flag_entries LIMIT 0")
    )
    run_columns = ("from_run", "to_run", "since_run", "first_flagged")  # the run's, not the list's
    columns = [c for c in _columns(con, "watch_entries") if c not in run_columns]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE watch_listed AS SELECT {', '.join(columns)} FROM "
        + (listed or "watch_entries LIMIT 0")
    )
    store.run_script(con, "rules/evaluate.sql")
    for temp in ("fired", "watch_listed", "eval_params", "rule_scope"):
        con.execute(f"DROP TABLE {temp}")
    return run_id


def _provinces(con: duckdb.DuckDBPyConnection, warehouse: Path) -> int:
    """``national_provinces``: per province its last publish, the imports its raw files come
    from, and its people and listed person-years in the build (the quality page's national
    table: a province that stopped publishing shows here)."""
    published = store.quoted(warehouse / "_published" / "province=*.json")
    raw = store.quoted(warehouse / "raw" / "*" / "province=*" / "**" / "import-*.parquet")
    # (a build always writes people: it refuses a warehouse without person-years)
    people = _files(warehouse, "people") or "(SELECT NULL AS person_id, NULL AS home_province)"
    con.execute(
        f"""CREATE OR REPLACE TABLE national_provinces AS
        WITH published AS (
            SELECT province, CAST(published_at AS TIMESTAMP) AS published_at
            FROM read_json({published}, columns = {{'province': 'VARCHAR',
                                                   'published_at': 'VARCHAR'}})
        ),
        imports AS (
            SELECT regexp_extract(file, 'province=([^/]+)/', 1) AS province,
                   count(DISTINCT regexp_extract(file, 'import-([0-9]+)', 1)) AS imports,
                   max(CAST(regexp_extract(file, 'import-([0-9]+)', 1) AS INTEGER))
                       AS last_import
            FROM glob({raw})
            GROUP BY ALL
        ),
        homes AS (
            SELECT person_id, home_province AS province FROM {people}
        ),
        people AS (
            SELECT province, count(*) AS people FROM homes GROUP BY ALL
        ),
        listed AS (  -- the list this load's rule run just wrote
            SELECT h.province, count(*) AS listed
            FROM watchlist AS w JOIN homes AS h USING (person_id)
            GROUP BY ALL
        )
        SELECT b.province, b.published_at, coalesce(i.imports, 0) AS imports, i.last_import,
               coalesce(p.people, 0) AS people, coalesce(l.listed, 0) AS listed
        FROM published AS b
        LEFT JOIN imports AS i USING (province)
        LEFT JOIN people AS p USING (province)
        LEFT JOIN listed AS l USING (province)
        ORDER BY b.province"""
    )
    return con.execute("SELECT count(*) FROM national_provinces").fetchall()[0][0]


def _person_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Every person's key (links, case keys), kept from build to build: the new people's."""
    con.execute("CREATE OR REPLACE TEMP VIEW scope_people AS SELECT person_id FROM people")
    store.run_script(con, "models/person_keys.sql")
    con.execute("DROP VIEW scope_people")


def load(warehouse: Path, notify: Notify | None = None) -> LoadReport | None:
    """Put the last national build into the warehouse's national dashboard store and publish;
    None when it holds that build already."""
    say = notify or (lambda _: None)
    started = time.perf_counter()
    warehouse = warehouse.absolute()
    record = build_record(warehouse)
    db = serving_path(warehouse)
    if not behind(warehouse):
        say(f"{db} already holds the build of {record['built_at']}")
        return None
    con = _open(db)
    try:
        # The tables first, committed on their own: filled in the transaction that created
        # them, 5M people's rows were seen by some scans and not by others (DuckDB 2.0.0: a
        # person_keys built from them had no rows; with the tables committed first, it had
        # every one). The dashboard sees nothing of a load before its snapshot is published,
        # and a load stopped midway is done again by the next (the build is recorded last).
        con.execute("BEGIN")
        _tables(con)
        con.execute("COMMIT")
        con.execute("BEGIN")
        report = LoadReport(db, record["built_at"], 0)
        for table, relation in LOADED.items():
            report.rows[table] = _fill(
                con, table, _files(warehouse, relation), ORDER.get(table, "")
            )
            say(f"{table}: {report.rows[table]:,} rows")
        report.run_id = _rule_run(con, warehouse, record)
        say(f"rule run {report.run_id}: the build's flags and watch-list")
        _person_keys(con)  # before the marts: watch_page's links read them
        for mart in LOCAL_MARTS:
            store.run_script(con, f"marts/{mart}.sql")
        report.rows["national_provinces"] = _provinces(con, warehouse)
        claims = warehouse / "national" / "claims_in_force" / "*" / "*.parquet"
        raw = warehouse / "raw" / "claims" / "*" / "*" / "*.parquet"
        macro = sql("national/serving/claims_in_force_of.sql")
        for name, path in (("{claims}", claims), ("{raw_claims}", raw)):
            macro = macro.replace(name, store.quoted(path)[1:-1])
        con.execute(macro)
        for key, value in (
            (BUILD_KEY, record["built_at"]), (ENGINE_KEY, record.get("engine", "")),
            (WAREHOUSE_KEY, str(warehouse)),
        ):  # fmt: skip
            con.execute("DELETE FROM meta WHERE key = ?", [key])
            con.execute("INSERT INTO meta VALUES (?, ?)", [key, value])
        con.execute("COMMIT")
    except BaseException:
        con.close()
        raise
    store.close_and_publish(con, db)
    report.seconds = round(time.perf_counter() - started, 2)
    say(f"published the national dashboard's store {db} ({report.seconds:.1f} s)")
    return report
