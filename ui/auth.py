"""The sign-in guard every page calls first thing.

Sign-in with streamlit-authenticator and roles arrive with the review work; until then
this is the one place it plugs in: ``require`` returns the signed-in user or stops the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

ROLES = ("sme", "eval_owner", "manager", "admin")


@dataclass(frozen=True)
class User:
    username: str
    name: str
    roles: tuple[str, ...]


def current_user() -> User | None:
    # Placeholder until sign-in lands: a local evaluation owner with every role.
    return User("local", "Local user", ROLES)


def require(*roles: str) -> User:
    """The signed-in user if they hold one of ``roles``; otherwise the page stops here."""
    user = current_user()
    if user is None:
        st.warning("Please sign in.")
        st.stop()
    if roles and not set(roles) & set(user.roles):
        st.error("Your role does not give access to this page.")
        st.stop()
    return user
