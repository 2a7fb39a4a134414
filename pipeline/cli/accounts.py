"""``oopwatch users …`` (dashboard accounts) and ``oopwatch audit`` (the audit trail).

Registered on the main group by the one import at the end of :mod:`pipeline.cli`. Account
commands are run by someone with access to the store's folder; the audit log names them by
their OS user. A password is never an argument: it is typed at a prompt (twice), or read as one
line from stdin when stdin is not a terminal (scripts, ``echo … | oopwatch users add …``).
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
import unicodedata
from pathlib import Path

import click

from pipeline import store
from pipeline.access import activity, auth
from pipeline.cli.options import db_option, existing


def read_password(prompt: str = "Password") -> str:
    """A password from the terminal (hidden, with confirmation) or one line of stdin."""
    if sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


def _refuse(exc: Exception) -> None:
    click.echo(f"refused: {exc}", err=True)
    raise SystemExit(2) from None


def _where(db: Path, region: str) -> str:
    """'national' or the region's code and name (as the store's divisions name it)."""
    if not region:
        return "national"
    name = auth.region_names(db, [region]).get(region)
    return f"{region} {name}" if name else region


@click.group(name="users")
def users() -> None:
    """Dashboard accounts: kept beside the store (DB.activity.sqlite), passwords hashed."""


@users.command(name="add")
@click.argument("name")
@click.option(
    "--region", default="", show_default=True,
    help="2/4/6/9-digit division code the account may see ('' = national).",
)  # fmt: skip
@click.option("--role", type=click.Choice(auth.ROLES), required=True, help="What it may do.")
@db_option
def users_add(name: str, region: str, role: str, db: Path) -> None:
    """Add an account; the password is asked for (or read from stdin)."""
    existing(db)
    try:
        auth.check_name(name)
        region = auth.check_region(region)
        if auth.get_user(db, name) is not None:
            raise auth.AuthError(f"an account named {name!r} exists already")
    except auth.AuthError as exc:
        _refuse(exc)
    known = store.current_snapshot(db) is not None
    if region and known and not auth.region_names(db, [region]):
        click.echo(f"warning: {region} is not in the store's division names", err=True)
    try:
        auth.add_user(db, name, role, region, read_password(), by=getpass.getuser())
    except auth.AuthError as exc:
        _refuse(exc)
    click.echo(f"added {name}: {role}, {_where(db, region)}")


@users.command(name="list")
@db_option
def users_list(db: Path) -> None:
    """Every account: role, region, status, last sign-in (never a password hash)."""
    existing(db)
    accounts = auth.list_users(db)
    if not accounts:
        click.echo(f"no accounts: the dashboard on 127.0.0.1 is an open local demo ({db})")
        return
    names = auth.region_names(db, [u.region for u in accounts])
    now = auth.current_time()
    header = ["name", "role", "region", "status", "last sign-in"]
    lines = [header]
    for u in accounts:
        status = "disabled" if u.disabled else "active"
        if u.locked(now) and u.locked_until is not None:
            status += f", locked until {u.locked_until:%Y-%m-%d %H:%M}"
        region = f"{u.region} {names.get(u.region, '')}".strip() if u.region else "national"
        lines.append([u.name, u.role, region, status, u.last_login or "never"])
    widths = [max(_width(line[i]) for line in lines) for i in range(len(header) - 1)]
    for line in lines:
        cells = [c + " " * (w - _width(c)) for c, w in zip(line, widths, strict=False)]
        click.echo("  ".join([*cells, line[-1]]))


def _width(text: str) -> int:
    """Columns a text takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@users.command(name="disable")
@click.argument("name")
@db_option
def users_disable(name: str, db: Path) -> None:
    """Disable an account: it can no longer sign in (its sessions end at their next click)."""
    existing(db)
    _set_disabled(db, name, True)


@users.command(name="enable")
@click.argument("name")
@db_option
def users_enable(name: str, db: Path) -> None:
    """Enable a disabled account again."""
    existing(db)
    _set_disabled(db, name, False)


def _set_disabled(db: Path, name: str, disabled: bool) -> None:
    try:
        auth.set_disabled(db, name, disabled, by=getpass.getuser())
    except auth.AuthError as exc:
        _refuse(exc)
    click.echo(f"{'disabled' if disabled else 'enabled'} {name}")


@users.command(name="passwd")
@click.argument("name")
@db_option
def users_passwd(name: str, db: Path) -> None:
    """Set an account's password (asked for, or read from stdin); lifts a lockout."""
    existing(db)
    if auth.get_user(db, name) is None:
        _refuse(auth.AuthError(f"there is no account named {name!r}"))
    try:
        auth.set_password(db, name, read_password("New password"), by=getpass.getuser())
    except auth.AuthError as exc:
        _refuse(exc)
    click.echo(f"password of {name} changed")


def _day(value: dt.datetime | None) -> str | None:
    return value.date().isoformat() if value else None


@click.command()
@db_option
@click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="From this day on (default: 30 days ago).",
)  # fmt: skip
@click.option(
    "--until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="Up to and including this day.",
)  # fmt: skip
@click.option("--user", default=None, help="Only this user.")
@click.option("--action", default=None, help=f"Only this action ({', '.join(auth.ACTIONS)}).")
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True)
def audit(
    db: Path, since: dt.datetime | None, until: dt.datetime | None, user: str | None,
    action: str | None, limit: int,
) -> None:  # fmt: skip
    """Print the audit log: sign-ins, person pages opened, downloads, exports, account changes."""
    existing(db)
    start = since or (dt.datetime.now() - dt.timedelta(days=30))
    end = _day(until + dt.timedelta(days=1)) if until else None
    items = activity.entries(
        db, since=_day(start), until=end, action=action, user=user, limit=limit
    )
    if not items:
        click.echo(f"no entries since {_day(start)}")
        return
    for e in reversed(items):  # oldest first, like a log
        parts = [e.at, e.user.ljust(12), e.source.ljust(9), e.action.ljust(15)]
        extra = [e.target or ""]
        if e.rows is not None:
            extra.append(f"rows={e.rows}")
        if e.action in (auth.DOWNLOAD, auth.EXPORT):
            extra.append("FULL IDs" if e.full_ids else "masked")
        extra += [e.detail or "", e.filters or ""]
        click.echo("  ".join(parts) + "  " + " | ".join(x for x in extra if x))
    click.echo(f"{len(items)} entries")
