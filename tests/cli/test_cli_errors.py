"""No traceback reaches a user of the command line: one `error:` line and exit 1, the
traceback only when asked for (--debug or SWITCHYARD_DEBUG=1)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import cli
from tests.conftest import ROOT, HeldDatabase


def failing(args, con):
    raise RuntimeError("a bug")  # stands in for a defect in a command, not for the feature


def test_an_unexpected_error_is_one_line_unless_debug_is_asked_for(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SWITCHYARD_DB", str(tmp_path / "x.duckdb"))
    monkeypatch.delenv("SWITCHYARD_DEBUG", raising=False)
    monkeypatch.setitem(cli.COMMANDS, "list", failing)
    assert cli.main(["list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: unexpected RuntimeError: a bug") and err.count("\n") == 1
    assert "--debug" in err
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main(["--debug", "list"])
    monkeypatch.setenv("SWITCHYARD_DEBUG", "1")
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main(["list"])


def test_ctrl_c_is_one_line_and_the_shells_exit_code(tmp_path, monkeypatch, capsys):
    def interrupted(args, con):
        raise KeyboardInterrupt

    monkeypatch.setenv("SWITCHYARD_DB", str(tmp_path / "x.duckdb"))
    monkeypatch.setitem(cli.COMMANDS, "list", interrupted)
    assert cli.main(["list"]) == 130  # 128 + SIGINT, as a shell reports it
    assert capsys.readouterr().err == cli.INTERRUPTED + "\n"


def test_a_database_that_cannot_be_created_is_one_error_line(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    # Was: "error: unexpected FileExistsError ... (a bug in Switchyard ...)".
    assert cli.main(["--db", str(blocker / "switchyard.duckdb"), "list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot open the database") and err.count("\n") == 1
    assert "SWITCHYARD_DB" in err


def test_a_held_database_names_its_holder(tmp_path):
    path = tmp_path / "held.duckdb"
    with HeldDatabase(path) as held:
        done = subprocess.run(
            [sys.executable, "-m", "core", "--db", str(path), "list"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        pid = held.proc.pid
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert f"PID {pid}" in done.stderr and "python" in done.stderr
    assert "in use by another process" in done.stderr and "Stop the app" in done.stderr


FILE_SIZE_LIMIT = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))
from cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_disk_that_refuses_a_write_is_one_error_line_and_saves_nothing(tmp_path, capsys):
    # A file-size limit stands in for a full disk: the kernel refuses the write the same way
    # (was: "error: unexpected TransactionException ... (a bug in Switchyard ...)").
    database = tmp_path / "small.duckdb"
    assert cli.main(["--db", str(database), "init"]) == 0
    big = tmp_path / "big.csv"
    rows = "".join(f"n{i},{'p' * 900}{i},A\n" for i in range(3000))  # 2.7 MB of prompts
    big.write_text("id,source_prompt,ground_truth\n" + rows)
    command = ["--db", str(database), "import-dataset", str(big), "--name", "big", "--model", "m"]
    done = subprocess.run(
        [sys.executable, "-c", FILE_SIZE_LIMIT, *command],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: the database could not be written")
    assert "File too large" in done.stderr and "nothing was saved" in done.stderr
    assert done.stderr.count("\n") == 1
    capsys.readouterr()
    assert cli.main(["--db", str(database), "list", "--json"]) == 0
    assert "big@" not in capsys.readouterr().out
