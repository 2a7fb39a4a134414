"""Following every case to its outcome: where each case stands and what is overdue, the
departmental funnel, which pushes are due, and the cohort outcomes (who actually fell back).

Each function runs one SQL file of ``pipeline/sql/cases/`` on any connection to a store or its
snapshot (read-only is fine) and returns a DataFrame; the deadlines, cadences and calendar come
from the push policy (``rules/push.toml``, ``rules/holidays.csv``). The dashboard, the exports
and the CLI share them.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from pipeline import store
from pipeline.rules.push_policy import PushPolicy

CASE_COLUMNS = [
    "person_id", "year", "name", "village_code", "village_name", "category", "oop", "severity",
    "on_watchlist", "stage", "flagged_on", "last_pushed_at", "decision", "decided_on",
    "decision_due", "decision_overdue", "exported_on", "visit_due", "visit_overdue",
]  # fmt: skip


def _frame(con: duckdb.DuckDBPyConnection, name: str, params: list) -> pd.DataFrame:
    cursor = con.execute(store.sql(name), params)
    columns = [d[0] for d in cursor.description]
    return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)


def calendar(policy: PushPolicy) -> tuple[list[dt.date], list[dt.date]]:
    """(holidays, worked weekend days) of the policy's calendar."""
    holidays = [day for day, kind, _name in policy.holidays if kind == "holiday"]
    workdays = [day for day, kind, _name in policy.holidays if kind == "workday"]
    return holidays, workdays


def cases(
    con: duckdb.DuckDBPyConnection,
    policy: PushPolicy,
    year: int,
    region: str = "",
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Every case of the region and year (``CASE_COLUMNS``), with its deadlines and whether a
    decision or a visit is overdue (``sql/cases/case_list.sql``)."""
    holidays, workdays = calendar(policy)
    params = [
        today or dt.date.today(), policy.decision_working_days, policy.visit_days, holidays,
        workdays, region or "", int(year),
    ]  # fmt: skip
    return _frame(con, "cases/case_list.sql", params)[CASE_COLUMNS]


def overdue_by_region(frame: pd.DataFrame, level: int) -> pd.DataFrame:
    """Overdue decisions and visits counted per region code of ``level`` digits."""
    codes = frame["village_code"].fillna("").str[:level]
    out = (
        frame.assign(region=codes)
        .groupby("region", as_index=False)
        .agg(
            cases=("person_id", "size"),
            decision_overdue=("decision_overdue", "sum"),
            visit_overdue=("visit_overdue", "sum"),
        )
    )
    return out.astype({"decision_overdue": "int64", "visit_overdue": "int64"})


def funnel(
    con: duckdb.DuckDBPyConnection, year: int, region: str = "", level: int | None = None
) -> pd.DataFrame:
    """The departmental funnel of the region and year, one row per child region of ``level``
    digits (or one row for the region): flagged → pushed → verified → included → assisted,
    with the median days between the steps (``sql/cases/department_funnel.sql``)."""
    return _frame(
        con, "cases/department_funnel.sql", [int(year), region or "", level or len(region or "")]
    )


def pushes_due(
    con: duckdb.DuckDBPyConnection,
    policy: PushPolicy,
    year: int,
    region: str = "",
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Per department and cadence of the policy: the last push covering the region, when the
    next is due and whether it is (``sql/cases/pushes_due.sql``)."""
    rows = [
        (dept, list(c.categories), c.every_days) for c in policy.cadences for dept in c.departments
    ]
    return _frame(
        con,
        "cases/pushes_due.sql",
        [
            [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
            int(year), region or "", today or dt.date.today(),
        ],
    )  # fmt: skip


def outcomes(
    con: duckdb.DuckDBPyConnection, year: int, region: str = "", as_of: dt.date | None = None
) -> pd.DataFrame:
    """Who actually fell back: of the people first flagged in ``year``, within 12 months of the
    flag, how many entered monitoring or dibao, had their risk eliminated, moved to a poorer
    category on the roster, or were over the line again in a later year; split by assisted or
    not and by days from flag to visit (``sql/cases/outcomes.sql``)."""
    return _frame(con, "cases/outcomes.sql", [int(year), region or "", as_of or dt.date.today()])


def outcome_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The cohort outcomes as people read them: group labels, counts and shares of the group."""
    from pipeline.labels import COHORT_COLUMNS, COHORT_GROUPS, label

    out = pd.DataFrame(
        {
            label(COHORT_COLUMNS, "group", lang): [
                label(COHORT_GROUPS, g, lang) for g in frame["group"]
            ],
            label(COHORT_COLUMNS, "people", lang): frame["people"],
            label(COHORT_COLUMNS, "complete", lang): frame["complete"],
        }
    )
    for key in ("included", "eliminated", "moved_down", "over_later"):
        people = frame["people"].where(frame["people"] > 0)
        out[label(COHORT_COLUMNS, key, lang)] = frame[key]
        out[label(COHORT_COLUMNS, "share", lang).format(what=label(COHORT_COLUMNS, key, lang))] = [
            None if pd.isna(s) else round(float(s) * 100, 1) for s in frame[key] / people
        ]
    return out


def outcomes_xlsx(frame: pd.DataFrame, year: int, region: str, as_of: dt.date, lang: str) -> bytes:
    """The cohort outcomes as a workbook: what was counted, then the table."""
    import io

    import xlsxwriter

    from pipeline.labels import COHORT_COLUMNS, label

    table = outcome_table(frame, lang)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(label(COHORT_COLUMNS, "sheet", lang))
    bold = book.add_format({"bold": True})
    title = label(COHORT_COLUMNS, "title", lang).format(year=year, region=region or "全国")
    sheet.write_string(0, 0, title, bold)
    sheet.write_string(1, 0, label(COHORT_COLUMNS, "about", lang).format(as_of=as_of))
    for c, head in enumerate(table.columns):
        sheet.write_string(3, c, str(head), bold)
        sheet.set_column(c, c, max(12, min(40, len(str(head)) * 2)))
        for r, value in enumerate(table[head], start=4):
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif value is not None and not pd.isna(value):
                sheet.write_number(r, c, float(value))
    book.close()
    return buffer.getvalue()
