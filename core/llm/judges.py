"""Judges Switchyard runs itself: Ragas and DeepEval metrics over a run's outputs, with the
judge model on Amazon Bedrock through plain boto3 (``core.llm.judge_models``), and the
non-LLM metrics.

ragas and deepeval take seconds to import and phone home unless told not to: they are
imported only inside these functions, after ``core.telemetry`` has switched their telemetry
(and DeepEval's .env loading) off.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb

from core import telemetry
from core.errors import InputError, NotFoundError
from core.llm import converse, judge_models
from core.llm.judge_models import deepeval_judge, judge_model, ragas_models
from core.store import db, writes
from core.types import DEFAULT_REGION, Provider

LLM_METRICS = {
    "ragas_faithfulness": "Ragas faithfulness (claims supported by the context)",
    "ragas_answer_relevancy": "Ragas answer relevancy (needs an embedding model)",
    "ragas_factual_correctness": "Ragas factual correctness against the reference (F1)",
    "deepeval_faithfulness": "DeepEval faithfulness",
    "deepeval_answer_relevancy": "DeepEval answer relevancy",
    "deepeval_geval_correctness": "DeepEval GEval correctness, with the owner's rubric",
}
PLAIN_METRICS = {
    "ragas_bleu": "BLEU against the reference (sacrebleu)",
    "ragas_rouge": "ROUGE-L F1 against the reference (rouge-score)",
    "ragas_string_similarity": "Levenshtein similarity to the reference (RapidFuzz)",
    "ragas_exact_match": "Exact match with the reference",
    "deepeval_exact_match": "DeepEval exact match",
    "deepeval_pattern_match": "DeepEval pattern match (a regular expression)",
}
METRICS = {**LLM_METRICS, **PLAIN_METRICS}
DEFAULT_RUBRIC = (
    "Is the actual output factually correct and complete when compared with the expected "
    "output? Penalise numbers, dates or entities that differ, and answers that hedge."
)


@dataclass(frozen=True)
class JudgeConfig:
    model_id: str = "anthropic.claude-3-5-sonnet-20241022-v2:0"
    embedding_model_id: str = "amazon.titan-embed-text-v2:0"
    provider: Provider = "bedrock"  # or "openai": an OpenAI-compatible endpoint (endpoint_url)
    region: str = DEFAULT_REGION
    endpoint_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"  # openai: the variable holding the key
    threshold: float = 0.5
    rubric: str = DEFAULT_RUBRIC
    pattern: str | None = None  # deepeval_pattern_match
    concurrency: int = 8  # items judged at once


# --- scoring ----------------------------------------------------------------------------------


@dataclass
class Score:
    score: float | None
    passed: bool | None
    explanation: str | None


def _scorers(metrics: list[str], config: JudgeConfig, client) -> dict[str, Callable]:
    """metric -> function(item dict) -> Score, importing only the libraries asked for."""
    telemetry.disable()
    model = judge_model(config, client) if any(m in LLM_METRICS for m in metrics) else None
    scorers: dict[str, Callable] = {}
    if any(m.startswith("ragas_") for m in metrics):
        scorers.update(_ragas_scorers(metrics, config, model))
    if any(m.startswith("deepeval_") for m in metrics):
        scorers.update(_deepeval_scorers(metrics, config, model))
    return scorers


def _ragas_scorers(metrics, config: JudgeConfig, model) -> dict[str, Callable]:
    from ragas.dataset_schema import SingleTurnSample
    from ragas.metrics import (
        AnswerRelevancy,
        BleuScore,
        ExactMatch,
        FactualCorrectness,
        Faithfulness,
        NonLLMStringSimilarity,
        RougeScore,
    )

    llm = embeddings = None
    if any(m in LLM_METRICS for m in metrics if m.startswith("ragas_")):
        llm, embeddings = ragas_models(model)
    made = {
        "ragas_faithfulness": lambda: Faithfulness(llm=llm),
        "ragas_answer_relevancy": lambda: AnswerRelevancy(llm=llm, embeddings=embeddings),
        "ragas_factual_correctness": lambda: FactualCorrectness(llm=llm),
        "ragas_bleu": BleuScore,
        "ragas_rouge": lambda: RougeScore(rouge_type="rougeL", mode="fmeasure"),
        "ragas_string_similarity": NonLLMStringSimilarity,
        "ragas_exact_match": ExactMatch,
    }

    def scorer(metric_object):
        def score(item: dict) -> Score:
            sample = SingleTurnSample(
                user_input=item["prompt"],
                response=item["output"],
                reference=item["ground_truth"] or "",
                retrieved_contexts=[item["context"]] if item["context"] else [],
            )
            value = asyncio.run(metric_object.single_turn_ascore(sample))
            value = None if value is None or value != value else float(value)  # NaN: none
            return Score(value, None if value is None else value >= config.threshold, None)

        return score

    return {m: scorer(made[m]()) for m in metrics if m in made}


def _deepeval_scorers(metrics, config: JudgeConfig, model) -> dict[str, Callable]:
    from deepeval.metrics import (
        AnswerRelevancyMetric,
        ExactMatchMetric,
        FaithfulnessMetric,
        GEval,
        PatternMatchMetric,
    )
    from deepeval.test_case import LLMTestCase, SingleTurnParams

    judge = None
    if any(m in LLM_METRICS for m in metrics if m.startswith("deepeval_")):
        judge = deepeval_judge(model)
    t = config.threshold
    made = {
        "deepeval_faithfulness": lambda: FaithfulnessMetric(
            threshold=t, model=judge, async_mode=False, include_reason=True
        ),
        "deepeval_answer_relevancy": lambda: AnswerRelevancyMetric(
            threshold=t, model=judge, async_mode=False, include_reason=True
        ),
        "deepeval_geval_correctness": lambda: GEval(
            name="Correctness",
            criteria=config.rubric,
            evaluation_params=[
                SingleTurnParams.INPUT,
                SingleTurnParams.ACTUAL_OUTPUT,
                SingleTurnParams.EXPECTED_OUTPUT,
            ],
            threshold=t,
            model=judge,
            async_mode=False,
        ),
        "deepeval_exact_match": lambda: ExactMatchMetric(threshold=t),
        "deepeval_pattern_match": lambda: PatternMatchMetric(
            pattern=config.pattern or r".+", threshold=t
        ),
    }

    def scorer(metric_object):
        def score(item: dict) -> Score:
            case = LLMTestCase(
                input=item["prompt"],
                actual_output=item["output"],
                expected_output=item["ground_truth"],
                retrieval_context=[item["context"]] if item["context"] else None,
            )
            metric_object.measure(case)
            return Score(
                float(metric_object.score), bool(metric_object.success), metric_object.reason
            )

        return score

    if "deepeval_pattern_match" in metrics and config.pattern:
        re.compile(config.pattern)  # a bad pattern fails here, before any call
    return {m: scorer(made[m]()) for m in metrics if m in made}


def score_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    metrics: list[str],
    config: JudgeConfig,
    *,
    actor: str,
    client=None,
    progress: Callable[[float, str], None] | None = None,
    stop: threading.Event | None = None,
) -> dict[str, int]:
    """Score every answered output of the run on each metric; a metric's scores replace its
    earlier ones from this judge in one transaction. Returns scored items per metric. An
    item the judge cannot score gets an empty score with the error as its explanation.
    ``stop`` ends the scoring early: metrics stored so far stay, the one under way is dropped."""
    items = _answered(con, run_id, metrics, config)
    if client is None and config.provider == "bedrock" and any(m in LLM_METRICS for m in metrics):
        client = judge_models.bedrock_runtime(config)  # boto3 clients are thread-safe: one for all
    judge = _judge(metrics, config, client)
    stop = stop or threading.Event()

    def scored(metric: str, item: tuple) -> Score | None:
        return None if stop.is_set() else judge(metric, item)

    versions = _versions(metrics, config)
    counts = {}
    total = len(items) * len(metrics)
    with ThreadPoolExecutor(max_workers=config.concurrency) as pool:
        for m_index, metric in enumerate(metrics):
            futures = [pool.submit(scored, metric, item) for item in items]
            scores = []
            for i_index, future in enumerate(futures):
                scores.append(future.result())
                if progress:
                    done = m_index * len(items) + i_index + 1
                    progress(done / total, f"{metric}: {i_index + 1} of {len(items)}")
            if stop.is_set():
                break  # a skipped item's score is None: a stopped metric is not stored
            kept = [score for score in scores if score is not None]
            judge_name, judge_version = versions[metric]
            rows = [
                (
                    run_id,
                    item[0],
                    metric,
                    judge_name,
                    score.score,
                    config.threshold,
                    score.passed,
                    score.explanation,
                    judge_version,
                )
                for item, score in zip(items, kept, strict=True)
            ]
            _store(con, run_id, metric, rows, versions[metric], actor)
            counts[metric] = sum(r[4] is not None for r in rows)
    return counts


def _judge(metrics: list[str], config: JudgeConfig, client) -> Callable[[str, tuple], Score]:
    """judge(metric, item row) -> Score, for any worker thread; never raises."""
    _scorers(metrics, config, client)  # import the libraries once, before the threads do
    local = threading.local()

    def judge(metric: str, item: tuple) -> Score:
        # Metric objects keep state between calls: each thread builds its own.
        if not hasattr(local, "scorers"):
            local.scorers = _scorers(metrics, config, client)
        _item_id, prompt, context, truth, output = item
        fields = {
            "prompt": prompt,
            "context": context,
            "ground_truth": truth,
            "output": output or "",
        }
        try:
            return local.scorers[metric](fields)
        except Exception as exc:  # a judge failure is recorded, not fatal
            return Score(None, None, f"judge failed: {converse.error_text(exc)}"[:500])

    return judge


def check_request(con, run_id: str, metrics: list[str], config: JudgeConfig) -> None:
    """Refuse a scoring request before it is queued, as ``score_run`` would."""
    _answered(con, run_id, metrics, config)


def _answered(con, run_id: str, metrics: list[str], config: JudgeConfig) -> list[tuple]:
    """The run's answered items (item_id, prompt, context, ground_truth, output), once the
    request is known to be valid."""
    unknown = sorted(set(metrics) - set(METRICS))
    if unknown or not metrics:
        raise InputError("judge", f"unknown metrics {unknown}; known: {', '.join(METRICS)}")
    if "deepeval_pattern_match" in metrics:
        try:
            re.compile(config.pattern or "")
        except re.error as exc:
            raise InputError("judge", f"pattern {config.pattern!r} is not valid: {exc}") from None
    if not con.execute("SELECT 1 FROM run WHERE run_id = ?", [run_id]).fetchone():
        raise NotFoundError(f"no run {run_id!r}")
    items = con.execute(
        "SELECT o.item_id, i.prompt, i.context, i.ground_truth, o.text FROM output o"
        " JOIN run r USING (run_id) JOIN item i ON i.dataset_id = r.dataset_id"
        " AND i.item_id = o.item_id WHERE o.run_id = ? AND o.error IS NULL ORDER BY 1",
        [run_id],
    ).fetchall()
    if not items:
        raise InputError("judge", f"run {run_id} has no answered output to score")
    if config.concurrency < 1:
        raise InputError("judge", "concurrency must be at least 1")
    return items


def _store(con, run_id: str, metric: str, rows: list, version: tuple[str, str], actor: str):
    """Replace the metric's scores from this judge with ``rows``, audited, in one transaction."""
    with db.transaction(con):
        con.execute(
            "DELETE FROM judge_score WHERE run_id = ? AND metric = ? AND judge = ?",
            [run_id, metric, version[0]],
        )
        con.executemany(
            "INSERT INTO judge_score (run_id, item_id, metric, judge, score, threshold,"
            " passed, explanation, judge_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        writes.audit(
            con,
            actor,
            "score_run",
            "judge_score",
            run_id,
            after={
                "metric": metric,
                "items": len(rows),
                "judge": version[0],
                "version": version[1],
                "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            },
        )


def _versions(metrics: list[str], config: JudgeConfig) -> dict[str, tuple[str, str]]:
    """(judge, judge_version) per metric: the library and its version, and the judge model."""
    from importlib.metadata import version

    out = {}
    for metric in metrics:
        library = metric.split("_", 1)[0]
        model = config.model_id if metric in LLM_METRICS else "no model"
        out[metric] = (library, f"{library} {version(library)}; {model}")
    return out
