"""Screenshots of every dashboard page, at each window width and in each language, to look at.

Serves a store (``oopwatch serve --db``) and opens, in Debian's headless Chromium (as the tests
do): the overview, the watch-list (by person and by household), the quality page, the drill-down
at the national, county, village and household levels and at the flagged person with the highest
OOP, the person page, the person paid the most short by the assistance replay, the policy lab,
and the admin pages (upload, audit log). Writes
``OUT/{page}-{width}-{lang}.png``, full page.

Usage: uv run python scripts/screenshots.py --db STORE --out FOLDER [--widths 1400,1024]
       [--langs zh,en]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.browser_clicks import wait_for_server  # noqa: E402
from pipeline import store  # noqa: E402
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, free_port, serve_command, settle  # noqa: E402


def places(db: Path) -> dict[str, str]:
    """Page name -> path and query of each page to shoot (the person: the highest OOP flagged)."""
    snapshot = store.current_snapshot(db)
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        year, pid, household, village = con.execute(
            """SELECT w.year, w.person_id, p.household_id, p.village_code
               FROM watchlist AS w JOIN people AS p USING (person_id)
               WHERE p.village_code IS NOT NULL AND p.household_id IS NOT NULL
               ORDER BY w.year DESC, w.oop DESC LIMIT 1"""
        ).fetchall()[0]
        token = con.execute("SELECT token FROM person_keys WHERE person_id = ?", [pid]).fetchall()
        short = con.execute(  # the person paid the most short by the assistance replay
            """SELECT r.year, k.token FROM assist_replay AS r
               JOIN person_keys AS k USING (person_id)
               ORDER BY r.shortfall DESC, r.person_id LIMIT 1"""
        ).fetchall()
    finally:
        con.close()
    token = token[0][0]

    def drill(**params: object) -> str:
        return "drilldown?" + urlencode({"year": year, **params})

    return {
        "overview": "",
        "watchlist": "watchlist",
        "watchlist-households": "watchlist",  # then shown by household (a click)
        "quality": "quality",
        "drill-national": drill(),
        "drill-county": drill(region=village[:6]),
        "drill-village": drill(region=village),
        "drill-household": drill(region=village, household=household),
        "drill-person": drill(region=village, household=household, person=token),
        "person": "person?" + urlencode({"year": year, "person": token}),
        **(
            {"person-replay": "person?" + urlencode({"year": short[0][0], "person": short[0][1]})}
            if short
            else {}
        ),
        "lab": "lab",
        "upload": "upload",
        "audit": "audit",
    }


CLICKS = {"watchlist-households": ("按户（一户一次走访）", "By household (one visit each)")}


def shoot(page, url: str, path: Path, width: int, click: str | None = None) -> None:  # noqa: ANN001
    """Open ``url`` (and click the text ``click``), wait for the run to end and the charts to
    draw, save a full-page PNG."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(url)
    page.locator('[data-testid="stApp"]').wait_for()
    settle(page)
    if click:
        page.get_by_text(click, exact=True).click()
        page.wait_for_timeout(300)
        settle(page)
    page.wait_for_timeout(800)  # charts lay out
    height = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll(
            '[data-testid="stMain"], [data-testid="stMainBlockContainer"]')]
            .map(e => e.scrollHeight))"""
    )
    page.set_viewport_size({"width": width, "height": max(900, int(height) + 80)})
    page.wait_for_timeout(600)
    page.screenshot(path=str(path), full_page=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--widths", default="1400,1024")
    parser.add_argument("--langs", default="zh,en")
    parser.add_argument("--pages", default="", help="Only these pages (comma-separated).")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    wanted = places(args.db)
    if args.pages:
        wanted = {k: v for k, v in wanted.items() if k in args.pages.split(",")}
    port = free_port()
    proc = subprocess.Popen(
        serve_command(args.db.absolute(), port), cwd=REPO,
        env={**os.environ, "OOPWATCH_LOG": "warning"}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_server(port, proc)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for lang in args.langs.split(","):
                page = browser.new_page(locale="zh-CN")
                page.set_default_timeout(60_000)
                for width in (int(w) for w in args.widths.split(",")):
                    for name, where in wanted.items():
                        sep = "&" if "?" in where else "?"
                        url = f"{base}/{where}" + (f"{sep}lang=en" if lang == "en" else "")
                        path = args.out / f"{name}-{width}-{lang}.png"
                        texts = CLICKS.get(name)
                        shoot(page, url, path, width, texts[lang == "en"] if texts else None)
                        print(path, flush=True)
                page.close()
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
