"""One DuckDB connection per app process; a cursor per script run."""

from __future__ import annotations

from pathlib import Path

import duckdb
import streamlit as st

from core import demo
from core.catalog import users
from core.store import db, settings


@st.cache_resource(show_spinner="Opening the database…")
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    con = db.connect(path)
    users.seed(con, auth_config())
    if settings.get("demo_on_empty") == "1":
        demo.install_if_empty(con, int(settings.get("demo_seed")))
    return con


def cursor() -> duckdb.DuckDBPyConnection:
    """This script run's own cursor: a connection shared across threads fails."""
    return _connection(settings.db_path()).cursor()


def auth_config() -> users.AuthConfig:
    """The sign-in configuration, read once per file and cookie-key setting, not every run."""
    return _auth_config(str(users.config_path()), settings.get("cookie_key"))


@st.cache_resource(show_spinner=False)
def _auth_config(path: str, cookie_key: str) -> users.AuthConfig:
    # cookie_key is unused here but keys the cache: load_config reads it from the settings.
    return users.load_config(Path(path))
