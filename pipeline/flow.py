"""An import, the stages in the order data flows: find and read the files and load them
(``ingest/``), refresh the models (``models/``), evaluate the rules (``rules/``, which builds the
marts), COMMIT, then publish a snapshot (``store/``). Nothing of an import is committed unless
all of it is; the store is opened with ``models.open_current`` (models built by this version).
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

from pipeline import models, rules, schema, store
from pipeline.ingest import (
    ImportRefused,
    already_imported,
    discover,
    load_kind,
    read,
    refuse_outside,
)
from pipeline.store import scalar


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
    watch: dict[str, object] = field(default_factory=dict)  # rules.run_summary's counts
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)
    snapshot: Path | None = None
    caught_up: str | None = None  # why a snapshot was published though nothing new came
    list_stands: int | None = None  # no row loaded: the rule run whose list still holds
    # the last complete week's county figures unlike the county's history (county_week_anomalies):
    # (county, week, metric, value, median, z or None)
    unusual: list[tuple] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        """Rows read in all files of the import."""
        return sum(f.rows_read for f in self.files)


Notify = Callable[[str], None]


class ImportOutOfMemory(Exception):
    """DuckDB ran out of memory inside an import (nothing of it was committed): the step it was
    at and the memory limit in force, for a message that says what to raise."""

    def __init__(self, step: str, limit: str, detail: str) -> None:
        super().__init__(f"out of memory while {step} (limit {limit}): {detail}")
        self.step, self.limit, self.detail = step, limit, detail


def _noop(_: str) -> None:
    pass


class Hooks:
    """Where an import reports progress; the CLI's terminal display overrides these no-ops."""

    def notify(self, message: str) -> None:
        """One step of the import, as a line (internal detail: model names, counts)."""

    def step(self, name: str, path: Path | None = None) -> None:
        """A stage a clerk follows: ``check``, ``already``, ``read`` (with the file),
        ``store``, ``totals``, ``rules``, ``commit``, ``publish``."""

    @contextmanager
    def file_step(
        self, path: Path, step: str, size: int = 0, con: duckdb.DuckDBPyConnection | None = None
    ) -> Iterator[Callable[[int], None]]:
        """A step on one file; yields a callback taking bytes done (when ``size`` is known)."""
        yield lambda _n: None


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
    steps = ["opening the store"]  # the step in progress, for an out-of-memory message

    def noted(message: str) -> None:
        steps.append(message)
        notify(message)

    try:
        con = models.open_current(db)
    except duckdb.OutOfMemoryException as exc:
        raise ImportOutOfMemory(steps[-1], store.db.MEMORY_LIMIT, str(exc)) from None
    if store.is_national(con):
        con.close()
        raise ImportRefused(
            f"{db} is the national dashboard's store: it is filled by `oopwatch national build` "
            "from the warehouse. Import into the province's store, then `oopwatch warehouse "
            "publish` it."
        )
    work = store.work_dir(db)
    try:
        report = _ingest(con, sources, noted, command, hooks, ruleset, within, work)
    except duckdb.OutOfMemoryException as exc:
        con.close()
        raise ImportOutOfMemory(steps[-1], store.db.MEMORY_LIMIT, str(exc)) from None
    except BaseException:
        con.close()
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.skipped = skipped
    stale = None if report.import_id is not None or not publish else store.stale_reason(db, con)
    if stale is not None:
        hooks.step("publish")
        notify(f"{stale}: publishing it now")
        report.caught_up = stale
    if publish and (report.import_id is not None or stale is not None):
        if stale is None:
            hooks.step("publish")
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
        hooks.step("check", src.path)
        notify(f"checking {src.path} ({src.size / 1e6:.1f} MB)")
        with hooks.file_step(src.path, "checking", size=src.size) as advance:
            read.fingerprint(src, advance)
        rep = FileReport(str(src.path), src.kind, src.fmt)
        earlier = already_imported(con, src.sha256) or seen.get(src.sha256)
        if earlier:
            rep.already_imported = earlier
            hooks.step("already", src.path)
            notify(f"{src.path}: already imported ({earlier}); nothing changes")
        else:
            seen[src.sha256] = f"this import as {src.path}"
            new.append(src)
            report_of[id(src)] = rep
        reports.append(rep)
    if not new:
        return ImportReport(None, reports, [])

    import_id = scalar(con, "SELECT coalesce(max(import_id), 0) + 1 FROM import_batches")
    next_file = scalar(con, "SELECT coalesce(max(file_id), 0) FROM import_files")
    first_new = next_file + 1
    # The checked copies of the files are staging, never stored. In memory they are read inside
    # the import's transaction: a temporary table created and dropped in it frees its memory at
    # once, and read before it, in a transaction of its own per file, each commit took longer
    # (53.5 s against 59.8 at 1M people). An import larger than memory stages them in a file of
    # its own, in a transaction of their own before the import's (see _staging).
    home = _staging(con, new, tmp_dir)
    con.execute("BEGIN TRANSACTION")  # the import's, or the stage's (committed after the reads)
    try:
        by_kind: dict[str, list[read.Staged]] = {k: [] for k in schema.KINDS}
        staged_by_id: dict[int, read.Staged] = {}
        clean_sql = {k: store.sql(f"clean/{k}.sql") for k in schema.KINDS}
        for src in new:
            next_file += 1
            hooks.step("read", src.path)
            notify(
                f"reading and checking {src.path} ({src.kind}, {src.fmt}, {src.size / 1e6:.1f} MB)"
            )
            try:
                with hooks.file_step(src.path, "reading", con=con):
                    staged = read.read_file(
                        con, src, next_file, clean_sql[src.kind], str(tmp_dir), home
                    )
            except read.ReadError as exc:
                raise ImportRefused(f"{exc}. Nothing of this import was loaded.") from None
            by_kind[src.kind].append(staged)
            staged_by_id[next_file] = staged
        if home != "temp":  # one commit of the stage (one per file cost up to 20 s each)
            con.execute("COMMIT")
            con.execute("BEGIN TRANSACTION")
        return _store(
            con, import_id, first_new, by_kind, staged_by_id, report_of, reports,
            notify, command, hooks, ruleset, within,
        )  # fmt: skip
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed disk may have closed the database
            con.execute("ROLLBACK")
            store.segments.remove_orphans(con)  # the segment this import wrote, if any
        raise
    finally:
        with contextlib.suppress(duckdb.Error):
            con.execute("SET preserve_insertion_order = true")
        if home != "temp":
            with contextlib.suppress(duckdb.Error):
                con.execute(f"DETACH {home}")


# An import whose new files are larger than this many times DuckDB's memory limit stages its
# checked rows in a DuckDB file (see _staging).
STAGE_ON_DISK_BEYOND = 2.0


def _staging(con: duckdb.DuckDBPyConnection, new: list[read.Source], tmp_dir: Path) -> str:
    """Where the import's files are staged: ``temp`` (DuckDB's temporary tables), or for files
    larger than STAGE_ON_DISK_BEYOND times the memory limit an attached file ``import_stage``.

    A temporary table dropped inside a transaction keeps part of its memory until COMMIT: at
    10M people (97M claim rows staged) the models after it ran out of memory. A table of an
    attached file, written before the import's transaction, is on disk and DuckDB can evict
    it; writing it costs about 4.5 s per 10M claim rows, so smaller imports stay in memory.
    """
    size = sum(src.size for src in new)
    if size <= STAGE_ON_DISK_BEYOND * store.memory_limit_bytes(con):
        return "temp"
    stage = tmp_dir / "stage.duckdb"
    quoted = str(stage).replace("'", "''")
    con.execute(f"ATTACH '{quoted}' AS import_stage")
    return "import_stage"


def _store(
    con: duckdb.DuckDBPyConnection,
    import_id: int,
    first_new: int,
    by_kind: dict[str, list[read.Staged]],
    staged_by_id: dict[int, read.Staged],
    report_of: dict[int, FileReport],
    reports: list[FileReport],
    notify: Notify,
    command: str,
    hooks: Hooks,
    ruleset: rules.RuleSet,
    within: str,
) -> ImportReport:
    """Inside the import's transaction: store the staged rows and their rejects, refresh the
    models, evaluate the rules, COMMIT."""
    now = dt.datetime.now()
    con.execute(
        "INSERT INTO import_batches VALUES (?, ?, NULL, ?, ?)",
        [import_id, now, getpass.getuser(), command],
    )
    # Every read is done (its row order gave the lines); stores and models need no order.
    con.execute("SET preserve_insertion_order = false")
    hooks.step("store")
    for kind in schema.KINDS:
        if by_kind[kind]:
            notify(f"storing {kind} and their rejects")
            load_kind(con, kind, by_kind[kind], import_id, notify)
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
        refuse_outside(con, import_id, within)
    loaded = sum(report_of[id(s.source)].rows_loaded for s in staged_by_id.values())
    standing = None if loaded else rules.standing_run(con, ruleset)
    if standing is not None:
        # Nothing the models or the rules read has changed: the latest run's list stands.
        notify(f"no rows loaded: the list of rule run {standing} stands")
        run_id = standing
    else:
        hooks.step("totals")
        notify("refreshing person-year totals")
        since_file = models.weekly_start(con, first_new)
        models.refresh_models(con, notify, since_file)
        hooks.step("rules")
        notify(f"evaluating rules (fingerprint {ruleset.fingerprint})")
        run_id = rules.evaluate(con, ruleset, import_id, since_file)
        if store.segments.compact(con, import_id):
            notify("merged the smallest claim segments into one")
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
    unusual = con.execute(
        """SELECT county, week, metric, value, median, z FROM county_week_anomalies
           WHERE week = (SELECT max(week) - 7 FROM county_week_claims)
           ORDER BY county, metric"""
    ).fetchall()
    con.execute(
        "UPDATE import_batches SET finished_at = ? WHERE import_id = ?",
        [dt.datetime.now(), import_id],
    )
    hooks.step("commit")
    notify("committing")
    con.execute("COMMIT")
    return ImportReport(
        import_id, reports, reasons, matched, unmatched, watch, list_stands=standing,
        unusual=unusual,
    )  # fmt: skip
