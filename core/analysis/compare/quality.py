"""Quality, paired item by item: pass rates, differences, McNemar, non-inferiority, and the
judge's pass rates corrected by SME labels (stratified prediction-powered inference)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from core.analysis.agreement import wilson
from core.analysis.compare.evidence import SIDES, Comparison
from core.analysis.compare.results import QualityResult, SmeCorrection
from core.analysis.paired import Bootstrap, mcnemar, non_inferiority, resampled_mean
from core.analysis.ppi import (
    DIFFERENCE,
    MIN_STRATUM_LABELS,
    PROPORTION,
    Range,
    StratifiedPPI,
    collapse_thin,
    stratified_ppi,
    thin_strata,
)
from core.analysis.thin import short_pools, withheld_note
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
    """Pass rates of both runs and their paired difference on ``items`` by stratified
    prediction-powered inference (``core.analysis.ppi``): the judge's score on every item,
    corrected within each design stratum by the SME labels of the migration's samples (an
    item's SMEs' verdicts averaged), beside the SME-only stratified estimate.

    The design strata are the samples' ("<golden stratum>/<pool>"): a labelled item keeps the
    stratum it was drawn from; an unlabelled one falls in the pool its judge verdicts give
    (``design_strata``). The judge's score is scaled onto [0, 1] and oriented so that high
    means pass; an item without a score counts its 0/1 verdict. Design strata with fewer than
    two labels (a stratum or split of the dataset cuts them thin) are collapsed
    (``ppi.collapse_thin``), and ``note`` names them; a figure whose pool holds fewer than
    two labels in all is withheld (None), and ``note`` names the pool and its top-up.
    """
    labels = comparison.labels
    # Positions of the labelled items among ``items`` (-1: not in this selection).
    index = pd.Index(items["item_id"].to_numpy(dtype=object))
    where = index.get_indexer(labels["item_id"].to_numpy(dtype=object))
    labels = labels[where >= 0]
    where = where[where >= 0]
    strata = design_strata(items, labels, where)
    notes: dict[str, list[str]] = {}  # note -> the figures it applies to
    others = set(labels["sampled_target"].dropna()) - {comparison.runs["target"]}
    if others:
        note = (
            f"the samples' pools were drawn against {', '.join(sorted(others))}; the other"
            " items' pools here are this target's verdicts, so the strata only approximate"
            " the design"
        )
        notes[note] = []
    judge = {side: judge_scores(items, side, metric) for side in SIDES}
    rates: dict[str, StratifiedPPI | None] = {}
    for side in SIDES:
        has = labels[side].notna().to_numpy()
        y = labels[side].to_numpy(dtype=float)[has]
        rates[side] = _corrected(y, judge[side], strata, where[has], PROPORTION, side, notes)
    both = (labels["source"].notna() & labels["target"].notna()).to_numpy()
    pairs = int(both.sum())
    if pairs < MIN_CORRECTION_LABELS:
        note = (
            f"{pairs} items carry SME labels of both runs; an SME-corrected"
            f" difference needs at least {MIN_CORRECTION_LABELS}: review more of the sample"
        )
        notes[note] = []
        return SmeCorrection(rates["source"], rates["target"], None, pairs, _joined(notes))
    y = (labels["target"] - labels["source"]).to_numpy(dtype=float)[both]
    gap = judge["target"] - judge["source"]
    difference = _corrected(y, gap, strata, where[both], DIFFERENCE, "difference", notes)
    return SmeCorrection(rates["source"], rates["target"], difference, pairs, _joined(notes))


def _joined(notes: dict[str, list[str]]) -> str | None:
    """One sentence per note, naming the figures it applies to."""
    return "; ".join(f"{', '.join(w)}: {text}" if w else text for text, w in notes.items()) or None


def _corrected(
    y: np.ndarray,
    f: np.ndarray,
    strata: np.ndarray,
    labelled: np.ndarray,
    bounds: Range,
    what: str,
    notes: dict[str, list[str]],
) -> StratifiedPPI | None:
    """StratPPI with ``labelled`` (positions) as the labelled items, the rest unlabelled."""
    if len(y) < MIN_STRATUM_LABELS:
        return None
    rest = np.ones(len(f), dtype=bool)
    rest[labelled] = False
    names, counts = np.unique(strata, return_counts=True)
    pools = short_pools(strata[labelled], dict(zip(names.tolist(), counts.tolist(), strict=True)))
    if pools:  # merging across pools would weight a pool by another's labels
        notes.setdefault(withheld_note(len(y), pools), []).append(what)
        return None
    thin = thin_strata(strata[labelled], strata[rest])
    if thin:
        merged = collapse_thin(strata[labelled], strata[rest])
        strata = np.array([merged.get(h, h) for h in strata.tolist()], dtype=str)
        short = ", ".join(f"{h} ({n})" for h, n in thin.items())
        into = ", ".join(sorted(set(merged.values())))
        note = (
            f"strata with fewer than {MIN_STRATUM_LABELS} SME labels ({short}) are"
            f" collapsed into {into}; review more of them for their own estimate"
        )
        notes.setdefault(note, []).append(what)
    still = thin_strata(strata[labelled], strata[rest])
    if still:  # a pool of one labelled item: no variance to estimate, even collapsed
        short = ", ".join(f"{h} ({n} label)" for h, n in still.items())
        notes.setdefault(
            f"not enough labels: {short} after collapsing; review more of the pool", []
        ).append(what)
        return None
    result = stratified_ppi(y, f[labelled], strata[labelled], f[rest], strata[rest], bounds)
    if alone := result.note():
        notes.setdefault(alone, []).append(what)
    return result


def design_strata(items: pd.DataFrame, labels: pd.DataFrame, where: np.ndarray) -> np.ndarray:
    """Each item's design stratum "<stratum>/<pool>": a labelled item's from its sample; any
    other's from its verdicts as the sampler pools them (``core.review.sampling.frame``):
    ``regression`` when the target failed where the source passed (only if the samples have
    that pool), ``fail`` when either failed, ``pass`` otherwise."""
    source = items["source_pass"].to_numpy(dtype=bool)
    target = items["target_pass"].to_numpy(dtype=bool)
    sampled = labels["design_stratum"].astype(str)
    regression = "regression" if sampled.str.endswith("/regression").any() else "fail"
    pool = np.where(source & ~target, regression, np.where(source & target, "pass", "fail"))
    strata = (items["stratum"].astype(str) + "/" + pool).to_numpy(dtype=object)
    strata[where] = sampled.to_numpy(dtype=object)
    return strata.astype(str)


def judge_scores(items: pd.DataFrame, side: str, metric: str) -> np.ndarray:
    """The judge's score of ``metric`` on each item, scaled onto [0, 1] over both runs and
    turned so that high means pass (a lower-is-better metric's verdict falls with its score);
    the 0/1 verdict where there is no score."""
    verdict = items[f"{side}_pass.{metric}"].to_numpy(dtype=float)
    score = items[f"{side}_score.{metric}"].to_numpy(dtype=float)
    both = np.concatenate([items[f"{s}_score.{metric}"].to_numpy(dtype=float) for s in SIDES])
    scored = np.isfinite(score)
    if not np.isfinite(both).any() or np.nanmax(both) == np.nanmin(both):
        return verdict
    scaled = (score - np.nanmin(both)) / (np.nanmax(both) - np.nanmin(both))
    if scored.sum() > 1 and np.cov(scaled[scored], verdict[scored])[0, 1] < 0:
        scaled = 1 - scaled
    return np.where(scored, scaled, verdict)
