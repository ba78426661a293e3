"""Switchyard: the entry script is only a router (sign-in plugs into ui.auth)."""

import streamlit as st

import core  # noqa: F401  (turns third-party telemetry off before anything else loads)

st.set_page_config(page_title="Switchyard", page_icon=":material/alt_route:", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/database:", url_path="data"),
]

st.navigation(PAGES).run()
