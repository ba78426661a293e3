"""Stratified prediction-powered inference (StratPPI; Fisch et al. 2024, "Stratified
Prediction-Powered Inference for Effective Hybrid Evaluation of Language Models", NeurIPS).

A judge scores every item of a finite population; SMEs label a stratified sample of it. In
each design stratum h ("<golden stratum>/<pool>", N_h items, n_h of them labelled) PPI++
(Angelopoulos, Duchi & Zrnic 2023) corrects the judge's mean on the stratum's UNLABELLED items
by the labelled items' residuals, with its own power-tuning weight λ_h; the strata combine
with W_h = N_h / N:

    θ_h = λ_h · mean(f_unlabelled) + mean(y − λ_h f)     θ = Σ W_h θ_h,  var = Σ W_h² var_h

With the unlabelled items as the unlabelled set, θ_h is the difference (regression) estimator
ȳ − b (f̄ − F̄_h) with b = λ_h N_h / (N_h − n_h) and F̄_h the judge's mean over the whole
stratum, so its design variance under simple random sampling within the stratum is Cochran's
(Sampling Techniques, 1977, Theorem 7.1, b preassigned): (1 − n_h/N_h) s²(y − b f) / n_h.
ppi-python's variance, λ² s²(f_unlabelled)/N_u + s²(y − λf)/n, is the same without the
finite-population correction of the s²(y) term; both are minimised by the same λ, ppi-python's
cov(y, f) / ((1 + n/N_u) var(f)), clipped to [0, 1]. ``fpc=False`` gives ppi-python's
variance (what the tests hold against it).

λ_h is fitted on the same labels it corrects, which Theorem 7.1's b-preassigned variance
ignores: with 50-70 labels a stratum and rare failures, the intervals covered 93% at 10,000
items (bench/label_efficiency.py). Each stratum's variance is therefore the larger of that
formula and the delete-one jackknife with λ refitted each time (Quenouille; Cochran 1977,
§6.16, for ratio and regression estimates; the fpc applied as in the closed form), which
brought coverage back to 94-96%.

Intervals stay inside the parameter's range ([0, 1] for a pass rate, [−1, 1] for a paired
difference): the estimate q is mapped onto [0, 1], and the interval is Wilson's at the
effective sample size n_eff = q(1 − q) / var (Korn & Graubard 1998), mapped back. The point
estimate itself can fall a hair outside the range (a correction larger than the judge's
mean); it is then reported at the range's edge, which the Wilson interval always contains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from core.analysis import stratified
from core.analysis.stratified import collapse_thin, thin_strata  # noqa: F401 - one rule for both pages
from core.types import Interval, finite

Range = tuple[float, float]
PROPORTION: Range = (0.0, 1.0)
DIFFERENCE: Range = (-1.0, 1.0)  # target minus source, each a proportion
MIN_STRATUM_LABELS = stratified.MIN_LABELS  # a stratum's variance needs two labels
# Below this many labels a stratum is SME-only (λ_h = 0): λ fitted on a handful of labels is
# noise, and the jackknife that guards its coverage then widens the interval past SME-only's
# (up to 22% wider at 5 labels a stratum; tests/core/analysis/test_stratified_ppi.py).
MIN_PPI_LABELS = 10


@dataclass(frozen=True)
class StratumFit:
    """One stratum: N_h items, n_h labelled; PPI++ and SME-only estimates and variances."""

    stratum: str
    size: int
    labelled: int
    lam: float
    estimate: float
    variance: float
    sme_estimate: float
    sme_variance: float

    def to_dict(self) -> dict:
        return {k: finite(v) if isinstance(v, float) else v for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class StratifiedPPI:
    """A population mean by StratPPI beside the SME-only stratified estimate (Cochran).

    ``effective_labels``: how many SME labels the stratified SME-only estimator would need
    for the variance StratPPI reaches with ``labelled``: each stratum's labels times one
    factor ``scale`` (the same allocation), at most its N_h, solving
    Σ W_h² s_h² (1/m_h − 1/N_h) = var(StratPPI) with s_h² from the SME-only variance. Without
    the fpc, labelled × var(SME-only) / var(StratPPI), which can exceed the items there are.
    """

    estimate: float
    low: float
    high: float
    labelled: int
    variance: float
    sme_only: Interval
    sme_only_variance: float
    strata: tuple[StratumFit, ...]

    @property
    def sme_only_strata(self) -> tuple[StratumFit, ...]:
        """Strata under MIN_PPI_LABELS labels: SME-only there (λ_h = 0)."""
        return tuple(s for s in self.strata if s.labelled < MIN_PPI_LABELS)

    def note(self) -> str | None:
        """Which strata use their SME labels alone, and why; None when none does."""
        if not self.sme_only_strata:
            return None
        named = ", ".join(f"{s.stratum} ({s.labelled})" for s in self.sme_only_strata)
        return (
            f"strata with fewer than {MIN_PPI_LABELS} SME labels ({named}) use their labels"
            " alone (λ = 0): a correction fitted on so few labels widens the interval"
        )

    @property
    def interval(self) -> Interval:
        return Interval(self.estimate, self.low, self.high)

    def _sme_variance_at(self, k: float) -> float:
        """SME-only's variance with each stratum's labels times ``k`` (at most N_h)."""
        total = sum(s.size for s in self.strata)
        out = 0.0
        for s in self.strata:
            if s.labelled >= s.size or s.sme_variance <= 0:
                continue  # labelled whole, or nothing left to gain
            s2 = s.sme_variance * s.labelled / (1 - s.labelled / s.size)
            m = min(k * s.labelled, s.size)
            out += (s.size / total) ** 2 * s2 * (1 / m - 1 / s.size)
        return out

    @property
    def scale(self) -> float:
        """k: SME-only reaches StratPPI's variance with k times each stratum's labels."""
        if not self.strata or self.variance <= 0:
            return 1.0 if self._sme_variance_at(1.0) <= 0 else math.inf
        low, high = 1e-3, max(s.size / max(s.labelled, 1) for s in self.strata)
        if self._sme_variance_at(high) > self.variance:
            return math.inf
        for _ in range(60):  # bisection: the variance falls as k grows
            mid = (low + high) / 2
            low, high = (mid, high) if self._sme_variance_at(mid) > self.variance else (low, mid)
        return high

    @property
    def effective_labels(self) -> float:
        k = self.scale
        if not math.isfinite(k):
            return math.inf
        return float(sum(min(k * s.labelled, s.size) for s in self.strata))

    def to_dict(self) -> dict:
        return {
            "estimate": finite(self.estimate),
            "low": finite(self.low),
            "high": finite(self.high),
            "labelled": self.labelled,
            "variance": finite(self.variance),
            "effective_labels": finite(self.effective_labels),
            "scale": finite(self.scale),
            "sme_only": self.sme_only.to_dict(),
            "sme_only_variance": finite(self.sme_only_variance),
            "strata": [s.to_dict() for s in self.strata],
            "note": self.note(),
        }


@dataclass(frozen=True)
class StratumPPI:
    """PPI++ in one stratum: estimate, variance and the λ that minimises the variance."""

    estimate: float
    variance: float
    lam: float


def ppi_mean(
    y: np.ndarray, f: np.ndarray, f_unlabelled: np.ndarray, fpc: bool = True
) -> StratumPPI:
    """PPI++ for a mean over one stratum: ``y`` the SME labels, ``f`` the judge on the same
    items, ``f_unlabelled`` the judge on the stratum's other items. With ``fpc`` the variance
    is the design variance of the finite stratum (see the module's docstring); without, it
    is ppi-python's ``ppi_mean_ci`` variance (an infinite unlabelled population)."""
    y, f, fu = (np.asarray(a, dtype=float) for a in (y, f, f_unlabelled))
    n, n_u = len(y), len(fu)
    if n_u == 0:  # the stratum is labelled whole: its mean is known
        return StratumPPI(float(y.mean()), 0.0 if fpc else float(y.var() / n), 0.0)
    spread = float(np.var(np.concatenate([f, fu]), ddof=1))
    cov = float(np.mean((y - y.mean()) * (f - f.mean())))
    lam = float(np.clip(cov / ((1 + n / n_u) * spread), 0, 1)) if spread > 0 else 0.0
    estimate = lam * fu.mean() + (y - lam * f).mean()
    if fpc:
        size = n + n_u
        b = lam * size / n_u
        variance = (1 - n / size) * float(np.var(y - b * f, ddof=1)) / n
    else:
        variance = lam**2 * float(fu.var()) / n_u + float((y - lam * f).var()) / n
    return StratumPPI(float(estimate), variance, lam)


def jackknife_variance(y: np.ndarray, f: np.ndarray, f_unlabelled: np.ndarray) -> float:
    """Delete-one jackknife variance of ``ppi_mean``'s estimate with λ refitted without each
    label in turn, times the stratum's fpc: (1 − n/N) (n − 1)/n Σ (θ₍ᵢ₎ − θ̄)². The leave-one-out
    sums are closed-form, so a stratum of any size costs O(n + N)."""
    y, f, fu = (np.asarray(a, dtype=float) for a in (y, f, f_unlabelled))
    n, n_u = len(y), len(fu)
    if n < 3 or n_u == 0:
        return 0.0
    m = n + n_u - 1  # judge scores left once label i is out
    total, squares = f.sum() + fu.sum(), (f**2).sum() + (fu**2).sum()
    spread = (squares - f**2 - (total - f) ** 2 / m) / (m - 1)
    k = n - 1
    sy, sf = y.sum() - y, f.sum() - f
    cov = ((y * f).sum() - y * f) / k - (sy / k) * (sf / k)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(spread > 1e-12, np.clip(cov / ((1 + k / n_u) * spread), 0, 1), 0.0)
    theta = lam * fu.mean() + (sy - lam * sf) / k
    return float((1 - n / (n + n_u)) * (n - 1) / n * ((theta - theta.mean()) ** 2).sum())


def stratified_ppi(
    y: np.ndarray,
    f: np.ndarray,
    strata: np.ndarray,
    f_unlabelled: np.ndarray,
    unlabelled_strata: np.ndarray,
    bounds: Range = PROPORTION,
    alpha: float = 0.05,
    fpc: bool = True,
    jackknife: bool = True,
) -> StratifiedPPI:
    """StratPPI of a population mean and, beside it, the SME-only stratified estimate.

    ``y``, ``f`` and ``strata`` describe the labelled items (SME label, judge score, design
    stratum); ``f_unlabelled`` and ``unlabelled_strata`` every other item of the population.
    Every stratum needs ``MIN_STRATUM_LABELS`` labels (``thin_strata`` names the ones short).

    A stratum whose labels all agree (a judge-pass stratum's handful of labels, all passing)
    shows no variance though it has one: its λ is 0, so StratPPI's estimate there is the
    SME-only one, and both take the variance its pool shows (the strata sharing its
    "/<pool>", as one stratum around the pool's mean: a house rule modelled on Cochran's
    collapsed strata, 1977, §5A.12, see ``core.analysis.thin``), or, where the whole pool
    agrees, Jeffreys' p̃(1 − p̃) with p̃ = ½/(n + 1): half a label one verdict step away. The
    pool's variance is borrowed whatever n_h (30 agreeing labels too): conservative where
    the pool mixes rates, and what the measured coverage rests on. A stratum with fewer than
    MIN_PPI_LABELS labels is SME-only too (λ_h = 0; ``note`` names it). ``jackknife``: each
    other stratum's variance is at least its delete-one jackknife with λ refitted
    (``jackknife_variance``).
    """
    y, f, fu = (np.asarray(a, dtype=float) for a in (y, f, f_unlabelled))
    strata, unl = np.asarray(strata, dtype=str), np.asarray(unlabelled_strata, dtype=str)
    thin = thin_strata(strata, unl)
    if thin:
        raise ValueError(f"stratified_ppi: too few labels in strata {thin!r}")
    names = sorted(set(strata.tolist()))
    borrowed = _borrowed_variances(y, strata, names)
    codes, coded = pd.factorize(unl)  # one pass over a large unlabelled set
    code_of = {str(h): i for i, h in enumerate(coded)}
    fits = []
    for h in names:
        mine, theirs = strata == h, codes == code_of.get(h, -2)
        n, size = int(mine.sum()), int(mine.sum() + theirs.sum())
        share = n / size if fpc else 0.0
        s2 = float(borrowed.get(h, np.var(y[mine], ddof=1)))
        fit = ppi_mean(y[mine], f[mine], fu[theirs], fpc)
        sme = (1 - share) * s2 / n
        alone = h in borrowed or n < MIN_PPI_LABELS  # SME-only here: λ_h = 0
        if n < MIN_PPI_LABELS:
            fit = StratumPPI(float(y[mine].mean()), sme, 0.0)
        variance = sme if alone else fit.variance
        if jackknife and fpc and not alone:
            variance = max(variance, jackknife_variance(y[mine], f[mine], fu[theirs]))
        fits.append(
            StratumFit(h, size, n, fit.lam, fit.estimate, variance, float(y[mine].mean()), sme)
        )
    if bounds == PROPORTION:
        sme_only = _sme_only(y, strata, {s.stratum: s.size for s in fits}, bounds)
    else:
        sme_only = _sme_only_of(fits, len(y) + len(fu), bounds, alpha)
    return _combined(fits, len(y) + len(fu), bounds, alpha, sme_only)


def _sme_only(y: np.ndarray, strata: np.ndarray, sizes: dict, bounds: Range) -> tuple:
    """Cochran's stratified estimate of the labels alone (``core.analysis.stratified``) on
    the range mapped onto [0, 1], mapped back: its interval and variance."""
    lo, hi = bounds
    width = hi - lo
    result = stratified.proportion((y - lo) / width, strata, sizes)
    _, low, high = result.interval
    interval = Interval(lo + width * result.estimate, lo + width * low, lo + width * high)
    return interval, (width * result.standard_error) ** 2


def _sme_only_of(fits: list[StratumFit], total: int, bounds: Range, alpha: float) -> tuple:
    """Cochran's stratified estimate of the labels alone from each stratum's SME mean and
    variance (a difference: ``stratified.proportion`` only knows [0, 1])."""
    weights = np.array([s.size / total for s in fits])
    labels = np.array([s.labelled for s in fits])
    terms = weights**2 * np.array([s.sme_variance for s in fits])
    estimate = float(weights @ [s.sme_estimate for s in fits])
    interval = bounded_interval(estimate, terms.sum(), int(labels.sum()), bounds, alpha,
                                _df(terms, labels))  # fmt: skip
    return interval, float(terms.sum())


def _combined(
    fits: list[StratumFit], total: int, bounds: Range, alpha: float, sme_only: tuple
) -> StratifiedPPI:
    """θ = Σ W_h θ_h, var = Σ W_h² var_h, with its interval inside ``bounds``."""
    weights = np.array([s.size / total for s in fits])
    labels = np.array([s.labelled for s in fits])
    estimate = float(weights @ [s.estimate for s in fits])
    terms = weights**2 * np.array([s.variance for s in fits])
    n = int(labels.sum())
    _, low, high = bounded_interval(estimate, terms.sum(), n, bounds, alpha, _df(terms, labels))
    interval, sme_variance = sme_only
    return StratifiedPPI(
        _inside(estimate, bounds),
        low,
        high,
        n,
        float(terms.sum()),
        interval,
        float(sme_variance),
        tuple(fits),
    )


def _df(terms: np.ndarray, labels: np.ndarray) -> float:
    """Satterthwaite's degrees of freedom of Σ terms_h (Cochran 1977, eq. 5.16)."""
    spread = labels > 1
    denominator = float((terms[spread] ** 2 / (labels[spread] - 1)).sum())
    return max(float(terms.sum()) ** 2 / denominator, 1.0) if denominator > 0 else math.inf


def _borrowed_variances(y: np.ndarray, strata: np.ndarray, names: list[str]) -> dict[str, float]:
    """s² for each stratum whose labels all agree: its pool's (see ``stratified_ppi``)."""
    pools = np.array([h.rsplit("/", 1)[-1] if "/" in h else "all" for h in strata.tolist()])
    out = {}
    for h in names:
        mine = strata == h
        if np.var(y[mine]) > 0:
            continue
        pool = pools == pools[mine][0]
        pooled = float(np.var(y[pool], ddof=1))
        if pooled == 0:
            # The whole pool agrees: Jeffreys' half a label one verdict step (1) away. On a
            # difference's range, mapping onto [0, 1] would put "no change" mid-range and
            # give it the largest variance there is.
            smoothed = 0.5 / (pool.sum() + 1)
            pooled = smoothed * (1 - smoothed)
        out[h] = pooled
    return out


def _inside(value: float, bounds: Range) -> float:
    return float(min(max(value, bounds[0]), bounds[1]))


def bounded_interval(
    estimate: float,
    variance: float,
    labels: int,
    bounds: Range = PROPORTION,
    alpha: float = 0.05,
    df: float = math.inf,
) -> Interval:
    """An estimate of a bounded mean and its interval inside ``bounds``: Wilson's at the
    effective sample size n_eff = q(1 − q) / var(q), q the estimate mapped onto [0, 1], with
    Korn & Graubard's (1998) adjustment n_eff × (t_{n−1} / t_df)² for a variance of ``df``
    degrees of freedom (n the ``labels``).

    When that n_eff says nothing (a zero variance, or an estimate on the range's edge), the
    interval is Wilson's at the number of ``labels``: all of them agree, which a handful of
    labels cannot prove.
    """
    lo, hi = bounds
    width = hi - lo
    q = (_inside(estimate, bounds) - lo) / width
    var_q = variance / width**2
    if not (math.isfinite(q) and math.isfinite(var_q)) or labels < 1:
        return Interval(math.nan, math.nan, math.nan)
    n_eff = q * (1 - q) / var_q if var_q > 0 and 0 < q < 1 else float(labels)
    if labels > 1 and math.isfinite(df):
        n_eff *= (stats.t.ppf(1 - alpha / 2, labels - 1) / stats.t.ppf(1 - alpha / 2, df)) ** 2
    low, high = proportion_confint(q * n_eff, n_eff, alpha=alpha, method="wilson")
    return Interval(lo + q * width, lo + float(low) * width, lo + float(high) * width)
