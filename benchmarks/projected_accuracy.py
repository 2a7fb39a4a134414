"""How early and how well the `projected` rule predicts who ends a year over the line.

Generates a year of weekly extracts with known year-end totals, imports them week by week (each
import evaluates the rules with the data's date as "today"), then compares:

- of the people whose final OOP for the year is over the oop_line line, how many the projected
  rule flagged before oop_line itself did, and how many weeks earlier on average;
- how many people the projected rule flagged who never crossed the line by 31 December.

Usage: uv run python benchmarks/projected_accuracy.py [--people N] [--weeks W] [--seed S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import duckdb

from pipeline import flow
from pipeline.tools.generate import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--weeks", type=int, default=44)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    year = 2025
    with tempfile.TemporaryDirectory(prefix="oopwatch-projected-") as tmp:
        out, db = Path(tmp) / "gen", Path(tmp) / "store.duckdb"
        started = time.perf_counter()
        generate(out, people=args.people, seed=args.seed, weeks=args.weeks,
                 as_of=dt.date(year, 12, 31))  # fmt: skip
        for week in sorted(out.glob("week*")):
            flow.ingest([week], db)
        con = duckdb.connect(str(db), read_only=True)
        figures = con.execute(
            """
            WITH final AS (
                SELECT person_id, oop FROM person_year WHERE year = ?
            ),
            runs AS (SELECT run_id, as_of FROM rule_runs),
            first_fired AS (
                SELECT f.person_id, f.rule_id, min(r.as_of) AS first_day
                FROM flags AS f JOIN runs AS r USING (run_id)
                WHERE f.year = ? AND f.rule_id IN ('projected', 'oop_line')
                GROUP BY ALL
            ),
            crossers AS (
                SELECT fi.person_id,
                       max(ff.first_day) FILTER (WHERE ff.rule_id = 'oop_line') AS line_day,
                       max(ff.first_day) FILTER (WHERE ff.rule_id = 'projected') AS proj_day
                FROM final AS fi LEFT JOIN first_fired AS ff USING (person_id)
                WHERE fi.oop > 10000
                GROUP BY fi.person_id
            ),
            projected_people AS (
                SELECT DISTINCT person_id FROM first_fired WHERE rule_id = 'projected'
            )
            SELECT
                (SELECT count(*) FROM crossers) AS crossed,
                (SELECT count(*) FROM crossers WHERE proj_day < line_day) AS flagged_earlier,
                (SELECT avg(datediff('day', proj_day, line_day)) / 7 FROM crossers
                 WHERE proj_day < line_day) AS weeks_earlier,
                (SELECT count(*) FROM projected_people) AS projected_total,
                (SELECT count(*) FROM projected_people AS p JOIN final AS fi USING (person_id)
                 WHERE fi.oop <= 10000) AS never_crossed,
                (SELECT count(*) FROM runs) AS runs
            """,
            [year, year],
        ).fetchall()[0]
        crossed, earlier, weeks, total, never, runs = figures
        print(f"people {args.people:,}, weekly imports {runs}, year {year}, "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        print(f"ended {year} over the 10,000-yuan line: {crossed:,}")
        print(
            f"  flagged by `projected` before `oop_line` fired: {earlier:,} "
            f"({earlier / max(crossed, 1):.0%}), on average {weeks or 0:.1f} weeks earlier"
        )
        print(f"flagged by `projected` at some point: {total:,}; never crossed by 31 December: "
              f"{never:,} ({never / max(total, 1):.0%})")  # fmt: skip


if __name__ == "__main__":
    main()
