"""The dashboard in a real headless Chromium: ``oopwatch serve`` builds the demo and shows it."""

from __future__ import annotations

import csv
import getpass
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pipeline import store
from pipeline.access import activity, auth
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
    """Fail, saying what to run, if Debian's Chromium is missing (installing it is the set-up's
    job: `.ci/run` runs scripts/install-browser.sh before the tests; a test never runs apt)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install it with `bash scripts/install-browser.sh` (as root "
            "or with sudo; .ci/run does this before the tests)"
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


def serve_command(db: Path | None, port: int) -> list[str]:
    """``uv run oopwatch serve`` (the installed console script when uv is not on PATH); with no
    ``db``, the demo: no --db at all."""
    args = ["serve", *(["--db", str(db)] if db else []), "--port", str(port)]
    uv = shutil.which("uv")
    if uv:
        return [uv, "run", "--project", str(REPO), "--frozen", "oopwatch", *args]
    return [str(Path(sys.executable).with_name("oopwatch")), *args]


@contextmanager
def serving(db: Path, log: Path, port: int | None = None, demo: bool = False) -> Iterator[str]:
    """``oopwatch serve`` on ``db`` (output to ``log``, on ``port`` or a free one) until the
    block ends; its URL. ``demo``: serve with no --db in the folder of ``db`` (which must be
    named oopwatch.duckdb), as a new user's first ``uv run oopwatch serve``."""
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if k != "OOPWATCH_DB"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            serve_command(None if demo else db, port),
            cwd=db.parent if demo else REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one below
        )
    try:
        wait_for_port(port, proc, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    """One running ``oopwatch serve`` on a new demo store for the module: (url, db, log)."""
    ensure_chromium()
    tmp = tmp_path_factory.mktemp("serve")
    db = tmp / "oopwatch.duckdb"
    log = tmp / "serve.log"
    with serving(db, log, demo=True) as url:
        yield url, db, log


def test_overview_renders_in_chromium(server: tuple[str, Path, Path], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url, db, log = server
    assert "building a demo database" in log.read_text()
    assert "no accounts: this is a local demo" in log.read_text()
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
            SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, SHOTS / "demo-overview.png")
            text = page.locator("body").inner_text()
            metric_values = values.all_inner_texts()
            exceptions = page.locator('[data-testid="stException"]').count()
        finally:
            browser.close()

    assert shot.stat().st_size > 10_000
    assert exceptions == 0, text
    assert "黑龙江省" in text  # the sample data includes Heilongjiang
    assert "数据截至" in text
    assert "演示数据：本页显示的是由 sample_data/ 生成的合成数据" in text  # serve with no --db
    # 4 headline figures, 5 of the watch-list, 1 of the follow-up (exports waiting for an
    # outcome), 4 of the assistance replay (owed, paid, owed and not paid, people paid short)
    assert len(metric_values) == 14, metric_values
    assert all(re.fullmatch(r"¥[\d,]+\.\d\d", v) for v in metric_values[10:13]), metric_values
    people, claims, oop, over = metric_values[:4]
    assert re.fullmatch(r"\d{1,3}\.\d\d%", metric_values[5]), metric_values  # participation
    assert re.fullmatch(r"[1-9][\d,]*", people) and re.fullmatch(r"[1-9][\d,]*", claims)
    assert re.fullmatch(r"¥[1-9][\d,]*\.\d\d", oop), oop
    assert re.fullmatch(r"[\d,]+", over), over


# ---------------------------------------------------------------- a walk through every page

SHOTS = Path("/tmp/browser-shots")
TIMEOUT = 30_000
MASKED_ID = re.compile(r"\d{4}\*{10}[\dX]{4}")
# An unmasked resident ID: 17 digits and a check character, not part of a longer token.
FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
DRILL_LEVELS = [  # heading of the child table on the level, digits of the region code chosen
    ("各省份", 2),
    ("各市（州）", 4),
    ("各县（区）", 6),
    ("各乡镇（街道）", 9),
    ("各村（社区）", 12),
]


@pytest.fixture
def browser() -> Iterator[object]:
    """A headless Debian Chromium (a new one per test: the sync API allows one at a time)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser: object) -> object:
    """A Chinese-locale page wide enough for the dashboard's columns."""
    page = browser.new_page(viewport={"width": 1400, "height": 1100}, locale="zh-CN")
    page.set_default_timeout(TIMEOUT)
    return page


def settle(page: object) -> None:
    """Wait until Streamlit has finished the script run (no running indicator, nothing stale)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    page.wait_for_function(
        """() => !document.querySelector('[data-stale="true"]')""", timeout=TIMEOUT
    )


def no_exception(page: object) -> None:
    """No Python traceback on the page."""
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.all_inner_texts()


def shoot(page: object, tmp_path: Path, name: str) -> Path:
    """A full-page PNG in tmp_path and SHOTS (the main area scrolls: the viewport grows to it)."""
    settle(page)
    charts = page.locator(".js-plotly-plot")
    for i in range(charts.count()):  # every chart has drawn its plot area
        charts.nth(i).locator(".cartesianlayer, .pielayer").first.wait_for(state="attached")
    height = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll(
            '[data-testid="stMain"], [data-testid="stMainBlockContainer"]')]
            .map(e => e.scrollHeight))"""
    )
    page.set_viewport_size({"width": 1400, "height": max(1100, int(height) + 80)})
    page.wait_for_timeout(400)  # charts re-lay out to the new size
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1100})
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)
    assert path.stat().st_size > 20_000, (name, path.stat().st_size)
    return path


def breadcrumb_text(page: object) -> str:
    """The drill-down's 全国 › … › here line."""
    crumbs = page.locator('[data-testid="stHorizontalBlock"]').filter(has=page.locator("strong"))
    crumbs = crumbs.filter(has_text=re.compile(r"^\s*(全国|National)"))
    return " ".join(crumbs.first.inner_text().split())


def next_breadcrumb(page: object, previous: str) -> str:
    """The breadcrumb once it differs from ``previous`` (the rerun after a click has drawn it)."""
    deadline = time.monotonic() + TIMEOUT / 1000
    while time.monotonic() < deadline:
        settle(page)
        text = breadcrumb_text(page)
        if text != previous:
            return text
        page.wait_for_timeout(100)
    pytest.fail(f"the breadcrumb stayed {previous!r}")


def click_first_row(page: object, x: int = 18, nth: int | None = None) -> None:
    """Click the first row of the (only, or the ``nth``) table in the grid's canvas: by default
    its checkbox (row marker column), else the cell ``x`` pixels from the table's left edge."""
    grids = page.locator('[data-testid="stDataFrame"]')
    grids.locator("canvas").first.wait_for()
    settle(page)
    if nth is None:
        assert grids.count() == 1
    grid = grids.nth(nth or 0)
    grid.hover()  # the grid draws its selection column and tools on hover
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + 35 + 17)  # first data row


def query(page: object) -> dict[str, str]:
    """The page URL's query parameters."""
    from urllib.parse import parse_qs, urlsplit

    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def test_drill_down_to_a_person_and_switch_language(
    server: tuple[str, Path, Path], browser: object, tmp_path: Path
) -> None:
    url, _, _ = server
    page = new_page(browser)
    page.goto(f"{url}/drilldown")
    page.get_by_role("heading", name="各省份").wait_for()
    settle(page)
    assert query(page).get("year", "").isdigit()
    crumbs = [breadcrumb_text(page)]
    assert crumbs[0] == "全国"

    for i, (heading, digits) in enumerate(DRILL_LEVELS):
        page.get_by_role("heading", name=heading).wait_for()
        settle(page)
        before = page.url
        click_first_row(page, x=18 if i % 2 else 90)  # the row's checkbox, or its name cell
        page.wait_for_url(lambda u, before=before: u != before)
        region = query(page).get("region", "")
        assert re.fullmatch(rf"\d{{{digits}}}", region), page.url
        assert "household" not in query(page)
        crumbs.append(next_breadcrumb(page, crumbs[-1]))
        assert crumbs[-1].startswith(crumbs[-2] + " ›"), crumbs
        no_exception(page)
        if digits == 6:
            shoot(page, tmp_path, "drilldown-county")

    page.get_by_role("heading", name="本村家庭").wait_for()
    settle(page)
    before = page.url
    click_first_row(page)
    page.wait_for_url(lambda u: "household=" in u)
    household = query(page)["household"]
    assert query(page)["region"] == region
    page.get_by_role("heading", name="家庭成员").wait_for()
    crumbs.append(next_breadcrumb(page, crumbs[-1]))
    assert crumbs[-1] == f"{crumbs[-2]} › 家庭 {household}", crumbs
    no_exception(page)

    click_first_row(page, x=200)  # the member's name
    page.wait_for_url(lambda u: "person=" in u)
    page.get_by_role("heading", name="人员详情").wait_for()
    settle(page)
    params = query(page)
    assert params["household"] == household and params["year"].isdigit()
    assert re.fullmatch(r"[0-9a-f]+", params["person"]), page.url  # a token, not the ID
    text = page.locator("body").inner_text()
    assert MASKED_ID.search(text), text[:2000]
    for where, content in (("text", text), ("html", page.content()), ("url", page.url)):
        assert not FULL_ID.search(content), (where, FULL_ID.search(content))
    assert "家庭成员" in text  # the household's members, this person marked
    assert page.locator(".js-plotly-plot").count() == 2  # the claims timeline and the waterfall
    crumbs.append(next_breadcrumb(page, crumbs[-1]))
    assert re.fullmatch(re.escape(crumbs[-2]) + r" › .+ \d{4}\*{10}[\dX]{4}", crumbs[-1]), crumbs
    page.get_by_role("button", name=f"家庭 {household}").wait_for()  # the way back up
    no_exception(page)
    shoot(page, tmp_path, "person")

    # English, then back to Chinese: the sidebar radio, on the person page
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("English", exact=True).click()
    page.get_by_role("heading", name="Person", exact=True).wait_for()
    settle(page)
    text = page.locator("body").inner_text()
    for label in ("Watch-list", "Drill-down", "Household members", "Watch-list status"):
        assert label in text, label
    assert "人员详情" not in text
    assert MASKED_ID.search(text)
    assert query(page)["person"] == params["person"]  # the same person after the switch
    assert query(page)["lang"] == "en"  # a link copied now opens in English
    english_link = page.url
    sidebar.get_by_text("中文", exact=True).click()
    page.get_by_role("heading", name="人员详情").wait_for()
    settle(page)
    assert "预警名单" in page.locator("body").inner_text()
    assert "lang" not in query(page)
    fresh = new_page(browser)  # another browser tab: the pasted link keeps the language
    fresh.goto(english_link)
    fresh.get_by_role("heading", name="Person", exact=True).wait_for()
    # the person page of such a link (no drill-down around it) leads to the household
    fresh.goto(english_link.replace("/drilldown?", "/person?"))
    fresh.get_by_role("heading", name="Person", exact=True).wait_for()
    fresh.get_by_role("button", name="See this household in the drill-down").wait_for()
    no_exception(fresh)
    fresh.close()
    no_exception(page)


def test_a_click_on_a_watch_list_cell_opens_the_person(
    server: tuple[str, Path, Path], browser: object, tmp_path: Path
) -> None:
    """Not only the checkbox: a click on the name opens the person inside the drill-down."""
    url, _, _ = server
    page = new_page(browser)
    page.goto(f"{url}/watchlist")
    page.get_by_role("heading", name="因病返贫风险预警名单").wait_for()
    settle(page)
    click_first_row(page, x=40 + 50 + 150 + 30)  # marker, status, ID, then the name
    page.wait_for_url(lambda u: "/drilldown" in u and "person=" in u)
    page.get_by_role("heading", name="人员详情").wait_for()
    settle(page)
    params = query(page)
    assert re.fullmatch(r"[0-9a-f]+", params["person"]) and params["household"], page.url
    assert not FULL_ID.search(page.url)
    no_exception(page)

    page.goto(f"{url}/watchlist")  # back on the list, nothing opens by itself
    page.get_by_role("heading", name="因病返贫风险预警名单").wait_for()
    settle(page)
    page.get_by_text("按户（一户一次走访）").click()
    settle(page)
    click_first_row(page, x=150)  # a household's members
    page.wait_for_url(lambda u: "household=" in u and "person=" not in u)
    page.get_by_role("heading", name="家庭成员").wait_for()
    no_exception(page)


def test_the_policy_lab_runs_an_edit_when_its_button_is_pressed(
    server: tuple[str, Path, Path], browser: object, tmp_path: Path
) -> None:
    """The lab opens on the rules in force (nobody enters); a lower line typed in changes
    nothing until 运行模拟 is pressed, then people enter and the rules file is offered."""
    url, _, _ = server
    page = new_page(browser)
    page.goto(f"{url}/lab")
    page.get_by_role("heading", name="政策模拟").wait_for()
    settle(page)

    def metric(label: str) -> str:
        cell = page.locator('[data-testid="stMetric"]').filter(has_text=label)
        return cell.locator('[data-testid="stMetricValue"]').inner_text().strip()

    assert metric("新进入") == "0"
    page.get_by_label("监测线（元）").fill("3000")
    page.get_by_label("监测线（元）").press("Tab")
    settle(page)
    assert metric("新进入") == "0", "an edit alone runs nothing"
    page.get_by_role("button", name="运行模拟").click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stMetric"]')].some(
            m => m.innerText.includes('新进入') && !/\\n0$/.test(m.innerText.trim()))""",
        timeout=TIMEOUT,
    )
    settle(page)
    assert int(metric("新进入").replace(",", "")) > 0
    page.get_by_role("button", name="下载规则文件").wait_for()
    no_exception(page)
    shoot(page, tmp_path, "lab")


def test_watch_list_downloads_are_logged(
    server: tuple[str, Path, Path], browser: object, tmp_path: Path
) -> None:
    """Both files download with masked IDs; each download lands in the activity log."""
    import openpyxl

    from pipeline.access import activity

    url, db, _ = server
    page = new_page(browser)
    page.goto(f"{url}/watchlist")
    page.get_by_role("heading", name="因病返贫风险预警名单").wait_for()
    button = page.get_by_role("button", name="下载名单（CSV）")
    button.wait_for()
    settle(page)
    no_exception(page)
    shoot(page, tmp_path, "watchlist")
    before = len(activity.entries(db))

    # the table of people has its tools (search, full screen) but no download or copy of its own
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.hover()
    tools = page.locator('[data-testid="stElementToolbar"]').first
    tools.wait_for(state="visible")
    labels = tools.locator("button").evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
    assert "Search" in labels and "Download as CSV" not in labels, labels

    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename.startswith("watchlist_")
    assert download.suggested_filename.endswith(".csv")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:20]
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:2] == ["案件编号", "身份证号（脱敏）"], rows[0]
    assert len(rows) >= 2
    ids = [r[1] for r in rows[1:]]
    assert all(MASKED_ID.fullmatch(i) for i in ids), ids[:5]
    assert not FULL_ID.search(raw.decode("utf-8-sig"))

    with page.expect_download() as info:
        page.get_by_role("button", name="下载走访名单（Excel）").click()
    workbook = tmp_path / info.value.suggested_filename
    info.value.save_as(workbook)
    sheet = openpyxl.load_workbook(workbook)["名单"]
    assert [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)] == ids

    deadline = time.monotonic() + 10
    while len(activity.entries(db)) < before + 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    logged = activity.entries(db)[:2]
    assert {e.action for e in logged} == {"download"}
    assert {e.target.rsplit(".", 1)[1] for e in logged} == {"csv", "xlsx"}
    assert all(e.rows == len(ids) and not e.full_ids and e.source == "dashboard" for e in logged)
    assert {e.user for e in logged} == {getpass.getuser()}, "the demo logs the OS user"


def test_overview_and_quality_screenshots(
    server: tuple[str, Path, Path], browser: object, tmp_path: Path
) -> None:
    url, _, _ = server
    page = new_page(browser)
    page.goto(url)
    page.get_by_role("heading", name=TITLE_ZH).wait_for()
    page.locator(".js-plotly-plot").first.wait_for()
    no_exception(page)
    shoot(page, tmp_path, "overview")

    page.goto(f"{url}/quality")
    page.get_by_role("heading", name="导入记录与数据质量").wait_for()
    page.get_by_role("heading", name="导入记录", exact=True).wait_for()
    no_exception(page)
    shoot(page, tmp_path, "quality")


# ---------------------------------------------------------------- with accounts: sign in first

COUNTY = "371622"  # 阳信县, Shandong: the sample data's county with the most people
PASSWORD = "correct horse 7"


@pytest.fixture(scope="module")
def secured_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``oopwatch serve`` on a new demo store that has one account, a caseworker of COUNTY."""
    ensure_chromium()
    tmp = tmp_path_factory.mktemp("secured-serve")
    db = tmp / "oopwatch.duckdb"
    auth.add_user(db, "north", "caseworker", COUNTY, PASSWORD, by="tests")
    with serving(db, tmp / "serve.log", demo=True) as url:
        yield url, db


def sign_in(page: object, name: str, password: str) -> None:
    """Fill the sign-in form and submit it."""
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_sign_in_then_the_users_county(
    secured_server: tuple[str, Path], browser: object, tmp_path: Path
) -> None:
    """The form refuses a wrong password; the right one opens the overview at the county."""
    url, db = secured_server
    page = new_page(browser)
    page.goto(url)
    page.get_by_role("heading", name="登录").wait_for()
    settle(page)
    assert page.locator('[data-testid="stMetricValue"]').count() == 0, "nothing before sign-in"
    sign_in(page, "north", "not the password")
    page.get_by_text("用户名或密码错误。").wait_for()
    assert page.locator('[data-testid="stMetricValue"]').count() == 0
    shoot(page, tmp_path, "sign-in-refused")

    sign_in(page, "north", PASSWORD)
    page.get_by_role("heading", name=TITLE_ZH).wait_for()
    page.locator('[data-testid="stMetricValue"]').first.wait_for()
    settle(page)
    no_exception(page)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "north" in sidebar and "经办人员" in sidebar and "阳信县" in sidebar, sidebar
    region = page.locator('[data-testid="stSelectbox"]').filter(has_text="地区")
    shown = region.inner_text() + " ".join(
        region.locator("input").evaluate_all("inputs => inputs.map(i => i.value)")
    )
    assert "阳信县" in shown, shown
    text = page.locator("body").inner_text()
    assert "分省情况" not in text and "下级地区" in text
    shoot(page, tmp_path, "signed-in-overview")

    page.locator('[data-testid="stSidebarNav"]').get_by_text("逐级下钻").click()
    page.get_by_role("heading", name="各乡镇（街道）").wait_for()
    settle(page)
    crumbs = page.locator('[data-testid="stHorizontalBlock"]').filter(has=page.locator("strong"))
    assert crumbs.first.inner_text().split()[0] == "阳信县", "the breadcrumb starts at the county"
    assert "全国" not in crumbs.first.inner_text()
    no_exception(page)

    # a download is built on the click, outside the script run: still logged as north
    page.locator('[data-testid="stSidebarNav"]').get_by_text("预警名单").click()
    button = page.get_by_role("button", name="下载名单（CSV）")
    button.wait_for()
    settle(page)
    with page.expect_download() as info:
        button.click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert info.value.suggested_filename == f"watchlist_2026_{COUNTY}.csv"
    rows = list(csv.reader(io.StringIO(saved.read_bytes().decode("utf-8-sig"))))
    assert len(rows) > 1 and all(r[1].startswith(COUNTY[:4]) for r in rows[1:])
    deadline = time.monotonic() + 10
    while not activity.entries(db, action="download") and time.monotonic() < deadline:
        time.sleep(0.2)
    (download,) = activity.entries(db, action="download")
    assert (download.user, download.rows, download.full_ids) == ("north", len(rows) - 1, False)
    logged = [(e.user, e.action) for e in activity.entries(db) if e.action != "download"]
    assert logged[:2] == [("north", "login"), ("north", "login_failed")]


def pick(page: object, label: str, option: str | int) -> str:
    """Choose in the selectbox labelled ``label`` the option whose text is ``option`` (or the
    option at that index); returns the option's text."""
    combo = page.get_by_role("combobox", name=label)
    options = page.get_by_role("option")
    for _ in range(5):  # (a click while the script reruns opens nothing: again)
        settle(page)
        combo.click()
        try:
            options.first.wait_for(timeout=3000)
            break
        except Exception:  # noqa: BLE001  (playwright's TimeoutError)
            page.keyboard.press("Escape")
    chosen = options.nth(option) if isinstance(option, int) else options.filter(has_text=option)
    text = chosen.first.inner_text()
    chosen.first.click()
    settle(page)
    return text


def test_a_caseworker_assigns_a_case_and_sees_it_in_my_cases(
    secured_server: tuple[str, Path], browser: object, tmp_path: Path
) -> None:
    """On the demo (weekly pushes and the departments' answers): north opens the cases page,
    opens a case of the county, sees its timeline, takes it, and finds it in 我的案件."""
    from pipeline.access import assignments

    url, db = secured_server
    page = new_page(browser)
    page.goto(url)
    page.get_by_role("heading", name="登录").wait_for()
    sign_in(page, "north", PASSWORD)
    page.get_by_role("heading", name=TITLE_ZH).wait_for()
    settle(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("案件跟踪").click()
    page.get_by_role("heading", name="案件跟踪：推送、核查、走访与帮扶").wait_for()
    settle(page)
    no_exception(page)
    shoot(page, tmp_path, "cases-all")
    click_first_row(page, nth=0)  # the most urgent case: a click on its row opens it
    heading = page.get_by_role("heading", name=re.compile("：2026年案件进程"))
    heading.wait_for()
    name = heading.inner_text().split("：")[0]
    chosen = page.get_by_role("combobox", name="打开案件").input_value()
    assert chosen.startswith(f"{name} · "), chosen
    assert "负责人：（未分配）" in page.locator("body").inner_text()
    pick(page, "分配给", "north")
    page.get_by_role("button", name="分配", exact=True).click()
    page.get_by_text("已分配 1 个案件给 north。").wait_for()
    settle(page)
    no_exception(page)
    shoot(page, tmp_path, "cases-timeline")
    mine = [a for a in assignments.current_assignments(db) if a.assignee == "north"]
    assert len(mine) == 1 and mine[0].village_code.startswith(COUNTY)
    page.locator('[data-testid="stRadio"]').get_by_text("我的案件").click()
    settle(page)
    page.get_by_role("heading", name="我的案件").wait_for()
    assert "共 1 个案件" in page.locator("body").inner_text()
    assert pick(page, "打开案件", 1) == chosen  # the one case of 我的案件 is the one taken
    no_exception(page)
    shoot(page, tmp_path, "cases-mine")
    page.locator('[data-testid="stSidebarNav"]').get_by_text("成效").click()
    page.get_by_role("heading", name="成效：预警后发生了什么").wait_for()
    settle(page)
    no_exception(page)
    shoot(page, tmp_path, "outcomes")
