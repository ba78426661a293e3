"""Anytime-valid confidence sequences: intervals that hold at every look at once.

A 95% confidence sequence (CS) covers the truth at all sample sizes simultaneously with
probability 95%, so a canary page may be refreshed hourly and stopped whenever a bound
crosses, with the false-alarm rate still held (a fixed-n interval re-read at 50 looks is
not: its error compounds). Every function takes observations in arrival order and returns a
``Sequence``: the running estimate and bounds at the requested sample sizes ``at`` (all of
1..n by default), and ``last()``, the interval at the final look.

- ``betting_cs``: mean of observations in [0, 1] (pass rates, error rates, flag rates).
- ``asymptotic_cs``: mean of unbounded observations (cost per request), and large n.
- ``quantile_cs``: a quantile (p50, p90 of TTFT and latency).
- ``difference``/``ratio``: two independent arms, each at alpha/2, combined.
- ``srm_evalue``/``share_cs``: the sample-ratio-mismatch test of the traffic split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import betaln

from core.types import Interval

GRID = 400  # betting CS: candidate means per pass (resolution about 0.1 pp in a 0.5 window)
WINDOW = 0.25  # half-width of the grid around the final mean; a set touching it extends to 0/1
OPT_N = 1000  # asymptotic CS: the sample size its boundary is tightest at (fixed in advance)
QUANTILE_LOOKS = 100  # quantile CS: looks evaluated when the caller names none
SRM_CONCENTRATION = 100.0  # Lindon & Malek's Dirichlet prior: concentration x configured share


Bets = Literal["aGRAPA", "PrPl-EB"]  # betting_cs's betting strategies


@dataclass(frozen=True, eq=False)
class Sequence:
    """Running (1 - alpha) confidence sequence: row i is the interval after ``t[i]`` samples.

    Bounds are NaN where there is no data yet; ``-inf``/``inf`` where the data cannot bound
    that side yet (a quantile's upper bound before enough samples).
    """

    t: np.ndarray
    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    alpha: float
    method: str

    def last(self) -> Interval:
        if len(self.t) == 0:
            return Interval(math.nan, math.nan, math.nan, note="no data")
        return Interval(float(self.estimate[-1]), float(self.low[-1]), float(self.high[-1]))

    def at_sizes(self, sizes: np.ndarray) -> Sequence:
        """The rows at ``sizes`` (each the last row with t <= size; NaN where none)."""
        sizes = np.asarray(sizes, dtype=int)
        idx = np.searchsorted(self.t, sizes, side="right") - 1
        ok = idx >= 0

        def pick(a: np.ndarray) -> np.ndarray:
            out = np.full(len(sizes), np.nan)
            out[ok] = a[idx[ok]]
            return out

        t = np.where(ok, self.t[np.maximum(idx, 0)] if len(self.t) else 0, 0)
        return Sequence(
            t, pick(self.estimate), pick(self.low), pick(self.high), self.alpha, self.method
        )


def _sizes(n: int, at: np.ndarray | None) -> np.ndarray:
    if at is None:
        return np.arange(1, n + 1)
    at = np.asarray(at, dtype=int)
    return at[(at >= 1) & (at <= n)]


def _empty(alpha: float, method: str) -> Sequence:
    e = np.array([], dtype=float)
    return Sequence(np.array([], dtype=int), e, e, e, alpha, method)


def _running_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """mu_{t-1}, sigma2_{t-1} with one pseudo-observation (1/2, 1/4): WSR (2024) eq. (27)."""
    t = np.arange(1, len(x) + 1)
    mu = (0.5 + np.cumsum(x)) / (t + 1)
    sigma2 = (0.25 + np.cumsum((x - mu) ** 2)) / (t + 1)
    return np.concatenate(([0.5], mu[:-1])), np.concatenate(([0.25], sigma2[:-1]))


def predictable_mix_bets(x: np.ndarray, alpha: float) -> np.ndarray:
    """PrPl-EB bets: lambda_t = sqrt(2 log(2/alpha) / (sigma2_{t-1} t log(1+t))).

    Waudby-Smith & Ramdas (2024), eq. (26)-(27): sigma2_{t-1} is the running variance with
    one pseudo-observation, from data before t (predictable).
    """
    t = np.arange(1, len(x) + 1)
    _, sigma2_prev = _running_moments(x)
    return np.sqrt(2 * math.log(2 / alpha) / (sigma2_prev * t * np.log1p(t)))


def _log_capital(x, m, alpha, bets, trunc, sizes) -> np.ndarray:
    """log K_t(m) at ``sizes`` for a block of candidate means m (a row vector)."""
    dev = x[:, None] - m
    if bets == "PrPl-EB":  # hedged: half on each side, each side's bet truncated by m
        lam = predictable_mix_bets(x, alpha)[:, None]
        lp = np.minimum(lam, trunc / np.maximum(m, 1e-12))
        ln = np.minimum(lam, trunc / np.maximum(1 - m, 1e-12))
        pos = np.cumsum(np.log1p(lp * dev), axis=0)[sizes - 1]
        neg = np.cumsum(np.log1p(-ln * dev), axis=0)[sizes - 1]
        return np.logaddexp(pos, neg) + math.log(0.5)
    # aGRAPA: the bet that would grow fastest were mu_{t-1} the mean, lambda =
    # (mu_{t-1} - m) / (sigma2_{t-1} + (mu_{t-1} - m)^2), clipped to [-c/(1-m), c/m]
    mu, sigma2 = (a[:, None] for a in _running_moments(x))
    lam = (mu - m) / (sigma2 + (mu - m) ** 2)
    lam = np.clip(lam, -trunc / np.maximum(1 - m, 1e-12), trunc / np.maximum(m, 1e-12))
    return np.cumsum(np.log1p(lam * dev), axis=0)[sizes - 1]


def betting_cs(
    x: np.ndarray,
    alpha: float = 0.05,
    at: np.ndarray | None = None,
    grid: int = GRID,
    trunc: float = 0.5,
    bets: Bets = "aGRAPA",
) -> Sequence:
    """CS for the mean of observations in [0, 1] by betting: {m : K_t(m) < 1/alpha}.

    Waudby-Smith & Ramdas, "Estimating means of bounded random variables by betting", JRSS-B
    86(1), 2024. For each candidate mean m the capital K_t(m) = prod(1 + lambda_i(m)(x_i - m))
    of predictable bets is a nonnegative martingale when m is the mean, so by Ville's
    inequality the CS holds at every t at once. Bets:
    - "aGRAPA" (default; their Section 5.3, adaptive GRAPA): the growth-rate-optimal bet
      at the running mean and variance, per m, truncated at c/m and c/(1-m). Tightest of
      their CSs in their Fig. 4 and quick to follow a change of rate (a burst of flags);
    - "PrPl-EB" (their Theorem 3, Section 5.1): the hedged capital process
      1/2 prod(1 + l+_i (x_i - m)) + 1/2 prod(1 - l-_i (x_i - m)) with predictable plug-in
      bets l = min(lambda_i, c/m) and min(lambda_i, c/(1-m)).
    m is read on a grid; each bound moves out to the next grid point (or 0/1), so the grid
    only widens the set.
    """
    x = np.asarray(x, dtype=float)
    if np.any((x < 0) | (x > 1)):
        raise ValueError(f"betting_cs: observations must lie in [0, 1], got {x.min()}..{x.max()}")
    sizes = _sizes(len(x), at)
    method = f"betting CS (Waudby-Smith & Ramdas 2024, {bets})"
    if len(sizes) == 0:
        return _empty(alpha, method)
    x = x[: sizes[-1]]
    centre = float(x.mean())
    lo_edge, hi_edge = max(0.0, centre - WINDOW), min(1.0, centre + WINDOW)
    ms = np.linspace(lo_edge, hi_edge, grid)
    accept = np.empty((len(sizes), grid), dtype=bool)
    for j0 in range(0, grid, 50):  # blocks of candidates keep memory at n x 50
        m = ms[j0 : j0 + 50][None, :]
        with np.errstate(divide="ignore"):
            log_k = _log_capital(x, m, alpha, bets, trunc, sizes)
        accept[:, j0 : j0 + 50] = log_k < math.log(1 / alpha)
    low, high = _grid_hull(accept, ms, lo_edge > 0, hi_edge < 1)
    est = np.cumsum(x)[sizes - 1] / sizes
    return Sequence(sizes, est, low, high, alpha, method)


def _grid_hull(
    accept: np.ndarray, ms: np.ndarray, open_low: bool, open_high: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Hull of the accepted grid points, each side moved out one grid step (to 0/1 at edges)."""
    g = len(ms)
    anyok = accept.any(axis=1)
    first = np.argmax(accept, axis=1)
    last = g - 1 - np.argmax(accept[:, ::-1], axis=1)
    low = np.where(first > 0, ms[np.maximum(first - 1, 0)], 0.0 if open_low else ms[0])
    low = np.where((first == 0) & open_low, 0.0, low)
    high = np.where(last < g - 1, ms[np.minimum(last + 1, g - 1)], 1.0 if open_high else ms[-1])
    # nothing accepted on the grid: the set is narrower than a step; bound it by its neighbours
    low = np.where(anyok, low, 0.0)
    high = np.where(anyok, high, 1.0)
    return low, high


def normal_mixture_radius(v: np.ndarray, alpha: float, v_opt: float = OPT_N) -> np.ndarray:
    """Two-sided normal-mixture boundary sqrt((v + rho) log((v + rho) / (rho alpha^2))).

    Howard, Ramdas, McAuliffe & Sekhon, "Time-uniform, nonparametric, nonasymptotic confidence
    sequences", Ann. Statist. 49(2), 2021, eq. (14); rho = v_opt / (2 log(1/alpha) +
    log(1 + 2 log(1/alpha))) makes it tightest at v = v_opt.
    """
    la = math.log(1 / alpha)
    rho = v_opt / (2 * la + math.log(1 + 2 * la))
    v = np.asarray(v, dtype=float)
    return np.sqrt((v + rho) * np.log((v + rho) / (rho * alpha**2)))


def asymptotic_cs(
    x: np.ndarray, alpha: float = 0.05, at: np.ndarray | None = None, t_opt: int = OPT_N
) -> Sequence:
    """Asymptotic CS for a mean: mu_t +- sigma_t sqrt(2(t r+1)/(t^2 r) log(sqrt(t r+1)/alpha)).

    Waudby-Smith, Arnold, Wu, Howard & Ramdas, "Time-uniform central limit theory and
    asymptotic confidence sequences", Ann. Statist. 2024, Theorem 2.2 (the Robbins normal
    mixture of Howard et al. 2021 applied to the running mean with the running variance).
    Valid as t grows for any distribution with finite variance (cost per request).
    """
    x = np.asarray(x, dtype=float)
    sizes = _sizes(len(x), at)
    method = "asymptotic CS (Waudby-Smith et al. 2024, normal mixture)"
    if len(sizes) == 0:
        return _empty(alpha, method)
    sizes = np.unique(sizes)  # reduceat below needs strictly increasing looks
    x = x[: sizes[-1]]
    s = sizes.astype(float)
    # running sums at the looks only: one pass per moment, no array as long as x kept
    starts = np.concatenate(([0], sizes[:-1]))
    mean = np.cumsum(np.add.reduceat(x, starts)) / s
    var = np.maximum(np.cumsum(np.add.reduceat(x * x, starts)) / s - mean**2, 0.0)
    # in units of sigma^2, v = t; the radius of the sum over t is the radius of the mean
    radius = np.sqrt(var) * normal_mixture_radius(s, alpha, float(t_opt)) / s
    return Sequence(sizes, mean, mean - radius, mean + radius, alpha, method)


def bernoulli_variance_proxy(p: float) -> float:
    """Sub-Gaussian variance of a centred Bernoulli(p): (1-2p)/(2 log((1-p)/p)) (Kearns-Saul)."""
    if abs(p - 0.5) < 1e-9:
        return 0.25
    return (1 - 2 * p) / (2 * math.log((1 - p) / p))


def quantile_cs(
    x: np.ndarray, p: float, alpha: float = 0.05, at: np.ndarray | None = None
) -> Sequence:
    """CS for the p-quantile: [X_(k_lo), X_(k_hi)] of the first t order statistics.

    Howard & Ramdas, "Sequential estimation of quantiles with applications to A/B-testing and
    best-arm identification", Bernoulli 28(3), 2022, Theorem 1: S_t = #{X_i <= q_p} - t p is a
    sum of centred Bernoulli(p), so a uniform boundary g_t on |S_t| gives the CS
    {q : |#{X_i <= q} - t p| < g_t}. Here g_t is the two-sided normal mixture with the
    Bernoulli's sub-Gaussian variance t sigma_p^2 (valid, closed form; their beta-binomial
    mixture is a little tighter). Outside the data the bound is -inf/inf.
    """
    return quantile_css(x, (p,), alpha, at)[0]


def quantile_css(
    x: np.ndarray, ps: tuple[float, ...], alpha: float = 0.05, at: np.ndarray | None = None
) -> list[Sequence]:
    """``quantile_cs`` for several p at once: one partial sort per look serves them all (at
    ten million requests each partial sort is a copy and a pass of the data)."""
    x = np.asarray(x, dtype=float)
    sizes = _sizes(len(x), at)
    if at is None and len(sizes) > QUANTILE_LOOKS:
        sizes = np.unique(np.linspace(1, len(x), QUANTILE_LOOKS).astype(int))
    methods = [f"quantile CS (Howard & Ramdas 2022, p={p:g})" for p in ps]
    if len(sizes) == 0:
        return [_empty(alpha, m) for m in methods]
    s = sizes.astype(float)
    ks = []
    for p in ps:
        g = normal_mixture_radius(s * bernoulli_variance_proxy(p), alpha, OPT_N * 0.25)
        k_lo = np.floor(s * p - g).astype(int) + 1  # smallest rank with count > tp - g
        k_hi = np.ceil(s * p + g).astype(int)  # rank just past the largest count < tp + g
        ks.append((k_lo, k_hi))
    out = [tuple(np.empty(len(sizes)) for _ in range(3)) for _ in ps]
    for i, n in enumerate(sizes):
        ranks = {min(n - 1, max(0, math.ceil(n * p) - 1)) for p in ps}  # inverted-CDF quantiles
        ranks |= {r - 1 for k_lo, k_hi in ks for r in (k_lo[i], k_hi[i]) if 1 <= r <= n}
        xs = np.partition(x[:n], sorted(ranks))  # a few order statistics, not a sort
        for p, (k_lo, k_hi), (est, low, high) in zip(ps, ks, out, strict=True):
            est[i] = xs[min(n - 1, max(0, math.ceil(n * p) - 1))]
            low[i] = xs[k_lo[i] - 1] if k_lo[i] >= 1 else -np.inf
            high[i] = xs[k_hi[i] - 1] if k_hi[i] <= n else np.inf
    return [
        Sequence(sizes, est, low, high, alpha, m)
        for (est, low, high), m in zip(out, methods, strict=True)
    ]


def difference(a: Sequence, b: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(estimate, low, high) of a - b from two CSs read at the same looks.

    Each arm's CS holds at all its sample sizes with probability 1 - alpha_arm, so by the union
    bound both hold at every look (any pair of sizes) with 1 - alpha_a - alpha_b; a - b then
    lies in [low_a - high_b, high_a - low_b].
    """
    return a.estimate - b.estimate, a.low - b.high, a.high - b.low


def ratio(a: Sequence, b: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(estimate, low, high) of a / b for non-negative means: [low_a / high_b, high_a / low_b]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        est = a.estimate / b.estimate
        low = np.maximum(a.low, 0) / b.high
        high = np.where(b.low > 0, a.high / np.maximum(b.low, 1e-300), np.inf)
    return est, low, high


def srm_log_evalue(n_canary: np.ndarray, n_control: np.ndarray, share: float) -> np.ndarray:
    """Log e-value of 'the canary share is ``share``' after each arrival (two arms).

    Lindon & Malek, "Anytime-valid inference for multinomial count data", NeurIPS 2022: the
    Dirichlet-multinomial mixture over the null's multinomial, here a beta-binomial,
    E_t = B(a + x_c, b + x_k) / B(a, b) / (share^x_c (1 - share)^x_k), with a = c share,
    b = c (1 - share), c = ``SRM_CONCENTRATION``. A nonnegative martingale under the null:
    rejecting when E_t >= 1/alpha holds the false-alarm rate at alpha at every look.
    """
    xc = np.asarray(n_canary, dtype=float)
    xk = np.asarray(n_control, dtype=float)
    a, b = SRM_CONCENTRATION * share, SRM_CONCENTRATION * (1 - share)
    return betaln(a + xc, b + xk) - betaln(a, b) - xc * math.log(share) - xk * math.log1p(-share)


def share_cs(
    is_canary: np.ndarray, alpha: float = 0.05, at: np.ndarray | None = None, grid: int = 999
) -> Sequence:
    """CS for the canary share: the shares the SRM e-value does not reject (grid in (0, 1))."""
    y = np.asarray(is_canary, dtype=bool)
    sizes = _sizes(len(y), at)
    method = "SRM e-value (Lindon & Malek 2022, Dirichlet-multinomial mixture)"
    if len(sizes) == 0:
        return _empty(alpha, method)
    xc = np.cumsum(y)[sizes - 1].astype(float)
    xk = sizes - xc
    shares = np.linspace(0, 1, grid + 2)[1:-1]
    log_e = np.stack([srm_log_evalue(xc, xk, s) for s in shares], axis=1)
    accept = log_e < math.log(1 / alpha)
    low, high = _grid_hull(accept, shares, True, True)
    return Sequence(sizes, xc / sizes, low, high, alpha, method)
