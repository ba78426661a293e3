"""Rules of the codebase that a test can hold: layering, documentation, no network."""

import ast
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cli import COMMANDS
from core import telemetry
from core.store import settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "core").rglob("*.py")), ids=lambda p: p.name)
def test_core_never_imports_streamlit(path):
    assert "streamlit" not in imported_modules(path)


def test_core_does_not_import_judge_libraries_at_start():
    # ragas and deepeval take seconds to import: only the judge runner may load them.
    code = (
        "import cli, core.demo, core.importers.files, sys; print('ragas' in sys.modules,"
        " 'deepeval' in sys.modules, 'streamlit' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    assert out.split() == ["False", "False", "False"]


@pytest.mark.parametrize("name", list(settings.SETTINGS))
def test_every_setting_is_documented(name):
    assert settings.SETTINGS[name].env in README


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_cli_command_is_documented(command):
    assert f"python -m core {command}" in README


def test_telemetry_is_off_for_ragas_deepeval_and_streamlit():
    assert os.environ["RAGAS_DO_NOT_TRACK"] == "true"
    assert os.environ["DEEPEVAL_TELEMETRY_OPT_OUT"] == "YES"
    assert os.environ["DEEPEVAL_DISABLE_DOTENV"] == "1"
    assert telemetry.SETTINGS["RAGAS_DO_NOT_TRACK"] == "true"
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "gatherUsageStats = false" in config


def test_network_guard_refuses_the_internet_and_allows_loopback():
    with pytest.raises(ConnectionRefusedError, match="network guard"):
        socket.create_connection(("93.184.216.34", 80), timeout=1)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    with socket.create_connection(server.getsockname(), timeout=1):
        pass
    server.close()


def test_no_database_file_is_committed():
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT).stdout
    assert ".duckdb" not in tracked
