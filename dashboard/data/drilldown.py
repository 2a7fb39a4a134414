"""Queries of the drill-down: the place path, its children, a village's households, a
household's members."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.data.access import (
    _below_scope,
    _household_ids_for,
    guarded,
    household_in_region,
    in_region,
    rows_in_region,
)
from dashboard.data.snapshots import _rows

# ---- drill-down and person
# Region figures come from ``region_year`` (one row per level, code and year, built at import);
# below a village the queries filter ``person_year``/``household_year`` by village or household,
# and a person's page filters every table by that one person_id. Nothing loads a whole table.

REGION_LEVEL_LENGTHS: dict[int, int] = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
VILLAGE_LEVEL = 5


def region_level(code: str) -> int | None:
    """The drill level of a division code ('' is national, 0), or None for a malformed code."""
    if code == "":
        return 0
    for level, length in REGION_LEVEL_LENGTHS.items():
        if len(code) == length and code.isdigit():
            return level
    return None


def region_ancestors(code: str) -> list[str]:
    """The codes from national down to ``code`` itself: '', '23', '2302', … (prefixes)."""
    level = region_level(code)
    if level is None:
        return [""]
    return [""] + [code[: REGION_LEVEL_LENGTHS[lv]] for lv in range(1, level + 1)]


REGION_COLUMNS = [
    "level", "code", "parent_code", "name", "people", "roster_people", "enrolled_active",
    "participation", "flagged", "flagged_new", "flag_rate", "households", "claims",
    "total_cost", "basic_paid", "critical_paid", "assistance_paid", "other_paid", "oop",
    "oop_median", "shortfall",
]  # fmt: skip
# region_year with the assistance replay's shortfall (region_assistance) of the same region
_REGIONS = "region_year LEFT JOIN region_assistance USING (level, code, year)"
_REGION_SELECT = ", ".join(REGION_COLUMNS)
_REGION_INTS = {
    c: "int64"
    for c in ("people", "roster_people", "enrolled_active", "flagged", "flagged_new")
    + ("households", "claims")
}


def _region_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=REGION_COLUMNS)
    frame["participation"] = frame["participation"].astype("float64")
    frame["flag_rate"] = frame["flag_rate"].astype("float64")
    return frame.astype(_REGION_INTS)


@guarded(in_region("code"), shape=_below_scope)
@st.cache_data(max_entries=512, show_spinner=False)
def region_path(snapshot: str, year: int, code: str) -> pd.DataFrame:
    """The rows of ``code`` and its ancestors in ``year``, national first (breadcrumb, figures).

    An ancestor with no row that year is left out; the caller names it by its code.
    """
    rows = _rows(
        snapshot,
        f"""SELECT {_REGION_SELECT} FROM {_REGIONS}
            WHERE year = ? AND list_contains(?, code) ORDER BY level""",
        [year, region_ancestors(code)],
    )
    return _region_frame(rows)


@guarded(in_region("code"))
@st.cache_data(max_entries=512, show_spinner=False)
def region_children(snapshot: str, year: int, code: str) -> pd.DataFrame:
    """The child regions of ``code`` in ``year``, most in need of attention first.

    Order: flagged people descending, then flag rate descending, then code.
    """
    rows = _rows(
        snapshot,
        f"""SELECT {_REGION_SELECT} FROM {_REGIONS}
            WHERE year = ? AND parent_code = ?
            ORDER BY flagged DESC, flag_rate DESC NULLS LAST, code""",
        [year, code],
    )
    return _region_frame(rows)


HOUSEHOLD_COLUMNS = [
    "household_id", "members", "household_oop", "household_income", "income_known",
    "flagged_members", "new_members",
]  # fmt: skip


@guarded(in_region("village_code"), shape=_household_ids_for)
@st.cache_data(max_entries=256, show_spinner=False)
def village_households(snapshot: str, year: int, village_code: str) -> pd.DataFrame:
    """The households of a village in ``year``: members, household OOP, income, flagged members.

    Ordered by flagged members, then household OOP, both descending.
    """
    rows = _rows(
        snapshot,
        """WITH members AS (  -- person-years of the village, and flagged people without one
               SELECT py.household_id, py.person_id, w.person_id IS NOT NULL AS flagged,
                      w.status = 'new' AS new
               FROM person_year AS py
               LEFT JOIN watchlist AS w ON w.person_id = py.person_id AND w.year = py.year
               WHERE py.village_code = ? AND py.year = ?
               UNION ALL
               SELECT w.household_id, w.person_id, true, w.status = 'new'
               FROM watchlist AS w
               ANTI JOIN person_year AS py USING (person_id, year)
               WHERE w.village_code = ? AND w.year = ?
           )
           SELECT m.household_id, coalesce(h.members, 0), h.household_oop, h.household_income,
                  coalesce(h.income_known, false), count(*) FILTER (WHERE m.flagged),
                  count(*) FILTER (WHERE m.new)
           FROM members AS m
           LEFT JOIN household_year AS h ON h.household_id = m.household_id AND h.year = ?
           WHERE m.household_id IS NOT NULL
           GROUP BY ALL
           ORDER BY 6 DESC, h.household_oop DESC NULLS LAST, m.household_id""",
        [village_code, year, village_code, year, year],
    )
    frame = pd.DataFrame.from_records(rows, columns=HOUSEHOLD_COLUMNS)
    counts = {"members": "int64", "flagged_members": "int64", "new_members": "int64"}
    return frame.astype({**counts, "income_known": bool})


MEMBER_COLUMNS = [
    "person_id", "name", "relation", "category", "village_code", "oop", "claims", "rules",
    "severity", "status", "explain_zh", "explain_en",
]  # fmt: skip


@guarded(household_in_region(), shape=rows_in_region("village_code"))
@st.cache_data(max_entries=256, show_spinner=False)
def household_members(
    snapshot: str, year: int, household_id: str, village: str | None = None
) -> pd.DataFrame:
    """Everyone of a household (flagged first, then by OOP) with their OOP and flags in ``year``
    (rules, severity, new or continuing, and why: the explanations).

    ``person_id`` is for links only: pages show :func:`pipeline.schema.mask_id` of it. With the
    household's ``village`` the scans skip every other village's blocks (tables are stored by
    village).
    """
    place, at = _in_village(village)
    rows = _rows(
        snapshot,
        f"""WITH p AS (
               SELECT * FROM people WHERE household_id = ?{place}
           ),
           py AS (
               SELECT person_id, oop, claims FROM person_year
               WHERE household_id = ? AND year = ?{place}
           )
           SELECT p.person_id, p.name, p.relation, p.category, p.village_code,
                  coalesce(py.oop, 0), coalesce(py.claims, 0)
           FROM p LEFT JOIN py USING (person_id)""",  # noqa: S608
        [household_id, *at, household_id, year, *at],
    )
    flags = _latest_watch(snapshot, [r[0] for r in rows], year)
    rows = [(*r, *flags.get(r[0], (None,) * 5)) for r in rows]
    rows.sort(key=lambda r: (r[7] is None, -(r[5] or 0), r[0]))
    frame = pd.DataFrame.from_records(rows, columns=MEMBER_COLUMNS)
    return frame.astype({"claims": "int64"})


def _in_village(village: str | None) -> tuple[str, list[str]]:
    """The village condition and its parameter, or nothing without a village.

    A literal condition lets DuckDB skip the other villages' blocks as it scans; "? IS NULL OR
    village_code = ?" cost about 1 ms more per query at 1M people.
    """
    return (" AND village_code = ?", [village]) if village else ("", [])


def _latest_watch(snapshot: str, people: list[str], year: int) -> dict[str, tuple]:
    """Rules, severity, status (new in the latest run or continuing) and explanations of those
    of ``people`` on the current list for ``year``."""
    if not people:
        return {}
    marks = ", ".join("?" * len(people))
    rows = _rows(
        snapshot,
        f"""WITH w AS MATERIALIZED (SELECT * FROM watch_entries WHERE person_id IN ({marks}))
            SELECT person_id, rules, severity,
                   CASE WHEN since_run = (SELECT max(run_id) FROM rule_runs) THEN 'new'
                        ELSE 'continuing' END,
                   explain_zh, explain_en
            FROM w
            WHERE year = ? AND to_run IS NULL""",  # noqa: S608
        [*people, year],
    )
    return {r[0]: tuple(r[1:]) for r in rows}


@guarded(household_in_region())
@st.cache_data(max_entries=256, show_spinner=False)
def household_year_row(snapshot: str, year: int, household_id: str) -> dict[str, object] | None:
    """The household's ``household_year`` row, or None when it has none that year."""
    rows = _rows(
        snapshot,
        """SELECT members, household_oop, household_income, income_known
           FROM household_year WHERE household_id = ? AND year = ?""",
        [household_id, year],
    )
    if not rows:
        return None
    keys = ["members", "household_oop", "household_income", "income_known"]
    return dict(zip(keys, rows[0], strict=True))
