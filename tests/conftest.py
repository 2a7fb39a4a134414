"""Shared fixtures: valid resident IDs, extract writers, a store on disk, the CLI runner."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipeline import flow, schema, store
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


def person_key(db: Path, person_id: str) -> str:
    """A person's key with the store's own secret, as exports and links carry it."""
    from pipeline import store

    con = duckdb.connect(str(db), read_only=True)
    try:
        return store.person_key(store.person_key_secret(con), person_id)
    finally:
        con.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Path of a fresh store in the test's temporary folder."""
    return tmp_path / "store" / "oopwatch.duckdb"


@pytest.fixture(params=["memory", "disk"])
def staging(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test twice: the import's files staged in memory (temporary tables) and, as an
    import larger than memory stages them, in a DuckDB file beside the store."""
    if request.param == "disk":
        monkeypatch.setattr(flow, "STAGE_ON_DISK_BEYOND", -1.0)
    return request.param


@pytest.fixture(params=["whole", "pieces"])
def memory_pieces(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run the test twice: as a store that fits memory, and as one with more claim rows than
    the memory limit allows (10M people), where work that scales with the claims is cut into
    pieces (here 3): the sorted models written apart, the window rules' people in batches, and
    the tables a weekly import takes rows out of rewritten instead (store.delete_where)."""
    if request.param == "whole":
        return 1
    monkeypatch.setattr(store, "pieces", lambda _con, _rows, _bytes_per_row: 3)
    monkeypatch.setattr(store.db, "DELETE_MARK_SHARE", 0.0)
    return 3


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
    from pipeline import flow

    db = tmp_path_factory.mktemp("sample") / "oopwatch.duckdb"
    for week in ("week01", "week02", "week03"):
        flow.ingest([REPO / "sample_data" / week], db)
    return db


@pytest.fixture
def app_db(sample_store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample store, as the dashboard under test sees it (env OOPWATCH_DB)."""
    monkeypatch.setenv("OOPWATCH_DB", str(sample_store))
    return sample_store


def snapshot_sql(db: Path, query: str, params: Sequence[object] | None = None) -> list[tuple]:
    """A query on the store's published snapshot, independent of the dashboard's functions."""
    from dashboard import data

    con = duckdb.connect(data.current(db), read_only=True, config=data.READER_CONFIG)
    try:
        return con.execute(query, list(params or [])).fetchall()
    finally:
        con.close()


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OOPWATCH_DB", raising=False)
    os.environ.setdefault("COLUMNS", "200")


# ---------------------------------------------------------------- caseworker lists (export/returns)

CASE_YEAR = 2026
CASE_VILLAGES = {
    "A1": ("230124100201", "东风村"),  # 方正县 方正镇
    "A2": ("230124101201", "新民村"),  # 方正县 会发镇
    "B1": ("230125100201", "永和村"),  # 宾县 宾州镇
}
FORMULA_NAME = '=HYPERLINK("http://x","y")'
# key: (seq, id check char, village, name, category, [(date, oop, hospital, diagnosis)])
CASE_PEOPLE = {
    "a_high": (1, "X", "A1", "张三", "out_of_poverty",
               [("2026-02-01", "10000.00", "方正县人民医院", "I63.9"),
                ("2026-04-01", "15000.00", "哈医大一院", "C34.9")]),
    "a_formula": (2, None, "A1", FORMULA_NAME, "out_of_poverty",
                  [("2026-03-01", "12000.00", "方正县人民医院", "K74.6")]),
    "a_dibao": (3, None, "A2", "李四", "dibao",
                [("2026-03-05", "10500.00", "方正县中医医院", "N18.5")]),
    "b_medium": (4, None, "B1", "王五", "out_of_poverty",
                 [("2026-05-01", "15000.00", "宾县人民医院", "C50.9")]),
    "b_general": (5, None, "B1", "赵六", "general",
                  [("2026-06-01", "11000.00", "宾县人民医院", "J44.9")]),
    "b_below": (6, None, "B1", "钱七", "out_of_poverty",
                [("2026-06-01", "9000.00", "宾县人民医院", "J44.9")]),
    "a_2025": (7, None, "A1", "孙八", "out_of_poverty",
               [("2025-06-01", "13000.00", "方正县人民医院", "I10")]),
}  # fmt: skip


def list_headers(lang: int = 0) -> list[str]:
    """The case store's list headers (0 zh, 1 en): no phone column (the roster gives none) and
    no medical-assistance columns (nobody on it is paid short)."""
    from pipeline import labels
    from pipeline.cases import export

    skip = {"phone", *export.ASSIST_COLUMNS}
    return [pair[lang] for key, pair in labels.LIST_COLUMNS.items() if key not in skip]


def build_case_store(folder: Path, db: Path) -> dict[str, str]:
    """A Heilongjiang store (flat 10,000 yuan line) of the hand-made CASE_PEOPLE; their IDs.

    Flagged in 2026: a_high (25,000, high: twice the line), a_dibao (10,500, high: dibao),
    b_medium (15,000), a_formula (12,000), b_general (11,000), all medium otherwise; b_below is
    under the line; a_2025 is flagged in 2025 only.
    """
    from pipeline import flow

    ids, roster, claims = {}, [], []
    for key, (seq, check, village, name, category, bills) in CASE_PEOPLE.items():
        code, village_name = CASE_VILLAGES[village]
        pid = make_id(seq * 100, check, county=code[:6])
        ids[key] = pid
        roster.append((pid, name, f"H{seq}", code, village_name, category))
        for n, (day, oop, hospital, diagnosis) in enumerate(bills):
            # outpatient: no medical assistance is owed for it, so the lists hold the OOP
            # rules only (tests/test_assistance_replay.py covers the assistance columns)
            claims.append((f"C{seq}-{n}", pid, day, "outpatient", oop, "0", "0", "0",
                           hospital, diagnosis))  # fmt: skip
    header = ["person_id", "name", "household_id", "village_code", "village_name", "category"]
    write_csv(folder / "roster.csv", header, roster)
    write_csv(folder / "claims.csv", [*CLAIM_HEADER, "hospital", "diagnosis"], claims)
    flow.ingest([folder], db)
    return ids


@pytest.fixture(scope="session")
def _case_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("cases")
    db = folder / "store" / "oopwatch.duckdb"
    return db, build_case_store(folder / "extracts", db)


@pytest.fixture
def case_store(_case_template: tuple[Path, dict[str, str]], db: Path) -> dict[str, str]:
    """A copy of the hand-made case store at ``db`` (published); the people's IDs by key."""
    import shutil

    from pipeline import store

    template, ids = _case_template
    db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, db)
    store.publish(db)
    return dict(ids)


# ---------------------------------------------------------------- accounts of two counties


@pytest.fixture(scope="module")
def secured(sample_store: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The sample store copied, with two counties' accounts (see tests.authkit.Secured)."""
    from tests.authkit import make_secured

    return make_secured(sample_store, tmp_path_factory.mktemp("secured"))


@pytest.fixture
def secured_app(secured, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    """The secured store as the dashboard under test sees it (env OOPWATCH_DB)."""
    monkeypatch.setenv("OOPWATCH_DB", str(secured.db))
    return secured


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first (Spark, then the slow ones), the rest in their order: on two
    workers a two-minute Spark build started last would run alone at the end of the suite."""
    rank = {"spark": 0, "slow": 1}

    def first(item: pytest.Item) -> int:
        return min((rank[m.name] for m in item.iter_markers() if m.name in rank), default=2)

    items.sort(key=first)  # stable: the others keep their order
