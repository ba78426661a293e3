"""Nothing leaves 127.0.0.1: every page of every role, in Chromium, with each request recorded.

An air-gapped deployment (or one that must not tell a third party who opens it) needs every
icon, font and script served by the app itself. Requests to other hosts are recorded and
aborted, so the test never reaches the internet; the page's favicon link is checked too,
since a browser may fetch it lazily.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.browser.conftest import Server
from tests.browser.test_browser import ARGS, CHROMIUM, idle, playwright_api, sign_in
from ui import navigation

pytestmark = [pytest.mark.browser]

LOCAL = {"127.0.0.1"}
LOCAL_SCHEMES = {"data", "blob", "about"}
ROLE_USERS = {"admin": "admin", "eval_owner": "owner", "manager": "manager", "sme": "sme1"}


def outside(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme not in LOCAL_SCHEMES and parsed.hostname not in LOCAL


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # A fresh database: the app builds the demo, as on a first start.
    running = Server(tmp_path_factory.mktemp("offline") / "app.duckdb")
    yield running
    running.stop()


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_no_page_requests_anything_outside_127_0_0_1(server, role):
    left: list[str] = []
    icons: list[str] = []

    def guard(route) -> None:
        if outside(route.request.url):
            left.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.route("**/*", guard)
        page = context.new_page()
        page.on("request", lambda r: left.append(r.url) if outside(r.url) else None)
        sign_in(page, server.url, ROLE_USERS[role])
        for spec in navigation.pages_for([role]):
            page.goto(f"{server.url}/{spec.url}")
            idle(page)
            page.wait_for_timeout(500)  # lazy assets: charts, fonts, the favicon
            icons += page.eval_on_selector_all(
                "link[rel~='icon']", "links => links.map(l => l.href)"
            )
        browser.close()
    assert not sorted(set(left)), f"{role}: requests left 127.0.0.1: {sorted(set(left))}"
    assert not [i for i in icons if outside(i)], f"{role}: external favicon {set(icons)}"
