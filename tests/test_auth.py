"""Accounts, roles and region scope: who may see whom (issue 8).

Passwords and lockouts through ``pipeline.access.auth`` and the ``oopwatch users`` commands; scope
through real AppTest sessions of two counties' users on a copy of the sample store, also when
they edit the URL or the selectors; escaping of names; SQL in filters; the open demo.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from dashboard import data
from pipeline import flow, schema, store
from pipeline.access import activity, auth
from pipeline.cli import main
from tests.authkit import APP, PASSWORD, County, Secured, page_text, signed_in
from tests.conftest import CLAIM_HEADER, make_id, snapshot_sql, write_csv

OUT_OF_SCOPE = "不在您的管辖范围内。"


FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def flagged_ids(db: Path, county: str) -> set[str]:
    """Masked IDs of the people flagged in 2026 in a county (SQL, not the dashboard)."""
    rows = snapshot_sql(
        db,
        "SELECT person_id FROM watchlist WHERE year = 2026 AND starts_with(village_code, ?)",
        [county],
    )
    return {schema.mask_id(r[0]) for r in rows}


# ---------------------------------------------------------------- passwords and accounts


def test_passwords_are_salted_scrypt_hashes() -> None:
    first, second = auth.hash_password("s3cret pass"), auth.hash_password("s3cret pass")
    assert first != second, "a new random salt each time"
    kind, n, r, p, salt, key = first.split("$")
    assert (kind, n, r, p) == ("scrypt", str(2**14), "8", "1")
    assert len(bytes.fromhex(salt)) == 16 and len(bytes.fromhex(key)) == 32
    assert auth.verify_password("s3cret pass", first)
    assert not auth.verify_password("s3cret pasS", first)
    assert not auth.verify_password("s3cret pass", "md5$abc")


def test_users_commands(secured: Secured, tmp_path: Path) -> None:
    """add (password from stdin), list (no hash), disable, enable, passwd; all logged."""
    runner = CliRunner()
    db = tmp_path / "store" / "oopwatch.duckdb"
    db.parent.mkdir()
    refused = runner.invoke(main, ["users", "list", "--db", str(db)])
    assert refused.exit_code == 2 and "no store at" in refused.output
    assert not activity.log_path(db).exists(), "a mistyped --db makes no file"
    store.open_store(db).close()

    def run(*args: str, input: str | None = None):
        return runner.invoke(main, [*args, "--db", str(db)], input=input)

    done = run("users", "add", "li.ming", "--role", "caseworker", "--region", "230124",
               input="first pass 1\n")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "added li.ming: caseworker, 230124" in done.output
    assert "first pass 1" not in done.output
    stored = sqlite3.connect(activity.log_path(db)).execute("SELECT password FROM users").fetchall()
    assert stored[0][0].startswith("scrypt$") and "first pass 1" not in stored[0][0]

    assert run("users", "add", "li.ming", "--role", "viewer", input="another 12\n").exit_code == 2
    assert run("users", "add", "wang", "--role", "viewer", "--region", "2301245",
               input="long enough\n").exit_code == 2  # fmt: skip
    assert run("users", "add", "wang", "--role", "boss", input="long enough\n").exit_code == 2
    short = run("users", "add", "wang", "--role", "viewer", input="short\n")
    assert short.exit_code == 2 and "at least 8" in short.output
    assert run("users", "add", "zhao", "--role", "admin", "--region", "",
               input="national 99\n").exit_code == 0  # fmt: skip

    listed = run("users", "list")
    assert listed.exit_code == 0
    assert "li.ming" in listed.output and "caseworker" in listed.output
    assert "zhao" in listed.output and "national" in listed.output
    assert "scrypt" not in listed.output and stored[0][0][-20:] not in listed.output

    assert auth.authenticate(db, "li.ming", "first pass 1").ok
    assert run("users", "disable", "li.ming").exit_code == 0
    refused = auth.authenticate(db, "li.ming", "first pass 1")
    assert not refused.ok and refused.reason == "disabled"
    assert "disabled" in run("users", "list").output
    assert run("users", "enable", "li.ming").exit_code == 0
    assert run("users", "passwd", "li.ming", input="second pass 2\n").exit_code == 0
    assert not auth.authenticate(db, "li.ming", "first pass 1").ok
    assert auth.authenticate(db, "li.ming", "second pass 2").ok
    assert run("users", "passwd", "nobody", input="whatever 123\n").exit_code == 2

    actions = [(e.action, e.target) for e in activity.entries(db) if e.source == "cli"]
    assert ("user_add", "li.ming") in actions and ("user_disable", "li.ming") in actions
    assert ("user_passwd", "li.ming") in actions and ("user_enable", "li.ming") in actions

    # with a store, the region is named from its divisions
    named = runner.invoke(
        main, ["users", "add", "kim", "--role", "viewer", "--region", secured.a.code,
               "--db", str(secured.db)], input="viewer pass 1\n",
    )  # fmt: skip
    assert named.exit_code == 0 and secured.a.name in named.output


def test_lockout_after_five_failures_and_release(tmp_path: Path) -> None:
    db = tmp_path / "oopwatch.duckdb"
    auth.add_user(db, "wu", "viewer", "23", PASSWORD, by="tests")
    start = dt.datetime(2026, 11, 20, 9, 0, 0)
    reasons = [auth.authenticate(db, "wu", "wrong", now=start).reason for _ in range(5)]
    assert reasons == ["wrong_password"] * 4 + ["lockout"]
    user = auth.get_user(db, "wu")
    assert user is not None and user.locked_until == start + dt.timedelta(minutes=15)
    later = start + dt.timedelta(minutes=14, seconds=59)
    locked = auth.authenticate(db, "wu", PASSWORD, now=later)
    assert not locked.ok and locked.reason == "locked", "the right password waits too"
    released = auth.authenticate(db, "wu", PASSWORD, now=start + dt.timedelta(minutes=15))
    assert released.ok
    user = auth.get_user(db, "wu")
    assert user is not None and user.failed == 0 and user.locked_until is None
    unknown = auth.authenticate(db, "nobody", PASSWORD)
    assert not unknown.ok and unknown.reason == "unknown_user"
    log = [(e.user, e.action) for e in reversed(activity.entries(db))]
    assert log.count(("wu", "login_failed")) == 5
    assert ("wu", "lockout") in log and ("wu", "login_locked") in log
    assert log[-2:] == [("wu", "login"), ("nobody", "login_failed")]
    assert all("wrong" not in (e.detail or "") or e.action != "login" for e in activity.entries(db))


def test_single_sign_on_maps_a_claim_to_role_and_region(tmp_path: Path) -> None:
    db = tmp_path / "oopwatch.duckdb"
    path = auth.sso_path(db)
    assert path.name == "oopwatch.duckdb.sso.toml"
    assert not auth.has_accounts(db)
    path.write_text(
        """[[users]]
email = "Li.Ming@ybj.example.gov.cn"
role = "caseworker"
region = "230124"

[[users]]
email = "chief@ybj.example.gov.cn"
role = "admin"
region = ""
""",
        encoding="utf-8",
    )
    config = auth.load_sso(path)
    assert auth.has_accounts(db), "a single sign-on map means sign-in is required"
    who = auth.sso_access(config, {"email": "li.ming@ybj.example.gov.cn", "email_verified": True})
    assert who == auth.Access("li.ming@ybj.example.gov.cn", "caseworker", "230124", source="sso")
    assert auth.sso_access(config, {"email": "chief@ybj.example.gov.cn"}).national
    assert auth.sso_access(config, {"email": "stranger@example.com"}) is None
    assert auth.sso_access(config, {"email": "li.ming@ybj.example.gov.cn",
                                    "email_verified": False}) is None  # fmt: skip
    assert auth.sso_access(config, {"name": "no email"}) is None

    path.write_text('claim = "sub"\n[[users]]\nsub = "u-42"\nrole = "viewer"\nregion = "23"\n')
    assert auth.sso_access(auth.load_sso(path), {"sub": "u-42"}).scope == "23"
    path.write_text('[[users]]\nemail = "x@y.cn"\nrole = "root"\n')
    with pytest.raises(auth.AuthError):
        auth.load_sso(path)
    assert auth.has_accounts(db), "a broken map never opens the demo"


def test_serve_refuses_the_open_demo_on_another_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OOPWATCH_DB", raising=False)
    db = tmp_path / "oopwatch.duckdb"  # serve with no --db: the demo store here
    done = CliRunner().invoke(main, ["serve", "--address", "0.0.0.0"])
    assert done.exit_code == 2
    assert "has no accounts" in done.output and "oopwatch users add" in done.output
    assert not db.exists(), "no demo store is built for a server that will not start"
    assert not activity.log_path(db).exists()
    assert auth.is_local_address("127.0.0.1") and auth.is_local_address("::1")
    assert auth.is_local_address("localhost") and auth.is_local_address("127.0.0.2")
    assert not auth.is_local_address("0.0.0.0") and not auth.is_local_address("192.168.1.5")


# ---------------------------------------------------------------- scope in the dashboard


def check_county_session(secured: Secured, me: County, other: County, name: str) -> None:
    """One county's caseworker: their county everywhere, the other's nowhere, whatever the URL."""
    at = signed_in(name)
    region = at.selectbox(key="overview.region.zh")
    assert region.value == me.code and len(region.options) == 1
    assert me.name in region.options[0]
    assert f"{name}" in "\n".join(m.value for m in at.sidebar.markdown)
    figures = snapshot_sql(
        secured.db, "SELECT people FROM region_year WHERE year = 2026 AND code = ?", [me.code]
    )[0][0]
    assert {m.label: m.value for m in at.metric}["人数"] == f"{figures:,}"
    assert "分省情况" not in page_text(at), "no national table for a county user"

    at.switch_page("views/watchlist.py").run()
    shown = set(at.dataframe[0].value["身份证号（脱敏）"])
    assert shown and shown <= flagged_ids(secured.db, me.code)
    assert not shown & flagged_ids(secured.db, other.code)
    at.session_state["wl.region"] = other.code  # a tampered selector falls back to the county
    at.run()
    assert at.selectbox(key="wl.region.zh").value == me.code
    assert set(at.dataframe[0].value["身份证号（脱敏）"]) == shown

    at.switch_page("views/drilldown.py").run()
    crumbs = [m.value for m in at.main.markdown if m.value.startswith("**")]
    assert crumbs[0] == f"**{me.name}**", "the breadcrumb starts at the county"
    assert not any(b.key and b.key.startswith("crumb.") for b in at.button)
    for tampered in (other.code, other.code[:2], "", other.village_code):
        at.query_params["region"] = tampered
        at.run()
        assert not at.exception
        if tampered == "":
            assert OUT_OF_SCOPE not in page_text(at)
            continue
        assert [e.value for e in at.error] == [OUT_OF_SCOPE]
        assert not at.dataframe and not at.metric and not at.get("plotly_chart")
    at.query_params["region"] = other.village_code
    at.query_params["household"] = other.household_id
    at.run()
    assert [e.value for e in at.error] == [OUT_OF_SCOPE]
    assert other.person_name not in page_text(at)

    # the other county's person by token: refused; by the full ID: no one is found
    token = data.person_token(data.current(secured.db), other.person_id)
    for key, refused in ((token, [OUT_OF_SCOPE]), (other.person_id, [])):
        person = signed_in(name, "views/person.py", person=key, year="2026")
        assert [e.value for e in person.error] == refused
        text = page_text(person)
        assert other.person_name not in text and schema.mask_id(other.person_id) not in text
        assert not person.dataframe and not person.metric
    mine = signed_in(
        name, "views/person.py", person=data.person_token(data.current(secured.db), me.person_id)
    )
    assert not mine.error and any(me.person_name in m.value for m in mine.markdown)


def test_two_counties_never_see_each_other(secured_app: Secured) -> None:
    check_county_session(secured_app, secured_app.a, secured_app.b, "north")
    check_county_session(secured_app, secured_app.b, secured_app.a, "south")


def test_data_functions_refuse_other_regions(secured: Secured) -> None:
    """The guard is in the data layer: a page that forgot a check still gets nothing."""
    snap = data.current(secured.db)
    north = auth.Access("north", "caseworker", secured.a.code)
    with data.acting_as(north):
        assert data.region_figures(snap, 2026, secured.a.code).people > 0
        for call in (
            lambda: data.region_figures(snap, 2026, secured.b.code),
            lambda: data.region_figures(snap, 2026, ""),
            lambda: data.watchlist_page(snap, 2026, secured.b.code),
            lambda: data.overview_by_province(snap, 2026),
            lambda: data.region_children(snap, 2026, secured.b.code[:2]),
            lambda: data.find_person(snap, data.person_token(snap, secured.b.person_id)),
            lambda: data.person_claims(snap, secured.b.person_id, 2026),
            lambda: data.person_page(snap, secured.b.person_id, 2026, None, None),
            lambda: data.household_members(snap, 2026, secured.b.household_id),
            lambda: data.watchlist_file(snap, 2026, secured.b.code),
            lambda: data.reject_examples(snap),
            lambda: data.unmatched_claims(snap),
        ):
            with pytest.raises(data.AccessDenied):
                call()
        assert set(data.regions(snap)["code"]) <= {secured.a.code}
        path = data.region_path(snap, 2026, secured.a.village_code)
        assert list(path["code"])[0] == secured.a.code, "nothing above the county"
        quiet = data.quiet_weeks(snap)
        assert all(c.startswith(secured.a.code) for c in quiet["county"])
    with data.acting_as(auth.Access("chief", "admin", "")):
        assert data.find_person(snap, data.person_token(snap, secured.b.person_id)) is not None


def test_every_data_function_is_guarded() -> None:
    """Each public data function is either guarded or marked as open (no people, no regions)."""
    unchecked = []
    for name, fn in vars(data).items():
        if name.startswith("_") or not callable(fn) or isinstance(fn, type):
            continue
        if not str(getattr(fn, "__module__", "")).startswith("dashboard.data"):
            continue
        params = list(inspect.signature(fn).parameters)
        if params[:1] in (["snapshot"], ["db"], ["files"]) and not hasattr(fn, "guarded"):
            unchecked.append(name)
    # the store's snapshot and a raw cursor (data.py's own helpers), a log writer, and the
    # server's warm-up (it calls the guarded functions as its own national identity, for the
    # cache; it returns nothing to a page)
    assert sorted(unchecked) == ["current", "cursor", "keep_warm", "record_download", "warm"], (
        unchecked
    )


def test_viewer_sees_masked_names_and_cannot_download(secured_app: Secured) -> None:
    at = signed_in("peek", "views/watchlist.py")
    assert len(at.dataframe[0].value) > 0
    for frame in (d.value for d in at.dataframe):
        names = list(frame.get("姓名", []))
        assert all(re.fullmatch(r".＊＊", n) for n in names), names[:5]
    assert not at.download_button, "no download of names"
    assert any("不能下载" in c.value for c in at.caption)
    snap = data.current(secured_app.db)
    with data.acting_as(auth.Access("peek", "viewer", secured_app.a.code)), \
            pytest.raises(data.RoleDenied):  # fmt: skip
        data.download_file(snap, "x.csv", 2026, secured_app.a.code, kind="csv")

    person = signed_in(
        "peek", "views/person.py", person=data.person_token(snap, secured_app.a.person_id)
    )
    assert person.error and "需要经办人员权限" in person.error[0].value
    assert secured_app.a.person_name not in page_text(person)
    drill = signed_in("peek", "views/drilldown.py", region=secured_app.a.village_code)
    households = drill.dataframe[0].value
    assert "户编号" not in households.columns and len(households) > 0
    assert not any(s.label == "打开家庭" for s in drill.selectbox)


def test_sign_in_form_and_sidebar(secured_app: Secured) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert at.title[0].value == "登录"
    assert not at.metric and not at.dataframe, "nothing before signing in"
    at.text_input(key="login.name").input("north")
    at.text_input(key="login.password").input("not it")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["用户名或密码错误。"]
    at.text_input(key="login.name").input("north")
    at.text_input(key="login.password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == "医疗费用个人负担总览"
    assert at.selectbox(key="overview.region.zh").value == secured_app.a.code
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert "north" in sidebar and "经办人员" in sidebar and secured_app.a.name in sidebar
    at.sidebar.radio[0].set_value("en").run()
    assert "Caseworker" in "\n".join(m.value for m in at.sidebar.markdown)
    at.sidebar.button(key="auth.logout").click().run()
    assert at.title[0].value == "Sign in"
    assert any("signed out" in i.value for i in at.info)
    assert not at.metric
    assert [e.action for e in activity.entries(secured_app.db, user="north")][:3] == [
        "logout", "login", "login_failed",
    ]  # fmt: skip


def test_lockout_through_the_form(secured_app: Secured) -> None:
    auth.set_password(secured_app.db, "south", PASSWORD, by="tests")  # no lockout left over
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    for _ in range(auth.MAX_FAILURES):
        at.text_input(key="login.name").input("south")
        at.text_input(key="login.password").input("guess")
        at.button[0].click().run()
    assert "已锁定" in at.error[0].value
    at.text_input(key="login.name").input("south")
    at.text_input(key="login.password").input(PASSWORD)
    at.button[0].click().run()
    assert "已锁定" in at.error[0].value and at.title[0].value == "登录"
    with sqlite3.connect(activity.log_path(secured_app.db)) as con:  # the 15 minutes pass
        con.execute("UPDATE users SET locked_until = '2000-01-01T00:00:00' WHERE name = 'south'")
    at.text_input(key="login.name").input("south")
    at.text_input(key="login.password").input(PASSWORD)
    at.button[0].click().run()
    assert at.title[0].value == "医疗费用个人负担总览"


def test_idle_session_expires(secured_app: Secured, monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in("north")
    assert at.title[0].value == "医疗费用个人负担总览"
    at.session_state["auth.last_active"] = time.time() - 29 * 60
    at.run()
    assert at.title[0].value == "医疗费用个人负担总览", "29 minutes idle: still signed in"
    at.session_state["auth.last_active"] = time.time() - 31 * 60
    at.run()
    assert at.title[0].value == "登录"
    assert any("30 分钟" in i.value for i in at.info)
    assert not at.metric
    assert activity.entries(secured_app.db, user="north")[0].action == "session_expired"
    monkeypatch.setenv("OOPWATCH_IDLE_MINUTES", "5")
    at = signed_in("north")
    at.session_state["auth.last_active"] = time.time() - 6 * 60
    at.run()
    assert at.title[0].value == "登录"


def test_a_disabled_account_is_signed_out_at_its_next_click(secured_app: Secured) -> None:
    at = signed_in("boss_a")
    auth.set_disabled(secured_app.db, "boss_a", True, by="tests")
    try:
        at.run()
        assert at.title[0].value == "登录" and not at.metric
    finally:
        auth.set_disabled(secured_app.db, "boss_a", False, by="tests")


# ---------------------------------------------------------------- the open demo


def test_open_demo_on_localhost_has_a_banner(app_db: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert at.title[0].value == "医疗费用个人负担总览"
    banner = [i.value for i in at.sidebar.info]
    assert banner and "演示" in banner[0] and "添加管理员账号" in banner[0]
    assert "oopwatch" not in banner[0], "no command lines in the interface"
    at.sidebar.radio[0].set_value("en").run()
    assert "local demo" in at.sidebar.info[0].value


def test_open_demo_refuses_another_address(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OOPWATCH_ADDRESS", "0.0.0.0")
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    assert at.error and "添加第一个管理员账号" in at.error[0].value
    assert not at.metric and not at.dataframe and not at.selectbox


# ---------------------------------------------------------------- names and filters as data


def hostile_store(tmp_path: Path) -> tuple[Path, str]:
    """One flagged person whose name and village name are markup."""
    pid = make_id(5, county="230124")
    week = tmp_path / "week01"
    write_csv(
        week / "roster.csv",
        ["person_id", "name", "household_id", "village_code", "village_name", "category"],
        [(pid, "<script>alert(1)</script>", "H<b>1</b>", "230124100998",
          "[村](javascript:alert(1)) <img src=x onerror=alert(1)>", "dibao")],
    )  # fmt: skip
    write_csv(
        week / "claims.csv", CLAIM_HEADER,
        [("X1", pid, "2026-03-01", "inpatient", "30000.00", "10000.00", "0", "0")],
    )  # fmt: skip
    db = tmp_path / "store" / "oopwatch.duckdb"
    flow.ingest([week], db)
    return db, pid


def test_markup_in_names_shows_as_plain_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, pid = hostile_store(tmp_path)
    monkeypatch.setenv("OOPWATCH_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.switch_page("views/person.py")
    at.query_params["person"] = data.person_token(data.current(db), pid)
    at.run()
    assert not at.exception
    heading = at.markdown[0].value
    assert heading.startswith("### \\<script\\>alert(1)\\</script\\>"), heading
    drill = AppTest.from_file(str(APP), default_timeout=30).run()
    drill.switch_page("views/drilldown.py")
    drill.query_params["region"] = "230124100998"
    drill.query_params["household"] = "H<b>1</b>"
    drill.run()
    assert not drill.exception
    assert "<script>alert(1)</script>" in list(drill.dataframe[0].value["姓名"])  # a cell: text
    for session in (at, drill):
        for element in [*session.markdown, *session.caption]:
            assert not element.proto.allow_html, element.value
            raw = re.sub(r"\\.", "", element.value)  # what is left once escapes are taken out
            assert "<" not in raw and "](" not in raw, element.value
        for button in session.button:
            assert "<" not in re.sub(r"\\.", "", button.label)


def test_sql_in_filters_is_harmless(app_db: Path) -> None:
    injected = "23' OR '1'='1"
    drill = AppTest.from_file(str(APP), default_timeout=30).run()
    drill.switch_page("views/drilldown.py")
    drill.query_params["region"] = injected
    drill.run()
    assert not drill.exception
    assert drill.subheader[0].value == "各省份", "a malformed region is no region"
    person = AppTest.from_file(str(APP), default_timeout=30).run()
    person.switch_page("views/person.py")
    person.query_params["person"] = "' OR 1=1 --"
    person.run()
    assert [i.value for i in person.main.info] == ["找不到这个人。"]
    watch = AppTest.from_file(str(APP), default_timeout=30)
    watch.session_state["wl.region"] = injected
    watch.session_state["wl.category"] = injected
    watch.run()
    watch.switch_page("views/watchlist.py").run()
    assert not watch.exception
    assert watch.selectbox(key="wl.region.zh").value == ""

    snap = data.current(app_db)
    with data.acting_as(auth.Access("chief", "admin", "")), pytest.raises(data.OutOfScope):
        data.watchlist_page(snap, 2026, injected)
    frame, total = data.watchlist_page(snap, 2026, "", category=injected, rule=injected)
    assert total == 0 and frame.empty
    assert data.find_person(snap, "' OR '1'='1") is None
    assert snapshot_sql(app_db, "SELECT count(*) FROM people")[0][0] > 100, "nothing dropped"
    assert not FULL_ID.search(page_text(watch))


def test_names_cannot_be_probed_by_lockouts(tmp_path: Path) -> None:
    """An unknown or disabled name answers as an account does: locked after five tries."""
    db = tmp_path / "oopwatch.duckdb"
    auth.add_user(db, "wu", "viewer", "23", PASSWORD, by="tests")
    auth.add_user(db, "gone", "viewer", "23", PASSWORD, by="tests")
    with closing(auth.connect(db)) as con, con:
        con.execute("UPDATE users SET disabled = 1 WHERE name = 'gone'")
    start = dt.datetime(2026, 11, 20, 9, 0, 0)
    answers = {}
    for name in ("wu", "nobody", "gone"):
        tries = [auth.authenticate(db, name, "wrong", now=start) for _ in range(6)]
        answers[name] = [(r.ok, r.reason in ("locked", "lockout"), r.locked_until) for r in tries]
    assert answers["nobody"] == answers["wu"] == answers["gone"]
    assert answers["wu"][4] == (False, True, start + dt.timedelta(minutes=15))
    later = start + dt.timedelta(minutes=15)
    assert auth.authenticate(db, "nobody", "wrong", now=later).reason == "unknown_user"
    assert auth.authenticate(db, "wu", PASSWORD, now=later).ok
