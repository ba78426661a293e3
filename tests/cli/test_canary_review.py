"""`python -m core canary sample`: a line per (arm, pool) and the total, --json for scripts,
and one `error:` line with exit 1 on bad rates, an unknown migration or no traffic."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import cli
from core.store import db
from tests.conftest import ROOT, golden_migration
from tests.core.review.test_canary_sampling import add_traffic


@pytest.fixture
def database(tmp_path) -> tuple[str, str]:
    path = str(tmp_path / "canary.duckdb")
    con = db.connect(path)
    mig = golden_migration(con, prices=False)
    con.close()
    return path, mig


def test_sample_prints_each_arm_and_pool_then_the_total(database, capsys):
    path, mig = database
    con = db.connect(path)
    add_traffic(con, mig, 200)
    add_traffic(con, mig, 10, prefix="later", judged=False)
    con.close()
    argv = ["--db", path, "canary", "sample", "--migration", mig, "--reviewers", "sme1,sme2"]
    assert cli.main([*argv, "--fail-rate", "1", "--pass-rate", "0.5", "--seed", "4"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in out[:4]] == [
        ["canary", "judges", "fail"],
        ["canary", "judges", "pass"],
        ["control", "judges", "fail"],
        ["control", "judges", "pass"],
    ]
    # Every fifth request fails (add_traffic), so 20 of 20 fails per arm at rate 1.
    assert out[0].endswith("20 of       20 drawn (rate 100.0%)")
    assert "(rate 50.0%)" in out[1]
    # The summary, then the new id alone on the last line (README: creating commands).
    assert out[-2].startswith(f"canary review sample {out[-1]}: ") and out[-1].startswith("cnr-")
    assert out[-2].endswith("10 requests without a judge verdict wait for a later draw")


def test_sample_json_for_scripts(database, capsys):
    path, mig = database
    con = db.connect(path)
    add_traffic(con, mig, 100)
    con.close()
    argv = ["--db", path, "canary", "sample", "--migration", mig, "--reviewers", "sme1"]
    assert cli.main([*argv, "--seed", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["considered"] == 100 and result["unjudged"] == 0
    assert {(p["arm"], p["pool"], p["rate"]) for p in result["pools"]} == {
        ("canary", "fail", 0.1),
        ("canary", "pass", 0.02),
        ("control", "fail", 0.1),
        ("control", "pass", 0.02),
    }
    assert result["drawn"] == result["assignments"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fail-rate", "0"], "the fail rate must be above 0 and at most 1"),
        (["--pass-rate", "2"], "the pass rate must be above 0 and at most 1"),
        (["--migration", "mig-none"], "no migration 'mig-none'"),
        ([], "it has no canary traffic"),
    ],
)
def test_bad_input_is_one_error_line_and_exit_1(database, capsys, extra, message):
    path, mig = database
    argv = ["--db", path, "canary", "sample", "--migration", mig, "--reviewers", "sme1"]
    assert cli.main([*argv, *extra]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0]
    con = db.connect(path)
    assert con.execute("SELECT count(*) FROM sample").fetchone() == (0,)
    con.close()


def test_the_module_entry_point_runs_it(database):
    path, mig = database
    done = subprocess.run(
        [sys.executable, "-m", "core", "--db", path, "canary", "sample", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "--fail-rate" in done.stdout and "--reviewers" in done.stdout
    assert mig


def test_an_arm_with_nothing_drawn_is_named(database, capsys):
    # The walkthrough drew 0 of 30 canary requests at the default rates and was not told.
    path, mig = database
    con = db.connect(path)
    add_traffic(con, mig, 40)
    con.close()
    argv = ["--db", path, "canary", "sample", "--migration", mig, "--reviewers", "sme1"]
    assert cli.main([*argv, "--fail-rate", "0.0001", "--pass-rate", "0.0001", "--seed", "1"]) == 0
    err = capsys.readouterr().err
    assert "note: no request of the canary arm was drawn" in err
    assert "note: no request of the control arm was drawn" in err
