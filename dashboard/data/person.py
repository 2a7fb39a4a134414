"""Queries of a person: who a link names, their years, claims, flags and history."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
import streamlit as st

from dashboard.data.access import (
    _members_in_region,
    _person_in_region,
    at_least,
    guarded,
    in_region,
    open_to_all,
    person_in_region,
)
from dashboard.data.cases import cases_ready
from dashboard.data.drilldown import _in_village, household_members, region_ancestors
from dashboard.data.snapshots import _by_index, _rows
from pipeline import schema


@dataclass(frozen=True)
class Person:
    """Who a person is (their current roster record)."""

    person_id: str
    name: str | None
    household_id: str | None
    relation: str | None
    village_code: str | None
    category: str | None
    household_income: Decimal | None
    on_roster: bool
    phone: str | None = None  # the roster's (v1.1); shown masked


@guarded(at_least("caseworker"), shape=_person_in_region)
@st.cache_data(max_entries=256, show_spinner=False)
def find_person(snapshot: str, key: str, household_id: str | None = None) -> Person | None:
    """The person a link names by :func:`person_token`. Never by the resident ID itself: a
    page that answered full IDs would let anyone who can open it test the few thousand IDs a
    masked one leaves open (birth dates) until one is found.

    With ``household_id`` only that household is searched, which keeps the lookup cheap.
    """
    where = "household_id = ?" if household_id else "true"
    params: list[object] = [household_id] if household_id else []
    rows = _rows(
        snapshot,
        f"""SELECT person_id, name, household_id, relation, village_code, category,
                   household_income, on_roster, phone
            FROM people JOIN person_keys AS k USING (person_id)
            WHERE {where} AND k.token = ?
            LIMIT 1""",
        [*params, key.lower()],
    )
    return Person(*rows[0][:7], bool(rows[0][7]), rows[0][8]) if rows else None


FUND_LAYERS = ["total_cost", "basic_paid", "critical_paid", "assistance_paid", "other_paid", "oop"]
_YEAR_COLUMNS = [*FUND_LAYERS, "claims", "inpatient_claims", "enrolled_active"]


@guarded(person_in_region())
@st.cache_data(max_entries=256, show_spinner=False)
def person_year_rows(
    snapshot: str, person_id: str, village: str | None = None
) -> dict[int, dict[str, object]]:
    """Every ``person_year`` row of a person, newest year first: year -> fund layers, OOP, claims.

    One query serves the year selector and the year's figures; ``village`` (the person's)
    lets the scan skip every other village's blocks.
    """
    place, at = _in_village(village)
    rows = _rows(
        snapshot,
        f"""SELECT year, {", ".join(_YEAR_COLUMNS)} FROM person_year
            WHERE person_id = ?{place}
            ORDER BY year DESC""",  # noqa: S608
        [person_id, *at],
    )
    return {int(r[0]): dict(zip(_YEAR_COLUMNS, r[1:], strict=True)) for r in rows}


@guarded(person_in_region())
def person_years(snapshot: str, person_id: str, village: str | None = None) -> list[int]:
    """The years a person has a ``person_year`` row, newest first."""
    return list(person_year_rows(snapshot, person_id, village))


@guarded(person_in_region())
def person_year_row(
    snapshot: str, person_id: str, year: int, village: str | None = None
) -> dict[str, object] | None:
    """A person's fund layers, OOP and claim count in ``year`` (Decimals), or None."""
    return person_year_rows(snapshot, person_id, village).get(year)


@open_to_all
@st.cache_data(max_entries=256, show_spinner=False)
def place_names(snapshot: str, village: str) -> dict[str, str]:
    """Names of a village and of every division above it: code -> name (nameless codes absent)."""
    rows = _rows(
        snapshot,
        "SELECT code, name FROM region_names WHERE list_contains(?, code)",
        [region_ancestors(village)[1:]],
    )
    return dict(rows)


CLAIM_COLUMNS = [
    "claim_id", "settle_date", "visit_type", "total_cost", "basic_paid", "critical_paid",
    "assistance_paid", "other_paid", "oop", "diagnosis", "hospital", "in_scope_remainder",
]  # fmt: skip


@guarded(person_in_region())
@st.cache_data(max_entries=256, show_spinner=False)
def person_claims(snapshot: str, person_id: str, year: int) -> pd.DataFrame:
    """A person's claims in force in ``year``, by settle date, each with its OOP (and the
    in-scope remainder the assistance replay starts from): the macro ``claims_in_force_of``
    (a store's over its claim segments, the national store's over the warehouse's raw claims).
    """
    rows = _rows(snapshot, "SELECT * FROM claims_in_force_of(?, ?)", [person_id, year])
    return pd.DataFrame.from_records(rows, columns=CLAIM_COLUMNS)


# A person's rows of the run-by-run tables (flag_entries, watch_entries, watch_changes) come
# through their person_id index. An entry with no to_run is on the latest run's list
# (pipeline/sql/watch.sql).

FLAG_COLUMNS = [
    "rule_id", "oop", "threshold", "severity", "explain_zh", "explain_en", "compared_oop",
]  # fmt: skip


@guarded(person_in_region())
@st.cache_data(max_entries=256, show_spinner=False)
def person_flags(snapshot: str, person_id: str, year: int) -> pd.DataFrame:
    """The rules that flag the person on the current watch-list for ``year``, one row each."""
    rows = _rows(
        snapshot,
        f"""WITH f AS MATERIALIZED ({_by_index("flag_entries", "person_id")})
            SELECT rule_id, oop, threshold, severity, explain_zh, explain_en,
                   coalesce(compared_oop, oop)
            FROM f
            WHERE year = ? AND to_run IS NULL
            ORDER BY rule_id""",  # noqa: S608
        [person_id, year],
    )
    return pd.DataFrame.from_records(rows, columns=FLAG_COLUMNS)


@guarded(person_in_region())
@st.cache_data(max_entries=256, show_spinner=False)
def person_watch(snapshot: str, person_id: str, year: int) -> dict[str, object] | None:
    """The person's current watch-list row for ``year`` (rules, severity, status, …), or None."""
    columns = ["rules", "oop", "threshold", "severity", "status", "first_flagged",
               "weeks_on_list", "explain_zh", "explain_en"]  # fmt: skip
    rows = _rows(
        snapshot,
        f"""WITH w AS MATERIALIZED ({_by_index("watch_entries", "person_id")}),
            latest AS (SELECT max(run_id) AS run_id FROM rule_runs)
            SELECT w.rules, w.oop, w.threshold, w.severity,
                   CASE WHEN w.since_run = latest.run_id THEN 'new' ELSE 'continuing' END,
                   w.first_flagged, latest.run_id - w.since_run + 1, w.explain_zh, w.explain_en
            FROM w CROSS JOIN latest
            WHERE w.year = ? AND w.to_run IS NULL""",  # noqa: S608
        [person_id, year],
    )
    return dict(zip(columns, rows[0], strict=True)) if rows else None


HISTORY_COLUMNS = ["run_id", "evaluated_at", "as_of", "on_list", "rules", "severity", "oop"]


@guarded(person_in_region())
@st.cache_data(max_entries=256, show_spinner=False)
def person_flag_history(snapshot: str, person_id: str, year: int) -> pd.DataFrame:
    """Every evaluation run, newest first: was the person on the list for ``year``, and why."""
    rows = _rows(
        snapshot,
        f"""WITH w AS MATERIALIZED ({_by_index("watch_entries", "person_id")})
            SELECT r.run_id, r.evaluated_at, r.as_of, w.person_id IS NOT NULL,
                   w.rules, w.severity, w.oop
            FROM rule_runs AS r
            LEFT JOIN w ON r.run_id >= w.from_run
                       AND r.run_id < coalesce(w.to_run, 2147483647) AND w.year = ?
            ORDER BY r.run_id DESC""",  # noqa: S608
        [person_id, year],
    )
    frame = pd.DataFrame.from_records(rows, columns=HISTORY_COLUMNS)
    return frame.astype({"run_id": "int64", "on_list": bool})


CHANGE_COLUMNS = ["run_id", "evaluated_at", "change", "reason", "rules_before", "oop_before",
                  "oop_now"]  # fmt: skip


@guarded(person_in_region())
@st.cache_data(max_entries=256, show_spinner=False)
def person_changes(snapshot: str, person_id: str, year: int) -> pd.DataFrame:
    """The person's entries to and exits from the list for ``year``, newest first."""
    rows = _rows(
        snapshot,
        f"""WITH c AS MATERIALIZED ({_by_index("watch_changes", "person_id")})
            SELECT {", ".join(CHANGE_COLUMNS)}
            FROM c JOIN rule_runs USING (run_id)
            WHERE c.year = ? ORDER BY run_id DESC""",  # noqa: S608
        [person_id, year],
    )
    return pd.DataFrame.from_records(rows, columns=CHANGE_COLUMNS)


ASSIST_COLUMNS = [
    "settle_date", "visit_type", "category", "remainder", "deductible_used", "ratio", "cap_left",
    "tilted", "entitled", "paid",
]  # fmt: skip


@guarded(person_in_region())
@st.cache_data(max_entries=256, show_spinner=False)
def person_assistance(snapshot: str, person_id: str, year: int) -> pd.DataFrame:
    """The medical-assistance replay's stored steps of the person's claims in ``year``: the
    claims the policy has a step for (``assist_claims``); :func:`assistance_table` adds the
    others."""
    rows = _rows(
        snapshot,
        # no index (every weekly import's commit had to rewrite it): the replay stores each
        # batch sorted by person, so the zone maps find one person's rows (3 ms at 1M people,
        # 37 ms when it was a scan)
        f"""SELECT claim_id, {", ".join(ASSIST_COLUMNS)} FROM assist_claims
            WHERE person_id = ? AND year = ? ORDER BY settle_date, claim_id""",  # noqa: S608
        [person_id, year],
    )
    return pd.DataFrame.from_records(rows, columns=["claim_id", *ASSIST_COLUMNS])


def assistance_table(
    stored: pd.DataFrame, claims: pd.DataFrame, category: str | None
) -> pd.DataFrame:
    """Every claim of the person-year with its replay step, in settlement order: the stored
    steps (:func:`person_assistance`) and, for each other claim in force (:func:`person_claims`),
    nothing entitled, with the person's category, which it had on its date (as the view
    ``assistance_claims`` gives them). What was paid then adds up to the year's."""
    others = claims[~claims["claim_id"].isin(stored["claim_id"])]
    filled = pd.DataFrame(
        {
            "claim_id": others["claim_id"],
            "settle_date": others["settle_date"],
            "visit_type": others["visit_type"],
            "category": category,
            "remainder": others["in_scope_remainder"],
            "deductible_used": Decimal("0.00"),
            "ratio": Decimal("0.0000"),
            "cap_left": None,
            "tilted": Decimal("0.00"),
            "entitled": Decimal("0.00"),
            "paid": others["assistance_paid"],
        }
    )
    frames = [f for f in (stored, filled) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=ASSIST_COLUMNS)
    every = pd.concat(frames, ignore_index=True).sort_values(["settle_date", "claim_id"])
    return every[ASSIST_COLUMNS].reset_index(drop=True)


FOLLOWUP_COLUMNS = [
    "day", "kind", "export_id", "outcome", "assistance", "notes", "superseded", "department",
]  # fmt: skip
INCLUDED = ("monitored", "dibao", "destitute")


@guarded(person_in_region())
@st.cache_data(max_entries=256, show_spinner=False)
def person_followup(snapshot: str, person_id: str, year: int) -> pd.DataFrame:
    """The person-year's follow-up, oldest first: every push to a department and its decisions
    (superseded ones marked), every export that listed them and every visit outcome returned
    (corrected ones marked), with assistance and notes (IDs in the notes masked). A snapshot
    made before the departments' tables shows exports and visits only."""
    if cases_ready(snapshot):
        sql = """SELECT day, CASE step WHEN 'visit' THEN 'outcome' ELSE step END, ref, code,
                        amount, notes, superseded, department
                 FROM case_timeline
                 WHERE person_id = ? AND year = ?
                   AND step IN ('pushed', 'decision', 'exported', 'visit')
                 ORDER BY happened_at, step"""
    else:
        sql = """SELECT day, kind, export_id, outcome, assistance, notes, superseded, NULL
                 FROM case_history
                 WHERE person_id = ? AND year = ? AND kind IN ('exported', 'outcome')
                 ORDER BY happened_at, kind"""
    frame = pd.DataFrame.from_records(_rows(snapshot, sql, [person_id, year]),
                                      columns=FOLLOWUP_COLUMNS)  # fmt: skip
    frame["notes"] = [
        schema.mask_text(n) if isinstance(n, str) and k != "pushed" else None if k == "pushed"
        else n for k, n in zip(frame["kind"], frame["notes"], strict=True)
    ]  # fmt: skip
    return frame


@guarded(person_in_region())
@st.cache_data(max_entries=256, show_spinner=False)
def person_category_decision(snapshot: str, person_id: str) -> dict[str, object] | None:
    """The latest standing decision that puts the person in a category (monitored, dibao,
    destitute): decision, department, decided_on; None when there is none (or the snapshot
    predates the departments' tables)."""
    if not cases_ready(snapshot):
        return None
    rows = _rows(
        snapshot,
        """SELECT decision, department, decided_on FROM decisions
           WHERE person_id = ? AND superseded_by IS NULL AND list_contains(?, decision)
           ORDER BY decided_on DESC, decision_id DESC LIMIT 1""",
        [person_id, list(INCLUDED)],
    )
    return (
        dict(zip(("decision", "department", "decided_on"), rows[0], strict=True)) if rows else None
    )


@dataclass(frozen=True)
class PersonPage:
    """Everything a person's page shows for one year (see the functions named like the fields)."""

    watch: dict[str, object] | None
    places: dict[str, str]
    members: pd.DataFrame | None
    claims: pd.DataFrame
    flags: pd.DataFrame
    history: pd.DataFrame
    changes: pd.DataFrame
    followup: pd.DataFrame
    assistance: pd.DataFrame


_PAGE_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="oopwatch-person")


@guarded(person_in_region(), shape=_members_in_region)
@st.cache_data(max_entries=256, show_spinner=False)
def person_page(
    snapshot: str,
    person_id: str,
    year: int,
    village: str | None,
    household: str | None,
    category: str | None = None,
) -> PersonPage:
    """A person's page data, its nine queries run at once on their own cursors (``category``,
    the person's current one, goes to the assistance table's claims without a replay step).

    DuckDB releases the GIL while it runs a query, so the claims scan (the longest) overlaps
    with the six index and village-pruned lookups: the page waits for the slowest, not the sum.
    """

    def raw(fn: object) -> object:
        return getattr(fn, "__wrapped__", fn)  # the undecorated function: no Streamlit in threads

    jobs = {
        "watch": (raw(person_watch), (snapshot, person_id, year)),
        "places": (raw(place_names), (snapshot, village)) if village else None,
        "members": (raw(household_members), (snapshot, year, household, village))
        if household
        else None,
        "claims": (raw(person_claims), (snapshot, person_id, year)),
        "flags": (raw(person_flags), (snapshot, person_id, year)),
        "history": (raw(person_flag_history), (snapshot, person_id, year)),
        "changes": (raw(person_changes), (snapshot, person_id, year)),
        "followup": (raw(person_followup), (snapshot, person_id, year)),
        "assistance": (raw(person_assistance), (snapshot, person_id, year)),
    }
    futures = {name: _PAGE_POOL.submit(job[0], *job[1]) for name, job in jobs.items() if job}
    results = {name: future.result() for name, future in futures.items()}
    return PersonPage(
        watch=results["watch"],
        places=results.get("places", {}),
        members=results.get("members"),
        claims=results["claims"],
        flags=results["flags"],
        history=results["history"],
        changes=results["changes"],
        followup=results["followup"],
        assistance=assistance_table(results["assistance"], results["claims"], category),
    )


SEARCH_LIMIT = 20
SEARCH_COLUMNS = [
    "person_id", "name", "relation", "household_id", "village_code", "township", "village",
    "category", "severity", "token",
]  # fmt: skip
_FULL_ID = re.compile(r"\d{17}[\dXx]")
_MASKED_ID = re.compile(r"([\dXx]*)\*+([\dXx]*)")


def search_terms(text: str) -> tuple[str, list[object]] | None:
    """The WHERE clause and parameters a typed search means, or None for nothing to search.

    A full resident ID finds that person; a masked one as printed on a list (``2301****123X``,
    any number of ``*``) the people whose ID starts and ends so; otherwise the text is a name
    (exact first, then containing it) or a household number.
    """
    text = " ".join(text.split())
    if not text:
        return None
    compact = text.replace(" ", "")
    if _FULL_ID.fullmatch(compact):
        return "p.person_id = ?", [compact.upper()]
    masked = _MASKED_ID.fullmatch(compact)
    if masked and (masked.group(1) or masked.group(2)):
        head, tail = masked.group(1).upper(), masked.group(2).upper()
        return (
            "starts_with(p.person_id, ?) AND ends_with(p.person_id, ?)"
            " AND length(p.person_id) >= ?",
            [head, tail, len(head) + len(tail)],
        )
    return "(p.name = ? OR contains(p.name, ?) OR p.household_id = ?)", [text, text, text]


@guarded(at_least("caseworker"), in_region())
@st.cache_data(max_entries=256, show_spinner=False)
def search_people(
    snapshot: str, text: str, region: str = "", year: int | None = None
) -> tuple[pd.DataFrame, bool]:
    """People of ``region`` whose name, household number or resident ID (full or masked) match
    ``text``: exact names first, then people on the watch-list for ``year``; at most
    SEARCH_LIMIT, and whether there were more."""
    terms = search_terms(text)
    if terms is None:
        return pd.DataFrame(columns=SEARCH_COLUMNS), False
    where, params = terms
    rows = _rows(
        snapshot,
        f"""SELECT p.person_id, p.name, p.relation, p.household_id, p.village_code, t.name,
                   coalesce(v.name, p.village_name, p.village_code), p.category, w.severity,
                   k.token
            FROM people AS p
            JOIN person_keys AS k USING (person_id)
            LEFT JOIN watchlist AS w ON w.person_id = p.person_id AND w.year = ?
            LEFT JOIN region_names AS v ON v.code = p.village_code AND v.level = 5
            LEFT JOIN region_names AS t ON t.code = substr(p.village_code, 1, 9) AND t.level = 4
            WHERE starts_with(coalesce(p.village_code, ''), ?) AND {where}
            ORDER BY p.name IS DISTINCT FROM ? , w.severity IS NULL, p.village_code,
                     p.household_id, p.person_id
            LIMIT ?""",  # noqa: S608
        [year, region, *params, text.strip(), SEARCH_LIMIT + 1],
    )
    frame = pd.DataFrame.from_records(rows[:SEARCH_LIMIT], columns=SEARCH_COLUMNS)
    return frame, len(rows) > SEARCH_LIMIT
