"""Build the models (people, person-year and household totals, …) from the loaded rows: in full,
or, after a weekly import, for the people it touched only.

Python orchestrates; DuckDB computes. Each model is one SQL file under ``pipeline/sql/models/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline import store
from pipeline.models.marts import build_marts
from pipeline.store import run_script, scalar
from pipeline.store.db import drop_old_views
from pipeline.store.files import build_order, run_folder

Notify = Callable[[str], None]


def _noop(_: str) -> None:
    pass


# sql/models/, one file per relation, each built after those it reads (its `-- reads:` line).
MODELS = tuple(build_order("models"))


@dataclass(frozen=True)
class Built:
    """A model whose SQL is a build view (``<name>_build``) over scope views, written to a table.

    A full refresh writes the whole view, sorted; a weekly one replaces the rows of the touched
    people (or households) with the view's rows for them.
    """

    table: str
    scopes: tuple[str, ...]
    key: str  # the column whose touched values are replaced
    order: str = ""


BUILT = {
    "people": Built(
        "people", ("scope_roster", "scope_enrolment"), "person_id",
        "village_code, household_id, person_id",
    ),
    "mart_person_year": Built(
        "mart_person_year", ("scope_claims", "scope_enrolment", "scope_people"), "person_id",
        "village_code, person_id, year",
    ),
    "household_year": Built("household_year", ("scope_person_year",), "household_id"),
    "county_week_claims": Built(
        "county_week_claims", ("scope_claims", "scope_people"), "", "county, week"
    ),
}  # fmt: skip
# scope view -> (what it reads, the touched table that narrows it in a weekly refresh)
SCOPES = {
    "scope_roster": ("roster_rows", "touched"),
    "scope_enrolment": ("enrolment_rows", "touched"),
    "scope_claims": ("claims_effective", ""),  # weekly: touched_claims (sql/weekly/)
    "scope_people": ("people", "touched"),
    "scope_person_year": ("mart_person_year", "touched_households"),
}
# Models that are not Built but read a scope view: they add rows for what is in scope (all of
# it, or after a weekly import what it touched).
SCOPED = {"person_keys": ("scope_people",)}
# Models whose joins build their hash tables on the side the join order puts there. DuckDB
# estimates each anti-join and filter to keep a fifth of its rows, so the claims in force
# (claims_effective: two anti-joins and a filter) look 125x smaller than they are, and the
# optimizer that picks a build side by size built on the claims: joining 97M claims to 10M
# people ran out of memory; at 1M people the county-week counts took 2.4 s instead of 1.6.
# (Switched off for every statement of an import, other joins got slower: evaluate.sql 3 -> 6 s.)
BUILD_AS_WRITTEN = {"county_week_claims"}
# A weekly refresh appends the touched people's rows unsorted; once the people touched since the
# last full (sorted) build pass this share of everyone, the next import rebuilds in full.
REBUILD_SHARE = 0.5


def refresh_models(
    con: duckdb.DuckDBPyConnection, notify: Notify = _noop, first_file: int | None = None
) -> None:
    """Rebuild the models (people, person-year and household totals, …) from the loaded rows.

    With ``first_file`` (the first file_id of an import whose earlier state the models hold),
    only the people the import touched are updated: see sql/weekly/. The result is
    the same as a full refresh (tests/test_weekly.py compares them). At 1M people a week of
    108k claims touches 100k people, and the models take about 4 s instead of 11.6 s.
    """
    weekly = first_file is not None
    if weekly:
        con.execute("SET VARIABLE first_file = ?", [first_file])
        notify("finding the people this import touched")
        run_folder(con, "weekly")  # touched, touched_log, … (sql/weekly/)
        touched = scalar(con, "SELECT count(*) FROM touched")
        notify(f"{touched:,} people touched")
    for model in MODELS:
        notify(f"model {model}")
        built = BUILT.get(model)
        for view in built.scopes if built else SCOPED.get(model, ()):
            table, narrow = SCOPES[view]
            key = "household_id" if narrow == "touched_households" else "person_id"
            if weekly:
                table = f"{table} SEMI JOIN {narrow} USING ({key})" if narrow else "touched_claims"
            con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {table}")
        run_script(con, f"models/{model}.sql")
        if built:
            with _build_sides_as_written(con, model in BUILD_AS_WRITTEN):
                _write_built(con, model, built, weekly)
    for view in SCOPES:
        con.execute(f"DROP VIEW IF EXISTS {view}")
    if weekly:  # touched, touched_households (rules/rule_scope.sql), touched_years and
        # touched_claims (the assistance replay) stay for the rules: evaluate drops them after
        # the replay (drop_weekly)
        con.execute("DROP TABLE county_week_before")
    _count_touched(con, touched if weekly else None)


@contextmanager
def _build_sides_as_written(con: duckdb.DuckDBPyConnection, on: bool) -> Iterator[None]:
    """Within: hash joins build on the side the join order puts there (BUILD_AS_WRITTEN)."""
    if not on:
        yield
        return
    con.execute("SET disabled_optimizers = 'build_side_probe_side'")
    try:
        yield
    finally:
        con.execute("RESET disabled_optimizers")


def drop_weekly(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what sql/weekly/ made for a weekly import (every relation of that folder still
    there), once the rules that read it have run."""
    names = list(reversed(build_order("weekly")))
    kinds = dict(
        con.execute(
            """SELECT view_name, 'VIEW' FROM duckdb_views() WHERE temporary
               UNION ALL SELECT table_name, 'TABLE' FROM duckdb_tables() WHERE temporary"""
        ).fetchall()
    )
    for name in names:
        if name in kinds:
            con.execute(f"DROP {kinds[name]} {name}")


def _write_built(con: duckdb.DuckDBPyConnection, model: str, built: Built, weekly: bool) -> None:
    """Write a build view to its table: all of it, or in place of the touched rows."""
    order = f" ORDER BY {built.order}" if built.order else ""
    apart = bool(order) and _sort_apart(con)
    if not weekly and apart:
        # Written first, then sorted: computed and sorted in one statement, the joins' hash
        # tables and the sort held memory together (mart_person_year at 1M people needed
        # 400 MB; 250 MB passed in two steps).
        con.execute(f"CREATE OR REPLACE TABLE {built.table} AS SELECT * FROM {model}_build")
        con.execute(f"CREATE OR REPLACE TABLE {built.table} AS SELECT * FROM {built.table}{order}")
    elif not weekly:
        con.execute(f"CREATE OR REPLACE TABLE {built.table} AS SELECT * FROM {model}_build{order}")
    elif model == "county_week_claims":
        # Counts: the touched people's counts before the import out, theirs after it in.
        con.execute(
            f"""CREATE OR REPLACE TABLE county_week_claims AS
            SELECT county, week, CAST(sum(claims) AS BIGINT) AS claims,
                   CAST(sum(total_cost) AS DECIMAL(14,2)) AS total_cost,
                   CAST(sum(assistance_paid) AS DECIMAL(14,2)) AS assistance_paid,
                   CAST(sum(oop) AS DECIMAL(14,2)) AS oop
            FROM (SELECT * FROM county_week_claims
                  UNION ALL SELECT county, week, -claims, -total_cost, -assistance_paid, -oop
                            FROM county_week_before
                  UNION ALL SELECT * FROM county_week_claims_build)
            GROUP BY county, week HAVING sum(claims) <> 0{order}"""
        )
    else:
        narrow = "touched_households" if built.key == "household_id" else "touched"
        store.delete_where(con, built.table, f"{built.key} IN (SELECT {built.key} FROM {narrow})")
        # Appended sorted; or, with many claim rows (see _sort_apart), unsorted (the next full
        # build, after REBUILD_SHARE, sorts them): 1M touched people of 10M sorted in the same
        # statement ran out of memory.
        appended = "" if apart else order
        con.execute(f"INSERT INTO {built.table} SELECT * FROM {model}_build{appended}")
        if model == "people":  # their households now count as touched too
            con.execute(
                """INSERT INTO touched_households
                SELECT DISTINCT household_id FROM people SEMI JOIN touched USING (person_id)
                WHERE household_id IS NOT NULL
                EXCEPT SELECT household_id FROM touched_households"""
            )
    con.execute(f"DROP VIEW {model}_build")


# Memory per stored claim row that a model computed and sorted in one statement may need; with
# more claim rows than the memory limit allows, the sorted models are written in two steps.
SORT_APART_BYTES_PER_CLAIM = 64


def _sort_apart(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the sorted models are written, then sorted, in two statements (see above)."""
    claims = scalar(con, "SELECT count(*) FROM claim_log")
    return store.pieces(con, claims, SORT_APART_BYTES_PER_CLAIM) > 1


def _count_touched(con: duckdb.DuckDBPyConnection, touched: int | None) -> None:
    """Keep meta 'touched_since_build': people touched by weekly refreshes since a full one."""
    before = con.execute("SELECT value FROM meta WHERE key = 'touched_since_build'").fetchall()
    total = 0 if touched is None else int(before[0][0] if before else 0) + touched
    con.execute("DELETE FROM meta WHERE key = 'touched_since_build'")
    con.execute("INSERT INTO meta VALUES ('touched_since_build', ?)", [str(total)])


def weekly_start(con: duckdb.DuckDBPyConnection, first_file: int) -> int | None:
    """``first_file`` if the models can be updated for the touched people only, else None.

    They can once a full build exists (people and mart_person_year) and the people touched by
    weekly refreshes since then stay under REBUILD_SHARE of everyone (their rows are appended
    unsorted; a full build sorts them again). Rows of this import already count: a first import
    of a roster is built in full.
    """
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if not {"people", "mart_person_year", "household_year", "county_week_claims"} <= tables:
        return None
    people = scalar(con, "SELECT count(*) FROM people")
    if not people:
        return None
    before = con.execute("SELECT value FROM meta WHERE key = 'touched_since_build'").fetchall()
    since = int(before[0][0]) if before else 0
    new_rows = scalar(
        con,
        """SELECT (SELECT count(*) FROM claim_log WHERE file_id >= $f)
                + (SELECT count(*) FROM roster_rows WHERE file_id >= $f)
                + (SELECT count(*) FROM enrolment_rows WHERE file_id >= $f)""",
        {"f": first_file},
    )
    if since + new_rows > REBUILD_SHARE * people:
        return None
    return first_file


def open_current(db: Path) -> duckdb.DuckDBPyConnection:
    """Open the store read-write with its models and marts built by this version's SQL.

    They are rebuilt when their SQL differs from the one that built them (a new store, or a new
    version of oopwatch), so an upgraded store never lacks a table a rule or a page reads.
    """
    con = store.open_store(db)
    version = store.models_version()
    built = con.execute("SELECT value FROM meta WHERE key = 'models_version'").fetchall()
    if (not built or built[0][0] != version) and store.is_national(con):
        con.close()  # its models come from a national build: rebuilt from extracts, gone
        raise store.StoreMissing(
            f"{db} is a national dashboard's store made by an earlier oopwatch: "
            "`oopwatch serve --warehouse` or `oopwatch national build` loads it again"
        )
    if not built or built[0][0] != version:
        con.execute("BEGIN TRANSACTION")
        drop_old_views(con)
        refresh_models(con)
        # The marts of an earlier version are rebuilt from the stored runs (counted afresh).
        con.execute("DROP TABLE IF EXISTS region_watch_runs")
        build_marts(con)
        con.execute("DELETE FROM meta WHERE key = 'models_version'")
        con.execute("INSERT INTO meta VALUES ('models_version', ?)", [version])
        con.execute("COMMIT")
    return con
