"""In a real browser: Playwright driving Debian's Chromium against ``streamlit run serve.py``
(tests/browser/conftest.py starts it).

Skipped when /usr/bin/chromium is missing (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from core import demo
from core.review import queue
from core.store import db
from tests.browser.conftest import Server, free_port  # noqa: F401 - re-exported
from tests.conftest import app_database

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
XSS = (
    '<script>window.__xss = 1</script> <img src=x onerror="window.__xss = 2"> '
    "[click me](javascript:window.__xss=3) ![pic](http://127.0.0.1:9/x.png) plain end"
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def prepared_db(tmp_path_factory):
    """The demo database, with sme1's first item answering with hostile markup."""
    path = tmp_path_factory.mktemp("browser") / "app.duckdb"
    con = db.connect(app_database(path))
    demo.install(con, 20261126)
    from core.catalog import users

    users.seed(con, users.load_config(users.EXAMPLE_FILE))
    slot = queue.next_slot(con, "sme1")
    con.execute(
        "UPDATE output SET text = ?, error = NULL WHERE item_id = ? AND run_id IN"
        " (SELECT run_a FROM sample UNION SELECT run_b FROM sample)",
        [XSS, slot.item_id],
    )
    con.close()
    return path


@pytest.fixture(scope="module")
def server(prepared_db):
    running = Server(prepared_db)
    yield running
    running.stop()


def auth_cookie(context) -> list:
    return [c for c in context.cookies() if c["name"] == "switchyard_auth"]


def wait_for(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def idle(page) -> None:
    page.wait_for_timeout(150)
    page.wait_for_selector(IDLE, timeout=30_000)


def sign_in(page, url: str, username: str) -> None:
    page.goto(url)
    idle(page)
    # The cookie component reports the browser's cookies once loaded, which reruns the
    # script: wait for that rerun before typing, or the form is drawn anew under our keys.
    page.wait_for_timeout(1000)
    idle(page)
    for _attempt in range(3):
        page.get_by_label("Username", exact=True).fill(username)
        page.get_by_label("Password", exact=True).fill(f"demo-{username}")
        page.get_by_role("button", name="Sign in").click()
        try:
            page.wait_for_selector("text=Signed in as", timeout=10_000)
            break
        except playwright_api.TimeoutError:
            idle(page)
    else:
        raise AssertionError("sign-in did not complete")
    idle(page)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "review",
        "admin",
        "data",
        "sampling",
        "calibration",
        "runs",
        "compare",
        "signoff",
        "home",
        "signin",
    ],
)
def test_fresh_server_shows_no_page_without_sign_in(browser, tmp_path, path):
    # Each path is the very first request to a just-started server: before app.py's first
    # st.navigation call, Streamlit runs pages/<path>.py directly.
    server = Server(tmp_path / "fresh.duckdb")
    try:
        page = browser.new_context().new_page()
        page.goto(f"{server.url}/{path}")
        idle(page)
        # The sign-in form answers, however the first request was routed (it once said only
        # "Please sign in first." on a deep link).
        page.get_by_label("Password", exact=True).wait_for(timeout=30_000)
        body = page.inner_text("body")
        for secret in ("Financial Q&A", "fin-0", "Response A", "Claude", "Nova", "sha256"):
            assert secret not in body
        assert page.locator('[data-testid="stDataFrame"]').count() == 0
    finally:
        server.stop()


def test_model_output_markup_renders_as_inert_text(browser, server):
    context = browser.new_context()
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, server.url, "sme1")
    body = page.inner_text("body")
    assert "<script>window.__xss = 1</script>" in body
    assert '<img src=x onerror="window.__xss = 2">' in body
    assert "[click me](javascript:window.__xss=3)" in body
    assert page.evaluate("window.__xss") is None and dialogs == []
    assert page.locator('a[href^="javascript"]').count() == 0
    assert page.locator('img[src="x"], img[src*="127.0.0.1:9"]').count() == 0
    context.close()


def test_review_three_items_by_keyboard_reload_and_sign_out(browser, server):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, server.url, "sme2")
    # Nothing reviewed yet. (While a rerun draws, Streamlit can briefly show the old element
    # beside the new one, so look for the text rather than count it.)
    page.wait_for_selector("text=/^0 of \\d+ done$/", timeout=30_000)
    for done in range(1, 4):
        shown = page.get_by_text(re.compile(r"^Item fin-\d+$")).inner_text()
        page.evaluate("document.activeElement && document.activeElement.blur()")
        for key in ("4", "7", "a"):  # A scores 4, B scores 2, A is better
            page.keyboard.press(key)
            idle(page)
        page.keyboard.press("Control+Enter")
        page.wait_for_selector(f"text={done} of", timeout=30_000)
        idle(page)
        assert page.get_by_text(re.compile(r"^Item fin-\d+$")).inner_text() != shown
    assert auth_cookie(context)
    page.reload()
    idle(page)
    page.wait_for_selector("text=3 of", timeout=30_000)  # still signed in, progress kept
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector("text=Signed out.", timeout=30_000)
    wait_for(lambda: not auth_cookie(context))  # the browser deletes it
    page.reload()
    idle(page)
    page.wait_for_selector("text=Sign in", timeout=30_000)
    assert page.get_by_label("Password", exact=True).count() == 1
    assert "3 of" not in page.inner_text("body")
    context.close()


def review_one_item(page) -> None:
    # The queue must be drawn (and its shortcuts bound) before the keys are pressed.
    page.wait_for_selector("text=/^0 of \\d+ done$/", timeout=30_000)
    idle(page)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for key in ("4", "9", "t"):  # A scores 4, B scores 4, a tie
        page.keyboard.press(key)
        idle(page)
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=1 of", timeout=30_000)
    idle(page)


def test_manager_approves_then_a_new_label_makes_it_stale_and_exports(browser, server):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    sign_in(page, server.url, "manager")
    page.goto(f"{server.url}/signoff")
    idle(page)
    page.wait_for_selector("text=NOT YET", timeout=30_000)
    page.wait_for_selector("text=Not decided:", timeout=30_000)
    form = page.locator('[data-testid="stForm"]').filter(has_text="Record the decision")
    for _attempt in range(3):  # the list opens once the widget has hydrated
        form.get_by_role("button", name="Open").click()
        try:
            page.get_by_role("option", name="SRE", exact=True).click(timeout=5_000)
            break
        except playwright_api.TimeoutError:
            idle(page)
    else:
        raise AssertionError("the stakeholder list did not open")
    form.get_by_text("approve", exact=True).click()
    form.get_by_label("Comment (required to reject)").fill("Dashboards and alerts ready")
    form.get_by_text("Audit logging of prompts and outputs in place").click()
    form.get_by_role("button", name="Record the decision").click()
    idle(page)
    page.wait_for_selector("text=Approved on the current evidence: SRE", timeout=30_000)
    with page.expect_download() as download:
        page.get_by_role("button", name="HTML report").click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "<h2>Criteria</h2>" in report and "approve" in report
    with page.expect_download() as download:
        page.get_by_role("button", name="PDF report").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    assert download.value.suggested_filename.endswith(".pdf")
    with page.expect_download() as download:
        page.get_by_role("button", name="JSON").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["decision"] == "NOT YET"
    sre = next(a for a in data["approvals"] if a["role"] == "SRE")
    assert sre["decision"] == "approve" and not sre["stale"]

    # An SME labels one more item in another browser: the approval's evidence is gone.
    sme = browser.new_context().new_page()
    sign_in(sme, server.url, "sme3")
    review_one_item(sme)
    sme.context.close()

    page.reload()
    idle(page)
    page.wait_for_selector("text=Stale: SRE", timeout=30_000)
    assert "Approved on the current evidence: none" in page.inner_text("body")
    context.close()


def test_menu_is_the_roles_pages_and_a_forbidden_page_says_so(browser, server):
    fresh = browser.new_context().new_page()
    fresh.goto(f"{server.url}/calibration")
    idle(fresh)
    # Streamlit's own pages/ menu (file names) is off: nothing lists pages before sign-in.
    assert fresh.locator('[data-testid="stSidebarNav"]').count() == 0
    assert "calibration" not in fresh.inner_text("body").lower()
    fresh.context.close()

    context = browser.new_context()
    page = context.new_page()
    sign_in(page, server.url, "manager")
    links = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]')
    # each link's text is its icon's ligature name, then the title
    menu = ["Home", "Data", "Sign-off", "Canary"]
    assert [t.split()[-1] for t in links.all_inner_texts()] == menu
    links.filter(has_text="Data").click()
    idle(page)
    page.wait_for_selector("h1:has-text('Data')", timeout=30_000)
    page.goto(f"{server.url}/compare")
    idle(page)
    page.wait_for_selector("text=Your role (manager) has no access to this page.", timeout=30_000)
    assert page.locator("h1:has-text('Compare')").count() == 0
    context.close()
