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
from pipeline.store import run_script, scalar, sql

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
    if kind == "claims":
        notify("claims: corrections replace earlier rows")
        _upsert_claims(con, good, items, import_id)
    else:
        con.execute(f"INSERT INTO {kind}_rows {good}")
    # The typed copies are stored now; free their memory for the models that follow.
    con.execute(f"DROP VIEW clean_{kind}")
    for staged in items:
        con.execute(f"DROP VIEW {staged.clean}")
        con.execute(f"DROP TABLE clean_{staged.file_id}")


def _upsert_claims(
    con: duckdb.DuckDBPyConnection, good: str, items: list[read.Staged], import_id: int
) -> None:
    """A claim_id seen again replaces the earlier row: that row is listed in
    claim_rows_superseded (and so leaves the view claim_rows); claim_log only grows.

    A row whose claim_id another person holds is rejected first (``_reject_conflicts``).
    Within one import (several weeks at once) only the claim_ids that occur more than once are
    ranked, newest file and line first: a window over every row of a 10M-row batch cost a sort.
    """
    con.execute(f"CREATE OR REPLACE TEMP VIEW batch_claims AS {good}")
    has_old = scalar(con, "SELECT count(*) > 0 FROM claim_log")
    con.execute(
        """CREATE OR REPLACE TEMP TABLE batch_repeated AS
        SELECT claim_id, min(person_id) <> max(person_id) AS split
        FROM batch_claims GROUP BY claim_id HAVING count(*) > 1"""
    )
    repeated, split = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE split) FROM batch_repeated"
    ).fetchall()[0]
    # Another person's row is possible only against the store or where one claim_id of the
    # batch names several people: a first import of several weeks (corrections of one person's
    # claims) skips the check's two scans of every row.
    if has_old or split:
        _reject_conflicts(con, good, items, import_id, has_old)
    if has_old:
        con.execute(
            """INSERT INTO claim_rows_superseded
            SELECT c.*, b.file_id FROM claim_rows AS c
            JOIN (SELECT claim_id, min(file_id) AS file_id FROM batch_claims GROUP BY claim_id)
                AS b USING (claim_id)"""
        )
    if not repeated:
        con.execute("INSERT INTO claim_log SELECT * FROM batch_claims")
    else:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE batch_versions AS
            SELECT b.*,
                   row_number() OVER (PARTITION BY claim_id ORDER BY file_id DESC, line DESC)
                       AS version,
                   first_value(file_id) OVER (PARTITION BY claim_id
                                              ORDER BY file_id DESC, line DESC) AS newest_file
            FROM batch_claims AS b SEMI JOIN batch_repeated USING (claim_id)"""
        )
        con.execute(
            """INSERT INTO claim_rows_superseded
            SELECT * EXCLUDE (version, newest_file), newest_file
            FROM batch_versions WHERE version > 1"""
        )
        con.execute(
            """INSERT INTO claim_log
            SELECT * FROM batch_claims ANTI JOIN batch_repeated USING (claim_id)
            UNION ALL
            SELECT * EXCLUDE (version, newest_file) FROM batch_versions WHERE version = 1"""
        )
        con.execute("DROP TABLE batch_versions")
    con.execute("DROP TABLE batch_repeated")
    con.execute("DROP VIEW batch_claims")
    con.execute("DROP TABLE IF EXISTS claim_conflicts")


def _reject_conflicts(
    con: duckdb.DuckDBPyConnection,
    good: str,
    items: list[read.Staged],
    import_id: int,
    has_old: bool,
) -> None:
    """Reject the rows whose claim_id another person holds (sql/checks/claim_conflicts.sql),
    with their source text, and leave them out of ``batch_claims``."""
    if has_old:
        con.execute(
            """CREATE OR REPLACE TEMP VIEW stored_claims AS
            SELECT claim_id, person_id FROM claim_rows
            SEMI JOIN batch_claims USING (claim_id)"""
        )
    else:
        con.execute(
            """CREATE OR REPLACE TEMP VIEW stored_claims AS
            SELECT NULL::VARCHAR AS claim_id, NULL::VARCHAR AS person_id WHERE false"""
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
        con.execute("DROP TABLE claim_conflicts")
        return
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
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW batch_claims AS
        SELECT * FROM ({good}) ANTI JOIN claim_conflicts USING (file_id, line)"""
    )


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
