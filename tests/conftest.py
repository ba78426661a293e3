"""Shared fixtures: the network guard, an empty migrated database, a small seeded one."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest

os.environ.setdefault("SWITCHYARD_DEMO_SEED", "20261126")
import core  # noqa: F401  (telemetry off before any test imports ragas or deepeval)
from core import db, importing, runs

DATA = Path(__file__).parent / "data"
SOURCE_MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0"
TARGET_MODEL = "amazon.nova-pro-v1:0"

_real_connect = socket.socket.connect


def _loopback_only(sock, address):
    """Fail any connection that leaves the machine; Unix sockets and loopback are fine."""
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = ipaddress.ip_address(socket.gethostbyname(host)) if host != "localhost" else None
        if ip is not None and not ip.is_loopback:
            raise ConnectionRefusedError(f"test network guard: connection to {address!r} refused")
    return _real_connect(sock, address)


@pytest.fixture(autouse=True, scope="session")
def network_guard():
    socket.socket.connect = _loopback_only
    yield
    socket.socket.connect = _real_connect


@pytest.fixture(autouse=True)
def aws_offline(monkeypatch):
    """boto3 never finds real credentials or regions in tests."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def con():
    """An empty, migrated in-memory database."""
    connection = db.connect(":memory:")
    yield connection
    connection.close()


@pytest.fixture
def golden(con):
    """The golden fixture imported as fin@1 (6 items, a source run, 6 imported labels)."""
    return importing.import_dataset(
        con, str(DATA / "golden.csv"), "fin", actor="tester", model_id=SOURCE_MODEL
    )


def import_run(con, path, **spec):
    """Import a run file against fin@1 with the target model unless told otherwise."""
    spec.setdefault("model_id", TARGET_MODEL)
    fmt = spec.pop("fmt", None)
    result, _notes = importing.import_run(
        con, str(path), runs.RunSpec("fin@1", **spec), actor="tester", fmt=fmt
    )
    return result


class HeldDatabase:
    """Another process holding the DuckDB file open, as the running app does."""

    def __init__(self, path) -> None:
        import subprocess
        import sys

        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import duckdb, time; c = duckdb.connect({str(path)!r});"
                " print('ready', flush=True); time.sleep(60)",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout.readline().strip() == "ready"

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.proc.kill()
        self.proc.wait()
