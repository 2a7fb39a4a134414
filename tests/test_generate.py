"""Tests of the synthetic extract generator (``oopwatch generate``) on real files."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.schema import CODES, COLUMNS, header_map, id_check_digit
from pipeline.tools.generate import generate, load_divisions

AS_OF = dt.date(2026, 3, 10)
WEEKS = 6
MONEY = re.compile(r"^-?\d+\.\d\d$")
NUMBER = re.compile(r"^-?\d+(\.\d{1,2})?$")
AMOUNTS = (
    "total_cost",
    "basic_paid",
    "critical_paid",
    "assistance_paid",
    "other_paid",
    "in_scope_cost",
)
PAYMENTS = ("basic_paid", "critical_paid", "assistance_paid", "other_paid")
CODED = {"category": "category", "visit_type": "visit_type", "scheme": "scheme", "status": "status"}


# ---------------------------------------------------------------------------------------------
# Reading and validating extracts the way the contract describes them
# ---------------------------------------------------------------------------------------------


def decode(path: Path) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was written in."""
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("gb18030"), "gb18030"


@functools.cache
def read(path: Path) -> list[dict[str, str]]:
    """Rows of an extract with canonical column names and English codes (read once; do not
    modify the rows)."""
    text, _ = decode(path)
    kind = path.stem
    names = header_map(kind)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [names[h.strip()] for h in next(reader)]
    to_code = {
        column: {zh: code for code, (zh, _) in CODES[domain].items()}
        for column, domain in CODED.items()
    }
    rows = []
    for values in reader:
        row = dict(zip(header, values, strict=True))
        for column, mapping in to_code.items():
            if column in row:
                row[column] = mapping.get(row[column], row[column])
        rows.append(row)
    return rows


def id_ok(value: str) -> bool:
    """An 18-character resident ID with a valid GB 11643 check character."""
    return (
        len(value) == 18
        and value[:17].isdigit()
        and id_check_digit(value[:17]) == value[17].upper()
    )


DATE = re.compile(r"(\d{4})([-/]?)(\d\d)\2(\d\d)")


def date_ok(value: str) -> bool:
    """A real date in one of the contract's formats (YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD)."""
    m = DATE.fullmatch(value)
    if m is None:
        return False
    try:
        dt.date(int(m[1]), int(m[3]), int(m[4]))
    except ValueError:
        return False
    return True


def parse_date(value: str) -> dt.date:
    """A date in one of the contract's formats."""
    digits = value.replace("-", "").replace("/", "")
    return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))


def cents(value: str) -> int:
    """Yuan string with up to 2 decimals as integer cents."""
    return round(float(value) * 100)


def valid(kind: str, row: dict[str, str]) -> bool:
    """Whether a row passes the contract's checks (the generator's dirty rows must not)."""
    if not id_ok(row["person_id"]):
        return False
    if kind == "roster":
        return (
            bool(row["name"])
            and bool(row["household_id"])
            and len(row["village_code"]) == 12
            and row["village_code"].isdigit()
            and row["category"] in CODES["category"]
        )
    if kind == "enrolment":
        return (
            row["year"].isdigit()
            and row["scheme"] in CODES["scheme"]
            and row["status"] in CODES["status"]
            and (row["subsidy"] == "" or NUMBER.match(row["subsidy"]) is not None)
        )
    if not (row["claim_id"] and date_ok(row["settle_date"])):
        return False
    if row["visit_type"] not in CODES["visit_type"]:
        return False
    if not all(NUMBER.match(row[a]) for a in AMOUNTS if row[a] or a == "total_cost"):
        return False
    if row["reverses"]:
        return True
    amounts = {a: cents(row[a]) if row[a] else 0 for a in AMOUNTS}
    if min(amounts.values()) < 0:
        return False
    return (
        sum(amounts[p] for p in PAYMENTS) <= amounts["total_cost"] + 1
        and amounts["in_scope_cost"] <= amounts["total_cost"]
    )


@functools.cache
def flags(path: Path) -> tuple[bool, ...]:
    """Whether each row of an extract file is valid (computed once per file)."""
    return tuple(valid(path.stem, row) for row in read(path))


def clean(path: Path) -> list[dict[str, str]]:
    """The valid rows of an extract file."""
    return [row for row, ok in zip(read(path), flags(path), strict=True) if ok]


def week_dirs(out: Path) -> list[Path]:
    """The week folders of a weekly run, in order."""
    return sorted(p for p in out.iterdir() if p.is_dir() and p.name.startswith("week"))


def extracts(out: Path, kind: str) -> Iterator[tuple[int, dict[str, str], bool]]:
    """(week number, row, valid) for every row of one kind across the week folders."""
    for k, folder in enumerate(week_dirs(out), start=1):
        path = folder / f"{kind}.csv"
        if path.exists():
            for row, ok in zip(read(path), flags(path), strict=True):
                yield k, row, ok


def all_files(out: Path) -> dict[str, bytes]:
    """Relative path -> content of every CSV written."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.csv"))}


# ---------------------------------------------------------------------------------------------
# Runs (module scoped: each generated once)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def weekly(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """A 4,000-people run with 6 week folders."""
    out = tmp_path_factory.mktemp("weekly")
    return out, generate(out, people=4000, seed=11, weeks=WEEKS, as_of=AS_OF)


@pytest.fixture(scope="module")
def flat(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """A 20,000-people run in one folder."""
    out = tmp_path_factory.mktemp("flat")
    return out, generate(out, people=20_000, seed=5, weeks=0, as_of=dt.date(2026, 11, 20))


def test_same_arguments_give_identical_files(weekly, tmp_path: Path) -> None:
    out, summary = weekly
    again = generate(tmp_path, people=4000, seed=11, weeks=WEEKS, as_of=AS_OF)
    first, second = all_files(out), all_files(tmp_path)
    assert first.keys() == second.keys()
    assert all(first[name] == second[name] for name in first)
    assert {k: v for k, v in again.items() if k not in ("out", "seconds")} == {
        k: v for k, v in summary.items() if k not in ("out", "seconds")
    }


def test_different_seed_gives_different_files(weekly, tmp_path: Path) -> None:
    out, _ = weekly
    generate(tmp_path, people=4000, seed=12, weeks=WEEKS, as_of=AS_OF)
    first, second = all_files(out), all_files(tmp_path)
    assert first["week01/roster.csv"] != second["week01/roster.csv"]
    assert first["week01/claims.csv"] != second["week01/claims.csv"]


def test_one_province_with_its_own_claim_ids(tmp_path: Path, cli) -> None:
    """``--province 53``: every village in Yunnan, claim ids C53…, unique across provinces (a
    province's extracts for the national warehouse); an unknown province is refused."""
    out = tmp_path / "yn"
    done = cli("generate", "--out", out, "--people", "1200", "--weeks", "2", "--province", "53",
               "--as-of", "2026-11-20")  # fmt: skip
    assert done.exit_code == 0, done.output
    villages = {row["village_code"][:2] for _, row, ok in extracts(out, "roster") if ok}
    assert villages == {"53"}
    ids = [row["claim_id"] for _, row, ok in extracts(out, "claims") if ok]
    assert len(ids) > 1000 and all(i.startswith("C53") and len(i) == 13 for i in ids)
    named = [row["reverses"] for _, row, ok in extracts(out, "claims") if ok and row["reverses"]]
    assert named and all(r.startswith("C53") for r in named)
    bad = cli("generate", "--out", tmp_path / "no", "--people", "100", "--province", "99")
    assert bad.exit_code == 2
    assert "province 99: the division list has 0 rural counties" in bad.output
    assert cli("generate", "--out", tmp_path / "no", "--people", "100",
               "--province", "5").exit_code == 2  # fmt: skip


def test_week_folder_layout(weekly) -> None:
    out, summary = weekly
    names = [p.name for p in week_dirs(out)]
    assert names == [f"week{k:02d}" for k in range(1, WEEKS + 1)]
    for folder in week_dirs(out):
        assert (folder / "claims.csv").exists()
    assert (out / "week01" / "roster.csv").exists()
    assert (out / "week01" / "enrolment.csv").exists()
    assert len(list(out.glob("week*/*.csv"))) == summary["files"]
    assert (out / "assistance_manifest.csv").exists()  # beside the weeks, never imported
    # Week 1 holds everything up to as_of - 7 (W - 1), later weeks 7 days each; corrections
    # keep the settle date of the claim they replace.
    end1 = AS_OF - dt.timedelta(days=7 * (WEEKS - 1))
    seen: set[str] = set()
    for k, row, ok in extracts(out, "claims"):
        earlier = row["claim_id"] in seen
        seen.add(row["claim_id"])
        if earlier or row["reverses"] or not ok:
            continue
        day = parse_date(row["settle_date"])
        if k == 1:
            assert dt.date(AS_OF.year - 1, 1, 1) <= day <= end1
        else:
            assert end1 + dt.timedelta(days=7 * (k - 2)) < day <= end1 + dt.timedelta(7 * (k - 1))


def test_gb18030_weeks_have_chinese_headers_and_labels(weekly) -> None:
    out, _ = weekly
    encodings = {}
    for folder in week_dirs(out):
        text, encodings[folder.name] = decode(folder / "claims.csv")
        header = text.splitlines()[0].split(",")
        zh = encodings[folder.name] == "gb18030"
        assert header == [c.zh if zh else c.name for c in COLUMNS["claims"]]
    assert encodings["week03"] == encodings["week06"] == "gb18030"
    assert encodings["week02"] == "utf-8-sig"
    assert encodings["week01"] == encodings["week04"] == "utf-8"
    raw = (out / "week03" / "claims.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gb18030")
    assert "普通门诊" in text and "\r\n" in text and "outpatient" not in text
    dates = [r["settle_date"] for r in read(out / "week03" / "claims.csv")]
    assert sum(bool(re.fullmatch(r"\d{4}/\d\d/\d\d", d)) for d in dates) > 0.95 * len(dates)
    dates = [r["settle_date"] for r in read(out / "week06" / "claims.csv")]
    assert sum(bool(re.fullmatch(r"\d{8}", d)) for d in dates) > 0.95 * len(dates)


@pytest.mark.parametrize("kind", ["roster", "enrolment", "claims"])
def test_dirty_rows_are_exactly_the_invalid_ones(weekly, flat, kind: str) -> None:
    for out, summary in (weekly, flat):
        if summary["weeks"]:
            oks = [ok for _, _, ok in extracts(out, kind)]
        else:
            oks = list(flags(out / f"{kind}.csv"))
        assert len(oks) == summary[f"{kind}_rows"]
        assert oks.count(False) == summary[f"dirty_{kind}"]
        assert 0 < oks.count(False) < 0.01 * len(oks)
    assert summary["dirty_rows"] == sum(summary[f"dirty_{k}"] for k in COLUMNS)


def test_roster_ids_unique_and_valid(flat) -> None:
    out, summary = flat
    rows = read(out / "roster.csv")
    assert len(rows) == summary["people"] == 20_000
    ids = [r["person_id"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert sum(not id_ok(i) for i in ids) <= summary["dirty_roster"]
    assert 0.07 < sum(i.endswith("X") for i in ids) / len(ids) < 0.11
    sizes: dict[str, int] = {}
    for r in rows:
        sizes[r["household_id"]] = sizes.get(r["household_id"], 0) + 1
    assert len(sizes) == summary["households"]
    assert max(sizes.values()) <= 6
    heads = sum(r["relation"] == "户主" for r in rows)
    assert abs(heads - summary["households"]) <= summary["dirty_roster"]


def test_divisions_real_and_some_unknown(flat) -> None:
    out, summary = flat
    towns = {code for level, code, _, _ in load_divisions() if int(level) == 4}
    codes = [r["village_code"] for r in clean(out / "roster.csv")]
    assert {c[:2] for c in codes} == {"23", "53", "14", "37"}
    unknown = [c for c in codes if c[:9] not in towns]
    assert summary["unknown_division_households"] >= 1
    assert 0 < len(unknown) < 0.005 * len(codes)


def test_claim_amounts(flat) -> None:
    out, summary = flat
    rows = read(out / "claims.csv")
    good = clean(out / "claims.csv")
    for r in good:
        assert all(MONEY.match(r[a]) for a in AMOUNTS)
        if not r["reverses"]:
            total = cents(r["total_cost"])
            assert sum(cents(r[p]) for p in PAYMENTS) <= total
            assert min(cents(r[a]) for a in AMOUNTS) >= 0
    assert 8 <= len(rows) / summary["people"] <= 12
    visits = {v: sum(r["visit_type"] == v for r in good) for v in CODES["visit_type"]}
    assert visits["inpatient"] < visits["chronic"] < visits["outpatient"]
    lower = {r["person_id"] for r in good if r["person_id"].endswith("x")}
    roster = {r["person_id"] for r in read(out / "roster.csv")}
    assert lower
    assert sum(p.upper() not in roster for p in lower) <= summary["dirty_roster"]


def test_oop_share_matches_summary(flat) -> None:
    out, summary = flat
    rows = clean(out / "claims.csv")
    reversed_ids = {r["reverses"] for r in rows if r["reverses"]}
    assert reversed_ids and reversed_ids <= {r["claim_id"] for r in rows}
    oop: dict[tuple[str, int], int] = {}
    for r in rows:
        if r["reverses"] or r["claim_id"] in reversed_ids:
            continue
        key = (r["person_id"].upper(), parse_date(r["settle_date"]).year)
        paid = sum(cents(r[p]) for p in PAYMENTS)
        oop[key] = oop.get(key, 0) + cents(r["total_cost"]) - paid
    for year in (2025, 2026):
        over = sum(v > 1_000_000 for (_, y), v in oop.items() if y == year)
        assert over == summary[f"oop_over_10k_{year}"]
        assert 0.005 <= over / summary["people"] <= 0.05


def test_enrolment_gaps(flat) -> None:
    out, summary = flat
    active = {
        r["person_id"]
        for r in clean(out / "enrolment.csv")
        if r["year"] == "2026" and r["status"] == "active"
    }
    roster = [r["person_id"] for r in read(out / "roster.csv")]
    gaps = sum(p not in active for p in roster)
    expected = summary["people_without_active_enrolment"]
    assert 0.003 * len(roster) < expected < 0.008 * len(roster)
    # Dirty roster or enrolment rows can only add people without a readable active row.
    assert expected <= gaps <= expected + summary["dirty_roster"] + summary["dirty_enrolment"]


def test_corrections_reuse_earlier_claim_ids(weekly) -> None:
    out, summary = weekly
    seen: dict[str, tuple[int, dict[str, str]]] = {}
    corrections = 0
    for k, row, _ in extracts(out, "claims"):
        if not row["claim_id"]:
            continue
        if row["claim_id"] in seen:
            week, earlier = seen[row["claim_id"]]
            assert 1 <= week < k
            assert row["person_id"].upper() == earlier["person_id"].upper()
            assert parse_date(row["settle_date"]) == parse_date(earlier["settle_date"])
            assert row["total_cost"] != earlier["total_cost"]
            corrections += 1
        seen[row["claim_id"]] = (k, row)
    assert corrections == summary["corrections"] > 0


def test_reversals_point_at_earlier_claims_with_negated_amounts(weekly) -> None:
    out, summary = weekly
    seen: dict[str, tuple[int, dict[str, str]]] = {}
    reversals = 0
    for k, row, _ in extracts(out, "claims"):
        if row["reverses"]:
            week, target = seen[row["reverses"]]
            assert week < k
            assert all(cents(row[a]) == -cents(target[a]) for a in AMOUNTS)
            assert row["claim_id"] not in seen
            reversals += 1
        if row["claim_id"]:
            seen[row["claim_id"]] = (k, row)
    assert reversals == summary["reversals"] > 0


def test_roster_updates_new_people_and_category_changes(weekly) -> None:
    out, summary = weekly
    named: dict[str, int] = {}
    categories: dict[tuple[str, str], set[str]] = {}
    for kind in ("roster", "enrolment"):
        for k, row, ok in extracts(out, kind):
            if ok:
                named[row["person_id"]] = min(named.get(row["person_id"], k), k)
            if ok and kind == "roster":
                key = (row["household_id"], row["person_id"])
                categories.setdefault(key, set()).add(row["category"])
    assert sum(k > 1 for k in named.values()) > 0
    changed = {household for (household, _), cats in categories.items() if len(cats) > 1}
    assert 0 < len(changed) <= summary["category_changes"]
    # Claims of people that no earlier or same-week roster or enrolment named.
    early = sum(
        1
        for k, row, ok in extracts(out, "claims")
        if ok and named.get(row["person_id"].upper(), 0) > k
    )
    assert 0 < early <= summary["unmatched_claim_rows"]
