"""One DuckDB connection per app process; a cursor per script run."""

from __future__ import annotations

import duckdb
import streamlit as st

from core import db, demo, settings, users


@st.cache_resource(show_spinner="Opening the database…")
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    con = db.connect(path)
    users.seed(con, users.load_config())
    if settings.get("demo_on_empty") == "1":
        demo.install_if_empty(con, int(settings.get("demo_seed")))
    return con


def cursor() -> duckdb.DuckDBPyConnection:
    """This script run's own cursor: a connection shared across threads fails."""
    return _connection(settings.db_path()).cursor()


def auth_config() -> users.AuthConfig:
    return users.load_config()
