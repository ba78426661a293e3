"""Vectorised statistics of contingency tables and their stratified bootstrap.

A table is flattened to one row (k x k cells); a function of tables maps (n x k²) rows to n
values at once, so a thousand resampled tables cost one matrix product instead of a thousand
passes over the pairs. ``agreement`` re-exports these; ``calibration`` feeds them pairs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd

from core.types import RESAMPLES, Interval

Weighting = Literal["none", "linear", "quadratic"]


def resampled_tables(
    cells: np.ndarray,
    units: np.ndarray,
    strata: np.ndarray,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> np.ndarray:
    """Stratified bootstrap resamples of a contingency table: (resamples x K).

    ``cells`` holds each row's (weighted) contribution to the flattened table (rows x K).
    Rows are summed per unit; a resample draws each stratum's units with replacement. Units
    with the same contribution are interchangeable, so drawing n units is drawing n times
    from the distinct patterns by their frequency: multinomial counts, one matrix product.
    """
    cells = np.asarray(cells, dtype=float)
    units = np.asarray(units)
    strata = np.asarray(strata)
    rng = np.random.default_rng(seed)
    tables = np.zeros((resamples, cells.shape[1]))
    for h in pd.unique(strata):
        rows = strata == h
        inverse, ids = pd.factorize(units[rows])
        in_h = cells[rows]
        per_unit = np.stack(
            [
                np.bincount(inverse, weights=in_h[:, c], minlength=len(ids))
                for c in range(cells.shape[1])
            ],
            axis=1,
        )
        keys = pd.util.hash_pandas_object(pd.DataFrame(per_unit), index=False).to_numpy()
        pattern_of, _ = pd.factorize(keys)
        frequency = np.bincount(pattern_of)
        patterns = per_unit[np.unique(pattern_of, return_index=True)[1]]
        counts = rng.multinomial(len(ids), frequency / len(ids), size=resamples)
        tables += counts @ patterns
    return tables


def percentile_interval(estimate: float, values: np.ndarray, level: float = 0.95) -> Interval:
    """The estimate with the percentile interval of its bootstrap values (NaNs dropped)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return Interval(estimate, math.nan, math.nan)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return Interval(estimate, float(low), float(high))


def bootstrap_tables(
    cells: np.ndarray,
    units: np.ndarray,
    strata: np.ndarray,
    statistic: Callable[[np.ndarray], np.ndarray],
    resamples: int = RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
) -> Interval:
    """The stratified bootstrap of ``bootstrap`` for a statistic of a contingency table:
    ``statistic`` maps (n x K) flattened tables to their n values at once."""
    cells = np.asarray(cells, dtype=float)
    estimate = float(statistic(cells.sum(axis=0)[None, :])[0])
    tables = resampled_tables(cells, units, strata, resamples, seed)
    return percentile_interval(estimate, statistic(tables), level)


def kappa_of_tables(k: int, weighting: Weighting = "none") -> Callable[[np.ndarray], np.ndarray]:
    """Vectorised Cohen's kappa over flattened k x k tables (one per row)."""
    i, j = np.indices((k, k))
    w = {
        "none": (i != j).astype(float),
        "linear": np.abs(i - j).astype(float),
        "quadratic": ((i - j) ** 2).astype(float),
    }[weighting].ravel()

    def statistic(tables: np.ndarray) -> np.ndarray:
        t = tables.reshape(-1, k, k)
        total = t.sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            p = t / total[:, None, None]
            expected = np.einsum("ri,rj->rij", p.sum(axis=2), p.sum(axis=1)).reshape(-1, k * k)
            return 1 - (p.reshape(-1, k * k) @ w) / (expected @ w)

    return statistic


def ac1_of_tables(tables: np.ndarray) -> np.ndarray:
    """Vectorised Gwet's AC1 over flattened 2 x 2 tables."""
    t = tables.reshape(-1, 2, 2)
    total = t.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        pa = (t[:, 0, 0] + t[:, 1, 1]) / total
        pi = (t.sum(axis=1) + t.sum(axis=2)) / (2 * total[:, None])
        pe = (pi * (1 - pi)).sum(axis=1)
        return (pa - pe) / (1 - pe)


def f1_of_tables(tables: np.ndarray) -> np.ndarray:
    """Vectorised F1 of the first class over flattened 2 x 2 tables (rows: predicted)."""
    t = tables.reshape(-1, 2, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 2 * t[:, 0, 0] / (2 * t[:, 0, 0] + t[:, 0, 1] + t[:, 1, 0])


def cells_of(a: np.ndarray, b: np.ndarray, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Each row's one-hot cell in a k x k table (a's category index by b's), weighted."""
    cells = np.zeros((len(a), k * k))
    cells[np.arange(len(a)), np.asarray(a) * k + np.asarray(b)] = (
        1.0 if weights is None else weights
    )
    return cells
