"""Users: add users, set roles, disable them (admins only; bcrypt hashes only, audited)."""

import pandas as pd
import streamlit as st

from core.catalog import users
from core.errors import SwitchyardError
from ui import auth, store

user = auth.require("admin")
con = store.cursor()
st.title("Users")

listed = users.list_users(con)
st.dataframe(pd.DataFrame([vars(u) for u in listed]), hide_index=True)

with st.form("admin.add", clear_on_submit=True):
    st.subheader("Add a user")
    left, right = st.columns(2)
    username = left.text_input("Username", key="admin.add.username")
    name = right.text_input("Full name", key="admin.add.name")
    email = left.text_input("Email", key="admin.add.email")
    password = right.text_input(
        "Password (10+ characters)", type="password", key="admin.add.password"
    )
    roles = st.multiselect("Roles", users.ROLES, key="admin.add.roles")
    if st.form_submit_button("Add user"):
        try:
            users.add(
                con,
                username.strip(),
                name.strip(),
                password,
                roles,
                actor=user.username,
                email=email.strip() or None,
            )
            st.success(f"User {username} added.")
        except SwitchyardError as exc:
            st.error(str(exc))

with st.form("admin.edit"):
    st.subheader("Change a user")
    target = st.selectbox(
        "User", listed, key="admin.edit.user", format_func=lambda u: f"{u.username} ({u.name})"
    )
    roles = st.multiselect("Roles", users.ROLES, default=list(target.roles), key="admin.edit.roles")
    disabled = st.checkbox(
        "Disabled (cannot sign in)", value=target.disabled, key="admin.edit.disabled"
    )
    password = st.text_input(
        "New password (leave empty to keep)", type="password", key="admin.edit.password"
    )
    if st.form_submit_button("Save"):
        try:
            users.update(
                con,
                target.username,
                actor=user.username,
                roles=roles,
                disabled=disabled,
                password=password or None,
            )
            st.success(f"User {target.username} updated.")
        except SwitchyardError as exc:
            st.error(str(exc))
