"""The marts: aggregates every dashboard click needs, built after a rule run (``sql/marts/``)."""

from __future__ import annotations

import duckdb

from pipeline.store import run_script
from pipeline.store.files import build_order

# Built after every rule run, each after the marts it reads (its `-- reads:` line).
MARTS = tuple(build_order("marts"))
CASE_MARTS = ("case_status", "watch_order", "watch_page")  # what an export or a return changes


def build_marts(con: duckdb.DuckDBPyConnection) -> None:
    """Aggregates every dashboard click needs, built once the list is known (sql/marts/)."""
    for mart in MARTS:
        run_script(con, f"marts/{mart}.sql")


def build_case_marts(con: duckdb.DuckDBPyConnection) -> None:
    """The follow-up stages and the watch-list page, after an export or a return."""
    for mart in CASE_MARTS:
        run_script(con, f"marts/{mart}.sql")
