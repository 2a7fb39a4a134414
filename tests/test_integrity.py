"""Nothing moves silently: a claim number is one person's for good, a regional upload touches
only its region, malformed and mixed-encoding rows are rejected, never loaded shifted."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import pytest

from pipeline import flow, schema
from tests.conftest import CLAIM_HEADER, ROSTER_HEADER, make_id, write_csv

A = make_id(1)
B = make_id(2, county="230225")
VILLAGE_A = "230124100201"
VILLAGE_B = "230225100201"


def two_people(folder: Path) -> Path:
    return write_csv(
        folder / "roster.csv",
        ROSTER_HEADER,
        [(A, "张三", "HA", VILLAGE_A, "dibao"), (B, "李四", "HB", VILLAGE_B, "dibao")],
    )


def claim(claim_id: str, person: str, total: str, basic: str = "0") -> tuple:
    return (claim_id, person, "2026-03-01", "inpatient", total, basic, "0", "0")


def oops(query) -> dict[str, Decimal]:
    return dict(query("SELECT person_id, oop FROM person_year WHERE year = 2026"))


def test_a_claim_id_sent_for_two_people_in_one_file_keeps_the_first(tmp_path, db, query):
    folder = tmp_path / "w1"
    two_people(folder)
    write_csv(
        folder / "claims.csv",
        CLAIM_HEADER,
        [claim("DUP1", A, "1000.00"), claim("DUP1", B, "2500.00")],
    )
    report = flow.ingest([folder], db)
    claims = next(f for f in report.files if f.file.endswith("claims.csv"))
    assert (claims.rows_read, claims.rows_loaded, claims.rows_rejected) == (2, 1, 1)
    assert query("SELECT line, reason, raw FROM rejected_rows") == [
        (3, "claim_id_other_person", f"DUP1,{B},2026-03-01,inpatient,2500.00,0,0,0")
    ]
    detail = query("SELECT detail FROM rejected_rows")[0][0]
    assert "line 2 of claims.csv" in detail and A not in detail and B not in detail
    assert oops(query) == {A: Decimal("1000.00")}
    assert query("SELECT person_id FROM claim_rows") == [(A,)]


def test_a_claim_id_resent_for_another_person_later_is_rejected_and_stays(tmp_path, db, query):
    two_people(tmp_path / "w1")
    write_csv(
        tmp_path / "w1" / "claims.csv",
        CLAIM_HEADER,
        [claim("C1", A, "3000.00"), claim("C2", A, "400.00")],
    )
    flow.ingest([tmp_path / "w1"], db)
    # C1 for B (the claim would move county), C2 corrected for A (allowed), C3 new for B
    write_csv(
        tmp_path / "w2" / "claims.csv",
        CLAIM_HEADER,
        [claim("C1", B, "3000.00"), claim("C2", A, "400.00", "100.00"), claim("C3", B, "50.00")],
    )
    report = flow.ingest([tmp_path / "w2"], db)
    assert report.files[0].rows_rejected == 1
    assert query("SELECT line, reason FROM rejected_rows") == [(2, "claim_id_other_person")]
    assert "imported before" in query("SELECT detail FROM rejected_rows")[0][0]
    assert oops(query) == {A: Decimal("3300.00"), B: Decimal("50.00")}
    assert query("SELECT claim_id, person_id FROM claim_rows ORDER BY claim_id, file_id") == [
        ("C1", A),
        ("C2", A),
        ("C3", B),
    ]


def test_a_row_held_by_another_person_in_an_earlier_file_of_the_import(tmp_path, db, query):
    folder = tmp_path / "w1"
    two_people(folder)
    write_csv(folder / "claims-1.csv", CLAIM_HEADER, [claim("X1", B, "70.00")])
    write_csv(folder / "claims-2.csv", CLAIM_HEADER, [claim("X1", A, "90.00")])
    flow.ingest([folder], db)
    assert query("SELECT file, line, reason FROM rejected_rows") == [
        (str(folder / "claims-2.csv"), 2, "claim_id_other_person")
    ]
    assert "line 2 of claims-1.csv" in query("SELECT detail FROM rejected_rows")[0][0]
    assert oops(query) == {B: Decimal("70.00")}


@pytest.mark.parametrize("seed", range(6))
def test_every_claim_row_read_is_in_force_superseded_or_rejected(
    tmp_path, db, query, seed, monkeypatch
):
    """Random duplicate patterns over three imports against a model of the contract's rule.
    Seeds 3-5 find the repeated claim_ids in slices of 3 rows (as 10M people's imports do);
    odd seeds stage the files in a DuckDB file (as imports larger than memory do)."""
    if seed % 2:
        monkeypatch.setattr(flow, "STAGE_ON_DISK_BEYOND", -1.0)
    if seed >= 3:
        from pipeline.ingest import load

        monkeypatch.setattr(load, "ROWS_PER_GROUPING", 3)
    rng = random.Random(seed)
    people = [A, B, make_id(7), make_id(8, county="230225")]
    write_csv(
        tmp_path / "roster" / "roster.csv",
        ROSTER_HEADER,
        [(p, f"人{i}", f"H{i}", VILLAGE_A, "dibao") for i, p in enumerate(people)],
    )
    flow.ingest([tmp_path / "roster"], db)
    holder: dict[str, str] = {}  # claim_id -> person
    in_force: dict[str, Decimal] = {}  # claim_id -> total of the version in force
    read = rejected = superseded = 0
    for week in range(3):
        folder = tmp_path / f"w{week}"
        files = rng.randint(1, 2)
        for f in range(files):
            rows = []
            for _ in range(rng.randint(1, 12)):
                cid = f"K{rng.randint(1, 8)}"
                person = rng.choice(people)
                total = Decimal(rng.randint(1, 99999)) / 100
                rows.append(claim(cid, person, f"{total:.2f}"))
                read += 1
                if holder.setdefault(cid, person) != person:
                    rejected += 1
                    continue
                superseded += cid in in_force
                in_force[cid] = total
            write_csv(folder / f"claims-{f}.csv", CLAIM_HEADER, rows)
        flow.ingest([folder], db)
        assert query("SELECT sum(rows_read) FROM imports WHERE kind = 'claims'") == [(read,)]
        assert query("SELECT count(*) FROM rejected_rows WHERE kind = 'claims'") == [(rejected,)]
        assert query("SELECT count(*) FROM claim_rows_superseded") == [(superseded,)]
        # every loaded row, once; a rejected one was taken out again
        assert query("SELECT count(*) FROM claim_log") == [(read - rejected,)]
        assert len(in_force) + superseded + rejected == read
        assert query("SELECT count(*) FROM claim_rows") == [(len(in_force),)]
        assert dict(query("SELECT claim_id, person_id FROM claim_rows")) == holder
        assert dict(query("SELECT claim_id, total_cost FROM claim_rows")) == in_force
        by_person = {p: sum(t for c, t in in_force.items() if holder[c] == p) for p in people}
        assert oops(query) == {p: t for p, t in by_person.items() if t}


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_the_rejected_duplicate_keeps_its_source_text_in_every_format(
    tmp_path, db, query, fmt, staging
):
    import pandas as pd

    folder = tmp_path / "w1"
    two_people(folder)
    frame = pd.DataFrame(
        [claim("DUP1", A, "1000.00"), claim("DUP1", B, "2500.00")], columns=CLAIM_HEADER
    )
    if fmt == "xlsx":
        frame.to_excel(folder / "claims.xlsx", index=False)
    else:
        frame.to_parquet(folder / "claims.parquet", index=False)
    flow.ingest([folder], db)
    assert query("SELECT line, reason, raw FROM rejected_rows") == [
        (3, "claim_id_other_person", f"DUP1,{B},2026-03-01,inpatient,2500.00,0,0,0")
    ]
    assert oops(query) == {A: Decimal("1000.00")}


ENROLMENT_HEADER = ["person_id", "year", "scheme", "status"]


def test_an_upload_within_a_county_cannot_touch_another_countys_records(tmp_path, db, cli, query):
    """`--within 230225`: every record a row touches must lie in the county."""
    w1 = tmp_path / "w1"
    two_people(w1)  # A lives in 230124, B in 230225
    write_csv(w1 / "claims.csv", CLAIM_HEADER, [claim("CA", A, "32889.98"), claim("CB", B, "9.00")])
    assert cli("ingest", w1, "--db", db).exit_code == 0  # the national admin

    def refused(kind: str, header: list[str], rows: list[tuple], expect: str) -> None:
        folder = tmp_path / kind
        write_csv(folder / f"{kind}.csv", header, rows)
        result = cli("ingest", folder, "--db", db, "--within", "230225")
        assert result.exit_code == 2, result.output
        assert expect in result.output, result.output
        assert "Nothing of this import was loaded" in result.output

    # a reversal by a person of 230225 that names A's claim in 230124
    refused(
        "claims",
        CLAIM_HEADER + ["reverses"],
        [("RV1", B, "2026-03-05", "inpatient", "-1.00", "0", "0", "0", "CA")],
        "line 2 (claims, reverses a claim of a person elsewhere, village 230124100201)",
    )
    # an enrolment row for A with no village: it would give A a coverage gap
    refused(
        "enrolment",
        ENROLMENT_HEADER,
        [(A, "2026", "residents", "ended")],
        "line 2 (enrolment, person lives elsewhere, village 230124100201)",
    )
    # a roster row that moves A into 230225
    refused(
        "roster",
        ROSTER_HEADER,
        [(A, "张三", "HB", VILLAGE_B, "dibao")],
        "line 2 (roster, person lives elsewhere, village 230124100201)",
    )
    assert oops(query) == {A: Decimal("32889.98"), B: Decimal("9.00")}
    assert query("SELECT count(*) FROM imports") == [(2,)]

    # A's claim_id re-sent under B: the row is rejected, the claim stays A's
    moved = tmp_path / "moved"
    write_csv(
        moved / "claims.csv", CLAIM_HEADER, [claim("CA", B, "32889.98"), claim("CB2", B, "1.00")]
    )
    result = cli("ingest", moved, "--db", db, "--within", "230225")
    assert result.exit_code == 0, result.output
    assert query("SELECT line, reason FROM rejected_rows") == [(2, "claim_id_other_person")]
    assert oops(query) == {A: Decimal("32889.98"), B: Decimal("10.00")}
    # a reversal of B's own claim, in B's county, is allowed
    own = tmp_path / "own"
    write_csv(
        own / "claims.csv",
        CLAIM_HEADER + ["reverses"],
        [("RV2", B, "2026-03-06", "inpatient", "-1.00", "0", "0", "0", "CB2")],
    )
    assert cli("ingest", own, "--db", db, "--within", "230225").exit_code == 0
    assert oops(query) == {A: Decimal("32889.98"), B: Decimal("9.00")}


def test_a_masked_export_cannot_be_turned_back_into_full_ids(tmp_path, db, cli):
    """The attack of the trial: masked ID (first 4, last 4) + county from the village code leave
    only the birth date unknown; hashing every candidate used to find the case key's ID."""
    import csv
    import datetime as dt
    import hashlib

    from pipeline import schema

    people = [
        make_id(i, county="230225").replace("19800101", f"1979{i:02d}{i + 3:02d}") for i in (1, 2)
    ]
    people = [p[:17] + schema.id_check_digit(p[:17]) for p in people]
    write_csv(
        tmp_path / "w" / "roster.csv",
        ROSTER_HEADER,
        [(p, f"人{i}", f"H{i}", VILLAGE_B, "dibao") for i, p in enumerate(people)],
    )
    write_csv(
        tmp_path / "w" / "claims.csv",
        CLAIM_HEADER,
        [claim(f"C{i}", p, "90000.00") for i, p in enumerate(people)],
    )
    assert cli("ingest", tmp_path / "w", "--db", db).exit_code == 0
    out = tmp_path / "list.csv"
    assert cli("export", "--db", db, "--year", "2026", "--out", out).exit_code == 0
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2
    days = [dt.date(1900, 1, 1) + dt.timedelta(d) for d in range(46000)]
    for row in rows:
        masked, key = row["身份证号（脱敏）"], row["案件编号"].split("-", 1)[1]
        assert masked.count("*") == 10 and masked[:4] == "2302"
        county = VILLAGE_B[:6]  # the village column gives it
        found = []
        for day in days:
            first17 = county + day.strftime("%Y%m%d") + masked[-4:-1]
            if first17[:17] + schema.id_check_digit(first17) != first17 + masked[-1]:
                continue
            candidate = first17 + masked[-1]
            if hashlib.sha256(candidate.encode()).hexdigest()[:16] == key:
                found.append(candidate)
        assert found == [], "a full ID recovered from a masked export"


FULL_CLAIM_HEADER = [*CLAIM_HEADER, "other_paid", "diagnosis", "hospital", "reverses"]


def write_lines(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_a_line_with_more_fields_than_the_header_is_rejected_not_shifted(tmp_path, db, query):
    folder = tmp_path / "w1"
    two_people(folder)
    write_lines(
        folder / "claims.csv",
        [
            ",".join(FULL_CLAIM_HEADER),
            f"TC0001,{A},2026-03-01,inpatient,2000.00,1000.00,0,0,0,J18.9,某医院,",
            # an unquoted thousands separator: one field too many, the last one empty
            f"TC0002,{A},2026-03-02,inpatient,1,234.50,500.00,0,0,0,J18.9,某医院,",
            # a value beyond the header
            f"TC0003,{A},2026-03-03,outpatient,10.00,0,0,0,0,J18.9,某医院,,X",
            # one field short
            f"TC0004,{A},2026-03-04,outpatient,10.00,0,0,0,0,J18.9,某医院",
            f"TC0005,{A},2026-03-05,outpatient,30.00,0,0,0,0,,,",
        ],
    )
    report = flow.ingest([folder], db)
    claims = next(f for f in report.files if f.file.endswith("claims.csv"))
    assert (claims.rows_read, claims.rows_loaded, claims.rows_rejected) == (5, 2, 3)
    rejected = query("SELECT line, reason, detail, raw FROM rejected_rows ORDER BY line")
    assert [(r[0], r[1]) for r in rejected] == [
        (3, "malformed_row"),
        (4, "malformed_row"),
        (5, "malformed_row"),
    ]
    assert "13 fields where the header has 12" in rejected[0][2]
    assert rejected[0][3] == f"TC0002,{A},2026-03-02,inpatient,1,234.50,500.00,0,0,0,J18.9,某医院,"
    assert "11 fields where the header has 12" in rejected[2][2]
    assert query("SELECT claim_id, reverses FROM claim_rows ORDER BY 1") == [
        ("TC0001", None),
        ("TC0005", None),
    ]
    assert oops(query) == {A: Decimal("1030.00")}


def test_a_comma_at_the_end_of_every_line_is_ignored(tmp_path, db, query):
    """Some exports end every line with a comma: the header too, or only the data lines (then
    judged on at least ten of them)."""
    folder = tmp_path / "w1"
    header = "person_id,name,household_id,village_code,category,household_income,risk_cause"
    write_lines(
        folder / "roster.csv",
        [
            header + ",",
            f"{A},张三,HA,{VILLAGE_A},dibao,12000.00,因病,",
            f"{B},李四,HB,{VILLAGE_B},dibao,8000.00,,",
            # the income shifted into risk_cause: one field too many
            f"{make_id(9)},王五,HC,{VILLAGE_A},dibao,,5000.00,因病,",
        ],
    )
    ok = [f"K{i},{A},2026-03-01,inpatient,100.00,0,0,0," for i in range(11)]
    write_lines(
        folder / "claims.csv",
        [
            ",".join(CLAIM_HEADER),
            *ok,
            f"K20,{B},2026-03-01,inpatient,200.00,0,0,0,",
            f"K30,{B},2026-03-01,inpatient,300.00,0,0,0,,",  # one field too many
        ],
    )
    report = flow.ingest([folder], db)
    counts = {
        Path(f.file).name: (f.rows_read, f.rows_loaded, f.rows_rejected) for f in report.files
    }
    assert counts == {"roster.csv": (3, 2, 1), "claims.csv": (13, 12, 1)}
    assert query("SELECT kind, line, reason FROM rejected_rows ORDER BY kind, line") == [
        ("claims", 14, "malformed_row"),
        ("roster", 4, "malformed_row"),
    ]
    assert query("SELECT person_id, household_income, risk_cause FROM people ORDER BY 1") == [
        (A, Decimal("12000.00"), "因病"),
        (B, Decimal("8000.00"), None),
    ]
    assert query("SELECT extra_columns FROM imports WHERE kind = 'roster'") == [([],)]
    assert oops(query) == {A: Decimal("1100.00"), B: Decimal("200.00")}


def test_a_file_of_one_shifted_line_is_not_taken_for_trailing_commas(tmp_path, db, query):
    """The trial's file: a header and the one line TC0002 with an unquoted thousands separator
    and an empty last field."""
    folder = tmp_path / "w1"
    two_people(folder)
    line = f"TC0002,{A},2026-11-22,inpatient,1,234.50,500.00,0,0,0,J18.9,某医院,"
    write_lines(folder / "claims.csv", [",".join(FULL_CLAIM_HEADER), line])
    flow.ingest([folder], db)
    assert query("SELECT line, reason, raw FROM rejected_rows") == [(2, "malformed_row", line)]
    assert query("SELECT count(*) FROM claim_log") == [(0,)]


def test_a_short_line_is_one_reject_and_rows_read_are_data_lines(tmp_path, db, query):
    folder = tmp_path / "w1"
    two_people(folder)
    write_lines(
        folder / "claims.csv",
        [
            ",".join(CLAIM_HEADER),
            f"S1,{A},2026-03-01,inpatient,100.00,0,0,0",
            "S2",
            f"S3,{A},2026-03-01",
            f"S4,{A},2026-03-01,inpatient,50.00,0,0,0",
        ],
    )
    report = flow.ingest([folder], db)
    claims = next(f for f in report.files if f.file.endswith("claims.csv"))
    assert (claims.rows_read, claims.rows_loaded, claims.rows_rejected) == (4, 2, 2)
    assert query("SELECT line, reason, raw FROM rejected_rows ORDER BY line") == [
        (3, "malformed_row", "S2"),
        (4, "malformed_row", f"S3,{A},2026-03-01"),
    ]


def hospital_claims(n: int) -> list[str]:
    return [f"H{i:05d},{A},2026-03-01,outpatient,1.00,0,0,0,人民医院" for i in range(n)]


def test_one_gb18030_line_in_a_utf8_file_is_rejected_not_the_file_reread(tmp_path, db, query):
    folder = tmp_path / "w1"
    two_people(folder)
    lines = [",".join([*CLAIM_HEADER, "hospital"]), *hospital_claims(25000)]
    gb_line = f"G00001,{A},2026-03-01,outpatient,5.00,0,0,0,县中医院"
    path = folder / "claims.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8") + (gb_line + "\n").encode("gb18030"))
    assert path.stat().st_size > 1024 * 1024  # the first megabyte is clean UTF-8
    report = flow.ingest([folder], db)
    claims = next(f for f in report.files if f.file.endswith("claims.csv"))
    assert claims.encoding == "utf-8"
    assert (claims.rows_read, claims.rows_loaded, claims.rows_rejected) == (25001, 25000, 1)
    assert query("SELECT line, reason, raw FROM rejected_rows") == [
        (25002, "bad_encoding", gb_line)
    ]
    assert query("SELECT DISTINCT hospital FROM claim_rows") == [("人民医院",)]


def test_one_utf8_line_in_a_gb18030_file_is_rejected_not_loaded_as_mojibake(tmp_path, db, query):
    folder = tmp_path / "w1"
    two_people(folder)
    lines = [",".join([*CLAIM_HEADER, "hospital"]), *hospital_claims(3000)]
    utf8_line = f"U00001,{A},2026-03-01,outpatient,5.00,0,0,0,县中医院"
    tail = [f"T00001,{A},2026-03-01,outpatient,2.00,0,0,0,镇卫生院"]
    (folder / "claims.csv").write_bytes(
        ("\n".join(lines) + "\n").encode("gb18030")
        + (utf8_line + "\n").encode("utf-8")
        + ("\n".join(tail) + "\n").encode("gb18030")
    )
    report = flow.ingest([folder], db)
    claims = next(f for f in report.files if f.file.endswith("claims.csv"))
    assert claims.encoding == "gb18030"
    assert (claims.rows_read, claims.rows_loaded, claims.rows_rejected) == (3002, 3001, 1)
    assert query("SELECT line, reason, raw, detail FROM rejected_rows") == [
        (3002, "bad_encoding", utf8_line, "UTF-8 text in a GB18030 file")
    ]
    assert query("SELECT hospital, count(*) FROM claim_rows GROUP BY 1 ORDER BY 1") == [
        ("人民医院", 3000),
        ("镇卫生院", 1),
    ]
    assert query("SELECT line FROM claim_rows WHERE claim_id = 'T00001'") == [(3003,)]


def test_a_nul_byte_after_the_first_megabyte_rejects_its_line(tmp_path, db, query):
    folder = tmp_path / "w1"
    two_people(folder)
    lines = [",".join([*CLAIM_HEADER, "hospital"]), *hospital_claims(30000)]
    nul_line = f"N00001,{A},2026-03-01,outpatient,5.00,0,0,0,人民\x00医院"
    path = write_lines(folder / "claims.csv", [*lines, nul_line, lines[1].replace("H00000", "Z1")])
    assert path.stat().st_size > 1024 * 1024
    report = flow.ingest([folder], db)
    claims = next(f for f in report.files if f.file.endswith("claims.csv"))
    assert (claims.rows_read, claims.rows_loaded, claims.rows_rejected) == (30002, 30001, 1)
    assert query("SELECT line, reason, detail FROM rejected_rows") == [
        (30002, "bad_encoding", "a NUL byte: not text")
    ]
    assert query("SELECT count(*) FROM claim_rows WHERE contains(hospital, chr(0))") == [(0,)]
    assert query("SELECT line FROM claim_rows WHERE claim_id = 'Z1'") == [(30003,)]


def test_ids_in_a_refusal_are_masked_and_the_header_echo_is_short(tmp_path, db, cli):
    """A roster with no header row: the refusal names what it found, IDs masked."""
    path = write_lines(
        tmp_path / "w1" / "roster.csv",
        [f"{A},王杰鑫,HA,{VILLAGE_A},dibao", f"{B},李四,HB,{VILLAGE_B},dibao"],
    )
    result = cli("ingest", path, "--db", db, "--create")
    assert result.exit_code == 2
    assert A not in result.output and schema.mask_id(A) in result.output, result.output
    assert "required column missing" in result.output
    # a link in an exchange folder to a file elsewhere is skipped, its content never echoed
    secret = write_lines(tmp_path / "elsewhere" / "roster.csv", ["root:x:0:0:root:/root:/bin/sh"])
    (tmp_path / "w2").mkdir()
    (tmp_path / "w2" / "roster.csv").symlink_to(secret)
    result = cli("ingest", tmp_path / "w2", "--db", db, "--create")
    assert result.exit_code == 2 and "root:x" not in result.output, result.output


def test_a_mistyped_db_never_makes_a_new_store(tmp_path, cli):
    week = tmp_path / "w1"
    two_people(week)
    db = tmp_path / "data" / "w2.duckdb"
    first = cli("ingest", week, "--db", db)  # the folder holds no store: made, and said so
    assert first.exit_code == 0 and "新建数据库" in first.output
    typo = tmp_path / "data" / "w2.duckbd"
    result = cli("ingest", week, "--db", typo)
    assert result.exit_code == 2 and "holds w2.duckdb: is --db mistyped?)" in result.output
    assert "--create" in result.output and not typo.exists()
    assert cli("ingest", week, "--db", typo, "--create").exit_code == 0 and typo.exists()
    missing = tmp_path / "data" / "nothing.duckdb"
    for args in (
        ["flag"],
        ["export", "--year", "2026", "--out", str(tmp_path / "x.csv")],
        ["returns", str(tmp_path / "x.csv")],
        ["audit"],
        ["users", "list"],
        ["serve"],
    ):
        result = cli(*args, "--db", missing)
        assert result.exit_code == 2, (args, result.output)
        assert f"no store at {missing}" in result.output, (args, result.output)
    assert not missing.exists() and not (tmp_path / "x.csv").exists()
    stores = {p.name for p in (tmp_path / "data").iterdir() if p.suffix in (".duckdb", ".duckbd")}
    assert stores == {"w2.duckdb", "w2.duckbd"}


def test_a_killed_import_leaves_nothing_behind_once_the_next_one_runs(tmp_path, db):
    """The GB18030 copy of a killed import lay in /tmp for good; now it is beside the store
    and the next import clears it."""
    folder = tmp_path / "w1"
    two_people(folder)
    write_csv(folder / "claims.csv", CLAIM_HEADER, [claim("G1", A, "10.00")], "gb18030")
    flow.ingest([folder], db)
    leftover = db.with_name(db.name + ".import") / "tmpkilled.csv"
    assert not leftover.parent.exists(), "an import that ends removes its folder"
    leftover.parent.mkdir()
    leftover.write_bytes(b"x" * 1000)  # what a SIGKILL mid-import leaves
    write_csv(tmp_path / "w2" / "claims.csv", CLAIM_HEADER, [claim("G2", A, "5.00")])
    flow.ingest([tmp_path / "w2"], db)
    assert not leftover.exists()


@pytest.mark.parametrize(("ratio", "on_disk"), [(2.0, False), (-1.0, True)])
def test_an_import_larger_than_memory_stages_its_files_on_disk_then_removes_them(
    tmp_path, db, query, monkeypatch, ratio, on_disk
):
    """Files larger than STAGE_ON_DISK_BEYOND times the memory limit are checked into a DuckDB
    file beside the store (DuckDB can evict it; temporary tables dropped inside the import's
    transaction held their memory: 10M people ran out); smaller ones stay in memory."""
    monkeypatch.setattr(flow, "STAGE_ON_DISK_BEYOND", ratio)
    stage = db.with_name(db.name + ".import") / "stage.duckdb"
    seen: list[bool] = []

    class Watch(flow.Hooks):
        def step(self, name: str, path: Path | None = None) -> None:
            if name == "store":
                seen.append(stage.is_file())

    folder = tmp_path / "w1"
    two_people(folder)
    write_csv(folder / "claims.csv", CLAIM_HEADER, [claim("S1", A, "10.00"), claim("S2", B, "x")])
    report = flow.ingest([folder], db, hooks=Watch())
    assert seen == [on_disk]
    assert not stage.parent.exists(), "the stage goes with the import's folder"
    assert [f.rows_rejected for f in report.files] == [1, 0]  # claims.csv, roster.csv
    assert query("SELECT line, reason FROM rejected_rows") == [(3, "bad_amount")]
    assert oops(query) == {A: Decimal("10.00")}


def bomb_workbook(path: Path, sheet_xml: Callable[[BinaryIO], None]) -> Path:
    """A real workbook (openpyxl) whose first sheet's XML is replaced by what ``sheet_xml``
    streams: a file of a few MB that unpacks to far more."""
    import zipfile

    import openpyxl

    path.parent.mkdir(parents=True, exist_ok=True)
    plain = path.with_suffix(".plain.xlsx")
    book = openpyxl.Workbook()
    book.active.append(CLAIM_HEADER)
    book.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with dst.open(item.filename, "w", force_zip64=True) as out:
                    sheet_xml(out)
            else:
                dst.writestr(item, src.read(item.filename))
    plain.unlink()
    return path


def huge_rows(out: BinaryIO) -> None:
    out.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
              b'spreadsheetml/2006/main"><sheetData>')  # fmt: skip
    row = b'<row><c t="inlineStr"><is><t>' + b"x" * 2000 + b"</t></is></c></row>"
    for _ in range(110_000):  # 220 MB unpacked
        out.write(row)
    out.write(b"</sheetData></worksheet>")


def sparse_corners(out: BinaryIO) -> None:
    out.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
              b'spreadsheetml/2006/main"><sheetData>'
              b'<row r="1"><c r="A1" t="inlineStr"><is><t>claim_id</t></is></c></row>'
              b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
              b"</sheetData></worksheet>")  # fmt: skip


@pytest.mark.parametrize(
    ("shape", "expect"),
    [(huge_rows, "unpacks to 225 MB of XML"), (sparse_corners, "1,048,576 rows by 16,384")],
)
def test_an_xlsx_that_unpacks_to_gigabytes_is_refused_before_reading(tmp_path, db, shape, expect):
    import subprocess
    import sys

    path = bomb_workbook(tmp_path / "w1" / "claims.xlsx", shape)
    assert path.stat().st_size < 3_000_000
    child = (  # the CLI, then its own peak memory (VmHWM, kB) on the last line; ru_maxrss would
        # count the forking pytest worker's too
        "import re, sys\n"
        "from pipeline.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "finally:\n"
        "    status = open('/proc/self/status').read()\n"
        "    print(re.search(r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", child, "ingest", str(path), "--db", str(db), "-q"],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert expect in done.stderr and "send it as CSV" in done.stderr, done.stderr
    peak_mb = int(done.stderr.strip().splitlines()[-1]) / 1024
    assert peak_mb < 400, f"the refusal took {peak_mb:.0f} MB"


def test_amounts_follow_the_contract_grammar(tmp_path, db, query):
    """Plain decimals; thousands separators and full-width digits normalised; exponents,
    underscores, NaN and infinities rejected (contract v1.1)."""
    folder = tmp_path / "w1"
    two_people(folder)
    totals = {
        "M1": ("1e3", None), "M2": ("1.2e3", None), "M3": ("1_000", None),
        "M4": ("NaN", None), "M5": ("Infinity", None), "M6": ("1,23", None),
        "M7": ("1,234.567", None), "M8": ("１２３", "123.00"), "M9": ("1,234.50", "1234.50"),
        "M10": ("１,２３４.５０", "1234.50"), "M11": (" 88.8 ", "88.80"), "M12": ("-inf", None),
        "M13": ("12,345,678.9", "12345678.90"),
    }  # fmt: skip
    write_csv(
        folder / "claims.csv",
        CLAIM_HEADER,
        [
            (cid, A, "2026-03-01", "outpatient", raw, "0", "0", "0")
            for cid, (raw, _) in totals.items()
        ],
    )
    flow.ingest([folder], db)
    loaded = dict(query("SELECT claim_id, CAST(total_cost AS VARCHAR) FROM claim_rows"))
    assert loaded == {cid: want for cid, (_raw, want) in totals.items() if want}
    rejected = dict(query("SELECT line, reason FROM rejected_rows"))
    expected = {i + 2: "bad_amount" for i, (_c, (_r, w)) in enumerate(totals.items()) if not w}
    assert rejected == expected


def test_the_same_file_twice_and_a_repeated_extra_column(tmp_path, db, query):
    folder = tmp_path / "w1"
    path = write_csv(
        folder / "roster.csv",
        [*ROSTER_HEADER, "备注", "备注"],
        [(A, "张三", "HA", VILLAGE_A, "dibao", "first", "second")],
    )
    report = flow.ingest([path, path], db)
    assert [(f.rows_read, f.rows_loaded, f.already_imported is None) for f in report.files] == [
        (1, 1, True),
        (0, 0, False),
    ]
    assert query("SELECT rows_read, rows_loaded FROM imports") == [(1, 1)]
    assert query("SELECT CAST(extra AS VARCHAR) FROM roster_rows") == [
        ('{"备注":"first","备注 (column 7)":"second"}',)
    ]


def test_out_of_memory_names_the_step_and_the_setting_and_commits_nothing(
    tmp_path, db, cli, query, monkeypatch
):
    """Week 1 imports; week 2 under a DuckDB limit of 20 MB runs out of memory: one message
    naming the step and OOPWATCH_MEMORY_LIMIT, exit 1, no traceback, the store and its
    snapshot as they were (import 1 only)."""
    from pipeline.store import db as store_db
    from tests.conftest import REPO

    assert cli("ingest", REPO / "sample_data" / "week01", "--db", db, "--quiet").exit_code == 0
    snapshot = query("SELECT count(*), sum(rows_read) FROM imports")
    monkeypatch.setattr(store_db, "MEMORY_LIMIT", "20MB")
    result = cli("ingest", REPO / "sample_data" / "week02", REPO / "sample_data" / "week03",
                 "--db", db, "--quiet")  # fmt: skip
    assert result.exit_code == 1
    assert re.fullmatch(
        r"导入失败：内存不足（步骤：[^；]+；DuckDB 内存上限 20MB）。请用环境变量 "
        r"OOPWATCH_MEMORY_LIMIT 提高上限后重新导入，例如 OOPWATCH_MEMORY_LIMIT=8GB"
        r"（不超过本机内存），"
        r"或在内存更大的机器上导入。本次导入的内容均未写入。（Out of Memory Error: [^\n]+）\n",
        result.output,
    ), result.output
    assert "opening the store" not in result.output  # it got into the import's own steps
    monkeypatch.setattr(store_db, "MEMORY_LIMIT", "1400MB")
    assert query("SELECT count(*), sum(rows_read) FROM imports") == snapshot
    assert query("SELECT count(*) FROM import_batches") == [(1,)]


def test_out_of_memory_in_any_command_is_one_message(tmp_path, db, cli, monkeypatch):
    """Every command, not only the import, ends an out-of-memory error with one message naming
    the command and OOPWATCH_MEMORY_LIMIT, exit 1, no traceback (here the rule run of
    ``oopwatch flag``; the handler is the command group's, around every command)."""
    from pipeline.store import db as store_db
    from tests.conftest import REPO

    assert cli("ingest", REPO / "sample_data" / "week01", "--db", db, "--quiet").exit_code == 0
    monkeypatch.setattr(store_db, "MEMORY_LIMIT", "12MB")
    monkeypatch.setenv("OOPWATCH_LANG", "en")
    command = ["flag"]
    result = cli(*command, "--db", db)
    assert result.exit_code == 1, result.output
    assert re.fullmatch(
        rf"oopwatch {command[0]} stopped: out of memory \(DuckDB memory limit 12MB\)\. Raise "
        r"the limit with the environment variable OOPWATCH_MEMORY_LIMIT, e\.g\. "
        r"OOPWATCH_MEMORY_LIMIT=8GB \(at most this machine's memory\), and run it again\. "
        r"\(Out of Memory Error: [^\n]+\)\n",
        result.output,
    ), result.output
