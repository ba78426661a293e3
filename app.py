"""Switchyard: the entry script is only a router. Sign-in first; then the pages the user's
roles allow (ui.navigation). Each page also checks sign-in and role itself, because a deep
link can reach a page before this file's first navigation run."""

import streamlit as st

import core  # noqa: F401  (turns third-party telemetry off before anything else loads)
from ui import auth, navigation

st.set_page_config(page_title="Switchyard", page_icon=":material/alt_route:", layout="wide")

user = auth.current_user() or auth.sign_in_form()
if user is None:
    menu = st.navigation(
        [st.Page(auth.signed_out_page, title="Sign in", url_path="signin")], position="hidden"
    )
else:
    menu = st.navigation(
        [
            st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url)
            for p in navigation.pages_for(user.roles)
        ]
    )
    auth.sign_out(user)
    auth.warn_if_demo()
menu.run()
