"""What each kind of job does: the handlers a worker runs, and the parameters each takes.

Every handler resumes: run again after its worker died, it continues from what is stored (the
runner skips answered items; a batch or evaluation job already created is polled, not created
again). Parameters are JSON written when the job is queued; credentials never are (workers use
boto3's chain or the environment variable a configuration names).
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

import duckdb

from core.errors import InputError
from core.jobs import queue
from core.jobs.worker import Context, Handler
from core.llm import batch, batch_bodies, batch_import, bedrock_eval, clients, judges, runner
from core.types import RunRole


def enqueue_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    config: runner.ModelConfig,
    *,
    actor: str,
    parts: int = 1,
) -> str:
    """Queue answering the run's pending items (a new run, or one to resume); its first job.
    ``parts`` > 1 splits the items into that many jobs, which several workers (processes
    on PostgreSQL) take at once, each asking for its own items only."""
    config.validate()
    if not 1 <= parts <= 64:
        raise InputError("run", f"parts must be 1 to 64, got {parts}")
    params = [
        {"run_id": run_id, "config": asdict(config), "part": part, "parts": parts}
        for part in range(parts)
    ]
    return queue.enqueue_all(con, "run", params, actor=actor, subject=run_id, exclusive=True)[0]


def enqueue_judge(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    metrics: list[str],
    config: judges.JudgeConfig,
    *,
    actor: str,
) -> str:
    """Queue scoring the run's outputs on ``metrics``."""
    judges.check_request(con, run_id, metrics, config)
    params = {"run_id": run_id, "metrics": metrics, "config": asdict(config)}
    return queue.enqueue(con, "judge", params, actor=actor, subject=run_id)


def enqueue_batch(
    con: duckdb.DuckDBPyConnection,
    dataset_id: str,
    config: runner.ModelConfig,
    spec: batch.BatchSpec,
    *,
    actor: str,
    name: str | None = None,
    role: RunRole = "candidate",
    poll_s: float = 60,
) -> str:
    """Queue a Bedrock batch inference job over the dataset, polled and imported as a run."""
    spec.validate()
    config.validate()
    batch_bodies.family(config.model_id)  # a model whose batch body is not known is refused
    params = {
        "dataset_id": dataset_id,
        "config": asdict(config),
        "spec": asdict(spec),
        "name": name,
        "role": role,
        "poll_s": poll_s,
    }
    return queue.enqueue(con, "batch", params, actor=actor, subject=dataset_id)


def enqueue_bedrock_eval(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    s3_prefix: str,
    role_arn: str,
    metrics: list[str],
    judge_model: str | None,
    actor: str,
    region: str | None = None,
    poll_s: float = 60,
) -> str:
    """Queue an Amazon Bedrock evaluation of the run; its scores attach to the run."""
    if not bedrock_eval.ROLE_ARN.fullmatch(role_arn or ""):
        raise InputError("evaluation job", f"role ARN {role_arn!r} is not an IAM role ARN")
    if not metrics:
        raise InputError("evaluation job", "choose at least one metric")
    if not re.fullmatch(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?", s3_prefix or ""):
        raise InputError("evaluation job", f"expected s3://BUCKET/PREFIX, got {s3_prefix!r}")
    params = {
        "run_id": run_id,
        "s3": s3_prefix.rstrip("/"),
        "role_arn": role_arn,
        "metrics": metrics,
        "judge_model": judge_model,
        "region": region,
        "poll_s": poll_s,
    }
    return queue.enqueue(con, "bedrock_eval", params, actor=actor, subject=run_id)


def _run(ctx: Context) -> str:
    config = runner.ModelConfig(**ctx.params["config"])
    part, parts = ctx.params.get("part", 0), ctx.params.get("parts", 1)
    result = runner.execute(
        ctx.con,
        ctx.params["run_id"],
        config,
        progress=ctx.progress,
        stop=ctx.stop,
        part=part,
        parts=parts,
    )
    for line in result.errors:
        ctx.log(line)
    ctx.problems = result.failed
    return result.summary() + (f" (part {part + 1} of {parts})" if parts > 1 else "")


def _judge(ctx: Context) -> str:
    config = judges.JudgeConfig(**ctx.params["config"])
    counts = judges.score_run(
        ctx.con,
        ctx.params["run_id"],
        ctx.params["metrics"],
        config,
        actor=_actor(ctx),
        progress=ctx.progress,
        stop=ctx.stop,
    )
    return "scored: " + ", ".join(f"{m} ({n} items)" for m, n in counts.items())


def _batch(ctx: Context) -> str:
    run_id = (ctx.state or {}).get("run_id")
    if run_id is None:
        p = ctx.params
        run_id, _resumed = batch.start(
            ctx.con,
            p["dataset_id"],
            runner.ModelConfig(**p["config"]),
            batch.BatchSpec(**p["spec"]),
            actor=_actor(ctx),
            name=p["name"],
            role=p["role"],
        )
        ctx.save({"run_id": run_id})
        ctx.log(f"run {run_id}: job {batch.stored(ctx.con, run_id)['batch']['job_arn']}")

    def progress(fraction: float, message: str) -> None:
        ctx.progress(fraction, message)
        ctx.checkpoint()  # a cancel ends the polling; the Bedrock job itself runs on

    result = batch_import.finish(
        ctx.con, run_id, actor=_actor(ctx), poll_s=ctx.params["poll_s"], progress=progress
    )
    for line in result.errors[:20]:
        ctx.log(line)
    ctx.problems = result.failed
    return result.summary()


def _bedrock_eval(ctx: Context) -> str:
    p = ctx.params
    bedrock = clients.bedrock(p["region"])
    arn = (ctx.state or {}).get("arn")
    if arn is None:  # resumed after the job was created: poll it, never create it twice
        dataset_uri = bedrock_eval.upload_dataset(
            ctx.con, p["run_id"], p["s3"] + "/datasets/", clients.s3(p["region"])
        )
        arn = bedrock_eval.create_job(
            ctx.con,
            p["run_id"],
            role_arn=p["role_arn"],
            dataset_uri=dataset_uri,
            output_uri=p["s3"] + "/output/",
            metrics=p["metrics"],
            judge_model=p["judge_model"],
            client=bedrock,
            actor=_actor(ctx),
        )
        ctx.save({"arn": arn})
        ctx.log(f"evaluation job {arn}")

    def sleep(seconds: float) -> None:
        ctx.progress(0.5, f"evaluation job {arn} running")
        ctx.checkpoint()  # a cancel stops the waiting; the Bedrock job itself runs on
        ctx.stop.wait(seconds)
        ctx.checkpoint()

    job = bedrock_eval.wait(bedrock, arn, poll_s=p["poll_s"], sleep=sleep)
    return bedrock_eval.attach_results(ctx.con, job, p["run_id"], actor=_actor(ctx)).summary()


def _actor(ctx: Context) -> str:
    return str(queue.get(ctx.con, ctx.job_id)["created_by"])


HANDLERS: dict[str, Handler] = {
    "run": _run,
    "judge": _judge,
    "batch": _batch,
    "bedrock_eval": _bedrock_eval,
}


def describe(job: dict[str, Any]) -> str:
    """One line naming what a job works on, for lists."""
    return f"{job['kind']} {job['subject'] or ''}".strip()
