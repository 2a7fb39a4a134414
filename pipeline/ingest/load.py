"""Load the validated rows of an import into the store: rejects with their reasons, claims with
corrections and the claim-number rule, and the check of an import restricted to a region.

Rows are never looped over in Python: each file is a staging table, the clean SQL types and
checks every row at once, and good rows and rejects are inserted set-wise.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from pipeline.ingest import read
from pipeline.ingest.discover import ImportRefused
from pipeline.store import run_script, scalar, segments, sql

Notify = Callable[[str], None]


def _noop(_: str) -> None:
    pass


def load_kind(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    items: list[read.Staged],
    import_id: int,
    notify: Notify = _noop,
) -> None:
    """Insert the validated rows of one kind and their rejects, from every file of the import."""
    union = " UNION ALL ".join(f"SELECT * FROM {staged.clean}" for staged in items)
    con.execute(f"CREATE OR REPLACE TEMP VIEW clean_{kind} AS {union}")
    for staged in items:
        con.execute(
            f"""INSERT INTO rejects
            SELECT ?, file_id, ?, ?, line, reason, detail, person_id, raw
            FROM {staged.clean} WHERE reason IS NOT NULL""",
            [import_id, str(staged.source.path), kind],
        )
        for reason, found in (
            ("malformed_row", staged.malformed),
            ("bad_encoding", staged.undecodable),
        ):
            if found:
                con.executemany(
                    "INSERT INTO rejects VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                    [
                        (import_id, staged.file_id, str(staged.source.path), kind, line, reason)
                        + (detail, raw)
                        for line, detail, raw in found
                    ],
                )
    good = f"SELECT * EXCLUDE (reason, detail, raw) FROM clean_{kind} WHERE reason IS NULL"
    has_old = kind == "claims" and scalar(con, "SELECT count(*) > 0 FROM claim_log")
    if kind == "claims":  # the import's segment: in claim_log from now on (at COMMIT for others)
        segments.write(con, import_id, good)
    else:
        con.execute(f"INSERT INTO {kind}_rows {good}")
    # The typed copies are stored now; free their memory for what follows. (Copies staged in
    # an attached file stay until the import ends: this transaction writes the store only.)
    con.execute(f"DROP VIEW clean_{kind}")
    for staged in items:
        con.execute(f"DROP VIEW {staged.clean}")
        if staged.home == "temp":
            con.execute(f"DROP TABLE clean_{staged.file_id}")
    if kind == "claims":
        notify("claims: corrections replace earlier rows")
        _resolve_corrections(con, items, import_id, has_old)


def _resolve_corrections(
    con: duckdb.DuckDBPyConnection, items: list[read.Staged], import_id: int, has_old: bool
) -> None:
    """A claim_id seen again replaces the earlier row: that row is listed in
    claim_rows_superseded (and so leaves the view claim_rows); claim_log only grows.

    The import's valid rows are in claim_log already (its segment, and the staged copies of
    the files are gone: grouping 10M claim_ids over the staged files cost 3.7 s). A
    row whose claim_id another person holds is rejected (``_reject_conflicts``) and taken out
    again; such rows are rare, and only an import that has some pays for the delete.
    ``has_old``: the store held claims before this import.
    """
    first = min(staged.file_id for staged in items)
    con.execute(
        "CREATE OR REPLACE TEMP VIEW batch_claims AS "
        f"SELECT * FROM claim_log WHERE file_id >= {first}"
    )
    # The stored claims in force that this import names again: read once (the conflicts check
    # and the corrections both need them; each scan of every stored claim cost 0.4-1.0 s at 1M).
    # (The import's claim_ids first, as a table: over the view the planner took every stored
    # claim for the smaller side.)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE batch_ids AS SELECT DISTINCT claim_id FROM batch_claims"
        + ("" if has_old else " WHERE false")
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE old_claims AS
        SELECT l.* FROM claim_log AS l
        SEMI JOIN batch_ids AS b USING (claim_id)
        ANTI JOIN claim_rows_superseded AS s ON s.file_id = l.file_id AND s.line = l.line
        WHERE l.file_id < {first}"""
    )
    con.execute("DROP TABLE batch_ids")
    _find_repeated(con)
    split = scalar(con, "SELECT count(*) FILTER (WHERE split) FROM batch_repeated")
    # Another person's row is possible only against the store or where one claim_id of the
    # batch names several people: a first import of several weeks (corrections of one person's
    # claims) skips the check.
    if (has_old or split) and _reject_conflicts(con, items, import_id):
        _find_repeated(con)  # without the rows taken out
    if has_old:
        con.execute(
            """INSERT INTO claim_rows_superseded
            SELECT c.*, b.file_id FROM old_claims AS c
            JOIN (SELECT claim_id, min(file_id) AS file_id FROM batch_claims GROUP BY claim_id)
                AS b USING (claim_id)"""
        )
    if scalar(con, "SELECT count(*) FROM batch_repeated"):
        con.execute(
            """INSERT INTO claim_rows_superseded
            SELECT * EXCLUDE (version, newest_file), newest_file FROM (
                SELECT b.*,
                       row_number() OVER w AS version,
                       first_value(file_id) OVER w AS newest_file
                FROM batch_claims AS b SEMI JOIN batch_repeated USING (claim_id)
                WINDOW w AS (PARTITION BY claim_id ORDER BY file_id DESC, line DESC)
            ) WHERE version > 1"""
        )
    con.execute("DROP TABLE batch_repeated")
    con.execute("DROP TABLE old_claims")
    con.execute("DROP VIEW batch_claims")
    con.execute("DROP TABLE IF EXISTS claim_conflicts")


# Claim rows grouped at once when finding repeated claim_ids: 97M rows at once (10M people)
# ran out of memory under the default limit (a hash table partition of 128 MiB); in slices of
# this many (by the hash), each grouping stays small.
ROWS_PER_GROUPING = 10_000_000


def _find_repeated(con: duckdb.DuckDBPyConnection) -> None:
    """``batch_repeated``: the claim_ids the import holds more than once, and whether their
    rows name more than one person.

    Grouped first by a 64-bit hash of the claim_id (fixed-width keys: 0.8 s for 10M rows,
    grouping the text itself took 3.9 s and spilled), then exactly, over the few rows whose
    hash repeats: a hash shared by two different claim_ids only adds rows to the exact step.
    """
    rows = scalar(con, "SELECT count(*) FROM batch_claims")
    slices = max(1, -(-rows // ROWS_PER_GROUPING))
    if slices == 1:
        # (the rows are read twice rather than through one CTE: DuckDB materialises a CTE
        # read twice, which cost 2.4 s at 1M people)
        repeated = "SELECT hash(claim_id) AS h FROM batch_claims GROUP BY h HAVING count(*) > 1"
    else:
        # Large imports: the hashes once into a table (8 bytes a row; a scan of the import's
        # rows took 18 s at 10M people), then grouped a slice of the hash at a time.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE batch_hashes AS SELECT hash(claim_id) AS h "
            "FROM batch_claims"
        )
        con.execute("CREATE OR REPLACE TEMP TABLE repeated_hashes (h UBIGINT)")
        for part in range(slices):
            con.execute(
                f"""INSERT INTO repeated_hashes
                SELECT h FROM batch_hashes WHERE h % {slices} = {part}
                GROUP BY h HAVING count(*) > 1"""
            )
        con.execute("DROP TABLE batch_hashes")
        repeated = "SELECT h FROM repeated_hashes"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE batch_repeated AS
        WITH hashes AS ({repeated})
        SELECT claim_id, min(person_id) <> max(person_id) AS split
        FROM batch_claims
        WHERE hash(claim_id) IN (SELECT h FROM hashes)
        GROUP BY claim_id HAVING count(*) > 1"""
    )
    con.execute("DROP TABLE IF EXISTS repeated_hashes")


def _reject_conflicts(
    con: duckdb.DuckDBPyConnection, items: list[read.Staged], import_id: int
) -> bool:
    """Reject the rows whose claim_id another person holds (sql/checks/claim_conflicts.sql),
    with their source text, and take them out of the import's segment (written again without
    them: it is not in force yet). True if there were any. The holders in the store are
    ``old_claims``'s."""
    con.execute(
        "CREATE OR REPLACE TEMP VIEW stored_claims AS SELECT claim_id, person_id FROM old_claims"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE batch_files AS "
        "SELECT unnest(CAST(? AS INTEGER[])) AS file_id, unnest(CAST(? AS VARCHAR[])) AS file",
        [[s.file_id for s in items], [s.source.path.name for s in items]],
    )
    run_script(con, "checks/claim_conflicts.sql")
    con.execute("DROP VIEW stored_claims")
    con.execute("DROP TABLE batch_files")
    conflicts = con.execute(
        "SELECT file_id, line FROM claim_conflicts ORDER BY file_id, line"
    ).fetchall()
    if not conflicts:
        return False
    lines: dict[int, list[int]] = {}
    for file_id, line in conflicts:
        lines.setdefault(file_id, []).append(line)
    raw_ids, raw_lines, raw_texts = [], [], []
    for staged in items:
        if staged.file_id in lines:
            for line, text in read.raw_lines(con, staged, lines[staged.file_id]).items():
                raw_ids.append(staged.file_id)
                raw_lines.append(line)
                raw_texts.append(text)
    con.execute(
        """INSERT INTO rejects
        SELECT ?, c.file_id, f.file, 'claims', c.line, 'claim_id_other_person', c.detail,
               c.person_id, r.raw
        FROM claim_conflicts AS c
        JOIN (SELECT unnest(CAST(? AS INTEGER[])) AS file_id, unnest(CAST(? AS VARCHAR[])) AS file)
            AS f USING (file_id)
        LEFT JOIN (SELECT unnest(CAST(? AS INTEGER[])) AS file_id,
                          unnest(CAST(? AS BIGINT[])) AS line,
                          unnest(CAST(? AS VARCHAR[])) AS raw) AS r USING (file_id, line)""",
        [
            import_id,
            [s.file_id for s in items],
            [str(s.source.path) for s in items],
            raw_ids,
            raw_lines,
            raw_texts,
        ],
    )
    segments.rewrite_without(con, import_id, "claim_conflicts")
    return True


def refuse_outside(con: duckdb.DuckDBPyConnection, import_id: int, region: str) -> None:
    """Refuse the import (nothing is committed) if any of its rows reaches outside ``region``.

    Run before the models are refreshed: ``people`` still says where everyone lived.
    """
    rows = con.execute(
        sql("checks/outside_region.sql"), {"import_id": import_id, "region": region}
    ).fetchall()
    if rows:
        examples = "; ".join(
            f"{Path(file).name} line {line} ({kind}, {why}, village {village or 'none'})"
            for file, line, kind, village, why, _n in rows
        )
        raise ImportRefused(
            f"{rows[0][5]:,} rows reach outside region {region}, e.g. {examples}. An import "
            f"restricted to {region} may only hold its people and their claims. Nothing of "
            "this import was loaded."
        )


def already_imported(con: duckdb.DuckDBPyConnection, sha: str) -> str | None:
    row = con.execute(
        "SELECT import_id, imported_at, file FROM import_files WHERE sha256 = ? "
        "ORDER BY file_id LIMIT 1",
        [sha],
    ).fetchall()
    if not row:
        return None
    row = row[0]
    return f"import {row[0]} at {row[1]:%Y-%m-%d %H:%M} as {row[2]}"
