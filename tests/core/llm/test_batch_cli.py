"""`run --batch` on the command line, from start to import (S3 in moto, the control plane
under botocore's Stubber), then resumed with an online sample against the loopback fake
Bedrock runtime."""

import pytest

import cli
from cli import run as cli_run
from core.catalog import datasets, models
from core.importers import files
from core.llm import clients
from core.store import db
from tests.conftest import DATA as TEST_DATA
from tests.conftest import SOURCE_MODEL
from tests.core.llm.batch_helpers import (
    BUCKET,
    CLAUDE,
    CLAUDE_JOB,
    DATA,
    PREFIX,
    ROLE,
    expect_create,
    expect_polls,
)


@pytest.fixture
def fin_file(tmp_path):
    path = tmp_path / "batch.duckdb"
    con = db.connect(str(path))
    files.import_dataset(
        con, str(TEST_DATA / "golden.csv"), "fin", actor="tester", model_id=SOURCE_MODEL
    )
    datasets.freeze(con, "fin@1", "tester")
    models.load_price_file(con, "tester")
    con.close()
    return path


def test_the_command_line_runs_resumes_and_samples_a_batch_job(
    fin_file, aws, fake_bedrock, monkeypatch, capsys
):
    fake = fake_bedrock(ttft_s=0.05, total_s=0.2)
    monkeypatch.setattr(clients, "bedrock", lambda region=None, endpoint_url=None: aws.bedrock)
    monkeypatch.setattr(clients, "s3", lambda region=None, endpoint_url=None: aws.s3)

    def progress(fraction, message):
        # Bedrock writes the output while the job runs: put it beside the input at the poll.
        keys = [o["Key"] for o in aws.s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
        folder = next(k for k in keys if k.endswith("input.jsonl"))[: -len("input.jsonl")]
        for path in (DATA / "claude" / CLAUDE_JOB).iterdir():
            key = f"{folder}output/{CLAUDE_JOB}/{path.name}"
            aws.s3.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())

    monkeypatch.setattr(cli_run, "progress", progress)
    expect_create(aws.stub, CLAUDE, CLAUDE_JOB)
    expect_polls(aws.stub, CLAUDE, CLAUDE_JOB, ("InProgress", 2, 0), ("Completed", 6, 1))
    command = [
        "--db",
        str(fin_file),
        "run",
        "--batch",
        "--dataset",
        "fin",
        "--model",
        CLAUDE,
        "--s3",
        PREFIX,
        "--role",
        ROLE,
        "--role",
        "target",
        "--poll",
        "0",
    ]
    assert cli.main(command) == 5  # one record failed
    out = capsys.readouterr()
    run_id = out.out.strip().splitlines()[-1]
    assert f"created {run_id}: job arn:aws:bedrock" in out.err
    assert "job Completed, 5 answered, 1 failed; cost 0.0006 USD at the batch price" in out.out
    assert "q4: batch record error 400" in out.out
    aws.stub.assert_no_pending_responses()
    # Resume: the run is imported, so no control-plane call; the sample streams 2 items.
    resume = [
        "--db",
        str(fin_file),
        "run",
        "--resume",
        run_id,
        "--online-sample",
        "2",
        "--endpoint-url",
        fake.url,
    ]
    assert cli.main(resume) == 5
    out = capsys.readouterr().out
    assert "imported earlier, 5 answered, 1 failed" in out
    assert "online sample of 2 items" in out and "2 measured now" in out
    assert out.strip().splitlines()[-1] == run_id
    con = db.connect(str(fin_file))
    try:
        role = con.execute("SELECT role FROM run WHERE run_id = ?", [run_id]).fetchone()[0]
        timed = db.scalar(con, "SELECT count(ttft_ms) FROM output WHERE run_id = ?", [run_id])
    finally:
        con.close()
    assert (role, timed) == ("target", 2)


def test_the_command_line_refuses_an_incomplete_batch_command(fin_file, capsys):
    before = ["--db", str(fin_file), "run", "--batch", "--dataset", "fin", "--model", CLAUDE]
    assert cli.main([*before, "--s3", PREFIX]) == 1
    assert "name --s3 s3://BUCKET/PREFIX and --role ARN" in capsys.readouterr().err
    assert cli.main([*before, "--s3", PREFIX, "--role", ROLE, "--online-sample", "0"]) == 1
    assert "--online-sample" in capsys.readouterr().err
    assert (
        cli.main(
            [
                "--db",
                str(fin_file),
                "run",
                "--dataset",
                "fin",
                "--model",
                CLAUDE,
                "--online-sample",
                "3",
            ]
        )
        == 1
    )
    assert "add --batch" in capsys.readouterr().err


def test_the_same_command_after_an_interruption_resumes_the_job(fin_file, aws, monkeypatch, capsys):
    monkeypatch.setattr(clients, "bedrock", lambda region=None, endpoint_url=None: aws.bedrock)
    monkeypatch.setattr(clients, "s3", lambda region=None, endpoint_url=None: aws.s3)

    def interrupted(fraction, message):
        raise KeyboardInterrupt  # Ctrl+C at the first poll

    monkeypatch.setattr(cli_run, "progress", interrupted)
    expect_create(aws.stub, CLAUDE, CLAUDE_JOB)
    expect_polls(aws.stub, CLAUDE, CLAUDE_JOB, ("InProgress", 2, 0))
    command = ["--db", str(fin_file), "run", "--batch", "--dataset", "fin", "--model", CLAUDE]
    command += ["--s3", PREFIX, "--role", ROLE, "--poll", "0"]
    assert cli.main(command) == 130  # Ctrl+C: one line, the shell's code
    run_id = capsys.readouterr().err.split("created ")[1].split(":")[0]
    # Again: only polls are queued, so a second create_model_invocation_job fails the test.
    expect_polls(aws.stub, CLAUDE, CLAUDE_JOB, ("InProgress", 4, 0))
    assert cli.main(command) == 130
    assert f"resuming {run_id}: job arn:aws:bedrock" in capsys.readouterr().err
    aws.stub.assert_no_pending_responses()
    con = db.connect(str(fin_file))
    try:
        batch_runs = db.scalar(con, "SELECT count(*) FROM run WHERE origin = 'bedrock-batch'")
    finally:
        con.close()
    assert batch_runs == 1
