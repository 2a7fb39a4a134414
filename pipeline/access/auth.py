"""Dashboard accounts: who may sign in, with which role, for which region, and the trail of it.

Accounts live beside the data, in the store's activity file (``DB.activity.sqlite``, table
``users``), never in the repository. A password is kept only as a salted hash from
``hashlib.scrypt`` (n=2**14, r=8, p=1, a 16-byte random salt) and compared in constant time.
Five failed sign-ins in a row lock an account for 15 minutes (``failed``, ``locked_until``).
Every sign-in, failure, lockout and account change is appended to the activity log
(:mod:`pipeline.access.activity`), which is the audit trail.

A role is viewer < caseworker < admin. A region code (2/4/6/9 digits: province, city, county,
township) scopes an account to that division and everything below it; '' is national.

Bureaus with an identity provider may also sign in through Streamlit's OIDC (``st.login``): the
file ``DB.sso.toml`` maps a claim (email by default) to a role and region.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import re
import secrets
import sqlite3
import tomllib
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from pipeline.access import activity

ROLES = ("viewer", "caseworker", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
REGION_LENGTHS = (2, 4, 6, 9)  # an account's scope: province, city, county, township
CODE_LENGTHS = (2, 4, 6, 9, 12)  # a region the dashboard shows (villages too)
MAX_FAILURES = 5
LOCK_TIME = dt.timedelta(minutes=15)
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
SALT_BYTES = 16
KEY_BYTES = 32
MIN_PASSWORD = 8
NAME_PATTERN = re.compile(r"^[\w.@+-]{1,64}$")
SSO_CLAIM = "email"

# Audit actions (column ``action`` of the activity log).
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGIN_LOCKED = "login_locked"
LOCKOUT = "lockout"
LOGOUT = "logout"
SESSION_EXPIRED = "session_expired"
PERSON_VIEW = "person_view"
HOUSEHOLD_VIEW = "household_view"
DOWNLOAD = "download"
EXPORT = "export"
IMPORT = "import"
DENIED = "denied"
USER_ADD = "user_add"
USER_DISABLE = "user_disable"
USER_ENABLE = "user_enable"
USER_PASSWD = "user_passwd"
ACTIONS = (
    LOGIN, LOGIN_FAILED, LOGIN_LOCKED, LOCKOUT, LOGOUT, SESSION_EXPIRED, PERSON_VIEW,
    HOUSEHOLD_VIEW, DOWNLOAD, EXPORT, IMPORT, DENIED, USER_ADD, USER_DISABLE, USER_ENABLE,
    USER_PASSWD, "returns", "push", "feedback", "assign",
)  # fmt: skip

USERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'caseworker', 'admin')),
    region        TEXT NOT NULL DEFAULT '',
    password      TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    created_at    TEXT NOT NULL,
    changed_at    TEXT NOT NULL,
    last_login    TEXT
);
"""
# Failed sign-ins under names that have no account (or a disabled one): counted and locked
# like an account's, so the answers never tell which names exist.
CREATE_NO_ACCOUNT = """
CREATE TABLE IF NOT EXISTS no_account_logins (
    name          TEXT PRIMARY KEY,
    failed        INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT
);
"""
_USER_COLUMNS = "name, role, region, disabled, failed, locked_until, created_at, last_login"


class AuthError(ValueError):
    """An account command that cannot be done as asked; the message says why."""


# ---------------------------------------------------------------- who is looking


@dataclass(frozen=True)
class Access:
    """The signed-in user of a dashboard session: name, role and region scope."""

    user: str
    role: str
    scope: str = ""
    demo: bool = False
    source: str = "password"

    @property
    def national(self) -> bool:
        """True when the scope is the whole country."""
        return self.scope == ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def sees_names(self) -> bool:
        """Caseworkers and admins see names and households; viewers see them masked."""
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK["caseworker"]

    def at_least(self, role: str) -> bool:
        """True when this user's role is ``role`` or above."""
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]

    def covers(self, code: str | None) -> bool:
        """True when the division ``code`` (a village, township, …) lies within the scope.

        A person placed nowhere (no village code) is covered by the national scope only.
        """
        if self.national:
            return True
        return code is not None and code.startswith(self.scope)

    def allows_region(self, region: str | None) -> bool:
        """True when ``region`` is a well-formed division code ('' national) within the scope."""
        return region is not None and valid_code(region) and self.covers(region)


UNRESTRICTED = Access(user="system", role="admin", scope="", demo=False, source="local")


def valid_code(code: str) -> bool:
    """'' (national) or a 2/4/6/9/12-digit division code."""
    return code == "" or (code.isascii() and code.isdigit() and len(code) in CODE_LENGTHS)


def mask_name(name: str | None) -> str | None:
    """A name as a viewer sees it: the first character and ＊＊ (``张三`` -> ``张＊＊``)."""
    if not name:
        return name
    return name[0] + "＊＊"


# ---------------------------------------------------------------- checks


def check_role(role: str) -> str:
    """The role, if it is one of viewer, caseworker, admin."""
    if role not in ROLES:
        raise AuthError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def check_region(region: str | None) -> str:
    """An account's scope: '' (national) or a 2, 4, 6 or 9-digit division code."""
    region = (region or "").strip()
    if region and not (region.isascii() and region.isdigit() and len(region) in REGION_LENGTHS):
        raise AuthError(
            f"region {region!r} is not a division code: give 2 (province), 4 (city), "
            "6 (county) or 9 (township) digits, or '' for national"
        )
    return region


def check_name(name: str) -> str:
    """An account name: 1 to 64 letters, digits or ``. @ + - _`` (Chinese names welcome)."""
    if not NAME_PATTERN.fullmatch(name or ""):
        raise AuthError(
            f"account name {name!r} is not valid: use 1 to 64 letters, digits, '.', '@', '+', "
            "'-' or '_', no spaces"
        )
    return name


def check_password(password: str) -> str:
    """A new password: at least 8 characters, not only spaces."""
    if len(password or "") < MIN_PASSWORD or not password.strip():
        raise AuthError(f"the password must have at least {MIN_PASSWORD} characters")
    return password


# ---------------------------------------------------------------- passwords


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` (hex) of ``password`` with a new 16-byte random salt."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=KEY_BYTES, **SCRYPT)
    return "$".join(["scrypt", *(str(SCRYPT[k]) for k in "nrp"), salt.hex(), key.hex()])


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` hashes to ``stored`` (constant-time comparison)."""
    try:
        kind, n, r, p, salt, key = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
            dklen=len(key) // 2,
        )  # fmt: skip
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), key)


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    """A hash to check unknown names against, so they take as long as known ones."""
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_hex(8)))
    return _DUMMY[0]


# ---------------------------------------------------------------- the users table


@dataclass(frozen=True)
class User:
    """An account as listed: never its password hash."""

    name: str
    role: str
    region: str
    disabled: bool
    failed: int
    locked_until: dt.datetime | None
    created_at: str
    last_login: str | None

    def locked(self, now: dt.datetime) -> bool:
        """True while a lockout lasts."""
        return self.locked_until is not None and self.locked_until > now

    def access(self) -> Access:
        """The dashboard access this account grants."""
        return Access(user=self.name, role=self.role, scope=self.region)


def current_time() -> dt.datetime:
    """Local time to the second (the clock of lockouts; tests pass their own ``now``)."""
    return dt.datetime.now().replace(microsecond=0)


def _iso(when: dt.datetime) -> str:
    return when.isoformat(timespec="seconds")


def connect(db: Path) -> sqlite3.Connection:
    """The store's activity file with its ``users`` table."""
    con = activity.connect(db)
    con.executescript(USERS_SCHEMA + CREATE_NO_ACCOUNT)
    return con


def _user(row: tuple) -> User:
    name, role, region, disabled, failed, locked, created, last = row
    until = dt.datetime.fromisoformat(locked) if locked else None
    return User(name, role, region, bool(disabled), int(failed), until, created, last)


def _fetch(con: sqlite3.Connection, name: str) -> tuple[User, str] | None:
    rows = con.execute(
        f"SELECT {_USER_COLUMNS}, password FROM users WHERE name = ?",  # noqa: S608
        [name],
    ).fetchall()
    return (_user(rows[0][:-1]), rows[0][-1]) if rows else None


def account_count(db: Path) -> int:
    """How many password accounts the store has (without creating its activity file)."""
    if not activity.log_path(db).exists():
        return 0
    with closing(connect(db)) as con:
        return int(con.execute("SELECT count(*) FROM users").fetchall()[0][0])


def has_accounts(db: Path) -> bool:
    """True when anyone must sign in: a password account exists, or a single sign-on map does.

    An unreadable ``DB.sso.toml`` counts as accounts too: never fall back to the open demo.
    """
    if account_count(db):
        return True
    path = sso_path(db)
    if not path.exists():
        return False
    try:
        return bool(load_sso(path).users)
    except AuthError:
        return True


def get_user(db: Path, name: str) -> User | None:
    """The account ``name``, or None."""
    if not activity.log_path(db).exists():
        return None
    with closing(connect(db)) as con:
        found = _fetch(con, name)
    return found[0] if found else None


def list_users(db: Path) -> list[User]:
    """Every account by name (no hashes)."""
    if not activity.log_path(db).exists():
        return []
    with closing(connect(db)) as con:
        rows = con.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name").fetchall()  # noqa: S608
    return [_user(r) for r in rows]


def users_in_scope(db: Path, scope: str) -> list[str]:
    """Names of the accounts whose region lies within ``scope`` (all of them for ''): password
    accounts and the users of the single sign-on map, sorted."""
    regions = {name: region for name, (_, region) in sso_users(db).items()}
    regions.update((u.name, u.region) for u in list_users(db))
    return sorted(name for name, region in regions.items() if region.startswith(scope))


def add_user(db: Path, name: str, role: str, region: str, password: str, *, by: str) -> User:
    """Create an account; ``by`` (who ran the command) is written to the audit log."""
    check_name(name)
    check_role(role)
    region = check_region(region)
    check_password(password)
    stamp = _iso(current_time())
    hashed = hash_password(password)
    db.parent.mkdir(parents=True, exist_ok=True)  # accounts may come before the first import
    with closing(connect(db)) as con:
        try:
            con.execute(
                "INSERT INTO users (name, role, region, password, created_at, changed_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [name, role, region, hashed, stamp, stamp],
            )
        except sqlite3.IntegrityError:
            raise AuthError(f"an account named {name!r} exists already") from None
        sql = f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?"  # noqa: S608
        rows = con.execute(sql, [name]).fetchall()
    activity.record(
        db, user=by, source="cli", action=USER_ADD, target=name,
        filters={"role": role, "region": region},
    )  # fmt: skip
    return _user(rows[0])


def _change(db: Path, name: str, sql: str, params: list[object]) -> None:
    with closing(connect(db)) as con:
        done = con.execute(sql, [*params, _iso(current_time()), name]).rowcount
    if not done:
        raise AuthError(f"there is no account named {name!r}")


def set_disabled(db: Path, name: str, disabled: bool, *, by: str) -> None:
    """Disable (or enable again) an account; a disabled account cannot sign in."""
    _change(db, name, "UPDATE users SET disabled = ?, changed_at = ? WHERE name = ?",
            [int(disabled)])  # fmt: skip
    action = USER_DISABLE if disabled else USER_ENABLE
    activity.record(db, user=by, source="cli", action=action, target=name)


def set_password(db: Path, name: str, password: str, *, by: str) -> None:
    """A new password; it also lifts a lockout."""
    check_password(password)
    _change(
        db, name,
        "UPDATE users SET password = ?, failed = 0, locked_until = NULL, changed_at = ?"
        " WHERE name = ?",
        [hash_password(password)],
    )  # fmt: skip
    activity.record(db, user=by, source="cli", action=USER_PASSWD, target=name)


# ---------------------------------------------------------------- signing in


@dataclass(frozen=True)
class LoginResult:
    """The outcome of one sign-in: ok, or why not (unknown_user, wrong_password, disabled,
    locked: refused during a lockout, lockout: this failure started one)."""

    ok: bool
    reason: str
    user: User | None
    locked_until: dt.datetime | None = None


def _no_account(
    con: sqlite3.Connection, name: str, password: str, now: dt.datetime, reason: str,
    user: User | None,
) -> LoginResult:  # fmt: skip
    """A sign-in under a name with no usable account: the same work (a password hash) and the
    same answers (locked after five tries) as a real account's, so names cannot be probed."""
    verify_password(password, _dummy_hash())
    row = con.execute(
        "SELECT failed, locked_until FROM no_account_logins WHERE name = ?", [name]
    ).fetchone()
    failed, locked = row if row else (0, None)
    until = dt.datetime.fromisoformat(locked) if locked else None
    if until is not None and until > now:
        return LoginResult(False, "locked", user, until)
    failed += 1
    until = now + LOCK_TIME if failed >= MAX_FAILURES else None
    con.execute(
        "INSERT OR REPLACE INTO no_account_logins VALUES (?, ?, ?)",
        [name, 0 if until else failed, _iso(until) if until else None],
    )
    return LoginResult(False, "lockout" if until else reason, user, until)


def _attempt(
    con: sqlite3.Connection, found: tuple[User, str] | None, password: str, now: dt.datetime,
    name: str = "",
) -> LoginResult:  # fmt: skip
    """Check one password against the account and update its failure count."""
    if found is None:
        return _no_account(con, name, password, now, "unknown_user", None)
    user, stored = found
    if user.disabled:
        return _no_account(con, user.name, password, now, "disabled", user)
    if user.locked(now):
        return LoginResult(False, "locked", user, user.locked_until)
    if verify_password(password, stored):
        con.execute(
            "UPDATE users SET failed = 0, locked_until = NULL, last_login = ? WHERE name = ?",
            [_iso(now), user.name],
        )
        return LoginResult(True, "ok", user)
    failed = user.failed + 1
    if failed >= MAX_FAILURES:
        until = now + LOCK_TIME
        con.execute(
            "UPDATE users SET failed = 0, locked_until = ? WHERE name = ?",
            [_iso(until), user.name],
        )
        return LoginResult(False, "lockout", user, until)
    con.execute("UPDATE users SET failed = ? WHERE name = ?", [failed, user.name])
    return LoginResult(False, "wrong_password", user)


def shown_name(name: str) -> str:
    """A typed account name as the audit log keeps it (a password typed there is not kept)."""
    return name if NAME_PATTERN.fullmatch(name or "") else "?"


def authenticate(
    db: Path, name: str, password: str, *, now: dt.datetime | None = None,
    source: str = "dashboard",
) -> LoginResult:  # fmt: skip
    """Check a sign-in, count failures (five lock the account for 15 minutes) and log it."""
    now = now or current_time()
    with closing(connect(db)) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            result = _attempt(con, _fetch(con, name), password, now, name)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    _log_attempt(db, shown_name(name), result, source)
    return result


def _log_attempt(db: Path, name: str, result: LoginResult, source: str) -> None:
    """One audit entry per attempt; a lockout adds its own."""
    if result.ok:
        activity.record(db, user=name, source=source, action=LOGIN, detail="password")
        return
    action = LOGIN_LOCKED if result.reason == "locked" else LOGIN_FAILED
    activity.record(db, user=name, source=source, action=action, detail=result.reason)
    if result.reason == "lockout" and result.locked_until is not None:
        activity.record(
            db, user=name, source=source, action=LOCKOUT,
            detail=f"{MAX_FAILURES} failed sign-ins; locked until {_iso(result.locked_until)}",
        )  # fmt: skip


# ---------------------------------------------------------------- region names


def region_names(db: Path, codes: list[str]) -> dict[str, str]:
    """``黑龙江省 · 哈尔滨市 · 方正县`` per code, from the store's ``divisions`` (its current
    snapshot, read-only); codes it does not know, and every code before the first import, are
    left out."""
    from pipeline import store

    codes = [c for c in codes if c]
    snapshot = store.current_snapshot(db)
    if snapshot is None or not codes:
        return {}
    import duckdb

    prefixes = sorted({c[:n] for c in codes for n in CODE_LENGTHS if n <= len(c)})
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        rows = con.execute(
            "SELECT code, name FROM divisions WHERE list_contains(?, code)", [prefixes]
        ).fetchall()
    finally:
        con.close()
    names = dict(rows)
    return {
        c: " · ".join(names.get(c[:n], c[:n]) for n in CODE_LENGTHS if n <= len(c))
        for c in codes
        if c in names
    }


# ---------------------------------------------------------------- single sign-on


def sso_path(db: Path) -> Path:
    """The single sign-on map of a store: ``DB.sso.toml``."""
    return db.with_name(db.name + ".sso.toml")


def secrets_path(db: Path) -> Path:
    """The Streamlit secrets of a store (its ``[auth]`` section, for ``st.login``):
    ``DB.secrets.toml``; ``oopwatch serve`` hands it to Streamlit when it exists."""
    return db.with_name(db.name + ".secrets.toml")


@dataclass(frozen=True)
class SsoConfig:
    """Which identity-provider claim names a user, and each such user's role and region."""

    claim: str
    users: dict[str, tuple[str, str]]


def load_sso(path: Path) -> SsoConfig:
    """Read ``DB.sso.toml``: an optional ``claim = "email"`` (the identity token's claim that
    names a user), then one ``[[users]]`` table per user with that claim's value, ``role`` and
    ``region`` (e.g. ``email = "li.ming@ybj.example.gov.cn"``, ``role = "caseworker"``,
    ``region = "230124"``). Values of the claim match case-insensitively."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AuthError(f"{path}: {exc}") from None
    claim = str(raw.get("claim", SSO_CLAIM))
    users: dict[str, tuple[str, str]] = {}
    for i, entry in enumerate(raw.get("users", []), start=1):
        key = str(entry.get(claim, "")).strip().lower()
        if not key:
            raise AuthError(f"{path}: users entry {i} has no {claim!r}")
        users[key] = (check_role(str(entry.get("role", ""))), check_region(entry.get("region")))
    return SsoConfig(claim, users)


def sso_users(db: Path) -> dict[str, tuple[str, str]]:
    """The single sign-on map's users (role, region) by claim value; none when it is missing
    or broken."""
    path = sso_path(db)
    try:
        return load_sso(path).users if path.exists() else {}
    except AuthError:
        return {}


def sso_access(config: SsoConfig, claims: Mapping[str, object]) -> Access | None:
    """The access an identity token's claims grant, or None when the map does not name them.

    With the email claim, an email the provider marks unverified grants nothing.
    """
    value = str(claims.get(config.claim) or "").strip().lower()
    if not value or value not in config.users:
        return None
    if config.claim == "email" and claims.get("email_verified") is False:
        return None
    role, region = config.users[value]
    return Access(user=value, role=role, scope=region, source="sso")


# ---------------------------------------------------------------- where it listens


def is_local_address(address: str | None) -> bool:
    """True for a loopback address (127.0.0.1, ::1, localhost): only this computer connects."""
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False
