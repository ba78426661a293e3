"""The cookie routes serve.py mounts (ui.session_routes), through Starlette's test client: a
grant sets the session cookie once, HttpOnly and SameSite=Strict, Secure when the browser
speaks HTTPS (directly or through a proxy that ends TLS); sign-out's route clears it. The same
in Chromium: tests/browser/test_browser_auth.py."""

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.catalog import sessions


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.setenv("SWITCHYARD_DB", str(tmp_path / "routes.duckdb"))
    monkeypatch.setenv("SWITCHYARD_DEMO", "0")
    from ui import session_routes, store

    monkeypatch.setattr(session_routes, "_mounted", False)  # restored: AppTests stay unmounted
    with TestClient(Starlette(routes=session_routes.routes()), base_url="http://testserver") as c:
        yield c, store.cursor(), session_routes


def test_a_grant_sets_the_httponly_cookie_once(client):
    c, con, routes = client
    session = sessions.sign_in(con, "sme1", "demo-sme1", 12)
    url = routes.start_url(sessions.grant(con, session), "/review")
    first = c.get(url, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/review"
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("switchyard_auth=") and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie and "Secure" not in cookie  # plain http here
    assert "Max-Age=43200" in cookie  # 12 hours
    value = cookie.split(";")[0].split("=", 1)[1]
    assert sessions.read_cookie(value, routes.store.auth_config().cookie_key) == session
    again = c.get(url, follow_redirects=False)
    assert again.status_code == 303 and "set-cookie" not in again.headers


@pytest.mark.parametrize(
    "headers", [{"x-forwarded-proto": "https"}, {"x-forwarded-proto": "https, http"}]
)
def test_the_cookie_is_secure_behind_https(client, headers):
    c, con, routes = client
    session = sessions.sign_in(con, "owner", "demo-owner", 12)
    url = routes.start_url(sessions.grant(con, session), "/")
    response = c.get(url, headers=headers, follow_redirects=False)
    assert "Secure" in response.headers["set-cookie"]


def test_sign_out_route_clears_the_cookie(client):
    c, _, routes = client
    response = c.get(routes.END, follow_redirects=False)
    assert response.headers["location"] == "/?signed_out=1"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith('switchyard_auth="";') and "Max-Age=0" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
