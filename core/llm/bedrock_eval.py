"""Amazon Bedrock Evaluations for a run: its outputs become the job's dataset
(bring-your-own-inference), the job runs (automated metrics or an LLM judge), and its
output comes back through the ordinary Bedrock importer as a scored run.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable

import duckdb

from core.catalog import runs
from core.errors import InputError, NotFoundError
from core.importers import files, s3
from core.importers.runs import RunImport
from core.llm import clients
from core.store import db, writes

AUTOMATED_METRICS = ("Builtin.Accuracy", "Builtin.Robustness", "Builtin.Toxicity")
JUDGE_METRICS = (
    "Builtin.Correctness",
    "Builtin.Completeness",
    "Builtin.Faithfulness",
    "Builtin.Helpfulness",
    "Builtin.Harmfulness",
)
DONE = {"Completed", "Failed", "Stopped", "Deleted"}


def dataset_records(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict]:
    """The run's answered outputs as Bedrock's bring-your-own-inference dataset lines."""
    model_id = _model_id(con, run_id)
    records = [
        {
            "prompt": prompt,
            "referenceResponse": truth or "",
            "category": stratum,
            "modelResponses": [{"response": text, "modelIdentifier": model_id}],
        }
        for prompt, truth, stratum, text in con.execute(
            "SELECT i.prompt, i.ground_truth, i.stratum, o.text FROM output o JOIN run r"
            " USING (run_id) JOIN item i ON i.dataset_id = r.dataset_id AND i.item_id ="
            " o.item_id WHERE o.run_id = ? AND o.error IS NULL AND o.text IS NOT NULL"
            " ORDER BY o.item_id",
            [run_id],
        ).fetchall()
    ]
    if not records:
        raise InputError("evaluation job", f"run {run_id} has no answered output to evaluate")
    return records


def _model_id(con: duckdb.DuckDBPyConnection, run_id: str) -> str:
    row = con.execute("SELECT model_id FROM run WHERE run_id = ?", [run_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no run {run_id!r}")
    return row[0]


def upload_dataset(
    con: duckdb.DuckDBPyConnection, run_id: str, s3_prefix: str, s3_client=None
) -> str:
    """Write the run's dataset JSONL under ``s3_prefix``; returns its s3:// URI."""
    bucket, prefix = s3.split(s3_prefix)
    key = f"{prefix.rstrip('/')}/{run_id}.jsonl".lstrip("/")
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in dataset_records(con, run_id))
    client = s3_client or clients.s3()
    with clients.mapped(f"uploading the dataset to s3://{bucket}/{key}"):
        client.put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"))
    return f"s3://{bucket}/{key}"


def create_job(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    role_arn: str,
    dataset_uri: str,
    output_uri: str,
    metrics: list[str],
    judge_model: str | None = None,
    client=None,
    actor: str,
    job_name: str | None = None,
) -> str:
    """Start an evaluation job over the run's uploaded outputs; returns the job ARN."""
    if not re.fullmatch(r"arn:aws[\w-]*:iam::\d{12}:role/.+", role_arn or ""):
        raise InputError("evaluation job", f"role ARN {role_arn!r} is not an IAM role ARN")
    if not metrics:
        raise InputError("evaluation job", "choose at least one metric")
    model_id = _model_id(con, run_id)
    job_name = job_name or f"switchyard-{run_id}-{uuid.uuid4().hex[:6]}"
    automated = _automated(run_id, dataset_uri, metrics, judge_model)
    client = client or clients.bedrock()
    with clients.mapped("creating the Bedrock evaluation job"):
        response = client.create_evaluation_job(
            jobName=job_name,
            roleArn=role_arn,
            applicationType="ModelEvaluation",
            evaluationConfig={"automated": automated},
            inferenceConfig={
                "models": [{"precomputedInferenceSource": {"inferenceSourceIdentifier": model_id}}]
            },
            outputDataConfig={"s3Uri": output_uri},
        )
    job_arn = response["jobArn"]
    with db.transaction(con):
        writes.audit(
            con,
            actor,
            "create_evaluation_job",
            "run",
            run_id,
            after={
                "job_arn": job_arn,
                "metrics": list(metrics),
                "judge": judge_model,
                "dataset": dataset_uri,
                "output": output_uri,
            },
        )
    return job_arn


def _automated(
    run_id: str, dataset_uri: str, metrics: list[str], judge_model: str | None
) -> dict[str, object]:
    """The job's automated evaluation configuration: the dataset, metrics and judge."""
    automated: dict[str, object] = {
        "datasetMetricConfigs": [
            {
                "taskType": "General",
                "dataset": {"name": run_id, "datasetLocation": {"s3Uri": dataset_uri}},
                "metricNames": list(metrics),
            }
        ]
    }
    if judge_model:
        automated["evaluatorModelConfig"] = {
            "bedrockEvaluatorModels": [{"modelIdentifier": judge_model}]
        }
    return automated


def wait(
    client,
    job_arn: str,
    *,
    poll_s: float = 30,
    timeout_s: float = 6 * 3600,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Poll ``get_evaluation_job`` until the job is done; returns its last description."""
    deadline = time.monotonic() + timeout_s
    while True:
        with clients.mapped(f"reading the evaluation job {job_arn}"):
            job = client.get_evaluation_job(jobIdentifier=job_arn)
        if job["status"] in DONE:
            return job
        if time.monotonic() > deadline:
            raise InputError(
                "evaluation job",
                f"{job_arn} still {job['status']} after {timeout_s:.0f} s; import it later",
            )
        sleep(poll_s)


def import_results(
    con: duckdb.DuckDBPyConnection,
    job: dict,
    dataset_id: str,
    *,
    actor: str,
    name: str | None = None,
) -> RunImport:
    """Import a completed job's output (every JSONL under its output location) as a run."""
    if job["status"] != "Completed":
        reasons = "; ".join(job.get("failureMessages") or []) or job["status"]
        raise InputError("evaluation job", f"{job['jobName']} did not complete: {reasons}")
    spec = runs.RunSpec(
        dataset_id,
        name=name or f"Bedrock evaluation {job['jobName']}",
        judge="bedrock",
        origin="bedrock",
    )
    result, _notes = files.import_run(
        con, job["outputDataConfig"]["s3Uri"], spec, actor=actor, fmt="bedrock"
    )
    return result
