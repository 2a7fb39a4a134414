"""The SQL files under ``pipeline/sql/``: read one, run one, and their fingerprint."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


def quoted(text: str | Path) -> str:
    """``text`` (a path, a value) as a SQL string literal: in single quotes, its own doubled."""
    return "'" + str(text).replace("'", "''") + "'"


def sql(name: str) -> str:
    """Text of a SQL file under pipeline/sql/."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def run_script(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Execute every statement of a SQL file."""
    con.execute(sql(name))


def reads(name: str) -> list[str]:
    """What a SQL file reads, from its first line (``-- reads: a, b`` or ``-- reads: nothing``)."""
    first = (SQL_DIR / name).read_text(encoding="utf-8").split("\n", 1)[0]
    if not first.startswith("-- reads:"):
        raise ValueError(f"{name}: the first line must say what it reads (-- reads: …)")
    listed = first.removeprefix("-- reads:").strip()
    return [] if listed.startswith("nothing") else [r.strip() for r in listed.split(",")]


def build_order(folder: str) -> list[str]:
    """The relations of a folder (one per file, named after it), each after the ones of the same
    folder it reads: the build order follows from what each file declares it reads."""
    names = sorted(p.stem for p in (SQL_DIR / folder).glob("*.sql"))
    needs = {n: [r for r in reads(f"{folder}/{n}.sql") if r in names and r != n] for n in names}
    order: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in path:
            raise ValueError(f"{folder}: the files read each other in a loop: {path + (name,)}")
        for need in needs[name]:
            visit(need, path + (name,))
        order.append(name)

    for name in names:
        visit(name, ())
    return order


def run_folder(con: duckdb.DuckDBPyConnection, folder: str) -> None:
    """Run every file of a folder in its build order."""
    for name in build_order(folder):
        run_script(con, f"{folder}/{name}.sql")


def models_version() -> str:
    """Fingerprint of the SQL that builds the tables, models, marts and views."""
    digest = hashlib.sha256()
    paths = [SQL_DIR / "macros.sql"]
    for folder in ("ddl", "views", "models", "weekly", "marts"):
        paths += sorted((SQL_DIR / folder).glob("*.sql"))
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
