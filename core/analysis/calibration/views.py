"""Views of a run's judge/SME pairs: a selection, the majority vote, the threshold sweep, the
disagreements. Pure functions of the pairs frame ``evidence.pairs`` reads."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd

from core.analysis import agreement
from core.analysis.calibration.figures import codes
from core.types import RESAMPLES, Interval

DISAGREEMENT_COLUMNS = [
    "item_id",
    "stratum",
    "reviewer",
    "judge_score",
    "threshold",
    "judge_pass",
    "sme_score",
    "sme_pass",
    "confidence",
    "explanation",
    "notes",
    "failure_modes",
]


class Sweep(NamedTuple):
    """κ, precision and recall per threshold, and the κ-maximising threshold."""

    table: pd.DataFrame  # threshold, kappa, precision, recall
    best: Interval


def sweep(
    frame: pd.DataFrame,
    thresholds: list[float] | None = None,
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> Sweep:
    """κ, precision and recall (design-weighted where possible) at each pass threshold, and
    the κ-maximising threshold with a stratified-bootstrap interval."""
    frame = frame[frame["judge_score"].notna()]
    thresholds = thresholds or [round(t, 2) for t in np.arange(0.05, 0.96, 0.05)]
    if frame.empty:
        empty = pd.DataFrame(columns=["threshold", "kappa", "precision", "recall"])
        return Sweep(empty, agreement.too_few(0, math.nan, "a threshold needs 10"))
    cells = _threshold_cells(frame, thresholds)
    kappa = agreement.kappa_of_tables(2)

    def per_threshold(tables: np.ndarray) -> np.ndarray:
        return kappa(tables.reshape(-1, 4)).reshape(len(tables), len(thresholds))

    totals = cells.sum(axis=0)[None, :]
    t4 = totals.reshape(len(thresholds), 2, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = t4[:, 0, 0] / t4[:, 0].sum(axis=1)
        recall = t4[:, 0, 0] / t4[:, :, 0].sum(axis=1)
    table = pd.DataFrame(
        {
            "threshold": thresholds,
            "kappa": per_threshold(totals)[0],
            "precision": precision,
            "recall": recall,
        }
    )

    return Sweep(
        table, _best(frame, cells, table["kappa"], per_threshold, thresholds, seed, resamples)
    )


def _best(
    frame: pd.DataFrame,
    cells: np.ndarray,
    kappas: pd.Series,
    per_threshold: Callable[[np.ndarray], np.ndarray],
    thresholds: list[float],
    seed: int,
    resamples: int,
) -> Interval:
    """The κ-maximising threshold with the 2.5th and 97.5th percentiles of the resamples'
    own maximisers (taken on the grid), or alone with a note when every resample picks it;
    none when the items are too few or κ is flat."""
    count = frame["item_id"].nunique()
    if count < agreement.MIN_UNITS:
        return agreement.too_few(count, math.nan, "a threshold needs 10")
    finite = kappas.dropna()
    if finite.empty or finite.max() - finite.min() < 1e-9:
        level = "undefined" if finite.empty else f"{finite.iloc[0]:.2f}"
        return Interval(
            math.nan,
            math.nan,
            math.nan,
            note=f"κ does not vary with the threshold ({level} at every one): none to recommend",
        )
    grid = np.asarray(thresholds, dtype=float)

    def best(tables: np.ndarray) -> np.ndarray:
        values = per_threshold(tables)
        picked = grid[np.nan_to_num(values, nan=-np.inf).argmax(axis=1)]
        return np.where(np.isnan(values).all(axis=1), np.nan, picked)

    units, strata = codes(frame)
    draws = best(agreement.resampled_tables(cells, units, strata, resamples, seed))
    draws = draws[~np.isnan(draws)]
    estimate = float(best(cells.sum(axis=0)[None, :])[0])
    if len(draws) == 0:
        return agreement.too_few(count, estimate, "κ is undefined in every resample")
    low = float(np.percentile(draws, 2.5, method="lower"))
    high = float(np.percentile(draws, 97.5, method="higher"))
    if min(low, estimate) == max(high, estimate):  # not "0.45 (0.45–0.45)"
        return Interval(estimate, math.nan, math.nan, note="every resample picks this threshold")
    return Interval(estimate, min(low, estimate), max(high, estimate))


def _threshold_cells(frame: pd.DataFrame, thresholds: list[float]) -> np.ndarray:
    """One weighted 2 x 2 table per threshold, side by side: (judge fails?, SME fails?)."""
    scores = frame["judge_score"].to_numpy(dtype=float)
    sme_pass = frame["sme_pass"].to_numpy(dtype=bool).astype(int)
    w = frame["weight"].fillna(1.0).to_numpy()
    lower = "direction" in frame and (frame["direction"] == "lower").all()
    grid = np.asarray(thresholds)[None, :]
    # rows x thresholds; a lower-is-better metric passes at or below the threshold
    passes = scores[:, None] <= grid if lower else scores[:, None] >= grid
    columns = 4 * np.arange(len(thresholds))[None, :] + 2 * passes + sme_pass[:, None]
    cells = np.zeros((len(scores), 4 * len(thresholds)))
    cells[np.arange(len(scores))[:, None], columns] = w[:, None]
    return cells


def majority(frame: pd.DataFrame) -> pd.DataFrame:
    """One pair per item: the SMEs' majority verdict (a tie counts as a failure) and their
    median score, weighted by the item's inverse inclusion probability."""
    if frame.empty:
        return frame
    grouped = frame.groupby("item_id", sort=False)
    first = grouped.first()
    share = grouped["sme_pass"].mean()
    out = first.assign(
        sme_pass=share > 0.5,
        sme_score=grouped["sme_score"].median().round(),
        reviewer="majority",
        weight=1 / first["inclusion_prob"],
    )
    return out.reset_index()


def select(
    frame: pd.DataFrame, stratum: str | None = None, judge_version: str | None = None
) -> pd.DataFrame:
    """The pairs of one dataset stratum and/or one judge version (None: all)."""
    if stratum:
        frame = frame[frame["stratum"] == stratum]
    if judge_version:
        frame = frame[frame["judge_version"] == judge_version]
    return frame


def disagreements(frame: pd.DataFrame) -> pd.DataFrame:
    """Pairs where the judge and the SME disagree, most confident judge first."""
    rows = frame[frame["judge_pass"] != frame["sme_pass"]].copy()
    rows["confidence"] = (rows["judge_score"] - rows["threshold"]).abs()
    ordered = rows.sort_values("confidence", ascending=False)
    return ordered[DISAGREEMENT_COLUMNS].reset_index(drop=True)
