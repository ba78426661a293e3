"""A Bedrock evaluation as a job: created once, polled, its scores attached to the evaluated
run; resumed after its worker died without creating the evaluation job again; cancelled while
it waits. S3 is moto's; the Bedrock control plane a real client answered by botocore's Stubber
(a call nobody queued fails the test)."""

import json
from datetime import timedelta

import pytest
from botocore.stub import ANY

from core.errors import InputError
from core.jobs import kinds, queue, worker
from core.llm import clients
from core.store import db, writes
from tests.conftest import DATA
from tests.core.llm.batch_helpers import BUCKET
from tests.core.llm.test_bedrock_eval_attach import HAIKU, JOB_ARN, ROLE, bedrock_scores, job, put

METRICS = ["Builtin.Correctness", "Builtin.Completeness", "Builtin.Faithfulness"]


@pytest.fixture
def run_id(con, golden, aws, monkeypatch):
    monkeypatch.setattr(clients, "bedrock", lambda region=None, endpoint_url=None: aws.bedrock)
    monkeypatch.setattr(clients, "s3", lambda region=None, endpoint_url=None: aws.s3)
    put(aws.s3, (DATA / "bedrock_judge_output.jsonl").read_bytes())
    return golden.source_run.run_id


def enqueue(con, run_id) -> str:
    return kinds.enqueue_bedrock_eval(
        con,
        run_id,
        s3_prefix=f"s3://{BUCKET}/evals",
        role_arn=ROLE,
        metrics=METRICS,
        judge_model=HAIKU,
        actor="owner",
        poll_s=0,
    )


def test_an_evaluation_job_attaches_its_scores_to_the_run_it_evaluated(con, run_id, aws):
    job_id = enqueue(con, run_id)
    aws.stub.add_response(
        "create_evaluation_job",
        {"jobArn": JOB_ARN},
        {"jobName": ANY}
        | {
            k: ANY
            for k in (
                "roleArn",
                "applicationType",
                "evaluationConfig",
                "inferenceConfig",
                "outputDataConfig",
            )
        },
    )
    for status in ("InProgress", "Completed"):
        aws.stub.add_response("get_evaluation_job", job(status), {"jobIdentifier": JOB_ARN})
    runs_before = db.scalar(con, "SELECT count(*) FROM run")
    assert worker.Worker(con.cursor(), heartbeat_s=0.05).run_once() == job_id
    aws.stub.assert_no_pending_responses()
    done = queue.get(con, job_id)
    assert done["status"] == "done", done["message"]
    assert "17 Bedrock scores" in done["message"] and done["subject"] == run_id
    assert db.scalar(con, "SELECT count(*) FROM run") == runs_before
    assert len(bedrock_scores(con, run_id)) == 17
    assert queue.log(con, job_id) == [f"evaluation job {JOB_ARN}"]


def test_a_resumed_evaluation_polls_the_job_it_made_and_never_creates_another(con, run_id, aws):
    job_id = enqueue(con, run_id)
    long_ago = queue.now() - timedelta(minutes=5)
    writes.claim_job(con, "dead:1:1", ["bedrock_eval"], long_ago, 60)
    writes.save_state(con, job_id, "dead:1:1", json.dumps({"arn": JOB_ARN}))
    aws.stub.add_response("get_evaluation_job", job("Completed"), {"jobIdentifier": JOB_ARN})
    assert worker.Worker(con.cursor(), heartbeat_s=0.05).run_once() == job_id
    aws.stub.assert_no_pending_responses()  # no create_evaluation_job was answered or asked
    assert queue.get(con, job_id)["status"] == "done"
    assert len(bedrock_scores(con, run_id)) == 17


def test_an_evaluation_that_did_not_complete_fails_the_job_and_attaches_nothing(con, run_id, aws):
    job_id = enqueue(con, run_id)
    writes.claim_job(con, "dead:1:1", ["bedrock_eval"], queue.now() - timedelta(minutes=5), 60)
    writes.save_state(con, job_id, "dead:1:1", json.dumps({"arn": JOB_ARN}))
    failed = job("Failed", failureMessages=["AccessDenied on the output bucket"])
    aws.stub.add_response("get_evaluation_job", failed, {"jobIdentifier": JOB_ARN})
    assert worker.Worker(con.cursor(), heartbeat_s=0.05).run_once() == job_id
    ended = queue.get(con, job_id)
    assert ended["status"] == "failed" and "AccessDenied on the output bucket" in ended["message"]
    assert bedrock_scores(con, run_id) == []


def test_a_bad_evaluation_request_is_refused_before_it_is_queued(con, run_id):
    before = db.row_counts(con)
    with pytest.raises(InputError, match="not an IAM role ARN"):
        kinds.enqueue_bedrock_eval(
            con,
            run_id,
            s3_prefix="s3://b/p",
            role_arn="admin",
            metrics=METRICS,
            judge_model=None,
            actor="owner",
        )
    with pytest.raises(InputError, match="at least one metric"):
        kinds.enqueue_bedrock_eval(
            con,
            run_id,
            s3_prefix="s3://b/p",
            role_arn=ROLE,
            metrics=[],
            judge_model=None,
            actor="owner",
        )
    assert db.row_counts(con) == before


@pytest.mark.parametrize("prefix", ["s3://", "s3:///datasets", "my-bucket/evals", "s3://A/x"])
def test_an_s3_prefix_without_a_bucket_is_refused_before_it_is_queued(con, run_id, prefix):
    before = db.row_counts(con)
    with pytest.raises(InputError, match="expected s3://BUCKET/PREFIX"):
        kinds.enqueue_bedrock_eval(
            con,
            run_id,
            s3_prefix=prefix,
            role_arn=ROLE,
            metrics=METRICS,
            judge_model=None,
            actor="owner",
        )
    assert db.row_counts(con) == before
