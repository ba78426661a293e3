"""Quality, paired item by item: pass rates, differences, McNemar, non-inferiority, and the
judge's pass rates corrected by SME labels (prediction-powered inference)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from core.analysis.agreement import wilson
from core.analysis.compare.evidence import SIDES, Comparison
from core.analysis.compare.results import QualityResult, SmeCorrection
from core.analysis.paired import (
    PPI,
    Bootstrap,
    mcnemar,
    non_inferiority,
    ppi_mean,
    resampled_mean,
)
from core.types import RESAMPLES, Interval

# A normal-theory interval on a handful of labels is noise that reads as a figure.
MIN_CORRECTION_LABELS = 10


def quality(
    items: pd.DataFrame,
    metric: str,
    margin: float,
    boot: Bootstrap | None = None,
    seed: int = 0,
) -> QualityResult:
    """Pass rates and mean scores of both runs on one metric, paired: the difference with a
    paired-bootstrap interval, McNemar's test, and the non-inferiority test at ``margin``."""
    boot = boot or Bootstrap(len(items), RESAMPLES, seed)
    n = len(items)
    if n == 0:
        return QualityResult(metric, 0)
    src = items[f"source_pass.{metric}"].to_numpy(dtype=float)
    tgt = items[f"target_pass.{metric}"].to_numpy(dtype=float)
    s_score = items[f"source_score.{metric}"].to_numpy(dtype=float)
    t_score = items[f"target_score.{metric}"].to_numpy(dtype=float)
    both = np.isfinite(s_score) & np.isfinite(t_score)
    diff = tgt - src
    score_diff = np.where(both, t_score - s_score, np.nan)
    return QualityResult(
        metric=metric,
        items=n,
        source_pass_rate=Interval(*wilson(src.sum(), n)),
        target_pass_rate=Interval(*wilson(tgt.sum(), n)),
        pass_rate_difference=boot.bounds(resampled_mean(diff), diff.mean()),
        scored_pairs=int(both.sum()),
        source_mean_score=_mean(s_score[both]),
        target_mean_score=_mean(t_score[both]),
        mean_score_difference=boot.bounds(
            resampled_mean(score_diff), _mean(score_diff[both]) or math.nan
        ),
        mcnemar=mcnemar(int(((src == 1) & (tgt == 0)).sum()), int(((src == 0) & (tgt == 1)).sum())),
        non_inferiority=non_inferiority(tgt, src, margin),
    )


def _mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if len(values) else None


def quality_by_stratum(
    items: pd.DataFrame, metric: str, margin: float, seed: int = 0
) -> list[QualityResult]:
    """``quality`` per stratum, each with its own bootstrap."""
    return [
        _with_stratum(quality(group, metric, margin, seed=seed), stratum)
        for stratum, group in items.groupby("stratum", sort=True)
    ]


def _with_stratum(result: QualityResult, stratum: str) -> QualityResult:
    return replace(result, stratum=stratum)


def sme_corrected(comparison: Comparison, metric: str, items: pd.DataFrame) -> SmeCorrection:
    """Prediction-powered pass rates of both runs and of their difference on ``items``: the
    judge's verdict on every item, corrected by the SME labels of the migration's samples
    (each labelled item weighted by 1 / inclusion probability; its SMEs' verdicts averaged).
    """
    labels = comparison.labels
    # Positions of the labelled items among ``items`` (-1: not in this selection).
    index = pd.Index(items["item_id"].to_numpy(dtype=object))
    where = index.get_indexer(labels["item_id"].to_numpy(dtype=object))
    labels = labels[where >= 0]
    where = where[where >= 0]
    judge = {side: items[f"{side}_pass.{metric}"].to_numpy(dtype=float) for side in SIDES}
    weights = 1 / labels["p"].to_numpy(dtype=float)
    rates: dict[str, PPI | None] = {}
    for side in SIDES:
        has = labels[side].notna().to_numpy()
        if has.sum() < 2:
            rates[side] = None
            continue
        y = labels[side].to_numpy(dtype=float)[has]
        rates[side] = ppi_mean(y, judge[side][where[has]], judge[side], weights[has])
    both = (labels["source"].notna() & labels["target"].notna()).to_numpy()
    pairs = int(both.sum())
    if pairs < MIN_CORRECTION_LABELS:
        note = (
            f"{pairs} items carry SME labels of both runs; an SME-corrected"
            f" difference needs at least {MIN_CORRECTION_LABELS}: review more of the sample"
        )
        return SmeCorrection(rates["source"], rates["target"], None, pairs, note)
    y = (labels["target"] - labels["source"]).to_numpy(dtype=float)[both]
    gap = judge["target"] - judge["source"]
    difference = ppi_mean(y, gap[where[both]], gap, weights[both])
    return SmeCorrection(rates["source"], rates["target"], difference, pairs)
