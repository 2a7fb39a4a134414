"""What admins do: read the audit log, import extracts from the dashboard."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.data.access import _log_in_region, access, at_least, guarded
from dashboard.data.snapshots import db_path
from dashboard.data.watchlist import LIST_ACTIONS
from pipeline import schema
from pipeline.access import activity, auth


@guarded(at_least("admin"), shape=_log_in_region)
@st.cache_data(ttl=5, show_spinner=False)
def download_log(db: str) -> pd.DataFrame:
    """The activity log's exports, downloads, returns, pushes and answer files (live: it is
    written while the snapshot stays); scoped admins see those whose region filter lies within
    their region."""
    items = activity.entries(Path(db), limit=500, actions=LIST_ACTIONS)
    return pd.DataFrame(list(activity.iter_dicts(items)), columns=activity.COLUMNS)


# ---- the audit log and imports (admins)


@guarded(at_least("admin"))
def audit_users(db: str) -> list[str]:
    """The names an admin may filter the audit log by: everyone in it for a national admin,
    the accounts of their region for a regional one."""
    who = access()
    if who.national:
        return activity.users_seen(Path(db))
    return auth.users_in_scope(Path(db), who.scope)


@guarded(at_least("admin"))
def audit_log(
    db: str, since: str | None = None, until: str | None = None, user: str | None = None,
    action: str | None = None, limit: int = 2000,
) -> pd.DataFrame:  # fmt: skip
    """Audit entries, newest first, from ``since`` to before ``until`` (ISO dates). A regional
    admin sees the entries of the accounts within their region only."""
    who = access()
    users = None if who.national else auth.users_in_scope(Path(db), who.scope)
    items = activity.entries(
        Path(db), since=since, until=until, action=action, user=user, users=users, limit=limit
    )
    return pd.DataFrame(list(activity.iter_dicts(items)), columns=activity.COLUMNS)


@dataclass(frozen=True)
class ImportRun:
    """What an import from the dashboard did: ``oopwatch ingest``'s exit code and output."""

    code: int
    output: str
    files: list[str]


IMPORT_TIMEOUT = 3600
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".parquet")


@guarded(at_least("admin"))
def run_import(files: Sequence[tuple[str, bytes]]) -> ImportRun:
    """Import uploaded extracts: save them under their own names (no folders) in a temporary
    folder and run ``oopwatch ingest`` on the store in a subprocess (the dashboard itself only
    ever reads snapshots). Logged with who, the files and the outcome."""
    import subprocess
    import sys
    import tempfile

    db = db_path()
    names: list[str] = []
    with tempfile.TemporaryDirectory(prefix="oopwatch-upload-") as folder:
        for raw_name, content in files:
            name = Path(raw_name).name.strip()
            if not name or name.startswith(".") or not name.lower().endswith(UPLOAD_SUFFIXES):
                raise ValueError(f"not an extract file name: {raw_name!r}")
            (Path(folder) / name).write_bytes(content)
            names.append(name)
        command = [sys.executable, "-m", "pipeline.cli", "ingest", folder, "--db", str(db), "-q"]
        command += ["--within", access().scope]  # a regional admin imports their region only
        # the dashboard logs the import under the signed-in user (the command would log the OS's)
        env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb",
               "OOPWATCH_LOGGED_BY": "dashboard"}  # fmt: skip
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=IMPORT_TIMEOUT, env=env,
            cwd=str(Path(__file__).resolve().parents[1]), check=False,
        )  # fmt: skip
    output = schema.mask_text((done.stdout + done.stderr).replace(folder, "…")) or ""
    activity.record(
        db, user=access().user, source="dashboard", action=auth.IMPORT, target=", ".join(names),
        detail=f"exit {done.returncode}",
    )  # fmt: skip
    return ImportRun(done.returncode, output, names)
