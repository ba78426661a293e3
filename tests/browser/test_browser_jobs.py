"""A run started on the Runs page finishes after its browser is closed: the app's worker
thread runs it, not the page. The model is the loopback Bedrock fake, which the app's boto3
client calls through the endpoint given on the form; each item is asked once.
Skipped when /usr/bin/chromium is missing, like tests/browser/test_browser.py.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from core import demo
from core.catalog import users
from core.store import db
from tests.browser.conftest import Server
from tests.browser.test_browser import CHROMIUM, idle, sign_in
from tests.browser.test_browser import browser as browser  # the module-scoped Chromium fixture
from tests.browser.test_browser_own_migration import no_exception, open_page, widget
from tests.conftest import app_database

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]
playwright_api = pytest.importorskip("playwright.sync_api")

ITEMS = 60
WAIT = 60_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("jobs") / "app.duckdb"
    con = db.connect(app_database(path))
    demo.install(con, 20261126, n_items=ITEMS)
    users.seed(con, users.load_config(users.EXAMPLE_FILE))
    con.close()
    # boto3 in the app needs credentials to sign its calls; the fake accepts any.
    fake_aws = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    running = Server(path, env={**fake_aws, "AWS_DEFAULT_REGION": "us-east-1"})
    yield running
    running.stop()


def calls(fake) -> int:
    return sum(1 for r in fake.requests if r.path.endswith("/converse-stream"))


def test_a_run_goes_on_after_its_browser_closes_and_its_page_shows_the_outcome(
    browser, server, fake_bedrock
):
    fake = fake_bedrock(ttft_s=0.1, total_s=0.4)  # 60 items, 8 at a time: about 3 s
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, server.url, "owner")
    open_page(page, "Runs")
    widget(page, "runs.endpoint").locator("input").fill(fake.url)
    widget(page, "runs.name").locator("input").fill("closed-browser run")
    form = page.locator('[data-testid="stForm"]').filter(has_text="Estimate (dry run)")
    form.get_by_role("button", name="Run", exact=True).click()
    queued = page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="queued as job")
    queued.wait_for(timeout=WAIT)
    job_id = re.search(r"job (job-\w+)", queued.inner_text())[1]
    assert fake.url in widget(page, "runs.endpoint").locator("input").input_value()
    context.close()  # the SME's laptop lid: the page, its session and its websocket are gone
    closed_at = calls(fake)
    assert closed_at < ITEMS, "the run ended before the browser closed: nothing was shown"

    deadline = time.monotonic() + 60
    while calls(fake) < ITEMS and time.monotonic() < deadline:
        time.sleep(0.2)
    assert calls(fake) == ITEMS  # it went on without a browser, each item asked once

    page = browser.new_context().new_page()
    sign_in(page, server.url, "owner")
    open_page(page, "Runs")
    outcome = page.locator('[data-testid="stAlertContentSuccess"]').filter(
        has_text=f"{ITEMS} answered, 0 failed"
    )
    outcome.wait_for(timeout=WAIT)
    no_exception(page)
    line = page.locator('[data-testid="stMarkdownContainer"]').filter(
        has_text="Model run · closed-browser run"
    )
    assert "done" in line.first.inner_text()
    idle(page)
    assert calls(fake) == ITEMS
    assert job_id.startswith("job-")
    page.context.close()
