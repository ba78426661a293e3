"""Nothing cut off, no 'None', no unrounded float: Review, Compare and Sign-off in Chromium at
1280×800 and 1920×1080, and a screenshot of every page for every role at 1280 px.

A text container overflows when its ``scrollWidth`` exceeds its ``clientWidth`` (its text is
cut off or spills over); a data grid whose columns scroll sideways counts too, since the
columns past the edge are hidden. Table cells are read from the grid's accessible table.
A figure is unrounded when it shows more than four significant digits or four decimals
(the formats in core.formatting never do: '84.6%', 'USD 0.00658', '-365').
Screenshots go to tests/artifacts/ (git-ignored), kept by CI for the next person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import Server, demo_db
from tests.browser.test_browser import ARGS, CHROMIUM, idle, playwright_api, sign_in
from ui import navigation

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SIZES = [(1280, 800), (1920, 1080)]
# The page each check runs on, as the user who works there.
CHECKED = [("review", "sme1"), ("compare", "owner"), ("signoff", "owner"), ("signoff", "manager")]
ROLE_USERS = {"admin": "admin", "eval_owner": "owner", "manager": "manager", "sme": "sme1"}

OVERFLOWS = """() => {
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const skip = ['stDataFrame', 'stVegaLiteChart', 'stCode']
    .map(id => `[data-testid="${id}"]`).join(', ');
  const found = [];
  for (const el of main.querySelectorAll('*')) {
    const text = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!text || box.width === 0 || box.height === 0 || el.closest(skip)) continue;
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
      found.push(`${el.tagName} "${el.innerText.slice(0, 60)}" `
        + `${el.scrollWidth} > ${el.clientWidth}`);
  }
  for (const table of main.querySelectorAll('[data-testid="stTable"]')) {
    if (table.getBoundingClientRect().width > 0 && table.scrollWidth > table.clientWidth + 1)
      found.push(`table "${table.innerText.slice(0, 60)}" `
        + `${table.scrollWidth} > ${table.clientWidth}`);
  }
  for (const grid of main.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')) {
    if (grid.getBoundingClientRect().width === 0) continue;
    if (grid.scrollWidth > grid.clientWidth + 1) {
      const table = grid.closest('[data-testid="stDataFrame"]');
      const heads = Array.from(table.querySelectorAll('th')).map(h => h.innerText);
      found.push(`table [${heads.join(', ')}] ${grid.scrollWidth} > ${grid.clientWidth}`);
    }
  }
  return found;
}"""
CELLS = """() => Array.from(document.querySelectorAll(
  '[data-testid="stDataFrame"] table td, [data-testid="stTable"] td'
)).map(td => td.innerText)"""
TALLEST = "() => Math.max(...Array.from(document.querySelectorAll('*'), e => e.scrollHeight))"
NUMBER = re.compile(r"\d[\d,]*\.\d+")


def unrounded(text: str) -> list[str]:
    """The figures in a cell that show more than four significant digits or four decimals."""
    bad = []
    for figure in NUMBER.findall(text):
        whole, decimals = figure.replace(",", "").split(".")
        significant = (whole + decimals).lstrip("0")
        if len(significant) > 4 or (len(decimals) >= 4 and len(significant) >= 4):
            bad.append(figure)
    return bad


def test_unrounded_reads_figures_as_people_do():
    assert unrounded("-365.286") == ["365.286"]
    assert unrounded("-2257.4053 / 0.1235") == ["2257.4053", "0.1235"]
    assert unrounded("84.6% (82.4–86.5%) · USD 0.00658 · 0.985 · 14,230 · 1.26 s") == []


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(demo_db(tmp_path_factory.mktemp("layout"), 20261126))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def enter(page, url: str, username: str) -> None:
    """Sign in; a landing page that draws slowly (Home decides every migration) can outlast
    the helper's own wait, after which the form is gone because the user is signed in."""
    try:
        sign_in(page, url, username)
    except (AssertionError, playwright_api.TimeoutError):
        page.wait_for_selector("text=Signed in as", timeout=60_000)
        idle(page)


def open_page(page, url: str) -> None:
    page.goto(url)
    idle(page)
    page.wait_for_timeout(1500)  # charts and grids draw after the script run
    idle(page)


def every_tab(page):
    """Each tab of the page in turn (the page itself when it has none)."""
    tabs = page.locator("button[role=tab]")
    if tabs.count() == 0:
        yield "page"
        return
    for i in range(tabs.count()):
        tabs.nth(i).click()
        page.wait_for_timeout(500)
        yield tabs.nth(i).inner_text()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(("path", "username"), CHECKED)
def test_nothing_is_cut_off_and_every_cell_is_formatted(server, browser, size, path, username):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    enter(page, server.url, username)
    open_page(page, f"{server.url}/{path}")
    problems = []
    for tab in every_tab(page):
        problems += [f"{tab}: overflow {o}" for o in page.evaluate(OVERFLOWS)]
        for cell in page.evaluate(CELLS):
            if cell.strip() in {"None", "nan", "NaN", "NaT", "<NA>"}:
                problems.append(f"{tab}: cell shows {cell!r}")
            problems += [f"{tab}: unrounded {f} in {cell!r}" for f in unrounded(cell)]
    context.close()
    assert problems == [], f"{path} at {size[0]}×{size[1]} as {username}:\n" + "\n".join(problems)


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_screenshots_of_every_page_for_every_role(server, browser, role):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    enter(page, server.url, ROLE_USERS[role])
    saved = []
    for spec in navigation.pages_for([role]):
        open_page(page, f"{server.url}/{spec.url}")
        # The app scrolls inside its own block, which a full-page shot does not follow: make
        # the window as tall as the content instead (at most 12,000 px).
        tall = page.evaluate(TALLEST)
        page.set_viewport_size({"width": 1280, "height": min(max(tall, 800), 12_000)})
        page.wait_for_timeout(500)
        shot = ARTIFACTS / f"{role}-{spec.url}-1280.png"
        page.screenshot(path=str(shot))
        saved.append(shot)
        page.set_viewport_size({"width": 1280, "height": 800})
    context.close()
    assert saved and all(s.stat().st_size > 10_000 for s in saved)
