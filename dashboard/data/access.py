"""Who may see what: the access core, enforced where the data is read.

Every public query function that returns people or regional figures goes through
:func:`guarded`, which checks the session's :class:`pipeline.access.auth.Access` (role and region
scope) before the cached query runs and shapes the result after it (rows outside the scope
dropped, names masked for viewers). A region outside the scope raises :class:`OutOfScope`, a role
too low :class:`RoleDenied`; the pages show either as a message. Outside a Streamlit session
(scripts, benchmarks, tests calling these functions) nothing is restricted unless
:func:`acting_as` says who is asking. Person links carry :func:`person_token`, never an ID.

This file is the security boundary: a reviewer can read it alone.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard.data.snapshots import _rows, db_path
from pipeline import store
from pipeline.access import activity, auth

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


def lab_scope(who: auth.Access, params: Params) -> None:
    """The policy lab: admins and national or provincial users."""
    if not (who.is_admin or len(who.scope) <= 2):
        raise RoleDenied("the policy lab", "admin, national or provincial")


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
