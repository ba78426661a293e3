"""The session cookie is the server's (issue 12, "What was seen" 3: "the cookie is readable by
page scripts"), in Chromium against ``streamlit run serve.py``.

After the password check the page sends the browser to /session/start with a single-use
grant; the server sets the cookie HttpOnly and SameSite=Strict and sends it back; sign-out ends
the session's row and /session/end clears the cookie. The cookie paths that the row decides (a
copy after sign-out, a forged cookie, a disabled user) are test_browser_sessions.py's.
"""

from __future__ import annotations

import os

import pytest

from tests.browser.conftest import demo_users_app
from tests.browser.test_browser import CHROMIUM, auth_cookie, idle, sign_in, wait_for
from tests.browser.test_browser import browser as browser  # the module-scoped Chromium fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium"),
]
playwright_api = pytest.importorskip("playwright.sync_api")


def signed_out_at(browser, url: str):
    """A new browser at ``url``, signed out, once the cookie component's rerun is over."""
    page = browser.new_context().new_page()
    page.goto(url)
    idle(page)
    page.wait_for_timeout(1000)  # the cookie component's rerun (see sign_in)
    idle(page)
    return page


def sign_in_here(page, username: str) -> None:
    """Sign in on the form on screen, with the demo user's published password."""
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(f"demo-{username}")
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = demo_users_app(tmp_path_factory.mktemp("auth"))
    yield running
    running.stop()


def test_page_scripts_cannot_read_the_session_cookie(browser, server):
    context = browser.new_context()
    page = context.new_page()
    grants = []
    page.on("request", lambda r: grants.append(r.url) if "/session/start" in r.url else None)
    sign_in(page, server.url, "owner")
    (cookie,) = auth_cookie(context)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
    assert len(cookie["value"]) > 100  # the signed token, not an empty placeholder
    script_view = page.evaluate("document.cookie")
    assert "switchyard_auth" not in script_view and cookie["value"] not in script_view
    assert grants and "grant=" in grants[0]
    page.reload()  # the server's cookie alone signs this browser in again
    idle(page)
    page.wait_for_selector("text=Signed in as", timeout=30_000)

    # The grant was good once: replayed in a fresh browser, it sets no cookie.
    other = browser.new_context()
    replay = other.new_page()
    replay.goto(grants[0])
    replay.get_by_label("Password", exact=True).wait_for(timeout=30_000)
    assert not auth_cookie(other)
    assert "Signed in as" not in replay.inner_text("body")
    other.close()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector("text=Signed out.", timeout=30_000)
    wait_for(lambda: not auth_cookie(context))  # cleared by the server's route
    page.get_by_label("Password", exact=True).wait_for(timeout=30_000)
    context.close()


@pytest.mark.parametrize(
    "back_to", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "data"]
)
def test_the_cookie_route_sends_the_browser_nowhere_but_this_app(browser, server, back_to):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server.url}/session/start?grant=made-up&next={back_to}")
    page.get_by_label("Password", exact=True).wait_for(timeout=30_000)
    assert page.url == server.url + "/"
    assert not auth_cookie(context)  # an unknown grant sets nothing
    context.close()


def test_a_deep_link_while_signed_out_shows_sign_in_then_the_page_asked_for(browser, server):
    # It once showed Streamlit's "Page not found" dialog over the form and sent the browser to
    # Home after sign-in. (The very first request a fresh server gets runs the page file
    # itself: test_a_fresh_servers_first_request_to_a_deep_link_signs_in_there.)
    first = browser.new_context().new_page()
    first.goto(server.url)
    idle(first)
    first.context.close()
    page = signed_out_at(browser, f"{server.url}/signoff")
    assert "Page not found" not in page.inner_text("body")
    sign_in_here(page, "manager")
    wait_for(lambda: "Signed in as Mia Manager" in page.inner_text("body"), 30)
    idle(page)
    assert page.url.endswith("/signoff") and "Page not found" not in page.inner_text("body")
    page.get_by_role("heading", name="Sign-off").wait_for(timeout=30_000)
    page.context.close()


@pytest.mark.parametrize(
    ("username", "path", "heading"), [("sme1", "review", "Review"), ("owner", "home", "Switchyard")]
)
def test_the_first_page_of_a_role_answers_at_its_own_address(
    browser, server, username, path, heading
):
    # Seen in the CI screenshots: an SME at /review met Streamlit's "Page not found" dialog
    # over the item, because the role's first page was registered as the default, which
    # answers only at the root.
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, server.url, username)
    page.goto(f"{server.url}/{path}")
    idle(page)
    page.wait_for_timeout(1000)  # the cookie component's rerun (see sign_in)
    idle(page)
    page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=30_000)
    assert "Page not found" not in page.inner_text("body")
    assert page.url.endswith(f"/{path}")
    page.goto(server.url)  # the root still runs the role's first page
    idle(page)
    page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=30_000)
    assert "Page not found" not in page.inner_text("body")
    context.close()


def test_a_fresh_servers_first_request_to_a_deep_link_signs_in_there(browser, tmp_path):
    # The very first request a fresh server gets runs the page file itself (app.py has not
    # registered its pages yet): it said only "Please sign in first.", without a form.
    fresh = demo_users_app(tmp_path)
    try:
        page = signed_out_at(browser, f"{fresh.url}/signoff")
        assert "Please sign in first." not in page.inner_text("body")
        sign_in_here(page, "manager")
        page.get_by_role("heading", name="Sign-off").wait_for(timeout=30_000)
        assert page.url.endswith("/signoff")
        # The cookie route ran: a reload stays signed in. (Until some session opens the app's
        # root, Streamlit keeps running the page file alone, without app.py's menu.)
        page.reload()
        idle(page)
        page.get_by_role("heading", name="Sign-off").wait_for(timeout=30_000)
        assert page.get_by_label("Password", exact=True).count() == 0
        page.goto(fresh.url)
        idle(page)
        wait_for(lambda: "Signed in as Mia Manager" in page.inner_text("body"), 30)
        page.context.close()
    finally:
        fresh.stop()
