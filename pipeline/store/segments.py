"""The claim rows as immutable Parquet segments beside the store (``DB.segments/``).

Each import that loads claims writes its valid rows once, sorted by person_id, into a file of
its own; ``claim_segments`` lists the files in force and ``claim_log`` is the view over them.
A segment is never rewritten, so a snapshot of the store (a copy of the DuckDB file, which no
longer holds the claims) reads the same files as the store: publishing copies the models,
marts and logs, not every claim again. The file is written inside the import's transaction and
is in force once its ``claim_segments`` row is committed; a killed or failed import leaves a
file nobody lists, removed when the store is next opened (``remove_orphans``).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb

from pipeline.store.files import run_script

SEGMENT_PREFIX = "claims-"


def store_path(con: duckdb.DuckDBPyConnection) -> Path:
    """The DuckDB file ``con`` has open as its default database."""
    path = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()[0][0]
    return Path(path).resolve()


def segment_dir(db: Path) -> Path:
    """Folder of a store's claim segments."""
    return db.with_name(db.name + ".segments")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _quoted(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """claim_log's columns and their types, in order (those of ``claim_columns``)."""
    return con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE table_name = 'claim_columns' AND schema_name = 'main' "
        "AND database_name = current_database() ORDER BY column_index"
    ).fetchall()


def define_view(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)define ``claim_log`` over the segments ``claim_segments`` lists (the empty
    ``claim_columns`` when there are none), each column cast to its stored type."""
    rows = con.execute("SELECT path FROM claim_segments ORDER BY import_id").fetchall()
    paths = [r[0] for r in rows]
    if not paths:
        con.execute("CREATE OR REPLACE VIEW claim_log AS SELECT * FROM claim_columns")
        return
    columns = _columns(con)
    select = ", ".join(
        f"CAST({name} AS {kind}) AS {name}" if kind == "JSON" else name for name, kind in columns
    )
    files = ", ".join(_quoted(p) for p in paths)
    con.execute(f"CREATE OR REPLACE VIEW claim_log AS SELECT {select} FROM read_parquet([{files}])")


def _write_file(con: duckdb.DuckDBPyConnection, path: Path, rows_sql: str) -> tuple:
    """Write ``rows_sql``'s rows sorted by person_id to ``path``, on disk (fsync) before the
    COMMIT that puts it in force; its rows, first and last file_id."""
    path.parent.mkdir(exist_ok=True)
    path.unlink(missing_ok=True)  # a killed import's file of the same number
    columns = _columns(con)
    names = ", ".join(name for name, _ in columns)
    typed = ", ".join(f"CAST({name} AS {kind}) AS {name}" for name, kind in columns)
    con.execute(  # the rows' columns are claim_log's, in order (as an INSERT takes them)
        f"COPY (SELECT {typed} FROM ({rows_sql}) AS t({names}) ORDER BY person_id) "
        f"TO {_quoted(path)} (FORMAT parquet)"
    )
    _fsync(path)
    _fsync(path.parent)
    return tuple(
        con.execute(
            f"SELECT count(*), min(file_id), max(file_id) FROM read_parquet({_quoted(path)})"
        ).fetchall()[0]
    )


def _register(con: duckdb.DuckDBPyConnection, import_id: int, path: Path, counts: tuple) -> None:
    con.execute("DELETE FROM claim_segments WHERE import_id = ?", [import_id])
    con.execute(
        "INSERT INTO claim_segments VALUES (?, ?, ?, ?, ?, ?, ?)",
        [import_id, str(path), counts[0], path.stat().st_size, *counts[1:], dt.datetime.now()],
    )
    define_view(con)


def _path(con: duckdb.DuckDBPyConnection, import_id: int, suffix: str = "") -> Path:
    return segment_dir(store_path(con)) / f"{SEGMENT_PREFIX}{import_id:08d}{suffix}.parquet"


def write(con: duckdb.DuckDBPyConnection, import_id: int, rows_sql: str, suffix: str = "") -> Path:
    """Write the claim rows ``rows_sql`` selects as the segment of ``import_id``, list it and
    define ``claim_log`` again (inside the caller's transaction: in force at its COMMIT).
    None when there are no rows: no file."""
    path = _path(con, import_id, suffix)
    counts = _write_file(con, path, rows_sql)
    if counts[0] == 0:  # files with no valid claim row (a header alone): no segment
        path.unlink()
        con.execute("DELETE FROM claim_segments WHERE import_id = ?", [import_id])
        define_view(con)
        return None
    _register(con, import_id, path, counts)
    return path


def rewrite_without(con: duckdb.DuckDBPyConnection, import_id: int, rows: str) -> None:
    """Write the segment of ``import_id`` (not committed yet) again without the rows whose
    (file_id, line) the relation ``rows`` holds; the first file is removed."""
    found = con.execute("SELECT path FROM claim_segments WHERE import_id = ?", [import_id])
    old = Path(found.fetchall()[0][0])
    kept = (
        f"SELECT s.* FROM read_parquet({_quoted(old)}) AS s ANTI JOIN {rows} USING (file_id, line)"
    )
    write(con, import_id, kept, suffix="-" + dt.datetime.now().strftime("%H%M%S%f"))
    old.unlink(missing_ok=True)


def remove_orphans(con: duckdb.DuckDBPyConnection) -> list[Path]:
    """Remove the files of the store's segment folder that ``claim_segments`` does not list
    (what a killed or failed import wrote). Only the process holding the store calls this."""
    folder = segment_dir(store_path(con))
    if not folder.is_dir():
        return []
    listed = {Path(r[0]).name for r in con.execute("SELECT path FROM claim_segments").fetchall()}
    removed = [p for p in folder.iterdir() if p.is_file() and p.name not in listed]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def relocate(con: duckdb.DuckDBPyConnection) -> None:
    """A store moved or copied with its segment folder: point the listed files that are
    missing where they were to the files of the same name in its own folder."""
    folder = segment_dir(store_path(con))
    moved = [
        (str(folder / Path(p).name), p)
        for (p,) in con.execute("SELECT path FROM claim_segments").fetchall()
        if not Path(p).is_file() and (folder / Path(p).name).is_file()
    ]
    for new, old in moved:
        con.execute("UPDATE claim_segments SET path = ? WHERE path = ?", [new, old])
    if moved:  # the snapshots name the old paths: a changed meta has them published again
        con.execute("DELETE FROM meta WHERE key = 'segments_at'")
        con.execute("INSERT INTO meta VALUES ('segments_at', ?)", [str(folder)])


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """A store made before segments held its claims in a table ``claim_log`` (and their rowids
    per person-year in ``claim_person_rows``): its rows become segment 0, in one transaction."""
    kind = con.execute(
        """SELECT table_type FROM information_schema.tables
           WHERE table_name = 'claim_log' AND table_schema = 'main'
             AND table_catalog = current_database()"""
    ).fetchall()
    if not kind or kind[0][0] != "BASE TABLE":
        return
    run_script(con, "ddl/claim_segments.sql")
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("ALTER TABLE claim_log RENAME TO claim_columns")  # its columns, in order
        path = _path(con, 0)
        counts = _write_file(con, path, "SELECT * FROM claim_columns")
        con.execute("DELETE FROM claim_columns")
        con.execute("DROP TABLE IF EXISTS claim_person_rows")
        con.execute("DELETE FROM meta WHERE key = 'claim_rows_indexed'")
        if counts[0]:
            _register(con, 0, path, counts)
        else:
            path.unlink()
            define_view(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
