"""`jobs` and `worker` on the command line: what a user reads when a step is missing."""

from __future__ import annotations

import pytest

import cli


@pytest.mark.parametrize("action", ["show", "cancel"])
def test_a_job_action_without_an_id_names_that_action(tmp_path, capsys, action):
    # Was: "name the job: jobs show JOB_ID" for cancel too.
    assert cli.main(["--db", str(tmp_path / "j.duckdb"), "jobs", action]) == 2
    err = capsys.readouterr().err
    assert err == f"error: name the job: jobs {action} JOB_ID (jobs list shows them)\n"


def test_a_worker_with_nothing_to_do_says_so_in_the_right_number(tmp_path, capsys):
    # Was: "0 jobs run" and "1 jobs run".
    assert cli.main(["--db", str(tmp_path / "j.duckdb"), "worker", "--once"]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == "0 jobs run"


def test_the_job_commands_explain_themselves(capsys):
    for command in ("worker", "jobs"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
    shown = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "taken over once its lease ends" in shown and "next heartbeat" in shown
