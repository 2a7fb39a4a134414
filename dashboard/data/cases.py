"""Queries of the cases page: every case with its deadlines, "my cases", one case's timeline,
the departmental funnel, the pushes due, the cohort outcomes, and assigning cases.

The SQL is the pipeline's (``pipeline.cases.tracking`` over ``pipeline/sql/cases/``) run on the
snapshot's read-only connection; the deadlines, cadences and calendar are the push policy of
the shipped rules folder. Assignments live in the store's activity file (the dashboard writes
them there, never the store) and are read fresh, not cached.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.data.access import (
    at_least,
    guarded,
    in_region,
    names_for,
    open_to_all,
    person_in_region,
    rows_in_region,
)
from dashboard.data.snapshots import _rows, cursor
from pipeline import rules, schema
from pipeline.access import assignments
from pipeline.cases import tracking
from pipeline.rules.push_policy import PushPolicy

TIMELINE_COLUMNS = ["day", "step", "department", "code", "amount", "notes", "ref", "superseded"]


@st.cache_resource(show_spinner=False)
def push_policy() -> PushPolicy:
    """The push policy of the shipped rules folder (read once per server)."""
    return rules.load().push


def _tracking(snapshot: str, fn, *args: object) -> pd.DataFrame:  # noqa: ANN001
    cur = cursor(snapshot)
    try:
        return fn(cur, *args)
    finally:
        cur.close()


@open_to_all
@st.cache_data(max_entries=32, show_spinner=False)
def cases_ready(snapshot: str) -> bool:
    """Whether the snapshot has the departments' tables and the case timeline (a snapshot
    published by an oopwatch before them has not: any command publishes a new one)."""
    rows = _rows(
        snapshot,
        """SELECT count(*) FROM (
               SELECT table_name AS name FROM duckdb_tables() WHERE NOT temporary
               UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT temporary)
           WHERE name IN ('pushes', 'push_rows', 'decisions', 'case_timeline')""",
    )
    return rows[0][0] == 4


@guarded(in_region(), shape=names_for())
@st.cache_data(max_entries=32, show_spinner=False)
def case_table(snapshot: str, region: str, year: int, today: dt.date) -> pd.DataFrame:
    """Every case of the region and year with where it stands and what is overdue
    (``tracking.CASE_COLUMNS``), most urgent first: overdue, then high severity, then OOP."""
    frame = _tracking(snapshot, tracking.cases, push_policy(), year, region, today)
    rank = frame["severity"].map({"high": 0, "medium": 1, "low": 2}).fillna(3)
    late = -(frame["decision_overdue"].astype(int) + frame["visit_overdue"].astype(int))
    order = pd.DataFrame({"late": late, "rank": rank, "oop": -frame["oop"].astype(float)})
    return frame.loc[order.sort_values(["late", "rank", "oop"], kind="stable").index].reset_index(
        drop=True
    )


@open_to_all
def with_assignees(db: Path, frame: pd.DataFrame) -> pd.DataFrame:
    """The case frame with each case's current assignee (None when nobody is assigned)."""
    current = assignments.assignee_of(assignments.current_assignments(db))
    out = frame.copy()
    out["assignee"] = [
        current.get((p, int(y))) for p, y in zip(out["person_id"], out["year"], strict=True)
    ]
    return out


@guarded(in_region(), shape=rows_in_region("region"))
@st.cache_data(max_entries=32, show_spinner=False)
def overdue_counts(snapshot: str, region: str, year: int, today: dt.date) -> pd.DataFrame:
    """Overdue decisions and visits per child region of ``region`` (region, cases,
    decision_overdue, visit_overdue)."""
    frame = case_table(snapshot, region, year, today)  # (the page's table: cached)
    level = {0: 2, 2: 4, 4: 6, 6: 9, 9: 12}.get(len(region), 12)
    counts = tracking.overdue_by_region(frame, level)
    names = dict(
        _rows(
            snapshot,
            "SELECT code, name FROM region_names WHERE list_contains(?, code)",
            [list(counts["region"])],
        )
    )
    counts["region_name"] = [names.get(c) for c in counts["region"]]
    return counts


@guarded(person_in_region())
@st.cache_data(max_entries=256, show_spinner=False)
def case_timeline(snapshot: str, person_id: str, year: int) -> pd.DataFrame:
    """One case's steps in order (``case_timeline``): by day, and within a day in the order a
    case moves (flagged before pushed before decided); notes with IDs masked."""
    rows = _rows(
        snapshot,
        """SELECT day, step, department, code, amount, notes, ref, superseded
           FROM case_timeline
           WHERE person_id = ? AND year = ?
           ORDER BY day,
                    list_position(['flagged', 'pushed', 'decision', 'exported', 'visit',
                                   'assistance_paid', 'left_list'], step),
                    happened_at""",
        [person_id, year],
    )
    frame = pd.DataFrame.from_records(rows, columns=TIMELINE_COLUMNS)
    frame["notes"] = [schema.mask_text(n) if isinstance(n, str) else n for n in frame["notes"]]
    return frame


@guarded(person_in_region())
def assignment_history(snapshot: str, db: Path, person_id: str, year: int) -> pd.DataFrame:
    """Who was assigned the case, when and by whom, oldest first (read fresh)."""
    rows = assignments.history(db, person_id, year)
    return pd.DataFrame.from_records(rows, columns=["at", "assignee", "by", "source"])


@guarded(in_region(), shape=rows_in_region("region"))
@st.cache_data(max_entries=32, show_spinner=False)
def department_funnel(snapshot: str, region: str, year: int) -> pd.DataFrame:
    """flagged → pushed → verified → included → assisted per child region, with median days."""
    level = {0: 2, 2: 4, 4: 6, 6: 9, 9: 12}.get(len(region), 12)
    return _tracking(snapshot, tracking.funnel, year, region, level)


@guarded(in_region())
@st.cache_data(max_entries=32, show_spinner=False)
def pushes_due(snapshot: str, region: str, year: int, today: dt.date) -> pd.DataFrame:
    """Per department and cadence, the last push covering the region and when the next is due."""
    return _tracking(snapshot, tracking.pushes_due, push_policy(), year, region, today)


@guarded(in_region())
@st.cache_data(max_entries=32, show_spinner=False)
def cohort_outcomes(snapshot: str, region: str, year: int, as_of: dt.date) -> pd.DataFrame:
    """Who actually fell back: the cohort flagged in ``year`` and what happened in 12 months."""
    return _tracking(snapshot, tracking.outcomes, year, region, as_of)


@open_to_all
def caseworkers(db: Path, region: str) -> list[str]:
    """Accounts that may be assigned cases of ``region``."""
    return assignments.caseworkers(db, region)


@guarded(at_least("caseworker"))
def assign(
    db: Path, who: str, cases: list[tuple[str, int, str, str | None]], assignee: str | None
) -> int:
    """Assign the cases (person_id, year, case key, village) to ``assignee`` (None: nobody),
    logged; returns how many changed. Every case must lie in the user's scope."""
    from dashboard.data.access import OutOfScope, access

    scope = access()
    for _pid, _year, key, village in cases:
        if not scope.covers(village):
            raise OutOfScope(key)
    return assignments.assign(db, cases, assignee, by=who)
