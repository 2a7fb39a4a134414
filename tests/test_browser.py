"""The dashboard in a real headless Chromium: ``oopwatch serve`` builds the demo and shows it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import store
from tests.conftest import REPO

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TITLE_ZH = "医疗费用个人负担总览"


def ensure_chromium() -> None:
    """Install Debian's Chromium with the project's script if it is missing; fail if that fails."""
    if CHROMIUM.exists():
        return
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "install-browser.sh")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0 or not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing and scripts/install-browser.sh could not install it "
            f"(exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 45) -> None:
    """Wait until the server accepts connections; fail with its log if it exits or stalls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"oopwatch serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"oopwatch serve did not listen on {port} within {timeout} s:\n{log.read_text()}")


def serve_command(db: Path, port: int) -> list[str]:
    """``uv run oopwatch serve`` (the installed console script when uv is not on PATH)."""
    args = ["serve", "--db", str(db), "--port", str(port)]
    uv = shutil.which("uv")
    if uv:
        return [uv, "run", "--frozen", "oopwatch", *args]
    return [str(Path(sys.executable).with_name("oopwatch")), *args]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """A running ``oopwatch serve`` on a new demo store: (url, db, log)."""
    ensure_chromium()
    db = tmp_path / "demo.duckdb"
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            serve_command(db, port),
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one below
        )
    try:
        wait_for_port(port, proc, log)
        yield f"http://127.0.0.1:{port}", db, log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def test_overview_renders_in_chromium(server: tuple[str, Path, Path], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url, db, log = server
    assert "building a demo database" in log.read_text()
    assert store.current_snapshot(db) is not None

    shot = tmp_path / "overview.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100}, locale="zh-CN")
            page.goto(url)
            page.get_by_text(TITLE_ZH).wait_for(timeout=30_000)
            values = page.locator('[data-testid="stMetricValue"]')
            values.first.wait_for(timeout=30_000)
            page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
            page.wait_for_timeout(500)  # let the chart finish drawing before the screenshot
            page.screenshot(path=str(shot), full_page=True)
            text = page.locator("body").inner_text()
            metric_values = values.all_inner_texts()
            exceptions = page.locator('[data-testid="stException"]').count()
        finally:
            browser.close()

    assert shot.stat().st_size > 10_000
    assert exceptions == 0, text
    assert "黑龙江省" in text  # the sample data includes Heilongjiang
    assert "数据截至" in text
    assert len(metric_values) == 9, metric_values  # 4 headline figures, 5 of the watch-list
    people, claims, oop, over = metric_values[:4]
    assert re.fullmatch(r"\d{1,3}\.\d\d%", metric_values[5]), metric_values  # participation
    assert re.fullmatch(r"[1-9][\d,]*", people) and re.fullmatch(r"[1-9][\d,]*", claims)
    assert re.fullmatch(r"¥[1-9][\d,]*\.\d\d", oop), oop
    assert re.fullmatch(r"[\d,]+", over), over
