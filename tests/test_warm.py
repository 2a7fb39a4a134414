"""A new snapshot is warmed when it appears: the opening pages then run no query of their own."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import data
from dashboard.data import snapshots
from pipeline import flow
from tests.authkit import copy_store
from tests.conftest import REPO

APP = str(REPO / "dashboard" / "app.py")


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every query the data layer sends to a snapshot (their snapshots), from now on."""
    sent: list[str] = []
    real = snapshots.cursor

    def counting(snapshot: str):  # noqa: ANN202
        sent.append(snapshot)
        return real(snapshot)

    monkeypatch.setattr(snapshots, "cursor", counting)
    return sent


def opening_pages() -> None:
    """The overview, then the watch-list and the drill-down as they open."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    for page in ("views/watchlist.py", "views/drilldown.py"):
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]


def test_warmed_opening_pages_run_no_query(
    sample_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, queries: list[str]
) -> None:
    db = copy_store(sample_store, tmp_path / "store" / "oopwatch.duckdb")
    monkeypatch.setenv("OOPWATCH_DB", str(db))
    snapshot = data.current(db)
    st.cache_data.clear()
    opening_pages()
    assert len(queries) > 20, "cold, the opening pages query the snapshot"

    st.cache_data.clear()
    data.warm(snapshot)
    queries.clear()
    opening_pages()
    assert queries == [], f"{len(queries)} queries the warm-up left to the pages"


def test_the_server_warms_a_new_snapshot_as_it_appears(
    sample_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, queries: list[str]
) -> None:
    """keep_warm's thread follows the pointer: after an import, the new snapshot's opening
    pages are cached before anyone opens them."""
    db = copy_store(sample_store, tmp_path / "store" / "oopwatch.duckdb")
    monkeypatch.setenv("OOPWATCH_DB", str(db))
    st.cache_data.clear()
    thread = data.keep_warm(str(db))
    assert thread.is_alive()
    week = tmp_path / "w"
    week.mkdir()
    (week / "claims.csv").write_text(
        "claim_id,person_id,settle_date,visit_type,total_cost,basic_paid,critical_paid,"
        "assistance_paid\n", encoding="utf-8"
    )  # fmt: skip
    (week / "roster.csv").write_bytes((REPO / "sample_data" / "week03" / "roster.csv").read_bytes())
    flow.ingest([week], db)
    new = data.current(db)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and new not in queries:
        time.sleep(0.2)
    time.sleep(2)  # the warm-up's last queries
    assert new in queries, "the thread queried the new snapshot without any page open"
    queries.clear()
    opening_pages()
    assert [q for q in queries if q == new] == []
