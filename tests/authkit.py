"""Shared by the account, scope and audit tests: a copy of the sample store with accounts of two
counties, and AppTest sessions signed in as one of them."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from streamlit.testing.v1 import AppTest

from pipeline import store
from pipeline.access import auth
from tests.conftest import REPO, snapshot_sql

APP = REPO / "dashboard" / "app.py"
PASSWORD = "correct horse 7"


@dataclass(frozen=True)
class County:
    """A county of the sample store and one of its flagged people."""

    code: str
    name: str
    person_id: str
    person_name: str
    household_id: str
    village_code: str


@dataclass(frozen=True)
class Secured:
    """The store with accounts: ``north`` and ``south`` are caseworkers of counties ``a`` and
    ``b`` (different provinces), ``peek`` a viewer of ``a``, ``chief`` the national admin and
    ``boss_a`` the admin of county ``a``."""

    db: Path
    a: County
    b: County


def copy_store(source: Path, target: Path) -> Path:
    """A published copy of a store (its own activity file: no accounts yet)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    store.publish(target)
    return target


def pick_counties(db: Path) -> tuple[County, County]:
    """The two counties with the most flagged people in 2026, in different provinces, each with
    its flagged person of highest OOP."""
    rows = snapshot_sql(
        db,
        """SELECT code, name FROM region_year WHERE level = 3 AND year = 2026
           ORDER BY flagged DESC, code""",
    )
    first = rows[0]
    second = next(r for r in rows if r[0][:2] != first[0][:2])
    counties = []
    for code, name in (first, second):
        person = snapshot_sql(
            db,
            """SELECT w.person_id, p.name, p.household_id, p.village_code
               FROM watchlist AS w JOIN people AS p USING (person_id)
               WHERE w.year = 2026 AND starts_with(p.village_code, ?)
               ORDER BY w.oop DESC, w.person_id LIMIT 1""",
            [code],
        )[0]
        counties.append(County(code, name, *person))
    return counties[0], counties[1]


def make_secured(source: Path, folder: Path) -> Secured:
    """Copy ``source`` into ``folder`` and give it the five accounts of :class:`Secured`."""
    db = copy_store(source, folder / "oopwatch.duckdb")
    a, b = pick_counties(db)
    for name, role, region in (
        ("north", "caseworker", a.code), ("south", "caseworker", b.code),
        ("peek", "viewer", a.code), ("chief", "admin", ""), ("boss_a", "admin", a.code),
    ):  # fmt: skip
        auth.add_user(db, name, role, region, PASSWORD, by="tests")
    return Secured(db, a, b)


def signed_in(name: str, page: str | None = None, **params: str) -> AppTest:
    """An AppTest session already signed in as ``name`` (as the sign-in form leaves it), on
    ``page`` (a views/ file) with query parameters."""
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.session_state["auth.user"] = name
    at.session_state["auth.source"] = "password"
    at.session_state["auth.last_active"] = time.time()
    at.run()
    if page:
        at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    if page or params:
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at: AppTest) -> str:
    """Everything a session shows as text: markdown, metrics, tables, options, labels."""
    parts: list[str] = []
    for kind in ("markdown", "title", "subheader", "caption", "info", "warning", "error"):
        parts += [str(e.value) for e in at.get(kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [str(s.options) for s in at.selectbox]
    parts += [b.label for b in at.button]
    parts += [c.proto.spec for c in at.get("plotly_chart")]
    return "\n".join(parts)
