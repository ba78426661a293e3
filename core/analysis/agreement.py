"""Agreement statistics: Cohen's and weighted kappa, Gwet's AC1, Fleiss' kappa,
Krippendorff's alpha, Spearman's rho, Wilson intervals (plain and design-weighted) and a
stratified bootstrap.

Plain functions over numpy arrays; ``core.analysis.calibration`` feeds them judge/SME pairs.
Where a well-kept library computes a figure as it stands, it is called: statsmodels (Wilson,
Fleiss' kappa), krippendorff (alpha at every level), scipy (Spearman). Hand-written kernels
remain only for the vectorised bootstraps (``core.analysis.tables``, re-exported here), and
tests/core/analysis/test_library_parity.py holds each to its library on random data.
Every estimate that can be weighted takes ``weights`` (inverse inclusion probabilities).
Intervals are ``core.types.Interval`` (unpacks as estimate, low, high); a figure over too few
labels has no interval and says so in its ``note`` ("not enough labels: 6 items, ...").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import krippendorff
import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import norm, spearmanr
from statsmodels.stats.inter_rater import cohens_kappa as _statsmodels_cohen
from statsmodels.stats.inter_rater import fleiss_kappa as _statsmodels_fleiss
from statsmodels.stats.proportion import proportion_confint

from core.analysis import stratified
from core.analysis.tables import (  # noqa: F401 - re-exported: agreement is the statistics' one name
    MIN_UNITS,
    Weighting,
    ac1_of_tables,
    bootstrap_tables,
    cells_of,
    f1_of_tables,
    jackknife_tables,
    kappa_of_tables,
    percentile_interval,
    resampled_tables,
    table_interval,
    too_few,
)
from core.types import RESAMPLES, Interval

Level = Literal["nominal", "ordinal", "interval", "ratio"]
Z95 = 1.959963984540054


def confusion(
    a: Sequence, b: Sequence, categories: Sequence, weights: Sequence[float] | None = None
) -> np.ndarray:
    """Rows: a's category; columns: b's; cells: (weighted) counts."""
    index = {c: i for i, c in enumerate(categories)}
    table = np.zeros((len(categories), len(categories)))
    w = np.ones(len(a)) if weights is None else np.asarray(weights, dtype=float)
    for x, y, wt in zip(a, b, w, strict=True):
        table[index[x], index[y]] += wt
    return table


def kappa_from_table(table: np.ndarray, weighting: Weighting = "none") -> float:
    """Cohen's kappa of a square table: 1 - sum(w * observed) / sum(w * expected); NaN for
    an empty table or one category only (the vectorised kernel, one table)."""
    table = np.asarray(table, dtype=float)
    k = table.shape[0]
    if k == 0:
        return math.nan
    value = float(kappa_of_tables(k, weighting)(table.reshape(1, k * k))[0])
    return value if math.isfinite(value) else math.nan


def cohen_kappa(
    a: Sequence,
    b: Sequence,
    categories: Sequence | None = None,
    weighting: Weighting = "none",
    weights: Sequence[float] | None = None,
) -> float:
    categories = sorted(set(a) | set(b)) if categories is None else categories
    return kappa_from_table(confusion(a, b, categories, weights), weighting)


def kappa_variance(table: ArrayLike) -> float:
    """n·Var(κ) of Cohen's kappa at a table's proportions, the asymptotic variance of
    Fleiss, Cohen & Everitt (1969) as statsmodels' ``cohens_kappa`` gives it (``var_kappa``
    times n); NaN when κ is undefined (an empty table, one category only)."""
    p = np.asarray(table, dtype=float)
    if p.sum() <= 0 or float(p.sum(axis=1) @ p.sum(axis=0)) / p.sum() ** 2 >= 1:
        return math.nan
    return float(_statsmodels_cohen(p).var_kappa * p.sum())


def ac1_from_table(table: np.ndarray) -> float:
    """Gwet's AC1 for two raters: (pa - pe) / (1 - pe), pe = sum(pi_k (1 - pi_k)) / (q - 1)."""
    table = np.asarray(table, dtype=float)
    q = table.shape[0]
    if table.sum() == 0 or q < 2:
        return math.nan
    value = float(ac1_of_tables(table.reshape(1, q * q))[0])
    return value if math.isfinite(value) else math.nan


def gwet_ac1(ratings: np.ndarray, categories: Sequence) -> float:
    """Gwet's AC1 for units x raters (NaN = not rated), Gwet (2014) eqs. for many raters."""
    counts = _unit_counts(ratings, categories)  # units x categories
    per_unit = counts.sum(axis=1)
    q = len(categories)
    rated = per_unit >= 1
    multi = per_unit >= 2
    if q < 2 or not multi.any():
        return math.nan
    pi = (counts[rated] / per_unit[rated, None]).mean(axis=0)
    pe = float((pi * (1 - pi)).sum() / (q - 1))
    pa = float(
        (
            (counts[multi] * (counts[multi] - 1)).sum(axis=1)
            / (per_unit[multi] * (per_unit[multi] - 1))
        ).mean()
    )
    return (pa - pe) / (1 - pe) if pe < 1 else math.nan


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa from a subjects x categories table of rater counts (same raters each),
    by statsmodels; NaN for no subject or one category only."""
    counts = np.asarray(counts, dtype=float)
    if len(counts) == 0:
        return math.nan
    n = counts.sum(axis=1)
    if not np.allclose(n, n[0]) or n[0] < 2:
        raise ValueError("fleiss_kappa: every subject needs the same number (≥ 2) of ratings")
    if (counts.sum(axis=0) > 0).sum() < 2:
        return math.nan  # one category only: chance agreement is 1
    return float(_statsmodels_fleiss(counts, method="fleiss"))


def krippendorff_alpha(ratings: np.ndarray, level: Level = "nominal") -> float:
    """Krippendorff's alpha for units x raters (NaN = missing), by the krippendorff package;
    NaN when fewer than two values occur or no unit has two ratings."""
    ratings = np.asarray(ratings, dtype=float)
    present = ~np.isnan(ratings)
    if len(np.unique(ratings[present])) < 2 or not (present.sum(axis=1) >= 2).any():
        return math.nan
    return float(krippendorff.alpha(reliability_data=ratings.T, level_of_measurement=level))


def _delta(values: np.ndarray, n_c: np.ndarray, level: Level) -> np.ndarray:
    """Squared distance between categories c and k for the level of measurement."""
    k = len(values)
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "interval":
        return np.subtract.outer(values, values) ** 2
    if level == "ratio":
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.subtract.outer(values, values) / np.add.outer(values, values)
        return np.nan_to_num(ratio) ** 2  # 0 / 0 (both zero) is no distance
    cumulative = np.cumsum(n_c)
    delta = np.zeros((k, k))
    for c in range(k):
        for d in range(k):
            low, high = min(c, d), max(c, d)
            between = cumulative[high] - (cumulative[low - 1] if low > 0 else 0)
            delta[c, d] = (between - (n_c[c] + n_c[d]) / 2) ** 2
    return delta


def _unit_counts(ratings: np.ndarray, categories: Sequence | np.ndarray) -> np.ndarray:
    ratings = np.asarray(ratings, dtype=float)
    if len(categories) == 0:
        return np.zeros((len(ratings), 0))
    return np.stack([(ratings == c).sum(axis=1) for c in categories], axis=1).astype(float)


def spearman(x: ArrayLike, y: ArrayLike) -> float:
    """Spearman's rho (scipy); NaN under three pairs or when either side is constant."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(spearmanr(x, y).statistic)


def wilson(successes: float, n: float, z: float = Z95) -> Interval:
    """Wilson score interval (statsmodels' proportion_confint); n may be an effective
    (design-adjusted) sample size. No trial: no figure, and the reason."""
    if n <= 0:
        return too_few(0, math.nan, "a proportion needs at least one")
    low, high = proportion_confint(successes, n, alpha=2 * norm.sf(z), method="wilson")
    return Interval(successes / n, max(0.0, float(low)), min(1.0, float(high)))


def stratified_proportion(
    values: np.ndarray, strata: np.ndarray, sizes: dict, z: float = Z95
) -> Interval:
    """A population proportion from a stratified sample: Cochran's estimate and variance with
    a Wilson interval at the design's effective n (``core.analysis.stratified.proportion``,
    whose docstring gives the formulas and the thin-strata rule; ``z`` is kept for callers,
    the level is 95%). The interval's note names any stratum too thin for its variance."""
    return stratified.proportion(values, strata, sizes).interval


def bootstrap(
    statistic: Callable[[np.ndarray], float],
    units: np.ndarray,
    strata: np.ndarray,
    resamples: int = RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
) -> Interval:
    """Percentile interval of ``statistic(indices)`` over resamples of units within strata
    (BCa when the percentile one misses the estimate; see ``percentile_interval``).

    ``units`` is each row's unit id (an item: its pairs are resampled together) and
    ``strata`` each row's stratum; units are drawn with replacement inside their stratum.
    """
    units = np.asarray(units)
    strata = np.asarray(strata)
    count = len(np.unique(units))
    if count < MIN_UNITS:
        return too_few(count, statistic(np.arange(len(units))) if count else math.nan)
    estimate = statistic(np.arange(len(units)))
    rng = np.random.default_rng(seed)
    groups = []
    for h in np.unique(strata):
        rows = np.flatnonzero(strata == h)
        ids, inverse = np.unique(units[rows], return_inverse=True)
        members = [rows[inverse == i] for i in range(len(ids))]
        groups.append(members)
    draws = []
    for _ in range(resamples):
        picked = []
        for members in groups:
            for i in rng.integers(0, len(members), len(members)):
                picked.append(members[i])
        draws.append(statistic(np.concatenate(picked)))
    every = np.arange(len(units))

    def jackknife() -> np.ndarray:
        return np.array([statistic(every[units != u]) for u in np.unique(units)], dtype=float)

    return percentile_interval(estimate, np.array(draws, dtype=float), level, count, jackknife)


def spearman_interval(
    x: np.ndarray,
    y: np.ndarray,
    units: np.ndarray,
    strata: np.ndarray,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> Interval:
    """Spearman's rho with a stratified bootstrap over units; above 2,000 pairs the
    Fieller-Hartley-Pearson interval (z = atanh(rho), se = sqrt(1.06 / (n - 3)))."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    rho = spearman(x, y)
    n = len(x)
    if n > 2000 and not math.isnan(rho):
        z, se = math.atanh(max(min(rho, 0.999999), -0.999999)), math.sqrt(1.06 / (n - 3))
        return Interval(rho, math.tanh(z - Z95 * se), math.tanh(z + Z95 * se))
    return bootstrap(lambda rows: spearman(x[rows], y[rows]), units, strata, resamples, seed)


def coincidence_cells(ratings: np.ndarray, values: ArrayLike) -> np.ndarray:
    """Each unit's contribution to Krippendorff's coincidence matrix, flattened (units x V²)."""
    ratings = np.asarray(ratings, dtype=float)
    points = np.asarray(values, dtype=float)
    k = len(points)
    counts = _unit_counts(ratings, points)
    m = counts.sum(axis=1)
    pairs = np.einsum("ui,uj->uij", counts, counts) - np.einsum("ui,ij->uij", counts, np.eye(k))
    with np.errstate(invalid="ignore", divide="ignore"):
        cells = pairs / (m - 1)[:, None, None]
    cells[m < 2] = 0.0
    return cells.reshape(len(ratings), k * k)


def alpha_of_tables(values: ArrayLike, level: Level) -> Callable[[np.ndarray], np.ndarray]:
    """Vectorised Krippendorff's alpha over flattened coincidence matrices (one per row)."""
    points = np.asarray(values, dtype=float)
    k = len(points)

    def statistic(tables: np.ndarray) -> np.ndarray:
        o = tables.reshape(-1, k, k)
        n_c = o.sum(axis=2)
        n = n_c.sum(axis=1)
        out = np.full(len(o), np.nan)
        for r in range(len(o)):
            if n[r] <= 1:
                continue
            delta = _delta(points, n_c[r], level)
            expected = (np.outer(n_c[r], n_c[r]) * delta).sum() / (n[r] - 1)
            out[r] = 1 - (o[r] * delta).sum() / expected if expected > 0 else np.nan
        return out

    return statistic
