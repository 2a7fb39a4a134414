"""The alternative to oopwatch, the fast way: person-year out-of-pocket cost with a polars script.

The same job and the same rules as ``pandas_oop.py`` beside it (read its docstring): read each
claims file, drop the rows a bureau's rules reject, let a correction (a claim_id sent again)
replace the earlier row, drop reversals and the claims they cancel, sum per person and year in
integer cents, flag the person-years over the 10,000-yuan line. Written the way a polars user
would: lazy scans, expressions, every core busy. Only polars and the rules beside it
(claim_rules.py, which the pandas script shares); it does not import oopwatch.

The files are the weekly extracts as they come: UTF-8, UTF-8 with BOM or GB18030, English or
Chinese headers and visit-type labels, dates as YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD. polars reads
UTF-8 only: a file that is not UTF-8 is decoded from GB18030 in memory first (as a user would).

Writes one row per person and year with claims (person_id, year, oop_cents, claims, over_line)
to ``--out`` (Parquet) and prints how many person-years and how many are over the line.

Usage: uv run python benchmarks/polars_oop.py FOLDER_OR_FILE... --out result.parquet
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import polars as pl
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

COLUMNS = list(ZH.values())


def scan(path: Path, file_no: int) -> pl.LazyFrame:
    """One claims file, every column as text, Chinese headers renamed, line order kept."""
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
        source: Path | io.BytesIO = path
    except UnicodeDecodeError:
        source = io.BytesIO(raw.decode("gb18030").encode("utf-8"))
    frame = pl.scan_csv(source, infer_schema=False, encoding="utf8-lossy", row_index_name="line")
    names = frame.collect_schema().names()
    renamed = {n: ZH.get(n.lstrip("\ufeff"), n.lstrip("\ufeff")) for n in names}
    frame = frame.rename(renamed)
    missing = [c for c in COLUMNS if c not in renamed.values()]
    frame = frame.with_columns([pl.lit(None, pl.String).alias(c) for c in missing])
    return frame.select(
        *COLUMNS,  # (an empty field is null, as pandas's na_values=[""] makes it)
        pl.col("line"),
        pl.lit(file_no).alias("file_no"),
    )


def valid_id() -> pl.Expr:
    """GB 11643: 17 digits and a check character (digit or X) that the digits give (the
    digits' weighted sum taken from the 17-digit number, not from 17 string slices)."""
    pid = pl.col("person_id")
    number = pid.str.slice(0, 17).cast(pl.Int64, strict=False)
    total = pl.sum_horizontal((number // 10 ** (16 - i)) % 10 * w for i, w in enumerate(ID_WEIGHTS))
    expected = pl.lit(ID_CHECK).str.slice(total % 11, 1)
    return pid.str.contains(r"^[0-9]{17}[0-9X]$") & (pid.str.slice(17, 1) == expected)


def settle_day() -> pl.Expr:
    """The date in any of the three formats; null when it is not a date."""
    text = pl.col("settle_date")
    return pl.coalesce(
        text.str.to_date("%Y-%m-%d", strict=False),
        text.str.to_date("%Y/%m/%d", strict=False),
        text.str.to_date("%Y%m%d", strict=False),
    )


def clean(frame: pl.LazyFrame) -> pl.LazyFrame:
    """The loadable rows: claim_id, person_id, year, oop in cents, reverses, order. Money as
    pandas_oop.py takes it: the number x 100, rounded to whole cents; more than 2 decimals (or
    not a number) is a bad amount."""
    scaled = {c: pl.col(c).cast(pl.Float64, strict=False) * 100 for c in MONEY}
    frame = frame.with_columns(
        pl.col("person_id").str.to_uppercase(),
        settle_day().dt.year().alias("year"),
        *[x.round().cast(pl.Int64).fill_null(0).alias(f"{c}_cents") for c, x in scaled.items()],
        *[
            (pl.col(c).is_not_null() & ((x - x.round()).abs() > 1e-4).fill_null(True)).alias(
                f"{c}_bad"
            )
            for c, x in scaled.items()
        ],
    )
    reversal = pl.col("reverses").is_not_null()
    cents = {c: pl.when(pl.col(f"{c}_bad")).then(0).otherwise(pl.col(f"{c}_cents")) for c in MONEY}
    paid = cents["basic_paid"] + cents["critical_paid"] + cents["assistance_paid"]
    paid = paid + cents["other_paid"]
    year = pl.col("year")
    bad = pl.any_horizontal(pl.col(c).is_null() for c in REQUIRED)
    bad = bad | ~valid_id().fill_null(False)
    bad = bad | year.is_null() | ~year.is_between(1900, 2100).fill_null(False)
    bad = bad | ~pl.col("visit_type").str.to_lowercase().is_in(VISIT_TYPES).fill_null(False)
    for c in MONEY:
        bad = bad | pl.col(f"{c}_bad") | ((cents[c] < 0) & ~reversal)
    bad = bad | (pl.col("reverses") == pl.col("claim_id")).fill_null(False)
    bad = bad | (~reversal & (paid > cents["total_cost"] + 1))
    in_scope = pl.col("in_scope_cost").is_not_null() & (
        cents["in_scope_cost"] > cents["total_cost"]
    )
    bad = bad | (~reversal & in_scope)
    return frame.filter(~bad.fill_null(True)).select(
        "claim_id",
        "person_id",
        year.cast(pl.Int32),
        (cents["total_cost"] - paid).alias("oop_cents"),
        "reverses",
        "file_no",
        "line",
    )


def person_year_oop(files: list[Path]) -> pl.DataFrame:
    """OOP per person and year over the files, corrections and reversals applied."""
    rows = pl.concat([clean(scan(f, i)) for i, f in enumerate(files)])
    # A claim_id sent again replaces the earlier row: the last one (file, then line) wins.
    rows = rows.sort("file_no", "line").unique("claim_id", keep="last", maintain_order=False)
    # A reversal row counts for nothing and cancels the claim it names.
    reversed_ids = rows.filter(pl.col("reverses").is_not_null()).select(
        pl.col("reverses").alias("claim_id")
    )
    effective = rows.filter(pl.col("reverses").is_null()).join(
        reversed_ids.unique(), on="claim_id", how="anti"
    )
    return (
        effective.group_by("person_id", "year")
        .agg(pl.col("oop_cents").sum(), pl.len().cast(pl.Int64).alias("claims"))
        .with_columns((pl.col("oop_cents") > LINE_CENTS).alias("over_line"))
        .collect()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="week folders or claims files")
    parser.add_argument("--out", type=Path, required=True, help="Parquet file to write")
    args = parser.parse_args()
    started = time.perf_counter()
    files = claim_files(args.paths)
    totals = person_year_oop(files)
    totals.write_parquet(args.out)
    over = totals.filter(pl.col("over_line"))
    print(
        f"files {len(files)}, person-years {totals.height:,}, over 10,000 yuan {over.height:,} "
        f"({over['person_id'].n_unique():,} people)"
    )
    print(f"elapsed {time.perf_counter() - started:.2f} s (after imports)")


if __name__ == "__main__":
    main()
