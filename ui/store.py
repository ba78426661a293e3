"""One DuckDB connection per app process; a cursor per script run."""

from __future__ import annotations

import importlib
import threading
import time
from pathlib import Path

import duckdb
import streamlit as st

from core.catalog import models, users
from core.errors import SwitchyardError
from core.jobs import worker
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
    models.load_list_prices_if_none(con, "switchyard")  # a new database: cost is measurable
    _demo_if_empty(con)  # serve.py built it already, unless the app runs without serve.py
    if settings.get("app_worker") == "1":
        # Jobs outlive the page that queued them: the process, not a session, runs them.
        worker.start_thread(con)
    # The setup's last result would stay open for the server's life, and while a query is
    # open DuckDB keeps every later transaction's undo memory (0.26 MB per review submit):
    # one statement read to the end closes it. Pages use cursors, never this connection.
    con.execute("SELECT 1").fetchall()
    return con


def build_demo_if_empty() -> None:
    """Before the server accepts sessions (serve.py): the demo on an empty database when the
    demo setting is on, so no visitor waits for it. A database that cannot be opened is left
    for the first page, which says why."""
    try:
        con = db.connect(settings.db_path(), wait_s=WAIT_S, advice=APP_ADVICE)
    except SwitchyardError:
        return
    try:
        _demo_if_empty(con)
    finally:
        con.close()


def _demo_if_empty(con: duckdb.DuckDBPyConnection) -> None:
    if settings.get("demo_on_empty") != "1" or db.scalar(con, "SELECT count(*) FROM dataset"):
        return
    from core import demo  # it loads the statistics (seconds): only to build it, not to sign in

    print("Switchyard: building the synthetic demo (about 10 s)…", flush=True)
    started = time.monotonic()
    demo.install(con, int(settings.get("demo_seed")))
    print(f"Switchyard: demo built in {time.monotonic() - started:.1f} s", flush=True)


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


_warming = threading.Lock()
# What the pages after sign-in import: scipy and the analyses take seconds on a cold start.
WARM_MODULES = ("core.analysis.signoff", "core.analysis.calibration", "core.review.sampling")


def warm_up() -> None:
    """Import what the pages need in the background, once per process, while the first user
    types their password: the sign-in form does not wait for it, the first page need not."""
    if _warming.acquire(blocking=False):  # never released: once per process
        threading.Thread(target=_import_all, daemon=True, name="switchyard-warm-up").start()


def _import_all() -> None:
    for name in WARM_MODULES:
        importlib.import_module(name)
