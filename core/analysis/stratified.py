"""Design-based estimates from a stratified sample: Cochran's stratified mean and proportion,
and precision and recall as domain (ratio) estimates over the strata.

Stratum h holds N_h items of which n_h were labelled by simple random sampling (f_h = n_h/N_h,
W_h = N_h / N). Cochran, Sampling Techniques (3rd ed., 1977), ch. 5:
  estimate  ȳ_st = Σ W_h ȳ_h                                         (5.1)
  variance  v(ȳ_st) = Σ W_h² (1 − f_h) s_h² / n_h,  s_h² = Σ (y − ȳ_h)² / (n_h − 1)   (5.6-5.7)
  degrees of freedom (Satterthwaite)  n_e = (Σ g_h s_h²)² / Σ g_h² s_h⁴ / (n_h − 1),
  g_h = N_h (N_h − n_h) / n_h                                         (§5.4)
A ratio R = Σ W_h ȳ_h / Σ W_h x̄_h (precision: y = both fail, x = judge fails; recall: x = SME
fails) is a domain estimate (Lohr, Sampling: Design and Analysis, ch. 4, ratio estimation and
estimation in domains; Cochran ch. 6, the combined ratio estimate in stratified sampling) with
the linearised (Taylor) variance: the same formula over d = y − R̂ x, divided by
X̄² = (Σ W_h x̄_h)².

Intervals of a proportion stay in [0, 1]: Wilson's score interval at the design's effective
sample size n* = p̂ (1 − p̂) / v, with Korn & Graubard's (1998) degrees-of-freedom adjustment
n* × (t_{n−1} / t_{df})², df = Satterthwaite's n_e (Korn & Graubard pair that n* with
Clopper-Pearson, conservative by construction; Wilson's score form is used here, and
bench/coverage.py measures its coverage). A mean gets ȳ_st ± t_{df} √v.

Thin strata (``core.analysis.thin``). Strata with fewer than MIN_LABELS labels (none or one)
are collapsed into their pool, "*/<pool>", the rule Compare's StratPPI uses, so both pages
give the same estimate; a pool short of MIN_LABELS in all withholds the figure ("not enough
labels", the pool and its top-up). A stratum whose labels all agree (s_h² = 0) says nothing
about its variance: with 6 labels at a true 3% failure rate, all pass 83% of the time. It
borrows the variance of its pool, the strata that share the judge's verdict, pooled as one
stratum around the pool's mean. That is a house rule, not Cochran's: it is modelled on his
collapsed strata (§5A.12, strata of one unit each paired to estimate a variance they cannot
alone), extended to strata whose labels agree, and it is conservative where the pool mixes
strata of different rates (a stratum of 30 agreeing labels borrows the mix's larger
variance); bench/coverage.py measures the result. A proportion whose whole pool agrees
takes the pool's Jeffreys proportion (x + ½) / (n + 1): an SME's verdict is never certain by
design. In a ratio, a pool without variation is structural only when the domain is a union
of strata (precision: a judge-pass stratum holds no judge failures); otherwise (recall: SME
failures can hide in a judge-pass stratum) it takes d's largest value for a hidden domain
member, max(R̂, 1 − R̂)², times the pool's Jeffreys p̃(1 − p̃) of the domain. A borrowed
stratum's degrees of freedom are its own n_h − 1 in Satterthwaite's sum (fewer than the
pool's: conservative). A domain's interval uses its own labels: n* at most the labelled
domain members, and df at most their number − 1. Every stratum under MIN_LABELS is named in
``thin`` with its top-up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import norm, t

from core.analysis.thin import (  # noqa: F401 - thin_strata: one rule for every caller
    MIN_LABELS,
    Thin,
    collapse_thin,
    pool_of,
    short_pools,
    thin_strata,
    withheld_note,
)
from core.types import Interval, finite

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Stratified:
    """A design-based estimate: its 95% interval, standard error, degrees of freedom and the
    effective sample size, the labels and strata it used, and the strata too thin to stand
    alone (``thin``; ``borrowed``: strata whose variance came from their pool)."""

    interval: Interval
    standard_error: float
    df: float
    effective_n: float
    labels: int
    strata: int
    thin: tuple[Thin, ...] = ()
    borrowed: tuple[str, ...] = ()

    @property
    def estimate(self) -> float:
        return self.interval.estimate

    @property
    def enough(self) -> bool:
        """Every stratum holds MIN_LABELS labels (the interval then means what it says)."""
        return not self.thin

    def note(self) -> str | None:
        """'not enough labels: ...' naming each thin stratum and its top-up; None when enough."""
        if self.enough:
            return None
        parts = [t.said() for t in self.thin]
        return (
            f"not enough labels: {'; '.join(parts)}; each stratum needs {MIN_LABELS} for its"
            " variance (top up those strata)"
        )

    def to_dict(self) -> dict:
        return {
            **self.interval.to_dict(),
            "standard_error": finite(self.standard_error),
            "df": finite(self.df),
            "effective_n": finite(self.effective_n),
            "labels": self.labels,
            "strata": self.strata,
            "thin": [t.to_dict() for t in self.thin],
            "borrowed": list(self.borrowed),
        }


@dataclass(frozen=True)
class _Design:
    """Labels grouped by stratum: codes, names, n_h, N_h, W_h, f_h and each stratum's pool."""

    codes: np.ndarray
    names: tuple[str, ...]
    n: np.ndarray
    size: np.ndarray
    weight: np.ndarray
    fpc: np.ndarray
    pool: np.ndarray


def _design(strata: ArrayLike, sizes: dict, counted: ArrayLike | None = None) -> _Design:
    """The design of the labels' ``strata``; ``counted``: count n_h from these labels
    instead (``strata`` then names every stratum once)."""
    labels = np.asarray(strata).astype(str)
    names, codes = np.unique(labels, return_inverse=True)
    missing = [h for h in names if h not in sizes]
    if missing:
        raise ValueError(f"stratified: no stratum size N_h for {missing!r}; pass sizes for each")
    n = np.bincount(codes, minlength=len(names)).astype(float)
    if counted is not None:
        names_n, counts_n = np.unique(np.asarray(counted).astype(str), return_counts=True)
        have = dict(zip(names_n.tolist(), counts_n.tolist(), strict=True))
        n = np.array([float(have.get(h, 0)) for h in names])
    # Labels of two samples that share a stratum name can outnumber one sample's N_h: the
    # stratum then counts as wholly labelled (no finite-population variance), not an error.
    size = np.maximum([float(sizes[h]) for h in names], n)
    pools = [h.rsplit("/", 1)[-1] if "/" in h else "all" for h in names]
    pool = np.unique(pools, return_inverse=True)[1]
    return _Design(codes, tuple(names), n, size, size / size.sum(), 1 - n / size, pool)


def _within(values: np.ndarray, design: _Design) -> tuple[np.ndarray, np.ndarray]:
    """Per-stratum means and unbiased variances s_h² (ddof 1; NaN where n_h = 1)."""
    h = len(design.names)
    means = np.bincount(design.codes, values, minlength=h) / design.n
    squares = np.bincount(design.codes, (values - means[design.codes]) ** 2, minlength=h)
    with np.errstate(invalid="ignore", divide="ignore"):
        return means, np.where(design.n > 1, squares / (design.n - 1), np.nan)


def _collapsed(
    values: np.ndarray,
    s2: np.ndarray,
    design: _Design,
    jeffreys: np.ndarray | None,
    hidden: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """s_h², where a thin stratum (n_h = 1 or s_h² = 0) takes its pool's pooled variance
    (the house rule in the module's docstring), or, where the pool all agrees, the Jeffreys
    p̃ (1 − p̃) of the 0/1 ``jeffreys`` (None: no smoothing); with ``hidden`` (a ratio's d
    for an unseen domain member), hidden² p̃ (1 − p̃) in pools without a domain member only.
    Also which strata borrowed a non-zero variance."""
    pools = design.pool[design.codes]
    counts = np.bincount(pools).astype(float)
    means = np.bincount(pools, values) / counts
    squares = np.bincount(pools, (values - means[pools]) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = np.where(counts > 1, squares / (counts - 1), 0.0)
    if jeffreys is not None:
        seen = np.bincount(pools, jeffreys, minlength=len(counts))
        smoothed = (seen + 0.5) / (counts + 1)
        keep = pooled > 0 if hidden is None else (pooled > 0) | (seen > 0)
        scale = 1.0 if hidden is None else hidden
        pooled = np.where(keep, pooled, scale**2 * smoothed * (1 - smoothed))
    thin = ~(s2 > 0)
    return np.where(thin, pooled[design.pool], s2), thin & (pooled[design.pool] > 0)


def _variance(s2: np.ndarray, design: _Design) -> tuple[float, float]:
    """Cochran's v = Σ W_h² (1 − f_h) s_h² / n_h and Satterthwaite's df (§5.4)."""
    terms = design.weight**2 * design.fpc * s2 / design.n
    variance = float(terms.sum())
    spread = design.n > 1
    denominator = float((terms[spread] ** 2 / (design.n[spread] - 1)).sum())
    df = variance**2 / denominator if denominator > 0 else float(design.n.sum() - 1)
    return variance, max(df, 1.0)


def _thin(design: _Design, counted: np.ndarray) -> tuple[Thin, ...]:
    """The ``counted`` strata under MIN_LABELS (or their whole size), with their top-ups."""
    return tuple(
        Thin(h, int(n), int(size), int(min(MIN_LABELS, size) - n))
        for h, n, size, c in zip(design.names, design.n, design.size, counted, strict=True)
        if c and n < min(MIN_LABELS, size)
    )


def effective_n(
    estimate: float, variance: float, labels: int, domain: bool = False, fraction: float = 0.0
) -> float:
    """n* = p̂(1 − p̂)/v (labels when p̂ is 0 or 1 or v is 0); a domain's at most its labels
    over 1 − f, f the share of the domain labelled (the finite-population gain, no more)."""
    if variance > 0 and labels > 0:
        # On the edge (0 or 1) a variance still counts: p̂ moved half a label inside.
        edge = 0.5 / (labels + 1)
        p = min(max(estimate, edge), 1 - edge)
        n_star = p * (1 - p) / variance
    else:
        n_star = float(labels)
    return min(n_star, float(labels) / (1 - min(fraction, 0.5))) if domain else n_star


def wilson_at(
    estimate: float,
    variance: float,
    df: float,
    labels: int,
    domain: bool = False,
    fraction: float = 0.0,
) -> Interval:
    """Wilson's interval at the effective n* (``effective_n``), scaled by (t_{n−1}/t_df)²
    (Korn & Graubard 1998), a factor that never raises n*. Always inside [0, 1]."""
    if labels == 0 or not math.isfinite(estimate):
        return Interval(math.nan, math.nan, math.nan)
    n_star = effective_n(estimate, variance, labels, domain, fraction)
    quantile = (1 + CONFIDENCE) / 2
    if labels > 1:
        n_star *= min(1.0, (t.ppf(quantile, labels - 1) / t.ppf(quantile, df)) ** 2)
    z = float(norm.ppf(quantile))
    centre = (estimate + z * z / (2 * n_star)) / (1 + z * z / n_star)
    half = (
        z
        * math.sqrt(estimate * (1 - estimate) / n_star + z * z / (4 * n_star**2))
        / (1 + z * z / n_star)
    )
    return Interval(estimate, max(0.0, centre - half), min(1.0, centre + half))


def _result(
    interval: Interval,
    variance: float,
    df: float,
    design: _Design,
    borrowed: np.ndarray,
    counted: np.ndarray | None = None,
    thin: tuple[Thin, ...] | None = None,
    domain: int | None = None,
    fraction: float = 0.0,
) -> Stratified:
    """The estimate as a Stratified, its interval noted when a (counted) stratum is thin
    (``thin``: those strata, named before collapsing); ``domain``: its labelled members."""
    labels = int(design.n.sum()) if domain is None else domain
    effective = effective_n(interval.estimate, variance, labels, domain is not None, fraction)
    counted = np.ones(len(design.names), bool) if counted is None else counted
    names = tuple(h for h, b in zip(design.names, borrowed, strict=True) if b)
    result = Stratified(
        interval, math.sqrt(variance), df, effective, int(design.n.sum()), len(design.names),
        _thin(design, counted) if thin is None else thin, names,
    )  # fmt: skip
    if result.enough:
        return result
    noted = Interval(interval.estimate, interval.low, interval.high, note=result.note())
    return replace(result, interval=noted)


def mean(values: ArrayLike, strata: ArrayLike, sizes: dict) -> Stratified:
    """Cochran's stratified mean ȳ_st with ± t_df √v (no borrowing: a mean's thin strata
    are named in ``thin`` and contribute the variance they show)."""
    y = np.asarray(values, dtype=float)
    design = _design(strata, sizes)
    means, s2 = _within(y, design)
    s2 = np.nan_to_num(s2)
    variance, df = _variance(s2, design)
    estimate = float((design.weight * means).sum())
    half = float(t.ppf((1 + CONFIDENCE) / 2, df)) * math.sqrt(variance)
    interval = Interval(estimate, estimate - half, estimate + half)
    return _result(interval, variance, df, design, np.zeros(len(s2), bool))


def _merged(strata: ArrayLike, sizes: dict) -> tuple[_Design, tuple[Thin, ...]]:
    """The design once thin strata join their pool (``collapse_thin``) over every stratum of
    ``sizes`` (labelled or not), and the thin strata, named before, with their top-ups."""
    labelled = np.asarray(strata).astype(str)
    _design(labelled, sizes)  # every labelled stratum has its N_h
    thin = _thin(_design(np.asarray(list(sizes)), sizes, labelled), np.ones(len(sizes), bool))
    merged = collapse_thin(labelled, list(sizes))
    sizes_merged: dict[str, float] = {}
    for h, size in sizes.items():
        sizes_merged[merged.get(h, h)] = sizes_merged.get(merged.get(h, h), 0) + size
    return _design(np.array([merged.get(h, h) for h in labelled.tolist()]), sizes_merged), thin


def proportion(values: ArrayLike, strata: ArrayLike, sizes: dict) -> Stratified:
    """A population proportion: Cochran's estimate and variance (thin strata borrowing their
    pool's), a Wilson interval at the effective sample size (see the module's docstring);
    withheld when a pool holds fewer than MIN_LABELS labels (``thin.short_pools``)."""
    y = np.asarray(values, dtype=float)
    if not len(y):
        return _empty()
    design, thin = _merged(strata, sizes)
    if short := short_pools(strata, sizes):
        return _empty(len(y), withheld_note(len(y), short, thin), short + thin)
    means, s2 = _within(y, design)
    s2, borrowed = _collapsed(y, s2, design, y)
    variance, df = _variance(s2, design)
    estimate = float((design.weight * means).sum())
    interval = wilson_at(estimate, variance, df, len(y))
    return _result(interval, variance, df, design, borrowed, thin=thin)


def ratio(
    numerator: ArrayLike,
    denominator: ArrayLike,
    strata: ArrayLike,
    sizes: dict,
    union: bool = False,
) -> Stratified:
    """R̂ = Σ W_h ȳ_h / Σ W_h x̄_h, the share of a domain (x = 1) that has y = 1, with the
    linearised variance v(R̂) = Σ W_h² (1 − f_h) s_dh² / n_h / X̄², d = y − R̂ x (Lohr ch. 4;
    Cochran ch. 6), and a Wilson interval at its effective n (inside [0, 1]).

    ``sizes``: N_h of every design stratum, labelled or not: thin ones join their pool as in
    ``proportion`` (a stratum nobody labelled still counts in its pool's weight)."""
    y = np.asarray(numerator, dtype=float)
    x = np.asarray(denominator, dtype=float)
    if not len(y):
        return _empty()
    labelled = np.asarray(strata).astype(str)
    # ``union``: the domain is a union of strata by design (precision: the judge's failures
    # are its fail pool), so a stratum without members has none to hide. Recall's domain, the
    # SME's failures, is not: a judge-pass stratum whose labels show none may still hold some.
    # Only when the labels agree (x constant in each stratum): a sample drawn on another
    # metric's or run's verdicts does not split this judge's failures into pools.
    _, x_s2 = _within(x, _design(labelled, sizes))
    union = union and bool(np.all(np.nan_to_num(x_s2) == 0))
    design, thin = _merged(labelled, sizes)
    pools_in = {pool_of(h) for h in labelled[x > 0].tolist()}  # pools with domain members
    short = short_pools(labelled, sizes)
    if union:  # a labelled pool without members holds none: its count does not matter
        short = tuple(p for p in short if p.labels == 0 or p.stratum in pools_in)
        thin = tuple(s for s in thin if pool_of(s.stratum) in pools_in)
    if short:
        return _empty(len(y), withheld_note(len(y), short, thin), short + thin)
    y_means, _ = _within(y, design)
    x_means, _ = _within(x, design)
    total = float((design.weight * x_means).sum())
    if total <= 0:
        return _empty(int(design.n.sum()), "not enough labels: no labelled item in the domain")
    estimate = float((design.weight * y_means).sum()) / total
    d = y - estimate * x
    _, s2 = _within(d, design)
    hidden = max(estimate, 1 - estimate)  # d of a domain member the labels did not show
    s2, borrowed = _collapsed(d, s2, design, None if union else (x > 0).astype(float), hidden)
    variance, df = _variance(s2, design)
    variance /= total**2
    members = int(np.ceil(x.sum()))
    df = min(df, max(members - 1, 1))
    # The domain's labelled share: its n* may gain the fpc over its labels, as a mean's does.
    fraction = members / max(float((design.size * x_means).sum()), members)
    interval = wilson_at(estimate, variance, df, members, domain=True, fraction=fraction)
    return _result(
        interval, variance, df, design, borrowed, thin=thin, domain=members, fraction=fraction
    )


def _empty(
    labels: int = 0, note: str = "not enough labels: none", thin: tuple[Thin, ...] = ()
) -> Stratified:
    nan = math.nan
    return Stratified(Interval(nan, nan, nan, note=note), nan, nan, nan, labels, 0, thin)
