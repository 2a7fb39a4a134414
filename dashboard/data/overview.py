"""Queries of the overview: years, headline figures, regional marts, the follow-up funnel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.data.access import (
    guarded,
    in_region,
    names_for,
    national,
    open_to_all,
    rows_in_region,
)
from dashboard.data.snapshots import NoSnapshot, _rows, current, cursor
from pipeline import schema
from pipeline.cases import returns

OOP_LINE = Decimal("10000")  # the contract's line; region_year.over_line counts OOP strictly above


# ---------------------------------------------------------------- queries


@open_to_all
@st.cache_data(max_entries=32, show_spinner=False)
def years(snapshot: str) -> list[int]:
    """Calendar years in ``person_year``, newest first."""
    rows = _rows(snapshot, "SELECT year FROM region_year WHERE level = 0 ORDER BY year DESC")
    return [int(r[0]) for r in rows]


@open_to_all
@st.cache_data(max_entries=32, show_spinner=False)
def default_year(snapshot: str) -> int | None:
    """The latest year with claims, else the latest year with anything, else None."""
    rows = _rows(
        snapshot,
        """SELECT year FROM region_year WHERE level = 0
           ORDER BY coalesce(claims, 0) > 0 DESC, year DESC LIMIT 1""",
    )
    return int(rows[0][0]) if rows else None


@dataclass(frozen=True)
class Totals:
    """Headline figures of one year."""

    people: int
    claims: int
    oop: Decimal
    over_line: int


@guarded(national)
def overview_totals(snapshot: str, year: int) -> Totals:
    """People, claims, total OOP and people whose annual OOP is over the line, nationally."""
    figures = region_figures(snapshot, year, "")
    return Totals(figures.people, figures.claims, figures.oop, figures.over_line)


PROVINCE_COLUMNS = ["province_code", "province", "people", "claims", "oop", "over_line"]


@guarded(national)
@st.cache_data(max_entries=128, show_spinner=False)
def overview_by_province(snapshot: str, year: int) -> pd.DataFrame:
    """Per province (code order): name, people, claims, total OOP (Decimal), people over the line.

    ``province`` is the division name, the bare code when the bundled names lack it, and None
    for people placed nowhere (no village code: national figures less the provinces').
    Read from ``region_year`` (built at import), a few dozen rows.
    """
    rows = _rows(
        snapshot,
        """WITH provinces AS (
               SELECT code, name, people, coalesce(claims, 0) AS claims,
                      coalesce(oop, 0) AS oop, over_line
               FROM region_year WHERE year = ? AND level = 1
           ),
           placed AS (
               SELECT coalesce(sum(people), 0) AS people, coalesce(sum(claims), 0) AS claims,
                      coalesce(sum(oop), 0) AS oop, coalesce(sum(over_line), 0) AS over_line
               FROM provinces
           )
           SELECT code, name, people, claims, oop, over_line FROM provinces
           UNION ALL
           SELECT NULL, NULL, n.people - p.people, coalesce(n.claims, 0) - p.claims,
                  coalesce(n.oop, 0) - p.oop, n.over_line - p.over_line
           FROM region_year AS n, placed AS p
           WHERE n.year = ? AND n.level = 0 AND n.people > p.people
           ORDER BY code NULLS LAST""",
        [year, year],
    )
    frame = pd.DataFrame.from_records(rows, columns=PROVINCE_COLUMNS)
    return frame.astype({"people": "int64", "claims": "int64", "over_line": "int64"})


@dataclass(frozen=True)
class LastImport:
    """The newest import in a snapshot."""

    import_id: int
    imported_at: dt.datetime
    imports: int
    data_date: dt.date | None = None  # the latest settlement date in force (the rule run's)


@dataclass(frozen=True)
class NationalBuild:
    """What a national dashboard's store holds (``oopwatch serve --warehouse``)."""

    built_at: dt.datetime
    engine: str
    provinces: tuple[str, ...]


@open_to_all
@st.cache_data(max_entries=8, show_spinner=False)
def national_build(snapshot: str) -> NationalBuild | None:
    """The national build a national dashboard's store holds (when, on which engine, from
    which provinces), or None for a province's store."""
    meta = dict(
        _rows(
            snapshot,
            "SELECT key, value FROM meta WHERE key IN ('national_build', 'national_engine')",
        )
    )
    if "national_build" not in meta:
        return None
    provinces = _rows(snapshot, "SELECT province FROM national_provinces ORDER BY province")
    return NationalBuild(
        dt.datetime.fromisoformat(meta["national_build"]),
        meta.get("national_engine", ""),
        tuple(p for (p,) in provinces),
    )


@open_to_all
def is_national(db: str) -> bool:
    """Whether the store served is a national dashboard's (``serve --warehouse``)."""
    try:
        snapshot = current(Path(db))
    except NoSnapshot:
        return False
    return national_build(snapshot) is not None


@open_to_all
@st.cache_data(max_entries=8, show_spinner=False)
def is_demo(snapshot: str) -> bool:
    """True when the store holds the synthetic demo data ``serve`` built from sample_data/."""
    return bool(_rows(snapshot, "SELECT 1 FROM meta WHERE key = 'demo'"))


@open_to_all
@st.cache_data(max_entries=32, show_spinner=False)
def last_import(snapshot: str) -> LastImport | None:
    """The newest import (id and time), how many imports the snapshot holds, and the data's
    date: the latest settlement date in force, as the latest rule run saw it."""
    rows = _rows(
        snapshot,
        """SELECT max(import_id), max(imported_at), count(DISTINCT import_id),
                  (SELECT as_of FROM rule_runs ORDER BY run_id DESC LIMIT 1)
           FROM imports""",
    )
    import_id, when, n, as_of = rows[0]
    if import_id is None:
        return None
    return LastImport(int(import_id), when, int(n), as_of)


# ---- watch-list, quality and overview

SEVERITIES = ("high", "medium", "low")
PARTICIPATION_TARGET = Decimal("0.999")
STALE_AFTER = dt.timedelta(days=8)


@guarded(shape=rows_in_region("code"))
@st.cache_data(max_entries=32, show_spinner=False)
def regions(snapshot: str) -> pd.DataFrame:
    """Provinces, cities and counties where people of any year live: code, level, name, path.

    ``path`` names the division with its parents (``黑龙江省 · 哈尔滨市 · 方正县``); a code the
    bundled names lack is shown as the code.
    """
    rows = _rows(
        snapshot,
        """SELECT code, level, any_value(name) FROM region_year
           WHERE level BETWEEN 1 AND 3 GROUP BY code, level ORDER BY code""",
    )
    frame = pd.DataFrame.from_records(rows, columns=["code", "level", "name"])
    names = dict(zip(frame["code"], frame["name"], strict=True))
    frame["path"] = [
        " · ".join(names.get(code[:n], code[:n]) for n in (2, 4, 6)[:level])
        for code, level in zip(frame["code"], frame["level"], strict=True)
    ]
    return frame


@open_to_all
@st.cache_data(max_entries=32, show_spinner=False)
def category_labels(snapshot: str, lang: str) -> dict[str, str]:
    """Category code -> its label in ``lang`` (``zh`` or ``en``), in the bureau's order."""
    column = "label_en" if lang == "en" else "label_zh"
    rows = _rows(
        snapshot,
        f"SELECT code, {column} FROM codes WHERE domain = 'category' ORDER BY ord",  # noqa: S608
    )
    return {code: label for code, label in rows}


@open_to_all
@st.cache_data(max_entries=32, show_spinner=False)
def code_labels(snapshot: str, domain: str) -> dict[str, tuple[str, str]]:
    """Code -> (Chinese, English) label of one domain of the ``codes`` table."""
    rows = _rows(
        snapshot,
        "SELECT code, label_zh, label_en FROM codes WHERE domain = ? ORDER BY ord",
        [domain],
    )
    return {code: (zh, en) for code, zh, en in rows}


FUNNEL_STAGES = ("flagged", "exported", "visited", "helped")
FOLLOW_UP_DAYS = 14


@guarded(in_region())
@st.cache_data(max_entries=128, show_spinner=False)
def case_funnel(snapshot: str, year: int, region: str = "") -> dict[str, int]:
    """Flagged → exported → visited → helped for the region and year, and the number exported
    more than 14 days ago with no outcome (``waiting``)."""
    cur = cursor(snapshot)
    try:
        return returns.funnel(cur, year, region, dt.date.today(), FOLLOW_UP_DAYS)
    finally:
        cur.close()


WAITING_COLUMNS = ["person", "name", "village", "severity", "exported_at", "export_id", "days"]


@guarded(in_region(), shape=names_for())
@st.cache_data(max_entries=64, show_spinner=False)
def waiting_cases(snapshot: str, year: int, region: str = "", limit: int = 500) -> pd.DataFrame:
    """People exported more than 14 days ago with no visit outcome yet, longest waiting first."""
    rows = _rows(
        snapshot,
        """SELECT c.person_id, p.name, coalesce(n.name, c.village_code), c.severity,
                  c.first_exported_at, c.last_export_id,
                  date_diff('day', CAST(c.first_exported_at AS DATE), current_date)
           FROM case_status AS c
           LEFT JOIN people AS p USING (person_id)
           LEFT JOIN region_names AS n ON n.code = c.village_code AND n.level = 5
           WHERE c.year = ? AND starts_with(coalesce(c.village_code, ''), ?)
             AND c.stage = 'exported'
             AND CAST(c.first_exported_at AS DATE) < current_date - ?
           ORDER BY c.first_exported_at, c.person_id
           LIMIT ?""",
        [year, region, FOLLOW_UP_DAYS, limit],
    )
    frame = pd.DataFrame.from_records(rows, columns=WAITING_COLUMNS)
    frame["person"] = [schema.mask_id(p) for p in frame["person"]]
    return frame


@dataclass(frozen=True)
class RegionFigures:
    """A region's figures for one year (money as Decimal)."""

    people: int
    roster_people: int
    enrolled_active: int
    claims: int
    total_cost: Decimal
    basic_paid: Decimal
    critical_paid: Decimal
    assistance_paid: Decimal
    other_paid: Decimal
    oop: Decimal
    over_line: int

    @property
    def participation(self) -> Decimal | None:
        """Share of roster people with active enrolment, or None with no roster people."""
        if not self.roster_people:
            return None
        return Decimal(self.enrolled_active) / Decimal(self.roster_people)


_FIGURE_COLUMNS = """people, roster_people, enrolled_active, claims, total_cost, basic_paid,
                     critical_paid, assistance_paid, other_paid, oop, over_line"""


@guarded(in_region())
@st.cache_data(max_entries=128, show_spinner=False)
def region_figures(snapshot: str, year: int, region: str = "") -> RegionFigures:
    """People, roster people, active enrolment, claims, cost split and people over the line.

    One row of ``region_year`` (built at import); a region with no people gets zeros.
    """
    rows = _rows(
        snapshot,
        f"SELECT {_FIGURE_COLUMNS} FROM region_year WHERE year = ? AND code = ?",  # noqa: S608
        [year, region],
    )
    r = rows[0] if rows else (0,) * 11
    counts = [int(v or 0) for v in (r[0], r[1], r[2], r[3])]
    money = [Decimal(v or 0) for v in r[4:10]]
    return RegionFigures(*counts, *money, int(r[10] or 0))


@guarded(in_region())
@st.cache_data(max_entries=128, show_spinner=False)
def people_by_category(snapshot: str, year: int, region: str = "") -> pd.DataFrame:
    """Roster people of the year per category code (bureau order), with a count."""
    rows = _rows(
        snapshot,
        """SELECT r.category, r.people
           FROM region_category AS r
           LEFT JOIN codes AS c ON c.domain = 'category' AND c.code = r.category
           WHERE r.year = ? AND r.code = ?
           ORDER BY c.ord NULLS LAST, r.category""",
        [year, region],
    )
    return pd.DataFrame.from_records(rows, columns=["category", "people"]).astype(
        {"people": "int64"}
    )


@guarded(in_region())
@st.cache_data(max_entries=128, show_spinner=False)
def watch_by_rule(snapshot: str, year: int, region: str = "") -> pd.DataFrame:
    """People on the current watch-list per rule and severity (a person counts once per rule)."""
    rows = _rows(
        snapshot,
        """SELECT rule, severity, people FROM region_watch_rules
           WHERE year = ? AND code = ? ORDER BY rule, severity""",
        [year, region],
    )
    return pd.DataFrame.from_records(rows, columns=["rule", "severity", "people"]).astype(
        {"people": "int64"}
    )


_LATEST_RUN_WATCH = """SELECT coalesce(sum(flagged), 0), coalesce(sum(entered), 0),
                              coalesce(sum("left"), 0)
                       FROM region_watch_runs
                       WHERE run_id = (SELECT max(run_id) FROM rule_runs)
                         AND year = ? AND code = ?"""


@guarded(in_region())
@st.cache_data(max_entries=128, show_spinner=False)
def watch_flagged(snapshot: str, year: int, region: str = "") -> int:
    """People on the current watch-list for the year and region."""
    return int(_rows(snapshot, _LATEST_RUN_WATCH, [year, region])[0][0])


@guarded(in_region())
@st.cache_data(max_entries=128, show_spinner=False)
def week_changes(snapshot: str, year: int, region: str = "") -> tuple[int, int]:
    """People who entered and who left the watch-list in the latest run (year and region)."""
    row = _rows(snapshot, _LATEST_RUN_WATCH, [year, region])[0]
    return int(row[1]), int(row[2])


@guarded(in_region())
@st.cache_data(max_entries=128, show_spinner=False)
def list_trend(snapshot: str, year: int, region: str = "") -> pd.DataFrame:
    """The watch-list's size for the year after every evaluation run: run, as_of, people."""
    rows = _rows(
        snapshot,
        """SELECT r.run_id, r.as_of, r.evaluated_at, coalesce(w.flagged, 0) AS people
           FROM rule_runs AS r
           LEFT JOIN region_watch_runs AS w ON w.run_id = r.run_id AND w.year = ? AND w.code = ?
           ORDER BY r.run_id""",
        [year, region],
    )
    return pd.DataFrame.from_records(rows, columns=["run_id", "as_of", "evaluated_at", "people"])


BREAKDOWN_COLUMNS = ["code", "name", "people", "claims", "oop", "over_line"]


@guarded(in_region("code"))
@st.cache_data(max_entries=128, show_spinner=False)
def region_breakdown(snapshot: str, year: int, code: str) -> pd.DataFrame:
    """The divisions one level below ``code`` (code order): people, claims, OOP, over the line.

    The overview's table for users with a region (a national user's is by province).
    """
    rows = _rows(
        snapshot,
        """SELECT code, name, people, coalesce(claims, 0), coalesce(oop, 0), over_line
           FROM region_year WHERE year = ? AND parent_code = ? ORDER BY code""",
        [year, code],
    )
    frame = pd.DataFrame.from_records(rows, columns=BREAKDOWN_COLUMNS)
    return frame.astype({"people": "int64", "claims": "int64", "over_line": "int64"})


ATTENTION_COLUMNS = ["code", "name", "flagged", "new", "not_visited", "overdue", "unreachable"]


@guarded(in_region())
@st.cache_data(max_entries=64, show_spinner=False)
def attention_by_township(
    snapshot: str, year: int, region: str = "", today: dt.date | None = None
) -> pd.DataFrame:
    """What needs attention per township of the region (the current watch-list): listed, new
    this week, not visited yet (flagged or exported, no outcome), overdue (exported more than
    FOLLOW_UP_DAYS days before ``today``, no outcome) and could not be reached; the townships
    with the most new and overdue first."""
    cutoff = (today or dt.date.today()) - dt.timedelta(days=FOLLOW_UP_DAYS)
    rows = _rows(
        snapshot,
        """SELECT substr(w.village_code, 1, 9) AS code, any_value(w.township_name),
                  count(*), count(*) FILTER (WHERE w.status = 'new'),
                  count(*) FILTER (WHERE w.stage IN ('flagged', 'exported')),
                  count(*) FILTER (WHERE w.stage = 'exported'
                                   AND CAST(w.first_exported_at AS DATE) < ?),
                  count(*) FILTER (WHERE w.stage = 'unreachable')
           FROM watch_page AS w
           WHERE w.year = ? AND starts_with(coalesce(w.village_code, ''), ?)
           GROUP BY ALL
           ORDER BY 4 DESC, 6 DESC, 3 DESC, 1""",
        [cutoff, year, region],
    )
    return pd.DataFrame.from_records(rows, columns=ATTENTION_COLUMNS)


LEFT_COLUMNS = ["person", "name", "township", "village", "reason", "oop_before", "oop_now"]


@guarded(in_region(), shape=names_for())
@st.cache_data(max_entries=64, show_spinner=False)
def week_leavers(snapshot: str, year: int, region: str = "", limit: int = 500) -> pd.DataFrame:
    """Who left the watch-list in the latest run, where they live and why (IDs masked)."""
    rows = _rows(
        snapshot,
        """SELECT c.person_id, p.name, t.name, coalesce(v.name, p.village_code), c.reason,
                  c.oop_before, c.oop_now
           FROM watch_changes AS c
           LEFT JOIN people AS p USING (person_id)
           LEFT JOIN region_names AS v ON v.code = p.village_code AND v.level = 5
           LEFT JOIN region_names AS t ON t.code = substr(p.village_code, 1, 9) AND t.level = 4
           WHERE c.run_id = (SELECT max(run_id) FROM rule_runs) AND c.change = 'left'
             AND c.year = ? AND starts_with(coalesce(p.village_code, ''), ?)
           ORDER BY c.oop_before DESC, c.person_id
           LIMIT ?""",
        [year, region, limit],
    )
    frame = pd.DataFrame.from_records(rows, columns=LEFT_COLUMNS)
    frame["person"] = [schema.mask_id(p) for p in frame["person"]]
    return frame


@dataclass(frozen=True)
class Assistance:
    """A region's medical assistance in a year, replayed against the policy (money Decimal)."""

    entitled: Decimal
    paid: Decimal
    shortfall: Decimal
    overpaid: Decimal
    people_short: int


@guarded(in_region())
@st.cache_data(max_entries=128, show_spinner=False)
def region_assistance(snapshot: str, year: int, region: str = "") -> Assistance | None:
    """What the assistance policy entitled the region's people to in ``year``, what was paid,
    the shortfall, the overpayment and the people paid short (``region_assistance``)."""
    rows = _rows(
        snapshot,
        """SELECT entitled, paid, shortfall, overpaid, people_short FROM region_assistance
           WHERE code = ? AND year = ?""",
        [region, year],
    )
    return Assistance(*rows[0][:4], int(rows[0][4])) if rows else None
