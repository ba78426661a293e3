"""Shared parts of the batch tests (their fixtures are in conftest.py): the Stubber's
expected calls and answers, and the job output files put where Bedrock writes them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from botocore.stub import ANY

from core.llm import batch

DATA = Path(__file__).resolve().parents[2] / "data" / "real" / "bedrock" / "batch"
CLAUDE = "anthropic.claude-3-5-sonnet-20241022-v2:0"
NOVA = "amazon.nova-pro-v1:0"
CLAUDE_JOB = "k3v8q2m0x7ab"  # the folders under DATA/claude and DATA/nova
NOVA_JOB = "p5t1n9c4r2de"
ROLE = "arn:aws:iam::123456789012:role/switchyard-batch"
BUCKET = "evals"
PREFIX = f"s3://{BUCKET}/batch"


def arn(job_id: str) -> str:
    return f"arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/{job_id}"


def expect_create(stub, model: str, job_id: str, token=ANY) -> None:
    stub.add_response(
        "create_model_invocation_job",
        {"jobArn": arn(job_id)},
        {
            "jobName": ANY,
            "roleArn": ROLE,
            "clientRequestToken": token,
            "modelId": model,
            "inputDataConfig": ANY,
            "outputDataConfig": ANY,
        },
    )


def described(model: str, job_id: str, status: str, done: int = 0, errors: int = 0, **more):
    """A get_model_invocation_job answer, with the members botocore requires."""
    return {
        "jobArn": arn(job_id),
        "jobName": f"switchyard-batch-{job_id}",
        "modelId": model,
        "roleArn": ROLE,
        "status": status,
        "submitTime": datetime(2026, 12, 1, 3, 0, tzinfo=UTC),
        "inputDataConfig": {"s3InputDataConfig": {"s3Uri": f"{PREFIX}/input.jsonl"}},
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"{PREFIX}/output/"}},
        "totalRecordCount": 6,
        "processedRecordCount": done,
        "errorRecordCount": errors,
        **more,
    }


def expect_polls(stub, model: str, job_id: str, *states) -> None:
    """One get_model_invocation_job answer per (status, processed, errors)."""
    for status, done, errors in states:
        stub.add_response(
            "get_model_invocation_job",
            described(model, job_id, status, done, errors),
            {"jobIdentifier": arn(job_id)},
        )


def publish(s3, con, run_id: str, folder: str, job_id: str, name: str = "input.jsonl.out"):
    """Put a job's output files where Bedrock writes them: <output>/<job id>/."""
    output = batch.stored(con, run_id)["batch"]["output"]
    key = output[len(f"s3://{BUCKET}/") :] + f"{job_id}/"
    for path in sorted((DATA / folder / job_id).iterdir()):
        target = name if path.name == "input.jsonl.out" else path.name
        s3.put_object(Bucket=BUCKET, Key=key + target, Body=path.read_bytes())
    return key


def outputs(con, run_id: str):
    return con.execute(
        "SELECT item_id, text, ttft_ms, latency_ms, input_tokens, output_tokens, error,"
        " stop_reason, calls FROM output WHERE run_id = ? ORDER BY item_id",
        [run_id],
    ).df()
