"""Paired statistics for comparing two runs item by item: bootstrap, McNemar, non-inferiority.
(Prediction-powered inference is ``core.analysis.ppi``.)

Every figure that compares source and target resamples items, never runs, so each resample
keeps an item's two outputs together.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar as statsmodels_mcnemar

from core.types import RESAMPLES, Interval, finite

EXACT_LIMIT = 50_000  # above this many items the bag of little bootstraps takes over

Statistic = Callable[[np.ndarray, np.ndarray], np.ndarray]


class Bootstrap:
    """Paired bootstrap over ``n`` items; every statistic sees the same resamples.

    Up to ``EXACT_LIMIT`` items it is the ordinary bootstrap: multinomial counts over all
    items. Above, a million-row resample a thousand times is out of reach, so it is the bag
    of little bootstraps (Kleiner, Talwalkar, Sarkar & Jordan 2014): ``subsets`` random
    subsets of b = n^0.7 items, each resampled back to size n by multinomial counts; the
    bounds are the mean of the subsets' bounds. It keeps the bootstrap's coverage at a cost
    that grows with b, not n.
    """

    def __init__(self, n: int, resamples: int = RESAMPLES, seed: int = 0, subsets: int = 10):
        rng = np.random.default_rng(seed)
        self.n = n
        if n == 0:
            self.groups: list[tuple[np.ndarray, np.ndarray]] = []
        elif n <= EXACT_LIMIT:
            counts = rng.multinomial(n, np.full(n, 1 / n), size=resamples)
            self.groups = [(np.arange(n), counts)]
        else:
            b = int(n**0.7)
            per = max(1, resamples // subsets)
            self.groups = []
            for _ in range(subsets):
                idx = np.sort(rng.choice(n, b, replace=False))
                self.groups.append((idx, rng.multinomial(n, np.full(b, 1 / b), size=per)))

    def bounds(self, statistic: Statistic, estimate: float) -> Interval:
        """``statistic(idx, counts)`` gives one value per resample: ``counts[r, j]`` is how
        often item ``idx[j]`` is drawn in resample r."""
        if not self.groups:
            return Interval(estimate, math.nan, math.nan, math.nan, math.nan)
        per_group = []
        for idx, counts in self.groups:
            values = np.asarray(statistic(idx, counts), dtype=float)
            values = values[np.isfinite(values)]
            if len(values) == 0:
                return Interval(estimate, math.nan, math.nan, math.nan, math.nan)
            if len(self.groups) > 1:
                # A subset's resamples spread around the subset's own estimate: keep only
                # that spread, and centre it on the full-data estimate.
                centre = np.full((1, len(idx)), self.n / len(idx))
                values = values - float(np.ravel(statistic(idx, centre))[0]) + estimate
            per_group.append(np.percentile(values, [2.5, 97.5, 5, 95]))
        low, high, lower, upper = np.mean(per_group, axis=0)
        return Interval(float(estimate), float(low), float(high), float(lower), float(upper))


def resampled_mean(values: np.ndarray) -> Statistic:
    """Mean of ``values`` over each resample, NaNs left out."""
    values = np.asarray(values, dtype=float)
    valid = np.isfinite(values)
    filled = np.where(valid, values, 0.0)

    def statistic(idx: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return (counts @ filled[idx]) / (counts @ valid[idx].astype(float))

    return statistic


def resampled_quantiles(values: np.ndarray, qs: tuple[float, ...]) -> Callable:
    """The ``qs`` quantiles of ``values`` (NaNs left out) over each resample, exactly as
    numpy's default (linear) method would give on the resample written out in full; NaN for
    a resample without a value (and for every resample when nothing is measured)."""
    values = np.asarray(values, dtype=float)

    def statistic(idx: np.ndarray, counts: np.ndarray) -> np.ndarray:
        v = values[idx]
        keep = np.isfinite(v)
        out = np.full((len(qs), counts.shape[0]), np.nan)
        if not keep.any():  # nothing measured: no quantile (NaN, left out of the bounds)
            return out
        order = np.argsort(v[keep], kind="stable")
        sorted_v = v[keep][order]
        cum = np.cumsum(counts[:, keep][:, order], axis=1)
        total = cum[:, -1]
        last = len(sorted_v) - 1
        for row, q in enumerate(qs):
            h = (total - 1) * q
            lo = np.floor(h)
            # position k of the written-out sample is the first distinct value with cum > k
            j_lo = np.minimum((cum <= lo[:, None]).sum(axis=1), last)
            j_hi = np.minimum((cum <= lo[:, None] + 1).sum(axis=1), last)
            out[row] = sorted_v[j_lo] + (h - lo) * (sorted_v[j_hi] - sorted_v[j_lo])
        out[:, total == 0] = np.nan  # a resample that drew only unmeasured items
        return out

    return statistic


@dataclass(frozen=True)
class McNemar:
    """McNemar's test on the discordant pairs."""

    regressions: int  # b: source passed, target failed
    improvements: int  # c: source failed, target passed
    chi2: float
    p_value: float
    exact_p_value: float

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def mcnemar(regressions: int, improvements: int) -> McNemar:
    """McNemar's test on the discordant pairs (b: source passed, target failed; c: the
    reverse): chi-squared without continuity correction, and the exact binomial p-value."""
    b, c = int(regressions), int(improvements)
    if b + c == 0:  # no discordant pair: nothing to test
        return McNemar(regressions=0, improvements=0, chi2=0.0, p_value=1.0, exact_p_value=1.0)
    # statsmodels reads only the off-diagonal cells; the diagonal is a placeholder.
    table = [[0, b], [c, 0]]
    chi = statsmodels_mcnemar(table, exact=False, correction=False)
    return McNemar(
        regressions=b,
        improvements=c,
        chi2=float(chi.statistic),
        p_value=float(chi.pvalue),
        exact_p_value=float(statsmodels_mcnemar(table, exact=True).pvalue),
    )


@dataclass(frozen=True)
class NonInferiority:
    """The non-inferiority test of target/source at ``margin``; without a test (fewer than two
    items, or items without spread) only ``n``, ``ratio`` and ``reason`` (``p_value``,
    ``margin`` and ``passes`` None). ``items_needed``: for the zero-failure test, how many
    items without a failure would pass it."""

    n: int
    ratio: float | None
    ratio_lower: float | None = None
    p_value: float | None = None
    margin: float | None = None
    passes: bool | None = None
    reason: str | None = None
    items_needed: int | None = None

    def to_dict(self) -> dict:
        out = dict(self.__dict__)
        if self.p_value is None:  # too few items: no test, so no margin or verdict
            del out["margin"], out["passes"]
        return out


def non_inferiority(target: np.ndarray, source: np.ndarray, margin: float) -> NonInferiority:
    """Is target/source at least 1 - margin? One-sided paired t-test of
    d = target - (1 - margin) * source (H0: mean d <= 0), with the lower one-sided 95% bound
    of the ratio of means (Fieller), which clears 1 - margin exactly when the test rejects.
    A ratio of pass rates is never negative, so the bound is Fieller's set cut to [0, inf)
    (cutting a confidence set to the parameter space keeps its coverage).

    Items without spread (every d equal) leave the t statistic undefined: when every item
    passes on both runs it is the exact zero-failure test instead, else there is no test."""
    target = np.asarray(target, dtype=float)
    source = np.asarray(source, dtype=float)
    n = len(target)
    ratio = target.mean() / source.mean() if n and source.mean() > 0 else math.nan
    if n < 2:
        return NonInferiority(n, finite(ratio), reason="fewer than 2 paired items")
    d = target - (1 - margin) * source
    if np.all(d == d[0]):
        return _without_spread(target, source, finite(ratio), margin)
    p = float(stats.ttest_1samp(d, 0.0, alternative="greater").pvalue)
    bound = finite(fieller_lower(target, source))
    return NonInferiority(n, finite(ratio), max(bound or 0.0, 0.0), p, margin, p < 0.05)


def _without_spread(
    target: np.ndarray, source: np.ndarray, ratio: float | None, margin: float
) -> NonInferiority:
    """Every item passed on both runs: the exact test of "the target fails at least a share
    ``margin`` of what the source passes" has p = (1 - margin)^n (no failure in n items), and
    the ratio's lower bound is 0.05^(1/n), one minus the Clopper-Pearson upper bound for 0
    failures in n (Hanley & Lippman-Hand 1983, "If nothing goes wrong, is everything all
    right?", JAMA 249:1743). Any other pattern without spread has no test."""
    n = len(target)
    if not (np.all(target == 1) and np.all(source == 1)) or not 0 < margin < 1:
        return NonInferiority(
            n, ratio, reason=f"all {n} items have the same outcome: no spread for a t-test"
        )
    p = (1 - margin) ** n
    needed = math.ceil(math.log(0.05) / math.log(1 - margin))
    return NonInferiority(
        n,
        ratio,
        0.05 ** (1 / n),
        p,
        margin,
        p < 0.05,
        reason="no failure on either run: exact zero-failure test",
        items_needed=needed,
    )


def fieller_lower(target: np.ndarray, source: np.ndarray, level: float = 0.95) -> float:
    """Lower one-sided bound of mean(target)/mean(source) for paired data: the smallest r
    whose one-sided t-test of target - r * source is not rejected."""
    n = len(target)
    a, b = target.mean(), source.mean()
    cov = np.cov(np.vstack([target, source]), ddof=1)
    c2 = stats.t.ppf(level, n - 1) ** 2 / n
    qa = b * b - c2 * cov[1, 1]
    qb = -2 * (a * b - c2 * cov[0, 1])
    qc = a * a - c2 * cov[0, 0]
    if qa <= 0:  # the source mean is not clearly above zero: no finite bound
        return -math.inf
    disc = qb * qb - 4 * qa * qc
    if disc < 0:
        return -math.inf
    return (-qb - math.sqrt(disc)) / (2 * qa)
