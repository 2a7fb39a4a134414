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
import shutil
from pathlib import Path

import duckdb

from pipeline import store
from pipeline.store.files import quoted, run_script
from pipeline.store.snapshots import fsync, snapshot_dir

SEGMENT_PREFIX = "claims-"

# At most this many segments are in force after an import: each is one more file a person's
# lookup opens (51 files took the person page's claims from 14 to 27-39 ms at 1M people), so
# beyond it the smallest are merged into one (``compact``).
MAX_SEGMENTS = 8


def store_path(con: duckdb.DuckDBPyConnection) -> Path:
    """The DuckDB file ``con`` has open as its default database."""
    path = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()[0][0]
    return Path(path).resolve()


def segment_dir(db: Path) -> Path:
    """Folder of a store's claim segments."""
    return db.with_name(db.name + ".segments")


def _parquet(paths: list) -> str:
    """``read_parquet`` of these files, as SQL."""
    return "read_parquet([" + ", ".join(quoted(p) for p in paths) + "])"


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
    con.execute(f"CREATE OR REPLACE VIEW claim_log AS SELECT {select} FROM {_parquet(paths)}")


# A person's claims are found through each segment's row-group statistics (min and max
# person_id): the lookup reads the row groups whose range holds the person. A weekly segment of
# 193k rows written in DuckDB's default groups of 122,880 rows had two groups, each spanning
# everyone, so every lookup read 193k person_ids (3.5 ms at 1M people, against 1.3 ms in the
# full import's 9.6M-row segment); in groups of 8,192 rows it took 0.9 ms. A segment is cut into
# at least this many groups, of at least MIN_ROW_GROUP rows (smaller groups cost more in
# statistics than they save) and at most DuckDB's default; DuckDB writes whole vectors of
# 2,048 rows to a group, so the size is a multiple of that.
ROW_GROUPS_PER_SEGMENT = 24
MIN_ROW_GROUP = 8_192
MAX_ROW_GROUP = 122_880
_VECTOR = 2_048


def row_group_size(rows: int) -> int:
    """Rows per Parquet row group for a segment of ``rows`` rows (see ROW_GROUPS_PER_SEGMENT)."""
    size = max(MIN_ROW_GROUP, min(MAX_ROW_GROUP, rows // ROW_GROUPS_PER_SEGMENT))
    return -(-size // _VECTOR) * _VECTOR


def _write_file(con: duckdb.DuckDBPyConnection, path: Path, rows_sql: str, rows: int) -> tuple:
    """Write ``rows_sql``'s rows (about ``rows`` of them) sorted by person_id to ``path``, on
    disk (fsync) before the COMMIT that puts it in force; its rows, first and last file_id."""
    path.parent.mkdir(exist_ok=True)
    path.unlink(missing_ok=True)  # a killed import's file of the same name
    con.execute(
        f"COPY ({rows_sql} ORDER BY person_id) TO {quoted(path)} "
        f"(FORMAT parquet, ROW_GROUP_SIZE {row_group_size(rows)})"
    )
    fsync(path)
    fsync(path.parent)
    found = con.execute(f"SELECT count(*), min(file_id), max(file_id) FROM {_parquet([path])}")
    return tuple(found.fetchall()[0])


# A claim row's share of memory when its segment is sorted: 94M rows sorted at once ran out of
# memory under the default limit (10M people); beyond it the rows are cut into ranges of
# person_id, each sorted and written as a part file of its own.
SORT_BYTES_PER_ROW = 128


def split_points(con: duckdb.DuckDBPyConnection, ids_sql: str, parts: int) -> list[str]:
    """Up to ``parts - 1`` values of person_id, in order, that cut the rows of ``ids_sql`` (a
    query with a person_id column) into ``parts`` ranges of about equal size (from a sample of
    100,000 rows)."""
    if parts <= 1:
        return []
    sample = con.execute(
        f"SELECT person_id FROM ({ids_sql}) USING SAMPLE reservoir(100000 ROWS) REPEATABLE (1) "
        "ORDER BY person_id"
    ).fetchall()
    if not sample:
        return []
    return sorted({sample[len(sample) * i // parts][0] for i in range(1, parts)} - {None})


def _write_sorted(
    con: duckdb.DuckDBPyConnection, path: Path, rows_sql: str
) -> list[tuple[Path, tuple]]:
    """Write the rows sorted by person_id: one file at ``path``, or, beyond what memory sorts
    at once, part files ``…-pNN.parquet`` of ranges of person_id (their order is the sort's).
    Each file with its counts; files with no row are not kept."""
    columns = _columns(con)
    names = ", ".join(name for name, _ in columns)
    typed = ", ".join(f"CAST({name} AS {kind}) AS {name}" for name, kind in columns)
    # the rows' columns are claim_log's, in order (as an INSERT takes them)
    rows_sql = f"SELECT {typed} FROM ({rows_sql}) AS t({names})"
    total = con.execute(f"SELECT count(*) FROM ({rows_sql})").fetchall()[0][0]
    parts = store.pieces(con, total, SORT_BYTES_PER_ROW)
    if parts == 1:
        written = [(path, _write_file(con, path, rows_sql, total))]
    else:
        bounds = split_points(con, rows_sql, parts)
        written = _write_parts(con, path, rows_sql, names, bounds, total // (len(bounds) + 1))
    for file, counts in written:
        if counts[0] == 0:
            file.unlink()
    return [(file, counts) for file, counts in written if counts[0]]


def _write_parts(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    rows_sql: str,
    names: str,
    bounds: list[str],
    part_rows: int,
) -> list[tuple[Path, tuple]]:
    """The rows in ranges of person_id cut at ``bounds``, each sorted into a part file
    ``…-pNN.parquet``: first as they come, each into its range's unsorted file (one COPY that
    streams, PARTITION_BY the range), then each range sorted from its own file. (Sorted straight
    from the import's checked rows, a range of 1M rows ran out of memory under 140 MB now and
    then at 1M people, and 10M rows under the default limit; with one unsorted file, each of the
    10 ranges at 10M people read all 97M rows again.)"""
    unsorted = path.with_name(f"{path.stem}.unsorted")
    shutil.rmtree(unsorted, ignore_errors=True)
    path.parent.mkdir(exist_ok=True)
    number = (
        "CASE "
        + " ".join(f"WHEN person_id < {quoted(b)} THEN {i}" for i, b in enumerate(bounds))
        + f" ELSE {len(bounds)} END"
    )  # (a NULL person_id: the last range)
    # Each thread buffers rows per range before they go to the range's open file: with the
    # defaults (524,288 rows per thread, row groups of 122,880 per file) an import of 93M rows
    # at 10M people ran out of memory here. Their order within a range does not matter.
    settings = ("preserve_insertion_order", "partitioned_write_flush_threshold")
    before = [store.scalar(con, f"SELECT current_setting('{name}')") for name in settings]
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET partitioned_write_flush_threshold = 32768")
    try:
        con.execute(
            f"COPY (SELECT *, {number} AS part FROM ({rows_sql})) TO {quoted(unsorted)} "
            "(FORMAT parquet, PARTITION_BY (part), ROW_GROUP_SIZE 32768)"
        )
    finally:
        for name, value in zip(settings, before, strict=True):
            con.execute(f"SET {name} = {quoted(str(value))}")
    written = []
    for part in range(len(bounds) + 1):
        files = sorted((unsorted / f"part={part}").glob("*.parquet"))
        if files:
            source = (
                f"SELECT {names} FROM read_parquet([{', '.join(quoted(f) for f in files)}], "
                "hive_partitioning = false)"
            )
            file = path.with_name(f"{path.stem}-p{part:02d}.parquet")
            written.append((file, _write_file(con, file, source, part_rows)))
    shutil.rmtree(unsorted)
    return written


def _register(
    con: duckdb.DuckDBPyConnection, import_id: int, written: list[tuple[Path, tuple]]
) -> None:
    for path, counts in written:
        con.execute(
            "INSERT INTO claim_segments VALUES (?, ?, ?, ?, ?, ?, ?)",
            [import_id, str(path), counts[0], path.stat().st_size, *counts[1:], dt.datetime.now()],
        )
    define_view(con)


def _path(con: duckdb.DuckDBPyConnection, import_id: int, suffix: str = "") -> Path:
    return segment_dir(store_path(con)) / f"{SEGMENT_PREFIX}{import_id:08d}{suffix}.parquet"


def write(
    con: duckdb.DuckDBPyConnection, import_id: int, rows_sql: str, suffix: str = ""
) -> list[Path]:
    """Write the claim rows ``rows_sql`` selects as the segment of ``import_id`` (one file, or
    part files when it is larger than memory sorts at once), list it and define ``claim_log``
    again (inside the caller's transaction: in force at its COMMIT). No file without rows."""
    written = _write_sorted(con, _path(con, import_id, suffix), rows_sql)
    con.execute("DELETE FROM claim_segments WHERE import_id = ?", [import_id])
    _register(con, import_id, written)
    return [path for path, _ in written]


def rewrite_without(con: duckdb.DuckDBPyConnection, import_id: int, rows: str) -> None:
    """Write the segment of ``import_id`` (not committed yet) again without the rows whose
    (file_id, line) the relation ``rows`` holds; the first files are removed."""
    found = con.execute("SELECT path FROM claim_segments WHERE import_id = ?", [import_id])
    old = [Path(p) for (p,) in found.fetchall()]
    kept = f"SELECT s.* FROM {_parquet(old)} AS s ANTI JOIN {rows} USING (file_id, line)"
    write(con, import_id, kept, suffix="-" + dt.datetime.now().strftime("%H%M%S%f"))
    for path in old:
        path.unlink(missing_ok=True)


def compact(con: duckdb.DuckDBPyConnection, import_id: int) -> list[Path]:
    """With more than MAX_SEGMENTS files in force, merge the smallest (all but MAX_SEGMENTS / 2
    of them, as many as memory sorts at once) into one, inside the import's transaction; the
    merged files are retired, not removed (``remove_retired``). The new files, if any."""
    found = con.execute("SELECT import_id, path, rows FROM claim_segments ORDER BY rows, path")
    files = found.fetchall()
    if len(files) <= MAX_SEGMENTS:
        return []
    merged: list[tuple[int, str, int]] = []
    for file in files[: len(files) - MAX_SEGMENTS // 2]:
        rows = sum(r for _, _, r in merged) + file[2]
        if store.pieces(con, rows, SORT_BYTES_PER_ROW) > 1:
            break
        merged.append(file)
    if len(merged) < 2:
        return []
    ids = [i for i, _, _ in merged]
    paths = [p for _, p, _ in merged]
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    written = _write_sorted(
        con,
        _path(con, min(ids), f"-{max(ids):08d}-{stamp}"),
        f"SELECT * FROM {_parquet(paths)}",
    )
    con.execute(
        "INSERT INTO claim_segments_retired SELECT path, ?, ? FROM claim_segments "
        "WHERE list_contains(?, path)",
        [import_id, dt.datetime.now(), paths],
    )
    con.execute("DELETE FROM claim_segments WHERE list_contains(?, path)", [paths])
    _register(con, max(ids), written)
    return [path for path, _ in written]


def _listed_by_snapshots(con: duckdb.DuckDBPyConnection, db: Path) -> set[str] | None:
    """The segment paths the store's snapshots list, or None if one cannot be read."""
    listed: set[str] = set()
    for number, snapshot in enumerate(sorted(snapshot_dir(db).glob("snap-*.duckdb"))):
        name = f"segments_of_snapshot_{number}"
        try:
            con.execute(f"ATTACH {quoted(snapshot)} AS {name} (READ_ONLY)")
        except duckdb.Error:
            return None
        try:
            rows = con.execute(f"SELECT path FROM {name}.claim_segments").fetchall()
        except duckdb.CatalogException:
            rows = []  # a snapshot made before segments: its claims are in itself
        except duckdb.Error:
            return None
        finally:
            con.execute(f"DETACH {name}")
        listed.update(r[0] for r in rows)
    return listed


def remove_retired(con: duckdb.DuckDBPyConnection) -> list[Path]:
    """Remove the retired segments that no snapshot lists any more (none if a snapshot cannot
    be read: it might). Only the process holding the store calls this."""
    retired = [r[0] for r in con.execute("SELECT path FROM claim_segments_retired").fetchall()]
    if not retired:
        return []
    listed = _listed_by_snapshots(con, store_path(con))
    if listed is None:
        return []
    gone = [p for p in retired if p not in listed]
    for path in gone:
        Path(path).unlink(missing_ok=True)
    con.execute("DELETE FROM claim_segments_retired WHERE list_contains(?, path)", [gone])
    return [Path(p) for p in gone]


def remove_orphans(con: duckdb.DuckDBPyConnection) -> list[Path]:
    """Remove the files of the store's segment folder that neither ``claim_segments`` nor
    ``claim_segments_retired`` lists (what a killed or failed import wrote). Only the process
    holding the store calls this."""
    folder = segment_dir(store_path(con))
    if not folder.is_dir():
        return []
    kept = con.execute(
        "SELECT path FROM claim_segments UNION SELECT path FROM claim_segments_retired"
    )
    listed = {Path(r[0]).name for r in kept.fetchall()}
    removed = [p for p in folder.iterdir() if p.name not in listed]
    for path in removed:  # (a killed import's folder of unsorted rows, too)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
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
        written = _write_sorted(con, _path(con, 0), "SELECT * FROM claim_columns")
        con.execute("DELETE FROM claim_columns")
        con.execute("DROP TABLE IF EXISTS claim_person_rows")
        con.execute("DELETE FROM meta WHERE key = 'claim_rows_indexed'")
        _register(con, 0, written)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
