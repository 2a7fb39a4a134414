"""The activity log: an append-only record of who exported or downloaded what, and when.

It lives beside the store as ``DB.activity.sqlite``, not in the DuckDB file: DuckDB gives the store
to one writing process at a time and an import holds it for a minute, while the dashboard (a
read-only process) must record a download the moment it happens. SQLite lets several processes
append to one file safely (WAL, a busy timeout); triggers refuse every UPDATE and DELETE, so a
record once written stays as written.

Each row: when (local time, ISO), who (the OS user for commands, the signed-in account for the
dashboard), where from (cli or dashboard), the action, the target file or page, the filters (JSON),
the row count, whether full IDs were written, the sha256 of what was written, and a free-text
detail. It is also the audit trail (logins, lockouts, person pages opened, account changes: see
``pipeline.access.auth``), and the same file holds the dashboard's accounts (table ``users``).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS activity (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    user      TEXT NOT NULL,
    source    TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT,
    filters   TEXT,
    rows      INTEGER,
    full_ids  INTEGER NOT NULL DEFAULT 0,
    sha256    TEXT,
    detail    TEXT
);
CREATE INDEX IF NOT EXISTS activity_at ON activity (at);
CREATE INDEX IF NOT EXISTS activity_user ON activity (user, at);
CREATE TRIGGER IF NOT EXISTS activity_no_update BEFORE UPDATE ON activity
BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS activity_no_delete BEFORE DELETE ON activity
BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END;
"""

COLUMNS = ["id", "at", "user", "source", "action", "target", "filters", "rows", "full_ids",
           "sha256", "detail"]  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One line of the log."""

    id: int
    at: str
    user: str
    source: str
    action: str
    target: str | None
    filters: str | None
    rows: int | None
    full_ids: bool
    sha256: str | None
    detail: str | None


def log_path(db: Path) -> Path:
    """The activity log of a store."""
    return db.with_name(db.name + ".activity.sqlite")


def connect(db: Path) -> sqlite3.Connection:
    """A connection to the store's activity file (created with its schema if missing)."""
    con = sqlite3.connect(log_path(db), timeout=10, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.executescript(SCHEMA)
    return con


def record(
    db: Path,
    *,
    user: str,
    source: str,
    action: str,
    target: str | None = None,
    filters: dict | None = None,
    rows: int | None = None,
    full_ids: bool = False,
    sha256: str | None = None,
    detail: str | None = None,
) -> int:
    """Append one entry; returns its id. Never pass a full resident ID in any field."""
    at = dt.datetime.now().isoformat(timespec="seconds")
    text = json.dumps(filters, ensure_ascii=False, sort_keys=True) if filters is not None else None
    with closing(connect(db)) as con:
        cur = con.execute(
            "INSERT INTO activity (at, user, source, action, target, filters, rows, full_ids,"
            " sha256, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [at, user, source, action, target, text, rows, int(full_ids), sha256, detail],
        )
        return int(cur.lastrowid)


def entries(
    db: Path,
    since: str | None = None,
    action: str | None = None,
    user: str | None = None,
    limit: int = 1000,
    until: str | None = None,
    users: Sequence[str] | None = None,
    actions: Sequence[str] | None = None,
) -> list[Entry]:
    """Newest first, optionally from a date (``YYYY-MM-DD``) on and before a date ``until``
    (exclusive), of one action or (``actions``) these, one user or (``users``) these."""
    if not log_path(db).exists():
        return []
    where, params = ["1 = 1"], []
    for column, value in (
        ("at >= ?", since), ("at < ?", until), ("action = ?", action), ("user = ?", user),
    ):  # fmt: skip
        if value:
            where.append(column)
            params.append(value)
    for column, values in (("user", users), ("action", actions)):
        if values is not None:
            where.append(f"{column} IN ({', '.join('?' * len(values))})" if values else "0 = 1")
            params.extend(values)
    with closing(connect(db)) as con:
        rows = con.execute(
            f"SELECT {', '.join(COLUMNS)} FROM activity WHERE {' AND '.join(where)} "  # noqa: S608
            "ORDER BY id DESC LIMIT ?",
            [*params, limit],
        ).fetchall()
    return [Entry(*r[:8], bool(r[8]), *r[9:]) for r in rows]


def users_seen(db: Path) -> list[str]:
    """Every name that appears in the log, sorted."""
    if not log_path(db).exists():
        return []
    with closing(connect(db)) as con:
        rows = con.execute("SELECT DISTINCT user FROM activity ORDER BY user").fetchall()
    return [r[0] for r in rows]


def iter_dicts(items: list[Entry]) -> Iterator[dict[str, object]]:
    """The entries as plain dicts (for tables)."""
    for item in items:
        yield {c: getattr(item, c) for c in COLUMNS}
