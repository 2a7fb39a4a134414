"""Whole-pipeline checks on generated data: an independent pandas computation, and sample_data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline import flow
from pipeline.tools.generate import generate

AMOUNTS = ["total_cost", "basic_paid", "critical_paid", "assistance_paid", "other_paid"]


WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
VISITS = {"inpatient", "outpatient", "chronic", "pharmacy"}


def _cents(values: pd.Series) -> pd.Series:
    """Yuan text → integer cents; NaN where it is not an amount with at most two decimals."""
    ok = values.str.fullmatch(r"-?\d+(\.\d{1,2})?").fillna(False).astype(bool)
    parts = values.where(ok).str.split(".", expand=True).reindex(columns=[0, 1])
    whole = pd.to_numeric(parts[0])
    frac = pd.to_numeric(parts[1].fillna("0").str.ljust(2, "0"))
    sign = np.where(values.where(ok).str.startswith("-").fillna(False).astype(bool), -1, 1)
    return whole * 100 + sign * frac


def _valid_ids(ids: pd.Series) -> pd.Series:
    """GB 11643 in numpy: 17 digits weighted, sum mod 11 indexes '10X98765432'."""
    upper = ids.str.upper()
    shaped = upper.str.fullmatch(r"\d{17}[\dX]").fillna(False).astype(bool)
    digits = np.array([[int(c) for c in s[:17]] for s in upper[shaped]], dtype=int)
    checks = np.array(list("10X98765432"))[(digits @ WEIGHTS) % 11] if len(digits) else []
    valid = pd.Series(False, index=ids.index)
    valid[shaped] = checks == upper[shaped].str[17].to_numpy()
    return valid


def _pandas_person_year(claims: pd.DataFrame, known: set[str]) -> tuple[pd.DataFrame, int]:
    """The analyst's way: validate, drop reversed claims, group by person and year."""
    c = claims.copy()
    required = ["claim_id", "person_id", "settle_date", "visit_type", *AMOUNTS[:4]]
    ok = c[required].notna().all(axis=1) & _valid_ids(c["person_id"].fillna(""))
    dates = pd.to_datetime(c["settle_date"], format="%Y-%m-%d", errors="coerce")
    ok &= dates.notna() & c["visit_type"].isin(VISITS)
    c["other_paid"] = c["other_paid"].fillna("0")
    for col in [*AMOUNTS, "in_scope_cost"]:
        given = c[col].notna()
        c[col] = _cents(c[col].fillna("0"))
        ok &= ~(given & c[col].isna())
    reversal = c["reverses"].notna()
    normal = ~reversal
    ok &= ~(normal & (c[[*AMOUNTS, "in_scope_cost"]] < 0).any(axis=1))
    paid = c["basic_paid"] + c["critical_paid"] + c["assistance_paid"] + c["other_paid"]
    ok &= ~(normal & (paid > c["total_cost"] + 1))
    ok &= ~(normal & (c["in_scope_cost"] > c["total_cost"]))
    rejected = int((~ok).sum())
    c = c[ok].drop_duplicates("claim_id", keep="last")
    cancelled = set(c.loc[c["reverses"].notna(), "reverses"])
    c = c[c["reverses"].isna() & ~c["claim_id"].isin(cancelled)].copy()
    c["person_id"] = c["person_id"].str.upper()
    c = c[c["person_id"].isin(known)]
    c["year"] = c["settle_date"].str[:4].astype(int)
    c["oop"] = c["total_cost"] - paid.loc[c.index]
    out = c.groupby(["person_id", "year"])[[*AMOUNTS, "oop"]].sum().astype("int64")
    return out.sort_index(), rejected


def test_generated_100k_claims_agree_with_pandas_to_the_cent(tmp_path: Path, db: Path, query):
    out = tmp_path / "gen"
    summary = generate(out, people=10_500, seed=7, weeks=0, as_of=dt.date(2026, 11, 20))
    read = {k: pd.read_csv(out / f"{k}.csv", dtype=str) for k in ("roster", "enrolment", "claims")}
    assert len(read["claims"]) >= 100_000

    report = flow.ingest([out], db)
    by_kind = {f.kind: f for f in report.files}
    assert by_kind["claims"].rows_read == len(read["claims"])
    assert by_kind["claims"].rows_rejected == summary["dirty_claims"]

    known = set()
    for kind in ("roster", "enrolment"):
        ids = read[kind]["person_id"].fillna("")
        known |= set(ids[_valid_ids(ids)].str.upper())
    expected, rejected = _pandas_person_year(read["claims"], known)
    assert rejected == summary["dirty_claims"]
    rows = query(
        "SELECT person_id, year, total_cost, basic_paid, critical_paid, assistance_paid, "
        "other_paid, oop FROM person_year WHERE claims > 0 ORDER BY person_id, year"
    )
    got = pd.DataFrame(rows, columns=["person_id", "year", *AMOUNTS, "oop"])
    for col in [*AMOUNTS, "oop"]:
        got[col] = [int(v * 100) for v in got[col]]
    got = got.set_index(["person_id", "year"]).sort_index().astype("int64")
    pd.testing.assert_frame_equal(got, expected)
    over = expected[expected["oop"] > 1_000_000].groupby(level="year").size().to_dict()
    flagged = dict(query("SELECT year, count(*) FROM person_year WHERE oop > 10000 GROUP BY year"))
    assert (
        flagged == over == {2025: summary["oop_over_10k_2025"], 2026: summary["oop_over_10k_2026"]}
    )


def test_sample_data_weeks_import_with_every_dirty_row_rejected(sample_data: Path, db: Path, query):
    weeks = sorted(sample_data.glob("week*"))
    assert [w.name for w in weeks] == ["week01", "week02", "week03"]
    reports = [flow.ingest([week], db) for week in weeks]
    assert [r.import_id for r in reports] == [1, 2, 3]
    for report in reports:
        for f in report.files:
            assert f.rows_read == f.rows_loaded + f.rows_rejected
    rejected = dict(query("SELECT kind, count(*) FROM rejected_rows GROUP BY kind"))
    assert rejected == {"roster": 10, "enrolment": 11, "claims": 83}
    week3 = {Path(f.file).name: f for f in reports[2].files}
    assert week3["claims.csv"].encoding == "gb18030"
    assert query("SELECT year, count(*) FROM person_year WHERE oop > 10000 GROUP BY year "
                 "ORDER BY year") == [(2025, 62), (2026, 70)]  # fmt: skip
    assert query("SELECT count(*) FROM unmatched_claims") == [(0,)]
    total = query("SELECT sum(oop) FROM person_year")[0][0]
    assert isinstance(total, Decimal)


ROSTER_CATEGORIES = {"destitute", "dibao", "dibao_edge", "monitored", "out_of_poverty", "general"}
INCOME = {"14": {2023: Decimal("17677")}, "": {2023: Decimal("21691"), 2024: Decimal("23119")}}
SHARES = {c: Decimal("0.5") for c in ROSTER_CATEGORIES} | {"general": Decimal("1.0")}


def _known_people(roster: pd.DataFrame, enrolment: pd.DataFrame) -> pd.DataFrame:
    """person_id → category and village, as an analyst would read the roster and enrolment."""
    r = roster.copy()
    ok = _valid_ids(r["person_id"].fillna("")) & r[["name", "household_id"]].notna().all(axis=1)
    ok &= r["village_code"].fillna("").str.fullmatch(r"\d{12}")
    ok &= r["category"].isin(ROSTER_CATEGORIES)
    income = r["household_income"].fillna("0")
    ok &= income.str.fullmatch(r"\d+(\.\d{1,2})?").fillna(False).astype(bool)
    r = r[ok].assign(person_id=lambda d: d["person_id"].str.upper())
    r = r.drop_duplicates("person_id", keep="last").set_index("person_id")
    e = enrolment.copy()
    ok = _valid_ids(e["person_id"].fillna("")) & e["year"].fillna("").str.fullmatch(r"\d{4}")
    ok &= e["scheme"].isin({"residents", "employees"}) & e["status"].isin(
        {"active", "suspended", "ended"}
    )
    ok &= e["subsidy"].fillna("0").str.fullmatch(r"\d+(\.\d{1,2})?").fillna(False).astype(bool)
    ok &= e["village_code"].isna() | e["village_code"].fillna("").str.fullmatch(r"\d{12}")
    e = e[ok].assign(person_id=lambda d: d["person_id"].str.upper())
    e = e[~e["person_id"].isin(r.index)]
    only = e.groupby("person_id")["village_code"].agg(lambda s: s.dropna().iloc[-1]
                                                     if s.notna().any() else None)  # fmt: skip
    extra = pd.DataFrame({"village_code": only, "category": "general"})
    return pd.concat([r[["village_code", "category"]], extra])


def _income_threshold(village: str | None, category: str, year: int) -> Decimal | None:
    """The oop_income threshold as the shipped rules define it (None where the rule is off)."""
    code = village or ""
    if code.startswith("23") and not code.startswith("230224"):
        return None  # Heilongjiang: flat line only, except the county that switches it on
    province = code[:2]
    years = [y for y in INCOME.get(province, {}) if y < year]
    if province and years:
        yuan = INCOME[province][max(years)]
    else:
        yuan = INCOME[""][max(y for y in INCOME[""] if y < year)]
    return (SHARES[category] * yuan).quantize(Decimal("0.01"))


@pytest.mark.slow
def test_100k_people_oop_line_and_oop_income_sets_agree_with_pandas(
    tmp_path: Path, db: Path, query
):
    out = tmp_path / "gen"
    summary = generate(out, people=100_000, seed=11, weeks=0, as_of=dt.date(2026, 11, 20))
    read = {k: pd.read_csv(out / f"{k}.csv", dtype=str) for k in ("roster", "enrolment", "claims")}
    flow.ingest([out], db)

    known = _known_people(read["roster"], read["enrolment"])
    totals, rejected = _pandas_person_year(read["claims"], set(known.index))
    assert rejected == summary["dirty_claims"]
    totals = totals.join(known, on="person_id")
    line = {key for key, oop in totals["oop"].items() if oop > 1_000_000}
    income = set()
    for (person, year), row in totals.iterrows():
        threshold = _income_threshold(row["village_code"], row["category"], year)
        if threshold is not None and row["oop"] > int(threshold * 100):
            income.add((person, year))

    def flagged(rule: str) -> set[tuple[str, int]]:
        rows = query(
            "SELECT person_id, year FROM watchlist "
            "WHERE list_contains(string_split(rules, ';'), ?)",
            [rule],
        )
        return set(rows)

    assert flagged("oop_line") == line
    assert flagged("oop_income") == income
    assert len(line) > 1000 and len(income) > 1000
