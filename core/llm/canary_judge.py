"""The migration's judges on a sample of the canary's production traffic, both arms alike.

The sample is ``core.llm.canary_sample``'s (one rate on both arms, new traffic only on a
later pass). The judges are the runner's (``core.llm.judges``: the same metric objects, judge
model, thread pool and botocore throttling retries); the scores go to canary_score through
``core.store.writes_canary``, one transaction per batch, where
``core.analysis.canary.arrivals.load`` reads them as the requests' judge verdicts.
Production logs carry no reference answer and no retrieved context, so only metrics that
need neither can score traffic; the others are named, with what they lack.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, replace
from datetime import datetime

import duckdb

from core.catalog import metrics as catalog
from core.catalog import migrations
from core.errors import InputError, NotFoundError
from core.llm import canary_sample, converse, judge_models, judges
from core.store import db, writes_canary

Progress = Callable[[float, str], None]
BATCH = 25  # scores per write transaction, as the runner writes outputs
# What a production request lacks for these metrics (the rest need only prompt and response).
_REFERENCE = "a reference answer"
NEEDS = {
    "ragas_faithfulness": "the retrieved context",
    "deepeval_faithfulness": "the retrieved context",
    "ragas_factual_correctness": _REFERENCE,
    "deepeval_geval_correctness": _REFERENCE,
    "ragas_bleu": _REFERENCE,
    "ragas_rouge": _REFERENCE,
    "ragas_string_similarity": _REFERENCE,
    "ragas_exact_match": _REFERENCE,
    "deepeval_exact_match": _REFERENCE,
}
TRAFFIC_METRICS = tuple(m for m in judges.METRICS if m not in NEEDS)


@dataclass(frozen=True)
class ArmCount:
    arm: str
    frame: int  # requests with prompt and response, without error (from ``since``)
    sampled: int  # of them in the sample: judged before or by this pass
    judged: int  # requests this pass judged (every wanted metric scored)


@dataclass(frozen=True)
class TrafficJudgement:
    """One judging pass: what was sampled per arm, what was written, what failed."""

    migration_id: str
    marker: str  # canary_score.file_sha256 of the rows written: 'judge:<uuid>'
    judge_model: str
    metrics: dict[str, str]  # canary_score metric (the catalog's name) -> the judge metric
    skipped: dict[str, str]  # gating metrics no judge can score on traffic -> why
    share: float
    seed: str
    arms: tuple[ArmCount, ...]
    scores: int  # canary_score rows written
    failed: int  # judge calls that gave no score (not written; tried again next pass)
    first_error: str | None
    throttled: int  # Bedrock answers of 'throttled', retried by botocore
    wall_s: float

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        arms = "; ".join(
            f"{a.arm}: {a.judged} judged now, {a.sampled} of {a.frame} in the sample"
            for a in self.arms
        )
        failed = f"; {self.failed} judge calls failed (first: {self.first_error})"
        return (
            f"{self.migration_id}: {self.scores} scores by {self.judge_model} at share"
            f" {self.share:g} ({arms}); {self.throttled} throttled and retried"
            f"{failed if self.failed else ''}"
        )


@dataclass(frozen=True)
class Plan:
    """What a pass will judge: each metric's judge, and the requests still to score."""

    metrics: dict[str, str]
    skipped: dict[str, str]
    config: judges.JudgeConfig
    evaluators: dict[str, str]  # canary_score metric -> evaluator
    pending: list[tuple]  # (request_id, arm, prompt, response, [canary metrics to score])


def judge_traffic(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    *,
    actor: str,
    share: float = 0.05,
    metrics: list[str] | None = None,
    judge: judges.JudgeConfig | None = None,
    seed: str | int | None = None,
    since: datetime | None = None,
    limit: int | None = None,
    endpoint_url: str | None = None,
    client=None,
    progress: Progress | None = None,
) -> TrafficJudgement:
    """Judge the sample of both arms' requests not scored yet by this judge.

    ``metrics``: judge metric names (``judges.METRICS``) or catalog names; default the
    migration's gating metrics. ``judge``: the judge model and its settings; default the model
    that judged the migration's runs on these metrics (the one its owner calibrated), else
    ``JudgeConfig()``'s. ``limit`` caps the requests judged, lowest coins first (the coin
    ignores the arm, so the cap favours neither). Input errors leave the database as it was.
    """
    started = time.perf_counter()
    seed_text = str(migration_id if seed is None else seed)
    plan = prepare(con, migration_id, share, metrics, judge, seed_text, since, limit)
    config = (
        plan.config if endpoint_url is None else replace(plan.config, endpoint_url=endpoint_url)
    )
    marker = f"judge:{uuid.uuid4()}"
    written, failed, first_error, throttled = _judge_all(
        con, migration_id, plan, config, marker, actor, client, progress
    )
    done = {
        request_id
        for request_id, arm, _p, _r, todo in plan.pending
        if all((request_id, m) in written for m in todo)
    }
    frame = canary_sample.counts(con, migration_id, share, seed_text, since)
    judged = {arm: sum(r[0] in done for r in plan.pending if r[1] == arm) for arm in frame}
    return TrafficJudgement(
        migration_id,
        marker,
        config.model_id,
        plan.metrics,
        plan.skipped,
        share,
        seed_text,
        tuple(ArmCount(arm, *frame[arm], judged[arm]) for arm in ("control", "canary")),
        len(written),
        failed,
        first_error,
        throttled,
        time.perf_counter() - started,
    )


def prepare(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    share: float,
    wanted: list[str] | None,
    judge: judges.JudgeConfig | None,
    seed: str,
    since: datetime | None = None,
    limit: int | None = None,
) -> Plan:
    """Check the request and find what to judge, without calling anything or writing."""
    if not isinstance(share, int | float) or not 0 < share <= 1:
        raise InputError("canary judge", f"share must be in (0, 1], got {share!r}")
    if limit is not None and limit < 1:
        raise InputError("canary judge", f"limit must be at least 1, got {limit!r}")
    _known(con, migration_id)
    calibrated = _calibrated(con, migration_id)
    chosen, skipped = _choose(con, migration_id, wanted, calibrated)
    model = _calibrated_model(calibrated, list(chosen.values()))
    config = judge or (judges.JudgeConfig(model_id=model) if model else judges.JudgeConfig())
    if config.concurrency < 1:
        raise InputError("canary judge", "concurrency must be at least 1")
    evaluators = {c: _evaluator(m, config) for c, m in chosen.items()}
    return Plan(
        chosen,
        skipped,
        config,
        evaluators,
        canary_sample.pending(con, migration_id, share, seed, evaluators, since, limit),
    )


def default_judge(
    con: duckdb.DuckDBPyConnection, migration_id: str, metrics: list[str] | None = None, **settings
) -> judges.JudgeConfig:
    """``JudgeConfig(**settings)`` with the judge model that scored these metrics (default:
    the gating ones) on the migration's runs, the one its owner calibrated, if any."""
    _known(con, migration_id)
    calibrated = _calibrated(con, migration_id)
    chosen, _ = _choose(con, migration_id, metrics, calibrated)
    model = _calibrated_model(calibrated, list(chosen.values()))
    config = judges.JudgeConfig(**settings)
    return replace(config, model_id=model) if model else config


def _known(con, migration_id: str) -> None:
    if not con.execute("SELECT 1 FROM migration WHERE migration_id = ?", [migration_id]).fetchone():
        raise NotFoundError(f"no migration {migration_id!r} (see `python -m core list`)")


def _choose(
    con, migration_id: str, wanted: list[str] | None, calibrated: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(catalog metric -> judge metric) to score, and the gating metrics skipped, with why."""
    by_catalog: dict[str, list[str]] = {}
    for metric in [*calibrated, *TRAFFIC_METRICS, *NEEDS]:  # the owner's judges first
        by_catalog.setdefault(canonical(con, metric), []).append(metric)
    named = wanted is not None
    names = wanted if named else migrations.criteria(con, migration_id).get("gating_metrics")
    if not names:
        raise InputError(
            "canary judge",
            f"{migration_id} names no gating metrics: pass the metrics to judge,"
            f" one of {', '.join(TRAFFIC_METRICS)}",
        )
    chosen, skipped = {}, {}
    for name in names:
        if name in judges.METRICS:
            options = [name]
        else:
            options = by_catalog.get(catalog.resolve(con, [name])[name].metric, [])
        usable = [m for m in options if m not in NEEDS]
        if usable:
            chosen[canonical(con, usable[0])] = usable[0]
        elif options:
            skipped[name] = f"{options[0]} needs {NEEDS[options[0]]}, which traffic logs lack"
        else:
            skipped[name] = "no Switchyard judge scores it"
    if named and skipped:
        raise InputError(
            "canary judge",
            "cannot judge traffic on "
            + "; ".join(f"{k!r}: {v}" for k, v in skipped.items())
            + f". Judges that need only the prompt and response: {', '.join(TRAFFIC_METRICS)}",
        )
    if not chosen:
        raise InputError(
            "canary judge",
            f"none of {migration_id}'s gating metrics can be judged on traffic ("
            + "; ".join(f"{k}: {v}" for k, v in skipped.items())
            + f"); pass --metrics, one of {', '.join(TRAFFIC_METRICS)}",
        )
    return chosen, skipped


def canonical(con: duckdb.DuckDBPyConnection, judge_metric: str) -> str:
    """The catalog's name for a judge metric: 'deepeval_answer_relevancy' -> 'answer_relevancy'
    (the name without its library, through the catalog's aliases)."""
    bare = judge_metric.split("_", 1)[1] if judge_metric in judges.METRICS else judge_metric
    return catalog.resolve(con, [bare])[bare].metric


def _calibrated(con, migration_id: str) -> dict[str, str]:
    """Judge metric -> judge_version of Switchyard's judge scores on the migration's runs."""
    runs = [
        *migrations.target_runs(con, migration_id),
        db.scalar(
            con, "SELECT source_run_id FROM migration WHERE migration_id = ?", [migration_id]
        ),
    ]
    rows = con.execute(
        "SELECT metric, max(judge_version) FROM judge_score WHERE run_id IN (SELECT unnest(?))"
        " AND judge IN ('ragas', 'deepeval') GROUP BY metric ORDER BY metric",
        [runs],
    ).fetchall()
    return {m: v or "" for m, v in rows if m in judges.METRICS}


def _calibrated_model(calibrated: dict[str, str], chosen: list[str]) -> str | None:
    """The judge model that scored the chosen metrics on the runs ('ragas 0.2; <model>')."""
    for metric in chosen:
        if metric in judges.LLM_METRICS and "; " in calibrated.get(metric, ""):
            return calibrated[metric].split("; ", 1)[1]
    return None


def _evaluator(judge_metric: str, config: judges.JudgeConfig) -> str:
    """Who scored: the judge model, or the library for a metric without a model."""
    return config.model_id if judge_metric in judges.LLM_METRICS else judge_metric.split("_")[0]


def _judge_all(con, migration_id: str, plan: Plan, config, marker, actor, client, progress):
    """Run every (request, metric) call on the runner's judges; write scores in batches.
    Returns (written {(request_id, metric)}, failed calls, the first error, throttled)."""
    calls = [(r, c) for r in plan.pending for c in r[4]]
    if not calls:
        return set(), 0, None, 0
    throttles = [0]
    counter = _count_throttles(throttles)
    llm = any(m in judges.LLM_METRICS for m in plan.metrics.values())
    if llm and config.provider == "bedrock":
        client = client or judge_models.bedrock_runtime(config)
        client.meta.events.register("needs-retry.bedrock-runtime", counter)
    try:
        judge = judges._judge(sorted(set(plan.metrics.values())), config, client)
        written, failed, first_error = _run(
            con, migration_id, plan, judge, calls, config, (marker, actor), progress
        )
    finally:
        if client is not None and hasattr(client, "meta"):
            client.meta.events.unregister("needs-retry.bedrock-runtime", counter)
    return written, failed, first_error, throttles[0]


def _run(con, migration_id: str, plan: Plan, judge, calls, config, by, progress):
    """The calls on a thread pool; only this thread writes (DuckDB is not shared)."""
    written: set[tuple[str, str]] = set()
    failed, first_error, batch = 0, None, []
    with ThreadPoolExecutor(max_workers=config.concurrency) as pool:
        waiting = {
            pool.submit(judge, plan.metrics[c], (r[0], r[2], None, None, r[3])): (r[0], c)
            for r, c in calls
        }
        while waiting:
            finished, _ = wait(waiting, return_when=FIRST_COMPLETED)
            for future in finished:
                request_id, metric = waiting.pop(future)
                score = future.result()
                if score.score is None:  # reported, never written as a score
                    failed += 1
                    first_error = (
                        first_error or f"{request_id} {metric}: {score.explanation or 'no score'}"
                    )
                    continue
                label = None if score.passed is None else ("pass" if score.passed else "fail")
                evaluator = plan.evaluators[metric]
                batch.append((request_id, metric, evaluator, score.score, label, score.explanation))
            if len(batch) >= BATCH or (batch and not waiting):
                with db.transaction(con):
                    writes_canary.add_judge_scores(
                        con, migration_id, batch, marker=by[0], actor=by[1]
                    )
                written |= {(b[0], b[1]) for b in batch}
                batch = []
            if progress:
                done = len(calls) - len(waiting)
                progress(done / len(calls), f"{done} of {len(calls)} judge calls ({failed} failed)")
    return written, failed, first_error


def _count_throttles(counter: list[int]) -> Callable:
    """A botocore needs-retry handler that counts throttled answers and leaves the retry
    decision to botocore (it returns None)."""

    def handler(response=None, **_kwargs) -> None:
        parsed = response[1] if response else {}
        code = (parsed or {}).get("Error", {}).get("Code", "")
        if str(code).lower() in converse.THROTTLED:
            counter[0] += 1

    return handler
