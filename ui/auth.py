"""Sign-in (streamlit-authenticator's cookie, our server-side sessions) and the role guard
every page calls first thing.

A deep link reaches ``pages/x.py`` directly until app.py's first ``st.navigation`` run, so
``require`` does not trust the router: it re-checks the sign-in itself. The cookie is set by
page script (so it cannot be HttpOnly) and only carries a session id: every page run checks
that session's row (core.catalog.sessions), so sign-out, a password or role change and
disabling the user end every copy of the cookie at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import jwt
import streamlit as st
import streamlit_authenticator as stauth

from core.catalog import sessions, users
from core.errors import NotFoundError
from core.types import Role
from ui import oidc, store

SESSION_KEYS = ("authentication_status", "username", "name", "roles")
SESSION_ID = "auth.session"  # this browser session's server-side session id


@dataclass(frozen=True)
class User:
    username: str
    name: str
    roles: tuple[Role, ...]


def authenticator() -> stauth.Authenticate:
    config = store.auth_config()
    return stauth.Authenticate(
        users.credentials(store.cursor()),
        config.cookie_name,
        config.cookie_key,
        config.session_hours / 24,
        auto_hash=False,  # the credentials hold bcrypt hashes only
        login_sleep_time=0,  # else a deep link waits, then lands on Home
    )


def _from_cookie() -> tuple[str, str] | None:
    """(username, session id) from a validly signed, unexpired sign-in cookie.

    Read here, without building the authenticator: it renders a cookie component, and a
    page run may build it only once.
    """
    if st.session_state.get("logout"):
        return None
    config = store.auth_config()
    token = st.context.cookies.get(config.cookie_name)
    if not token:
        return None
    try:
        claims = jwt.decode(token, config.cookie_key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    username, session_id = claims.get("username"), claims.get("sid")
    if not (isinstance(username, str) and isinstance(session_id, str)):
        return None  # no session id: a cookie from before sessions, or forged
    if not isinstance(claims.get("exp_date"), int | float):
        return None
    if claims["exp_date"] <= datetime.now().timestamp():
        return None
    return username, session_id


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
        st.warning("Please sign in first.")
        st.markdown("[Go to the sign-in page](/)")
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

    The password check, throttle and audit are core's (sessions.sign_in); streamlit-
    authenticator's cookie component writes the cookie. The form is ours: the library's sets
    the cookie inside the form's container and then needs a rerun, and either way the cookie
    component would be gone before the browser stored the cookie (a reload would then ask
    for the password again).
    """
    login = authenticator()  # renders the cookie component, outside the form's placeholder
    placeholder = st.empty()
    session = None
    with placeholder.container():
        st.title("Switchyard")
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
        if st.session_state.get("auth.signed_out") and not submitted:
            # The cookie component reports the browser's cookies as it mounts, which reruns
            # the script: a rerun before the sign-out run's deletion ran drops it, and a
            # reload would sign in again. Keep deleting while this session is signed out.
            login.cookie_controller.delete_cookie()
        return None
    st.session_state.pop("auth.signed_out", None)
    st.session_state.update(
        {
            "authentication_status": True,
            "username": session.username,
            "logout": None,
            SESSION_ID: session.session_id,
        }
    )
    _set_cookie(login, session)
    placeholder.empty()
    return current_user()


def _set_cookie(login: stauth.Authenticate, session: sessions.Session) -> None:
    """The signed cookie: who, which session, until when (the library's own token has no
    session id)."""
    config = store.auth_config()
    expires = datetime.now() + timedelta(hours=config.session_hours)
    claims = {"username": session.username, "sid": session.session_id}
    token = jwt.encode(
        {**claims, "exp_date": expires.timestamp()}, config.cookie_key, algorithm="HS256"
    )
    manager = login.cookie_controller.cookie_model.cookie_manager
    manager.set(config.cookie_name, token, expires_at=expires)


def signed_out_page() -> None:
    """The only page before sign-in: the form above it says everything."""


def sign_out(user: User) -> None:
    """Sidebar: who is signed in, and the sign-out button."""
    st.sidebar.caption(f"Signed in as **{user.name}** ({', '.join(user.roles)})")
    if oidc.sign_out_button():
        return
    if st.sidebar.button("Sign out", key="auth.sign_out", icon=":material/logout:"):
        session_id = st.session_state.pop(SESSION_ID, None)
        if session_id:  # ends every copy of the cookie, not only this browser's
            sessions.sign_out(store.cursor(), session_id, user.username)
        authenticator().logout(location="unrendered")
        st.session_state["auth.signed_out"] = True
        # st.stop, not st.rerun: a rerun drops the cookie deletion and a reload signs in again.
        st.info("Signed out.")
        st.stop()
