"""What a fresh-eyes walk of the command line found (issue 12): a typo in an option is one
`error:` line naming what the database has, exit 1, and nothing written."""

from __future__ import annotations

import pandas as pd
import pytest

import cli
from core.catalog import migrations, users
from core.importers import files
from core.store import db
from core.store.sql import quote
from tests.conftest import DATA, SOURCE_MODEL, TARGET_MODEL, import_run
from tests.core.review.test_canary_sampling import add_traffic

# tests/data/golden.csv: its strata and splits, and the source run's judge metric.
STRATA = "adversarial, lookup, multi_hop, numeric_reasoning, safety"


@pytest.fixture
def database(tmp_path) -> tuple[str, str]:
    path = str(tmp_path / "walk.duckdb")
    con = db.connect(path)
    golden = files.import_dataset(
        con, str(DATA / "golden.csv"), "fin", actor="t", model_id=SOURCE_MODEL
    )
    target = import_run(con, DATA / "run_native.csv", model_id=TARGET_MODEL, role="target")
    mig = migrations.create(con, "walk", golden.source_run.run_id, [target.run_id], actor="t")
    con.close()
    return path, mig


def rows(path: str, table: str) -> int:
    con = db.connect(path)
    try:
        return con.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()[0]
    finally:
        con.close()


def failed(capsys, argv: list[str]) -> str:
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    return err


def test_an_unknown_stratum_or_split_names_the_datasets_own(database, capsys):
    path, mig = database
    # Was: exit 0 with `items: 0` in every figure.
    err = failed(
        capsys, ["--db", path, "report", "compare", "--migration", mig, "--stratum", "lookpu"]
    )
    assert f"no stratum 'lookpu'; its strata: {STRATA}" in err
    err = failed(
        capsys, ["--db", path, "report", "compare", "--migration", mig, "--split", "holdot"]
    )
    assert "no split 'holdot'; its splits: dev, holdout" in err
    assert (
        cli.main(["--db", path, "report", "compare", "--migration", mig, "--stratum", "lookup"])
        == 0
    )
    capsys.readouterr()
    # signoff and calibration read every stratum: the option is refused, not ignored.
    err = failed(capsys, ["--db", path, "report", "signoff", "--migration", mig, "--split", "dev"])
    assert "--split: applies to report compare only, not report signoff" in err
    err = failed(
        capsys, ["--db", path, "report", "calibration", "--migration", mig, "--stratum", "x"]
    )
    assert "--stratum: applies to report compare only" in err


def test_an_unknown_calibration_metric_lists_the_runs_metrics(database, capsys):
    path, mig = database
    con = db.connect(path)
    run = migrations.source_run(con, mig)
    known = sorted(
        r[0]
        for r in con.execute(
            "SELECT DISTINCT metric FROM judge_score WHERE run_id = ?", [run]
        ).fetchall()
    )
    con.close()
    argv = ["--db", path, "report", "calibration", "--migration", mig, "--metric", "correctnes"]
    err = failed(capsys, argv)
    # Was: "no SME label meets a 'correctnes' judge score ...: label a sample of this run first".
    assert f"run {run} has no metric 'correctnes'; its metrics: {', '.join(known)}" in err


@pytest.mark.parametrize(
    "command",
    [
        ["import-run", "{missing}", "--dataset", "fin@1"],
        ["import-dataset", "{missing}", "--name", "other"],
        ["import-labels", "{missing}", "--dataset", "fin@1"],
        ["import-pairwise", "{missing}"],
        ["canary", "ingest", "{missing}", "--migration", "{mig}"],
    ],
)
def test_a_path_that_does_not_exist_is_named_as_missing(database, capsys, tmp_path, command):
    path, mig = database
    missing = str(tmp_path / "deepeval_targt")  # no suffix: was "unknown file kind: suffix ''"
    argv = [a.format(missing=missing, mig=mig) for a in command]
    err = failed(capsys, ["--db", path, *argv])
    assert err == f"error: {missing}: no such file or folder\n"


def test_an_unknown_reviewer_is_refused_when_the_database_knows_its_smes(database, capsys):
    path, mig = database
    con = db.connect(path)
    users.seed(con, users.load_config(users.EXAMPLE_FILE))  # sme1, sme2, sme3
    add_traffic(con, mig, 50)
    con.close()
    before = rows(path, "sample"), rows(path, "assignment")
    err = failed(capsys, ["--db", path, "sample", "--migration", mig, "--reviewers", "sme1,smee1"])
    assert "--reviewers: smee1 is not an SME of this database; known SMEs: sme1, sme2, sme3" in err
    canary = ["--db", path, "canary", "sample", "--migration", mig, "--reviewers", "smee1"]
    assert "known SMEs: sme1, sme2, sme3" in failed(capsys, canary)
    assert (rows(path, "sample"), rows(path, "assignment")) == before
    assert cli.main(["--db", path, "sample", "--migration", mig, "--reviewers", "sme1"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""


def test_reviewers_are_drawn_with_a_note_when_the_database_knows_no_user(database, capsys):
    path, mig = database
    assert rows(path, "app_user") == 0  # the app copies users in when it first starts
    assert cli.main(["--db", path, "sample", "--migration", mig, "--reviewers", "smee1"]) == 0
    captured = capsys.readouterr()
    assert "knows no SME users yet, so the reviewer names are not checked" in captured.err
    assert captured.out.splitlines()[-1].startswith("smp-")


def test_export_sample_refuses_a_canary_review_draw(database, capsys, tmp_path):
    path, mig = database
    con = db.connect(path)
    add_traffic(con, mig, 50)
    con.close()
    argv = ["--db", path, "canary", "sample", "--migration", mig, "--reviewers", "sme1"]
    assert cli.main([*argv, "--fail-rate", "1", "--seed", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    draw = out[-1]  # the new id alone on the last line; the summary above it
    assert draw.startswith("cnr-") and out[-2].startswith(f"canary review sample {draw}:")
    target = tmp_path / "f.csv"
    err = failed(capsys, ["--db", path, "export-sample", draw, "--out", str(target)])
    # Was: "error: item 'req-…' is not in your queue".
    assert err == (
        f"error: {draw} is a canary review draw: its items are reviewed on the Review page;"
        " export-sample takes golden samples\n"
    )
    assert not target.exists()


def test_creating_commands_end_with_the_new_id(database, capsys):
    path, mig = database
    created = {}
    argv = ["--db", path, "import-dataset", str(DATA / "golden.csv"), "--name", "again"]
    assert cli.main([*argv, "--model", SOURCE_MODEL]) == 0
    created["dataset"] = capsys.readouterr().out.splitlines()[-1]
    argv = ["--db", path, "approve", "--migration", mig, "--stakeholder", "SRE"]
    assert cli.main([*argv, "--decision", "approve"]) == 0
    created["approval"] = capsys.readouterr().out.splitlines()[-1]
    con = db.connect(path)
    assert con.execute(
        "SELECT approval_id FROM approval WHERE migration_id = ?", [mig]
    ).fetchall() == [(int(created["approval"]),)]
    assert con.execute(
        "SELECT count(*) FROM dataset WHERE dataset_id = ?", [created["dataset"]]
    ).fetchone() == (1,)
    con.close()


def test_a_run_of_one_metric_says_metric(database, capsys, tmp_path):
    path, _ = database
    one = tmp_path / "one_metric.csv"
    frame = pd.read_csv(DATA / "run_native.csv")[["item_id", "output", "score.correctness"]]
    frame.to_csv(one, index=False)
    argv = ["--db", path, "import-run", str(one), "--dataset", "fin@1"]
    assert cli.main([*argv, "--model", TARGET_MODEL]) == 0
    out = capsys.readouterr().out.splitlines()
    # Was: "6 judge scores over 1 metrics (correctness)".
    assert "6 judge scores over 1 metric (correctness)" in out[0]
    assert out[-1].startswith("run-")
