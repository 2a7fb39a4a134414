"""Read snapshots: after each write the store is copied to a new file under ``DB.snapshots/`` and
the pointer ``DB.current`` names it; readers (the dashboard) open what the pointer names.

DuckDB gives a file to one read-write process or to many read-only ones, never both. So the
importer owns ``DB``; after each import it checkpoints, copies ``DB`` to a new file and atomically
replaces the pointer. A snapshot is never overwritten in place; all but the newest two are
deleted. A snapshot behind the store (a crash or a full disk before publishing) is found by
``stale_reason`` and published again by the next ingest, serve or flag.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import shutil
from pathlib import Path

import duckdb

from pipeline.store.files import models_version

# ---------------------------------------------------------------- snapshots


def snapshot_dir(db: Path) -> Path:
    """Folder holding the read snapshots of a store."""
    return db.with_name(db.name + ".snapshots")


def pointer_path(db: Path) -> Path:
    """The small file naming the newest snapshot."""
    return db.with_name(db.name + ".current")


def fsync(path: Path) -> None:
    """Flush a file or a folder (its entries) to disk."""
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
            if not leftover.is_dir():
                leftover.unlink(missing_ok=True)
            elif not leftover.with_suffix("").exists():
                # a reader's spill folder (DuckDB's SNAPSHOT.tmp/, left by a reader killed
                # while spilling) whose snapshot an earlier publish removed: no reader uses it
                shutil.rmtree(leftover, ignore_errors=True)
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
        # (not DB.tmp: DuckDB's spill folder, which an import killed while spilling leaves)
        tmp = pointer.with_name(pointer.name + ".partial")
        try:
            shutil.copyfile(db, partial)
            with open(partial, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(partial, target)
            fsync(folder)
            tmp.write_text(target.name + "\n", encoding="utf-8")
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, pointer)
            fsync(pointer.parent)
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


def open_snapshot(db: Path) -> tuple[duckdb.DuckDBPyConnection, Path] | None:
    """A read-only connection to the newest readable snapshot, within the memory limit, and
    the snapshot; None when nothing readable was published."""
    from pipeline.store.db import MEMORY_LIMIT

    snapshot = last_good_snapshot(db)
    if snapshot is None:
        return None
    con = duckdb.connect(str(snapshot), read_only=True)
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    return con, snapshot


# What every write to the store changes: an import, a rule run, an export, a return, a push to a
# department, a file of its answers, and meta (models version, indexed claim rows, demo mark,
# ...). A snapshot with another state is behind.
STATE_SQL = """
SELECT (SELECT max(import_id) FROM import_batches), (SELECT max(run_id) FROM rule_runs),
       (SELECT count(*) FROM exports), (SELECT max(return_id) FROM return_files),
       (SELECT count(*) FROM pushes), (SELECT max(feedback_id) FROM feedback_files),
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
