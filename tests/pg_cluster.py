"""A throwaway PostgreSQL cluster on 127.0.0.1 for the tests (Debian's `postgresql` package).

``scripts/test.sh`` starts one before the tests and stops it after (``python -m
tests.pg_cluster start DIR`` prints its URL, exported as SWITCHYARD_TEST_PG); without that
variable the ``postgres_url`` fixture starts its own for the session. Trust authentication on
loopback only: the cluster holds test data and lives as long as the run.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path


def binary(name: str) -> str:
    """A PostgreSQL program: Debian keeps them under /usr/lib/postgresql/<major>/bin."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        raise RuntimeError(f"{name} not found: install Debian's postgresql package")
    return found[-1]


def _as_owner(command: list[str], folder: Path) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the folder's owner."""
    if os.geteuid() != 0:
        return command
    shutil.chown(folder, "postgres", "postgres")
    return ["runuser", "-u", "postgres", "--", *command]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(folder: Path, *, fsync: bool = False) -> str:
    """Create and start a cluster in ``folder``; its URL (database ``switchyard``). Tests run
    without fsync (nothing here must survive a crash); benchmarks ask for it."""
    folder.mkdir(parents=True, exist_ok=True)
    data, port = folder / "data", _free_port()
    run = lambda command: subprocess.run(  # noqa: E731 - one line per program
        _as_owner(command, folder), check=True, capture_output=True, text=True
    )
    run([binary("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
    options = f"-h 127.0.0.1 -p {port} -k {folder}"
    if not fsync:
        options += " -c fsync=off -c synchronous_commit=off"
    log = str(folder / "log")
    run([binary("pg_ctl"), "-D", str(data), "-o", options, "-l", log, "-w", "start"])
    run([binary("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "switchyard"])
    return f"postgresql://postgres@127.0.0.1:{port}/switchyard"


def stop(folder: Path) -> None:
    subprocess.run(
        _as_owner([binary("pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "stop"], folder),
        check=False,
        capture_output=True,
    )


if __name__ == "__main__":  # python -m tests.pg_cluster start|stop DIR
    action, where = sys.argv[1], Path(sys.argv[2])
    if action == "start":
        print(start(where))
    else:
        stop(where)
