"""The alternative to oopwatch: person-year out-of-pocket cost with a plain pandas script.

What an analyst would write to get the same answer from the same claims files: ``read_csv`` each
file, drop the rows a bureau's rules reject, let a correction (a claim_id sent again) replace the
earlier row, drop reversals and the claims they cancel, ``groupby`` person and year, filter the
people over the 10,000-yuan line. Only pandas, numpy and the rules beside it (claim_rules.py,
which the polars script shares); it does not import oopwatch.

The files are the weekly extracts as they come: UTF-8, UTF-8 with BOM or GB18030 (tried in that
order), English or Chinese headers and visit-type labels, dates as YYYY-MM-DD, YYYY/MM/DD or
YYYYMMDD. Money is checked and summed in integer cents, so totals are exact.

A row is dropped when (as the bureau's rules say): claim_id, person_id, settle_date, visit_type,
total_cost or a fund's payment is empty; the resident ID is not 18 characters, not 17 digits and
a digit or X, or its check character is wrong (GB 11643); the date is not a date; the visit type
is unknown; an amount is not a number with at most 2 decimals, or is negative (except on a
reversal row); a row reverses itself; the payments exceed the total by more than 0.01; the
in-scope cost exceeds the total.

Writes one row per person and year with claims (person_id, year, oop_cents, claims, over_line)
to ``--out`` (Parquet) and prints how many person-years and how many are over the line.

Usage: uv run python benchmarks/pandas_oop.py FOLDER_OR_FILE... --out result.parquet
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from claim_rules import (  # beside this script: the rules both comparison scripts apply
    ID_CHECK,
    ID_WEIGHTS,
    LINE_CENTS,
    MONEY,
    REQUIRED,
    VISIT_TYPES,
    ZH,
    claim_files,
)

WANTED = set(ZH) | set(ZH.values())
ID_WEIGHT_ARRAY = np.array(ID_WEIGHTS)
ID_CHECK_ARRAY = np.array(list(ID_CHECK))


def read(path: Path) -> pd.DataFrame:
    """One claims file, every column as text, Chinese headers renamed."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            df = pd.read_csv(
                path,
                dtype=str,
                encoding=encoding,
                usecols=lambda c: c in WANTED,
                keep_default_na=False,
                na_values=[""],
            )
            break
        except UnicodeDecodeError:
            continue
    df = df.rename(columns=ZH)
    for col in ("other_paid", "in_scope_cost", "reverses"):
        if col not in df:
            df[col] = pd.Series(pd.NA, index=df.index, dtype="str")
    return df


def cents(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Yuan text as integer cents (0 where blank or bad) and whether the text is a bad amount."""
    yuan = pd.to_numeric(text, errors="coerce")
    scaled = yuan * 100
    rounded = scaled.round()
    bad = text.notna() & (~np.isfinite(yuan) | ((scaled - rounded).abs() > 1e-4))
    return rounded.fillna(0).where(~bad, 0).astype("int64"), bad


def valid_ids(pid: pd.Series) -> pd.Series:
    """GB 11643: 17 digits and a check character (digit or X) that the digits give."""
    ok = pid.notna() & pid.str.fullmatch(r"[0-9]{17}[0-9X]").fillna(False).astype(bool)
    good = pid[ok]
    digits = np.frombuffer(good.str.slice(0, 17).str.cat().encode("ascii"), np.uint8)
    digits = digits.reshape(-1, 17).astype(np.int64) - ord("0")
    expected = ID_CHECK_ARRAY[(digits @ ID_WEIGHT_ARRAY) % 11]
    ok.loc[good.index] = expected == good.str.slice(17, 18).to_numpy()
    return ok


def year_of(dates: pd.Series) -> pd.Series:
    """Year of a date in any of the three formats; NA when it is not a date."""
    day = pd.to_datetime(dates, format="%Y-%m-%d", errors="coerce")
    for fmt in ("%Y/%m/%d", "%Y%m%d"):
        missing = day.isna() & dates.notna()
        if missing.any():
            day[missing] = pd.to_datetime(dates[missing], format=fmt, errors="coerce")
    return day.dt.year


def clean(df: pd.DataFrame, file_no: int) -> pd.DataFrame:
    """The file's loadable rows: claim_id, person_id, year, oop in cents, reverses, order."""
    df["person_id"] = df["person_id"].str.upper()
    reversal = df["reverses"].notna()
    bad = df[REQUIRED].isna().any(axis=1)
    bad |= ~valid_ids(df["person_id"])
    year = year_of(df["settle_date"])
    bad |= year.isna() | ~year.between(1900, 2100)
    bad |= ~df["visit_type"].str.lower().isin(set(VISIT_TYPES))
    amount = {}
    for col in MONEY:
        amount[col], wrong = cents(df[col])
        bad |= wrong | ((amount[col] < 0) & ~reversal)
    bad |= df["reverses"] == df["claim_id"]
    paid = amount["basic_paid"] + amount["critical_paid"] + amount["assistance_paid"]
    paid += amount["other_paid"]
    bad |= ~reversal & (paid > amount["total_cost"] + 1)
    in_scope = df["in_scope_cost"].notna() & (amount["in_scope_cost"] > amount["total_cost"])
    bad |= ~reversal & in_scope
    out = pd.DataFrame(
        {
            "claim_id": df["claim_id"],
            "person_id": df["person_id"],
            "year": year,
            "oop_cents": amount["total_cost"] - paid,
            "reverses": df["reverses"],
            "file_no": file_no,
        }
    )
    return out[~bad.fillna(True)]


def person_year_oop(files: list[Path]) -> pd.DataFrame:
    """OOP per person and year over the files, corrections and reversals applied."""
    rows = pd.concat([clean(read(f), i) for i, f in enumerate(files)], ignore_index=True)
    # A claim_id sent again replaces the earlier row: the last one (file, then line order) wins.
    rows = rows.drop_duplicates("claim_id", keep="last")
    # A reversal row counts for nothing and cancels the claim it names.
    reversed_ids = rows["reverses"].dropna().unique()
    effective = rows[rows["reverses"].isna() & ~rows["claim_id"].isin(reversed_ids)]
    totals = (
        effective.groupby(["person_id", "year"])
        .agg(oop_cents=("oop_cents", "sum"), claims=("oop_cents", "size"))
        .reset_index()
    )
    totals["year"] = totals["year"].astype("int32")
    totals["over_line"] = totals["oop_cents"] > LINE_CENTS
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="week folders or claims files")
    parser.add_argument("--out", type=Path, required=True, help="Parquet file to write")
    args = parser.parse_args()
    started = time.perf_counter()
    files = claim_files(args.paths)
    totals = person_year_oop(files)
    totals.to_parquet(args.out, index=False)
    over = totals[totals["over_line"]]
    print(
        f"files {len(files)}, person-years {len(totals):,}, over 10,000 yuan {len(over):,} "
        f"({over['person_id'].nunique():,} people)"
    )
    print(f"elapsed {time.perf_counter() - started:.2f} s (after imports)")


if __name__ == "__main__":
    main()
