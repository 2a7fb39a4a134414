"""Queries of the watch-list page and its downloads (logged, masked unless an admin asks)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.data.access import (
    access,
    at_least,
    guarded,
    in_region,
    names_for,
    open_to_all,
)
from dashboard.data.overview import FOLLOW_UP_DAYS
from dashboard.data.snapshots import _rows, cursor, db_path
from pipeline import schema
from pipeline.access import activity, assignments, auth
from pipeline.cases import export

WATCH_LIMIT = 1000


@open_to_all
@st.cache_data(max_entries=32, show_spinner=False)
def watch_rules(snapshot: str) -> list[str]:
    """Rule ids that appear on the current watch-list."""
    rows = _rows(
        snapshot,
        "SELECT DISTINCT rule FROM region_watch_rules WHERE level = 0 ORDER BY rule",
    )
    return [r[0] for r in rows]


@open_to_all
@st.cache_data(max_entries=32, show_spinner=False)
def watch_categories(snapshot: str, year: int) -> list[str]:
    """Categories of the people on the year's watch-list (a filter offers only these)."""
    rows = _rows(
        snapshot,
        """SELECT category FROM (SELECT DISTINCT category FROM watch_page WHERE year = ?)
           JOIN codes ON codes.domain = 'category' AND codes.code = category ORDER BY ord""",
        [year],
    )
    return [r[0] for r in rows]


@open_to_all
@st.cache_data(max_entries=32, show_spinner=False)
def watch_years(snapshot: str) -> list[int]:
    """Years on the current watch-list, newest first."""
    rows = _rows(
        snapshot, "SELECT DISTINCT year FROM region_watch_rules WHERE level = 0 ORDER BY year DESC"
    )
    return [int(r[0]) for r in rows]


STAGE_FILTERS = (
    "flagged", "exported", "waiting", "unreachable", "visited", "helped", "moved", "deceased",
)  # fmt: skip


def _watch_where(
    year: int,
    region: str,
    rule: str | None,
    severity: str | None,
    status: str | None,
    category: str | None,
    stage: str | None = None,
    today: dt.date | None = None,
) -> tuple[str, list[object]]:
    """WHERE clause and its parameters for the watch-list filters (values never in the SQL).
    Stage ``waiting``: exported more than FOLLOW_UP_DAYS days before ``today``, no outcome."""
    clauses = ["w.year = ?", "starts_with(coalesce(w.village_code, ''), ?)"]
    params: list[object] = [year, region]
    optional = [
        ("list_contains(string_split(w.rules, ';'), ?)", rule),
        ("w.severity = ?", severity),
        ("w.status = ?", status),
        ("w.category = ?", category),
        ("w.stage = ?", stage if stage != "waiting" else None),
    ]
    for clause, value in optional:
        if value:
            clauses.append(clause)
            params.append(value)
    if stage == "waiting":
        clauses.append("w.stage = 'exported' AND CAST(w.first_exported_at AS DATE) < ?")
        params.append((today or dt.date.today()) - dt.timedelta(days=FOLLOW_UP_DAYS))
    return " AND ".join(clauses), params


WATCH_COLUMNS = [
    "person", "name", "township", "village", "category", "oop", "threshold", "compared_oop",
    "threshold_rule", "rules", "severity", "status", "weeks_on_list", "explain_zh",
    "explain_en", "stage", "token", "village_code", "household_id",
]  # fmt: skip


@guarded(in_region(), shape=lambda who, params, page: (names_for()(who, params, page[0]), page[1]))
@st.cache_data(max_entries=128, show_spinner=False)
def watchlist_page(
    snapshot: str,
    year: int,
    region: str = "",
    rule: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    category: str | None = None,
    stage: str | None = None,
    today: dt.date | None = None,
    limit: int = WATCH_LIMIT,
) -> tuple[pd.DataFrame, int]:
    """The filtered watch-list (new first, then severity high first, then OOP desc), at most
    ``limit`` rows, with person IDs masked, and the number of rows the filters match in all."""
    where, params = _watch_where(year, region, rule, severity, status, category, stage, today)
    total = _rows(snapshot, f"SELECT count(*) FROM watch_page AS w WHERE {where}", params)  # noqa: S608
    # watch_page is stored in display order: the first rows that match are the page (no sort
    # of the whole list per click); the outer ORDER BY only orders those rows.
    rows = _rows(
        snapshot,
        f"""SELECT person_id, name, township_name, village_name, category, oop, threshold,
                   compared_oop, threshold_rule, rules, severity, status, weeks_on_list,
                   explain_zh, explain_en, stage, token, village_code, household_id
            FROM (SELECT * FROM watch_page AS w WHERE {where} LIMIT ?)
            ORDER BY ord""",  # noqa: S608
        [*params, limit],
    )
    frame = pd.DataFrame.from_records(rows, columns=WATCH_COLUMNS)
    frame["person"] = [schema.mask_id(p) for p in frame["person"]]
    return frame, int(total[0][0])


HOUSEHOLD_COLUMNS = [
    "household_id", "names", "township", "village", "listed", "new", "severity", "listed_oop",
    "household_oop", "stages", "village_code",
]  # fmt: skip


def _household_names(who: auth.Access, params: dict, page: tuple) -> tuple:
    """Viewers see members' names masked and no household ids."""
    frame = page[0]
    if not who.sees_names:
        frame["names"] = [[auth.mask_name(n) for n in names] for names in frame["names"]]
        frame["household_id"] = None
    return frame, page[1]


@guarded(in_region(), shape=_household_names)
@st.cache_data(max_entries=64, show_spinner=False)
def watchlist_households(
    snapshot: str,
    year: int,
    region: str = "",
    rule: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    category: str | None = None,
    stage: str | None = None,
    today: dt.date | None = None,
    limit: int = WATCH_LIMIT,
) -> tuple[pd.DataFrame, int]:
    """The filtered watch-list grouped by household: one row per household with its listed
    members' names, how many are listed and new, the highest severity, their OOP and the
    household's, and their follow-up stages; the household with the most urgent member first.
    Also the number of households the filters match."""
    where, params = _watch_where(year, region, rule, severity, status, category, stage, today)
    group = "coalesce(w.household_id, '~' || w.person_id)"  # nobody's household: on their own
    total = _rows(
        snapshot, f"SELECT count(DISTINCT {group}) FROM watch_page AS w WHERE {where}", params
    )  # noqa: S608
    rows = _rows(
        snapshot,
        f"""SELECT any_value(w.household_id), list(w.name ORDER BY w.hh_ord),
                   any_value(w.township_name), any_value(w.village_name), count(*),
                   count(*) FILTER (WHERE w.status = 'new'),
                   CASE min(CASE w.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END)
                       WHEN 0 THEN 'high' WHEN 1 THEN 'medium' ELSE 'low' END,
                   CAST(sum(w.oop) AS DECIMAL(14,2)), any_value(w.household_oop),
                   list(DISTINCT w.stage), any_value(w.village_code)
            FROM watch_page AS w
            WHERE {where}
            GROUP BY {group}
            ORDER BY min(w.hh_ord)
            LIMIT ?""",  # noqa: S608
        [*params, limit],
    )
    frame = pd.DataFrame.from_records(rows, columns=HOUSEHOLD_COLUMNS)
    return frame, int(total[0][0])


# ---- exports, returns and follow-up (pipeline.export / pipeline.returns write these tables)


@guarded(at_least("caseworker"), in_region())
@st.cache_data(max_entries=64, show_spinner=False)
def watchlist_file(
    snapshot: str,
    year: int,
    region: str = "",
    rule: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    category: str | None = None,
    lang: str = "zh",
    kind: str = "xlsx",
    made_by: str = "dashboard",
    by_household: bool = False,
    assigned: int = 0,
) -> tuple[bytes, int, str]:
    """The filtered watch-list as the caseworkers' file (the ``oopwatch export`` writer): its
    bytes, its row count and its sha256. IDs masked; every row matching the filters."""
    cur = cursor(snapshot)
    try:
        found = export.fetch(
            cur, year, region,
            rules=[rule] if rule else None, severities=[severity] if severity else None,
            statuses=[status] if status else None, categories=[category] if category else None,
            made_by=made_by, by_household=by_household,
        )  # fmt: skip
    finally:
        cur.close()
    found.assignees = export.assignees_for(db_path(), year)  # ``assigned``: their version
    content = export.xlsx_bytes(found, lang) if kind == "xlsx" else export.csv_bytes(found, lang)
    return content, len(found.rows), hashlib.sha256(content).hexdigest()


LIST_ACTIONS = (auth.EXPORT, auth.DOWNLOAD, "returns", "push", "feedback")


def record_download(db: Path, user: str, target: str, filters: dict, rows: int, sha: str) -> None:
    """Append a dashboard download of the watch-list (masked IDs) to the activity log."""
    activity.record(
        db, user=user, source="dashboard", action=auth.DOWNLOAD, target=target, filters=filters,
        rows=rows, full_ids=False, sha256=sha, detail="masked IDs",
    )  # fmt: skip


@guarded(at_least("caseworker"), in_region())
def download_file(
    snapshot: str, file_name: str, year: int, region: str = "", rule: str | None = None,
    severity: str | None = None, status: str | None = None, category: str | None = None,
    lang: str = "zh", kind: str = "xlsx", by_household: bool = False,
) -> bytes:  # fmt: skip
    """The watch-list file a caseworker downloads (masked IDs), logged under their name;
    ``by_household``: a household's members together, as the list grouped by household."""
    who = access()
    chosen = {"year": year, "region": region, "rule": rule, "severity": severity,
              "status": status, "category": category}  # fmt: skip
    body, rows, sha = watchlist_file(
        snapshot,
        **chosen,
        lang=lang,
        kind=kind,
        made_by=who.user,
        by_household=by_household,
        assigned=assignments.version(db_path()),
    )
    record_download(db_path(), who.user, file_name, {**chosen, "lang": lang}, rows, sha)
    return body


MIN_REASON = 4


@guarded(at_least("admin"), in_region())
def full_id_file(
    snapshot: str, reason: str, file_name: str, year: int, region: str = "",
    rule: str | None = None, severity: str | None = None, status: str | None = None,
    category: str | None = None, lang: str = "zh", kind: str = "xlsx",
) -> tuple[bytes, int]:  # fmt: skip
    """The watch-list with FULL resident IDs (admins only, never cached): its bytes and rows.

    The reason is required and logged with who, when, the filters and the file's sha256.
    """
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise ValueError(f"a full-ID export needs a reason of at least {MIN_REASON} characters")
    who = access()
    cur = cursor(snapshot)
    try:
        found = export.fetch(
            cur, year, region,
            rules=[rule] if rule else None, severities=[severity] if severity else None,
            statuses=[status] if status else None, categories=[category] if category else None,
            full_ids=True, made_by=who.user,
        )  # fmt: skip
    finally:
        cur.close()
    found.assignees = export.assignees_for(db_path(), year)  # ``assigned``: their version
    content = export.xlsx_bytes(found, lang) if kind == "xlsx" else export.csv_bytes(found, lang)
    filters = {"year": year, "region": region, "rule": rule, "severity": severity,
               "status": status, "category": category, "lang": lang}  # fmt: skip
    activity.record(
        db_path(), user=who.user, source="dashboard", action=auth.EXPORT, target=file_name,
        filters=filters, rows=len(found.rows), full_ids=True,
        sha256=hashlib.sha256(content).hexdigest(), detail=f"reason: {reason}",
    )  # fmt: skip
    return content, len(found.rows)
