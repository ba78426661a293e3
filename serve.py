"""Switchyard's server: ``streamlit run serve.py``.

app.py is the app; this file mounts it in Streamlit's own server (``st.App``) with the two
routes that set and clear the session cookie (ui.session_routes), so the cookie is HttpOnly:
set by the server, never by a page script. ``streamlit run app.py`` still draws the app, but a
password sign-in then lasts only until the page is reloaded.
"""

import streamlit as st

import core  # noqa: F401  (turns third-party telemetry off before anything else loads)
from ui import session_routes, store

store.build_demo_if_empty()  # before the server accepts a session, not in the first one
app = st.App("app.py", routes=session_routes.routes())
