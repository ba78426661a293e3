"""Switchyard: the entry script is only a router (sign-in plugs into ui.auth)."""

import streamlit as st

import core  # noqa: F401  (turns third-party telemetry off before anything else loads)

st.set_page_config(page_title="Switchyard", page_icon="🔀", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/data.py", title="Data", icon="🗄️", url_path="data"),
]

st.navigation(PAGES).run()
