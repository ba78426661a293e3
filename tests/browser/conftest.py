"""Starting and stopping the app for the browser tests and the benchmarks that drive it.

``launch_app`` is the one way to start Switchyard here: ``streamlit run serve.py`` (the entry
that mounts the cookie routes, as the README says) on 127.0.0.1, on its own database file.
``Server`` holds one such process (``demo_users_app``: one over the demo users alone); ``stop``
ends any process these tests started.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.conftest import app_database

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ROOT / "serve.py"
START_S = 60  # a cold start imports pandas, duckdb, boto3 and the importers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    """End ``proc`` (a server or provider these tests started): politely, then for sure."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def launch_app(
    dbfile: Path,
    port: int,
    *,
    env: Mapping[str, str] | None = None,
    flags: Sequence[str] = (),
    log: Path | None = None,
) -> subprocess.Popen:
    """``streamlit run serve.py`` on 127.0.0.1:``port`` over ``dbfile``; returns once the
    server answers /_stcore/health. ``env`` adds variables, ``flags`` Streamlit options
    (``--runner.postScriptGC=true``), ``log`` keeps the server's output (else discarded)."""
    command = [sys.executable, "-m", "streamlit", "run", str(ENTRY)]
    command += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    command += ["--server.headless", "true", "--browser.gatherUsageStats", "false", *flags]
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - the child writes it
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env={
            **os.environ,
            "SWITCHYARD_APP_WORKER": "1",
            **(env or {}),
            "SWITCHYARD_DB": app_database(dbfile),
        },
        stdout=out,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
    )
    if log:
        out.close()  # the child holds its own copy
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    return proc
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise RuntimeError(f"streamlit did not answer /_stcore/health within {START_S} s")


class Server:
    """The app on 127.0.0.1 on its own database file (``launch_app``), until ``stop()``."""

    def __init__(self, dbfile: Path, env: Mapping[str, str] | None = None) -> None:
        self.dbfile = dbfile
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = launch_app(dbfile, self.port, env=env)

    def stop(self) -> None:
        stop(self.proc)


def demo_db(folder: Path, seed: int) -> Path:
    """A database in ``folder`` with the demo (``seed``) and the demo users."""
    from core import demo
    from core.catalog import users
    from core.store import db

    path = folder / "app.duckdb"
    con = db.connect(app_database(path))
    demo.install(con, seed)
    users.seed(con, users.load_config(users.EXAMPLE_FILE))
    con.close()
    return path


def demo_users_app(folder: Path) -> Server:
    """The app over a new database in ``folder`` holding the demo users only (no demo
    migration: it starts in seconds)."""
    from core.catalog import users
    from core.store import db

    path = folder / "app.duckdb"
    con = db.connect(app_database(path))
    users.seed(con, users.load_config(users.EXAMPLE_FILE))
    con.close()
    return Server(path, env={"SWITCHYARD_DEMO": "0"})
