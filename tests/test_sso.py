"""Single sign-on end to end: a real OIDC identity provider (oidc-provider-mock, in a thread),
``oopwatch serve`` on a store with ``DB.secrets.toml`` (Streamlit's ``[auth]``) and ``DB.sso.toml``
(who may enter) beside it, and a headless Chromium that signs in through the provider's form."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import oidc_provider_mock
import pytest
from click.testing import CliRunner

from dashboard import session
from pipeline import serve
from pipeline.access import activity, auth
from pipeline.cli import main
from tests.authkit import County, copy_store, pick_counties
from tests.test_browser import (
    TIMEOUT,
    TITLE_ZH,
    browser,  # noqa: F401 - the fixture
    ensure_chromium,
    free_port,
    new_page,
    no_exception,
    serving,
    settle,
    shoot,
)

# oidc-provider-mock 0.3 calls an Authlib API that Authlib 1.9 marks deprecated (in its thread;
# Authlib's own deprecation warnings at import it shows always, whatever the filters say)
pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")

SSO_SHOTS = Path("/tmp/sso-shots")
SSO_BUTTON = "使用统一身份认证登录"


def keep_shot(page: object, tmp_path: Path, name: str) -> None:
    """A screenshot kept in SSO_SHOTS to look at (made here: tests run in any order)."""
    SSO_SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shoot(page, tmp_path, name), SSO_SHOTS / f"{name}.png")


OUT_OF_SCOPE = "不在您的管辖范围内。"
EMAIL = "li.ming@ybj.example.gov.cn"  # in the map: a caseworker of county a
SUBJECT = "u-4711"  # the provider's id of that user; their email claim is EMAIL, cased otherwise
STRANGER = "stranger@example.com"  # not in the map


# ---------------------------------------------------------------- the identity provider


def provider_call(url: str, method: str, body: object) -> dict:
    """A JSON request to the provider's API (client registration, user claims)."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method=method,
        headers={"content-type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
    return json.loads(text) if text else {}


def register_client(idp: str, redirect_uri: str) -> dict:
    """Register the dashboard with the provider (it accepts registered clients only)."""
    return provider_call(f"{idp}/oauth2/clients", "POST", {"redirect_uris": [redirect_uri]})


def write_secrets(db: Path, idp: str, client: dict) -> list[str]:
    """``DB.secrets.toml`` for the store (owner-only); the secret values in it."""
    cookie = secrets.token_hex(32)
    path = auth.secrets_path(db)
    path.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{cookie}"\n'
        f'client_id = "{client["client_id"]}"\n'
        f'client_secret = "{client["client_secret"]}"\n'
        f'server_metadata_url = "{idp}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return [cookie, client["client_secret"]]


@dataclass(frozen=True)
class SsoServer:
    """``oopwatch serve`` with single sign-on: its URL, store and log, the provider's URL, the
    county of the mapped user (a) and one of another province (b), the secrets' values."""

    url: str
    db: Path
    log: Path
    idp: str
    a: County
    b: County
    secret_values: list[str]


@contextmanager
def sso_serving(sample_store: Path, tmp: Path) -> Iterator[SsoServer]:
    """The sample store copied into ``tmp``, EMAIL mapped to a caseworker of its busiest county,
    the provider running and the dashboard registered with it, ``oopwatch serve`` on the store
    (until the block ends)."""
    ensure_chromium()
    db = copy_store(sample_store, tmp / "oopwatch.duckdb")
    a, b = pick_counties(db)
    auth.sso_path(db).write_text(
        f'claim = "email"\n[[users]]\nemail = "{EMAIL}"\nrole = "caseworker"\n'
        f'region = "{a.code}"\n',
        encoding="utf-8",
    )
    port = free_port()
    with oidc_provider_mock.run_server_in_thread(require_client_registration=True) as provider:
        idp = f"http://127.0.0.1:{provider.server_port}"
        client = register_client(idp, f"http://127.0.0.1:{port}/oauth2callback")
        values = write_secrets(db, idp, client)
        log = tmp / "serve.log"
        with serving(db, log, port) as url:
            yield SsoServer(url, db, log, idp, a, b, values)


@pytest.fixture(scope="module")
def sso_server(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SsoServer]:
    """One single sign-on server for the module (see :func:`sso_serving`)."""
    with sso_serving(sample_store, tmp_path_factory.mktemp("sso")) as server:
        yield server


# ---------------------------------------------------------------- in the browser


def set_claims(server: SsoServer) -> None:
    """The provider's user SUBJECT, whose email claim is EMAIL (in other case), verified."""
    provider_call(
        f"{server.idp}/users/{SUBJECT}", "PUT",
        {"email": "Li.Ming@ybj.example.gov.cn", "email_verified": True, "name": "李明"},
    )  # fmt: skip


def sign_in_at_provider(page: object, server: SsoServer, subject: str) -> None:
    """From the sign-in page: the SSO button, the provider's form (its ``sub``), and back."""
    page.get_by_role("heading", name="登录").wait_for()
    settle(page)
    assert page.locator('[data-testid="stMetricValue"]').count() == 0, "nothing before sign-in"
    page.get_by_role("button", name=SSO_BUTTON).click()
    page.wait_for_url(lambda u: u.startswith(f"{server.idp}/oauth2/authorize"))
    page.locator('input[name="sub"]').fill(subject)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(lambda u: u.startswith(server.url))


def sign_out_at_provider(page: object, server: SsoServer, button: str) -> None:
    """Click the dashboard's sign-out ``button``: through the provider's end of session back
    to the sign-in page, with no identity left in the browser."""
    page.get_by_role("button", name=button).click()
    page.wait_for_url(lambda u: u.startswith(f"{server.idp}/oauth2/end_session"))
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(lambda u: u.startswith(server.url))
    page.get_by_role("button", name=SSO_BUTTON).wait_for()
    settle(page)
    assert page.locator('[data-testid="stMetricValue"]').count() == 0
    assert not page.get_by_text("未获授权").count()


def audit_lines(db: Path, user: str) -> str:
    """``oopwatch audit --user USER`` as printed."""
    done = CliRunner().invoke(main, ["audit", "--db", str(db), "--user", user])
    assert done.exit_code == 0, done.output
    return done.output


@pytest.mark.browser
def test_sso_signs_in_a_mapped_user_to_their_county(
    sso_server: SsoServer,
    browser: object,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    server = sso_server
    log = server.log.read_text()
    assert f"Streamlit secrets (single sign-on) from {auth.secrets_path(server.db)}" in log
    assert "warning" not in log and not any(v in log for v in server.secret_values)
    set_claims(server)
    page = new_page(browser)
    page.goto(server.url)
    sign_in_at_provider(page, server, SUBJECT)
    page.get_by_role("heading", name=TITLE_ZH).wait_for()
    page.locator('[data-testid="stMetricValue"]').first.wait_for()
    settle(page)
    no_exception(page)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert EMAIL in sidebar and "经办人员" in sidebar and server.a.name in sidebar, sidebar
    region = page.locator('[data-testid="stSelectbox"]').filter(has_text="地区")
    shown = region.inner_text() + " ".join(
        region.locator("input").evaluate_all("inputs => inputs.map(i => i.value)")
    )
    assert server.a.name in shown, shown
    text = page.locator("body").inner_text()
    assert "分省情况" not in text and "下级地区" in text, "the county, not the country"
    keep_shot(page, tmp_path, "sso-signed-in")

    # another province in the URL: a new session (signed in again from Streamlit's identity
    # cookie, so the provider is not asked) that shows the refusal and nothing else
    page.goto(f"{server.url}/drilldown?region={server.b.code[:2]}")
    page.get_by_text(OUT_OF_SCOPE).wait_for()
    settle(page)
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    assert EMAIL in page.locator('[data-testid="stSidebar"]').inner_text()
    keep_shot(page, tmp_path, "sso-out-of-scope")

    sign_out_at_provider(page, server, "退出登录")
    page.goto(server.url)  # the identity cookie is gone: the sign-in page again
    page.get_by_role("button", name=SSO_BUTTON).wait_for()
    settle(page)
    assert page.locator('[data-testid="stMetricValue"]').count() == 0

    logged = [(e.action, e.source, e.detail) for e in reversed(activity.entries(server.db))
              if e.user == EMAIL]  # fmt: skip
    assert logged[0] == ("login", "dashboard", "sso"), logged
    assert logged[-1] == ("logout", "dashboard", "sso"), logged
    assert logged.count(("login", "dashboard", "sso")) == 2, "two sessions, two sign-ins"
    printed = audit_lines(server.db, EMAIL)
    assert "login" in printed and "logout" in printed and "sso" in printed, printed
    assert EMAIL in auth.users_in_scope(server.db, server.a.code)
    assert EMAIL not in auth.users_in_scope(server.db, server.b.code[:2])


@pytest.mark.browser
def test_sso_refuses_an_identity_not_in_the_map(
    sso_server: SsoServer,
    browser: object,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    server = sso_server
    page = new_page(browser)
    page.goto(server.url)
    sign_in_at_provider(page, server, STRANGER)  # the provider's email claim: the sub typed
    page.get_by_text("未获授权").wait_for()
    settle(page)
    no_exception(page)
    text = page.locator("body").inner_text()
    assert STRANGER in text and "请联系管理员" in text, text
    assert page.locator('[data-testid="stMetricValue"]').count() == 0
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    assert page.get_by_role("heading", name=TITLE_ZH).count() == 0
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0, "no pages to go to"
    assert server.a.name not in text
    keep_shot(page, tmp_path, "sso-refused")

    refused = activity.entries(server.db, user=STRANGER)
    assert [(e.action, e.detail) for e in refused] == [("login_failed", "sso: not in the map")]
    assert "login_failed" in audit_lines(server.db, STRANGER)
    sign_out_at_provider(page, server, "退出登录")
    assert [e.action for e in activity.entries(server.db, user=STRANGER)] == ["login_failed"]


@pytest.mark.browser
@pytest.mark.slow
def test_sso_sessions_end_when_idle(
    sample_store: Path,
    browser: object,  # noqa: F811 - the fixture
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Idle for longer than OOPWATCH_IDLE_MINUTES: a new tab does not start from Streamlit's
    identity cookie, and the next click in the open one ends the session (logged) and signs out
    of the provider."""
    monkeypatch.setenv(session.IDLE_ENV, "0.15")  # 9 seconds, for the serve started below
    with sso_serving(sample_store, tmp_path) as server:
        set_claims(server)
        context = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="zh-CN")
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        page.goto(server.url)
        sign_in_at_provider(page, server, SUBJECT)
        page.get_by_role("heading", name=TITLE_ZH).wait_for()
        settle(page)
        page.wait_for_timeout(10_000)

        tab = context.new_page()  # another tab of the same browser: the identity cookie is there
        tab.goto(server.url)
        tab.get_by_text("您已超过 0.15 分钟未操作，请重新登录。").wait_for()
        tab.get_by_role("button", name=SSO_BUTTON).wait_for()
        settle(tab)
        assert tab.locator('[data-testid="stMetricValue"]').count() == 0
        tab.close()

        page.locator('[data-testid="stSidebarNav"]').get_by_text("预警名单").click()
        page.wait_for_url(lambda u: u.startswith(f"{server.idp}/oauth2/end_session"))
        page.get_by_role("button", name="End session").click()
        page.wait_for_url(lambda u: u.startswith(server.url))
        page.get_by_role("button", name=SSO_BUTTON).wait_for()
        logged = [(e.action, e.detail) for e in reversed(activity.entries(server.db))]
        assert logged == [("login", "sso"), ("session_expired", "sso")], logged


# ---------------------------------------------------------------- without a browser


def test_serve_hands_the_stores_secrets_file_to_streamlit(tmp_path: Path) -> None:
    db = tmp_path / "oopwatch.duckdb"
    said: list[str] = []
    assert serve.store_secrets(db, said.append) is None and said == []
    assert "--secrets.files" not in serve.streamlit_command(8501, "127.0.0.1")
    assert serve.streamlit_command(8501, "127.0.0.1", None) == serve.streamlit_command(
        8501, "127.0.0.1"
    )

    path = auth.secrets_path(db)
    assert path.name == "oopwatch.duckdb.secrets.toml"
    path.write_text('[auth]\ncookie_secret = "do-not-print-me"\n', encoding="utf-8")
    path.chmod(0o600)
    assert serve.store_secrets(db, said.append) == path
    assert said == [f"Streamlit secrets (single sign-on) from {path}"]
    cmd = serve.streamlit_command(8501, "127.0.0.1", path)
    flags = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert flags["--secrets.files"] == str(path) and flags["--server.port"] == "8501"

    path.chmod(0o644)
    said.clear()
    assert serve.store_secrets(db, said.append) == path
    assert said[1] == f"warning: other users of this computer can read {path}: chmod 600 it"
    assert not any("do-not-print-me" in line for line in said)
    assert not auth.has_accounts(db), "secrets alone are no accounts: the open demo rules hold"

    helped = subprocess.run(
        [sys.executable, "-m", "streamlit", "run", "--help"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "--secrets.files" in helped.stdout, "this Streamlit takes the flag serve passes"


def test_a_new_session_needs_a_recent_sign_in_at_the_provider(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Streamlit's identity cookie lasts 30 days; a session starts from it only within the idle
    time of the provider's sign-in (its ``iat``)."""
    now = time.time()
    assert session.sso_fresh({"iat": int(now) - 60})
    assert not session.sso_fresh({"iat": int(now) - 31 * 60})
    assert not session.sso_fresh({"email": EMAIL}), "no issue time: not trusted"
    monkeypatch.setenv(session.IDLE_ENV, "60")
    assert session.sso_fresh({"iat": int(now) - 31 * 60})


def test_regional_admins_see_their_sso_users_in_the_audit(tmp_path: Path) -> None:
    db = tmp_path / "oopwatch.duckdb"
    auth.add_user(db, "north", "caseworker", "371622", "correct horse 7", by="tests")
    auth.sso_path(db).write_text(
        f'[[users]]\nemail = "{EMAIL}"\nrole = "viewer"\nregion = "371622001"\n'
        '[[users]]\nemail = "far@example.com"\nrole = "viewer"\nregion = "23"\n',
        encoding="utf-8",
    )
    assert auth.users_in_scope(db, "3716") == [EMAIL, "north"]
    assert auth.users_in_scope(db, "") == ["far@example.com", EMAIL, "north"]
    auth.sso_path(db).write_text("not toml [", encoding="utf-8")
    assert auth.users_in_scope(db, "") == ["north"], "a broken map names nobody"
