"""Importing a Bedrock batch job's records as its run's outputs (``core.llm.batch`` starts
the job and waits for it).

The records are read and matched to the items before anything is written; then every item's
output (its answer, its record's error, or the job's reason for leaving it out) is written in
one transaction through the runner's writer, with each answer's cost at the batch price in
its ``calls`` breakdown. TTFT and latency stay NULL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from core.catalog import pricing
from core.errors import InputError
from core.importers import s3
from core.llm import batch_bodies, batch_records, clients, runner
from core.llm.batch import IMPORTABLE, ORIGIN, Progress, stored, wait
from core.llm.converse import Call
from core.store import db, writes


@dataclass
class BatchResult:
    run_id: str
    job_arn: str
    status: str
    answered: int
    failed: int
    cost: float | None
    currency: str | None
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        cost = (
            f"; cost {self.cost:.4f} {self.currency} at the batch price"
            if self.cost is not None
            else ""
        )
        return (
            f"{self.run_id}: job {self.status}, {self.answered} answered, {self.failed} failed"
            f"{cost}; TTFT and latency not measured by a batch job"
        )


def import_job(
    con: duckdb.DuckDBPyConnection, run_id: str, job: dict, *, s3_client=None, actor: str
) -> BatchResult:
    """Read the ended job's records and write them as the run's outputs, in one transaction.
    A job that failed, stopped or expired writes every item with the job's reason."""
    config = stored(con, run_id)
    dataset_id, model_id = con.execute(
        "SELECT dataset_id, model_id FROM run WHERE run_id = ?", [run_id]
    ).fetchone() or ("", "")
    item_ids = [
        r[0]
        for r in con.execute(
            "SELECT item_id FROM item WHERE dataset_id = ? ORDER BY item_id", [dataset_id]
        ).fetchall()
    ]
    ids = {batch_records.record_id(i): item for i, item in enumerate(item_ids, start=1)}
    job_id = job["jobArn"].rsplit("/", 1)[-1]
    calls: list[Call] = []
    if job["status"] in IMPORTABLE:
        client = s3_client or clients.s3(config.get("region"))
        folder = config["batch"]["output"].rstrip("/") + f"/{job_id}/"
        calls = _read(client, folder, ids, batch_bodies.family(model_id), job)
    reason = job.get("message") or f"the job ended {job['status']}"
    seen = {c.item_id for c in calls}
    calls += [
        Call(item, error=f"batch job {job['status']}: no record for {rid} ({reason})"[:500])
        for rid, item in ids.items()
        if item not in seen
    ]
    _breakdown(con, model_id, calls, job_id, float(config["price"]["factor"]))
    with db.transaction(con):
        runner.insert_calls(con, run_id, calls)
        writes.audit(
            con,
            actor,
            "import_batch_job",
            "run",
            run_id,
            after={"job_arn": job["jobArn"], "status": job["status"], "outputs": len(calls)},
        )
    failed = [c for c in calls if c.error]
    cost, currency = runner.run_cost(con, run_id)
    return BatchResult(
        run_id,
        job["jobArn"],
        job["status"],
        len(calls) - len(failed),
        len(failed),
        cost,
        currency,
        [f"{c.item_id}: {c.error}" for c in failed[:20]],
    )


def _read(client, folder: str, ids: dict[str, str], kind, job: dict) -> list[Call]:
    """Every record under the job's output folder, matched to the items."""
    keys = batch_records.output_keys(client, folder)
    if not keys and job["status"] == "Completed":
        raise InputError(
            folder,
            f"the job completed but wrote no *{batch_records.OUTPUT_SUFFIX} here: check the"
            " output location in the Bedrock console",
        )
    bucket, _ = s3.split(folder)
    files = [(f"s3://{bucket}/{key}", batch_records.read_text(client, bucket, key)) for key in keys]
    return batch_records.calls(files, ids, kind, job["jobArn"])


def _breakdown(con, model_id: str, calls: list[Call], job_id: str, factor: float) -> None:
    """Each call's record: the job, and an answer's cost at the batch price in force today."""
    price = pricing.prices(con).set_index("model_id")
    p = price.loc[model_id] if model_id in price.index else None
    for index, c in enumerate(calls):
        entry: dict = {"via": ORIGIN, "job": job_id}
        if p is not None and c.error is None:
            tokens = (c.input_tokens or 0) * p.input_per_1k + (
                c.output_tokens or 0
            ) * p.output_per_1k
            entry |= {"cost": tokens / 1000 * factor, "currency": p.currency}
        calls[index].breakdown = [entry]


def finish(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    actor: str,
    bedrock_client=None,
    s3_client=None,
    poll_s: float = 60,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> BatchResult:
    """Poll the run's job until it ends and import it; a run imported before is only summed up."""
    config = stored(con, run_id)
    job_arn = config["batch"]["job_arn"]
    if db.scalar(con, "SELECT count(*) FROM output WHERE run_id = ?", [run_id]):
        return _summed(con, run_id, job_arn)
    job = wait(
        bedrock_client or clients.bedrock(config.get("region")),
        job_arn,
        poll_s=poll_s,
        progress=progress,
        sleep=sleep,
    )
    return import_job(con, run_id, job, s3_client=s3_client, actor=actor)


def _summed(con, run_id: str, job_arn: str) -> BatchResult:
    answered, failed = con.execute(
        "SELECT count(*) FILTER (WHERE error IS NULL), count(*) FILTER (WHERE error IS NOT NULL)"
        " FROM output WHERE run_id = ?",
        [run_id],
    ).fetchone() or (0, 0)
    cost, currency = runner.run_cost(con, run_id)
    return BatchResult(run_id, job_arn, "imported earlier", answered, failed, cost, currency)
