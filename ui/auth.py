"""Sign-in (streamlit-authenticator) and the role guard every page calls first thing.

A deep link reaches ``pages/x.py`` directly until app.py's first ``st.navigation`` run, so
``require`` does not trust the router: it re-checks the sign-in cookie and the role itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import jwt
import streamlit as st
import streamlit_authenticator as stauth

from core.catalog import users
from core.errors import NotFoundError
from core.types import Role
from ui import store

SESSION_KEYS = ("authentication_status", "username", "name", "roles")


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
        config.cookie_expiry_days,
        auto_hash=False,  # the credentials hold bcrypt hashes only
        login_sleep_time=0,  # else a deep link waits, then lands on Home
    )


def _from_cookie() -> str | None:
    """The username in a valid sign-in cookie (the JWT streamlit-authenticator sets).

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
    if claims.get("exp_date", 0) <= datetime.now().timestamp():
        return None
    return claims.get("username")


def current_user() -> User | None:
    """The signed-in user (from this session or the sign-in cookie), else None."""
    username = st.session_state.get("username")
    if not st.session_state.get("authentication_status"):
        username = _from_cookie()
    if not username:
        return None
    # Roles come from the database, not the session or cookie: a disabled user or a removed
    # role takes effect at the next page run.
    try:
        record = users.get(store.cursor(), username)
    except NotFoundError:
        return None
    if record.disabled:
        return None
    st.session_state.update(
        authentication_status=True,
        username=record.username,
        name=record.name,
        roles=list(record.roles),
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
            "The example cookie key is in use: set SWITCHYARD_COOKIE_KEY or config/"
            "auth.yaml before real use.",
            icon=":material/key:",
        )


def sign_in_form() -> User | None:
    """The sign-in form; on success it clears itself and returns the user, in the same run.

    streamlit-authenticator checks the password and writes the cookie, but the form is ours:
    its own form sets the cookie inside the form's container and then needs a rerun, and
    either way the cookie component would be gone before the browser stored the cookie (a
    reload would then ask for the password again).
    """
    login = authenticator()  # renders the cookie component, outside the form's placeholder
    placeholder = st.empty()
    with placeholder.container():
        st.title("Switchyard")
        warn_if_demo()
        with st.form("auth.login"):
            st.subheader("Sign in")
            username = st.text_input("Username", autocomplete="username")
            password = st.text_input("Password", type="password", autocomplete="current-password")
            submitted = st.form_submit_button("Sign in", type="primary")
        if submitted and not login.authentication_controller.login(username.strip(), password):
            st.error("Username or password is wrong.")
    if not (submitted and st.session_state.get("authentication_status")):
        if st.session_state.get("auth.signed_out") and not submitted:
            # The cookie component reports the browser's cookies as it mounts, which reruns
            # the script: a rerun before the sign-out run's deletion ran drops it, and a
            # reload would sign in again. Keep deleting while this session is signed out.
            login.cookie_controller.delete_cookie()
        return None
    st.session_state.pop("auth.signed_out", None)
    login.cookie_controller.set_cookie()
    placeholder.empty()
    return current_user()


def signed_out_page() -> None:
    """The only page before sign-in: the form above it says everything."""


def sign_out(user: User) -> None:
    """Sidebar: who is signed in, and the sign-out button."""
    st.sidebar.caption(f"Signed in as **{user.name}** ({', '.join(user.roles)})")
    if st.sidebar.button("Sign out", key="auth.sign_out", icon=":material/logout:"):
        authenticator().logout(location="unrendered")
        st.session_state["auth.signed_out"] = True
        # st.stop, not st.rerun: a rerun drops the cookie deletion and a reload signs in again.
        st.info("Signed out.")
        st.stop()
