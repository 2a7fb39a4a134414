"""Smoke test of ``oopwatch bench``: every figure is there and pandas agrees; never a timing."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

NUMBERS = (
    "ingest_s", "ingest_peak_rss_mb", "floor_read_s", "pandas_s", "pandas_peak_rss_mb",
    "weekly_s", "rules_s", "db_mb", "segments_mb", "snapshot_mb", "cat_s", "replay_s",
    "whatif_s", "polars_s", "polars_peak_rss_mb", "empty_week_s", "publish_s", "push_s",
    "feedback_s", "cases_s", "funnel_s", "outcomes_s",
)  # fmt: skip


def test_bench_small(cli, tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    keep = tmp_path / "bench"
    result = cli("bench", "--people", "2000", "--weeks", "2", "--calls", "3",
                 "--json", out, "--keep", keep)  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["people"] == 2000
    assert isinstance(figures["claims"], int) and figures["claims"] > 0
    for key in NUMBERS:
        assert isinstance(figures[key], int | float), key
        assert figures[key] > 0, key
    assert figures["agree"] is True, figures["agreement"]
    assert figures["polars_agree"] is True, figures["polars_agreement"]
    assert figures["polars_agreement"]["person_years"] == figures["agreement"]["person_years"]
    assert figures["agreement"]["person_years"] > 0
    assert figures["weekly_claims"] > 0
    # every pushed person-year answered and loaded (the departments' loop)
    assert figures["push_rows"] > 0
    assert figures["feedback_rows"] == figures["feedback_loaded"] == figures["push_rows"]
    # The weekly import is the week: about 2% of the claims, 5% of them corrections or
    # reversals of earlier claims (the held-back week topped up, every added row loaded).
    added = figures["weekly_supplement"]
    assert added["added_corrections"] > 0 and added["added_reversals"] > 0
    assert added["added_new"] > 0
    assert abs(figures["weekly_share_of_claims"] - 0.02) < 0.001
    changed = figures["weekly_corrections"] + figures["weekly_reversals"]
    assert abs(changed / figures["weekly_claims"] - 0.05) < 0.005
    con = duckdb.connect(str(keep / "oopwatch.duckdb"), read_only=True)
    try:
        extra = con.execute(
            "SELECT rows_read, rows_rejected FROM imports WHERE file LIKE '%week-extra%'"
        ).fetchall()
    finally:
        con.close()
    assert extra == [(sum(v for k, v in added.items() if k.startswith("added_")), 0)]
    con = duckdb.connect(str(keep / "oopwatch.duckdb"), read_only=True)
    try:  # the empty week: every file read, not a row in it
        empty = con.execute(
            "SELECT count(*), sum(rows_read) FROM imports WHERE file LIKE '%week-empty%'"
        ).fetchall()
    finally:
        con.close()
    assert empty == [(3, 0)]
    views = figures["dashboard"]
    assert {"drill: provinces (全国)", "drill: household (members)", "person page",
            "watch-list filter"} <= set(views)  # fmt: skip
    for name, stats in views.items():
        assert set(stats) == {"p50_ms", "p95_ms"}, name
        assert 0 < stats["p50_ms"] <= stats["p95_ms"], name
    # The table printed is the one in the JSON; the extracts stay cached in --keep.
    assert "| pandas agrees with oopwatch" in result.output
    assert "| polars agrees with oopwatch (the same) | yes" in result.output
    assert "| figure | value | vs floor | vs pandas | vs polars |" in result.output
    assert (keep / "extracts" / "bench-manifest.json").exists()
