"""Large runs on Amazon Bedrock batch inference: the dataset's items go to S3 as one JSONL
file of native request bodies, a model-invocation job answers them, and its ``.jsonl.out``
records come back as a run (origin ``bedrock-batch``).

The job is created before the run is written, and the run records the job's ARN when it is
written, so no run exists without its job. The job's ``clientRequestToken`` is derived from
the command (dataset, model, settings, S3 prefix, role, input file) and the number of batch
runs of it already made: after an interruption between the job's creation and the run's
write, the same command asks Bedrock again with the same token and gets the same job back
instead of a second one. Running the same command while its run has no outputs yet (or
``--resume RUN``) polls that run's job. The import is one transaction.

A batch job measures no time per call: TTFT and latency stay NULL and the run's
configuration says so; ``core.llm.batch_online`` measures them on a stratified sample.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from core.catalog import datasets, runs
from core.errors import InputError, NotFoundError
from core.importers import s3
from core.llm import batch_bodies, batch_records, clients, runner
from core.llm.runner import ModelConfig
from core.store import db, writes
from core.types import BATCH_ORIGIN, RunRole

ORIGIN = BATCH_ORIGIN
# Bedrock bills batch inference at half the on-demand price for the models that offer it:
# "Batch ... 50% cost savings vs on-demand" (Amazon Bedrock User Guide, "Capacity, Limits,
# and Cost Optimization"); "50% lower price compared to on-demand pricing" (Amazon Bedrock
# pricing page, Batch). The catalog holds on-demand prices; a batch run records this factor.
BATCH_PRICE_FACTOR = 0.5
PRICE_SOURCE = (
    "https://docs.aws.amazon.com/bedrock/latest/userguide/capacity-limits-cost-optimization.html"
)
NOT_MEASURED = (
    "TTFT and latency are not measured by a batch job: NULL, except on the items of an online"
    " sample (run --online-sample N)"
)
IMPORTABLE = ("Completed", "PartiallyCompleted")
ENDED = (*IMPORTABLE, "Failed", "Stopped", "Expired")
ROLE_ARN = re.compile(r"arn:aws[\w-]*:iam::\d{12}:role/.+")
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class BatchSpec:
    """Where the job's files go and the role Bedrock assumes to read and write them."""

    s3_prefix: str  # s3://bucket/prefix
    role_arn: str

    def validate(self) -> None:
        if not self.s3_prefix.startswith("s3://") or not s3.split(self.s3_prefix)[0]:
            raise InputError(
                "batch inference",
                f"the S3 prefix (--s3) must be s3://BUCKET/PREFIX, got {self.s3_prefix!r}",
            )
        if not ROLE_ARN.fullmatch(self.role_arn or ""):
            raise InputError(
                "batch inference",
                f"the role (--role) {self.role_arn!r} is not an IAM role ARN"
                " (arn:aws:iam::ACCOUNT:role/NAME): Bedrock assumes it to read the input and"
                " write the output",
            )


# --- starting (or finding) the job -------------------------------------------------------------


def start(
    con: duckdb.DuckDBPyConnection,
    dataset_id: str,
    config: ModelConfig,
    spec: BatchSpec,
    *,
    actor: str,
    s3_client=None,
    bedrock_client=None,
    name: str | None = None,
    role: RunRole = "candidate",
) -> tuple[str, bool]:
    """The run of this command: (run_id, True) when an earlier one has not been imported yet,
    else a new job over every item and (run_id, False). Everything is checked first."""
    kind = _check(con, dataset_id, config, spec)
    recorded = config.recorded()
    open_run = find_open(con, dataset_id, config, spec.s3_prefix)
    if open_run:
        return open_run, True
    items = con.execute(
        "SELECT item_id, prompt, context FROM item WHERE dataset_id = ? ORDER BY item_id",
        [dataset_id],
    ).fetchall()
    system = runner.prompt_text(con, config.prompt_version_id)
    body, _ids = batch_records.input_lines(items, kind, config, system)
    made = len(_batch_runs(con, dataset_id, config, spec.s3_prefix))
    job = _job_fields(dataset_id, config, spec, body, made)
    _upload(s3_client or clients.s3(config.region), job["input"], body)
    job["job_arn"] = _create_job(
        bedrock_client or clients.bedrock(config.region), config, spec, job
    )
    stored = {**recorded, "batch": job, "price": _price(), "ttft_latency": NOT_MEASURED}
    run_spec = runs.RunSpec(
        dataset_id,
        config.model_id,
        name=name or f"{config.model_id} (Bedrock batch)",
        role=role,
        prompt_version_id=config.prompt_version_id,
        config=stored,
        origin=ORIGIN,
    )
    with db.transaction(con):
        run_id = runs.create_run(con, run_spec, job["input"], actor)
        writes.audit(con, actor, "create_batch_job", "run", run_id, after=stored)
    return run_id, False


def _check(con, dataset_id: str, config: ModelConfig, spec: BatchSpec) -> batch_bodies.Family:
    """Refuse what cannot run before anything is written or sent."""
    config.validate()
    spec.validate()
    if config.provider != "bedrock":
        raise InputError(
            "run --batch", "batch inference is an Amazon Bedrock service: drop --provider"
        )
    kind = batch_bodies.family(config.model_id)
    if datasets.get(con, dataset_id)["frozen_at"] is None:
        raise InputError(
            "run --batch",
            f"{dataset_id} is not frozen: freeze it (or start a migration on it) so every "
            "model answers the same items",
        )
    runner.prompt_text(con, config.prompt_version_id)  # it must exist
    return kind


def _price() -> dict:
    return {"mode": "batch", "factor": BATCH_PRICE_FACTOR, "source": PRICE_SOURCE}


def _batch_runs(con, dataset_id: str, config: ModelConfig, s3_prefix: str) -> list[tuple]:
    """(run_id, config, has outputs) of this command's batch runs (same dataset, model,
    prompt version and S3 prefix), newest first."""
    return con.execute(
        "SELECT r.run_id, r.config, EXISTS (SELECT 1 FROM output o WHERE o.run_id = r.run_id)"
        " FROM run r WHERE r.origin = ? AND r.dataset_id = ? AND r.model_id = ?"
        " AND r.prompt_version_id IS NOT DISTINCT FROM ?"
        " AND json_extract_string(r.config, '$.batch.s3') = ?"
        " ORDER BY r.created_at DESC, r.run_id DESC",
        [ORIGIN, dataset_id, config.model_id, config.prompt_version_id, s3_prefix],
    ).fetchall()


def find_open(con, dataset_id: str, config: ModelConfig, s3_prefix: str) -> str | None:
    """The newest run of the same command (same settings) whose job is not imported yet."""
    recorded = config.recorded()
    for run_id, stored, imported in _batch_runs(con, dataset_id, config, s3_prefix):
        settings = json.loads(stored)
        if not imported and all(settings.get(k) == v for k, v in recorded.items()):
            return run_id
    return None


def _job_fields(
    dataset_id: str, config: ModelConfig, spec: BatchSpec, body: bytes, made: int
) -> dict:
    """The job's name, token and S3 locations, all derived from the command (see the module)."""
    command = json.dumps(
        [
            dataset_id,
            config.model_id,
            config.recorded(),
            config.prompt_version_id,
            spec.s3_prefix,
            spec.role_arn,
            hashlib.sha256(body).hexdigest(),
            made,
        ],
        sort_keys=True,
    )
    token = hashlib.sha256(command.encode()).hexdigest()[:32]
    folder = f"{spec.s3_prefix.rstrip('/')}/switchyard-batch-{token[:12]}"
    return {
        "s3": spec.s3_prefix,
        "role": spec.role_arn,
        "job_name": f"switchyard-batch-{token[:12]}",
        "token": token,
        "input": f"{folder}/input.jsonl",
        "output": f"{folder}/output/",
        "record_ids": "REC + the item's 1-based place among the dataset's items by item_id",
    }


def _upload(client, uri: str, body: bytes) -> None:
    bucket, key = s3.split(uri)
    with clients.mapped(f"writing the batch input to {uri}"):
        client.put_object(Bucket=bucket, Key=key, Body=body)


def _create_job(client, config: ModelConfig, spec: BatchSpec, job: dict) -> str:
    with clients.mapped("creating the Bedrock batch inference job"):
        response = client.create_model_invocation_job(
            jobName=job["job_name"],
            roleArn=spec.role_arn,
            clientRequestToken=job["token"],
            modelId=config.model_id,
            inputDataConfig={"s3InputDataConfig": {"s3Uri": job["input"]}},
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": job["output"]}},
        )
    return response["jobArn"]


# --- waiting and importing ------------------------------------------------------------------


def stored(con: duckdb.DuckDBPyConnection, run_id: str) -> dict:
    """The batch run's recorded configuration; NotFoundError for any other run."""
    row = con.execute("SELECT origin, config FROM run WHERE run_id = ?", [run_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no run {run_id!r}: `python -m core list` shows the runs")
    if row[0] != ORIGIN:
        raise InputError("run", f"{run_id} is not a Bedrock batch run (its origin is {row[0]})")
    return json.loads(row[1])


def is_batch(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    return (
        db.scalar(con, "SELECT count(*) FROM run WHERE run_id = ? AND origin = ?", [run_id, ORIGIN])
        > 0
    )


def wait(
    client,
    job_arn: str,
    *,
    poll_s: float = 60,
    timeout_s: float = 72 * 3600,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Poll ``get_model_invocation_job`` until the job has ended; its last description."""
    deadline = time.monotonic() + timeout_s
    while True:
        with clients.mapped(f"reading the batch job {job_arn}"):
            job = client.get_model_invocation_job(jobIdentifier=job_arn)
        if progress:
            progress(*_progress(job))
        if job["status"] in ENDED:
            return job
        if time.monotonic() > deadline:
            raise InputError(
                "run --batch",
                f"{job_arn} still {job['status']} after {timeout_s:.0f} s: run the same"
                " command again later, it polls this job",
            )
        sleep(poll_s)


def _progress(job: dict) -> tuple[float, str]:
    total, done = job.get("totalRecordCount"), job.get("processedRecordCount") or 0
    errors = job.get("errorRecordCount") or 0
    if not total:
        return 0.0, f"job {job['status']}"
    return done / total, f"job {job['status']}: {done} of {total} records ({errors} failed)"


def config_of(con: duckdb.DuckDBPyConnection, run_id: str, **overrides) -> ModelConfig:
    """The model configuration the batch run was made with (for its online sample)."""
    return runner.config_of(con, run_id, (ORIGIN,), **overrides)


def dry_run(con: duckdb.DuckDBPyConnection, dataset_id: str, config: ModelConfig) -> dict:
    """The runner's estimate at the batch price."""
    batch_bodies.family(config.model_id)
    estimate = runner.dry_run(con, dataset_id, config)
    if estimate["cost"] is not None:
        estimate["cost"] *= BATCH_PRICE_FACTOR
    return {**estimate, "price": "batch", "price_factor": BATCH_PRICE_FACTOR}
