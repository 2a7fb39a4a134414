"""The writer and the readers: imports publish snapshots while dashboards read, across processes."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from dashboard import data
from pipeline import flow, serve, store
from tests.conftest import CLAIM_HEADER, REPO, ROSTER_HEADER, make_id, snapshot_sql, write_csv

OOPWATCH = Path(sys.executable).with_name("oopwatch")  # the installed console script
PEOPLE = [make_id(i) for i in range(1, 21)]
VILLAGE = "230124100001"

# A reader as the dashboard reads: dashboard.data's pointer watch, its cached read-only
# connection per snapshot and a cursor per query, outside Streamlit. It prints a line whenever
# what it sees changes and exits 1 if any query failed.
READER = """
import json, sys, time
from pathlib import Path
from dashboard import data

db, stop = Path(sys.argv[1]), Path(sys.argv[2])
seen, queries, errors = None, 0, 0
while not stop.exists():
    try:
        snapshot = data.current(db)
        cur = data.cursor(snapshot)
        try:
            rows, claims = cur.execute(
                "SELECT count(*), sum(claims) FROM person_year").fetchall()[0]
        finally:
            cur.close()
        totals = data.overview_totals(snapshot, 2026)
        queries += 1
        state = {"snapshot": Path(snapshot).name, "rows": int(rows), "claims": int(claims),
                 "cached_claims": totals.claims, "oop": str(totals.oop)}
        if state != seen:
            print(json.dumps(state), flush=True)
            seen = state
    except Exception as exc:
        errors += 1
        print(json.dumps({"error": repr(exc)}), flush=True)
    time.sleep(0.002)
print(json.dumps({"queries": queries, "errors": errors}), flush=True)
sys.exit(1 if errors else 0)
"""


def week(folder: Path, first_claim: int, n_claims: int, roster: bool = False) -> Path:
    """One weekly extract: claims of 100.00 (OOP 40.00 each), and the roster if asked."""
    if roster:
        rows = [(p, f"人{i}", f"H{i}", VILLAGE, "monitored") for i, p in enumerate(PEOPLE)]
        write_csv(folder / "roster.csv", ROSTER_HEADER, rows)
    claims = [
        (f"C{k}", PEOPLE[k % len(PEOPLE)], "2026-03-01", "outpatient", "100.00", "60.00", 0, 0)
        for k in range(first_claim, first_claim + n_claims)
    ]
    write_csv(folder / "claims.csv", CLAIM_HEADER, claims)
    return folder


class Reader:
    """The reader process and the lines it prints."""

    def __init__(self, db: Path, tmp_path: Path) -> None:
        self.stop_file = tmp_path / "stop-reader"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", READER, str(db), str(self.stop_file)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.lines: queue.Queue[dict] = queue.Queue()
        self.seen: list[dict] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))

    def wait_for(self, claims: int, timeout: float = 20) -> dict:
        """The first state showing ``claims`` claims (fails on a reader error or timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                state = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.proc.poll() is None, f"reader exited: {self.seen}"
                continue
            self.seen.append(state)
            assert "error" not in state, state
            if state.get("claims") == claims:
                return state
        raise AssertionError(f"reader never saw {claims} claims: {self.seen}")

    def finish(self) -> dict:
        """Stop the reader; its last line (queries made, errors)."""
        self.stop_file.touch()
        assert self.proc.wait(timeout=20) == 0, self.seen
        last: dict = {}
        while not self.lines.empty():
            last = self.lines.get()
            self.seen.append(last)
        return last


def ingest_cli(folder: Path, db: Path) -> subprocess.CompletedProcess[str]:
    """``oopwatch ingest FOLDER --db DB`` in its own process."""
    return subprocess.run(
        [str(OOPWATCH), "ingest", str(folder), "--db", str(db), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_reader_keeps_reading_while_imports_publish(tmp_path: Path) -> None:
    db = tmp_path / "store" / "oopwatch.duckdb"
    flow.ingest([week(tmp_path / "w1", 0, 30, roster=True)], db)
    reader = Reader(db, tmp_path)
    try:
        first = reader.wait_for(claims=30)
        assert (first["rows"], first["cached_claims"], first["oop"]) == (20, 30, "1200.00")

        done = ingest_cli(week(tmp_path / "w2", 30, 50), db)
        assert done.returncode == 0, done.stderr
        second = reader.wait_for(claims=80)
        assert second["cached_claims"] == 80 and second["oop"] == "3200.00"
        assert second["snapshot"] != first["snapshot"]

        # A third publish (in this process this time) deletes the first snapshot, which the
        # reader may still have open.
        flow.ingest([week(tmp_path / "w3", 80, 20)], db)
        third = reader.wait_for(claims=100)
        assert third["oop"] == "4000.00"
        assert not (store.snapshot_dir(db) / first["snapshot"]).exists()
    finally:
        summary = reader.finish() if reader.proc.poll() is None else {}
    assert summary.get("errors") == 0 and summary.get("queries", 0) > 10, reader.seen
    assert not [s for s in reader.seen if "error" in s]


HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()
"""


def test_second_writer_is_told_which_process_holds_the_store(tmp_path: Path) -> None:
    db = tmp_path / "store" / "oopwatch.duckdb"
    flow.ingest([week(tmp_path / "w1", 0, 5, roster=True)], db)
    snapshot = data.current(db)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(store.StoreLocked) as caught:
            flow.ingest([week(tmp_path / "w2", 5, 5)], db)
        message = str(caught.value)
        assert f"process {holder.pid}" in message and "python" in message
        assert "wait for it to finish" in message

        done = ingest_cli(tmp_path / "w2", db)
        assert done.returncode == 2
        assert "拒绝导入" in done.stderr and f"process {holder.pid}" in done.stderr

        # Readers are unaffected: the snapshot is still there to read.
        assert data.current(db) == snapshot
        assert data.overview_totals(snapshot, 2026).claims == 5
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=20)
    report = flow.ingest([tmp_path / "w2"], db)
    assert report.import_id == 2
    assert data.overview_totals(data.current(db), 2026).claims == 10


def test_serve_builds_the_demo_one_import_per_week(tmp_path: Path) -> None:
    demo = tmp_path / "sample"
    week(demo / "week01", 0, 10, roster=True)
    week(demo / "week02", 10, 5)
    db = tmp_path / "demo.duckdb"
    said: list[str] = []
    snapshot = serve.ensure_snapshot(db, folder=demo, echo=said.append)
    assert snapshot == store.current_snapshot(db)
    assert any("building a demo database" in line for line in said)
    last = data.last_import(str(snapshot))
    assert last is not None and (last.import_id, last.imports) == (2, 2)
    assert data.overview_totals(str(snapshot), 2026).claims == 15
    # Served again: nothing is rebuilt or republished.
    assert serve.ensure_snapshot(db, folder=demo, echo=said.append) == snapshot


def test_serve_publishes_a_store_that_never_was(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    flow.ingest([week(tmp_path / "w1", 0, 3, roster=True)], db, publish=False)
    assert store.current_snapshot(db) is None
    snapshot = serve.ensure_snapshot(db, folder=tmp_path / "nothing", echo=lambda _: None)
    assert data.overview_totals(str(snapshot), 2026).claims == 3


def test_serve_rebuilds_a_store_an_earlier_version_made(tmp_path: Path) -> None:
    """A store whose totals an older oopwatch built is rebuilt (marts included) and republished."""
    import duckdb

    db = tmp_path / "store.duckdb"
    flow.ingest([week(tmp_path / "w1", 0, 3, roster=True)], db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = 'older' WHERE key = 'models_version'")
    con.execute("DROP TABLE region_watch_runs")
    con.close()
    store.publish(db)
    old = store.current_snapshot(db)
    assert store.snapshot_version(old) == "older"
    said: list[str] = []
    snapshot = serve.ensure_snapshot(db, folder=tmp_path / "nothing", echo=said.append)
    assert snapshot != old and store.snapshot_version(snapshot) == store.models_version()
    assert any("earlier oopwatch" in line for line in said)
    assert data.list_trend(str(snapshot), 2026, "")["run_id"].tolist() == [1]


def test_serve_without_store_or_demo_data_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(serve.SAMPLE_DATA_ENV, str(tmp_path / "empty"))
    db = tmp_path / "none.duckdb"
    assert serve.serve(db) == 2  # refused before any server starts
    assert "oopwatch ingest" in capsys.readouterr().err
    assert not db.exists()


def test_streamlit_command_line() -> None:
    cmd = serve.streamlit_command(8765, "0.0.0.0")
    assert cmd[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert Path(cmd[4]) == REPO / "dashboard" / "app.py"
    flags = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert flags["--server.port"] == "8765" and flags["--server.address"] == "0.0.0.0"
    assert flags["--server.headless"] == "true"
    assert flags["--browser.gatherUsageStats"] == "false"
    assert flags["--client.disableDataExport"] == "true", "no unlogged CSV of a table of people"


@pytest.mark.parametrize("table", ["claim_rows", "claim_log"])
def test_a_store_with_its_claims_in_a_table_moves_them_to_a_segment(
    tmp_path: Path, table: str
) -> None:
    """Stores made before segments kept the claims in a table claim_log (before that, in a
    table claim_rows) and their rowids per person-year in a table claim_person_rows: opened
    again, the rows move without loss to segment 0, claim_log becomes the view over the
    segments, claim_rows the view of the rows in force, and every model is rebuilt."""
    import duckdb

    db = tmp_path / "store.duckdb"
    flow.ingest([week(tmp_path / "w1", 0, 3, roster=True)], db)
    every_row = "SELECT * EXCLUDE (extra) FROM claim_log ORDER BY file_id, line"
    con = duckdb.connect(str(db))  # make it look like an older store
    rows = con.execute(every_row).fetchall()
    con.execute(f"CREATE TABLE old_claims AS {every_row}")
    con.execute("ALTER TABLE old_claims ADD COLUMN extra JSON")
    for view in ("claim_rows", "claims_effective", "claim_person_rows", "claim_log"):
        con.execute(f"DROP VIEW {view}")
    con.execute("DROP TABLE claim_segments")
    con.execute("DROP TABLE claim_columns")
    con.execute(f"ALTER TABLE old_claims RENAME TO {table}")
    con.execute("CREATE TABLE claim_person_rows (person_id VARCHAR, year INTEGER, x BIGINT[])")
    con.execute("INSERT INTO meta VALUES ('claim_rows_indexed', '3')")
    con.execute("UPDATE meta SET value = 'older' WHERE key = 'models_version'")
    con.close()
    shutil.rmtree(db.with_name(db.name + ".segments"))
    old = store.publish(db)
    snapshot = serve.ensure_snapshot(db, folder=tmp_path / "nothing", echo=lambda _: None)
    assert snapshot != old
    con = duckdb.connect(str(snapshot), read_only=True)
    kinds = dict(
        con.execute(
            "SELECT table_name, 'table' FROM duckdb_tables() WHERE table_name LIKE 'claim%' "
            "UNION ALL SELECT view_name, 'view' FROM duckdb_views() WHERE view_name LIKE 'claim%'"
        ).fetchall()
    )
    assert kinds == {
        "claim_log": "view", "claim_columns": "table", "claim_segments": "table",
        "claim_segments_retired": "table",
        "claim_rows_superseded": "table", "claim_rows": "view", "claims_effective": "view",
        "claim_person_rows": "view",
    }  # fmt: skip
    assert con.execute(every_row).fetchall() == rows
    assert con.execute("SELECT count(*) FROM claim_columns").fetchall() == [(0,)]
    assert con.execute("SELECT import_id, rows FROM claim_segments").fetchall() == [(0, 3)]
    assert con.execute("SELECT count(*) FROM meta WHERE key = 'claim_rows_indexed'").fetchall() == [
        (0,)
    ]
    assert con.execute("SELECT count(*) FROM claims_effective").fetchall() == [(3,)]
    listed = "SELECT count(*), sum(len(log_rows)) FROM claim_person_rows"
    assert con.execute(listed).fetchall() == [(3, 3)]  # three people, a claim each
    con.close()
    assert sorted(p.name for p in db.with_name(db.name + ".segments").iterdir()) == [
        "claims-00000000.parquet"
    ]


def test_a_segment_larger_than_memory_sorts_is_written_in_ranges_of_person_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """94M claim rows sorted at once ran out of memory: beyond what memory sorts, a segment is
    written as part files, each a range of person_id, sorted, the ranges in order."""
    import duckdb

    monkeypatch.setattr(store, "pieces", lambda _con, _rows, _bytes_per_row: 3)
    db = tmp_path / "store.duckdb"
    flow.ingest([week(tmp_path / "w1", 0, 40, roster=True)], db)
    con = duckdb.connect(str(store.current_snapshot(db)), read_only=True)
    try:
        parts = con.execute("SELECT path, rows FROM claim_segments ORDER BY path").fetchall()
        assert [Path(p).name for p, _ in parts] == [
            f"claims-00000001-p{i:02d}.parquet" for i in range(3)
        ]
        assert sum(rows for _, rows in parts) == 40 and all(rows >= 6 for _, rows in parts)
        ranges = [
            con.execute(f"SELECT min(person_id), max(person_id) FROM '{p}'").fetchall()[0]
            for p, _ in parts
        ]
        assert ranges[0][1] < ranges[1][0] and ranges[1][1] < ranges[2][0], ranges
        assert not list(db.with_name(db.name + ".segments").glob("*.unsorted"))
        for path, _ in parts:  # each sorted
            ids = [r[0] for r in con.execute(f"SELECT person_id FROM '{path}'").fetchall()]
            assert ids == sorted(ids)
        assert con.execute("SELECT sum(claims), sum(oop) FROM person_year").fetchall() == [
            (40, Decimal("1600.00"))
        ]
    finally:
        con.close()


def test_a_killed_write_in_ranges_leaves_a_folder_the_next_opening_removes(tmp_path: Path) -> None:
    """A segment in parts is first written into a folder of unsorted files per range: an import
    killed then leaves that folder, which nothing lists; opening the store removes it."""
    db = tmp_path / "store.duckdb"
    flow.ingest([week(tmp_path / "w1", 0, 4, roster=True)], db)
    segments = db.with_name(db.name + ".segments")
    left = segments / "claims-00000002.unsorted" / "part=1"
    left.mkdir(parents=True)
    (left / "data_0.parquet").write_bytes(b"PAR1")
    store.open_store(db).close()
    assert sorted(p.name for p in segments.iterdir()) == ["claims-00000001.parquet"]


def test_small_segments_are_merged_and_removed_once_no_snapshot_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond MAX_SEGMENTS segments, an import merges the smallest into one (a person's lookup
    opens every file); the merged files stay while a snapshot lists them, then go."""
    import duckdb

    monkeypatch.setattr(store.segments, "MAX_SEGMENTS", 2)
    db = tmp_path / "store.duckdb"
    folder = db.with_name(db.name + ".segments")
    flow.ingest([week(tmp_path / "w1", 0, 4, roster=True)], db)
    flow.ingest([week(tmp_path / "w2", 4, 2)], db)
    before = store.current_snapshot(db)
    assert sorted(p.name for p in folder.iterdir()) == [
        "claims-00000001.parquet", "claims-00000002.parquet"
    ]  # fmt: skip
    flow.ingest([week(tmp_path / "w3", 6, 3)], db)  # three segments: the two smallest merged
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 4 and names[1].startswith("claims-00000002-00000003-"), names
    con = duckdb.connect(str(store.current_snapshot(db)), read_only=True)
    try:
        assert con.execute("SELECT import_id, rows FROM claim_segments ORDER BY 1").fetchall() == [
            (1, 4), (3, 5)
        ]  # fmt: skip
        assert con.execute(
            "SELECT count(*), count(DISTINCT claim_id) FROM claim_log"
        ).fetchall() == [(9, 9)]
        assert con.execute("SELECT sum(claims), sum(oop) FROM person_year").fetchall() == [
            (9, Decimal("360.00"))
        ]
        assert con.execute("SELECT retired_by FROM claim_segments_retired").fetchall() == [
            (3,),
            (3,),
        ]
    finally:
        con.close()
    # the snapshot before the merge still reads its files ...
    con = duckdb.connect(str(before), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM claim_log").fetchall() == [(6,)]
    finally:
        con.close()
    # ... until no kept snapshot lists them: at the next opening, segment 3 goes (only the
    # snapshot after the merge existed with it) and segment 2 stays (the one before lists it)
    flow.ingest([week(tmp_path / "w4", 9, 1)], db)
    names = {p.name for p in folder.iterdir()}
    assert "claims-00000002.parquet" in names and "claims-00000003.parquet" not in names
    flow.ingest([week(tmp_path / "w5", 10, 1)], db)
    names = {p.name for p in folder.iterdir()}
    assert not {"claims-00000002.parquet", "claims-00000003.parquet"} & names, names
    # every file left is in force or retired by a later merge that a kept snapshot still reads
    paths = snapshot_sql(
        db, "SELECT path FROM claim_segments UNION ALL SELECT path FROM claim_segments_retired"
    )
    assert sorted(Path(p).name for (p,) in paths) == sorted(names)
    assert snapshot_sql(db, "SELECT sum(claims), sum(oop) FROM person_year") == [
        (11, Decimal("440.00"))
    ]


# ---------------------------------------------------------------- publishing catches up


def claims_in(snapshot: Path | None) -> int:
    assert snapshot is not None
    return data.overview_totals(str(snapshot), 2026).claims


def test_an_import_committed_but_not_published_is_published_by_the_next_start(
    tmp_path: Path, cli
) -> None:
    """A crash (or a full disk) between an import's COMMIT and its publishing: the store has
    the import, the pointer names the previous snapshot. Re-running the import (nothing new),
    `flag` or `serve` publishes it, and says so; a leftover .partial copy is removed."""
    db = tmp_path / "store.duckdb"
    w1, w2 = week(tmp_path / "w1", 0, 3, roster=True), week(tmp_path / "w2", 3, 4)
    flow.ingest([w1], db)
    flow.ingest([w2], db, publish=False)  # as if killed right after COMMIT
    assert claims_in(store.current_snapshot(db)) == 3
    partial = store.snapshot_dir(db) / "snap-20261206T010203000000.partial"
    partial.write_bytes(b"\0" * 4096)  # what a killed copy leaves

    again = cli("ingest", w2, "--db", db, "--lang", "en")
    assert again.exit_code == 0, again.output
    assert "already imported" in again.output
    assert "published the store for the dashboard" in again.output
    assert "is behind the store" in again.output
    assert claims_in(store.current_snapshot(db)) == 7
    assert not partial.exists()

    flow.ingest([week(tmp_path / "w3", 7, 1)], db, publish=False)
    said: list[str] = []
    snapshot = serve.ensure_snapshot(db, echo=said.append, demo=False)
    assert claims_in(snapshot) == 8 and any("behind the store" in s for s in said), said
    said.clear()
    assert serve.ensure_snapshot(db, echo=said.append, demo=False) == snapshot and not said


DAMAGE = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[:5000]),
    "zeroed": lambda p: p.write_bytes(b"\0" * p.stat().st_size),
    "random bytes": lambda p: p.write_bytes(bytes(range(256)) * 64),
    "a directory": lambda p: (p.unlink(), p.mkdir()),
}


@pytest.mark.parametrize("damage", [*DAMAGE, "empty pointer", "pointer to nothing"])
def test_serve_republishes_over_a_damaged_snapshot_or_pointer(tmp_path: Path, damage: str) -> None:
    db = tmp_path / "store.duckdb"
    flow.ingest([week(tmp_path / "w1", 0, 3, roster=True)], db)
    named = store.current_snapshot(db)
    assert named is not None
    if damage == "empty pointer":
        store.pointer_path(db).write_text("")
    elif damage == "pointer to nothing":
        store.pointer_path(db).write_bytes(b"\xff\xfe../../etc/passwd")
    else:
        DAMAGE[damage](named)
    said: list[str] = []
    snapshot = serve.ensure_snapshot(db, echo=said.append, demo=False)
    assert snapshot != named and claims_in(snapshot) == 3
    assert any("publishing a new snapshot" in s for s in said), said


@pytest.mark.parametrize("damage", ["truncated", "zeroed", "random bytes"])
def test_the_dashboard_keeps_the_last_good_snapshot_with_a_banner(
    tmp_path: Path, damage: str
) -> None:
    """A damaged snapshot published while the dashboard runs: it keeps reading the last good
    one and every page says why (an AppTest of the overview)."""
    from streamlit.testing.v1 import AppTest

    db = tmp_path / "store.duckdb"
    flow.ingest([week(tmp_path / "w1", 0, 3, roster=True)], db)
    good = store.current_snapshot(db)
    watch = data.PointerWatch(db)
    assert watch.snapshot() == good and watch.problem is None
    flow.ingest([week(tmp_path / "w2", 3, 2)], db)
    newest = store.current_snapshot(db)
    assert newest != good
    DAMAGE[damage](newest)
    assert watch.snapshot() == good and newest.name in (watch.problem or "")
    fresh = data.PointerWatch(db)  # a dashboard started now finds the newest readable one
    assert fresh.snapshot() == good and fresh.problem

    import os

    os.environ["OOPWATCH_DB"] = str(db)
    try:
        at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=30).run()
    finally:
        del os.environ["OOPWATCH_DB"]
    assert not at.exception
    assert any("无法读取" in e.value and good.name in e.value for e in at.error), at.error
    assert any(m.label == "结算笔数" and m.value == "3" for m in at.metric), at.metric


def test_a_full_disk_at_publishing_is_one_line_and_leaves_no_partial(tmp_path: Path) -> None:
    """The copy hits a real file-size limit (RLIMIT_FSIZE, as a full disk would stop it)."""
    db = tmp_path / "store.duckdb"
    flow.ingest([week(tmp_path / "w1", 0, 3, roster=True)], db)
    before = store.current_snapshot(db)
    script = (
        "import resource, signal, sys\n"
        "from pathlib import Path\n"
        "from pipeline import store\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))\n"
        "try:\n"
        "    store.publish(Path(sys.argv[1]))\n"
        "except store.PublishFailed as exc:\n"
        "    print(exc)\n"
        "    sys.exit(3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(db)], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout.count("\n") == 1 and "publishing a snapshot of" in done.stdout
    assert "File too large" in done.stdout and "The store itself is intact" in done.stdout
    assert not list(store.snapshot_dir(db).glob("*.partial"))
    assert store.current_snapshot(db) == before


def test_a_killed_reader_s_spill_folder_never_stops_publishing(tmp_path: Path) -> None:
    """A dashboard reader spills a big query to a folder beside its snapshot (DuckDB's
    ``snap-….duckdb.tmp/``); killed, it leaves the folder behind. Publishing goes on (it had
    failed: IsADirectoryError), leaves the folder of a snapshot that still exists (a reader may
    be spilling there) and removes it once its snapshot is gone."""
    db = tmp_path / "store.duckdb"
    flow.ingest([week(tmp_path / "w1", 0, 3, roster=True)], db)
    first = store.current_snapshot(db)
    assert first is not None
    spill = first.with_name(first.name + ".tmp")
    spill.mkdir()
    (spill / "duckdb_temp_storage_DEFAULT-0.tmp").write_bytes(b"\0" * 4096)
    second = store.publish(db)
    assert spill.is_dir() and first.exists()  # the previous snapshot and its spill stay
    store.publish(db)  # the first snapshot goes
    assert not first.exists() and spill.is_dir()
    store.publish(db)  # and the spill folder of a snapshot gone, the next time
    assert not spill.exists()
    assert store.current_snapshot(db) not in (first, second)
