"""Who is using the dashboard: sign-in, idle timeout, sign-out, single sign-on, the open demo.

Every run of ``app.py`` passes :func:`gate` before it draws a page. With no accounts at all the
dashboard is an open local demo (on a loopback address only; anywhere else it refuses to show
anything). With accounts, a session holds only the signed-in name and the time of its last
click: the role and region are read from the accounts table on every run (a disabled account
or a changed region takes effect at the next click), and put in session state as the
:class:`pipeline.access.auth.Access` that :mod:`dashboard.data` checks on every read.
"""

from __future__ import annotations

import getpass
import os
import time
from pathlib import Path
from typing import NoReturn

import streamlit as st

from dashboard import data
from dashboard.i18n import LANG_KEY, t
from dashboard.ui import md
from pipeline.access import activity, auth

USER_KEY = "auth.user"  # the signed-in account (its name; the email for single sign-on)
SOURCE_KEY = "auth.source"  # password or sso
LAST_KEY = "auth.last_active"  # time.time() of the session's last run
NOTICE_KEY = "auth.notice"  # why the sign-in form is shown again (expired, signed_out)
SEEN_KEY = "auth.seen"  # action -> the key of the last look of that kind logged
REFUSED_KEY = "auth.sso_refused"  # an identity the map does not name was logged (once)
IDLE_ENV = "OOPWATCH_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 30.0
ADDRESS_ENV = "OOPWATCH_ADDRESS"  # set by ``oopwatch serve``: the address it listens on


def idle_minutes() -> float:
    """Minutes without a click after which a session ends (env, default 30)."""
    try:
        value = float(os.environ.get(IDLE_ENV, DEFAULT_IDLE_MINUTES))
    except ValueError:
        return DEFAULT_IDLE_MINUTES
    return value if value > 0 else DEFAULT_IDLE_MINUTES


def bound_address() -> str | None:
    """The address the server listens on, as ``oopwatch serve`` or Streamlit's option says."""
    return os.environ.get(ADDRESS_ENV) or st.get_option("server.address") or None


def local_only() -> bool:
    """True when only this computer can reach the dashboard: a loopback address, and this
    browser connects from this computer (no address set: the browser's address decides)."""
    client = st.context.ip_address  # None for 127.0.0.1 and ::1 (and no text under AppTest)
    if isinstance(client, str) and client:
        return False
    address = bound_address()
    return address is None or auth.is_local_address(address)


# ---------------------------------------------------------------- the gate


def gate() -> auth.Access:
    """The session's user; draws the sign-in form (and stops the run) when there is none."""
    db = data.db_path()
    if not auth.has_accounts(db):
        return open_demo(db)
    who = signed_in(db)
    if who is None:
        st.session_state.pop(data.ACCESS_KEY, None)
        sign_in_page(db)
        st.stop()
    st.session_state[data.ACCESS_KEY] = who
    sidebar(who)
    return who


def open_demo(db: Path) -> auth.Access:
    """No accounts: everything for anyone on this computer, with a banner saying so."""
    if not local_only():
        st.session_state.pop(data.ACCESS_KEY, None)
        st.title(t("app.title"))
        st.error(t("auth.no_accounts_remote", db=db))
        st.stop()
    who = auth.Access(user=getpass.getuser(), role="admin", scope="", demo=True, source="demo")
    st.session_state[data.ACCESS_KEY] = who
    st.sidebar.info(t("auth.demo"), icon=":material/warning:")
    return who


def signed_in(db: Path) -> auth.Access | None:
    """The signed-in user's access now, or None (never signed in, idle too long, disabled)."""
    name = st.session_state.get(USER_KEY)
    if name is None:
        return sso_sign_in(db)
    if time.time() - float(st.session_state.get(LAST_KEY, 0)) > idle_minutes() * 60:
        end_session(db, name, auth.SESSION_EXPIRED, notice="expired")
        return None
    who = lookup(db, name, st.session_state.get(SOURCE_KEY, "password"))
    if who is None:
        end_session(db, name, None, notice=None)
        return None
    st.session_state[LAST_KEY] = time.time()
    return who


def lookup(db: Path, name: str, source: str) -> auth.Access | None:
    """The access an account grants now (None when it is gone or disabled)."""
    if source == "sso":
        config = sso_config(db)
        entry = config.users.get(name) if config else None
        return auth.Access(name, entry[0], entry[1], source="sso") if entry else None
    user = auth.get_user(db, name)
    if user is None or user.disabled:
        return None
    return user.access()


def end_session(db: Path, name: str, action: str | None, notice: str | None) -> bool:
    """Forget the session's user and everything it chose (the language stays); a single
    sign-on session also signs out of Streamlit's identity cookie and the provider (``st.logout``
    sends the browser there: True then, and the run must not rerun, which would drop that)."""
    sso = st.session_state.get(SOURCE_KEY) == "sso"
    if action:
        activity.record(
            db, user=name, source="dashboard", action=action, detail="sso" if sso else None
        )
    for key in list(st.session_state.keys()):
        if key != LANG_KEY:
            del st.session_state[key]
    if notice:
        st.session_state[NOTICE_KEY] = notice
    if sso and sso_enabled(db):
        st.logout()
        return True
    return False


def start_session(name: str, source: str) -> None:
    """Remember who signed in, from now."""
    st.session_state[USER_KEY] = name
    st.session_state[SOURCE_KEY] = source
    st.session_state[LAST_KEY] = time.time()


# ---------------------------------------------------------------- the sign-in form


def sign_in_page(db: Path) -> None:
    """The sign-in form (name and password), and the single sign-on button when configured."""
    st.title(t("auth.title"))
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(t(f"auth.{notice}", minutes=f"{idle_minutes():g}"))
    with st.form("login", clear_on_submit=True):
        name = st.text_input(t("auth.name"), key="login.name", max_chars=64)
        password = st.text_input(t("auth.password"), type="password", key="login.password")
        submitted = st.form_submit_button(t("auth.submit"), type="primary")
    if submitted:
        sign_in(db, name.strip(), password)
    if sso_enabled(db) and st.button(t("auth.sso"), key="auth.sso", icon=":material/badge:"):
        st.login()


def sign_in(db: Path, name: str, password: str) -> None:
    """Check the password; on success start the session and rerun, else say why not."""
    result = auth.authenticate(db, name, password)
    if result.ok and result.user is not None:
        start_session(result.user.name, "password")
        st.rerun()
    if result.reason in ("locked", "lockout") and result.locked_until is not None:
        st.error(t("auth.locked", until=f"{result.locked_until:%H:%M}"))
    else:
        st.error(t("auth.failed"))


# ---------------------------------------------------------------- single sign-on


def sso_config(db: Path) -> auth.SsoConfig | None:
    """The single sign-on map beside the store, or None when there is none or it is broken."""
    path = auth.sso_path(db)
    if not path.exists():
        return None
    try:
        return auth.load_sso(path)
    except auth.AuthError:
        return None


def sso_enabled(db: Path) -> bool:
    """Single sign-on is offered when ``DB.sso.toml`` parses, Streamlit's ``[auth]`` secrets
    are complete (``DB.secrets.toml``, see ``oopwatch serve``) and Authlib, which ``st.login``
    needs, is installed."""
    if sso_config(db) is None:
        return False
    from streamlit.auth_util import is_authlib_installed, validate_auth_credentials

    try:
        validate_auth_credentials("default")
    except Exception:  # noqa: BLE001 - missing or unreadable secrets: no single sign-on
        return False
    return is_authlib_installed()


def sso_fresh(claims: dict[str, object]) -> bool:
    """True when the identity token was issued less than the idle time ago: Streamlit keeps
    the identity in a cookie for 30 days, and a new session may not start from an old one."""
    issued = claims.get("iat")
    if not isinstance(issued, int | float):
        return False
    return time.time() - issued <= idle_minutes() * 60


def sso_sign_in(db: Path) -> auth.Access | None:
    """A user the identity provider signed in and the map names; None when there is none."""
    if not sso_enabled(db) or not st.user.is_logged_in:
        return None
    claims = st.user.to_dict()
    if not sso_fresh(claims):  # signed in at the provider too long ago: the button again
        st.session_state[NOTICE_KEY] = "expired"
        return None
    config = sso_config(db)
    who = auth.sso_access(config, claims) if config else None
    if who is None:
        sso_refused(db, claims, config)
    start_session(who.user, "sso")
    activity.record(db, user=who.user, source="dashboard", action=auth.LOGIN, detail="sso")
    return who


def sso_refused(db: Path, claims: dict[str, object], config: auth.SsoConfig | None) -> NoReturn:
    """An identity the map does not name: say so (logged once a session), offer to sign out
    of it, and stop the run: nothing of the data is shown."""
    claim = config.claim if config else auth.SSO_CLAIM
    name = auth.shown_name(str(claims.get(claim) or "").strip().lower())
    if not st.session_state.get(REFUSED_KEY):
        activity.record(
            db, user=name, source="dashboard", action=auth.LOGIN_FAILED,
            detail="sso: not in the map",
        )  # fmt: skip
        st.session_state[REFUSED_KEY] = True
    st.title(t("auth.title"))
    st.error(t("auth.sso_unknown", account=md(name)))
    if st.button(t("auth.logout"), key="auth.sso_logout", icon=":material/logout:"):
        st.logout()
    st.stop()


# ---------------------------------------------------------------- the sidebar


def region_label(scope: str) -> str:
    """The scope's name for the sidebar: 全国, or the division's name and code."""
    if not scope:
        return t("auth.national")
    try:
        names = data.place_names(data.current(), scope)
    except data.NoSnapshot:
        return scope
    return f"{names.get(scope, scope)}（{scope}）"


def sidebar(who: auth.Access) -> None:
    """Who is signed in (name, role, region) and the sign-out button."""
    box = st.sidebar.container(border=True)
    box.markdown(f"**{md(who.user)}**  \n{t('role.' + who.role)} · {md(region_label(who.scope))}")
    if box.button(t("auth.logout"), key="auth.logout", icon=":material/logout:"):
        sign_out(who)


def sign_out(who: auth.Access) -> None:
    """End the session at the user's request (logged), and show the sign-in form (a single
    sign-on session: on its way through the provider's sign-out)."""
    if end_session(data.db_path(), who.user, auth.LOGOUT, notice="signed_out"):
        st.stop()
    st.rerun()


# ---------------------------------------------------------------- the audit, once per look


def audit_once(action: str, key: str, **entry: object) -> None:
    """Log a look (a person page, a household) when it opens: reruns on the same page (another
    year, another language) are the same look; another page in between makes a new one."""
    last = st.session_state.setdefault(SEEN_KEY, {})
    if last.get(action) == key:
        return
    data.audit(action, **entry)
    last[action] = key


def forget_look(*actions: str) -> None:
    """A page that shows no person or household: the next one opened is a new look."""
    last = st.session_state.get(SEEN_KEY)
    if last:
        for action in actions:
            last.pop(action, None)
