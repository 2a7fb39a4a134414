"""The medical-assistance replay (issue 18): hand-computed cases to the cent, through a real
import into a real store with a rules folder of their own."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline import flow, rules
from tests.conftest import make_id, write_csv

VILLAGE = "230124100201"  # 方正县 方正镇 东风村 (Heilongjiang)
HEADER = ["claim_id", "person_id", "settle_date", "visit_type", "total_cost", "basic_paid",
          "critical_paid", "assistance_paid", "other_paid", "in_scope_cost"]  # fmt: skip
D = Decimal

POLICY = """
effective_from = 2022
[groups]
inpatient = ["inpatient"]
chronic = ["chronic"]

[[item]]
category = "dibao"
group = "inpatient"
ratio = "0.70"
deductible = "1000"
cap = "year"

[[item]]
category = "dibao"
group = "chronic"
ratio = "0.30"
cap = "year"

[[item]]
category = "monitored"
group = "inpatient"
ratio = "0.70"

[[item]]
category = "monitored"
group = "chronic"
ratio = "0.30"

[[cap]]
name = "year"
amount = "5000"
"""
TILTED = """
region = "230124"
[[tilted]]
categories = ["monitored"]
deductible = "5000"
ratio = "0.70"
cap = "1000"
"""


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    """The shipped rules with this test's assistance policy (and a county's tilted tier)."""
    folder = tmp_path / "rules"
    shutil.copytree(rules.RULES_DIR, folder)
    shutil.rmtree(folder / "assistance")
    (folder / "assistance" / "regions").mkdir(parents=True)
    (folder / "assistance" / "default.toml").write_text(POLICY, encoding="utf-8")
    (folder / "assistance" / "regions" / "230124.toml").write_text(TILTED, encoding="utf-8")
    return folder


def roster(folder: Path, rows: list[tuple[str, str]]) -> None:
    header = ["person_id", "name", "household_id", "village_code", "category"]
    rows_out = [(pid, "某", f"H{i}", VILLAGE, cat) for i, (pid, cat) in enumerate(rows)]
    write_csv(folder / "roster.csv", header, rows_out)


def claims(query, person: str) -> list[tuple]:
    return query(
        """SELECT claim_id, in_scope_remainder, deductible_used, ratio, cap_left, tilted,
                  entitled, paid, difference
           FROM assistance_claims WHERE person_id = ? ORDER BY settle_date""",
        [person],
    )


def test_a_capped_year_is_owed_the_cap_to_the_cent(tmp_path, db, query, policy):
    """Each claim's share is rounded before the cap counts it: 30% of 8,333.35 is 2,500.005,
    paid 2,500.01 twice; the second gets what is left of the 5,000 cap, 2,499.99, and the year
    is owed 5,000.00 (rounding after the cap gave 2,500.01 + 2,500.00 = 5,000.01)."""
    p = make_id(2)
    week = tmp_path / "w"
    roster(week, [(p, "dibao")])
    write_csv(week / "claims.csv", HEADER, [
        ("K1", p, "2026-01-10", "chronic", "8333.35", "0", "0", "2500.01", "0", ""),
        ("K2", p, "2026-02-10", "chronic", "8333.35", "0", "0", "2500.01", "0", ""),
    ])  # fmt: skip
    flow.ingest([week], db, rules_dir=policy)
    assert [(c[0], c[4], c[6], c[8]) for c in claims(query, p)] == [
        ("K1", D("2499.99"), D("2500.01"), D("0.00")),
        ("K2", D("0.00"), D("2499.99"), D("-0.02")),
    ]
    assert query(
        "SELECT entitled, paid, overpaid FROM assistance_replay WHERE person_id = ?", [p]
    ) == [(D("5000.00"), D("5000.02"), D("0.02"))]


def test_deductible_and_a_shared_cap_crossed_inside_claims(tmp_path, db, query, policy):
    """dibao: inpatient 70% above a 1,000 deductible, chronic 30%, one 5,000 cap for both."""
    p = make_id(1)
    week = tmp_path / "w"
    roster(week, [(p, "dibao")])
    write_csv(week / "claims.csv", HEADER, [
        # remainder 2,800 - 1,500 = 1,300; 1,000 of it the deductible; 300 x 70% = 210.00
        ("C1", p, "2026-01-10", "inpatient", "3000.00", "1500.00", "0", "210.00", "0", "2800.00"),
        # no in-scope cost: 1,000 - 200 = 800 x 30% = 240.00 (cap used: 450)
        ("C2", p, "2026-02-10", "chronic", "1000.00", "200.00", "0", "0", "0", ""),
        # 11,000 - 4,000 - 1,000 = 6,000 x 70% = 4,200.00 (cap used: 4,650)
        ("C3", p, "2026-03-10", "inpatient", "12000.00", "4000.00", "1000.00", "4200.00", "0",
         "11000.00"),
        # 1,500 x 70% = 1,050, but only 350 of the cap is left: 350.00 (paid 1,050: over)
        ("C4", p, "2026-04-10", "inpatient", "2000.00", "500.00", "0", "1050.00", "0",
         "2000.00"),
        # the cap is used up: 0.00
        ("C5", p, "2026-05-10", "chronic", "500.00", "0", "0", "0", "0", "500.00"),
    ])  # fmt: skip
    flow.ingest([week], db, rules_dir=policy)
    assert claims(query, p) == [
        ("C1", D("1300.00"), D("1000.00"), D("0.7000"), D("4790.00"), D("0.00"), D("210.00"),
         D("210.00"), D("0.00")),
        ("C2", D("800.00"), D("0.00"), D("0.3000"), D("4550.00"), D("0.00"), D("240.00"),
         D("0.00"), D("240.00")),
        ("C3", D("6000.00"), D("0.00"), D("0.7000"), D("350.00"), D("0.00"), D("4200.00"),
         D("4200.00"), D("0.00")),
        ("C4", D("1500.00"), D("0.00"), D("0.7000"), D("0.00"), D("0.00"), D("350.00"),
         D("1050.00"), D("-700.00")),
        ("C5", D("500.00"), D("0.00"), D("0.3000"), D("0.00"), D("0.00"), D("0.00"), D("0.00"),
         D("0.00")),
    ]  # fmt: skip
    assert query(
        """SELECT category, entitled, paid, shortfall, overpaid, claims_short, claims
           FROM assistance_replay WHERE person_id = ?""",
        [p],
    ) == [("dibao", D("5000.00"), D("5460.00"), D("0.00"), D("460.00"), 1, 5)]


def test_tilted_tier_and_a_reversal(tmp_path, db, query, policy):
    """monitored in a county with a tilted tier: above 5,000 of the year's remaining OOP, 70%,
    at most 1,000. A reversal of a claim takes it out of the replay as it does of OOP."""
    m = make_id(2)
    week = tmp_path / "w1"
    roster(week, [(m, "monitored")])
    write_csv(week / "claims.csv", HEADER, [
        # 10,000 x 70% = 7,000; left 20,000 - 10,000 - 7,000 = 3,000 (year: 3,000)
        ("T1", m, "2026-01-10", "inpatient", "20000.00", "10000.00", "0", "0", "0", "20000.00"),
        # 6,000 x 70% = 4,200; left 1,800 (year: 4,800)
        ("T2", m, "2026-02-10", "inpatient", "10000.00", "4000.00", "0", "0", "0", "10000.00"),
        # 3,000 x 30% = 900; left 2,100 (year: 6,900): 1,900 above 5,000 x 70% = 1,330, cap 1,000
        ("T3", m, "2026-03-10", "chronic", "3000.00", "0", "0", "0", "0", "3000.00"),
    ])  # fmt: skip
    flow.ingest([week], db, rules_dir=policy)
    got = [(c[0], c[5], c[6]) for c in claims(query, m)]
    assert got == [("T1", D("0.00"), D("7000.00")), ("T2", D("0.00"), D("4200.00")),
                   ("T3", D("1000.00"), D("1900.00"))]  # fmt: skip
    assert query("SELECT entitled, shortfall FROM assistance_replay WHERE person_id = ?", [m]) == [
        (D("13100.00"), D("13100.00"))
    ]
    # T2 reversed: T3's remaining OOP is now 3,000 + 2,100 = 5,100: 100 x 70% = 70.00 tilted
    week2 = tmp_path / "w2"
    reversal = ("R2", m, "2026-03-20", "inpatient", "-10000.00", "-4000.00", "0", "0", "T2")
    write_csv(week2 / "claims.csv", [*HEADER[:8], "reverses"], [reversal])
    flow.ingest([week2], db, rules_dir=policy)
    got = [(c[0], c[5], c[6]) for c in claims(query, m)]
    assert got == [("T1", D("0.00"), D("7000.00")), ("T3", D("70.00"), D("970.00"))]
    assert query("SELECT entitled FROM assistance_replay WHERE person_id = ?", [m]) == [
        (D("7970.00"),)
    ]


def test_a_correction_and_the_category_on_the_claims_date(tmp_path, db, query, policy):
    """A corrected claim is replayed as corrected. The category is the one on the claim's date:
    a person general when their claims were settled and dibao only from a later roster gets
    nothing for those claims, though the roster now says dibao."""
    p, q = make_id(3), make_id(4)
    week = tmp_path / "w1"
    roster(week, [(p, "dibao"), (q, "general")])
    write_csv(week / "claims.csv", HEADER, [
        ("K1", p, "2026-01-10", "chronic", "1000.00", "0", "0", "0", "0", "1000.00"),
        ("K2", q, "2026-01-10", "chronic", "1000.00", "0", "0", "0", "0", "1000.00"),
    ])  # fmt: skip
    flow.ingest([week], db, rules_dir=policy)
    assert query("SELECT person_id, entitled FROM assistance_replay ORDER BY 1") == sorted(
        [(p, D("300.00")), (q, D("0.00"))]
    )
    week2 = tmp_path / "w2"
    roster(week2, [(q, "dibao")])  # q becomes dibao today, after K2 was settled
    write_csv(week2 / "claims.csv", HEADER, [  # K1 corrected: basic insurance paid 400
        ("K1", p, "2026-01-10", "chronic", "1000.00", "400.00", "0", "0", "0", "1000.00"),
    ])  # fmt: skip
    flow.ingest([week2], db, rules_dir=policy)
    assert query(
        "SELECT person_id, category, entitled FROM assistance_replay ORDER BY 1"
    ) == sorted([(p, "dibao", D("180.00")), (q, "general", D("0.00"))])
    assert query("SELECT category FROM people WHERE person_id = ?", [q]) == [("dibao",)]


def person_page(db: Path, person: str, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """The person page of ``person`` in 2026 (AppTest over the store), run without errors."""
    from streamlit.testing.v1 import AppTest

    from dashboard import data
    from tests.conftest import REPO

    monkeypatch.setenv("OOPWATCH_DB", str(db))
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=30).run()
    at.switch_page("views/person.py")
    at.query_params["person"] = data.person_token(data.current(db), person)
    at.query_params["year"] = "2026"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_person_page_shows_what_was_owed_and_paid(
    tmp_path, db, policy, monkeypatch: pytest.MonkeyPatch
):
    p = make_id(5)
    week = tmp_path / "w"
    roster(week, [(p, "monitored")])
    write_csv(week / "claims.csv", HEADER, [
        # 6,000 x 70% = 4,200 owed, 2,000 paid: 2,200 owed and not paid
        ("A1", p, "2026-04-01", "inpatient", "10000.00", "4000.00", "0", "2000.00", "0",
         "10000.00"),
        # 1,000 x 30% = 300 owed, 300 paid
        ("A2", p, "2026-05-01", "chronic", "1000.00", "0", "0", "300.00", "0", ""),
    ])  # fmt: skip
    flow.ingest([week], db, rules_dir=policy)
    at = person_page(db, p, monkeypatch)
    figures = {m.label: m.value for m in at.metric}
    assert figures["按政策应救助"] == "¥4,500.00"
    assert figures["实际救助"] == "¥2,300.00"
    assert figures["少救助（应救未救）"] == "¥2,200.00"
    table = next(t.value for t in at.table if "差额" in t.value.columns)
    assert list(table["差额"]) == ["¥2,200.00", "¥0.00"]
    assert list(table["救助比例"]) == ["70%", "30%"]
    assert list(table["就诊类型"]) == ["住院", "门诊慢特病"]
    # the waterfall ends with the part owed and not paid and the OOP had it been paid:
    # OOP 11,000 - 4,000 - 2,300 = 4,700.00; less 2,200.00 owed = 2,500.00
    charts = [json.loads(c.proto.spec)["data"][0] for c in at.get("plotly_chart")]
    spec = next(c for c in charts if c.get("type") == "waterfall")
    assert spec["x"][-3:] == ["个人负担", "应救未救", "足额救助后个人负担"]
    assert spec["y"][-3:] == [4700.0, -2200.0, 2500.0]


def test_a_category_dated_by_the_roster_splits_the_year(tmp_path, db, query, policy):
    """认定日期 (category_since, v1.1): general until 2026-03-01, dibao from then: the claim
    before gets nothing, the claim after 30% of its chronic remainder; each says which date
    its category rests on."""
    p = make_id(6)
    week = tmp_path / "w1"
    roster(week, [(p, "general")])
    write_csv(week / "claims.csv", HEADER, [
        ("S1", p, "2026-02-10", "chronic", "1000.00", "0", "0", "0", "0", "1000.00"),
        ("S2", p, "2026-03-10", "chronic", "1000.00", "0", "0", "0", "0", "1000.00"),
    ])  # fmt: skip
    flow.ingest([week], db, rules_dir=policy)
    week2 = tmp_path / "w2"
    write_csv(week2 / "roster.csv",
              ["person_id", "name", "household_id", "village_code", "category", "category_since"],
              [(p, "某", "H0", VILLAGE, "dibao", "2026-03-01")])  # fmt: skip
    flow.ingest([week2], db, rules_dir=policy)
    assert query(
        """SELECT claim_id, category, category_dated, entitled FROM assistance_claims
           WHERE person_id = ? ORDER BY claim_id""",
        [p],
    ) == [("S1", "general", "import_date", D("0.00")),
          ("S2", "dibao", "category_since", D("300.00"))]  # fmt: skip
    bad = tmp_path / "w3"
    write_csv(bad / "roster.csv",
              ["person_id", "name", "household_id", "village_code", "category", "category_since"],
              [(p, "某", "H0", VILLAGE, "dibao", "2026-13-01")])  # fmt: skip
    flow.ingest([bad], db, rules_dir=policy)
    assert query("SELECT reason FROM rejected_rows WHERE file LIKE '%w3%'") == [("bad_date",)]


def test_overview_and_drill_down_show_the_replay(app_db: Path) -> None:
    """The overview's assistance figures and the drill-down's shortfall column equal the replay
    summed in SQL (per person-year, never netted across people)."""
    from streamlit.testing.v1 import AppTest

    from dashboard import ui
    from tests.conftest import REPO, snapshot_sql

    entitled, paid, shortfall, short = snapshot_sql(
        app_db,
        """SELECT sum(entitled), sum(paid), sum(shortfall), count(*) FILTER (WHERE shortfall > 0)
           FROM assistance_replay WHERE year = 2026""",
    )[0]
    assert short > 0, "the sample's own payments differ from the default policy"
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    figures = {m.label: m.value for m in at.metric}
    assert figures["按政策应救助"] == ui.yuan(entitled)
    assert figures["实际救助"] == ui.yuan(paid)
    assert figures["少救助（应救未救）"] == ui.yuan(shortfall)
    assert figures["少救助人数"] == ui.count(short)

    at.switch_page("views/drilldown.py").run()
    table = at.dataframe[0].value
    expected = dict(
        snapshot_sql(
            app_db,
            """SELECT n.name, sum(r.shortfall) FROM assistance_replay AS r
               JOIN people AS p USING (person_id)
               JOIN region_names AS n ON n.level = 1 AND n.code = substr(p.village_code, 1, 2)
               WHERE r.year = 2026 GROUP BY 1""",
        )
    )
    shown = dict(zip(table["名称"], table["少救助（应救未救）"], strict=True))
    assert shown == {name: ui.yuan(v) for name, v in expected.items()}


def test_replaying_in_batches_gives_the_same_rows(tmp_path, db, query, policy, monkeypatch):
    """People go through the replay in batches (memory at 1M people): any number of batches
    gives the rows one batch gives."""
    from pipeline.rules import evaluation

    people = [make_id(10 + i) for i in range(12)]
    week = tmp_path / "w"
    roster(week, [(p, "dibao" if i % 2 else "monitored") for i, p in enumerate(people)])
    write_csv(week / "claims.csv", HEADER, [
        (f"B{i}-{n}", p, f"2026-0{n + 1}-10", "inpatient" if n % 2 else "chronic",
         f"{3000 + 700 * i + 1000 * n}.00", "1000.00", "0", "0", "0", "")
        for i, p in enumerate(people) for n in range(4)
    ])  # fmt: skip
    flow.ingest([week], db, rules_dir=policy)
    whole = query("SELECT * FROM assist_claims ORDER BY claim_id")
    assert len(whole) == 48
    assert query("SELECT sum(entitled) > 0 FROM assist_claims") == [(True,)]
    monkeypatch.setattr(evaluation, "ASSIST_CLAIMS_PER_BATCH", 7)  # 48 claims: 7 batches
    con = store_open(db)
    try:
        con.execute("SET VARIABLE rules_incremental = false")
        con.execute("CREATE OR REPLACE TEMP TABLE rule_scope (person_id VARCHAR)")
        rules_setup(con, policy)
        evaluation.replay_assistance(con)
        assert con.execute("SELECT getvariable('assist_batches')").fetchall() == [(7,)]
        assert con.execute("SELECT * FROM assist_claims ORDER BY claim_id").fetchall() == whole
    finally:
        con.close()


def store_open(db: Path):  # noqa: ANN201
    from pipeline import store

    return store.open_store(db)


def rules_setup(con, folder: Path) -> None:  # noqa: ANN001
    """The temp tables the replay reads (policy, reference incomes), as a rule run makes them."""
    from pipeline.rules import evaluation

    evaluation.prepare_standalone(con, rules.load(folder))


def test_the_shortfall_rule_fires_above_the_tolerance_with_its_explanation(
    tmp_path, db, query, policy, cli
):
    """assistance_shortfall: a shortfall of exactly 50.00 is within the tolerance; 50.01 is a
    finding (medium for a monitored person under 1,000); a dibao person is high whatever the
    amount; the explanation names the policy, the amounts and the claim paid short the most."""
    (policy / "assistance" / "default.toml").write_text(
        'name_zh = "测试医疗救助政策"\nname_en = "the test policy"\n' + POLICY, encoding="utf-8"
    )
    edge, over, dibao = make_id(21), make_id(22), make_id(23)
    week = tmp_path / "w1"
    roster(week, [(edge, "monitored"), (over, "monitored"), (dibao, "dibao")])
    write_csv(week / "claims.csv", HEADER, [
        # 1,000 x 30% = 300.00 owed; 250.00 paid: 50.00 short, not flagged
        ("E1", edge, "2026-02-01", "chronic", "1000.00", "0", "0", "250.00", "0", "1000.00"),
        # 300.00 owed, 249.99 paid: 50.01 short
        ("O1", over, "2026-02-01", "chronic", "1000.00", "0", "0", "249.99", "0", "1000.00"),
        # inpatient 3,000: (3,000 - 1,000 deductible) x 70% = 1,400.00 owed; 1,000.00 paid
        ("D1", dibao, "2026-03-01", "inpatient", "3000.00", "0", "0", "1000.00", "0", "3000.00"),
        # chronic 100: 30.00 owed, 30.00 paid
        ("D2", dibao, "2026-03-05", "chronic", "100.00", "0", "0", "30.00", "0", "100.00"),
    ])  # fmt: skip
    flow.ingest([week], db, rules_dir=policy)
    got = query(
        """SELECT person_id, severity, explain_zh, explain_en FROM flags
           WHERE rule_id = 'assistance_shortfall' ORDER BY person_id"""
    )
    assert got == sorted([
        (over, "medium",
         "按测试医疗救助政策应救助 300.00 元，实际 249.99 元，少 50.01 元"
         "（门诊慢特病，防止返贫监测对象，救助比例30%；类别依据名单导入日期）",
         "Under the test policy: owed 300.00 yuan of medical assistance, paid 249.99 yuan, "
         "50.01 yuan short (chronic / special outpatient, Monitored, ratio 30%; category as of "
         "the roster row's import date)"),
        (dibao, "high",
         "按测试医疗救助政策应救助 1,430.00 元，实际 1,030.00 元，少 400.00 元"
         "（住院，低保对象，救助比例70%；类别依据名单导入日期）",
         "Under the test policy: owed 1,430.00 yuan of medical assistance, paid 1,030.00 yuan, "
         "400.00 yuan short (inpatient, Dibao, ratio 70%; category as of the roster row's "
         "import date)"),
    ])  # fmt: skip
    assert query("SELECT count(*) FROM flags WHERE person_id = ?", [edge]) == [(0,)]
    # the medical-assistance section's list: only those paid short, with owed / paid / short
    out = tmp_path / "short.csv"
    done = cli("export", "--db", db, "--year", "2026", "--out", out,
               "--rule", "assistance_shortfall")  # fmt: skip
    assert done.exit_code == 0, done.output
    with out.open(encoding="utf-8-sig", newline="") as stream:
        table = list(csv.DictReader(stream))
    assert [(r["姓名"], r["按政策应救助（元）"], r["实际救助（元）"], r["少救助（元）"])
            for r in table] == [("某", "1430.00", "1030.00", "400.00"),
                                ("某", "300.00", "249.99", "50.01")]  # fmt: skip
    plain = tmp_path / "plain.csv"
    assert cli("export", "--db", db, "--year", "2026", "--out", plain,
               "--rule", "oop_line").exit_code == 0  # fmt: skip
    assert "少救助" not in plain.read_text(encoding="utf-8-sig"), "only on a list paid short"
    assert query(
        "SELECT person_id, rules FROM watchlist WHERE person_id IN (?, ?) ORDER BY 1",
        [over, dibao],
    ) == sorted([(over, "assistance_shortfall"), (dibao, "assistance_shortfall")])


MANIFEST_VS_REPLAY = """
WITH m AS (
    SELECT person_id, CAST(year AS BIGINT) AS year,
           CAST(owed AS DECIMAL(14,2)) - CAST(paid AS DECIMAL(14,2)) AS owed_minus_paid
    FROM read_csv(?, all_varchar = true)
    WHERE owed <> paid
),
r AS (
    SELECT person_id, year, entitled - paid AS owed_minus_paid
    FROM assistance_replay WHERE entitled <> paid
)
SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM (FROM m EXCEPT FROM r)),
       (SELECT count(*) FROM (FROM r EXCEPT FROM m))
"""


def _manifest_agrees(folder: Path, db: Path, query) -> int:
    """Import every week of a generated folder; wherever the replay's entitlement differs from
    what was paid must be exactly the manifest's person-years and yuan, and nowhere else
    (short and over); returns how many the manifest lists."""
    flow.ingest(sorted(folder.glob("week*")), db)
    listed, missed, extra = query(MANIFEST_VS_REPLAY, [str(folder / "assistance_manifest.csv")])[0]
    assert (missed, extra) == (0, 0), "every injected difference found, nothing else"
    return listed


def test_the_sample_pays_by_policy_except_its_injected_defects(db, query):
    """The generator pays assistance by the default policy and writes the defects it injected
    (paid short, paid nothing, paid to someone the roster does not list) to a manifest: the
    replay of the sample finds exactly those, to the cent."""
    from tests.conftest import REPO

    listed = _manifest_agrees(REPO / "sample_data", db, query)
    assert listed == 29
    # the cap overrun: a dibao person's 2026 stay of 900,000+ yuan owes 60,000.00 at most
    assert query(
        """SELECT r.entitled, r.paid, r.overpaid, r.shortfall FROM assistance_replay AS r
           JOIN read_csv(?, all_varchar = true) AS m
             ON m.person_id = r.person_id AND CAST(m.year AS INTEGER) = r.year
           WHERE m.defect = 'cap_overrun'""",
        [str(REPO / "sample_data" / "assistance_manifest.csv")],
    ) == [(Decimal("60000.00"), Decimal("77000.91"), Decimal("17000.91"), Decimal("0.00"))]
    assert query(
        """SELECT count(DISTINCT person_id) FROM flags WHERE rule_id = 'assistance_shortfall'"""
    ) == query("""SELECT count(DISTINCT person_id) FROM assistance_replay WHERE shortfall > 50""")


@pytest.mark.slow
def test_the_replay_finds_every_injected_defect_at_100k_people(tmp_path, db, query):
    """At 100k people: every injected shortfall found, nothing else flagged short."""
    from pipeline.tools.generate import generate

    generate(tmp_path / "gen", people=100_000, seed=18, weeks=2, as_of=date(2026, 11, 20))
    assert _manifest_agrees(tmp_path / "gen", db, query) > 500


def test_claims_without_a_step_are_not_stored_but_every_reader_has_them(
    tmp_path, db, query, policy, monkeypatch: pytest.MonkeyPatch
):
    """The replay stores the claims the policy has a step for; a claim no item covers (here an
    ordinary outpatient visit of a dibao person with one roster row, and a general person's
    claim) is entitled to nothing and every reader gives it with the person's category: the
    contract view, the person-year totals and the person page, whose paid equals the year's."""

    from dashboard import data

    p, g = make_id(7), make_id(8)
    week = tmp_path / "w"
    roster(week, [(p, "dibao"), (g, "general")])
    write_csv(week / "claims.csv", HEADER, [
        ("B1", p, "2026-03-01", "chronic", "1000.00", "0", "0", "300.00", "0", ""),
        ("B2", p, "2026-04-01", "outpatient", "200.00", "100.00", "0", "50.00", "0", "180.00"),
        ("G1", g, "2026-04-02", "chronic", "500.00", "200.00", "0", "20.00", "0", ""),
    ])  # fmt: skip
    flow.ingest([week], db, rules_dir=policy)
    assert query("SELECT claim_id FROM assist_claims ORDER BY 1") == [("B1",)]
    assert query(
        """SELECT claim_id, category, category_dated, in_scope_remainder, entitled, paid,
                  difference FROM assistance_claims ORDER BY claim_id"""
    ) == [
        ("B1", "dibao", "import_date", D("1000.00"), D("300.00"), D("300.00"), D("0.00")),
        ("B2", "dibao", "current", D("80.00"), D("0.00"), D("50.00"), D("-50.00")),
        ("G1", "general", "current", D("300.00"), D("0.00"), D("20.00"), D("-20.00")),
    ]
    assert query(
        """SELECT person_id, category, entitled, paid, overpaid, claims, replayed
           FROM assist_replay ORDER BY person_id"""
    ) == sorted([(p, "dibao", D("300.00"), D("350.00"), D("50.00"), 2, True),
                 (g, "general", D("0.00"), D("20.00"), D("20.00"), 1, False)])  # fmt: skip
    snapshot = data.current(db)
    rows = data.person_page(snapshot, p, 2026, VILLAGE, "H0", "dibao").assistance
    assert list(rows["visit_type"]) == ["chronic", "outpatient"]
    assert list(rows["category"]) == ["dibao", "dibao"]
    assert list(rows["entitled"]) == [D("300.00"), D("0.00")]
    assert list(rows["paid"]) == [D("300.00"), D("50.00")]
    # the general person's page shows their claim entitled to nothing (it said "no claims")
    at = person_page(db, g, monkeypatch)
    figures = {m.label: m.value for m in at.metric}
    assert figures["按政策应救助"] == "¥0.00"
    assert figures["实际救助"] == "¥20.00"
    table = next(t.value for t in at.table if "差额" in t.value.columns)
    assert list(table["差额"]) == ["-¥20.00"]
