"""Queries of the imports and data-quality page, and the export and return logs."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import streamlit as st

from dashboard.data.access import (
    _returns_in_region,
    at_least,
    guarded,
    names_for,
    national_admin,
    open_to_all,
    rows_in_region,
)
from dashboard.data.cases import cases_ready
from dashboard.data.snapshots import _rows
from pipeline import schema

mask_text = schema.mask_text  # kept: pages and tests import it from here


PROVINCE_PUBLISH_COLUMNS = [
    "province", "name", "published_at", "imports", "last_import", "people", "listed",
]  # fmt: skip


@guarded(shape=rows_in_region("province"))
@st.cache_data(max_entries=8, show_spinner=False)
def province_publishes(snapshot: str) -> pd.DataFrame:
    """A national dashboard's provinces: each one's last publish to the warehouse, the imports
    its raw files come from, its people and listed person-years in the build (code order)."""
    rows = _rows(
        snapshot,
        """SELECT p.province, n.name, p.published_at, p.imports, p.last_import, p.people,
                  p.listed
           FROM national_provinces AS p
           LEFT JOIN region_names AS n ON n.code = p.province
           ORDER BY p.province""",
    )
    return pd.DataFrame.from_records(rows, columns=PROVINCE_PUBLISH_COLUMNS)


@open_to_all
@st.cache_data(max_entries=32, show_spinner=False)
def imports_table(snapshot: str) -> pd.DataFrame:
    """Every imported file, newest import first."""
    rows = _rows(
        snapshot,
        """SELECT import_id, file, kind, format, encoding, rows_read, rows_loaded, rows_rejected,
                  imported_at, sha256
           FROM imports ORDER BY import_id DESC, file""",
    )
    columns = [
        "import_id", "file", "kind", "format", "encoding", "rows_read", "rows_loaded",
        "rows_rejected", "imported_at", "sha256",
    ]  # fmt: skip
    return pd.DataFrame.from_records(rows, columns=columns)


@open_to_all
@st.cache_data(max_entries=32, show_spinner=False)
def reject_reasons(snapshot: str) -> pd.DataFrame:
    """Rejected rows per reason: count and the files they came from, most frequent first."""
    rows = _rows(
        snapshot,
        """SELECT reason, count(*) AS rows, count(DISTINCT file) AS files
           FROM rejected_rows GROUP BY reason ORDER BY rows DESC, reason""",
    )
    return pd.DataFrame.from_records(rows, columns=["reason", "rows", "files"])


@guarded(national_admin)
@st.cache_data(max_entries=32, show_spinner=False)
def reject_examples(snapshot: str, per_reason: int = 3) -> pd.DataFrame:
    """A few rejected rows per reason (newest first), resident IDs masked in every text."""
    rows = _rows(
        snapshot,
        """WITH picked AS (  -- the first rows of the newest import per reason, no full sort
               SELECT reason,
                      unnest(min_by({'import_id': import_id, 'file': file, 'line': line,
                                     'raw': raw, 'detail': detail},
                                    {'i': -import_id, 'f': file, 'l': line}, ?)) AS x
               FROM rejected_rows GROUP BY reason
           )
           SELECT reason, x.file, x.line, x.raw, x.detail FROM picked
           ORDER BY reason, x.import_id DESC, x.file, x.line""",
        [per_reason],
    )
    frame = pd.DataFrame.from_records(rows, columns=["reason", "file", "line", "raw", "detail"])
    frame["raw"] = [mask_text(v) for v in frame["raw"]]
    frame["detail"] = [mask_text(v) for v in frame["detail"]]
    return frame


_OOP = "total_cost - basic_paid - critical_paid - assistance_paid - coalesce(other_paid, 0)"


@guarded(national_admin)
@st.cache_data(max_entries=32, show_spinner=False)
def unmatched_claims(snapshot: str, limit: int = 200) -> tuple[pd.DataFrame, int, Decimal]:
    """Claims waiting for a roster, per (masked) person, and their total count and OOP."""
    total = _rows(snapshot, f"SELECT count(*), coalesce(sum({_OOP}), 0) FROM unmatched_claims")
    rows = _rows(
        snapshot,
        f"""SELECT person_id, count(*) AS claims, sum({_OOP}) AS oop,
                   min(settle_date) AS first, max(settle_date) AS last
            FROM unmatched_claims GROUP BY person_id
            ORDER BY claims DESC, person_id LIMIT ?""",  # noqa: S608
        [limit],
    )
    frame = pd.DataFrame.from_records(rows, columns=["person", "claims", "oop", "first", "last"])
    frame["person"] = [schema.mask_id(p) for p in frame["person"]]
    return frame, int(total[0][0]), Decimal(total[0][1])


@guarded(shape=rows_in_region("code"))
@st.cache_data(max_entries=32, show_spinner=False)
def unknown_divisions(snapshot: str) -> pd.DataFrame:
    """Division codes of known people that the bundled names lack: level, code, counts."""
    rows = _rows(
        snapshot,
        "SELECT level, code, households, people FROM unknown_divisions ORDER BY level, code",
    )
    return pd.DataFrame.from_records(rows, columns=["level", "code", "households", "people"])


@guarded(shape=rows_in_region("county"))
@st.cache_data(max_entries=32, show_spinner=False)
def quiet_weeks(snapshot: str, share: float = 0.5, weeks: int = 52) -> pd.DataFrame:
    """County weeks with fewer claims than ``share`` of that county's median weekly count.

    Bounded: only the last ``weeks`` complete ISO weeks before the newest settlement date (the
    week holding that date may be incomplete and is left out); weeks with no claim count as 0.
    """
    rows = _rows(
        snapshot,
        """WITH edge AS (
               SELECT max(week) AS this_week FROM county_week_claims
           ),
           span AS (
               SELECT CAST(this_week - to_weeks(?) AS DATE) AS first_week,
                      CAST(this_week AS DATE) AS this_week FROM edge
           ),
           counted AS (
               SELECT c.county, c.week, c.claims
               FROM county_week_claims AS c, span
               WHERE c.week >= span.first_week AND c.week < span.this_week
           ),
           counties AS (
               SELECT county, min(week) AS since FROM counted GROUP BY county
           ),
           grid AS (
               SELECT k.county, CAST(g.week AS DATE) AS week
               FROM counties AS k, span,
                    generate_series(k.since, span.this_week - INTERVAL 7 DAY, INTERVAL 7 DAY)
                        AS g(week)
           ),
           filled AS (
               SELECT g.county, g.week, coalesce(c.claims, 0) AS claims
               FROM grid AS g LEFT JOIN counted AS c USING (county, week)
           ),
           usual AS (
               SELECT county, median(claims) AS median FROM filled GROUP BY county
           )
           SELECT f.county, coalesce(n.name, f.county) AS name, f.week, f.claims, u.median
           FROM filled AS f
           JOIN usual AS u USING (county)
           LEFT JOIN region_names AS n ON n.code = f.county AND n.level = 3
           WHERE f.claims < ? * u.median
           ORDER BY f.week DESC, f.county
           LIMIT 500""",
        [weeks, share],
    )
    return pd.DataFrame.from_records(rows, columns=["county", "name", "week", "claims", "median"])


UNUSUAL_COLUMNS = ["county", "name", "week", "metric", "value", "median", "z"]


@guarded(shape=rows_in_region("county"))
@st.cache_data(max_entries=32, show_spinner=False)
def unusual_weeks(snapshot: str) -> pd.DataFrame:
    """County weeks of the last 8 unlike the county's own history (``county_week_anomalies``:
    claims, OOP, medical-assistance share by the modified z-score), newest first."""
    rows = _rows(
        snapshot,
        """SELECT a.county, coalesce(n.name, a.county), a.week, a.metric, a.value, a.median, a.z
           FROM county_week_anomalies AS a
           LEFT JOIN region_names AS n ON n.code = a.county AND n.level = 3
           ORDER BY a.week DESC, a.county, a.metric
           LIMIT 500""",
    )
    return pd.DataFrame.from_records(rows, columns=UNUSUAL_COLUMNS)


CATEGORY_COLUMNS = [
    "person_id", "name", "village_code", "village_name", "roster_category", "decision",
    "department", "decided_on", "days",
]  # fmt: skip


@guarded(shape=lambda who, params, frame: names_for()(
    who, params, rows_in_region("village_code")(who, params, frame)))  # fmt: skip
@st.cache_data(max_entries=32, show_spinner=False)
def category_disagreements(snapshot: str, days: int) -> pd.DataFrame:
    """Departments' decisions (monitored, dibao, destitute) the roster has not followed more
    than ``days`` days after them (``category_decisions``), the longest waiting first."""
    if not cases_ready(snapshot):
        return pd.DataFrame(columns=CATEGORY_COLUMNS)
    rows = _rows(
        snapshot,
        """SELECT c.person_id, c.name, c.village_code, n.name, c.roster_category, c.decision,
                  c.department, c.decided_on, c.days
           FROM category_decisions AS c
           LEFT JOIN region_names AS n ON n.code = c.village_code AND n.level = 5
           WHERE NOT c.confirmed AND c.days > ? ORDER BY c.days DESC, c.person_id LIMIT 500""",
        [int(days)],
    )
    return pd.DataFrame.from_records(rows, columns=CATEGORY_COLUMNS)


EXPORT_LOG_COLUMNS = ["export_id", "made_at", "os_user", "year", "region", "format", "rows",
                      "full_ids", "file", "sha256"]  # fmt: skip


@guarded(at_least("admin"), shape=rows_in_region("region"))
@st.cache_data(max_entries=32, show_spinner=False)
def export_log(snapshot: str) -> pd.DataFrame:
    """Every ``oopwatch export``, newest first (who, when, what, how many rows, masked or full)."""
    rows = _rows(
        snapshot,
        f"SELECT {', '.join(EXPORT_LOG_COLUMNS)} FROM exports ORDER BY made_at DESC LIMIT 500",  # noqa: S608
    )
    return pd.DataFrame.from_records(rows, columns=EXPORT_LOG_COLUMNS)


RETURN_LOG_COLUMNS = ["return_id", "file", "returned_at", "os_user", "export_id", "rows_read",
                      "rows_loaded", "rows_rejected", "rows_unfilled", "region"]  # fmt: skip


@guarded(at_least("admin"), shape=_returns_in_region)
@st.cache_data(max_entries=32, show_spinner=False)
def return_log(snapshot: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every returned file (newest first) with its export's region, and its rejected rows
    (reason, sheet, row, masked)."""
    columns = ", ".join(f"f.{c}" for c in RETURN_LOG_COLUMNS[:-1])
    files = _rows(
        snapshot,
        f"""SELECT {columns}, e.region FROM return_files AS f
            LEFT JOIN exports AS e USING (export_id)
            ORDER BY f.return_id DESC LIMIT 500""",  # noqa: S608
    )
    rejects = _rows(
        snapshot,
        """SELECT return_id, file, sheet, "row", reason, detail, raw FROM return_rejects
           ORDER BY return_id DESC, file, sheet, "row" LIMIT 1000""",
    )
    reject_frame = pd.DataFrame.from_records(
        rejects, columns=["return_id", "file", "sheet", "row", "reason", "detail", "raw"]
    )
    reject_frame["raw"] = [mask_text(v) for v in reject_frame["raw"]]
    return pd.DataFrame.from_records(files, columns=RETURN_LOG_COLUMNS), reject_frame
