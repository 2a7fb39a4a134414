"""``oopwatch warehouse publish``: a province's store as Hive-partitioned Parquet (issue 20).

A real store from generated weeks, published into a real folder and read back with DuckDB's
Parquet reader: the raw rows of each import once, the marts as the store holds them, only what
changed on the next publish, and a publish stopped half-way completed by the next one.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from pipeline import flow, store, warehouse
from pipeline.warehouse import publishing


@pytest.fixture
def weeks(tmp_path: Path, cli) -> Path:
    """Three generated weeks of 1,500 people of province 23 (with corrections and reversals)."""
    out = tmp_path / "x"
    assert cli("generate", "--out", out, "--people", "1500", "--weeks", "3", "--province", "23",
               "--as-of", "2026-11-20").exit_code == 0  # fmt: skip
    return out


def on_store(db: Path, query: str) -> list[tuple]:
    con = store.connect(db, read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def on_warehouse(folder: Path, query: str) -> list[tuple]:
    """A query where ``raw_claims``, ``mart_person_year`` … are the warehouse's partitions
    (province codes as text and years as integers: DuckDB would guess both integers)."""
    con = duckdb.connect()
    for area, names in (("raw", warehouse.RAW), ("marts", warehouse.MARTS)):
        for name in names:
            if not list((folder / area / name).rglob("*.parquet")):
                continue
            types = "{'province': 'VARCHAR'" + (", 'year': 'INTEGER'}" if name != "roster" else "}")
            con.execute(
                f"CREATE VIEW {area.removesuffix('s')}_{name} AS SELECT * FROM read_parquet("
                f"'{folder}/{area}/{name}/**/*.parquet', hive_partitioning = true, "
                f"hive_types = {types})"
            )
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def files(folder: Path) -> dict[str, float]:
    """Every file under the folder (but the publish record) and its modification time."""
    return {
        str(p.relative_to(folder)): p.stat().st_mtime_ns
        for p in folder.rglob("*")
        if p.is_file() and "_published" not in p.parts
    }


def test_raw_rows_once_per_import_and_the_marts_as_the_store_holds_them(tmp_path, db, weeks):
    flow.ingest([weeks / "week01"], db)
    flow.ingest([weeks / "week02"], db)
    out = tmp_path / "wh"
    report = warehouse.publish(db, out)
    assert report.province == "23"
    names = set(files(out))
    # one file per import, kind and year; the marts one file per year
    years = [y for (y,) in on_store(db, "SELECT DISTINCT year(settle_date) FROM claim_log")]
    for year in years:
        assert f"raw/claims/province=23/year={year}/import-00000001.parquet" in names
    assert "raw/roster/province=23/import-00000001.parquet" in names
    assert {n.split("/")[1] for n in names if n.startswith("marts/")} == set(warehouse.MARTS)
    assert not [n for n in names if ".staging" in n or n.endswith(".partial")]
    # the partition columns are in the paths only
    one = out / f"raw/claims/province=23/year={years[0]}/import-00000001.parquet"
    columns = {r[0] for r in on_warehouse(out, f"SELECT name FROM parquet_schema('{one}')")}
    assert "year" not in columns and "province" not in columns and "import_id" in columns

    # every row of every kind, once, with its import
    for kind, table in (("claims", "claim_log"), ("enrolment", "enrolment_rows"),
                        ("roster", "roster_rows")):  # fmt: skip
        expected = on_store(
            db, f"SELECT f.import_id, count(*) FROM {table} JOIN import_files AS f "
                "USING (file_id) GROUP BY ALL ORDER BY ALL",
        )  # fmt: skip
        got = on_warehouse(
            out, f"SELECT import_id, count(*) FROM raw_{kind} GROUP BY ALL ORDER BY ALL"
        )
        assert got == expected and len(got) == 2, kind
    assert report.written["raw/claims"][1] == on_store(db, "SELECT count(*) FROM claim_log")[0][0]

    # the claims in force, resolved from the raw rows as a national build does, are the store's
    in_force = """
        SELECT file_id, line, total_cost FROM raw_claims
        WHERE reverses IS NULL
          AND claim_id NOT IN (SELECT reverses FROM raw_claims WHERE reverses IS NOT NULL)
        QUALIFY row_number() OVER (PARTITION BY claim_id ORDER BY file_id DESC, line DESC) = 1
    """
    mine = on_store(db, "SELECT file_id, line, total_cost FROM claims_effective ORDER BY ALL")
    assert on_warehouse(out, in_force + " ORDER BY ALL") == mine
    assert on_store(db, "SELECT count(*) FROM claim_rows_superseded")[0][0] > 0  # corrections

    # the marts row for row, to the cent (year from the path, as an integer)
    person_years = on_store(db, "SELECT * EXCLUDE (year), year FROM person_year ORDER BY ALL")
    got = on_warehouse(
        out, "SELECT * EXCLUDE (province, year), year FROM mart_person_year ORDER BY ALL",
    )  # fmt: skip
    assert got == person_years and len(got) > 1500
    assert on_warehouse(out, "SELECT DISTINCT province FROM mart_person_year") == [("23",)]
    oop = on_store(db, "SELECT sum(oop) FROM person_year")[0][0]
    assert on_warehouse(out, "SELECT sum(oop) FROM mart_person_year")[0][0] == oop
    for mart, query in (("watchlist", "SELECT count(*) FROM watchlist"),
                        ("flags", "SELECT count(*) FROM flags WHERE run_id = "
                                  "(SELECT max(run_id) FROM rule_runs)"),
                        ("region_year", "SELECT count(*) FROM region_year"),
                        ("household_year", "SELECT count(*) FROM household_year")):  # fmt: skip
        assert on_warehouse(out, f"SELECT count(*) FROM mart_{mart}") == on_store(db, query), mart
    assert on_warehouse(out, "SELECT count(*) > 0 FROM mart_watchlist") == [(True,)]


def test_a_second_publish_writes_only_what_changed(tmp_path, db, weeks):
    flow.ingest([weeks / "week01"], db)
    out = tmp_path / "wh"
    warehouse.publish(db, out)
    before = files(out)
    again = warehouse.publish(db, out)
    assert again.written == {} and files(out) == before  # nothing rewritten
    assert again.unchanged["marts/person_year"] == len(
        on_store(db, "SELECT DISTINCT year FROM person_year")
    )

    flow.ingest([weeks / "week02"], db)
    third = warehouse.publish(db, out)
    now = files(out)
    new = {n for n in now if n not in before}
    # raw: the new import's files only; none of the first import's was touched
    assert {n for n in new if n.startswith("raw/")} == {
        n for n in now if n.startswith("raw/") and "import-00000002" in n
    }
    assert all(now[n] == before[n] for n in before if n.startswith("raw/"))
    assert third.written["raw/claims"][1] == on_store(
        db, "SELECT count(*) FROM claim_log JOIN import_files USING (file_id) "
            "WHERE import_id = 2",
    )[0][0]  # fmt: skip
    # marts: the years whose content changed were written again
    assert third.written["marts/person_year"][0] >= 1
    mine = on_store(db, "SELECT sum(oop), count(*) FROM person_year")
    assert on_warehouse(out, "SELECT sum(oop), count(*) FROM mart_person_year") == mine


def test_a_publish_stopped_half_way_is_completed_by_the_next(tmp_path, db, weeks, monkeypatch):
    """Files are renamed into place one by one and the record last: stopped after two files,
    the warehouse holds whole files only, nothing of the staging folder, and the next publish
    writes everything a publish from scratch writes, ending with the same files."""
    flow.ingest([weeks / "week01"], db)
    flow.ingest([weeks / "week02"], db)
    whole = tmp_path / "whole"
    warehouse.publish(db, whole)

    out = tmp_path / "wh"
    real = os.replace
    calls = []

    def failing(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(publishing.os, "replace", failing)
    with pytest.raises(OSError):
        warehouse.publish(db, out)
    monkeypatch.setattr(publishing.os, "replace", real)
    assert len(files(out)) == 2  # the two files renamed before the failure, whole
    assert not list(out.glob(".staging-*")) and not (out / "_published/province=23.json").exists()
    for name in files(out):
        assert on_warehouse(out, f"SELECT count(*) > 0 FROM '{out / name}'") == [(True,)]

    warehouse.publish(db, out)
    assert set(files(out)) == set(files(whole))
    for area in ("raw_claims", "mart_person_year", "mart_watchlist"):
        query = f"SELECT * FROM {area} ORDER BY ALL"
        assert on_warehouse(out, query) == on_warehouse(whole, query), area


def test_another_store_of_the_same_province_is_refused_unless_replaced(tmp_path, weeks, cli):
    first, second = tmp_path / "a" / "s.duckdb", tmp_path / "b" / "s.duckdb"
    flow.ingest([weeks / "week01"], first)
    flow.ingest([weeks / "week02"], second)
    out = tmp_path / "wh"
    warehouse.publish(first, out)
    refused = cli("warehouse", "publish", "--db", second, "--to", out)
    assert refused.exit_code == 2
    assert "holds province 23 from another store" in refused.output
    assert "--replace" in refused.output
    replaced = cli("warehouse", "publish", "--db", second, "--to", out, "--replace", "--quiet")
    assert replaced.exit_code == 0, replaced.output
    # only the second store's import is there now (its import 1 is week 02's rows)
    got = on_warehouse(out, "SELECT DISTINCT import_id FROM raw_claims")
    assert got == [(1,)]
    mine = on_store(second, "SELECT count(*) FROM claim_log")
    assert on_warehouse(out, "SELECT count(*) FROM raw_claims") == mine


def test_the_command_prints_what_it_wrote_and_refuses_a_bad_province(tmp_path, db, weeks, cli):
    flow.ingest([weeks / "week01"], db)
    out = tmp_path / "wh"
    first = cli("warehouse", "publish", "--db", db, "--to", out, "--quiet")
    assert first.exit_code == 0, first.output
    assert f"warehouse {out}: province 23 from snap-" in first.output
    claims = on_store(db, "SELECT count(*) FROM claim_log")[0][0]
    assert "  raw/claims: " in first.output and f"{claims:,} rows" in first.output
    second = cli("warehouse", "publish", "--db", db, "--to", out, "--quiet")
    assert "nothing changed since the last publish" in second.output
    assert "marts/person_year: 0 file(s) written" in second.output
    bad = cli("warehouse", "publish", "--db", db, "--to", out, "--province", "2301")
    assert bad.exit_code == 2 and "2-digit division code" in bad.output
    missing = cli("warehouse", "publish", "--db", tmp_path / "none.duckdb", "--to", out)
    assert missing.exit_code == 2 and "no store at" in missing.output
