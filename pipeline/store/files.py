"""The SQL files under ``pipeline/sql/``: read one, run one, and their fingerprint."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


def sql(name: str) -> str:
    """Text of a SQL file under pipeline/sql/."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def run_script(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Execute every statement of a SQL file."""
    con.execute(sql(name))


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
