"""Sign-in (our server-side sessions, the password form and the HttpOnly cookie) and the role
guard every page calls first thing.

A deep link reaches ``pages/x.py`` directly until app.py's first ``st.navigation`` run, so
``require`` does not trust the router: it re-checks the sign-in itself. The cookie is set and
cleared by the server (ui.session_routes, mounted by serve.py): HttpOnly, so no page script
reads it. It only carries a session id: every page run checks that session's row
(core.catalog.sessions), so sign-out, a password or role change and disabling the user end
every copy of the cookie at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import duckdb
import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.catalog import sessions, users
from core.errors import NotFoundError
from core.types import Role
from ui import oidc, session_routes, store

SESSION_KEYS = ("authentication_status", "username", "name", "roles")
SESSION_ID = "auth.session"  # this browser session's server-side session id


@dataclass(frozen=True)
class User:
    username: str
    name: str
    roles: tuple[Role, ...]


def _from_cookie() -> tuple[str, str] | None:
    """(username, session id) from a validly signed, unexpired, server-set sign-in cookie."""
    config = store.auth_config()
    session = sessions.read_cookie(st.context.cookies.get(config.cookie_name), config.cookie_key)
    return None if session is None else (session.username, session.session_id)


def _this_session(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """(username, session id) this run claims: from session state, else from the cookie."""
    if not st.session_state.get("authentication_status"):
        return _from_cookie()
    username = st.session_state.get("username")
    session_id = st.session_state.get(SESSION_ID)
    if username and not session_id:
        # Signed in in this server's memory without a session (a page test's helper): give
        # it one, so it is checked, and ended, like any other.
        try:
            if users.get(con, username).disabled:
                return None
        except NotFoundError:
            return None
        session_id = sessions.start(
            con, username, store.auth_config().session_hours, via="server"
        ).session_id
    return (username, session_id) if username else None


def _forget() -> None:
    """Drop an ended sign-in from this browser session's state."""
    for key in SESSION_KEYS:
        st.session_state[key] = None
    st.session_state.pop(SESSION_ID, None)


def current_user() -> User | None:
    """The signed-in user (from this session or the sign-in cookie), else None."""
    enterprise = oidc.signed_in_user()  # st.login first; the password sign-in is the fallback
    if enterprise is not None:
        return User(enterprise.username, enterprise.name, enterprise.roles)
    con = store.cursor()
    claimed = _this_session(con)
    if claimed is None:
        return None
    username, session_id = claimed
    # The session row decides, not the session state or the cookie: an ended session (sign-out,
    # password or role change, disabled user) or an expired one signs out at this run.
    if not sessions.check(con, session_id, username):
        if st.session_state.get("authentication_status"):
            _forget()
        return None
    record = users.get(con, username)  # roles from the database, as of this run
    st.session_state.update(
        {
            "authentication_status": True,
            "username": record.username,
            "name": record.name,
            "roles": list(record.roles),
            SESSION_ID: session_id,
        }
    )
    return User(record.username, record.name, record.roles)


def require(*roles: Role) -> User:
    """The signed-in user if they hold one of ``roles``; otherwise the page stops here."""
    user = current_user()
    if user is None:
        # Before app.py's first run a fresh server runs a deep link's page file itself: it
        # shows the sign-in form here (it once said only "Please sign in first.").
        # Signed in, the form sends the browser through the cookie route back to this page.
        if sign_in_form() is not None and not session_routes.mounted():
            st.rerun()
        st.stop()
    if roles and not set(roles) & set(user.roles):
        st.error(f"Your role ({', '.join(user.roles)}) has no access to this page.")
        st.stop()
    return user


def warn_if_demo() -> None:
    """While demo users or the example cookie key are in use, say so on every page."""
    demo = users.demo_users_enabled(store.cursor())
    if demo:
        st.warning(
            f"Demo sign-in in use: the users {', '.join(demo)} have published passwords. "
            "An admin should disable them (Users page) and add real ones.",
            icon=":material/lock_open:",
        )
    if store.auth_config().example_key:
        st.warning(
            "The published example cookie key is configured (allowed while the demo is on):"
            " remove it from SWITCHYARD_COOKIE_KEY or config/auth.yaml to have a random key"
            " generated, or set your own.",
            icon=":material/key:",
        )


def sign_in_form() -> User | None:
    """The sign-in form; on success it clears itself and returns the user, in the same run.

    The password check, throttle and audit are core's (sessions.sign_in). This browser session
    is signed in at once; the cookie that keeps it across reloads is the server's: the form
    sends the browser, with a single-use grant, to the route that sets it, then back here.
    """
    placeholder = st.empty()
    session = None
    with placeholder.container():
        st.title("Switchyard")
        if st.query_params.get(session_routes.SIGNED_OUT):
            st.info("Signed out.")
        warn_if_demo()
        oidc.login_button()
        with st.form("auth.login"):
            st.subheader("Sign in")
            username = st.text_input("Username", autocomplete="username", max_chars=64)
            password = st.text_input("Password", type="password", autocomplete="current-password")
            submitted = st.form_submit_button("Sign in", type="primary")
        if submitted:
            try:
                session = sessions.sign_in(
                    store.cursor(), username, password, store.auth_config().session_hours
                )
            except sessions.SignInRefused as exc:
                st.error(str(exc))
    if session is None:
        store.warm_up()
        return None
    st.session_state.update(
        {
            "authentication_status": True,
            "username": session.username,
            SESSION_ID: session.session_id,
        }
    )
    placeholder.empty()
    _keep(session)
    return current_user()


def _keep(session: sessions.Session) -> None:
    """Send the browser to the route that sets ``session``'s HttpOnly cookie, and back to
    this page; without serve.py's routes, say the sign-in ends at the next reload."""
    if not session_routes.mounted():
        st.warning(
            "Started with `streamlit run app.py`: this sign-in lasts until the page is"
            " reloaded. Start the app with `streamlit run serve.py` to stay signed in."
        )
        return
    grant = sessions.grant(store.cursor(), session)
    path = urlsplit(st.context.url or "/").path
    _go(session_routes.start_url(grant, "/" if path.rstrip("/").endswith("/signin") else path))


def _go(url: str) -> None:
    """Send the browser to ``url`` of this server (the message st.login sends for its own
    redirect: the browser's ``window.location`` becomes ``url``)."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        message = ForwardMsg()
        message.auth_redirect.url = url
        ctx.enqueue(message)


def signed_out_page() -> None:
    """The only page before sign-in: the form above it says everything."""


def sign_out(user: User) -> None:
    """Sidebar: who is signed in, and the sign-out button."""
    st.sidebar.caption(f"Signed in as **{user.name}** ({', '.join(user.roles)})")
    if oidc.sign_out_button():
        return
    if st.sidebar.button("Sign out", key="auth.sign_out", icon=":material/logout:"):
        session_id = st.session_state.get(SESSION_ID)
        if session_id:  # ends every copy of the cookie, not only this browser's
            sessions.sign_out(store.cursor(), session_id, user.username)
        _forget()
        st.info("Signed out.")
        if session_routes.mounted():
            _go(session_routes.END)  # the server clears the cookie, then shows the sign-in
        st.stop()
