"""The national build (issue 20): one source of SQL on DuckDB and on Spark over the warehouse.

Real provinces: generated extracts of each province ingested into a store of its own and
published into one warehouse folder; the national build run on DuckDB and on a real local
SparkSession (``local[2]``), their outputs read back and compared row for row.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import sqlglot

from pipeline import flow, national, store, warehouse
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
    macros = port.national_macros()
    # a 1-based list index: element_at (sqlglot alone keeps [lv], 0-based on Spark)
    assert "ELEMENT_AT(ARRAY(2, 4, 6, 9, 12), lv)" in port.to_spark(
        "SELECT region_prefix(v, lv) FROM t", macros
    )
    assert (
        "ARRAY(2, 4, 6, 9, 12)[lv]"
        in sqlglot.transpile("SELECT [2, 4, 6, 9, 12][lv] FROM t", read="duckdb", write="spark")[0]
    )
    # yuan: format_number (sqlglot alone writes FORMAT_STRING, printed as the literal text)
    assert port.to_spark("SELECT yuan(x) FROM t", macros) == "SELECT FORMAT_NUMBER(x, 2) FROM t"
    assert (
        "FORMAT_STRING('{:,.2f}', x)"
        in sqlglot.transpile("SELECT format('{:,.2f}', x) FROM t", read="duckdb", write="spark")[0]
    )
    # a macro's body, with its arguments in place of its parameters
    assert port.to_spark("SELECT region_prefix(a.code, 0) FROM a", macros) == (
        "SELECT CASE WHEN 0 = 0 THEN '' ELSE SUBSTRING(a.code, 1, "
        "ELEMENT_AT(ARRAY(2, 4, 6, 9, 12), 0)) END FROM a"
    )
    for sql, words in [
        ("SELECT * EXCLUDE (a) FROM t", "EXCLUDE"),
        ("SELECT last(x ORDER BY y) FROM t", "max_by"),
        ("SELECT format('{:.1f}', x) FROM t", "only '{:,.2f}'"),
        ("SELECT arg_max_null(x, y) FROM t", "arg_max_null"),
        ("SELECT region_prefix(v) FROM t", "takes 2 arguments"),
    ]:
        with pytest.raises(port.PortError, match=words):
            port.to_spark(sql, macros)


def test_every_national_file_ports_to_spark() -> None:
    for name in national.RELATIONS:
        text = port.to_spark(store.sql(f"national/{name}.sql"))
        assert "[" not in text.replace("ARRAY(", "") and "FORMAT_STRING" not in text, name


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
    # the nation's line: the rule's default 10,000.00, its explanation filled in
    flags = read(wh, "flags")
    # (person_id, rule_id, oop, threshold, severity, explain_zh, explain_en, year)
    assert flags and all(f[2] > f[3] == Decimal("10000.00") for f in flags)
    assert all(f"{f[7]}年个人负担 {f[2]:,.2f} 元，超过监测线 10,000.00 元" == f[5] for f in flags)
    assert all(f"OOP in {f[7]}: {f[2]:,.2f} yuan, over the monitoring line of 10,000.00 yuan"
               == f[6] for f in flags)  # fmt: skip
    # the nation's totals are the provinces' totals
    region = {(r[0], r[1], r[5]): r for r in read(wh, "region_year")}  # level, code, year
    for year_ in (2025, 2026):
        provinces = [region[(1, code, year_)] for code in ("23", "53")]
        nation = region[(0, "", year_)]
        assert nation[2] == sum(p[2] for p in provinces)  # people
        assert nation[3] == sum(p[3] for p in provinces)  # OOP
    assert {r[1] for r in region.values() if r[0] == 5} == {
        v for db in (db23, db53) for (v,) in on_store(db, "SELECT DISTINCT village_code FROM "
                                                           "person_year WHERE village_code IS "
                                                           "NOT NULL")
    }  # fmt: skip

    # one year only: its partitions alone are read
    national.build(wh, "duckdb", year=2026)
    assert {r[5] for r in read(wh, "region_year")} == {2026}
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

    duck = national.build(wh, "duckdb")
    spark = national.build(other, "spark", master="local[2]")
    assert duck.rows == spark.rows and duck.rows["person_year"] > 1000
    for relation in national.WRITTEN:
        assert read(wh, relation) == read(other, relation), relation
        if read(wh, relation):
            assert _columns(wh, relation) == _columns(other, relation), relation
    assert {r[1] for r in read(other, "region_year") if r[0] == 1} == {"23", "53", "37"}
    one_year = national.build(other, "spark", year=2026)
    assert {r[5] for r in read(other, "region_year")} == {2026}
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
    assert session.sql(port.to_spark(f"SELECT yuan({amount})")).collect()[0][0] == "12,345.60"
    assert duckdb.sql(f"SELECT format('{{:,.2f}}', {amount})").fetchall()[0][0] == "12,345.60"
