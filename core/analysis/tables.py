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
from scipy.stats import norm

from core.types import RESAMPLES, Interval

Weighting = Literal["none", "linear", "quadratic"]
# Fewer units than this and a bootstrap redraws a handful of patterns: six agreeing pairs
# gave κ 1.00 (1.00–1.00). Below it a figure has its estimate and the reason, no interval.
MIN_UNITS = 10


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


def too_few(count: int | None, estimate: float = math.nan, why: str = "") -> Interval:
    """The estimate without an interval, and the reason: 'not enough labels: 6 items, ...'."""
    reason = why or f"an interval needs {MIN_UNITS}"
    counted = "" if count is None else f"{count} item{'' if count == 1 else 's'}, "
    return Interval(estimate, math.nan, math.nan, note=f"not enough labels: {counted}{reason}")


def percentile_interval(
    estimate: float,
    values: np.ndarray,
    level: float = 0.95,
    count: int | None = None,
    jackknife: Callable[[], np.ndarray] | None = None,
) -> Interval:
    """The estimate with the percentile interval of its bootstrap values, unless that would
    pretend: fewer than ``MIN_UNITS`` units (``count``), the figure undefined in more
    resamples than one tail holds, no spread at all, or an interval that does not hold its
    own estimate; the last gets the BCa interval (Efron & Tibshirani 1993, ch. 14) when
    ``jackknife`` gives the leave-one-unit-out values (called only then), else the reason."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if count is not None and count < MIN_UNITS:
        return too_few(count, estimate)
    if not math.isfinite(estimate):
        return too_few(count, estimate, "the figure is undefined on them (one category only?)")
    tail = (1 - level) / 2
    if len(finite) == 0 or 1 - len(finite) / len(values) > tail:
        share = 1 - len(finite) / max(len(values), 1)
        return too_few(count, estimate, f"undefined in {share:.0%} of resamples (one verdict?)")
    if np.ptp(finite) == 0:
        return too_few(count, estimate, "every resample gives the same value")
    low, high = np.percentile(finite, [tail * 100, 100 - tail * 100])
    if low < estimate < high:
        return Interval(estimate, float(low), float(high))
    if jackknife is not None:
        bca = bca_interval(estimate, finite, np.asarray(jackknife(), dtype=float), level)
        if bca is not None:
            return bca
    return too_few(count, estimate, "the bootstrap interval does not hold the estimate")


def bca_interval(
    estimate: float, draws: np.ndarray, jackknife: np.ndarray, level: float
) -> Interval | None:
    """BCa: percentiles Φ(z0 + (z0 + z) / (1 − a (z0 + z))), z0 from the share of draws
    under the estimate (ties half), a from the jackknife's skewness; None when it cannot hold."""
    share = (np.sum(draws < estimate) + 0.5 * np.sum(draws == estimate)) / len(draws)
    jack = jackknife[np.isfinite(jackknife)]
    if not 0 < share < 1 or len(jack) < 2:
        return None
    z0 = float(norm.ppf(share))
    d = jack.mean() - jack
    spread = 6 * float((d**2).sum()) ** 1.5
    a = float((d**3).sum()) / spread if spread > 0 else 0.0
    z = norm.ppf([(1 - level) / 2, 1 - (1 - level) / 2])
    levels = norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
    if not np.all(np.isfinite(levels)):
        return None
    low, high = np.percentile(draws, levels * 100)
    if not low < estimate < high:
        return None
    return Interval(estimate, float(low), float(high), note="BCa interval")


def jackknife_tables(cells: np.ndarray, units: np.ndarray) -> np.ndarray:
    """The table with each unit left out in turn (units x K): total minus that unit's cells."""
    cells = np.asarray(cells, dtype=float)
    inverse, ids = pd.factorize(np.asarray(units))
    per_unit = np.zeros((len(ids), cells.shape[1]))
    np.add.at(per_unit, inverse, cells)
    return cells.sum(axis=0)[None, :] - per_unit


def table_interval(
    statistic: Callable[[np.ndarray], np.ndarray],
    cells: np.ndarray,
    units: np.ndarray,
    tables: np.ndarray,
    level: float = 0.95,
) -> Interval:
    """``statistic`` of the whole table with the interval of its resampled ``tables``
    (``percentile_interval``'s checks, BCa from the leave-one-unit-out tables)."""
    cells = np.asarray(cells, dtype=float)
    estimate = float(statistic(cells.sum(axis=0)[None, :])[0]) if len(cells) else math.nan
    count = len(pd.unique(np.asarray(units)))
    if count < MIN_UNITS:
        return too_few(count, estimate)
    return percentile_interval(
        estimate,
        statistic(tables),
        level,
        count,
        lambda: statistic(jackknife_tables(cells, units)),
    )


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
    tables = resampled_tables(cells, units, strata, resamples, seed)
    return table_interval(statistic, cells, units, tables, level)


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
    """Vectorised Gwet's AC1 over flattened q x q tables: (pa - pe) / (1 - pe), with
    pe = sum(pi_k (1 - pi_k)) / (q - 1)."""
    tables = np.asarray(tables, dtype=float)
    q = math.isqrt(tables.shape[-1])
    t = tables.reshape(-1, q, q)
    total = t.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        pa = np.trace(t, axis1=1, axis2=2) / total
        pi = (t.sum(axis=1) + t.sum(axis=2)) / (2 * total[:, None])
        pe = (pi * (1 - pi)).sum(axis=1) / (q - 1)
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
