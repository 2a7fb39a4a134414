"""One import: find files, read them, validate and load in one transaction, refresh the models.

Python orchestrates; DuckDB computes. Rows are never looped over in Python: each file becomes a
staging table, the clean_* SQL types and checks every row at once, and good rows and rejects are
inserted set-wise. Nothing of an import is committed unless all of it is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline import read, rules, schema, store

MODELS = (
    "reversed_claims",
    "claims_effective",
    "people",
    "person_keys",
    "unknown_divisions",
    "unmatched_claims",
    "region_names",
    "person_year",
    "household_year",
    "county_week_claims",
)


@dataclass(frozen=True)
class Built:
    """A model whose SQL is a build view (``<name>_build``) over scope views, written to a table.

    A full refresh writes the whole view, sorted; a weekly one replaces the rows of the touched
    people (or households) with the view's rows for them.
    """

    table: str
    scopes: tuple[str, ...]
    key: str  # the column whose touched values are replaced
    order: str = ""


BUILT = {
    "people": Built(
        "people", ("scope_roster", "scope_enrolment"), "person_id",
        "village_code, household_id, person_id",
    ),
    "person_year": Built(
        "mart_person_year", ("scope_claims", "scope_enrolment", "scope_people"), "person_id",
        "village_code, person_id, year",
    ),
    "household_year": Built("household_year", ("scope_person_year",), "household_id"),
    "county_week_claims": Built(
        "county_week_claims", ("scope_claims", "scope_people"), "", "county, week"
    ),
}  # fmt: skip
# scope view -> (what it reads, the touched table that narrows it in a weekly refresh)
SCOPES = {
    "scope_roster": ("roster_rows", "touched"),
    "scope_enrolment": ("enrolment_rows", "touched"),
    "scope_claims": ("claims_effective", ""),  # weekly: touched_claims (models/touched.sql)
    "scope_people": ("people", "touched"),
    "scope_person_year": ("mart_person_year", "touched_households"),
}
# A weekly refresh appends the touched people's rows unsorted; once the people touched since the
# last full (sorted) build pass this share of everyone, the next import rebuilds in full.
REBUILD_SHARE = 0.5
SKIP_NAMES = {"readme.md", "readme.txt", ".ds_store"}


@dataclass
class FileReport:
    """What happened to one file of an import."""

    file: str
    kind: str
    fmt: str
    encoding: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    extra_columns: list[str] = field(default_factory=list)
    already_imported: str | None = None  # when, if the same content was imported before


@dataclass
class ImportReport:
    """What an import did, for printing and for tests."""

    import_id: int | None
    files: list[FileReport]
    reasons: list[tuple[str, int]]
    claims_matched: int = 0
    claims_unmatched: int = 0
    watch: dict[str, int] = field(default_factory=dict)  # new, continuing, left, no_income
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)
    snapshot: Path | None = None
    caught_up: str | None = None  # why a snapshot was published though nothing new came

    @property
    def rows_read(self) -> int:
        """Rows read in all files of the import."""
        return sum(f.rows_read for f in self.files)


class ImportRefused(schema.MaskedError):
    """Nothing of the import was loaded; the message names the file and the problem."""


Notify = Callable[[str], None]


def _noop(_: str) -> None:
    pass


class Hooks:
    """Where an import reports progress; the CLI's terminal display overrides these no-ops."""

    def notify(self, message: str) -> None:
        """One step of the import, as a line."""

    @contextmanager
    def file_step(
        self, path: Path, step: str, size: int = 0, con: duckdb.DuckDBPyConnection | None = None
    ) -> Iterator[Callable[[int], None]]:
        """A step on one file; yields a callback taking bytes done (when ``size`` is known)."""
        yield lambda _n: None


def discover(paths: Iterable[Path], kind: str | None) -> tuple[list[read.Source], list[str]]:
    """Files to import, in import order, and the files of a folder that were skipped (why)."""
    sources: list[read.Source] = []
    skipped: list[str] = []
    for path in paths:
        if not path.exists():
            raise ImportRefused(f"{path}: no such file or folder")
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.name.startswith(".") or child.name.lower() in SKIP_NAMES:
                    continue
                if child.is_symlink():  # an exchange folder holds files, not links elsewhere
                    skipped.append(f"{child}: a symbolic link, not imported")
                    continue
                try:
                    fmt = read.format_of(child)
                except read.ReadError:
                    skipped.append(f"{child}: not CSV, XLSX or Parquet")
                    continue
                child_kind = kind or schema.kind_of(child.name)
                if child_kind is None:
                    skipped.append(
                        f"{child}: name does not start with roster, enrolment or claims "
                        "(use --kind to import it)"
                    )
                    continue
                sources.append(read.Source(child, child_kind, fmt, child.stat().st_size))
        else:
            try:
                fmt = read.format_of(path)
            except read.ReadError as exc:
                raise ImportRefused(str(exc)) from None
            file_kind = kind or schema.kind_of(path.name)
            if file_kind is None:
                raise ImportRefused(
                    f"{path}: cannot tell the kind of extract from the file name; name it "
                    "roster…, enrolment… or claims…, or pass --kind"
                )
            sources.append(read.Source(path, file_kind, fmt, path.stat().st_size))
    return sources, skipped


def _load_kind(
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


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: list | dict | None = None) -> object:
    """The single value a query returns (DuckDB 2.0 wants results fetched to the end)."""
    return con.execute(query, params or []).fetchall()[0][0]


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
        SELECT claim_id FROM batch_claims GROUP BY claim_id HAVING count(*) > 1"""
    )
    repeated = scalar(con, "SELECT count(*) FROM batch_repeated")
    if has_old or repeated:
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
    store.run_script(con, "checks/claim_conflicts.sql")
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


def refresh_models(
    con: duckdb.DuckDBPyConnection, notify: Notify = _noop, first_file: int | None = None
) -> None:
    """Rebuild the models (people, person-year and household totals, …) from the loaded rows.

    With ``first_file`` (the first file_id of an import whose earlier state the models hold),
    only the people the import touched are updated: see sql/models/touched.sql. The result is
    the same as a full refresh (tests/test_weekly.py compares them). At 1M people a week of
    108k claims touches 100k people, and the models take about 4 s instead of 11.6 s.
    """
    weekly = first_file is not None
    if weekly:
        con.execute("SET VARIABLE first_file = ?", [first_file])
        notify("finding the people this import touched")
        store.run_script(con, "models/touched.sql")
        touched = scalar(con, "SELECT count(*) FROM touched")
        notify(f"{touched:,} people touched")
    for model in MODELS:
        notify(f"model {model}")
        built = BUILT.get(model)
        if built is None:
            store.run_script(con, f"models/{model}.sql")
            continue
        for view in built.scopes:
            table, narrow = SCOPES[view]
            key = "household_id" if narrow == "touched_households" else "person_id"
            if weekly:
                table = f"{table} SEMI JOIN {narrow} USING ({key})" if narrow else "touched_claims"
            con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {table}")
        store.run_script(con, f"models/{model}.sql")
        _write_built(con, model, built, weekly)
    for view in SCOPES:
        con.execute(f"DROP VIEW IF EXISTS {view}")
    if weekly:  # touched and touched_households stay for the rules (rules/scope.sql)
        con.execute("DROP VIEW touched_claims")
        for table in ("touched_log", "county_week_before"):
            con.execute(f"DROP TABLE {table}")
    store.run_script(con, "views.sql")
    _count_touched(con, touched if weekly else None)


def _write_built(con: duckdb.DuckDBPyConnection, model: str, built: Built, weekly: bool) -> None:
    """Write a build view to its table: all of it, or in place of the touched rows."""
    order = f" ORDER BY {built.order}" if built.order else ""
    if not weekly:
        con.execute(f"CREATE OR REPLACE TABLE {built.table} AS SELECT * FROM {model}_build{order}")
    elif model == "county_week_claims":
        # Counts: the touched people's counts before the import out, theirs after it in.
        con.execute(
            f"""CREATE OR REPLACE TABLE county_week_claims AS
            SELECT county, week, CAST(sum(claims) AS BIGINT) AS claims
            FROM (SELECT * FROM county_week_claims
                  UNION ALL SELECT county, week, -claims FROM county_week_before
                  UNION ALL SELECT * FROM county_week_claims_build)
            GROUP BY ALL HAVING sum(claims) <> 0{order}"""
        )
    else:
        narrow = "touched_households" if built.key == "household_id" else "touched"
        con.execute(
            f"DELETE FROM {built.table} WHERE {built.key} IN (SELECT {built.key} FROM {narrow})"
        )
        con.execute(f"INSERT INTO {built.table} SELECT * FROM {model}_build{order}")
        if model == "people":  # their households now count as touched too
            con.execute(
                """INSERT INTO touched_households
                SELECT DISTINCT household_id FROM people SEMI JOIN touched USING (person_id)
                WHERE household_id IS NOT NULL
                EXCEPT SELECT household_id FROM touched_households"""
            )
    con.execute(f"DROP VIEW {model}_build")


def _count_touched(con: duckdb.DuckDBPyConnection, touched: int | None) -> None:
    """Keep meta 'touched_since_build': people touched by weekly refreshes since a full one."""
    before = con.execute("SELECT value FROM meta WHERE key = 'touched_since_build'").fetchall()
    total = 0 if touched is None else int(before[0][0] if before else 0) + touched
    con.execute("DELETE FROM meta WHERE key = 'touched_since_build'")
    con.execute("INSERT INTO meta VALUES ('touched_since_build', ?)", [str(total)])


def weekly_start(con: duckdb.DuckDBPyConnection, first_file: int) -> int | None:
    """``first_file`` if the models can be updated for the touched people only, else None.

    They can once a full build exists (people and mart_person_year) and the people touched by
    weekly refreshes since then stay under REBUILD_SHARE of everyone (their rows are appended
    unsorted; a full build sorts them again). Rows of this import already count: a first import
    of a roster is built in full.
    """
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if not {"people", "mart_person_year", "household_year", "county_week_claims"} <= tables:
        return None
    people = scalar(con, "SELECT count(*) FROM people")
    if not people:
        return None
    before = con.execute("SELECT value FROM meta WHERE key = 'touched_since_build'").fetchall()
    since = int(before[0][0]) if before else 0
    new_rows = scalar(
        con,
        """SELECT (SELECT count(*) FROM claim_log WHERE file_id >= $f)
                + (SELECT count(*) FROM roster_rows WHERE file_id >= $f)
                + (SELECT count(*) FROM enrolment_rows WHERE file_id >= $f)""",
        {"f": first_file},
    )
    if since + new_rows > REBUILD_SHARE * people:
        return None
    return first_file


def _refuse_outside(con: duckdb.DuckDBPyConnection, import_id: int, region: str) -> None:
    """Refuse the import (nothing is committed) if any of its rows reaches outside ``region``.

    Run before the models are refreshed: ``people`` still says where everyone lived.
    """
    rows = con.execute(
        store.sql("checks/outside_region.sql"), {"import_id": import_id, "region": region}
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


def _already(con: duckdb.DuckDBPyConnection, sha: str) -> str | None:
    row = con.execute(
        "SELECT import_id, imported_at, file FROM import_files WHERE sha256 = ? "
        "ORDER BY file_id LIMIT 1",
        [sha],
    ).fetchall()
    if not row:
        return None
    row = row[0]
    return f"import {row[0]} at {row[1]:%Y-%m-%d %H:%M} as {row[2]}"


def ingest(
    paths: Iterable[Path],
    db: Path,
    kind: str | None = None,
    notify: Notify = _noop,
    command: str = "ingest",
    publish: bool = True,
    hooks: Hooks | None = None,
    rules_dir: Path = rules.RULES_DIR,
    within: str = "",
) -> ImportReport:
    """Import files/folders into the store as one atomic import, then publish a snapshot.

    ``within`` (a division code prefix) refuses the whole import if any of its rows lies outside
    that region (see ``sql/checks/outside_region.sql``); '' allows every region.
    """
    started = time.perf_counter()
    if hooks is None:
        hooks = Hooks()
    else:
        notify = hooks.notify
    sources, skipped = discover(paths, kind)
    try:
        ruleset = rules.load(rules_dir)
    except rules.RulesError as exc:
        raise ImportRefused(f"the rules in {rules_dir} have problems:\n{exc}") from None
    if not sources:
        raise ImportRefused("no extract files found in " + ", ".join(str(p) for p in paths))
    con = store.open_store(db)
    work = store.work_dir(db)
    try:
        report = _ingest(con, sources, notify, command, hooks, ruleset, within, work)
        store.index_claim_rows(con)  # after COMMIT: the new rows' rowids are final now
    except BaseException:
        con.close()
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.skipped = skipped
    stale = None if report.import_id is not None or not publish else store.stale_reason(db, con)
    if stale is not None:
        notify(f"{stale}: publishing it now")
        report.caught_up = stale
    if publish and (report.import_id is not None or stale is not None):
        notify("publishing a read snapshot")
        report.snapshot = store.close_and_publish(con, db)
    else:
        con.close()
    report.seconds = time.perf_counter() - started
    return report


def _ingest(
    con: duckdb.DuckDBPyConnection,
    sources: list[read.Source],
    notify: Notify,
    command: str,
    hooks: Hooks,
    ruleset: rules.RuleSet,
    within: str,
    tmp_dir: Path,
) -> ImportReport:
    reports: list[FileReport] = []
    new: list[read.Source] = []
    report_of: dict[int, FileReport] = {}  # id(source) -> its report (a file may come twice)
    seen: dict[str, str] = {}
    for src in sources:
        notify(f"checking {src.path} ({src.size / 1e6:.1f} MB)")
        with hooks.file_step(src.path, "checking", size=src.size) as advance:
            read.fingerprint(src, advance)
        rep = FileReport(str(src.path), src.kind, src.fmt)
        earlier = _already(con, src.sha256) or seen.get(src.sha256)
        if earlier:
            rep.already_imported = earlier
            notify(f"{src.path}: already imported ({earlier}); nothing changes")
        else:
            seen[src.sha256] = f"this import as {src.path}"
            new.append(src)
            report_of[id(src)] = rep
        reports.append(rep)
    if not new:
        return ImportReport(None, reports, [])

    con.execute("BEGIN TRANSACTION")
    try:
        import_id = con.execute(
            "SELECT coalesce(max(import_id), 0) + 1 FROM import_batches"
        ).fetchall()[0][0]
        next_file = con.execute("SELECT coalesce(max(file_id), 0) FROM import_files").fetchall()[0][
            0
        ]
        first_new = next_file + 1
        now = dt.datetime.now()
        con.execute(
            "INSERT INTO import_batches VALUES (?, ?, NULL, ?, ?)",
            [import_id, now, getpass.getuser(), command],
        )
        by_kind: dict[str, list[read.Staged]] = {k: [] for k in schema.KINDS}
        staged_by_id: dict[int, read.Staged] = {}
        clean_sql = {k: store.sql(f"clean/{k}.sql") for k in schema.KINDS}
        for src in new:
            next_file += 1
            notify(
                f"reading and checking {src.path} ({src.kind}, {src.fmt}, {src.size / 1e6:.1f} MB)"
            )
            try:
                with hooks.file_step(src.path, "reading", con=con):
                    staged = read.read_file(con, src, next_file, clean_sql[src.kind], str(tmp_dir))
            except read.ReadError as exc:
                raise ImportRefused(f"{exc}. Nothing of this import was loaded.") from None
            by_kind[src.kind].append(staged)
            staged_by_id[next_file] = staged
        # Every read is done (its row order gave the lines); stores and models need no order.
        con.execute("SET preserve_insertion_order = false")
        for kind in schema.KINDS:
            if by_kind[kind]:
                notify(f"storing {kind} and their rejects")
                _load_kind(con, kind, by_kind[kind], import_id, notify)
        rejected = dict(
            con.execute(
                "SELECT file_id, count(*) FROM rejects WHERE import_id = ? GROUP BY file_id",
                [import_id],
            ).fetchall()
        )
        for fid, staged in staged_by_id.items():
            rep = report_of[id(staged.source)]
            rep.encoding = staged.encoding
            rep.rows_read = staged.rows_read
            rep.rows_rejected = rejected.get(fid, 0)
            rep.rows_loaded = rep.rows_read - rep.rows_rejected
            rep.extra_columns = list(staged.extras)
            con.execute(
                "INSERT INTO import_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    fid, import_id, str(staged.source.path), staged.source.sha256,
                    staged.source.kind, staged.source.fmt, staged.encoding,
                    [h.strip() for h in staged.headers], rep.extra_columns,
                    rep.rows_read, rep.rows_loaded, rep.rows_rejected, now,
                ],
            )  # fmt: skip
        if within:
            _refuse_outside(con, import_id, within)
        notify("refreshing person-year totals")
        since_file = weekly_start(con, first_new)
        refresh_models(con, notify, since_file)
        notify(f"evaluating rules (fingerprint {ruleset.fingerprint})")
        run_id = rules.evaluate(con, ruleset, import_id, since_file)
        for table in ("touched", "touched_households"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        watch = rules.run_summary(con, run_id)
        reasons = con.execute(
            "SELECT reason, count(*) AS n FROM rejects WHERE import_id = ? "
            "GROUP BY reason ORDER BY n DESC, reason",
            [import_id],
        ).fetchall()
        # Claims in force of known people are person_year's; of the others, unmatched_claims.
        matched, unmatched = con.execute(
            """SELECT (SELECT coalesce(sum(claims), 0) FROM mart_person_year),
                      (SELECT count(*) FROM unmatched_claims)"""
        ).fetchall()[0]
        con.execute(
            "UPDATE import_batches SET finished_at = ? WHERE import_id = ?",
            [dt.datetime.now(), import_id],
        )
        notify("committing")
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed disk may have closed the database
            con.execute("ROLLBACK")
        raise
    finally:
        with contextlib.suppress(duckdb.Error):
            con.execute("SET preserve_insertion_order = true")
    return ImportReport(import_id, reports, reasons, matched, unmatched, watch)
