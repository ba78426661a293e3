"""The server's two sign-in routes, mounted by serve.py (``st.App``): the session cookie is set
and cleared by the server, HttpOnly and SameSite=Strict (Secure over HTTPS), so no page script
can read or write it.

``/session/start?grant=…`` exchanges the single-use grant the sign-in form made after the
password check (core.catalog.sessions.grant) for the cookie, then sends the browser back to
the page it came from; ``/session/end`` clears the cookie after the sign-out ended the session's
row. Neither trusts the browser: a spent, expired or unknown grant sets nothing, and the row,
not the cookie, decides at every page run.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Route

from core.catalog import sessions
from core.errors import SwitchyardError
from ui import store

START = "/session/start"
END = "/session/end"
SIGNED_OUT = "signed_out"  # the query parameter the sign-in page reads after END
_mounted = False  # set when serve.py builds the server: the routes answer


def routes() -> list[BaseRoute]:
    """The routes for ``st.App(..., routes=...)``."""
    global _mounted
    _mounted = True
    return [Route(START, start), Route(END, end)]


def mounted() -> bool:
    """True when the app runs under serve.py (``streamlit run app.py`` has no routes)."""
    return _mounted


def start_url(grant: str, back_to: str) -> str:
    return f"{START}?grant={quote(grant, safe='')}&next={quote(back_to, safe='/')}"


def _back_to(raw: str | None) -> str:
    """A path of this app to return to; anything else (another site, ``//host``) is "/"."""
    parts = urlsplit(raw or "/")
    path = parts.path
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//"):
        return "/"
    return "/" if "\\" in path else path


def _https(request: Request) -> bool:
    # behind a proxy that ends TLS, the browser still speaks HTTPS
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
    return request.url.scheme == "https" or forwarded == "https"


def _redirect(to: str) -> RedirectResponse:
    response = RedirectResponse(to, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the grant stays out of referrers
    return response


def start(request: Request) -> RedirectResponse:
    """Set the session cookie for a valid grant, then go back to the app."""
    response = _redirect(_back_to(request.query_params.get("next")))
    grant = request.query_params.get("grant", "")
    try:
        config = store.auth_config()
        session = sessions.redeem(store.cursor(), grant) if grant else None
    except SwitchyardError:
        return response  # the page the browser lands on says what is wrong
    if session is not None:
        response.set_cookie(
            config.cookie_name,
            sessions.cookie_value(session, config.cookie_key, config.session_hours),
            max_age=int(config.session_hours * 3600),
            path="/",
            secure=_https(request),
            httponly=True,
            samesite="strict",
        )
    return response


def end(request: Request) -> RedirectResponse:
    """Clear the session cookie (sign-out has ended its row), then show the sign-in page."""
    response = _redirect(f"/?{SIGNED_OUT}=1")
    response.delete_cookie(
        store.auth_config().cookie_name,
        path="/",
        secure=_https(request),
        httponly=True,
        samesite="strict",
    )
    return response
