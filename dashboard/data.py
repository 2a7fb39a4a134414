"""Every query the dashboard makes. Pages hold no SQL; they call these functions.

The dashboard never opens the store itself (a reader there would lock the importer out). It reads
the newest published snapshot, read-only: the pointer file ``DB.current`` names it. Each process
keeps one read-only connection per snapshot (``st.cache_resource``); every query takes its own
``.cursor()`` of it. On each rerun :func:`current` checks the pointer's inode and mtime and moves to
the new snapshot when an import has published one. Query results are cached (``st.cache_data``)
keyed on the snapshot path, so a new snapshot means fresh numbers and an old one costs nothing.

Money stays DECIMAL: sums are fetched as ``decimal.Decimal`` (``fetchall``), never through float.

Who may see what is enforced here, where the data is read, not by hiding widgets: every public
function that returns people or regional figures goes through :func:`guarded`, which checks the
session's :class:`pipeline.auth.Access` (role and region scope) before the cached query runs and
shapes the result after it (rows outside the scope dropped, names masked for viewers). A region
outside the scope raises :class:`OutOfScope`, a role too low :class:`RoleDenied`; the pages show
either as a message. Outside a Streamlit session (scripts, benchmarks, tests calling these
functions) nothing is restricted unless :func:`acting_as` says who is asking.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import inspect
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from pipeline import schema, store
from pipeline.access import activity, auth
from pipeline.cases import export, returns

DB_ENV = "OOPWATCH_DB"
DEFAULT_DB = Path("oopwatch.duckdb")
OOP_LINE = Decimal("10000")  # the contract's line; region_year.over_line counts OOP strictly above
READER_MEMORY_LIMIT = "1GB"
# (insertion order: a watch-list page is the first rows of watch_page, stored in display order)
READER_CONFIG = {"memory_limit": READER_MEMORY_LIMIT, "preserve_insertion_order": True}


class NoSnapshot(Exception):
    """Nothing has been published for this store yet."""

    def __init__(self, db: Path) -> None:
        super().__init__(f"no data yet: run `oopwatch ingest PATH... --db {db}`")
        self.db = db


# ---------------------------------------------------------------- which snapshot


def db_path() -> Path:
    """The store the dashboard reports on: env ``OOPWATCH_DB``, else ``oopwatch.duckdb``."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB).absolute()


@dataclass
class _Seen:
    """The pointer file as last read: its identity and the snapshot it named."""

    stamp: tuple[int, int, int]
    snapshot: Path | None


class PointerWatch:
    """Follows one store's pointer file; rereads it only when its inode, mtime or size change.

    A pointer that is empty or names a snapshot that cannot be read (truncated, zeroed, not a
    DuckDB file) never stops the dashboard: it keeps the last good snapshot (or finds the
    newest readable one) and ``problem`` says why, for a banner on every page.
    """

    def __init__(self, db: Path) -> None:
        self.db = db
        self.pointer = store.pointer_path(db)
        self._seen: _Seen | None = None
        self._good: Path | None = None
        self.problem: str | None = None
        self._lock = threading.Lock()

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            info = self.pointer.stat()
        except FileNotFoundError:
            return None
        return (info.st_ino, info.st_mtime_ns, info.st_size)

    def snapshot(self) -> Path | None:
        """The snapshot to read now, or None if nothing readable was published."""
        stamp = self._stamp()
        if stamp is None and self._good is None:
            return None
        with self._lock:
            seen = self._seen
            if seen is not None and seen.stamp == stamp and seen.snapshot is not None:
                return seen.snapshot
            named = store.current_snapshot(self.db) if stamp is not None else None
            problem = store.snapshot_problem(named, READER_CONFIG) if named else None
            if named is not None and problem is None:
                self._good, self.problem, snapshot = named, None, named
            else:
                good = self._good if self._good and self._good.is_file() else None
                snapshot = good or store.last_good_snapshot(self.db)
                why = f"{named.name}: {problem}" if named else f"{self.pointer.name} names none"
                self.problem = why if snapshot is not None else None
                self._good = snapshot
            self._seen = _Seen(stamp or (0, 0, 0), snapshot)
            return snapshot


@st.cache_resource(show_spinner=False)
def _watch(db: str) -> PointerWatch:
    return PointerWatch(Path(db))


def current(db: Path | None = None) -> str:
    """Path of the snapshot to read for this rerun; raises :class:`NoSnapshot` if none."""
    db = db or db_path()
    snapshot = _watch(str(db)).snapshot()
    if snapshot is None:
        raise NoSnapshot(db)
    return str(snapshot)


# ---------------------------------------------------------------- connections


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(snapshot: str) -> duckdb.DuckDBPyConnection:
    """One read-only connection per snapshot; an evicted one closes when its last cursor goes."""
    return duckdb.connect(snapshot, read_only=True, config=READER_CONFIG)


def cursor(snapshot: str) -> duckdb.DuckDBPyConnection:
    """A cursor of the snapshot's shared read-only connection, for one caller."""
    return _connection(snapshot).cursor()


# The rows of one key through the column's ART index (schema.sql): DuckDB takes an index only
# for a scan filtered on that column alone, so every other filter goes outside a MATERIALIZED
# CTE built on this (1-2 ms instead of a 4-6 ms scan at 1M people). Indexes on the tables a
# weekly import rewrites in part (people, mart_person_year) were measured and not taken: their
# upkeep made a 1M-people weekly import's COMMIT 10 s instead of 2 s.
def _by_index(table: str, column: str) -> str:
    """The rows of ``table`` whose ``column`` equals the query's next parameter, by its index."""
    return f"SELECT * FROM {table} WHERE {column} = ?"  # noqa: S608


def _rows(snapshot: str, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    """All rows of a query (fetchall: DECIMAL stays Decimal; fetchone leaves results open)."""
    cur = cursor(snapshot)
    try:
        return cur.execute(sql, list(params)).fetchall()
    finally:
        cur.close()


# ---------------------------------------------------------------- who may see what

ACCESS_KEY = "oopwatch.access"  # session state: the signed-in user's auth.Access
_ACTING: ContextVar[auth.Access | None] = ContextVar("oopwatch_acting", default=None)


class AccessDenied(Exception):
    """The signed-in user may not see what was asked for."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"{reason}: {what}")
        self.what = what
        self.reason = reason


class OutOfScope(AccessDenied):
    """A region, household or person outside the user's region."""

    def __init__(self, what: str) -> None:
        super().__init__(what, "not in your region")


class RoleDenied(AccessDenied):
    """Something the user's role does not allow."""

    def __init__(self, what: str, needs: str) -> None:
        super().__init__(what, f"needs the {needs} role")
        self.needs = needs


class NotSignedIn(AccessDenied):
    """A data function called in a session nobody has signed in to."""

    def __init__(self) -> None:
        super().__init__("", "not signed in")


def access() -> auth.Access:
    """Who is asking: :func:`acting_as`, else the session's signed-in user.

    Outside a Streamlit script run (scripts, benchmarks, tests) nothing is restricted; inside
    one, a session without a user may read nothing.
    """
    acting = _ACTING.get()
    if acting is not None:
        return acting
    if get_script_run_ctx(suppress_warning=True) is None:
        return auth.UNRESTRICTED
    found = st.session_state.get(ACCESS_KEY)
    if not isinstance(found, auth.Access):
        raise NotSignedIn()
    return found


@contextmanager
def acting_as(who: auth.Access) -> Iterator[auth.Access]:
    """Call the data functions as ``who`` (tests, and scripts that want the dashboard's rules)."""
    token = _ACTING.set(who)
    try:
        yield who
    finally:
        _ACTING.reset(token)


Params = dict[str, Any]
Check = Callable[[auth.Access, Params], None]
Shape = Callable[[auth.Access, Params, Any], Any]


def guarded(*checks: Check, shape: Shape | None = None) -> Callable[[Callable], Callable]:
    """Run ``checks`` (each raises :class:`AccessDenied`) before the function and ``shape`` its
    result after it, for the session's user. Outside the cache: a cached result is checked too.

    ``__wrapped__`` stays the undecorated query (benchmarks time it, threads call it).
    """

    def decorate(fn: Callable) -> Callable:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            who = access()
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            params = bound.arguments
            for check in checks:
                check(who, params)
            result = fn(*args, **kwargs)
            return shape(who, params, result) if shape else result

        wrapper.__wrapped__ = inspect.unwrap(fn)
        wrapper.guarded = True
        if hasattr(fn, "clear"):
            wrapper.clear = fn.clear
        return wrapper

    return decorate


def open_to_all(fn: Callable) -> Callable:
    """Mark a function that returns nothing about people or regions (years, labels, rules)."""
    fn.guarded = False
    return fn


@open_to_all
def snapshot_problem(db: Path | None = None) -> str | None:
    """Why the dashboard shows an older snapshot than the pointer names, or None."""
    return _watch(str(db or db_path())).problem


def in_region(param: str = "region") -> Check:
    """The region argument ``param`` must be a division code within the user's scope."""

    def check(who: auth.Access, params: Params) -> None:
        code = params[param]
        if not who.allows_region(code):
            raise OutOfScope(str(code))

    return check


def at_least(role: str) -> Check:
    """The user's role must be ``role`` or above."""

    def check(who: auth.Access, params: Params) -> None:
        if not who.at_least(role):
            raise RoleDenied(role, role)

    return check


def national(who: auth.Access, params: Params) -> None:
    """National figures and unplaced people: national users only."""
    if not who.national:
        raise OutOfScope("national")


def national_admin(who: auth.Access, params: Params) -> None:
    """Rows that carry no region (rejected rows, unmatched claims): national admins only."""
    at_least("admin")(who, params)
    national(who, params)


def person_in_region(param: str = "person_id") -> Check:
    """The person named by ``param`` must live within the scope (caseworkers and admins only)."""

    def check(who: auth.Access, params: Params) -> None:
        at_least("caseworker")(who, params)
        if not who.national and not who.covers(_person_village(params["snapshot"], params[param])):
            raise OutOfScope(person_token(params["snapshot"], str(params[param])))

    return check


def household_in_region(param: str = "household_id") -> Check:
    """Every member of the household ``param`` must live within the scope (caseworker+)."""

    def check(who: auth.Access, params: Params) -> None:
        at_least("caseworker")(who, params)
        if who.national:
            return
        villages = _household_villages(params["snapshot"], params[param])
        if not all(who.covers(v) for v in villages):
            raise OutOfScope(str(params[param]))

    return check


def _keep(frame: pd.DataFrame, mask: list[bool]) -> pd.DataFrame:
    """The rows of ``frame`` where ``mask`` is true (an empty frame keeps its columns)."""
    return frame.loc[pd.Series(mask, index=frame.index, dtype=bool)].reset_index(drop=True)


def rows_in_region(column: str) -> Shape:
    """Drop the rows of a frame whose division ``column`` lies outside the scope."""

    def shape(who: auth.Access, params: Params, frame: pd.DataFrame) -> pd.DataFrame:
        if who.national:
            return frame
        return _keep(frame, [who.covers(v) for v in frame[column]])

    return shape


def names_for(column: str = "name") -> Shape:
    """Viewers see names masked (first character and ＊＊)."""

    def shape(who: auth.Access, params: Params, frame: pd.DataFrame) -> pd.DataFrame:
        if not who.sees_names:
            frame[column] = [auth.mask_name(v) for v in frame[column]]
        return frame

    return shape


def _below_scope(who: auth.Access, params: Params, path: pd.DataFrame) -> pd.DataFrame:
    """A breadcrumb's rows from the scope down: nothing above the user's own region."""
    if who.national:
        return path
    return _keep(path, [len(c) >= len(who.scope) for c in path["code"]])


def _household_ids_for(who: auth.Access, params: Params, frame: pd.DataFrame) -> pd.DataFrame:
    """Viewers see a village's households without their ids."""
    if not who.sees_names:
        frame["household_id"] = None
    return frame


def _person_in_region(who: auth.Access, params: Params, person: Any) -> Any:
    """A person found by a link: only when they live within the scope."""
    if person is not None and not who.covers(person.village_code):
        raise OutOfScope(person_token(params["snapshot"], person.person_id))
    return person


def _members_in_region(who: auth.Access, params: Params, page: Any) -> Any:
    """A person page's household table: only the members within the scope."""
    if who.national or page.members is None:
        return page
    members = rows_in_region("village_code")(who, params, page.members)
    return dataclasses.replace(page, members=members)


def _entry_region(filters: str | None) -> str | None:
    """The region filter of an activity entry (None when it names none)."""
    try:
        region = json.loads(filters or "{}").get("region")
    except (ValueError, AttributeError):
        return None
    return region if isinstance(region, str) else None


def _log_in_region(who: auth.Access, params: Params, frame: pd.DataFrame) -> pd.DataFrame:
    """Export and download entries whose region filter lies within the scope."""
    if who.national:
        return frame
    return _keep(frame, [who.covers(_entry_region(f)) for f in frame["filters"]])


def _returns_in_region(who: auth.Access, params: Params, logs: Any) -> Any:
    """Returned files (and their rejected rows) of exports within the scope."""
    files, rejects = logs
    if who.national:
        return logs
    files = rows_in_region("region")(who, params, files)
    rejects = _keep(rejects, list(rejects["return_id"].isin(set(files["return_id"]))))
    return files, rejects


@st.cache_data(max_entries=4096, show_spinner=False)
def _person_village(snapshot: str, person_id: str) -> str | None:
    """The village of a person's current roster record (None: unknown or unplaced)."""
    rows = _rows(snapshot, "SELECT village_code FROM people WHERE person_id = ?", [person_id])
    return rows[0][0] if rows else None


@st.cache_data(max_entries=4096, show_spinner=False)
def _household_villages(snapshot: str, household_id: str) -> list[str | None]:
    """The villages the members of a household live in."""
    rows = _rows(
        snapshot, "SELECT DISTINCT village_code FROM people WHERE household_id = ?", [household_id]
    )
    return [r[0] for r in rows]


def audit(
    action: str, target: str | None = None, *, filters: dict | None = None,
    rows: int | None = None, full_ids: bool = False, sha256: str | None = None,
    detail: str | None = None,
) -> None:  # fmt: skip
    """Append an entry for the session's user to the audit log (never pass a full ID)."""
    activity.record(
        db_path(), user=access().user, source="dashboard", action=action, target=target,
        filters=filters, rows=rows, full_ids=full_ids, sha256=sha256, detail=detail,
    )  # fmt: skip


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


@open_to_all
@st.cache_data(max_entries=8, show_spinner=False)
def is_demo(snapshot: str) -> bool:
    """True when the store holds the synthetic demo data ``serve`` built from sample_data/."""
    return bool(_rows(snapshot, "SELECT 1 FROM meta WHERE key = 'demo'"))


@open_to_all
@st.cache_data(max_entries=32, show_spinner=False)
def last_import(snapshot: str) -> LastImport | None:
    """The newest import (id and time) and how many imports the snapshot holds."""
    rows = _rows(
        snapshot,
        "SELECT max(import_id), max(imported_at), count(DISTINCT import_id) FROM imports",
    )
    import_id, when, n = rows[0]
    if import_id is None:
        return None
    return LastImport(int(import_id), when, int(n))


# ---- watch-list, quality and overview

SEVERITIES = ("high", "medium", "low")
WATCH_LIMIT = 1000
PARTICIPATION_TARGET = Decimal("0.999")
STALE_AFTER = dt.timedelta(days=8)


mask_text = schema.mask_text  # kept: pages and tests import it from here


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
def watch_rules(snapshot: str) -> list[str]:
    """Rule ids that appear on the current watch-list."""
    rows = _rows(
        snapshot,
        "SELECT DISTINCT rule FROM region_watch_rules WHERE level = 0 ORDER BY rule",
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


def _watch_where(
    year: int,
    region: str,
    rule: str | None,
    severity: str | None,
    status: str | None,
    category: str | None,
) -> tuple[str, list[object]]:
    """WHERE clause and its parameters for the watch-list filters (values never in the SQL)."""
    clauses = ["w.year = ?", "starts_with(coalesce(w.village_code, ''), ?)"]
    params: list[object] = [year, region]
    optional = [
        ("list_contains(string_split(w.rules, ';'), ?)", rule),
        ("w.severity = ?", severity),
        ("w.status = ?", status),
        ("w.category = ?", category),
    ]
    for clause, value in optional:
        if value:
            clauses.append(clause)
            params.append(value)
    return " AND ".join(clauses), params


WATCH_COLUMNS = [
    "person", "name", "village", "category", "oop", "threshold", "rules",
    "severity", "status", "weeks_on_list", "explain_zh", "explain_en", "stage",
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
    limit: int = WATCH_LIMIT,
) -> tuple[pd.DataFrame, int]:
    """The filtered watch-list (severity high first, then OOP desc), at most ``limit`` rows,
    with person IDs masked, and the number of rows the filters match in all."""
    where, params = _watch_where(year, region, rule, severity, status, category)
    total = _rows(snapshot, f"SELECT count(*) FROM watch_page AS w WHERE {where}", params)  # noqa: S608
    # watch_page is stored in display order: the first rows that match are the page (no sort
    # of the whole list per click); the outer ORDER BY only orders those rows.
    rows = _rows(
        snapshot,
        f"""SELECT person_id, name, village_name, category, oop, threshold, rules, severity,
                   status, weeks_on_list, explain_zh, explain_en, stage
            FROM (SELECT * FROM watch_page AS w WHERE {where} LIMIT ?)
            ORDER BY ord""",  # noqa: S608
        [*params, limit],
    )
    frame = pd.DataFrame.from_records(rows, columns=WATCH_COLUMNS)
    frame["person"] = [schema.mask_id(p) for p in frame["person"]]
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
) -> tuple[bytes, int, str]:
    """The filtered watch-list as the caseworkers' file (the ``oopwatch export`` writer): its
    bytes, its row count and its sha256. IDs masked; every row matching the filters."""
    cur = cursor(snapshot)
    try:
        found = export.fetch(
            cur, year, region,
            rules=[rule] if rule else None, severities=[severity] if severity else None,
            statuses=[status] if status else None, categories=[category] if category else None,
            made_by=made_by,
        )  # fmt: skip
    finally:
        cur.close()
    content = export.xlsx_bytes(found, lang) if kind == "xlsx" else export.csv_bytes(found, lang)
    return content, len(found.rows), hashlib.sha256(content).hexdigest()


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


@guarded(at_least("admin"), shape=_log_in_region)
@st.cache_data(ttl=5, show_spinner=False)
def download_log(db: str) -> pd.DataFrame:
    """The activity log's exports, downloads and returns (live: it is written while the snapshot
    stays); scoped admins see those whose region filter lies within their region."""
    items = activity.entries(Path(db), limit=500, actions=LIST_ACTIONS)
    return pd.DataFrame(list(activity.iter_dicts(items)), columns=activity.COLUMNS)


LIST_ACTIONS = (auth.EXPORT, auth.DOWNLOAD, "returns")


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
    lang: str = "zh", kind: str = "xlsx",
) -> bytes:  # fmt: skip
    """The watch-list file a caseworker downloads (masked IDs), logged under their name."""
    who = access()
    chosen = {"year": year, "region": region, "rule": rule, "severity": severity,
              "status": status, "category": category}  # fmt: skip
    body, rows, sha = watchlist_file(snapshot, **chosen, lang=lang, kind=kind, made_by=who.user)
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
    content = export.xlsx_bytes(found, lang) if kind == "xlsx" else export.csv_bytes(found, lang)
    filters = {"year": year, "region": region, "rule": rule, "severity": severity,
               "status": status, "category": category, "lang": lang}  # fmt: skip
    activity.record(
        db_path(), user=who.user, source="dashboard", action=auth.EXPORT, target=file_name,
        filters=filters, rows=len(found.rows), full_ids=True,
        sha256=hashlib.sha256(content).hexdigest(), detail=f"reason: {reason}",
    )  # fmt: skip
    return content, len(found.rows)


# ---- the audit log and imports (admins)


@guarded(at_least("admin"))
def audit_users(db: str) -> list[str]:
    """The names an admin may filter the audit log by: everyone in it for a national admin,
    the accounts of their region for a regional one."""
    who = access()
    if who.national:
        return activity.users_seen(Path(db))
    return auth.users_in_scope(Path(db), who.scope)


@guarded(at_least("admin"))
def audit_log(
    db: str, since: str | None = None, until: str | None = None, user: str | None = None,
    action: str | None = None, limit: int = 2000,
) -> pd.DataFrame:  # fmt: skip
    """Audit entries, newest first, from ``since`` to before ``until`` (ISO dates). A regional
    admin sees the entries of the accounts within their region only."""
    who = access()
    users = None if who.national else auth.users_in_scope(Path(db), who.scope)
    items = activity.entries(
        Path(db), since=since, until=until, action=action, user=user, users=users, limit=limit
    )
    return pd.DataFrame(list(activity.iter_dicts(items)), columns=activity.COLUMNS)


@dataclass(frozen=True)
class ImportRun:
    """What an import from the dashboard did: ``oopwatch ingest``'s exit code and output."""

    code: int
    output: str
    files: list[str]


IMPORT_TIMEOUT = 3600
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".parquet")


@guarded(at_least("admin"))
def run_import(files: Sequence[tuple[str, bytes]]) -> ImportRun:
    """Import uploaded extracts: save them under their own names (no folders) in a temporary
    folder and run ``oopwatch ingest`` on the store in a subprocess (the dashboard itself only
    ever reads snapshots). Logged with who, the files and the outcome."""
    import subprocess
    import sys
    import tempfile

    db = db_path()
    names: list[str] = []
    with tempfile.TemporaryDirectory(prefix="oopwatch-upload-") as folder:
        for raw_name, content in files:
            name = Path(raw_name).name.strip()
            if not name or name.startswith(".") or not name.lower().endswith(UPLOAD_SUFFIXES):
                raise ValueError(f"not an extract file name: {raw_name!r}")
            (Path(folder) / name).write_bytes(content)
            names.append(name)
        command = [sys.executable, "-m", "pipeline.cli", "ingest", folder, "--db", str(db), "-q"]
        command += ["--within", access().scope]  # a regional admin imports their region only
        env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"}
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=IMPORT_TIMEOUT, env=env,
            cwd=str(Path(__file__).resolve().parents[1]), check=False,
        )  # fmt: skip
    output = schema.mask_text((done.stdout + done.stderr).replace(folder, "…")) or ""
    activity.record(
        db, user=access().user, source="dashboard", action=auth.IMPORT, target=", ".join(names),
        detail=f"exit {done.returncode}",
    )  # fmt: skip
    return ImportRun(done.returncode, output, names)


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


@functools.lru_cache(maxsize=4)
def _key_secret(snapshot: str) -> bytes:
    """The store's secret for person keys, as the snapshot holds it."""
    rows = _rows(snapshot, "SELECT value FROM meta WHERE key = 'person_key_secret'")
    if not rows:
        raise RuntimeError(f"{snapshot} has no person-key secret: publish it again (oopwatch flag)")
    return bytes.fromhex(rows[0][0])


@open_to_all
def person_token(snapshot: str, person_id: str) -> str:
    """An opaque key for a person in links (the URL never carries the resident ID itself):
    the person's key in ``person_keys``, a keyed hash no one can compute from a guessed ID."""
    return store.person_key(_key_secret(snapshot), person_id)


REGION_COLUMNS = [
    "level", "code", "parent_code", "name", "people", "roster_people", "enrolled_active",
    "participation", "flagged", "flagged_new", "flag_rate", "households", "claims",
    "total_cost", "basic_paid", "critical_paid", "assistance_paid", "other_paid", "oop",
    "oop_median",
]  # fmt: skip
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
        f"""SELECT {_REGION_SELECT} FROM region_year
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
        f"""SELECT {_REGION_SELECT} FROM region_year
            WHERE year = ? AND parent_code = ?
            ORDER BY flagged DESC, flag_rate DESC NULLS LAST, code""",
        [year, code],
    )
    return _region_frame(rows)


HOUSEHOLD_COLUMNS = [
    "household_id", "members", "household_oop", "household_income", "income_known",
    "flagged_members",
]  # fmt: skip


@guarded(in_region("village_code"), shape=_household_ids_for)
@st.cache_data(max_entries=256, show_spinner=False)
def village_households(snapshot: str, year: int, village_code: str) -> pd.DataFrame:
    """The households of a village in ``year``: members, household OOP, income, flagged members.

    Ordered by flagged members, then household OOP, both descending.
    """
    rows = _rows(
        snapshot,
        """WITH members AS (
               SELECT py.household_id, py.person_id, w.person_id IS NOT NULL AS flagged
               FROM person_year AS py
               LEFT JOIN watchlist AS w ON w.person_id = py.person_id AND w.year = py.year
               WHERE py.village_code = ? AND py.year = ?
           )
           SELECT m.household_id, h.members, h.household_oop, h.household_income,
                  coalesce(h.income_known, false), count(*) FILTER (WHERE m.flagged)
           FROM members AS m
           LEFT JOIN household_year AS h ON h.household_id = m.household_id AND h.year = ?
           WHERE m.household_id IS NOT NULL
           GROUP BY ALL
           ORDER BY 6 DESC, h.household_oop DESC NULLS LAST, m.household_id""",
        [village_code, year, year],
    )
    frame = pd.DataFrame.from_records(rows, columns=HOUSEHOLD_COLUMNS)
    return frame.astype({"members": "int64", "flagged_members": "int64", "income_known": bool})


MEMBER_COLUMNS = [
    "person_id", "name", "relation", "category", "village_code", "oop", "claims", "rules",
    "severity",
]  # fmt: skip


@guarded(household_in_region(), shape=rows_in_region("village_code"))
@st.cache_data(max_entries=256, show_spinner=False)
def household_members(
    snapshot: str, year: int, household_id: str, village: str | None = None
) -> pd.DataFrame:
    """Everyone of a household (flagged first, then by OOP) with their OOP and flags in ``year``.

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
    rows = [(*r, *flags.get(r[0], (None, None))) for r in rows]
    rows.sort(key=lambda r: (r[7] is None, -(r[5] or 0), r[0]))
    frame = pd.DataFrame.from_records(rows, columns=MEMBER_COLUMNS)
    return frame.astype({"claims": "int64"})


def _in_village(village: str | None) -> tuple[str, list[str]]:
    """The village condition and its parameter, or nothing without a village.

    A literal condition lets DuckDB skip the other villages' blocks as it scans; "? IS NULL OR
    village_code = ?" cost about 1 ms more per query at 1M people.
    """
    return (" AND village_code = ?", [village]) if village else ("", [])


def _latest_watch(snapshot: str, people: list[str], year: int) -> dict[str, tuple[str, str]]:
    """Rules and severity of those of ``people`` on the current list for ``year``."""
    if not people:
        return {}
    marks = ", ".join("?" * len(people))
    rows = _rows(
        snapshot,
        f"""WITH w AS MATERIALIZED (SELECT * FROM watch_entries WHERE person_id IN ({marks}))
            SELECT person_id, rules, severity FROM w
            WHERE year = ? AND to_run IS NULL""",  # noqa: S608
        [*people, year],
    )
    return {r[0]: (r[1], r[2]) for r in rows}


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
                   household_income, on_roster
            FROM people JOIN person_keys AS k USING (person_id)
            WHERE {where} AND k.token = ?
            LIMIT 1""",
        [*params, key.lower()],
    )
    return Person(*rows[0][:7], bool(rows[0][7])) if rows else None


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
    "assistance_paid", "other_paid", "oop", "diagnosis", "hospital",
]  # fmt: skip


@guarded(person_in_region())
@st.cache_data(max_entries=256, show_spinner=False)
def person_claims(snapshot: str, person_id: str, year: int) -> pd.DataFrame:
    """A person's claims in force in ``year``, by settle date, each with its OOP.

    The rows of ``claims_effective`` for one person: their claim_log rowids come from
    ``claim_person_rows`` and the rows are fetched by rowid (a few ms; a scan of claim_log for
    the person_id took 25-40 ms at 10M claims); then the rows a later one replaced, reversal
    rows and the claims they cancel are left out, as the views do.
    """
    found = _rows(
        snapshot,
        f"""WITH x AS MATERIALIZED ({_by_index("claim_person_rows", "person_id")})
            SELECT flatten(list(log_rows)) FROM x WHERE year = ?""",  # noqa: S608
        [person_id, year],
    )[0][0]
    rows = _rows(
        snapshot,
        """WITH c AS MATERIALIZED (  -- each column fetched costs: not the two unused
               SELECT * EXCLUDE (extra, in_scope_cost) FROM claim_log WHERE rowid = ANY(?)
           )
           SELECT claim_id, settle_date, visit_type, total_cost, basic_paid, critical_paid,
                  assistance_paid, coalesce(other_paid, 0),
                  CAST(total_cost - basic_paid - critical_paid - assistance_paid
                       - coalesce(other_paid, 0) AS DECIMAL(14,2)),
                  diagnosis, hospital
           FROM c
           ANTI JOIN claim_rows_superseded AS s USING (file_id, line)  -- a few thousand rows
           ANTI JOIN reversed_claims AS r USING (claim_id)
           WHERE person_id = ? AND year(settle_date) = ? AND reverses IS NULL
           ORDER BY settle_date, claim_id""",
        [found or [], person_id, year],
    )
    return pd.DataFrame.from_records(rows, columns=CLAIM_COLUMNS)


# A person's rows of the run-by-run tables (flag_entries, watch_entries, watch_changes) come
# through their person_id index. An entry with no to_run is on the latest run's list
# (pipeline/sql/watch.sql).

FLAG_COLUMNS = ["rule_id", "oop", "threshold", "severity", "explain_zh", "explain_en"]


@guarded(person_in_region())
@st.cache_data(max_entries=256, show_spinner=False)
def person_flags(snapshot: str, person_id: str, year: int) -> pd.DataFrame:
    """The rules that flag the person on the current watch-list for ``year``, one row each."""
    rows = _rows(
        snapshot,
        f"""WITH f AS MATERIALIZED ({_by_index("flag_entries", "person_id")})
            SELECT rule_id, oop, threshold, severity, explain_zh, explain_en
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


_PAGE_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="oopwatch-person")


@guarded(person_in_region(), shape=_members_in_region)
@st.cache_data(max_entries=256, show_spinner=False)
def person_page(
    snapshot: str, person_id: str, year: int, village: str | None, household: str | None
) -> PersonPage:
    """A person's page data, its seven queries run at once on their own cursors.

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
    )


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
