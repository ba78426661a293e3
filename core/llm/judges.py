"""Judges Switchyard runs itself: Ragas and DeepEval metrics over a run's outputs, with the
judge model on Amazon Bedrock through plain boto3, and the non-LLM metrics.

DeepEval's own Bedrock model needs aiobotocore, which conflicts with current boto3, so the
judge is a ``DeepEvalBaseLLM`` subclass over ``converse``; Ragas gets a small LangChain chat
model over the same call (and Titan embeddings through ``invoke_model`` for answer
relevancy). ragas and deepeval take seconds to import and phone home unless told not to:
they are imported only inside these functions, after ``core.telemetry`` has switched
their telemetry (and DeepEval's .env loading) off.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb

from core import telemetry
from core.errors import InputError, NotFoundError
from core.llm import endpoints
from core.store import db

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
    provider: str = "bedrock"  # or "openai": an OpenAI-compatible endpoint (endpoint_url)
    region: str = "us-east-1"
    endpoint_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"  # openai: the variable holding the key
    threshold: float = 0.5
    rubric: str = DEFAULT_RUBRIC
    pattern: str | None = None  # deepeval_pattern_match
    concurrency: int = 8  # items judged at once


# --- the judge model on plain boto3 -------------------------------------------------------------


def bedrock_runtime(config: JudgeConfig):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "bedrock-runtime",
        region_name=config.region,
        endpoint_url=config.endpoint_url,
        config=Config(retries={"mode": "standard", "max_attempts": 6}, read_timeout=120),
    )


def converse_text(client, model_id: str, prompt: str, max_tokens: int = 2048) -> str:
    response = client.converse(
        modelId=model_id,
        messages=[{"role": "user", "content": [{"text": prompt}]}],
        inferenceConfig={"temperature": 0.0, "maxTokens": max_tokens},
    )
    return "".join(p.get("text", "") for p in response["output"]["message"]["content"])


def _openai_post(config: JudgeConfig, path: str, body: dict) -> dict:
    request = endpoints.request(config.endpoint_url, path, body, config.api_key_env)
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - core.endpoints: http(s) only
        return json.loads(response.read())


@dataclass(frozen=True)
class JudgeModel:
    """The two things a judge library needs from a model: text for a prompt, and a vector
    for a text (Ragas' answer relevancy)."""

    name: str
    complete: Callable[[str], str]
    embed: Callable[[str], list[float]]


def judge_model(config: JudgeConfig, client=None) -> JudgeModel:
    if config.provider == "openai":
        if not config.endpoint_url:
            raise InputError("judge", "an OpenAI-compatible judge needs its base URL")

        def complete(prompt: str) -> str:
            body = {
                "model": config.model_id,
                "temperature": 0.0,
                "messages": [{"role": "user", "content": prompt}],
            }
            reply = _openai_post(config, "/chat/completions", body)
            return reply["choices"][0]["message"]["content"] or ""

        def embed(text: str) -> list[float]:
            body = {"model": config.embedding_model_id, "input": text}
            return _openai_post(config, "/embeddings", body)["data"][0]["embedding"]

        return JudgeModel(f"openai:{config.model_id}", complete, embed)
    if config.provider != "bedrock":
        raise InputError("judge", f"provider must be bedrock or openai, got {config.provider!r}")
    client = client or bedrock_runtime(config)

    def embed_titan(text: str) -> list[float]:
        response = client.invoke_model(
            modelId=config.embedding_model_id,
            body=json.dumps({"inputText": text}),
            contentType="application/json",
            accept="application/json",
        )
        return json.loads(response["body"].read())["embedding"]

    return JudgeModel(
        f"bedrock:{config.model_id}",
        lambda prompt: converse_text(client, config.model_id, prompt),
        embed_titan,
    )


def deepeval_judge(model: JudgeModel):
    """A DeepEval judge model over ``model`` (plain boto3 for Bedrock: no aiobotocore)."""
    telemetry.disable()
    from deepeval.models import DeepEvalBaseLLM

    class SwitchyardJudge(DeepEvalBaseLLM):
        def __init__(self) -> None:
            super().__init__(model.name)

        def load_model(self):
            return model

        def generate(self, prompt: str) -> str:
            return model.complete(prompt)

        async def a_generate(self, prompt: str) -> str:
            return await asyncio.to_thread(model.complete, prompt)

        def get_model_name(self) -> str:
            return model.name

    return SwitchyardJudge()


def ragas_models(model: JudgeModel):
    """Ragas' LLM and embeddings, as LangChain models over ``model``."""
    telemetry.disable()
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage
    from langchain_core.outputs import ChatGeneration, ChatResult
    from ragas.embeddings import LangchainEmbeddingsWrapper
    from ragas.llms import LangchainLLMWrapper

    class JudgeChat(BaseChatModel):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
            text = model.complete("\n".join(str(m.content) for m in messages))
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

        @property
        def _llm_type(self) -> str:
            return "switchyard-judge"

    class JudgeEmbeddings(Embeddings):
        def embed_query(self, text: str) -> list[float]:
            return model.embed(text)

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [model.embed(t) for t in texts]

    return LangchainLLMWrapper(JudgeChat()), LangchainEmbeddingsWrapper(JudgeEmbeddings())


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
) -> dict[str, int]:
    """Score every answered output of the run on each metric; a metric's scores replace its
    earlier ones from this judge in one transaction. Returns scored items per metric. An
    item the judge cannot score gets an empty score with the error as its explanation."""
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
    if client is None and config.provider == "bedrock" and any(m in LLM_METRICS for m in metrics):
        client = bedrock_runtime(config)  # boto3 clients are thread-safe: one for all
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
            return Score(None, None, f"judge failed: {type(exc).__name__}: {exc}"[:500])

    versions = _versions(metrics, config)
    counts = {}
    total = len(items) * len(metrics)
    with ThreadPoolExecutor(max_workers=config.concurrency) as pool:
        for m_index, metric in enumerate(metrics):
            futures = [pool.submit(judge, metric, item) for item in items]
            rows = []
            for i_index, (item, future) in enumerate(zip(items, futures, strict=True)):
                result = future.result()
                rows.append(
                    [
                        run_id,
                        item[0],
                        metric,
                        versions[metric][0],
                        result.score,
                        config.threshold,
                        result.passed,
                        result.explanation,
                        versions[metric][1],
                    ]
                )
                if progress:
                    done = m_index * len(items) + i_index + 1
                    progress(done / total, f"{metric}: {i_index + 1} of {len(items)}")
            with db.transaction(con):
                con.execute(
                    "DELETE FROM judge_score WHERE run_id = ? AND metric = ? AND judge = ?",
                    [run_id, metric, versions[metric][0]],
                )
                con.executemany(
                    "INSERT INTO judge_score (run_id, item_id, metric, judge, score, threshold,"
                    " passed, explanation, judge_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                db.audit(
                    con,
                    actor,
                    "score_run",
                    "judge_score",
                    run_id,
                    after={
                        "metric": metric,
                        "items": len(rows),
                        "judge": versions[metric][0],
                        "version": versions[metric][1],
                        "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    },
                )
            counts[metric] = sum(r[4] is not None for r in rows)
    return counts


def _versions(metrics: list[str], config: JudgeConfig) -> dict[str, tuple[str, str]]:
    """(judge, judge_version) per metric: the library and its version, and the judge model."""
    from importlib.metadata import version

    out = {}
    for metric in metrics:
        library = metric.split("_", 1)[0]
        model = config.model_id if metric in LLM_METRICS else "no model"
        out[metric] = (library, f"{library} {version(library)}; {model}")
    return out
