"""The cases and outcomes pages (issue 21) through AppTest, signed in: every case of the user's
region with the department's decision, one case's timeline, assigning it and "my cases"; the
cohort outcomes; the decision the roster has not followed on the quality page. On a copy of the
sample store with accounts (tests/authkit.py): county a's top person is pushed to civil affairs,
who decide dibao 40 days ago; the roster still says otherwise."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipeline import rules
from pipeline.access import assignments
from pipeline.cases import feedback, push, tracking
from tests.authkit import Secured, make_secured, page_text, signed_in
from tests.conftest import person_key, write_csv

DECIDED = dt.date.today() - dt.timedelta(days=40)


def table(at, *columns: str):  # noqa: ANN001, ANN201
    """The first table of the page that has all ``columns``."""
    for frame in at.dataframe:
        if set(columns) <= set(frame.value.columns):
            return frame.value
    raise AssertionError(f"no table with {columns}")


CASES = ("姓名", "部门核查结果", "负责人")
TIMELINE = ("日期", "环节", "部门", "内容")


@pytest.fixture(scope="module")
def followed(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Secured:
    secured = make_secured(sample_store, tmp_path_factory.mktemp("cases"))
    folder = tmp_path_factory.mktemp("files")
    push.push(secured.db, rules.load(), "civil", 2026, folder / "civil.xlsx")
    path = write_csv(
        folder / "answers.csv",
        ["身份证号", "核查结果", "核查日期", "反馈部门"],
        [(secured.a.person_id, "纳入低保", DECIDED.isoformat(), "民政")],
    )
    feedback.feedback(secured.db, [path])
    return secured


@pytest.fixture
def app(followed: Secured, monkeypatch: pytest.MonkeyPatch) -> Secured:
    monkeypatch.setenv("OOPWATCH_DB", str(followed.db))
    return followed


def test_a_caseworker_follows_a_case_assigns_it_and_finds_it_in_my_cases(app: Secured) -> None:
    a, b = app.a, app.b
    at = signed_in("north", "views/cases.py")
    cases = table(at, *CASES)
    assert a.person_name in list(cases["姓名"])
    assert b.person_name not in list(cases["姓名"])  # another county's
    row = cases[cases["姓名"] == a.person_name].iloc[0]
    assert row["部门核查结果"] == "纳入低保"
    picker = at.selectbox(key="cases.pick.zh")  # options as shown: 姓名 · 村 · 进度
    at = picker.select_index(
        next(i for i, shown in enumerate(picker.options) if shown.startswith(a.person_name))
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    timeline = table(at, *TIMELINE)
    assert "预警" in list(timeline["环节"])
    assert "推送部门" in list(timeline["环节"]) and "部门核查结果" in list(timeline["环节"])
    decision = timeline[timeline["环节"] == "部门核查结果"].iloc[0]
    assert (decision["日期"], decision["部门"], decision["内容"]) == (
        DECIDED.isoformat(),
        "民政",
        "纳入低保",
    )
    # the case stays open in English, and the view chosen too
    english = at.radio(key="lang").set_value("en").run()
    assert not english.exception
    assert english.selectbox(key="cases.pick.en").value == a.person_id
    assert english.get("subheader")[1].value == f"{a.person_name}: the case of 2026"
    at = english.radio(key="lang").set_value("zh").run()
    key = f"2026-{person_key(app.db, a.person_id)}"
    assert at.selectbox(key=f"cases.assign.{key}.zh").options == ["（未分配）", "north"]  # take it
    at = at.selectbox(key=f"cases.assign.{key}.zh").set_value("north").run()
    at = at.button(key=f"cases.assign_button.{key}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [(x.assignee, x.case_key) for x in assignments.current_assignments(app.db)
            if x.person_id == a.person_id] == [("north", key)]  # fmt: skip
    at = at.radio(key="cases.view.zh").set_value("mine").run()
    mine = table(at, *CASES)
    assert list(mine["姓名"]) == [a.person_name] and list(mine["负责人"]) == ["north"]
    # someone else's "my cases" is empty
    south = signed_in("south", "views/cases.py")
    south = south.radio(key="cases.view.zh").set_value("mine").run()
    assert "暂无分配给您的案件" in page_text(south)


def test_a_viewer_sees_cases_with_masked_names_and_cannot_assign(app: Secured) -> None:
    at = signed_in("peek", "views/cases.py")
    names = list(table(at, *CASES)["姓名"])
    assert app.a.person_name not in names and any("＊" in n for n in names)
    at = at.selectbox(key="cases.pick.zh").select_index(1).run()
    assert not at.exception
    assert not [b for b in at.button if str(b.key or "").startswith("cases.assign_button")]


def test_the_funnel_and_pushes_due_of_the_region(app: Secured) -> None:
    at = signed_in("chief", "views/cases.py")
    funnel = table(at, "已推送", "已核实")
    con = duckdb.connect(str(app.db), read_only=True)
    try:
        expected = tracking.funnel(con, 2026, "", 2)
    finally:
        con.close()
    assert list(funnel["已推送"]) == list(expected["pushed"])
    assert int(funnel["已核实"].sum()) == 1 and int(funnel["已纳入"].sum()) == 1
    due = table(at, "部门", "是否到期")
    # rules/push.toml: 返贫预警 to rural revitalisation every 10 days (never pushed here), the
    # others to civil affairs monthly (the fixture's push of every category covers it)
    assert list(due["部门"]) == ["农业农村（乡村振兴）", "民政"]
    assert list(due["是否到期"]) == ["已到期", "未到期"]


def test_the_outcomes_page_shows_the_cohort_of_the_users_region(app: Secured) -> None:
    at = signed_in("north", "views/outcomes.py")
    assert not at.exception
    year = at.selectbox(key="outcomes.year").value
    con = duckdb.connect(str(app.db), read_only=True)
    try:
        expected = tracking.outcomes(con, int(year), app.a.code, dt.date.today()).iloc[0]
    finally:
        con.close()
    shown = {m.label: m.value for m in at.metric}
    assert shown["首次预警人数"] == f"{int(expected['people']):,}"
    assert shown["纳入监测/低保/特困"] == f"{int(expected['included']):,}"
    assert at.get("download_button")


def test_the_roster_not_following_a_decision_is_a_quality_item(app: Secured) -> None:
    at = signed_in("chief", "views/quality.py")
    waiting = table(at, "已等待天数")
    assert list(waiting["姓名"]) == [app.a.person_name]
    assert list(waiting["部门核查结果"]) == ["纳入低保"] and list(waiting["已等待天数"]) == [40]
    other = signed_in("south", "views/quality.py")
    assert "没有超过 30 天未更新的类别" in page_text(other)  # county b's user sees none
    person = signed_in("north", "views/person.py", person=person_key(app.db, app.a.person_id))
    assert f"民政 {DECIDED.isoformat()}：纳入低保（花名册尚未更新）" in page_text(person)
