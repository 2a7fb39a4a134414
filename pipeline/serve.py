"""``oopwatch serve``: make sure there is a snapshot to show, then run the Streamlit dashboard.

With no store yet it builds a demo one from the repository's ``sample_data/`` (one import per
``week*`` folder, in order). A store that exists but was never published gets published. The
dashboard only ever reads snapshots; the store path reaches it through env ``OOPWATCH_DB``, the
address it listens on through ``OOPWATCH_ADDRESS``.

With no accounts (``oopwatch users add``) the dashboard is an open demo: it is served on a loopback
address only, and on any other address ``serve`` refuses to start (exit 2). A single sign-on map
(``DB.sso.toml``) counts as accounts; Streamlit's secrets for it (``[auth]``) are read from
``DB.secrets.toml`` beside the store when that file exists.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from pipeline import flow, models, schema, store
from pipeline.access import auth

REPO = Path(__file__).resolve().parents[1]
# sample_data/ of the repository; in an installed wheel, its copy inside pipeline/tools/
_REPO_SAMPLE = REPO / "sample_data"
SAMPLE_DATA = _REPO_SAMPLE if _REPO_SAMPLE.is_dir() else REPO / "pipeline" / "tools" / "sample_data"
SAMPLE_DATA_ENV = "OOPWATCH_SAMPLE_DATA"  # another demo folder (tests, trials); default above
# The dashboard's main script, found without importing the dashboard (it sits above pipeline/).
APP = Path(importlib.util.find_spec("dashboard").origin).parent / "app.py"
ADDRESS_ENV = "OOPWATCH_ADDRESS"  # the address the dashboard listens on (it checks it too)

Echo = Callable[[str], None]


def _echo(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def sample_batches(folder: Path = SAMPLE_DATA) -> list[Path]:
    """The demo imports: each ``week*`` folder in name order, else the folder itself."""
    weeks = sorted(p for p in folder.glob("week*") if p.is_dir())
    if weeks:
        return weeks
    has_files = folder.is_dir() and any(
        p.is_file() and schema.kind_of(p.name) is not None for p in folder.iterdir()
    )
    return [folder] if has_files else []


def build_demo(db: Path, folder: Path = SAMPLE_DATA, echo: Echo = _echo) -> None:
    """Create the store ``db`` from the sample extracts, one import per week, and publish."""
    batches = sample_batches(folder)
    if not batches:
        raise FileNotFoundError(
            f"{db} does not exist and there is no demo data in {folder} to build it from; "
            "import extracts first with `oopwatch ingest PATH... --db DB` (or make demo "
            "extracts with `oopwatch generate --out sample_data --people 3000 --weeks 3`)"
        )
    echo(
        f"{db} does not exist: building a demo database of SYNTHETIC data from {folder} "
        f"({len(batches)} imports); every page will say so"
    )
    store.mark_demo(db)
    for batch in batches:
        echo(f"importing {batch}")
        try:
            report = flow.ingest([batch], db, notify=echo, command=f"serve (demo) {batch.name}")
        except BaseException:
            if store.current_snapshot(db) is None:  # nothing usable yet: leave no half store
                for leftover in (db, db.with_name(db.name + ".wal")):
                    leftover.unlink(missing_ok=True)
            raise
        echo(
            f"import {report.import_id}: {report.rows_read:,} rows read, "
            f"{sum(f.rows_loaded for f in report.files):,} loaded, "
            f"{sum(f.rows_rejected for f in report.files):,} rejected "
            f"({report.seconds:.1f} s)"
        )
        demo_pushes(db, echo)
    demo_answers(db, folder / "departments", echo)


def demo_pushes(db: Path, echo: Echo = _echo) -> None:
    """Push the week's new and changed warnings, dated by the data (the demo's weeks are in the
    past): what a bureau does after each weekly import. Return-to-poverty warnings go to rural
    revitalisation (monitoring), the others to civil affairs (dibao), as the generated
    departments' answers assume."""
    import datetime as dt
    import tempfile

    from pipeline import rules
    from pipeline.cases import push

    ruleset = rules.load()
    opened = store.open_snapshot(db)
    if opened is None:
        return
    try:
        day = opened[0].execute("SELECT max(as_of) FROM rule_runs").fetchall()[0][0]
    finally:
        opened[0].close()
    when = dt.datetime.combine(day, dt.time(17, 0))
    with tempfile.TemporaryDirectory() as folder:
        for warning in ruleset.push.warnings:  # 返贫预警 to rural revitalisation, 致贫 to civil
            department = "rural" if warning.type == "return_to_poverty" else "civil"
            done = push.push(
                db, ruleset, department, None, Path(folder) / f"{department}.xlsx",
                since_last=True, categories=list(warning.categories), now=when,
            )  # fmt: skip
            echo(f"pushed {done.rows:,} to {department} ({day}, push #{done.seq})")


def demo_answers(db: Path, folder: Path, echo: Echo = _echo) -> None:
    """The departments' answers to the pushes (``oopwatch generate`` writes them beside the
    weeks: civil affairs' file names no department, rural revitalisation's does)."""
    from pipeline.cases import feedback

    for name, department in (("civil.csv", "civil"), ("rural.csv", None)):
        path = folder / name
        if path.exists():
            for r in feedback.feedback(db, [path], department):
                echo(
                    f"{name}: {r.rows_read:,} answers read, {r.rows_loaded:,} loaded, "
                    f"{r.rows_rejected:,} rejected"
                )


def sample_folder() -> Path:
    """Where demo extracts come from: env ``OOPWATCH_SAMPLE_DATA``, else ``sample_data/``."""
    return Path(os.environ.get(SAMPLE_DATA_ENV) or SAMPLE_DATA)


def ensure_snapshot(
    db: Path, folder: Path | None = None, echo: Echo = _echo, demo: bool = True
) -> Path:
    """The snapshot to serve: build a demo store (only with ``demo``: serve without --db), or
    publish when the snapshot is missing, unreadable, of an earlier version or behind the store.

    While an import holds the store, the last readable snapshot is served (the import will
    publish when it is done).
    """
    if not db.exists():
        if not demo:
            raise store.StoreMissing(store.missing_store(db))
        build_demo(db, folder or sample_folder(), echo)
    else:
        try:
            con = models.open_current(db)
        except store.StoreLocked as exc:
            snapshot = store.last_good_snapshot(db)
            if snapshot is None:
                raise
            echo(f"serving {snapshot.name} for now: {exc}")
            return snapshot
        reason = store.stale_reason(db, con)
        if reason is None:
            con.close()
        else:
            echo(f"{reason}: publishing a new snapshot of {db}")
            store.close_and_publish(con, db)
    snapshot = store.current_snapshot(db)
    if snapshot is None:  # pragma: no cover - publish always names one
        raise RuntimeError(f"publishing {db} left no snapshot")
    return snapshot


def streamlit_command(port: int, address: str, secrets: Path | None = None) -> list[str]:
    """The ``streamlit run`` command line for the dashboard; with ``secrets``, Streamlit reads
    its secrets (``[auth]`` for single sign-on) from that file only."""
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port),
        "--server.address", address,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
        # No CSV download or clipboard copy on tables of people: downloads go through the
        # dashboard's own buttons, masked and logged.
        "--client.disableDataExport", "true",
    ]  # fmt: skip
    return [*cmd, "--secrets.files", str(secrets)] if secrets is not None else cmd


def store_secrets(db: Path, echo: Echo = _echo) -> Path | None:
    """``DB.secrets.toml`` if it exists (its path is said, never its contents), else None."""
    path = auth.secrets_path(db)
    if not path.is_file():
        return None
    echo(f"Streamlit secrets (single sign-on) from {path}")
    if path.stat().st_mode & 0o077:
        echo(f"warning: other users of this computer can read {path}: chmod 600 it")
    return path


def _run_forwarding_signals(cmd: list[str], env: dict[str, str]) -> int:
    """Run ``cmd``; SIGTERM/SIGINT to this process go to it too. Returns its exit code."""
    proc = subprocess.Popen(cmd, env=env)

    def forward(signum: int, _frame: object) -> None:
        if proc.poll() is None:
            proc.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:  # pragma: no cover - handler above replaces it
                continue
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def open_demo_refused(db: Path, address: str) -> str:
    """Why an open demo (no accounts) is not served on ``address``, and how to add an admin."""
    return (
        f"cannot serve on {address}: {db} has no accounts, and without accounts the dashboard "
        "is an open demo that shows everyone everything; it is served on 127.0.0.1 only.\n"
        f"Add the first admin (the password is asked for):\n"
        f"  oopwatch users add NAME --role admin --region '' --db {db}\n"
        "then start serve again (or leave out --address to serve this computer only)."
    )


DEMO_NOTICE = (
    "no accounts: this is a local demo on {address}, and anyone on this computer sees "
    "everything. Add an admin with `oopwatch users add NAME --role admin --db {db}`."
)


def serve_warehouse(warehouse: Path, port: int = 8501, address: str = "127.0.0.1") -> int:
    """The national dashboard of a warehouse: its store (``WAREHOUSE/national.duckdb``) loaded
    with the last national build when it is behind or missing, then served as a store is."""
    from pipeline.national import serving

    try:
        if serving.behind(warehouse):
            _echo(f"loading the national build of {warehouse} into its dashboard's store")
            serving.load(warehouse, notify=_echo)
    except (serving.ServingError, store.StoreLocked, store.PublishFailed) as exc:
        _echo(f"cannot serve: {exc}")
        return 2
    return serve(serving.serving_path(warehouse.absolute()), port, address, demo=False)


def serve(db: Path, port: int = 8501, address: str = "127.0.0.1", demo: bool = True) -> int:
    """Ensure a snapshot exists (demo build, with ``demo`` only, or first publish), then run the
    dashboard on it."""
    db = db.absolute()
    accounts = auth.has_accounts(db)
    if not accounts and not auth.is_local_address(address):
        _echo(open_demo_refused(db, address))
        return 2
    try:
        snapshot = ensure_snapshot(db, demo=demo)
    except (
        FileNotFoundError, flow.ImportRefused, store.StoreLocked, store.StoreMissing,
        store.PublishFailed,
    ) as exc:  # fmt: skip
        _echo(f"cannot serve: {exc}")
        return 2
    _echo(f"serving {snapshot.name} of {db} on http://{address}:{port}")
    if not accounts:
        _echo(DEMO_NOTICE.format(address=address, db=db))
    env = {**os.environ, "OOPWATCH_DB": str(db), ADDRESS_ENV: address}
    return _run_forwarding_signals(streamlit_command(port, address, store_secrets(db)), env)
