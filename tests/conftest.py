"""Shared fixtures: valid resident IDs, extract writers, a store on disk, the CLI runner."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipeline import schema
from pipeline.cli import main

REPO = Path(__file__).resolve().parents[1]
ROSTER_HEADER = ["person_id", "name", "household_id", "village_code", "category"]
CLAIM_HEADER = [
    "claim_id", "person_id", "settle_date", "visit_type",
    "total_cost", "basic_paid", "critical_paid", "assistance_paid",
]  # fmt: skip


def make_id(seq: int, check: str | None = None, county: str = "230124") -> str:
    """A GB 11643-valid resident ID; with ``check``, the next one whose check char is that."""
    while True:
        first17 = f"{county}19800101{seq:03d}"
        char = schema.id_check_digit(first17)
        if check is None or char == check:
            return first17 + char
        seq += 1


def bad_check(person_id: str) -> str:
    """The same ID with a wrong check character."""
    wrong = "1" if person_id[-1] != "1" else "2"
    return person_id[:-1] + wrong


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    encoding: str = "utf-8",
) -> Path:
    """Write an extract as CSV in the given encoding (``utf-8-sig`` for a BOM)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Path of a fresh store in the test's temporary folder."""
    return tmp_path / "store" / "oopwatch.duckdb"


@pytest.fixture
def query(db: Path) -> Callable[..., list[tuple]]:
    """Run a read-only query against the published snapshot of the store."""

    def run(sql: str, params: Sequence[object] = ()) -> list[tuple]:
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.close()

    return run


@pytest.fixture
def cli() -> Callable[..., object]:
    """Invoke the oopwatch CLI through click's CliRunner."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture
def sample_data() -> Path:
    """The committed demo extracts."""
    return REPO / "sample_data"


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed sample weeks imported one by one (three weekly rule runs); read-only."""
    from pipeline import load

    db = tmp_path_factory.mktemp("sample") / "oopwatch.duckdb"
    for week in ("week01", "week02", "week03"):
        load.ingest([REPO / "sample_data" / week], db)
    return db


@pytest.fixture
def app_db(sample_store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample store, as the dashboard under test sees it (env OOPWATCH_DB)."""
    monkeypatch.setenv("OOPWATCH_DB", str(sample_store))
    return sample_store


def snapshot_sql(db: Path, query: str, params: Sequence[object] | None = None) -> list[tuple]:
    """A query on the store's published snapshot, independent of the dashboard's functions."""
    from dashboard import data

    config = {"memory_limit": data.READER_MEMORY_LIMIT}  # the dashboard reader's config
    con = duckdb.connect(data.current(db), read_only=True, config=config)
    try:
        return con.execute(query, list(params or [])).fetchall()
    finally:
        con.close()


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OOPWATCH_DB", raising=False)
    os.environ.setdefault("COLUMNS", "200")
