"""Data-access latency of every dashboard interaction, measured with the dashboard's own functions.

Opens the current snapshot of a store exactly as the dashboard does (``dashboard.data.current``
and its shared read-only connection), then for each interaction calls the data functions that
page calls, with Streamlit's cache defeated (``fn.__wrapped__``, the undecorated function, so every
call really runs its queries in DuckDB), ``--calls`` times with arguments sampled from the data.
One page view's time is the sum of its functions' times. Target (the issue): p50 <= 50 ms and
p95 <= 200 ms per interaction.

Snapshot-wide helpers that pages call with only the snapshot (``years``, ``regions``,
``category_labels``, …) are cached per snapshot and cost once per import; they are timed on their
own rows ("session start", "quality page") rather than added to every interaction.

Usage: uv run python benchmarks/dashboard_latency.py --db PATH [--calls 50] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")  # "No runtime found" outside the app
warnings.filterwarnings("ignore", module="streamlit")

import streamlit  # noqa: E402,F401  (configures its loggers; quiet them before data imports)

for _name in ("streamlit", "streamlit.runtime.caching.cache_data_api"):
    logging.getLogger(_name).setLevel(logging.ERROR)

from dashboard import data  # noqa: E402

P50_TARGET_MS = 50.0
P95_TARGET_MS = 200.0

# Per-function timings of the last run (name -> ms list), for the breakdown table.
FUNCTION_TIMES: dict[str, list[float]] = defaultdict(list)


def call(fn: Callable, *args: object, **kwargs: object) -> tuple[object, float]:
    """Run ``fn`` uncached; its result and the milliseconds it took (also kept per function)."""
    raw = getattr(fn, "__wrapped__", None)
    if raw is None:  # an older Streamlit without __wrapped__: empty the cache instead
        fn.clear()
        raw = fn
    started = time.perf_counter()
    result = raw(*args, **kwargs)
    ms = (time.perf_counter() - started) * 1000
    FUNCTION_TIMES[fn.__name__].append(ms)
    return result, ms


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


# ---------------------------------------------------------------- samples from the data


class Samples:
    """Realistic arguments for each interaction, drawn once (setup, not timed)."""

    def __init__(self, snapshot: str, n: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.snapshot = snapshot
        cur = data.cursor(snapshot)
        try:
            self.year = data.default_year(snapshot)
            if self.year is None:
                raise SystemExit("the snapshot holds no person_year rows")
            self.codes = {
                level: [
                    r[0]
                    for r in cur.execute(
                        "SELECT code FROM region_year WHERE year = ? AND level = ? ORDER BY code",
                        [self.year, level],
                    ).fetchall()
                ]
                for level in range(1, 6)
            }
            villages = self.pick(self.codes[5], n)
            self.households = [
                (r[0], r[1])
                for r in cur.execute(
                    f"""SELECT household_id, village_code FROM (
                            SELECT DISTINCT household_id, village_code FROM person_year
                            WHERE year = ? AND household_id IS NOT NULL
                                  AND list_contains(?, village_code))
                        USING SAMPLE reservoir({n:d} ROWS) REPEATABLE ({seed:d})""",  # noqa: S608
                    [self.year, villages],
                ).fetchall()
            ]
            # Half anybody with a household, half people on the watch-list (the ones looked at).
            anyone = cur.execute(
                f"""SELECT person_id, household_id FROM (
                        SELECT person_id, household_id FROM person_year
                        WHERE year = ? AND household_id IS NOT NULL)
                    USING SAMPLE reservoir({(n + 1) // 2:d} ROWS) REPEATABLE ({seed:d})""",  # noqa: S608
                [self.year],
            ).fetchall()
            flagged = cur.execute(
                f"""SELECT person_id, household_id FROM (
                        SELECT person_id, household_id FROM watchlist
                        WHERE year = ? AND household_id IS NOT NULL)
                    USING SAMPLE reservoir({n // 2:d} ROWS) REPEATABLE ({seed:d})""",  # noqa: S608
                [self.year],
            ).fetchall()
        finally:
            cur.close()
        self.people = [(p, h) for pair in zip(anyone, flagged, strict=False) for p, h in pair]
        self.people += anyone[len(flagged) :] + flagged[len(anyone) :]
        self.watch_years = data.watch_years(snapshot) or [self.year]
        self.rules = data.watch_rules(snapshot)
        self.categories = list(data.category_labels(snapshot, "zh"))

    def pick(self, options: list, n: int) -> list:
        """``n`` options, without repeats while they last."""
        if not options:
            return []
        out: list = []
        while len(out) < n:
            out += self.rng.sample(options, min(n - len(out), len(options)))
        return out

    def watch_filters(self, n: int) -> list[dict[str, object]]:
        """Filter combinations a user would set on the watch-list page."""
        rng = self.rng

        def opt(values: list) -> object:
            return rng.choice(values) if values else None

        templates: list[Callable[[], dict[str, object]]] = [
            lambda: {},
            lambda: {"region": opt(self.codes[1])},
            lambda: {"region": opt(self.codes[3]), "severity": opt(list(data.SEVERITIES))},
            lambda: {"rule": opt(self.rules)},
            lambda: {"region": opt(self.codes[1]), "status": "new"},
            lambda: {"category": opt(self.categories), "severity": "high"},
            lambda: {"region": opt(self.codes[2]), "rule": opt(self.rules), "status": "continuing"},
        ]
        combos = []
        for i in range(n):
            chosen = templates[i % len(templates)]()
            combos.append({"year": rng.choice(self.watch_years), **chosen})
        return combos


# ---------------------------------------------------------------- one page view each


def overview(snapshot: str, year: int, region: str) -> float:
    """The overview page's per-view queries for a year and region."""
    total = 0.0
    for fn, args in [
        (data.region_figures, (year, region)),
        (data.week_changes, (year, region)),
        (data.watch_flagged, (year, region)),
        (data.people_by_category, (year, region)),
        (data.watch_by_rule, (year, region)),
        (data.list_trend, (year, region)),
        (data.overview_by_province, (year,)),
        (data.case_funnel, (year, region)),
    ]:
        total += call(fn, snapshot, *args)[1]
    return total


def drill_region(snapshot: str, year: int, code: str) -> float:
    """A drill-down page above the village: breadcrumb/figures and the child regions."""
    return (
        call(data.region_path, snapshot, year, code)[1]
        + call(data.region_children, snapshot, year, code)[1]
    )


def drill_village(snapshot: str, year: int, code: str) -> float:
    """A village: breadcrumb/figures and its households."""
    return (
        call(data.region_path, snapshot, year, code)[1]
        + call(data.village_households, snapshot, year, code)[1]
    )


def drill_household(snapshot: str, year: int, household: tuple[str, str]) -> float:
    """A household of a village (the village's breadcrumb, the household's figures, members)."""
    household, village = household
    members, ms = call(data.household_members, snapshot, year, household, village)
    ms += call(data.region_path, snapshot, year, village)[1]
    ms += call(data.household_year_row, snapshot, year, household)[1]
    return ms


def person_page(snapshot: str, person_id: str, household: str) -> float:
    """The person page opened from a household (link with the token and the household): who,
    which years, then the page's other queries (run at once by ``data.person_page``)."""
    person, ms = call(data.find_person, snapshot, data.person_token(snapshot, person_id), household)
    if person is None:
        raise SystemExit(f"find_person found no one for a sampled person of {household}")
    village = person.village_code
    years, t = call(data.person_year_rows, snapshot, person.person_id, village)
    ms += t
    year = next(iter(years), 0)
    args = (person.person_id, year, village, person.household_id)
    return ms + call(data.person_page, snapshot, *args)[1]


def watch_filter(snapshot: str, filters: dict[str, object]) -> float:
    """The watch-list with one filter combination, and who waits for a visit outcome there."""
    ms = call(data.watchlist_page, snapshot, **filters)[1]
    region = str(filters.get("region", ""))
    return ms + call(data.waiting_cases, snapshot, filters["year"], region)[1]


def cases_page(snapshot: str, year: int, region: str) -> float:
    """The cases page of a region: every case with its deadlines, overdue per region (from the
    page's table, computed once), the pushes due and the departmental funnel (what the page
    shows before a case is opened)."""
    import datetime as dt

    today = dt.date.today()
    ms = call(data.case_table, snapshot, region, year, today)[1]
    data.case_table(snapshot, region, year, today)  # the page's table, which the counts reuse
    ms += call(data.overdue_counts, snapshot, region, year, today)[1]
    ms += call(data.pushes_due, snapshot, region, year, today)[1]
    return ms + call(data.department_funnel, snapshot, region, year)[1]


def case_opened(snapshot: str, year: int, person_id: str) -> float:
    """One case opened on the cases page: its timeline."""
    return call(data.case_timeline, snapshot, person_id, year)[1]


def session_start(snapshot: str) -> float:
    """Snapshot-wide lookups every page makes once per snapshot (selectors, labels, caption)."""
    total = 0.0
    for fn, args in [
        (data.last_import, ()),
        (data.years, ()),
        (data.default_year, ()),
        (data.regions, ()),
        (data.category_labels, ("zh",)),
        (data.code_labels, ("category",)),
        (data.code_labels, ("visit_type",)),
        (data.watch_years, ()),
        (data.watch_rules, ()),
    ]:
        total += call(fn, snapshot, *args)[1]
    return total


def quality_page(snapshot: str) -> float:
    """The quality page: every query it makes (all keyed on the snapshot alone)."""
    total = 0.0
    for fn in [
        data.imports_table,
        data.reject_reasons,
        data.reject_examples,
        data.unmatched_claims,
        data.unknown_divisions,
    ]:
        total += call(fn, snapshot)[1]
    # the page's own arguments (views/quality.py: QUIET_SHARE, QUIET_WEEKS)
    total += call(data.quiet_weeks, snapshot, 0.5, 52)[1]
    return total


# ---------------------------------------------------------------- the run


def interactions(s: Samples, n: int) -> list[tuple[str, list[Callable[[], float]]]]:
    """Each interaction's name and its ``n`` page views (closures over sampled arguments)."""
    snap, year, rng = s.snapshot, s.year, s.rng
    years = data.years(snap) or [year]
    level_names = {1: "city", 2: "county", 3: "township", 4: "village"}
    rows: list[tuple[str, list[Callable[[], float]]]] = [
        ("session start (once per snapshot)", [lambda: session_start(snap)] * n),
        (
            "overview: national",
            [lambda y=y: overview(snap, y, "") for y in [rng.choice(years) for _ in range(n)]],
        ),
        (
            "overview: province",
            [lambda c=c: overview(snap, year, c) for c in s.pick(s.codes[1], n)],
        ),
        (
            "overview: county",
            [lambda c=c: overview(snap, year, c) for c in s.pick(s.codes[3], n)],
        ),
        ("drill: provinces (全国)", [lambda: drill_region(snap, year, "")] * n),
    ]
    for level in range(1, 5):
        parents = s.pick(s.codes[level], n)
        rows.append(
            (
                f"drill: {level_names[level]} list",
                [lambda c=c: drill_region(snap, year, c) for c in parents],
            )
        )
    rows += [
        (
            "drill: village (households)",
            [lambda c=c: drill_village(snap, year, c) for c in s.pick(s.codes[5], n)],
        ),
        (
            "drill: household (members)",
            [lambda h=h: drill_household(snap, year, h) for h in s.pick(s.households, n)],
        ),
        (
            "person page",
            [lambda p=p, h=h: person_page(snap, p, h) for p, h in s.pick(s.people, n)],
        ),
        (
            "watch-list filter",
            [lambda f=f: watch_filter(snap, f) for f in s.watch_filters(n)],
        ),
        ("quality page (once per snapshot)", [lambda: quality_page(snap)] * n),
        (
            "cases page: county",
            [lambda c=c: cases_page(snap, year, c) for c in s.pick(s.codes[3], n)],
        ),
        (
            "cases page: a case opened",
            [lambda p=p: case_opened(snap, year, p) for p, _h in s.pick(s.people, n)],
        ),
    ]
    return rows


def verdict(p50: float, p95: float) -> str:
    return "PASS" if p50 <= P50_TARGET_MS and p95 <= P95_TARGET_MS else "MISS"


def print_table(title: str, stats: dict[str, dict[str, float]], mark: bool) -> None:
    width = max(len(name) for name in [*stats, title]) + 2
    head = f"{title:<{width}}{'calls':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}"
    print(head + ("  target" if mark else ""))
    print("-" * (len(head) + (8 if mark else 0)))
    for name, st in stats.items():
        line = (
            f"{name:<{width}}{st['calls']:>6}{st['p50_ms']:>10.1f}{st['p95_ms']:>10.1f}"
            f"{st['max_ms']:>10.1f}"
        )
        print(line + (f"  {verdict(st['p50_ms'], st['p95_ms'])}" if mark else ""))


def summary(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(times, 0.50), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "max_ms": round(max(times), 2),
        "calls": len(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="the store (not the snapshot)")
    parser.add_argument("--calls", type=int, default=50, help="page views per interaction")
    parser.add_argument("--warmup", type=int, default=1, help="untimed views per interaction")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write {name: {p50_ms, …}} here")
    parser.add_argument("--only", help="run only interactions whose name contains this")
    args = parser.parse_args()

    try:
        snapshot = data.current(args.db.absolute())
    except data.NoSnapshot as exc:
        raise SystemExit(str(exc)) from exc
    print(f"snapshot: {snapshot}")
    samples = Samples(snapshot, args.calls + args.warmup, args.seed)
    print(
        f"year: {samples.year}; {args.calls} timed views per interaction (+{args.warmup} warm-up)"
    )
    print()

    results: dict[str, dict[str, float]] = {}
    for name, views in interactions(samples, args.calls + args.warmup):
        if args.only and args.only not in name:
            continue
        for view in views[: args.warmup]:
            view()
        FUNCTION_TIMES.clear()  # the breakdown counts timed views only (last interaction wins)
        times = [view() for view in views[args.warmup :]]
        results[name] = summary(times)
        results[name]["functions"] = {f: summary(ts) for f, ts in FUNCTION_TIMES.items()}

    table = {n: {k: v for k, v in r.items() if k != "functions"} for n, r in results.items()}
    print_table("interaction", table, mark=True)
    print()
    print(f"target: p50 <= {P50_TARGET_MS:.0f} ms and p95 <= {P95_TARGET_MS:.0f} ms per view")
    misses = [n for n, r in table.items() if verdict(r["p50_ms"], r["p95_ms"]) == "MISS"]
    print("misses: " + (", ".join(misses) if misses else "none"))
    for name in misses:
        print()
        print_table(f"{name}: per function", results[name]["functions"], mark=False)
    if args.json:
        args.json.write_text(json.dumps(table, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
