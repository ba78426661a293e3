"""Enterprise sign-in through Streamlit's own ``st.login`` (OpenID Connect: Okta, Entra ID,
Cognito, Google), configured by the ``[auth]`` section of ``.streamlit/secrets.toml``.

Streamlit runs the exchange with the provider and keeps the claims in a cookie its server
sets (HttpOnly, signed with ``auth.cookie_secret``); ``st.user`` reads it when a browser
session starts. Here the claims become a user with roles (core.catalog.identity, from the
``[identity]`` section), each sign-in and refusal is audited, and the buttons are drawn.
ui.auth calls this first, so the password form stays the fallback beside it.
"""

from __future__ import annotations

from typing import Any, NoReturn

import streamlit as st

from core.catalog import identity
from core.errors import SwitchyardError
from ui import store

RECORDED = "oidc.recorded"  # the ID token this browser session has audited


def _secrets() -> dict[str, Any]:
    # load_if_toml_exists is False without a secrets file; reading st.secrets then raises.
    return st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}


def configured() -> bool:
    """True when secrets.toml has an ``[auth]`` section: the provider's button is offered."""
    return bool(_secrets().get("auth"))


def _role_map() -> identity.RoleMap:
    """The group-to-role mapping; a broken one stops the page with its message."""
    try:
        return identity.role_map(_secrets().get("identity"))
    except SwitchyardError as exc:
        st.error(f"Sign-in is misconfigured: {exc}")
        st.stop()


def signed_in_user() -> identity.Identity | None:
    """The user ``st.login`` signed in, as their local account (identity.link) with the roles
    their groups give; None when nobody signed in that way. An account whose groups give no
    role, or whose local account an admin disabled, is refused here: the page says why,
    offers to sign out, and stops, showing nothing else."""
    if not configured() or not st.user.is_logged_in:
        return None
    outcome = identity.resolve(st.user.to_dict(), _role_map())
    con = store.cursor()
    if st.session_state.get(RECORDED) != outcome.sign_in_id:
        identity.record(con, outcome)
        st.session_state[RECORDED] = outcome.sign_in_id
    if isinstance(outcome, identity.Refusal):
        _refuse(outcome.message)
    linked = identity.link(con, outcome)  # every run: a disabled account stops at once
    if linked is None:
        _refuse(f"{outcome.username}: your account is disabled. Ask an administrator.")
    return linked


def _refuse(message: str) -> NoReturn:
    st.title("Switchyard")
    st.error(f"Access refused. {message}", icon=":material/block:")
    if st.button("Sign out", key="oidc.refused_sign_out", icon=":material/logout:"):
        st.logout()
    st.stop()


def login_button() -> None:
    """ "Sign in with <provider>" above the password form, when ``[auth]`` is configured.

    The label is ``[identity] label`` (e.g. "Okta"), else "your identity provider".
    """
    if not configured():
        return
    _role_map()  # say so now if the mapping is broken, not after the round trip
    label = _secrets().get("identity", {}).get("label") or "your identity provider"
    if st.button(f"Sign in with {label}", key="oidc.sign_in", icon=":material/badge:"):
        st.login()


def sign_out_button() -> bool:
    """The sidebar's sign-out for a user ``st.login`` signed in; False, drawing nothing, for
    anyone else. Signing out also ends the session at the provider when it offers an
    end-session endpoint (Streamlit redirects there)."""
    user = signed_in_user()
    if user is None:
        return False
    if st.sidebar.button("Sign out", key="oidc.sign_out", icon=":material/logout:"):
        identity.record_sign_out(store.cursor(), user)
        st.session_state.pop(RECORDED, None)
        st.logout()
        st.info("Signed out.")
        st.stop()
    return True
