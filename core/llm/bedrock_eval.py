"""Amazon Bedrock Evaluations for a run: its outputs become the job's dataset
(bring-your-own-inference), the job runs (automated metrics or an LLM judge), and its scores
come back onto the run it evaluated (judge ``bedrock``), never as a new run.

Bedrock's output records carry no item id: each is matched to the run's item by its prompt
and reference answer, and its response must be the run's output for that item, so a job
that evaluated another run's outputs is refused rather than attached.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.errors import InputError, NotFoundError
from core.formatting import count
from core.importers import files, s3
from core.importers.formats import bedrock
from core.llm import bedrock_scores, clients
from core.store import db, writes, writes_scores

AUTOMATED_METRICS = ("Builtin.Accuracy", "Builtin.Robustness", "Builtin.Toxicity")
JUDGE_METRICS = (
    "Builtin.Correctness",
    "Builtin.Completeness",
    "Builtin.Faithfulness",
    "Builtin.Helpfulness",
    "Builtin.Harmfulness",
)
DONE = {"Completed", "Failed", "Stopped", "Deleted"}
ROLE_ARN = re.compile(r"arn:aws[\w-]*:iam::\d{12}:role/.+")
JUDGE = "bedrock"  # the judge of the scores a job attaches to the run
AUTOMATED_JUDGE = "bedrock-automated"  # their judge version when no evaluator model scored


def dataset_records(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict]:
    """The run's answered outputs as Bedrock's bring-your-own-inference dataset lines."""
    model_id = _model_id(con, run_id)
    return [
        {
            "prompt": prompt,
            "referenceResponse": reference,
            "category": stratum,
            "modelResponses": [{"response": text, "modelIdentifier": model_id}],
        }
        for _item_id, prompt, reference, stratum, text in _answered(con, run_id)
    ]


def _answered(con: duckdb.DuckDBPyConnection, run_id: str) -> list[tuple]:
    """(item_id, prompt, reference, stratum, output) of the run's answered items: what the
    job's dataset holds, so what its output records are matched against."""
    rows = con.execute(
        "SELECT o.item_id, i.prompt, coalesce(i.ground_truth, ''), i.stratum, o.text"
        " FROM output o JOIN run r USING (run_id) JOIN item i ON i.dataset_id = r.dataset_id"
        " AND i.item_id = o.item_id WHERE o.run_id = ? AND o.error IS NULL"
        " AND o.text IS NOT NULL ORDER BY o.item_id",
        [run_id],
    ).fetchall()
    if not rows:
        raise InputError("evaluation job", f"run {run_id} has no answered output to evaluate")
    return rows


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
    if not ROLE_ARN.fullmatch(role_arn or ""):
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


@dataclass(frozen=True)
class AttachResult:
    """What attaching a job's scores did: the run they now belong to, the job's records read
    (all matched, or nothing was written) and the scores stored per metric (catalog names;
    a metric that did not apply to a record stores no score)."""

    run_id: str
    job: str
    files: int
    records: int
    matched: int  # the run's items the records matched
    answered: int  # the run's answered items: what the job was given
    scores: dict[str, int]
    unmapped: tuple[str, ...] = ()  # metrics the catalog does not know: they never gate

    def summary(self) -> str:
        per_metric = ", ".join(f"{m} {n}" for m, n in sorted(self.scores.items())) or "none"
        unmapped = (
            f"; not in the metric catalog, so never gating: {', '.join(self.unmapped)}"
            if self.unmapped
            else ""
        )
        return (
            f"job {self.job}: {count(self.records, 'record')} in {count(self.files, 'file')}"
            f" matched {self.matched} of the {self.answered} answered items of run"
            f" {self.run_id}; {sum(self.scores.values())} Bedrock scores ({per_metric})"
            f"{unmapped}"
        )


def attach_results(
    con: duckdb.DuckDBPyConnection, job: dict, run_id: str, *, actor: str
) -> AttachResult:
    """Store a completed job's scores on the run it evaluated as judge ``bedrock``, replacing
    that judge's earlier scores of the same metrics (attaching twice changes nothing).

    Every record and score is checked before anything is written, in one transaction: a job
    that did not complete, a record that matches no answered item of the run (or whose
    response is not the run's output), or a score outside its metric's range is an
    InputError naming the job, the file and the line, and the database stays as it was.
    """
    name = _completed(job)
    model_id = _model_id(con, run_id)
    answered = _answered(con, run_id)
    prefix = _job_prefix(job)
    with files.local_files(prefix) as paths:
        records = _matched(paths, name, run_id, model_id, answered)
        scores, run_metrics = bedrock_scores.score_rows(con, records, run_id, name, _evaluator(job))
        n_files = len(paths)
    metric_names = [m.metric for m in run_metrics]
    with db.transaction(con):
        writes_scores.replace_judge_scores(con, run_id, JUDGE, metric_names, scores)
        writes_scores.keep_run_metrics(con, run_metrics)
        counts = {m: sum(s.metric == m for s in scores) for m in metric_names}
        writes.audit(
            con,
            actor,
            "attach_evaluation_job",
            "run",
            run_id,
            after={"job": job.get("jobArn") or name, "output": prefix, "scores": counts},
        )
    return AttachResult(
        run_id,
        name,
        n_files,
        len(records),
        len({r.item_id for r in records}),
        len(answered),
        counts,
        tuple(m.metric for m in run_metrics if not m.mapped),
    )


def _completed(job: dict) -> str:
    """The job's name, once it is known to have completed."""
    name = job.get("jobName") or job.get("jobArn") or "evaluation job"
    if job.get("status") != "Completed":
        reasons = "; ".join(job.get("failureMessages") or []) or str(job.get("status"))
        raise InputError("evaluation job", f"{name} did not complete: {reasons}")
    return name


def _job_prefix(job: dict) -> str:
    """Where this job's output lies: ``<output>/<job-name>/<job-id>/`` (the output location
    can hold other jobs' output too)."""
    base = job["outputDataConfig"]["s3Uri"].rstrip("/")
    job_id = str(job.get("jobArn") or "").rpartition("/")[2]
    return "/".join(p for p in (base, job.get("jobName"), job_id) if p) + "/"


def _evaluator(job: dict) -> str:
    """The judge version: the evaluator model the job names, else automated metrics."""
    automated = (job.get("evaluationConfig") or {}).get("automated") or {}
    models = (automated.get("evaluatorModelConfig") or {}).get("bedrockEvaluatorModels") or []
    found = [m.get("modelIdentifier") for m in models if isinstance(m, dict)]
    return next((m for m in found if m), AUTOMATED_JUDGE)


def _matched(
    paths: list[Path], job: str, run_id: str, model_id: str, answered: list[tuple]
) -> list[bedrock_scores.Record]:
    """Each output line matched to the run's item by prompt and reference; its response must
    be the run's output for that item."""
    by_text: dict[tuple, list[str]] = {}
    for item_id, prompt, reference, _stratum, _text in answered:
        by_text.setdefault((prompt, reference), []).append(item_id)
    outputs = {row[0]: row[4] for row in answered}
    records = []
    for path in paths:
        for line, record in bedrock.read_records(path):
            row, _model = bedrock.parse_line(record, str(path), line, model_id)
            item_id = _item_of(row, record, by_text, outputs, (str(path), line, job, run_id))
            if row.get("output") != outputs[item_id]:
                raise InputError(
                    str(path),
                    f"the response is not run {run_id}'s output for item {item_id}: job {job}"
                    " evaluated other outputs (was it started for another run?)",
                    row=line,
                    row_word="line",
                )
            records.append(bedrock_scores.Record(str(path), line, item_id, row))
    return records


def _item_of(row: dict, record: dict, by_text: dict, outputs: dict, where: tuple) -> str:
    """The run's item one output line is about: the item id it carries, else the one answered
    item with its prompt and reference answer."""
    file, line, job, run_id = where
    if row.get("item_id") in outputs:
        return row["item_id"]
    source = record.get("inputRecord")
    reference = source.get("referenceResponse", "") if isinstance(source, dict) else ""
    found = by_text.get((row.get("prompt"), reference), []) if _hashable(row, reference) else []
    if len(found) == 1:
        return found[0]
    if not found:
        problem = (
            f"matches no answered item of run {run_id} (job {job}): expected the prompt and"
            f" referenceResponse of one of its items, got prompt {_short(row.get('prompt'))}"
            f" and referenceResponse {_short(reference)}"
        )
    else:
        problem = (
            f"the prompt and referenceResponse match items {', '.join(found)} of run {run_id}"
            f" (job {job}) and the record carries no item id to tell them apart; give the"
            " items distinct prompts or reference answers"
        )
    raise InputError(file, problem, row=line, row_word="line")


def _hashable(row: dict, reference: object) -> bool:
    return isinstance(row.get("prompt"), str) and isinstance(reference, str)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "...'"
