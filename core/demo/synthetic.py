"""The demo's data from one seed: items, each model's outputs and judge scores, and the hidden
truth (did each answer really pass?) that later steps draw simulated labels from.

The judges see the truth through noise, worse on multi-hop and adversarial items, so
judge-versus-truth kappa lands between 0.5 and 0.8 as it does in practice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from core.demo.content import JUDGE_NOISE, METRICS, MODELS, STRATA, DemoModel, answer, golden_item

# Typical output tokens of the source model, by stratum.
BASE_OUTPUT_TOKENS = {
    "lookup": 45,
    "multi_hop": 160,
    "numeric_reasoning": 110,
    "adversarial": 70,
    "safety": 140,
}


@dataclass(frozen=True)
class Demo:
    items: pd.DataFrame  # the golden set
    outputs: dict[str, pd.DataFrame]  # model_id -> native run rows
    truth: dict[str, np.ndarray]  # model_id -> hidden pass/fail per item (items' order)


def _judge_scores(rng, truth: np.ndarray, strata: np.ndarray) -> dict[str, np.ndarray]:
    """Each metric's 0-1 score: high for a true pass, low for a fail, plus the stratum's noise."""
    noise = np.array([JUDGE_NOISE[s] for s in strata])
    base = np.where(truth, 0.80, 0.28)
    scores = {}
    for metric, shift, extra in (
        ("correctness", 0.0, 1.12),
        ("faithfulness", 0.04, 1.15),
        ("answer_relevancy", 0.10, 1.5),
    ):
        raw = base + shift + rng.normal(0, noise * extra)
        scores[metric] = np.round(np.clip(raw, 0, 1), 3)
    return scores


def generate(seed: int, n_items: int = 1200) -> Demo:
    """The demo's items, each model's outputs (native run layout) and hidden truth."""
    rng = np.random.default_rng(seed)
    names = list(STRATA)
    strata = rng.choice(names, size=n_items, p=list(STRATA.values()))
    items = pd.DataFrame([golden_item(rng, i + 1, s) for i, s in enumerate(strata)])
    # Holdout: a quarter of each stratum, kept for the final sign-off.
    items["split"] = np.where(rng.random(n_items) < 0.25, "holdout", "dev")
    difficulty = rng.normal(size=n_items)  # shared across models: hard items are hard for all
    input_tokens = np.round(rng.lognormal(np.log(1400), 0.45, n_items)).astype(int)
    outputs, truth = {}, {}
    for model in MODELS:
        mrng = np.random.default_rng([seed, MODELS.index(model)])
        outputs[model.model_id], truth[model.model_id] = _run(
            mrng, model, items, strata, difficulty, input_tokens
        )
    return Demo(items, outputs, truth)


def _run(
    mrng: np.random.Generator,
    model: DemoModel,
    items: pd.DataFrame,
    strata: np.ndarray,
    difficulty: np.ndarray,
    input_tokens: np.ndarray,
) -> tuple[pd.DataFrame, np.ndarray]:
    """One model's run rows and its hidden pass/fail per item."""
    n_items = len(items)
    base_out = np.array([BASE_OUTPUT_TOKENS[s] for s in strata])
    p = np.array([model.pass_rate[s] for s in strata])
    latent = 0.75 * difficulty + np.sqrt(1 - 0.75**2) * mrng.normal(size=n_items)
    passed = ndtr(latent) < p
    out_tokens = np.maximum(
        5, np.round(base_out * model.verbosity * mrng.lognormal(0, 0.35, n_items))
    ).astype(int)
    ttft = model.ttft_median_ms * mrng.lognormal(0, 0.30, n_items)
    slow = mrng.random(n_items) < 0.03  # long tail: cold starts, retries
    ttft = np.where(slow, ttft * mrng.uniform(2.5, 6, n_items), ttft)
    retrieval_ms = mrng.lognormal(np.log(85), 0.25, n_items)
    generation_ms = (
        ttft + out_tokens / (model.tokens_per_s * mrng.lognormal(0, 0.15, n_items)) * 1000
    )
    failed = mrng.random(n_items) < 0.004
    scores = _judge_scores(mrng, passed, strata)
    rows = []
    for i in range(n_items):
        row = {
            "item_id": items.item_id[i],
            "output": None if failed[i] else answer(mrng, items.iloc[i], bool(passed[i])),
            "ttft_ms": None if failed[i] else round(float(ttft[i]), 1),
            "latency_ms": round(float(retrieval_ms[i] + generation_ms[i]), 1),
            "input_tokens": int(input_tokens[i] * (1.05 if "nova" in model.model_id else 1)),
            "output_tokens": 0 if failed[i] else int(out_tokens[i]),
            "retrieval_cost": 0.0002,
            "error": "ReadTimeoutError: read timed out after 60 s" if failed[i] else None,
            "calls": _calls(float(retrieval_ms[i]), float(generation_ms[i])),
        }
        for metric in METRICS:
            row[f"score.{metric}"] = None if failed[i] else float(scores[metric][i])
        rows.append(row)
    return pd.DataFrame(rows), passed


def _calls(retrieval_ms: float, generation_ms: float) -> str:
    """The per-call breakdown of one output, as the native run layout stores it."""
    return json.dumps(
        [
            {"name": "retrieval", "latency_ms": round(retrieval_ms, 1), "cost": 0.0002},
            {"name": "generation", "latency_ms": round(generation_ms, 1)},
        ]
    )


def pairwise_verdicts(demo: Demo, seed: int) -> pd.DataFrame:
    """A pairwise judge's verdicts, target against source, from the hidden truth: it sees
    each answer's quality through noise (worse on hard strata) and calls close ones a tie."""
    rng = np.random.default_rng([seed, 77])
    source, target = MODELS[0].model_id, MODELS[1].model_id
    noise = np.array([JUDGE_NOISE[s] for s in demo.items["stratum"]]) * 1.4
    quality = {
        m: np.where(demo.truth[m], 0.8, 0.3) + rng.normal(0, noise) for m in (source, target)
    }
    gap = quality[target] - quality[source]
    winner = np.where(gap > 0.15, "run", np.where(gap < -0.15, "baseline", "tie"))
    return pd.DataFrame(
        {
            "item_id": demo.items["item_id"],
            "winner": winner,
            "judge": "demo-pairwise-judge (synthetic)",
            "explanation": [f"quality gap {g:+.2f} (synthetic)" for g in gap],
        }
    )
