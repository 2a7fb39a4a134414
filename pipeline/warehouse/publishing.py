"""``oopwatch warehouse publish``: a province's store → its partitions of the warehouse.

The warehouse is a folder of Hive-partitioned Parquet that DuckDB and Spark both read::

    raw/claims/province=XX/year=YYYY/import-NNNNNNNN.parquet     the claim rows each import
    raw/enrolment/province=XX/year=YYYY/import-NNNNNNNN.parquet  loaded (every version, with
    raw/roster/province=XX/import-NNNNNNNN.parquet               file_id, line and import_id)
    marts/<mart>/province=XX/year=YYYY/data.parquet              person_year, household_year,
                                                                 watchlist, flags, region_year
    _published/province=XX.json                                  what was published, from where

The raw files are the validated facts, written once per import (an import's rows never change
once committed): corrections and reversals are resolved by whoever builds from them, as the
store's views do. The marts are the province's current ones, one file per year, written again
only when their content changed. The partition columns live in the paths only (a file holding
them too is refused by Spark). Every file is written aside (``.staging-XX/``) and renamed into
place, so a reader sees a partition's old file or its new one, never half of one; the record of
what was published is replaced last, so a publish stopped at any point is completed, file for
identical file, by the next one. Only the store's current snapshot is read: the store itself
stays free for imports.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline import store
from pipeline.store.snapshots import fsync

Notify = Callable[[str], None]

# kind -> (the store's relation, its year expression or None: a roster row has no year)
RAW = {
    "claims": ("claim_log", "year(settle_date)"),
    "enrolment": ("enrolment_rows", "year"),
    "roster": ("roster_rows", None),
}
# mart -> the rows it publishes (each has a column year, which goes into the path)
MARTS = {
    "person_year": "SELECT * FROM person_year",
    "household_year": "SELECT * FROM household_year",
    "watchlist": "SELECT * EXCLUDE (run_id) FROM watchlist",
    "flags": """SELECT * EXCLUDE (run_id) FROM flags
                WHERE run_id = (SELECT max(run_id) FROM rule_runs)""",
    "region_year": "SELECT * FROM region_year",
}
RECORD_DIR = "_published"


class WarehouseError(Exception):
    """A publish that cannot be made; the message says why and what to do."""


@dataclass
class PublishReport:
    """What one publish wrote: files, rows and bytes per raw kind and mart, and what it kept."""

    province: str
    warehouse: Path
    snapshot: Path
    written: dict[str, list[int]] = field(default_factory=dict)  # name -> [files, rows, bytes]
    unchanged: dict[str, int] = field(default_factory=dict)  # name -> partitions kept as they were
    removed: dict[str, int] = field(default_factory=dict)  # name -> partitions with no rows now
    seconds: float = 0.0

    def kept(self, name: str) -> None:
        self.unchanged[name] = self.unchanged.get(name, 0) + 1

    def gone(self, name: str) -> None:
        self.removed[name] = self.removed.get(name, 0) + 1

    def add(self, name: str, rows: int, size: int) -> None:
        files = self.written.setdefault(name, [0, 0, 0])
        files[0] += 1
        files[1] += rows
        files[2] += size


def province_of(con: duckdb.DuckDBPyConnection) -> str | None:
    """The one province (2-digit code) every person of the store lives in, or None."""
    found = con.execute(
        """SELECT DISTINCT substr(village_code, 1, 2) FROM people
           WHERE village_code IS NOT NULL"""
    ).fetchall()
    return found[0][0] if len(found) == 1 else None


def _identity(con: duckdb.DuckDBPyConnection) -> str:
    """What tells one store from another: the sha256 of the first file it imported."""
    first = con.execute("SELECT sha256 FROM import_files ORDER BY file_id LIMIT 1").fetchall()
    return first[0][0] if first else ""


@contextlib.contextmanager
def _locked(warehouse: Path, province: str) -> Iterator[None]:
    """One publish of a province at a time."""
    folder = warehouse / RECORD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f".lock-{province}", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _record_path(warehouse: Path, province: str) -> Path:
    return warehouse / RECORD_DIR / f"province={province}.json"


def _read_record(warehouse: Path, province: str) -> dict:
    path = _record_path(warehouse, province)
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WarehouseError(
            f"{path} cannot be read ({exc}): move it away to publish province {province} again "
            "from the start"
        ) from None


def _write_record(warehouse: Path, province: str, record: dict) -> None:
    path = _record_path(warehouse, province)
    tmp = path.with_name("." + path.name + ".partial")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync(path.parent)


class _Writer:
    """Writes query results to files aside, then renames them into place."""

    def __init__(self, con: duckdb.DuckDBPyConnection, staging: Path) -> None:
        self.con = con
        self.staging = staging
        self.count = 0

    def write(self, query: str, params: list, target: Path) -> int:
        """Write ``query``'s rows to ``target`` (replacing it at once); its size in bytes."""
        self.count += 1
        tmp = self.staging / f"{self.count:06d}.parquet"
        self.con.execute(f"COPY ({query}) TO {store.quoted(tmp)} (FORMAT parquet)", params)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
        fsync(target.parent)
        return target.stat().st_size


def _raw_parts(con: duckdb.DuckDBPyConnection, kind: str) -> list[tuple[int, int | None, int]]:
    """(import_id, year or None, rows) of every import's rows of ``kind`` in the store."""
    table, year = RAW[kind]
    return [
        (int(r[0]), None if r[1] is None else int(r[1]), int(r[2]))
        for r in con.execute(
            f"""SELECT f.import_id, {year or "NULL"} AS y, count(*)
                FROM {table} AS t JOIN import_files AS f USING (file_id)
                GROUP BY ALL ORDER BY ALL"""  # noqa: S608
        ).fetchall()
    ]


def _raw_rows(kind: str, year: bool) -> str:
    """The rows of one import (and year) of ``kind``, with their import_id, without the
    partition columns."""
    table, expr = RAW[kind]
    where = "f.import_id = ?" + (f" AND {expr} = ?" if year else "")
    return (
        f"SELECT t.*, f.import_id FROM {table} AS t "  # noqa: S608
        f"JOIN import_files AS f USING (file_id) WHERE {where}"
    )


def _mart_parts(con: duckdb.DuckDBPyConnection, mart: str) -> dict[str, tuple[int, str]]:
    """Per year of the mart: its rows and a hash of its content (any order)."""
    rows = con.execute(
        f"""SELECT CAST(year AS VARCHAR), count(*), CAST(sum(hash(m)) AS VARCHAR)
            FROM ({MARTS[mart]}) AS m GROUP BY year"""  # noqa: S608
    ).fetchall()
    return {str(r[0]): (int(r[1]), str(r[2])) for r in rows}


def publish(
    db: Path,
    warehouse: Path,
    province: str | None = None,
    replace: bool = False,
    notify: Notify | None = None,
) -> PublishReport:
    """Publish the store ``db``'s current snapshot into ``warehouse`` as province ``province``
    (default: the one province its people live in): the raw rows of the imports not published
    yet, and the marts whose content changed. ``replace``: the warehouse's partitions of the
    province came from another store; remove them first."""
    say = notify or (lambda _: None)
    started = time.perf_counter()
    store.require(db)
    snapshot = store.current_snapshot(db)
    if snapshot is None:
        raise WarehouseError(f"{db} has no snapshot yet: `oopwatch ingest` publishes one")
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        con.execute(f"SET memory_limit = '{store.MEMORY_LIMIT}'")
        return _publish(con, db, snapshot, warehouse, province, replace, say, started)
    finally:
        con.close()


def _publish(
    con: duckdb.DuckDBPyConnection,
    db: Path,
    snapshot: Path,
    warehouse: Path,
    province: str | None,
    replace: bool,
    say: Notify,
    started: float,
) -> PublishReport:
    found = province_of(con)
    if province is None:
        if found is None:
            raise WarehouseError(
                f"{db}: its people do not all live in one province; say which with --province"
            )
        province = found
    if len(province) != 2 or not province.isdigit():
        raise WarehouseError(f"--province {province}: a province is its 2-digit division code")
    report = PublishReport(province, warehouse, snapshot)
    identity = _identity(con)
    with _locked(warehouse, province):
        record = _read_record(warehouse, province)
        if record and record.get("store") != identity:
            if not replace:
                raise WarehouseError(
                    f"{warehouse} holds province {province} from another store "
                    f"({record.get('db', '?')}); publish into another folder, or give --replace "
                    "to remove that province's partitions and publish this store's"
                )
            _remove_province(warehouse, province)
            record = {}
        staging = warehouse / f".staging-{province}"
        shutil.rmtree(staging, ignore_errors=True)  # what a stopped publish left
        staging.mkdir(parents=True)
        try:
            run = _Run(con, _Writer(con, staging), warehouse, province, record, report, say)
            raw_done = _publish_raw(run)
            marts_done = _publish_marts(run)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        _write_record(
            warehouse,
            province,
            {
                "province": province,
                "store": identity,
                "db": str(db.resolve()),
                "snapshot": snapshot.name,
                "published_at": dt.datetime.now().isoformat(timespec="seconds"),
                "raw": raw_done,
                "marts": marts_done,
            },
        )
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class _Run:
    """One publish: what it reads from, writes with and into, and reports to."""

    con: duckdb.DuckDBPyConnection
    writer: _Writer
    warehouse: Path
    province: str
    record: dict
    report: PublishReport
    say: Notify


def _publish_raw(run: _Run) -> dict[str, list[int]]:
    """The raw rows of every import the record does not list; the imports now published."""
    done: dict[str, list[int]] = {}
    for kind in RAW:
        published = set(run.record.get("raw", {}).get(kind, []))
        parts = _raw_parts(run.con, kind)
        for import_id, year, rows in parts:
            if import_id in published:
                continue
            folder = run.warehouse / "raw" / kind / f"province={run.province}"
            if year is not None:
                folder = folder / f"year={year}"
            at = f", {year}" if year is not None else ""
            run.say(f"raw/{kind}: import {import_id}{at}, {rows:,} rows")
            params: list = [import_id] + ([year] if year is not None else [])
            target = folder / f"import-{import_id:08d}.parquet"
            size = run.writer.write(_raw_rows(kind, year is not None), params, target)
            run.report.add(f"raw/{kind}", rows, size)
        done[kind] = sorted({p[0] for p in parts})
    return done


def _publish_marts(run: _Run) -> dict[str, dict[str, list]]:
    """Every mart's years whose content differs from the record's; the content now published."""
    done: dict[str, dict[str, list]] = {}
    for mart in MARTS:
        before = run.record.get("marts", {}).get(mart, {})
        now = _mart_parts(run.con, mart)
        folder = run.warehouse / "marts" / mart / f"province={run.province}"
        for year, (rows, digest) in sorted(now.items()):
            if before.get(year) == [rows, digest]:
                run.report.kept(f"marts/{mart}")
                continue
            run.say(f"marts/{mart}: {year}, {rows:,} rows")
            size = run.writer.write(
                f"SELECT * EXCLUDE (year) FROM ({MARTS[mart]}) WHERE year = ?",  # noqa: S608
                [int(year)],
                folder / f"year={year}" / "data.parquet",
            )
            run.report.add(f"marts/{mart}", rows, size)
        for year in sorted(set(before) - set(now)):  # a year with no rows any more
            shutil.rmtree(folder / f"year={year}", ignore_errors=True)
            run.report.gone(f"marts/{mart}")
        done[mart] = {year: [rows, digest] for year, (rows, digest) in now.items()}
    return done


def _remove_province(warehouse: Path, province: str) -> None:
    """Every partition of ``province`` (raw and marts) and its record."""
    for area in ("raw", "marts"):
        for table in sorted((warehouse / area).glob("*")):
            shutil.rmtree(table / f"province={province}", ignore_errors=True)
    _record_path(warehouse, province).unlink(missing_ok=True)
