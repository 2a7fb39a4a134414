"""政策模拟 / Policy lab page (issue 18): edited parameters against the sample, the same figures
as oopwatch whatif on the same rules, the rules files to download, and who may open it."""

from __future__ import annotations

import tempfile
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import data, ui
from pipeline import rules
from pipeline.access import auth
from pipeline.rules import whatif
from tests.authkit import signed_in
from tests.conftest import REPO

APP = REPO / "dashboard" / "app.py"


def test_the_lab_runs_edits_side_by_side_and_offers_the_files(app_db: Path) -> None:
    """Shanxi 2026 with a line of 5,000 and 80% for monitored inpatients: the page's figures are
    oopwatch whatif's on the rules files the page offers (which pass the rules check)."""
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("views/lab.py").run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="lab.year").set_value(2026)
    at.selectbox(key="lab.region").set_value("14").run()
    before = {m.label: m.value for m in at.metric}
    assert before["新进入"] == "0" and before["退出"] == "0", "unchanged rules change nothing"
    at.number_input(key="lab.line").set_value(5000.0).run()
    assert {m.label: m.value for m in at.metric} == before, "nothing runs before the button"
    at.number_input(key="lab.line").set_value(5000.0)  # (a run drops a form's pending edits)
    (run,) = [b for b in at.button if b.label == "运行模拟"]
    run.click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = {m.label: m.value for m in at.metric}
    # the same edits through the library, on the files the page offers
    ruleset = rules.load(rules.RULES_DIR)
    params = whatif.parameters(ruleset, "14", 2026)
    params.line = Decimal("5000.00")
    files = whatif.override_files("14", params, "test", rules.RULES_DIR)
    with tempfile.TemporaryDirectory() as tmp:
        edited = rules.load(whatif.with_overrides(rules.RULES_DIR, files, Path(tmp)))
    con = data.cursor(data.current(app_db))  # the page's own snapshot and configuration
    try:
        expected = whatif.compare(con, edited, 2026, "14", "").totals
    finally:
        con.close()
    assert expected["entering"] > 0
    assert shown["预警人数（现行）"] == ui.count(expected["now"])
    assert shown["预警人数（模拟）"] == ui.count(expected["alt"])
    assert shown["新进入"] == ui.count(expected["entering"])
    assert shown["按政策应救助（模拟）"] == ui.yuan(expected["owed_alt"])
    downloads = [b for b in at.get("download_button")]
    assert [d.proto.label for d in downloads] == ["下载规则文件", "下载救助政策文件"]
    assert tomllib.loads(files["regions/14.toml"])["override"][0]["params"]["line"] == "5000.00"


def test_the_lab_is_for_admins_national_and_provincial_users(secured_app) -> None:
    """A county caseworker is refused where the data is read; an admin opens the page."""
    with (
        data.acting_as(auth.Access("north", "caseworker", secured_app.a.code)),
        pytest.raises(data.RoleDenied),
    ):
        data.policy_parameters(secured_app.a.code[:2], 2026)
    with data.acting_as(auth.Access("prov", "viewer", secured_app.a.code[:2])):
        assert data.policy_parameters(secured_app.a.code[:2], 2026).line is not None
    admin = signed_in("chief", "views/lab.py")
    assert admin.title[0].value == "政策模拟"
    assert len(admin.metric) == 8
