"""One DuckDB connection per app process; a cursor per script run."""

from __future__ import annotations

from pathlib import Path

import duckdb
import streamlit as st

from core import demo
from core.catalog import users
from core.errors import SwitchyardError
from core.store import db, settings

# A command-line import holds the file for seconds: wait that long before saying so.
WAIT_S = 5.0
APP_ADVICE = (
    "usually a command-line import or report, which releases it when it ends. Wait for it"
    " and reload this page; or stop that process; or point SWITCHYARD_DB at another file"
    " and restart the app."
)


@st.cache_resource(show_spinner="Opening the database…")
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    # A failure is not cached: the next page run tries again.
    con = db.connect(path, wait_s=WAIT_S, advice=APP_ADVICE)
    users.seed(con, auth_config())
    if settings.get("demo_on_empty") == "1":
        demo.install_if_empty(con, int(settings.get("demo_seed")))
    return con


def cursor() -> duckdb.DuckDBPyConnection:
    """This script run's own cursor: a connection shared across threads fails. When the
    database cannot be opened the page says why, plainly, and stops."""
    path = settings.db_path()
    try:
        return _connection(path).cursor()
    except SwitchyardError as exc:
        # Shown before sign-in too: the file's name, not the server's folders.
        st.error(f"Switchyard cannot open its database: {str(exc).replace(path, Path(path).name)}")
        st.stop()
        raise  # st.stop() raises; this keeps the type checker informed


def auth_config() -> users.AuthConfig:
    """The sign-in configuration, read once per file and cookie-key setting, not every run."""
    return _auth_config(str(users.config_path()), settings.get("cookie_key"))


@st.cache_resource(show_spinner=False)
def _auth_config(path: str, cookie_key: str) -> users.AuthConfig:
    # cookie_key is unused here but keys the cache: load_config reads it from the settings.
    return users.load_config(Path(path))
