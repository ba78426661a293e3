"""Sessions with a server side (issue 12, item 3), in Chromium against ``streamlit run``.

The cookie only names a session the database keeps: a copy taken before sign-out is refused
after it, a cookie signed with the published example key (or any other wrong key) is refused
even when it names a live session, and a user disabled by an admin is signed out at their next
click. A forbidden page saying so is test_browser.py's
test_menu_is_the_roles_pages_and_a_forbidden_page_says_so.
"""

from __future__ import annotations

import os
import time

import jwt
import pytest

from core.catalog import users
from tests.browser.conftest import demo_users_app
from tests.browser.test_browser import CHROMIUM, auth_cookie, idle, sign_in, wait_for
from tests.browser.test_browser import browser as browser  # the module-scoped Chromium fixture
from tests.conftest import ON_POSTGRES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium"),
]
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a database holding the demo users only (no demo migration: faster)."""
    running = demo_users_app(tmp_path_factory.mktemp("sessions"))
    running.key_file = running.dbfile.parent / users.KEY_FILE  # generated on first start
    yield running
    running.stop()


def app_key(server) -> str:
    """The key the app signs cookies with: generated beside the DuckDB file on first start;
    on PostgreSQL the one every app process is given (SWITCHYARD_COOKIE_KEY)."""
    if ON_POSTGRES:
        return os.environ["SWITCHYARD_COOKIE_KEY"]
    assert oct(server.key_file.stat().st_mode & 0o777) == "0o600"
    return server.key_file.read_text().strip()


def cookie_of(context) -> str:
    """The sign-in cookie's value, once the cookie component has stored it."""
    wait_for(lambda: auth_cookie(context), seconds=20)
    return auth_cookie(context)[0]["value"]


def with_cookie(browser, server, token: str):
    """A fresh browser (no session of its own) holding ``token`` as the sign-in cookie."""
    context = browser.new_context()
    context.add_cookies([{"name": "switchyard_auth", "value": token, "url": server.url}])
    return context


def shows_signed_in(context, url: str) -> bool:
    """Open ``url`` in ``context``; True when the app signs in from the cookie alone."""
    page = context.new_page()
    page.goto(url)
    idle(page)
    page.wait_for_timeout(1000)  # the cookie component's rerun, as in sign_in
    idle(page)
    body = page.inner_text("body")
    if "Signed in as" in body:
        return True
    assert "Please sign in first." in body or page.get_by_label("Password", exact=True).count()
    return False


def test_a_cookie_copied_before_sign_out_is_refused_after_it(browser, server):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, server.url, "owner")
    copied = cookie_of(context)
    # The copy works while the session is open: a fresh browser is signed in by it alone.
    elsewhere = with_cookie(browser, server, copied)
    assert shows_signed_in(elsewhere, server.url)
    elsewhere.close()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector("text=Signed out.", timeout=30_000)
    wait_for(lambda: not auth_cookie(context))
    context.close()
    for path in ("", "/data"):
        again = with_cookie(browser, server, copied)
        assert not shows_signed_in(again, server.url + path)
        again.close()


@pytest.fixture(scope="module")
def live_token(browser, server):
    """The cookie of manager's open session, for the forgeries to name."""
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, server.url, "manager")
    yield cookie_of(context)
    context.close()


def forge(token: str, key: str, username: str) -> str:
    """``token``'s claims (its live session id included) for ``username``, signed with ``key``."""
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(username=username, exp_date=time.time() + 3600)
    return jwt.encode(claims, key, algorithm="HS256")


WRONG_KEY = "a-wrong-key-of-plenty-length-0123456789"


@pytest.mark.filterwarnings("ignore:The HMAC key is 29 bytes long")  # the example key
@pytest.mark.parametrize(
    ("key", "username"),
    [
        ("example", "admin"),
        ("example", "manager"),
        ("wrong", "admin"),
        ("wrong", "manager"),
        ("app", "admin"),  # the right key, but the session is manager's
    ],
)
def test_a_forged_cookie_is_refused(browser, server, live_token, key, username):
    secret = {"example": users.EXAMPLE_COOKIE_KEY, "wrong": WRONG_KEY}.get(key)
    secret = secret or app_key(server)
    context = with_cookie(browser, server, forge(live_token, secret, username))
    assert not shows_signed_in(context, server.url)
    assert not shows_signed_in(context, server.url + "/admin")
    context.close()


def test_the_same_claims_under_the_apps_key_sign_in(browser, server, live_token):
    # The control for the forgeries above: they fail for their key or user, nothing else.
    token = forge(live_token, app_key(server), "manager")
    context = with_cookie(browser, server, token)
    assert shows_signed_in(context, server.url)
    context.close()


def disable(browser, server, username: str) -> None:
    """An admin disables ``username`` on the Users page, in a browser of their own."""
    page = browser.new_context().new_page()
    sign_in(page, server.url, "admin")
    page.goto(f"{server.url}/admin")
    idle(page)
    form = page.locator('[data-testid="stForm"]').filter(has_text="Change a user")
    for _attempt in range(3):  # the list opens once the widget has hydrated
        form.locator('[data-testid="stSelectbox"]').click()
        try:
            page.get_by_role("option", name=f"{username} (").click(timeout=5_000)
            break
        except playwright_api.TimeoutError:
            idle(page)
    else:
        raise AssertionError("the user list did not open")
    form.get_by_text("Disabled (cannot sign in)").click()
    form.get_by_role("button", name="Save").click()
    page.wait_for_selector(f"text=User {username} updated.", timeout=30_000)
    page.context.close()


def test_a_disabled_user_is_signed_out_at_their_next_click(browser, server):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, server.url, "sme1")
    disable(browser, server, "sme1")
    link = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]')
    link.filter(has_text="Review").click()  # the next click, in the same browser session
    idle(page)
    page.wait_for_timeout(500)
    idle(page)
    body = page.inner_text("body")
    assert "Signed in as" not in body
    assert "Please sign in first." in body or page.get_by_label("Password", exact=True).count() == 1
    assert not shows_signed_in(context, server.url)  # nor does its cookie sign in again
    context.close()
