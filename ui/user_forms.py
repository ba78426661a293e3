"""The Users page's forms: add a user, change one (roles, disabled, password), unlock a
sign-in locked by failed attempts."""

from __future__ import annotations

import streamlit as st

from core.catalog import sessions, users
from core.errors import SwitchyardError
from core.types import ROLES


def add_user(con, actor: str) -> None:
    with st.form("admin.add", clear_on_submit=True):
        st.subheader("Add a user")
        left, right = st.columns(2)
        username = left.text_input("Username", key="admin.add.username")
        name = right.text_input("Full name", key="admin.add.name")
        email = left.text_input("Email", key="admin.add.email")
        password = right.text_input(
            "Password (10+ characters)", type="password", key="admin.add.password"
        )
        roles = st.multiselect("Roles", ROLES, key="admin.add.roles")
        if st.form_submit_button("Add user"):
            try:
                users.add(
                    con,
                    username.strip(),
                    name.strip(),
                    password,
                    roles,
                    actor=actor,
                    email=email.strip() or None,
                )
                st.success(f"User {username} added.")
            except SwitchyardError as exc:
                st.error(str(exc))


def change_user(con, actor: str, listed: list) -> None:
    with st.form("admin.edit"):
        st.subheader("Change a user")
        target = st.selectbox(
            "User", listed, key="admin.edit.user", format_func=lambda u: f"{u.username} ({u.name})"
        )
        roles = st.multiselect("Roles", ROLES, default=list(target.roles), key="admin.edit.roles")
        disabled = st.checkbox(
            "Disabled (cannot sign in)", value=target.disabled, key="admin.edit.disabled"
        )
        password = st.text_input(
            "New password (leave empty to keep)", type="password", key="admin.edit.password"
        )
        st.caption("Disabling, a new password or new roles sign the user out everywhere at once.")
        if st.form_submit_button("Save"):
            try:
                users.update(
                    con,
                    target.username,
                    actor=actor,
                    roles=roles,
                    disabled=disabled,
                    password=password or None,
                )
                st.success(f"User {target.username} updated.")
            except SwitchyardError as exc:
                st.error(str(exc))


def unlock_user(con, actor: str) -> None:
    """Names locked by failed sign-ins (users, or names someone guessed), and their unlock."""
    locked = sessions.locked_users(con)
    if not locked:
        return
    with st.form("admin.unlock"):
        st.subheader("Locked sign-ins")
        st.caption(
            f"Locked after {sessions.LOCK_AFTER} failed sign-ins in a row; unlocking clears the"
            " count (the audit trail keeps every attempt)."
        )
        name = st.selectbox("Locked name", locked, key="admin.unlock.name")
        if st.form_submit_button("Unlock"):
            sessions.unlock(con, name, actor=actor)
            st.success(f"{name} can sign in again.")
