"""Who follows each case: a caseworker account assigned to a person-year.

Assignments are made in the dashboard (a read-only process) and from a returned workbook's
负责人 column (``oopwatch returns``), so they live where the dashboard may write: the store's
activity file (``DB.activity.sqlite``, table ``assignments``), append-only like the log. The
latest assignment of a person-year stands; an empty assignee unassigns. Every assignment is also
an ``assign`` entry of the activity log (who, when, the case key, never a resident ID).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from pipeline.access import activity, auth

SCHEMA = """
CREATE TABLE IF NOT EXISTS assignments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    person_id    TEXT NOT NULL,
    year         INTEGER NOT NULL,
    case_key     TEXT NOT NULL,
    village_code TEXT,
    assignee     TEXT,              -- an account name; NULL: unassigned
    by_user      TEXT NOT NULL,
    source       TEXT NOT NULL      -- dashboard or returns
);
CREATE INDEX IF NOT EXISTS assignments_case ON assignments (person_id, year, id);
CREATE INDEX IF NOT EXISTS assignments_assignee ON assignments (assignee);
CREATE TRIGGER IF NOT EXISTS assignments_no_update BEFORE UPDATE ON assignments
BEGIN SELECT RAISE(ABORT, 'assignments are append-only'); END;
CREATE TRIGGER IF NOT EXISTS assignments_no_delete BEFORE DELETE ON assignments
BEGIN SELECT RAISE(ABORT, 'assignments are append-only'); END;
"""


class AssignRefused(Exception):
    """An assignment that cannot be made; the message says why."""


@dataclass(frozen=True)
class Assignment:
    """The current assignee of one person-year."""

    person_id: str
    year: int
    case_key: str
    village_code: str | None
    assignee: str | None
    at: str
    by_user: str


def _connect(db: Path):  # noqa: ANN202
    con = activity.connect(db)
    con.executescript(SCHEMA)
    return con


def accounts(db: Path) -> dict[str, tuple[str, str]]:
    """Every enabled account that may sign in: name -> (role, region); password accounts and
    the users of the single sign-on map."""
    found = dict(auth.sso_users(db))
    for user in auth.list_users(db):
        if user.disabled:
            found.pop(user.name, None)
        else:
            found[user.name] = (user.role, user.region)
    return found


def check_assignee(db: Path, assignee: str, village_code: str | None) -> None:
    """Refuse an assignee who is no enabled caseworker (or admin) account covering the case's
    village."""
    found = accounts(db).get(assignee)
    if found is None:
        raise AssignRefused(f"{assignee} is no enabled account")
    role, region = found
    if auth.ROLE_RANK[role] < auth.ROLE_RANK["caseworker"]:
        raise AssignRefused(f"{assignee} is a {role}: only caseworkers follow cases")
    if not (village_code or "").startswith(region):
        raise AssignRefused(f"{assignee}'s region {region or '(all)'} does not cover this case")


def assign(
    db: Path,
    cases: Sequence[tuple[str, int, str, str | None]],
    assignee: str | None,
    *,
    by: str,
    source: str = "dashboard",
) -> int:
    """Assign the cases (person_id, year, case_key, village_code) to ``assignee`` (None:
    unassign), in one transaction; log one ``assign`` entry. Returns how many changed."""
    assignee = (assignee or "").strip() or None
    if assignee is not None:
        for _pid, _year, _key, village in cases:
            check_assignee(db, assignee, village)
    current = {(a.person_id, a.year): a.assignee for a in current_assignments(db)}
    changed = [c for c in cases if current.get((c[0], c[1])) != assignee]
    if not changed:
        return 0
    at = dt.datetime.now().isoformat(timespec="seconds")
    with closing(_connect(db)) as con:
        con.execute("BEGIN IMMEDIATE")
        con.executemany(
            "INSERT INTO assignments (at, person_id, year, case_key, village_code, assignee,"
            " by_user, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(at, pid, year, key, village, assignee, by, source) for pid, year, key, village
             in changed],
        )  # fmt: skip
        con.execute("COMMIT")
    keys = ", ".join(c[2] for c in changed[:20]) + (" …" if len(changed) > 20 else "")
    activity.record(
        db, user=by, source=source, action="assign", target=assignee or "(unassigned)",
        rows=len(changed), detail=keys,
    )  # fmt: skip
    return len(changed)


def current_assignments(db: Path, assignee: str | None = None) -> list[Assignment]:
    """The standing assignment of every person-year ever assigned (the latest; unassigned ones
    have assignee None), or only those of ``assignee``."""
    if not activity.log_path(db).exists():
        return []
    with closing(_connect(db)) as con:
        rows = con.execute(
            """SELECT person_id, year, case_key, village_code, assignee, at, by_user
               FROM assignments AS a
               WHERE id = (SELECT max(id) FROM assignments AS b
                           WHERE b.person_id = a.person_id AND b.year = a.year)"""
        ).fetchall()
    out = [Assignment(*r) for r in rows]
    return [a for a in out if assignee is None or a.assignee == assignee]


def version(db: Path) -> int:
    """The latest assignment's id (0: none): a cache key that changes with every assignment."""
    if not activity.log_path(db).exists():
        return 0
    with closing(_connect(db)) as con:
        return int(con.execute("SELECT coalesce(max(id), 0) FROM assignments").fetchall()[0][0])


def history(db: Path, person_id: str, year: int) -> list[tuple[str, str | None, str, str]]:
    """(at, assignee, by, source) of every assignment of a person-year, oldest first."""
    if not activity.log_path(db).exists():
        return []
    with closing(_connect(db)) as con:
        return con.execute(
            """SELECT at, assignee, by_user, source FROM assignments
               WHERE person_id = ? AND year = ? ORDER BY id""",
            [person_id, year],
        ).fetchall()


def caseworkers(db: Path, region: str) -> list[str]:
    """Enabled caseworker and admin accounts whose region covers ``region`` (or lies in it)."""
    return sorted(
        name
        for name, (role, scope) in accounts(db).items()
        if auth.ROLE_RANK[role] >= auth.ROLE_RANK["caseworker"]
        and (region.startswith(scope) or scope.startswith(region))
    )


def assignee_of(assignments: Iterable[Assignment]) -> dict[tuple[str, int], str]:
    """(person_id, year) -> assignee, for exports."""
    return {(a.person_id, a.year): a.assignee for a in assignments if a.assignee}
