"""Warm a new snapshot when it appears, before anyone opens a page: the first page after an
import otherwise waits for every one of its queries on a cold file (2.0 s for the overview at
1M people, issue 17), and later pages for theirs.

A thread of the dashboard's server follows the store's pointer (:class:`PointerWatch`) and,
when it names another snapshot, opens it and calls the data functions the opening pages call
(the overview, the watch-list, the drill-down's first level, nationally: what a national user
sees first), with the same arguments, so their results are in ``st.cache_data`` and DuckDB has
read the blocks they need.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from pathlib import Path

import streamlit as st

from dashboard.data import cases, drilldown, overview, watchlist
from dashboard.data.access import acting_as
from dashboard.data.snapshots import _watch, current
from pipeline.access import auth

log = logging.getLogger(__name__)
WARMER = auth.Access("warm-up", "admin", "")  # national: the widest first pages
POLL_S = 1.0


def warm(snapshot: str, langs: tuple[str, ...] = ("zh", "en")) -> None:
    """Call the opening pages' data functions on ``snapshot`` (national scope, default year)."""
    with acting_as(WARMER):
        overview.years(snapshot)
        overview.last_import(snapshot)
        overview.is_demo(snapshot)
        overview.national_build(snapshot)
        overview.regions(snapshot)
        year = overview.default_year(snapshot)
        if year is None:
            return
        region = ""
        overview.region_figures(snapshot, year, region)
        overview.week_changes(snapshot, year, region)
        overview.watch_flagged(snapshot, year, region)
        overview.people_by_category(snapshot, year, region)
        for lang in langs:
            overview.category_labels(snapshot, lang)
        overview.watch_by_rule(snapshot, year, region)
        overview.list_trend(snapshot, year, region)
        overview.case_funnel(snapshot, year, region)
        overview.region_assistance(snapshot, year, region)
        overview.attention_by_township(snapshot, year, region, dt.date.today())
        overview.week_leavers(snapshot, year, region)
        if cases.cases_ready(snapshot) and overview.national_build(snapshot) is None:
            cases.pushes_due(snapshot, region, year, dt.date.today())
        overview.overview_by_province(snapshot, year)
        for domain in ("category", "visit_type"):
            overview.code_labels(snapshot, domain)
        # the watch-list as it opens: its latest year, no filter
        years = watchlist.watch_years(snapshot)
        if years:
            first = years[0]
            watchlist.watch_rules(snapshot)
            watchlist.watch_categories(snapshot, first)
            chosen = {"year": first, "region": region, "rule": None, "severity": None,
                      "status": None, "category": None}  # fmt: skip
            watchlist.watchlist_page(snapshot, **chosen, stage=None, today=dt.date.today())
            overview.waiting_cases(snapshot, first, region)
        # the drill-down as it opens: the provinces
        drilldown.region_path(snapshot, year, region)
        drilldown.region_children(snapshot, year, region)


def _follow(db: Path) -> None:
    """Forever: warm each snapshot the pointer comes to name (errors are logged, not raised:
    a page then simply computes what it needs)."""
    done: str | None = None
    while True:
        try:
            snapshot = current(db)
            if snapshot != done:
                started = time.perf_counter()
                warm(snapshot)
                done = snapshot
                log.info("warmed %s in %.2f s", Path(snapshot).name, time.perf_counter() - started)
        except Exception as exc:  # noqa: BLE001  (no snapshot yet, a damaged one, …)
            log.debug("warm-up skipped: %s", exc)
        time.sleep(POLL_S)


@st.cache_resource(show_spinner=False)
def keep_warm(db: str) -> threading.Thread:
    """Start (once per server process and store) the thread that warms every new snapshot."""
    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    _watch(db)  # the watch the pages use
    thread = threading.Thread(target=_follow, args=(Path(db),), name="oopwatch-warm", daemon=True)
    ctx = get_script_run_ctx()
    if ctx is not None:  # st.cache_data from this thread without a "no context" warning a call
        add_script_run_ctx(thread, ctx)
    thread.start()
    return thread
