"""The national build (issue 20): one source of SQL on DuckDB and on Spark over the warehouse.

Real provinces: generated extracts of each province ingested into a store of its own and
published into one warehouse folder; the national build run on DuckDB and on a real local
SparkSession (``local[2]``), their outputs read back and compared row for row.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import sqlglot

from pipeline import flow, national, rules, store, warehouse
from pipeline.national import port
from tests.conftest import CLAIM_HEADER, write_csv


def read(folder: Path, relation: str) -> list[tuple]:
    """A relation the national build wrote, every row, sorted (its year from the path); an empty
    relation is a folder without a file."""
    if not list((folder / "national" / relation).rglob("*.parquet")):
        return []
    con = duckdb.connect()
    try:
        return con.execute(f"SELECT * FROM {_source(folder, relation)} ORDER BY ALL").fetchall()
    finally:
        con.close()


def read_rows(folder: Path, relation: str, columns: str) -> set[tuple]:
    """Some columns of a relation the national build wrote, as a set of rows."""
    con = duckdb.connect()
    try:
        return set(con.execute(f"SELECT {columns} FROM {_source(folder, relation)}").fetchall())
    finally:
        con.close()


def on_store(db: Path, query: str, params: list | None = None) -> list[tuple]:
    con = store.connect(db, read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


def province_store(tmp_path: Path, cli, code: str, people: int, extra: Path | None = None) -> Path:
    """Province ``code``'s store from two generated weeks (and ``extra`` files), published."""
    out = tmp_path / f"x{code}"
    assert cli("generate", "--out", out, "--people", people, "--weeks", "2", "--province", code,
               "--seed", code, "--as-of", "2026-11-20").exit_code == 0  # fmt: skip
    db = tmp_path / f"p{code}" / "store.duckdb"
    flow.ingest([out / "week01"], db)
    flow.ingest([out / "week02"] + ([extra] if extra else []), db)
    return db


# ---- the portability layer, without Spark


def test_the_port_rewrites_each_trap_and_refuses_what_has_no_spark_form() -> None:
    macros = port.macros(store.sql("macros.sql") + store.sql("rules/setup.sql"))
    # a 1-based list index: element_at (sqlglot alone keeps [lv], 0-based on Spark)
    assert "ELEMENT_AT(ARRAY(2, 4, 6, 9, 12), CAST(lv AS INT))" in port.to_spark(
        "SELECT region_prefix(v, lv) FROM t", macros
    )
    assert (
        "ARRAY(2, 4, 6, 9, 12)[lv]"
        in sqlglot.transpile("SELECT [2, 4, 6, 9, 12][lv] FROM t", read="duckdb", write="spark")[0]
    )
    # money_text: format_number (sqlglot alone writes FORMAT_STRING, printed as the literal text)
    assert port.to_spark("SELECT money_text(x) FROM t", macros) == (
        "SELECT FORMAT_NUMBER(x, 2) FROM t"
    )
    assert (
        "FORMAT_STRING('{:,.2f}', x)"
        in sqlglot.transpile("SELECT format('{:,.2f}', x) FROM t", read="duckdb", write="spark")[0]
    )
    assert port.to_spark("SELECT format('{:,}', n) FROM t", {}) == (
        "SELECT FORMAT_NUMBER(n, 0) FROM t"
    )
    # a macro's body, with its arguments in place of its parameters
    assert port.to_spark("SELECT region_prefix(a.code, 0) FROM a", macros) == (
        "SELECT CASE WHEN 0 = 0 THEN '' ELSE SUBSTRING(a.code, 1, "
        "ELEMENT_AT(ARRAY(2, 4, 6, 9, 12), CAST(0 AS INT))) END FROM a"
    )
    # an argument that is an operation keeps its parentheses (x - y * 100 was printed)
    assert "CAST((x - y) * 100 AS BIGINT)" in port.to_spark(
        "SELECT money_divided(x - y, 2) FROM t", macros
    )
    # a date less days; a tuple ordering arg_max; DuckDB's MATERIALIZED hint
    assert port.to_spark("SELECT d - to_days(n) FROM t", {}) == (
        "SELECT DATE_SUB(d, CAST(n AS INT)) FROM t"
    )
    assert port.to_spark("SELECT arg_max(x, (a, b)) FROM t", {}) == (
        "SELECT MAX_BY(x, STRUCT(a, b)) FROM t"
    )
    assert port.to_spark("WITH w AS MATERIALIZED (SELECT 1 AS a) SELECT a FROM w", {}) == (
        "WITH w AS (SELECT 1 AS a) SELECT a FROM w"
    )
    for sql, words in [
        ("SELECT * EXCLUDE (a) FROM t", "EXCLUDE"),
        ("SELECT last(x ORDER BY y) FROM t", "arg_max"),
        ("SELECT format('{:.1f}', x) FROM t", "only '{:,.2f}'"),
        ("SELECT arg_max_null(x, y) FROM t", "arg_max_null"),
        ("SELECT region_prefix(v) FROM t", "takes 2 arguments"),
        ("SELECT to_days(3) FROM t", "d - to_days"),
    ]:
        with pytest.raises(port.PortError, match=words):
            port.to_spark(sql, macros)


def test_a_script_becomes_steps_with_its_macros_and_variables() -> None:
    """A rule file's statements: a table macro put into FROM, a variable's value into the
    statements after it, INSERT and CREATE TABLE as steps."""
    script = port.Script(macros={})
    steps = script.steps(
        "CREATE OR REPLACE TEMP MACRO since(k) AS (SELECT max(d) FROM p WHERE kind = k);\n"
        "CREATE OR REPLACE TEMP MACRO recent(k, s) AS TABLE\n"
        "SELECT person_id FROM c WHERE d > s AND kind = k;\n"
        "SET VARIABLE start = since('x');\n"
        "CREATE OR REPLACE TEMP TABLE w AS FROM recent('x', getvariable('start'));\n"
        "CREATE OR REPLACE TEMP TABLE fired (person_id VARCHAR, oop DECIMAL(14,2));\n"
        "INSERT INTO fired SELECT person_id, 1 FROM w;\n"
        "DROP TABLE w;\n"
        "RESET VARIABLE start;\n"
    )
    variable = next(steps)
    assert (variable.action, variable.name) == ("variable", "start")
    assert variable.sql == "SELECT (SELECT MAX(d) FROM p WHERE kind = 'x')"
    script.variables["start"] = dt.date(2026, 11, 20)
    made = next(steps)
    assert (made.action, made.name) == ("create", "w")
    assert made.sql == (
        "SELECT * FROM (SELECT person_id FROM c WHERE d > CAST('2026-11-20' AS DATE) "
        "AND kind = 'x') AS recent"
    )
    assert list(steps) == [
        port.Step("table", "fired", columns=(("person_id", "STRING"), ("oop", "DECIMAL(14, 2)"))),
        port.Step("insert", "fired", "SELECT person_id, 1 FROM w"),
        port.Step("drop", "w"),
    ]


def test_every_shared_file_ports_to_spark() -> None:
    """The national models and marts, and the store's files the national build runs."""
    script = port.Script()
    for name in national.MODELS:
        text = port.to_spark(store.sql(f"national/{name}.sql"))
        assert "[" not in text.replace("ARRAY(", "") and "FORMAT_STRING" not in text, name
    for name in national.MARTS:
        port.to_spark(store.sql(f"national/marts/{name}.sql"))
    files = ["models/region_names.sql", "rules/setup.sql", "rules/watch_listed.sql"]
    files += [national.NATIONAL_FORM.get(kind, f"rules/{kind}.sql") for kind in rules.KINDS]
    for name in files:
        for step in script.steps(store.sql(name)):
            assert "FORMAT_STRING" not in step.sql and "GETVARIABLE" not in step.sql, name


# ---- the national build on DuckDB: what it computes


def test_a_person_treated_in_two_provinces_is_one_person_nationally(tmp_path, cli) -> None:
    """Two provinces' stores; one person of province 23 also has a claim settled in province 53
    (unmatched there: 53's roster does not list them). Nationally their year holds both, two
    provinces settled it; every other person-year is their province's, to the cent."""
    db23 = province_store(tmp_path, cli, "23", 600)
    pid, year, oop = on_store(
        db23, "SELECT person_id, year, oop FROM person_year WHERE year = 2026 AND claims > 0 "
              "ORDER BY person_id LIMIT 1",
    )[0]  # fmt: skip
    extra = tmp_path / "away"
    write_csv(
        extra / "claims.csv",
        CLAIM_HEADER,
        [
            (
                "C53-AWAY-1",
                pid,
                "2026-06-01",
                "inpatient",
                "12000.00",
                "7000.00",
                "1000.00",
                "500.00",
            ),
        ],
    )  # fmt: skip  (OOP 12000 - 7000 - 1000 - 500 = 3,500.00)
    db53 = province_store(tmp_path, cli, "53", 600, extra)
    assert on_store(db53, "SELECT count(*) FROM unmatched_claims WHERE person_id = ?", [pid]) == [
        (1,)
    ]
    wh = tmp_path / "wh"
    warehouse.publish(db23, wh)
    warehouse.publish(db53, wh)

    report = national.build(wh, "duckdb")
    assert report.provinces == ["23", "53"]
    rows = read(wh, "person_year")
    columns = [c[0] for c in _columns(wh, "person_year")]
    at = {name: i for i, name in enumerate(columns)}
    by_key = {(r[at["person_id"]], r[at["year"]]): r for r in rows}
    mine = by_key[(pid, 2026)]
    assert mine[at["oop"]] == oop + Decimal("3500.00")
    assert mine[at["provinces"]] == 2 and mine[at["home_province"]] == "23"
    # everyone else: their own province's person_year, to the cent
    for db in (db23, db53):
        for person, yr, their_oop, claims in on_store(
            db, "SELECT person_id, year, oop, claims FROM person_year"
        ):
            if (person, yr) == (pid, 2026):
                continue
            row = by_key[(person, yr)]
            assert (row[at["oop"]], row[at["claims"]]) == (their_oop, claims), (person, yr)
    assert len(rows) == sum(on_store(db, "SELECT count(*) FROM person_year")[0][0]
                            for db in (db23, db53))  # fmt: skip
    # the claim 53 could not match is matched nationally; households are their province's
    assert not [r for r in read(wh, "unmatched_claims") if r[2] == pid]
    unmatched = sum(on_store(db, "SELECT count(*) FROM unmatched_claims")[0][0]
                    for db in (db23, db53))  # fmt: skip
    assert len(read(wh, "unmatched_claims")) == unmatched - 1
    households = {(r[0], r[5]): r for r in read(wh, "household_year")}  # household, year
    home = on_store(db23, "SELECT household_id FROM people WHERE person_id = ?", [pid])[0][0]
    for db in (db23, db53):
        for household, yr, members, their_oop, income in on_store(
            db, "SELECT household_id, year, members, household_oop, household_income "
                "FROM household_year",
        ):  # fmt: skip
            row = households[(household, yr)]
            extra = Decimal("3500.00") if (household, yr) == (home, 2026) else 0
            assert (row[1], row[2], row[3]) == (members, their_oop + extra, income), household
    # the rules: the store's own rule files run over the national figures. Everyone outside
    # the traveller's household has exactly their province's flags and list row (the medical-
    # assistance shortfall is the provinces' own finding, from their replay); the traveller's
    # figures are the nation's
    members = {p for (p,) in on_store(db23, "SELECT person_id FROM people WHERE household_id = ?",
                                      [home])}  # fmt: skip
    flag_columns = "person_id, year, rule_id, oop, threshold, severity, explain_zh, explain_en"
    theirs, listed = set(), set()
    for db in (db23, db53):
        theirs |= {row for row in on_store(db, f"SELECT {flag_columns} FROM flags WHERE run_id = "
                                               "(SELECT max(run_id) FROM rule_runs)")
                   if row[0] not in members}  # fmt: skip
        listed |= set(on_store(db, "SELECT person_id, year, rules, oop, threshold, severity, "
                                   "explain_zh, explain_en FROM watchlist"))  # fmt: skip
    flags = read_rows(wh, "flags", flag_columns)
    assert {f for f in flags if f[0] not in members} == theirs and len(theirs) > 100
    assert {f[2] for f in flags} >= {"oop_line", "household_burden", "coverage_gap",
                                     "assistance_shortfall"}  # fmt: skip
    national_list = read_rows(wh, "watchlist", "person_id, year, rules, oop, threshold, severity, "
                                               "explain_zh, explain_en")  # fmt: skip
    assert {w for w in national_list if w[0] not in members} == {
        w for w in listed if w[0] not in members
    }
    for f in flags:
        if (f[0], f[1]) == (pid, 2026) and f[2] == "oop_line":
            assert f[3] == oop + Decimal("3500.00")
            assert f[6] == f"2026年个人负担 {f[3]:,.2f} 元，超过监测线 10,000.00 元"
    # every region's figures are its province's (the store's own marts/region_year.sql), but
    # where the traveller lives; the nation's are the provinces' added up
    figures = "level, code, year, people, roster_people, enrolled_active, households, claims, "
    figures += "total_cost, oop, oop_median"
    region = read_rows(wh, "region_year", figures)
    village = on_store(db23, "SELECT village_code FROM people WHERE person_id = ?", [pid])[0][0]
    theirs = set()
    for db in (db23, db53):
        theirs |= set(on_store(db, f"SELECT {figures} FROM region_year WHERE level > 0"))
    assert {r for r in region if r[0] > 0 and not village.startswith(r[1])} == {
        r for r in theirs if not village.startswith(r[1])
    }
    for year_ in (2025, 2026):
        nation = [r for r in region if r[:3] == (0, "", year_)][0]
        provinces = [r for r in theirs if r[0] == 1 and r[2] == year_]
        assert nation[3] == sum(p[3] for p in provinces)  # people
        extra = Decimal("3500.00") if year_ == 2026 else 0
        assert nation[9] == sum(p[9] for p in provinces) + extra  # OOP
    assert {r[1] for r in region if r[0] == 5} == {
        v for db in (db23, db53) for (v,) in on_store(db, "SELECT DISTINCT village_code FROM "
                                                           "person_year WHERE village_code IS "
                                                           "NOT NULL")
    }  # fmt: skip
    assert {r[0] for r in read_rows(wh, "region_category", "level")} == {0, 1, 2, 3, 4, 5}

    # one year only: its partitions alone are read
    national.build(wh, "duckdb", year=2026)
    assert {y for (y,) in read_rows(wh, "region_year", "year")} == {2026}
    assert len(read(wh, "person_year")) == len([r for r in rows if r[at["year"]] == 2026])

    # the command: a summary, and a refusal for an empty folder
    out = cli("national", "build", "--warehouse", wh, "--engine", "duckdb", "--quiet")
    assert out.exit_code == 0, out.output
    assert "national build on duckdb: 2 province(s) (23, 53)" in out.output
    assert f"  person_year: {len(rows):,} rows" in out.output
    (tmp_path / "empty").mkdir()
    empty = cli("national", "build", "--warehouse", tmp_path / "empty")
    assert empty.exit_code == 2 and "holds no province's claims" in empty.output


def _source(folder: Path, relation: str) -> str:
    """read_parquet of a relation the national build wrote (year partitions as integers)."""
    hive = "hive_partitioning = true, hive_types = {'year': 'INTEGER'}"
    if not national.WRITTEN[relation]:
        hive = "hive_partitioning = false"
    return f"read_parquet('{folder}/national/{relation}/**/*.parquet', {hive})"


def _columns(wh: Path, relation: str) -> list[tuple]:
    con = duckdb.connect()
    try:
        return con.execute(f"DESCRIBE SELECT * FROM {_source(wh, relation)}").fetchall()
    finally:
        con.close()


# ---- the same SQL on Spark


def all_kinds_on(tmp_path: Path) -> Path:
    """The shipped rules with every kind on: the three shipped off switched on (the rolling
    window at 5% of income, so that it fires on generated data) and Shandong's example region
    file for the household net income."""
    folder = tmp_path / "rules-all"
    shutil.copytree(rules.RULES_DIR, folder)
    text = (folder / "default.toml").read_text(encoding="utf-8")
    for rule_id in ("oop_rolling", "stay_line", "oop_category_line"):
        at = text.index(f'id = "{rule_id}"')
        off = text.index("enabled = false", at)
        text = text[:off] + "enabled = true" + text[off + len("enabled = false") :]
    text = text.replace('window_days = 90\nshare = "0.80"', 'window_days = 90\nshare = "0.05"')
    (folder / "default.toml").write_text(text, encoding="utf-8")
    shutil.copy(folder / "examples" / "37.toml", folder / "regions" / "37.toml")
    return folder


@pytest.mark.spark
def test_spark_and_duckdb_build_the_same_rows_from_three_provinces(tmp_path, cli) -> None:
    """Three provinces (weekly imports with corrections and reversals), built once with DuckDB
    and once with Spark local[2]: every relation the build writes is equal row for row, the
    bilingual explanations and the region codes of every level included; and the traps the
    port rewrites do give other answers on Spark when left as sqlglot writes them."""
    wh = tmp_path / "wh"
    for code in ("23", "53", "37"):
        warehouse.publish(province_store(tmp_path, cli, code, 500), wh)
    other = tmp_path / "wh-spark"
    shutil.copytree(wh, other)

    every_kind = all_kinds_on(tmp_path)
    duck = national.build(wh, "duckdb", rules_dir=every_kind)
    spark = national.build(other, "spark", master="local[2]", rules_dir=every_kind)
    assert duck.rows == spark.rows and duck.rows["person_year"] > 1000
    for relation in national.WRITTEN:
        assert read(wh, relation) == read(other, relation), relation
        if read(wh, relation):  # the types too: DECIMAL(14,2), year an INTEGER on both
            assert _columns(wh, relation) == _columns(other, relation), relation
    fired = {r for (r,) in read_rows(wh, "flags", "rule_id")}
    assert fired == {
        "oop_line",
        "oop_income",
        "projected",
        "household_burden",
        "coverage_gap",
        "oop_rolling",
        "stay_line",
        "oop_category_line",
        "household_net_income",
        "assistance_shortfall",  # the provinces' own findings, through port.Script too
    }
    types = dict((c[0], c[1]) for c in _columns(other, "person_year"))
    assert (types["year"], types["oop"]) == ("INTEGER", "DECIMAL(14,2)")
    provinces = read_rows(other, "region_year", "code, level")
    assert {code for code, level in provinces if level == 1} == {"23", "53", "37"}
    one_year = national.build(other, "spark", year=2026)
    assert {y for (y,) in read_rows(other, "region_year", "year")} == {2026}
    assert one_year.rows["person_year"] < spark.rows["person_year"]

    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    level = "SELECT [2, 4, 6, 9, 12][lv] AS n FROM (SELECT 2 AS lv)"  # a column index
    raw = sqlglot.transpile(level, read="duckdb", write="spark")[0]
    assert session.sql(raw).collect()[0][0] == 6  # 0-based: not DuckDB's 4
    assert session.sql(port.to_spark(level)).collect()[0][0] == 4
    assert duckdb.sql(level).fetchall()[0][0] == 4
    amount = "CAST(12345.6 AS DECIMAL(14,2))"
    raw = sqlglot.transpile(f"SELECT format('{{:,.2f}}', {amount})", read="duckdb",
                            write="spark")[0]  # fmt: skip
    assert session.sql(raw).collect()[0][0] != "12,345.60"
    ported = port.to_spark(f"SELECT format('{{:,.2f}}', {amount})")
    assert session.sql(ported).collect()[0][0] == "12,345.60"
    assert duckdb.sql(f"SELECT format('{{:,.2f}}', {amount})").fetchall()[0][0] == "12,345.60"
    # DECIMAL / INTEGER is a DOUBLE on DuckDB, a DECIMAL on Spark: half a cent apart; the rule
    # files divide money with money_divided, exact on both
    half = "SELECT round(CAST(17560.85 AS DECIMAL(14,2)) / 2, 2)"
    assert str(duckdb.sql(half).fetchall()[0][0]) == "8780.42"
    assert str(session.sql(port.to_spark(half)).collect()[0][0]) == "8780.43"
    setup = port.national_macros()
    exact = "SELECT CAST(money_divided(CAST(17560.85 AS DECIMAL(14,2)), 2) AS DECIMAL(14,2))"
    assert str(session.sql(port.to_spark(exact, setup)).collect()[0][0]) == "8780.43"
    con = duckdb.connect()
    con.execute(store.sql("macros.sql"))
    assert str(con.execute(exact).fetchall()[0][0]) == "8780.43"
    # a median between two amounts: DuckDB truncates a DECIMAL's half cent, Spark's median is a
    # DOUBLE; money_median is 2.51 on both. sqlglot's quantile_disc has no Spark form, and its
    # Spark form's own (WITHIN GROUP) it writes as an estimate, PERCENTILE_APPROX.
    values = "(VALUES (CAST(2.01 AS DECIMAL(14,2))), (CAST(3.00 AS DECIMAL(14,2)))) AS t(x)"
    assert str(con.execute(f"SELECT median(x) FROM {values}").fetchall()[0][0]) == "2.50"
    assert session.sql(f"SELECT median(x) FROM {values}").collect()[0][0] == 2.505
    exact = f"SELECT CAST(money_median(x) AS DECIMAL(14,2)) FROM {values}"
    assert str(con.execute(exact).fetchall()[0][0]) == "2.51"
    assert str(session.sql(port.to_spark(exact, setup)).collect()[0][0]) == "2.51"
    lower = f"SELECT quantile_disc(x, 0.5) FROM {values}"
    with pytest.raises(Exception, match="requires 1 parameters"):
        session.sql(sqlglot.transpile(lower, read="duckdb", write="spark")[0]).collect()
    within = "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) FROM t"
    assert "PERCENTILE_APPROX" in sqlglot.transpile(within, read="spark", write="spark")[0]
    assert str(session.sql(port.to_spark(lower, {})).collect()[0][0]) == "2.01"
