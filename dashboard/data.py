"""Every query the dashboard makes. Pages hold no SQL; they call these functions.

The dashboard never opens the store itself (a reader there would lock the importer out). It reads
the newest published snapshot, read-only: the pointer file ``DB.current`` names it. Each process
keeps one read-only connection per snapshot (``st.cache_resource``); every query takes its own
``.cursor()`` of it. On each rerun :func:`current` checks the pointer's inode and mtime and moves to
the new snapshot when an import has published one. Query results are cached (``st.cache_data``)
keyed on the snapshot path, so a new snapshot means fresh numbers and an old one costs nothing.

Money stays DECIMAL: sums are fetched as ``decimal.Decimal`` (``fetchall``), never through float.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from pipeline import store

DB_ENV = "OOPWATCH_DB"
DEFAULT_DB = Path("oopwatch.duckdb")
OOP_LINE = Decimal("10000")  # the default monitoring line (rule oop_line), strictly greater
READER_MEMORY_LIMIT = "1GB"


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
    """Follows one store's pointer file; rereads it only when its inode, mtime or size change."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.pointer = store.pointer_path(db)
        self._seen: _Seen | None = None
        self._lock = threading.Lock()

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            info = self.pointer.stat()
        except FileNotFoundError:
            return None
        return (info.st_ino, info.st_mtime_ns, info.st_size)

    def snapshot(self) -> Path | None:
        """The snapshot the pointer names now, or None if nothing was published."""
        stamp = self._stamp()
        if stamp is None:
            return None
        with self._lock:
            seen = self._seen
            if seen is not None and seen.stamp == stamp and seen.snapshot is not None:
                return seen.snapshot
            snapshot = store.current_snapshot(self.db)
            self._seen = _Seen(stamp, snapshot)
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


# ---------------------------------------------------------------- connections


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(snapshot: str) -> duckdb.DuckDBPyConnection:
    """One read-only connection per snapshot; an evicted one closes when its last cursor goes."""
    return duckdb.connect(snapshot, read_only=True, config={"memory_limit": READER_MEMORY_LIMIT})


def cursor(snapshot: str) -> duckdb.DuckDBPyConnection:
    """A cursor of the snapshot's shared read-only connection, for one caller."""
    return _connection(snapshot).cursor()


def _rows(snapshot: str, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    """All rows of a query (fetchall: DECIMAL stays Decimal; fetchone leaves results open)."""
    cur = cursor(snapshot)
    try:
        return cur.execute(sql, list(params)).fetchall()
    finally:
        cur.close()


# ---------------------------------------------------------------- queries


@st.cache_data(max_entries=32, show_spinner=False)
def years(snapshot: str) -> list[int]:
    """Calendar years in ``person_year``, newest first."""
    rows = _rows(snapshot, "SELECT DISTINCT year FROM person_year ORDER BY year DESC")
    return [int(r[0]) for r in rows]


@st.cache_data(max_entries=32, show_spinner=False)
def default_year(snapshot: str) -> int | None:
    """The latest year with claims, else the latest year with anything, else None."""
    rows = _rows(
        snapshot,
        """SELECT year FROM person_year GROUP BY year
           ORDER BY sum(claims) > 0 DESC, year DESC LIMIT 1""",
    )
    return int(rows[0][0]) if rows else None


@dataclass(frozen=True)
class Totals:
    """Headline figures of one year."""

    people: int
    claims: int
    oop: Decimal
    over_line: int


@st.cache_data(max_entries=128, show_spinner=False)
def overview_totals(snapshot: str, year: int, line: Decimal = OOP_LINE) -> Totals:
    """People, claims, total OOP and people whose annual OOP is strictly over ``line``."""
    rows = _rows(
        snapshot,
        """SELECT count(DISTINCT person_id),
                  coalesce(sum(claims), 0),
                  coalesce(sum(oop), 0),
                  count(DISTINCT person_id) FILTER (WHERE oop > ?)
           FROM person_year WHERE year = ?""",
        [line, year],
    )
    people, claims, oop, over = rows[0]
    return Totals(int(people), int(claims), Decimal(oop), int(over))


PROVINCE_COLUMNS = ["province_code", "province", "people", "claims", "oop", "over_line"]


@st.cache_data(max_entries=128, show_spinner=False)
def overview_by_province(snapshot: str, year: int, line: Decimal = OOP_LINE) -> pd.DataFrame:
    """Per province (code order): name, people, claims, total OOP (Decimal), people over line.

    ``province`` is the division name, the bare code when the bundled names lack it, and None
    for people placed nowhere (no village code).
    """
    rows = _rows(
        snapshot,
        """SELECT p.province_code,
                  coalesce(r.name, p.province_code) AS province,
                  count(DISTINCT p.person_id) AS people,
                  coalesce(sum(p.claims), 0) AS claims,
                  coalesce(sum(p.oop), 0) AS oop,
                  count(DISTINCT p.person_id) FILTER (WHERE p.oop > ?) AS over_line
           FROM person_year AS p
           LEFT JOIN region_names AS r ON r.code = p.province_code AND r.level = 1
           WHERE p.year = ?
           GROUP BY p.province_code, r.name
           ORDER BY p.province_code NULLS LAST""",
        [line, year],
    )
    frame = pd.DataFrame.from_records(rows, columns=PROVINCE_COLUMNS)
    return frame.astype({"people": "int64", "claims": "int64", "over_line": "int64"})


@dataclass(frozen=True)
class LastImport:
    """The newest import in a snapshot."""

    import_id: int
    imported_at: dt.datetime
    imports: int


@st.cache_data(max_entries=32, show_spinner=False)
def last_import(snapshot: str) -> LastImport | None:
    """The newest import (id and time) and how many imports the snapshot holds."""
    rows = _rows(
        snapshot,
        "SELECT max(import_id), max(imported_at), count(DISTINCT import_id) FROM imports",
    )
    import_id, when, n = rows[0]
    if import_id is None:
        return None
    return LastImport(int(import_id), when, int(n))
