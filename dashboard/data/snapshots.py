"""Which snapshot to read, and the read-only connection to it.

The dashboard never opens the store itself (a reader there would lock the importer out). It reads
the newest published snapshot, read-only: the pointer file ``DB.current`` names it. Each process
keeps one read-only connection per snapshot (``st.cache_resource``); every query takes its own
``.cursor()`` of it. On each rerun :func:`current` checks the pointer's inode and mtime and moves to
the new snapshot when an import has published one; a snapshot that cannot be read is passed over
for the last good one (``snapshot_problem`` says why).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import streamlit as st

from pipeline import store

DB_ENV = "OOPWATCH_DB"
DEFAULT_DB = Path("oopwatch.duckdb")
READER_MEMORY_LIMIT = "1GB"
# (insertion order: a watch-list page is the first rows of watch_page, stored in display order)
READER_CONFIG = {"memory_limit": READER_MEMORY_LIMIT, "preserve_insertion_order": True}


class NoSnapshot(Exception):
    """Nothing has been published for this store yet."""

    def __init__(self, db: Path) -> None:
        super().__init__(f"no data yet: run `oopwatch ingest PATH... --db {db}`")
        self.db = db


# ---------------------------------------------------------------- which snapshot


def db_path() -> Path:
    """The store the dashboard reports on: env ``OOPWATCH_DB``, else ``oopwatch.duckdb``."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB).absolute()


@dataclass
class _Seen:
    """The pointer file as last read: its identity and the snapshot it named."""

    stamp: tuple[int, int, int]
    snapshot: Path | None


class PointerWatch:
    """Follows one store's pointer file; rereads it only when its inode, mtime or size change.

    A pointer that is empty or names a snapshot that cannot be read (truncated, zeroed, not a
    DuckDB file) never stops the dashboard: it keeps the last good snapshot (or finds the
    newest readable one) and ``problem`` says why, for a banner on every page.
    """

    def __init__(self, db: Path) -> None:
        self.db = db
        self.pointer = store.pointer_path(db)
        self._seen: _Seen | None = None
        self._good: Path | None = None
        self.problem: str | None = None
        self._lock = threading.Lock()

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            info = self.pointer.stat()
        except FileNotFoundError:
            return None
        return (info.st_ino, info.st_mtime_ns, info.st_size)

    def snapshot(self) -> Path | None:
        """The snapshot to read now, or None if nothing readable was published."""
        stamp = self._stamp()
        if stamp is None and self._good is None:
            return None
        with self._lock:
            seen = self._seen
            if seen is not None and seen.stamp == stamp and seen.snapshot is not None:
                return seen.snapshot
            named = store.current_snapshot(self.db) if stamp is not None else None
            problem = store.snapshot_problem(named, READER_CONFIG) if named else None
            if named is not None and problem is None:
                self._good, self.problem, snapshot = named, None, named
            else:
                good = self._good if self._good and self._good.is_file() else None
                snapshot = good or store.last_good_snapshot(self.db)
                why = f"{named.name}: {problem}" if named else f"{self.pointer.name} names none"
                self.problem = why if snapshot is not None else None
                self._good = snapshot
            self._seen = _Seen(stamp or (0, 0, 0), snapshot)
            return snapshot


@st.cache_resource(show_spinner=False)
def _watch(db: str) -> PointerWatch:
    return PointerWatch(Path(db))


def current(db: Path | None = None) -> str:
    """Path of the snapshot to read for this rerun; raises :class:`NoSnapshot` if none."""
    db = db or db_path()
    snapshot = _watch(str(db)).snapshot()
    if snapshot is None:
        raise NoSnapshot(db)
    return str(snapshot)


def snapshot_problem(db: Path | None = None) -> str | None:
    """Why the dashboard shows an older snapshot than the pointer names, or None."""
    return _watch(str(db or db_path())).problem


# ---------------------------------------------------------------- connections


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(snapshot: str) -> duckdb.DuckDBPyConnection:
    """One read-only connection per snapshot; an evicted one closes when its last cursor goes."""
    con = duckdb.connect(snapshot, read_only=True, config=READER_CONFIG)
    # The claim segments' footers read once per connection, not once per query: a person's
    # claims read through them took 17 ms at 1M people, most of it their metadata. (A setting
    # of the Parquet reader, which loads with the first read: not a connect option.)
    con.execute("SET parquet_metadata_cache = true")
    return con


def cursor(snapshot: str) -> duckdb.DuckDBPyConnection:
    """A cursor of the snapshot's shared read-only connection, for one caller."""
    return _connection(snapshot).cursor()


# The rows of one key through the column's ART index (schema.sql): DuckDB takes an index only
# for a scan filtered on that column alone, so every other filter goes outside a MATERIALIZED
# CTE built on this (1-2 ms instead of a 4-6 ms scan at 1M people). Indexes on the tables a
# weekly import rewrites in part (people, mart_person_year) were measured and not taken: their
# upkeep made a 1M-people weekly import's COMMIT 10 s instead of 2 s.
def _by_index(table: str, column: str) -> str:
    """The rows of ``table`` whose ``column`` equals the query's next parameter, by its index."""
    return f"SELECT * FROM {table} WHERE {column} = ?"  # noqa: S608


def _rows(snapshot: str, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    """All rows of a query (fetchall: DECIMAL stays Decimal; fetchone leaves results open)."""
    cur = cursor(snapshot)
    try:
        return cur.execute(sql, list(params)).fetchall()
    finally:
        cur.close()
