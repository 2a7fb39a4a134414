"""The audit trail (issue 8): every person page opened, every download and export, sign-ins and
account changes land in the append-only activity log with the right user; admins read it in
the dashboard (regional admins: their region's accounts only) and with ``oopwatch audit``."""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from dashboard import data
from pipeline import schema
from pipeline.access import activity, auth
from pipeline.cli import main
from tests.authkit import PASSWORD, Secured, make_secured, signed_in
from tests.conftest import ROSTER_HEADER, make_id, write_csv

FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


@pytest.fixture(scope="module")
def secured(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Secured:
    """The sample store copied, with two counties' accounts (see tests.authkit.Secured)."""
    return make_secured(sample_store, tmp_path_factory.mktemp("audited"))


@pytest.fixture
def secured_app(secured: Secured, monkeypatch: pytest.MonkeyPatch) -> Secured:
    """The secured store as the dashboard under test sees it (env OOPWATCH_DB)."""
    monkeypatch.setenv("OOPWATCH_DB", str(secured.db))
    return secured


def new_entries(db: Path, since_id: int) -> list[activity.Entry]:
    """Entries appended after ``since_id``, oldest first."""
    return [e for e in reversed(activity.entries(db, limit=10_000)) if e.id > since_id]


def last_id(db: Path) -> int:
    found = activity.entries(db, limit=1)
    return found[0].id if found else 0


def no_full_id_logged(db: Path) -> None:
    for e in activity.entries(db, limit=10_000):
        text = " ".join(str(v) for v in (e.target, e.filters, e.detail) if v)
        assert not FULL_ID.search(text), e


def test_person_pages_opened_are_logged(secured_app: Secured) -> None:
    db, a = secured_app.db, secured_app.a
    before = last_id(db)
    token = data.person_token(data.current(db), a.person_id)
    at = signed_in("north", "views/person.py", person=token, year="2026")
    assert any(a.person_name in m.value for m in at.markdown)
    at.sidebar.radio[0].set_value("en").run()  # the same page again: the same look
    at.run()
    logged = [e for e in new_entries(db, before) if e.action == "person_view"]
    assert len(logged) == 1
    entry = logged[0]
    assert entry.user == "north" and entry.source == "dashboard"
    assert entry.target == schema.mask_id(a.person_id) and token in (entry.detail or "")
    assert a.person_id not in (entry.filters or "") + (entry.detail or "")

    # another person of the household, then back: two more looks
    other = data.household_members(data.current(db), 2026, a.household_id)
    others = [p for p in other["person_id"] if p != a.person_id]
    for person in [*others[:1], a.person_id]:
        at.query_params["person"] = data.person_token(data.current(db), person)
        at.run()
    assert len([e for e in new_entries(db, before) if e.action == "person_view"]) == 1 + len(
        [*others[:1], a.person_id]
    )
    # a person outside the county: refused, and the attempt is logged too
    signed_in(
        "north",
        "views/person.py",
        person=data.person_token(data.current(db), secured_app.b.person_id),
    )
    denied = [e for e in new_entries(db, before) if e.action == "denied"]
    assert denied and denied[-1].user == "north"
    no_full_id_logged(db)


def test_household_views_are_logged(secured_app: Secured) -> None:
    db, a = secured_app.db, secured_app.a
    before = last_id(db)
    at = signed_in("south", "views/drilldown.py", region=secured_app.b.village_code,
                   household=secured_app.b.household_id)  # fmt: skip
    assert at.subheader[0].value == "家庭成员"
    logged = [e for e in new_entries(db, before) if e.action == "household_view"]
    assert [(e.user, e.target) for e in logged] == [("south", secured_app.b.household_id)]
    assert a.household_id not in [e.target for e in logged]


def test_downloads_are_logged_under_the_signed_in_user(secured_app: Secured) -> None:
    db, a = secured_app.db, secured_app.a
    snap = data.current(db)
    before = last_id(db)
    with data.acting_as(auth.Access("north", "caseworker", a.code)):
        body = data.download_file(snap, "list.csv", 2026, a.code, severity="high", kind="csv")
    assert body.startswith(b"\xef\xbb\xbf")
    assert not FULL_ID.search(body.decode("utf-8-sig"))
    (entry,) = new_entries(db, before)
    assert (entry.user, entry.action, entry.source, entry.target) == (
        "north", "download", "dashboard", "list.csv",
    )  # fmt: skip
    assert not entry.full_ids and entry.rows == body.decode("utf-8-sig").count("\r\n") - 1
    assert f'"region": "{a.code}"' in (entry.filters or "")
    assert '"severity": "high"' in (entry.filters or "")


def test_full_id_export_needs_an_admin_and_a_reason(secured_app: Secured) -> None:
    db, a = secured_app.db, secured_app.a
    before = last_id(db)
    clerk = signed_in("north", "views/watchlist.py")
    assert clerk.download_button, "caseworkers download masked lists"
    assert not [e for e in clerk.expander if "完整身份证号" in e.label]
    snap = data.current(db)
    with data.acting_as(auth.Access("north", "caseworker", a.code)), pytest.raises(data.RoleDenied):
        data.full_id_file(snap, "visits", "x.xlsx", 2026, a.code)

    admin = signed_in("boss_a", "views/watchlist.py")
    admin.text_input(key="wl.full_ids.reason").input("ok")
    admin.button(key="FormSubmitter:wl.full_ids.form-生成完整身份证号名单").click().run()
    assert "至少" in admin.error[0].value
    assert not [e for e in new_entries(db, before) if e.action == "export"]
    reason = "县医保局入户核查（2026-11 批次）"
    admin.text_input(key="wl.full_ids.reason").input(reason)
    admin.button(key="FormSubmitter:wl.full_ids.form-生成完整身份证号名单").click().run()
    assert not admin.exception
    assert any("已生成" in s.value for s in admin.success)
    (entry,) = [e for e in new_entries(db, before) if e.action == "export"]
    assert entry.user == "boss_a" and entry.full_ids and entry.source == "dashboard"
    assert entry.detail == f"reason: {reason}"
    assert f'"region": "{a.code}"' in (entry.filters or "")
    button = next(b for b in admin.get("download_button") if "完整" in b.proto.label)
    assert button.proto.label == "下载完整身份证号名单"

    with data.acting_as(auth.Access("boss_a", "admin", a.code)):
        content, rows = data.full_id_file(snap, reason, "x.xlsx", 2026, a.code)
        with pytest.raises(data.OutOfScope):
            data.full_id_file(snap, reason, "x.xlsx", 2026, secured_app.b.code)
    sheet = openpyxl.load_workbook(io.BytesIO(content))["名单"]
    ids = [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(ids) == rows > 0 and all(FULL_ID.fullmatch(i) for i in ids)
    assert all(i.startswith(a.code[:4]) for i in ids)
    no_full_id_logged(db)


def test_sign_ins_are_logged(secured: Secured) -> None:
    db = secured.db
    before = last_id(db)
    assert not auth.authenticate(db, "peek", "nope").ok
    assert auth.authenticate(db, "peek", PASSWORD).ok
    got = [(e.user, e.action, e.detail) for e in new_entries(db, before)]
    assert got == [("peek", "login_failed", "wrong_password"), ("peek", "login", "password")]
    assert all("nope" not in str(e) and PASSWORD not in str(e) for e in new_entries(db, before))


def test_audit_page_for_admins_only_and_by_region(secured_app: Secured) -> None:
    db = secured_app.db
    for name in ("north", "south", "peek"):
        auth.authenticate(db, name, PASSWORD)
    chief = signed_in("chief", "views/audit.py")
    assert chief.title[0].value == "审计日志"
    users = set(chief.dataframe[0].value["用户"])
    assert {"north", "south", "peek", "tests"} <= users
    chief.selectbox(key="audit.user.zh").set_value("south").run()
    assert set(chief.dataframe[0].value["用户"]) == {"south"}
    chief.selectbox(key="audit.action.zh").set_value("login").run()
    assert set(chief.dataframe[0].value["操作"]) == {"login"}

    regional = signed_in("boss_a", "views/audit.py")
    users = set(regional.dataframe[0].value["用户"])
    assert "north" in users and "peek" in users
    assert "south" not in users and "tests" not in users, "only accounts of county a"
    assert "south" not in regional.selectbox(key="audit.user.zh").options

    with (
        data.acting_as(auth.Access("north", "caseworker", secured_app.a.code)),
        pytest.raises(data.RoleDenied),
    ):
        data.audit_log(str(db))


def test_quality_page_logs_by_role_and_region(secured_app: Secured) -> None:
    db, a, b = secured_app.db, secured_app.a, secured_app.b
    for who, code in (("north", a.code), ("south", b.code)):
        data.record_download(db, who, f"{who}.csv", {"year": 2026, "region": code}, 3, "f" * 64)
    chief = signed_in("chief", "views/quality.py")
    log = next(d.value for d in chief.dataframe if "操作人" in d.value.columns)
    assert {"north.csv", "south.csv"} <= set(log["文件"])
    regional = signed_in("boss_a", "views/quality.py")
    log = next(d.value for d in regional.dataframe if "操作人" in d.value.columns)
    assert "north.csv" in set(log["文件"]) and "south.csv" not in set(log["文件"])
    assert not any("原始内容" in d.value.columns for d in regional.dataframe), "no raw rejects"
    clerk = signed_in("north", "views/quality.py")
    assert not any("操作人" in d.value.columns for d in clerk.dataframe)
    assert not any("原始内容" in d.value.columns for d in clerk.dataframe)
    assert any(d.value.columns[0] == "批次" for d in clerk.dataframe), "imports: everyone"


def test_audit_command(secured: Secured) -> None:
    db = secured.db
    auth.authenticate(db, "south", "typo typo")
    runner = CliRunner()
    done = runner.invoke(main, ["audit", "--db", str(db), "--since", "2000-01-01"])
    assert done.exit_code == 0, done.output
    assert "user_add" in done.output and "chief" in done.output
    only = runner.invoke(
        main, ["audit", "--db", str(db), "--since", "2000-01-01", "--user", "south",
               "--action", "login_failed"],
    )  # fmt: skip
    lines = [line for line in only.output.splitlines() if line.startswith("20")]
    assert lines and all(" south " in line and "login_failed" in line for line in lines)
    none = runner.invoke(main, ["audit", "--db", str(db), "--since", "2999-01-01"])
    assert "no entries" in none.output


def test_the_log_stays_as_written(secured: Secured) -> None:
    with sqlite3.connect(activity.log_path(secured.db)) as con:
        for sql in ("UPDATE activity SET user = 'x'", "DELETE FROM activity"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                con.execute(sql)


def test_imports_from_the_dashboard(
    case_store: dict[str, str], db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An admin's upload runs ``oopwatch ingest`` on the store; logged; others may not."""
    monkeypatch.setenv("OOPWATCH_DB", str(db))
    pid = make_id(900, county="230124")
    roster = write_csv(
        tmp_path / "up" / "roster_week2.csv", ROSTER_HEADER,
        [(pid, "新人", "H900", "230124100201", "dibao")],
    )  # fmt: skip
    before = last_id(db)
    with data.acting_as(auth.Access("viewer", "viewer", "")), pytest.raises(data.RoleDenied):
        data.run_import([(roster.name, roster.read_bytes())])
    with data.acting_as(auth.Access("zhao", "admin", "")):
        run = data.run_import([("C:/fake/../" + roster.name, roster.read_bytes())])
        with pytest.raises(ValueError):
            data.run_import([("notes.txt", b"x")])
    assert run.code == 0, run.output
    assert run.files == ["roster_week2.csv"] and "roster" in run.output
    (entry,) = new_entries(db, before)
    assert (entry.user, entry.action, entry.target) == ("zhao", "import", "roster_week2.csv")
    assert entry.detail == "exit 0"
    snapshot = data.current(db)
    assert data.find_person(snapshot, data.person_token(snapshot, pid)) is not None, (
        "the new roster is in the new snapshot"
    )


def test_a_regional_admins_upload_holds_only_their_region(
    case_store: dict[str, str], db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A county admin's upload is imported `--within` the county: a row elsewhere refuses it."""
    monkeypatch.setenv("OOPWATCH_DB", str(db))
    ours, theirs = make_id(901, county="230124"), make_id(902, county="140123")
    roster = write_csv(
        tmp_path / "up" / "roster_week3.csv", ROSTER_HEADER,
        [(ours, "本县", "H901", "230124100201", "dibao"),
         (theirs, "外县", "H902", "140123100201", "dibao")],
    )  # fmt: skip
    with data.acting_as(auth.Access("county_admin", "admin", "230124")):
        run = data.run_import([(roster.name, roster.read_bytes())])
    assert run.code == 2, run.output
    assert "outside region 230124" in run.output and "village 140123100201" in run.output
    snapshot = data.current(db)
    assert data.find_person(snapshot, data.person_token(snapshot, ours)) is None, (
        "nothing of the refused import was loaded"
    )


def test_command_line_imports_are_in_the_audit_log(tmp_path: Path, cli) -> None:
    """Every CLI import is logged (the dashboard's uploads are logged by the dashboard)."""
    from tests.conftest import ROSTER_HEADER, make_id, write_csv

    db = tmp_path / "store" / "oopwatch.duckdb"
    week = write_csv(
        tmp_path / "w1" / "roster.csv", ROSTER_HEADER,
        [(make_id(1), "张三", "H1", "230124100201", "dibao")],
    )  # fmt: skip
    assert cli("ingest", week, "--db", db).exit_code == 0
    assert cli("ingest", week, "--db", db).exit_code == 0  # nothing new: logged too
    assert cli("ingest", tmp_path / "nothing", "--db", db).exit_code == 2
    logged = [(e.source, e.action, e.target, e.rows, e.detail) for e in activity.entries(db)]
    assert logged[::-1] == [
        ("cli", "import", "roster.csv", 1, "import 1: read 1, loaded 1, rejected 0"),
        ("cli", "import", "roster.csv", 0, "nothing new"),
        (
            "cli",
            "import",
            "nothing",
            None,
            f"refused: {tmp_path / 'nothing'}: no such file or folder",
        ),
    ]
    printed = CliRunner().invoke(main, ["audit", "--db", str(db), "--action", "import"]).output
    assert "3 entries" in printed and "import 1: read 1" in printed
