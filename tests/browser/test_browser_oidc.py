"""Enterprise sign-in in a real browser: Streamlit's st.login against a local OpenID provider.

oidc-provider-mock runs on 127.0.0.1 (the test gives each subject its claims with a PUT, then
chooses the subject on the provider's authorization form); ``streamlit run serve.py`` on a copy
of the demo database reads a temporary secrets.toml pointing at it (STREAMLIT_SECRETS_FILES,
so the repository's own .streamlit is untouched). Skipped without /usr/bin/chromium.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from unittest import mock
from urllib.parse import quote

import pytest

from core.store import db
from tests.browser.conftest import Server, free_port, stop
from tests.browser.test_browser import CHROMIUM, idle, wait_for
from tests.browser.test_browser import browser as browser  # the module-scoped Chromium fixture
from tests.conftest import app_database

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
    pytest.mark.skipif(
        importlib.util.find_spec("oidc_provider_mock") is None,
        reason="needs oidc-provider-mock (requirements-dev.txt)",
    ),
]
playwright_api = pytest.importorskip("playwright.sync_api")

WAIT = 30_000
OWNER_PAGES = [
    "Home", "Data", "Sampling", "Calibration", "Runs", "Metrics", "Compare", "Sign-off", "Canary",
]  # fmt: skip
IDENTITY = """
[identity]
label = "Mock IdP"
groups_claim = "groups"

[identity.roles]
"switchyard-owners" = "eval_owner"
"switchyard-admins" = "admin"
"""


class Provider:
    """``python -m oidc_provider_mock`` on 127.0.0.1 (it allows plain http there)."""

    def __init__(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.metadata_url, timeout=2) as r:
                    assert json.load(r)["issuer"] == self.url
                    return
            except OSError:
                if time.monotonic() > deadline:
                    stop(self.proc)
                    raise
                time.sleep(0.2)

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def user(self, sub: str, **claims: object) -> None:
        """The claims the provider puts in ``sub``'s ID token."""
        request = urllib.request.Request(
            f"{self.url}/users/{quote(sub)}",
            data=json.dumps(claims).encode(),
            headers={"Content-Type": "application/json"},
            method="PUT",
        )
        with urllib.request.urlopen(request, timeout=5) as r:
            assert r.status == 204


@pytest.fixture(scope="module")
def provider():
    running = Provider()
    yield running
    stop(running.proc)


@pytest.fixture
def app(provider, demo_copy, tmp_path):
    """(server, database file): the app on a demo copy, signing in through ``provider``."""
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        # Streamlit puts its own port in place of {port}
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "switchyard"\n'
        'client_secret = "switchyard-test-secret"\n'
        f'server_metadata_url = "{provider.metadata_url}"\n' + IDENTITY,
        encoding="utf-8",
    )
    dbfile = demo_copy()
    with mock.patch.dict(os.environ, {"STREAMLIT_SECRETS_FILES": str(secrets_file)}):
        server = Server(dbfile)
    yield server, dbfile
    server.stop()


def sign_in_at_provider(page, app_url: str, provider_url: str, sub: str) -> None:
    """From the app's sign-in screen through the provider's form and back."""
    page.goto(app_url)
    idle(page)
    # The sign-in cookie component reruns the script once it has loaded: a click during
    # that rerun is lost, so click until the browser is at the provider.
    for _attempt in range(3):
        page.get_by_role("button", name="Sign in with Mock IdP").click(timeout=WAIT)
        try:
            page.wait_for_url(f"{provider_url}/**", timeout=10_000)
            break
        except playwright_api.TimeoutError:
            idle(page)
    else:
        raise AssertionError("the sign-in button did not lead to the provider")
    page.get_by_placeholder("sub").fill(sub, timeout=WAIT)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{app_url}/**", timeout=WAIT)
    idle(page)


def identity_cookie(context) -> list:
    return [c for c in context.cookies() if c["name"] == "_streamlit_user"]


def audit(dbfile: Path) -> list[tuple]:
    con = db.connect(app_database(dbfile))
    try:
        return con.execute(
            "SELECT actor, action, json_extract(after, '$.groups')::VARCHAR FROM audit"
            " WHERE action LIKE '%oidc' ORDER BY seq"
        ).fetchall()
    finally:
        con.close()


def test_owner_group_signs_in_to_the_owner_pages_and_signs_out(browser, provider, app):
    server, dbfile = app
    provider.user(
        "olivia", email="olivia@example.com", name="Olivia Owner", groups=["switchyard-owners"]
    )
    context = browser.new_context()
    page = context.new_page()
    sign_in_at_provider(page, server.url, provider.url, "olivia")

    page.wait_for_selector("text=Signed in as Olivia Owner (eval_owner)", timeout=WAIT)
    links = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]')
    # each link's text is its icon's ligature name, then the title
    assert [t.split()[-1] for t in links.all_inner_texts()] == OWNER_PAGES
    page.get_by_text("New migration").wait_for(timeout=WAIT)  # the owner's Home
    # Streamlit's server set the identity cookie: page scripts cannot read it
    (cookie,) = identity_cookie(context)
    assert cookie["httpOnly"]
    assert page.evaluate("document.cookie").find("_streamlit_user") == -1
    page.reload()
    idle(page)
    page.wait_for_selector("text=Signed in as Olivia Owner (eval_owner)", timeout=WAIT)

    page.get_by_role("button", name="Sign out").click()
    # the provider's end-session page, then back to the app, signed out
    page.get_by_role("button", name="End session").click(timeout=WAIT)
    page.wait_for_url(f"{server.url}/**", timeout=WAIT)
    idle(page)
    page.get_by_role("button", name="Sign in with Mock IdP").wait_for(timeout=WAIT)
    assert page.get_by_label("Password", exact=True).count() == 1  # the local fallback
    wait_for(lambda: not identity_cookie(context))
    page.reload()
    idle(page)
    assert "Signed in as" not in page.inner_text("body")
    context.close()
    server.stop()
    assert audit(dbfile) == [
        ("olivia@example.com", "sign_in_oidc", '["switchyard-owners"]'),
        ("olivia@example.com", "sign_out_oidc", None),
    ]
    # her local account, made at her first sign-in, is what work is keyed by
    con = db.connect(app_database(dbfile))
    try:
        row = con.execute(
            "SELECT name, roles, origin FROM app_user WHERE username = 'olivia@example.com'"
        ).fetchone()
    finally:
        con.close()
    assert row == ("Olivia Owner", ["eval_owner"], "oidc")


def test_an_unknown_group_is_refused_and_sees_no_data(browser, provider, app):
    server, dbfile = app
    provider.user("mallory", email="mallory@example.com", name="Mallory", groups=["contractors"])
    context = browser.new_context()
    page = context.new_page()
    sign_in_at_provider(page, server.url, provider.url, "mallory")

    page.wait_for_selector("text=Access refused.", timeout=WAIT)
    body = page.inner_text("body")
    assert "mallory@example.com: none of your groups (contractors) has a role" in body
    assert "Signed in as" not in body
    assert page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]').count() == 0
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    for secret in ("Financial Q&A", "fin-0", "Response A", "New migration", "Claude", "Nova"):
        assert secret not in body
    # a deep link is refused the same way, before the page runs
    page.goto(f"{server.url}/data")
    idle(page)
    page.wait_for_selector("text=Access refused.", timeout=WAIT)
    assert page.locator("h1:has-text('Data')").count() == 0

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click(timeout=WAIT)
    page.wait_for_url(f"{server.url}/**", timeout=WAIT)
    idle(page)
    page.get_by_role("button", name="Sign in with Mock IdP").wait_for(timeout=WAIT)
    context.close()
    server.stop()
    # one refusal, however many pages the refused user opened
    assert audit(dbfile) == [("mallory@example.com", "refuse_oidc", '["contractors"]')]
