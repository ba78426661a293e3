"""Confidence sequences against independent references and textbook coverage.

The references: each paper's formula recomputed here a second way (a plain loop over the
capital process, scipy quadrature of the normal mixture, scipy's beta-binomial pmf), fixed-n
intervals from scipy/statsmodels that a confidence sequence must contain, and simulated
time-uniform coverage. confseq 0.0.11 (a test-only reference the issue suggested) does not
build on Python 3.11 (its pinned pybind11 2.6.2 predates 3.11's frame API) and expectation
0.6.x needs Python 3.12, so neither is a dependency.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats
from statsmodels.stats.proportion import proportion_confint

from core.analysis.canary import sequences as cs


def brute_force_betting_set(x: np.ndarray, alpha: float, ms: np.ndarray) -> np.ndarray:
    """Waudby-Smith & Ramdas (2024) Theorem 3, term by term: K_n(m) < 1/alpha per m."""
    keep = []
    for m in ms:
        kp = kn = 1.0
        sum_x = sum_sq = 0.0
        for t, xi in enumerate(x, start=1):
            # their eq. (27): sigma2_{t-1} = (1/4 + sum_{i<t} (x_i - mu_i)^2) / t
            lam = math.sqrt(2 * math.log(2 / alpha) / ((0.25 + sum_sq) / t * t * math.log(1 + t)))
            kp *= 1 + min(lam, 0.5 / m) * (xi - m)
            kn *= 1 - min(lam, 0.5 / (1 - m)) * (xi - m)
            sum_x += xi
            sum_sq += (xi - (0.5 + sum_x) / (t + 1)) ** 2
        keep.append(0.5 * kp + 0.5 * kn < 1 / alpha)
    return np.array(keep)


def test_betting_cs_matches_the_capital_process_computed_term_by_term():
    rng = np.random.default_rng(3)
    x = rng.beta(2, 5, 100)
    fine = np.linspace(0.001, 0.999, 999)
    kept = fine[brute_force_betting_set(x, 0.05, fine)]
    got = cs.betting_cs(x, 0.05, bets="PrPl-EB").last()
    step = 2 * cs.WINDOW / (cs.GRID - 1)
    # the grid reading only widens the set, by at most two grid steps
    assert got.low <= kept.min() + 1e-9 and got.high >= kept.max() - 1e-9
    assert kept.min() - got.low <= 2 * step + 0.001
    assert got.high - kept.max() <= 2 * step + 0.001


def test_betting_cs_is_wider_than_the_fixed_n_clopper_pearson_interval_by_a_bounded_factor():
    rng = np.random.default_rng(4)
    x = rng.binomial(1, 0.85, 3000).astype(float)
    got = cs.betting_cs(x, 0.05).last()
    # statsmodels' exact fixed-n 95% interval: valid at one n only, so narrower; the betting CS
    # pays for every n at once (their Fig. 4: about two to three times at a few thousand)
    lo, hi = proportion_confint(int(x.sum()), len(x), 0.05, method="beta")
    assert 1.0 < (got.high - got.low) / (hi - lo) < 3.5


@pytest.mark.parametrize("p", [0.05, 0.5, 0.9])
def test_betting_cs_covers_uniformly_over_time(p):
    rng = np.random.default_rng(int(p * 100))
    misses = 0
    for _ in range(100):
        x = rng.binomial(1, p, 400).astype(float)
        seq = cs.betting_cs(x, 0.1, grid=120)
        misses += bool(np.any((seq.low > p) | (seq.high < p)))
    # alpha = 0.1 at every n at once; 100 runs: scipy binom.ppf(0.999, 100, 0.1) = 20
    assert misses <= 20


def test_normal_mixture_boundary_is_where_the_mixture_martingale_reaches_one_over_alpha():
    # Howard et al. (2021) eq. (14): the N(0, 1/rho) mixture of exp(l s - l^2 v / 2) equals
    # 1/alpha at s = the boundary; integrate the mixture with scipy to check.
    alpha, v_opt = 0.05, 1000.0
    la = math.log(1 / alpha)
    rho = v_opt / (2 * la + math.log(1 + 2 * la))
    for v in (10.0, 1000.0, 1e5):
        s = float(cs.normal_mixture_radius(np.array([v]), alpha, v_opt)[0])
        sd = 1 / math.sqrt(rho)

        def integrand(lam, s=s, v=v, sd=sd):
            return math.exp(lam * s - lam**2 * v / 2) * stats.norm.pdf(lam, 0, sd)

        top = s / v
        mixture, _ = integrate.quad(integrand, -20 * sd, top + 20 / math.sqrt(v + rho))
        assert mixture == pytest.approx(1 / alpha, rel=1e-4)


def test_asymptotic_cs_is_the_time_uniform_clt_formula_of_waudby_smith_et_al():
    # Theorem 2.2 form: mu +- sigma sqrt(2 (t rho^2 + 1) / (t^2 rho^2) log(sqrt(t rho^2 + 1) / a))
    # with rho^2 = (-2 log a + log(-2 log a + 1)) / t_opt (their eq. 2.9).
    rng = np.random.default_rng(5)
    x = rng.exponential(0.002, 5000)
    a, t_opt = 0.05, 1000
    seq = cs.asymptotic_cs(x, a, t_opt=t_opt)
    t = np.arange(1, 5001)
    r2 = (-2 * math.log(a) + math.log(-2 * math.log(a) + 1)) / t_opt
    sd = np.sqrt(np.cumsum(x**2) / t - (np.cumsum(x) / t) ** 2)
    radius = sd * np.sqrt(2 * (t * r2 + 1) / (t**2 * r2) * np.log(np.sqrt(t * r2 + 1) / a))
    np.testing.assert_allclose(seq.high - seq.estimate, radius, rtol=1e-9, atol=1e-15)


def test_asymptotic_cs_covers_a_skewed_cost_uniformly_over_time():
    rng = np.random.default_rng(6)
    misses = 0
    for _ in range(300):
        x = rng.lognormal(-6, 0.8, 2000)  # cost per request in dollars
        seq = cs.asymptotic_cs(x, 0.05, at=np.arange(50, 2001, 10))
        mean = math.exp(-6 + 0.8**2 / 2)
        misses += bool(np.any((seq.low > mean) | (seq.high < mean)))
    assert misses / 300 <= 0.07  # asymptotic: 5% in the limit, a little slack at t >= 50


def test_quantile_cs_contains_the_exact_fixed_n_order_statistic_interval():
    # Fixed n: [X_(l), X_(u)] covers the p-quantile with binomial(n, p) probability; the
    # sequence, valid at every n, must be at least as wide at n.
    rng = np.random.default_rng(7)
    n, p = 2000, 0.9
    x = rng.lognormal(6, 0.5, n)
    xs = np.sort(x)
    lo_rank = int(stats.binom.ppf(0.025, n, p))
    hi_rank = int(stats.binom.ppf(0.975, n, p)) + 1
    got = cs.quantile_cs(x, p, 0.05).last()
    assert got.low <= xs[lo_rank - 1] and got.high >= xs[hi_rank - 1]
    assert got.estimate == pytest.approx(np.quantile(x, p, method="inverted_cdf"))


@pytest.mark.parametrize("p", [0.5, 0.9])
def test_quantile_cs_covers_uniformly_over_time(p):
    rng = np.random.default_rng(8)
    truth = stats.lognorm.ppf(p, 0.5, scale=math.exp(6))
    misses = 0
    for _ in range(200):
        seq = cs.quantile_cs(rng.lognormal(6, 0.5, 1500), p, 0.05, at=np.arange(10, 1501, 15))
        misses += bool(np.any((seq.low > truth) | (seq.high < truth)))
    assert misses <= 19  # alpha 0.05 over 200 runs: binomial 99.9% upper bound


def test_srm_evalue_is_the_beta_binomial_over_binomial_likelihood_ratio():
    # Lindon & Malek (2022): the mixture's likelihood ratio; binomial coefficients cancel, so
    # it equals scipy's betabinom pmf over binom pmf.
    share, c = 0.1, cs.SRM_CONCENTRATION
    for xc, xk in [(0, 10), (12, 88), (150, 850), (40, 960)]:
        n = xc + xk
        ref = stats.betabinom.logpmf(xc, n, c * share, c * (1 - share)) - stats.binom.logpmf(
            xc, n, share
        )
        got = cs.srm_log_evalue(np.array([xc]), np.array([xk]), share)[0]
        assert got == pytest.approx(ref, rel=1e-9, abs=1e-9)


def test_srm_rejects_a_broken_split_and_rarely_a_sound_one():
    rng = np.random.default_rng(9)
    false = 0
    for _ in range(200):
        y = rng.random(3000) < 0.1
        log_e = cs.srm_log_evalue(np.cumsum(y), np.cumsum(~y), 0.1)
        false += bool(np.any(log_e >= math.log(20)))
    assert false <= 19
    y = rng.random(3000) < 0.13
    assert cs.share_cs(y, 0.05).last().low > 0.1


def test_difference_and_ratio_combine_two_arms_bounds():
    a = cs.asymptotic_cs(np.array([1.0, 2.0, 3.0, 4.0]), 0.025)
    b = cs.asymptotic_cs(np.array([1.0, 1.0, 2.0, 2.0]), 0.025)
    est, low, high = cs.difference(a, b)
    assert est[-1] == pytest.approx(2.5 - 1.5)
    assert low[-1] == pytest.approx(a.low[-1] - b.high[-1])
    assert high[-1] == pytest.approx(a.high[-1] - b.low[-1])
    r_est, r_low, r_high = cs.ratio(a, b)
    assert r_est[-1] == pytest.approx(2.5 / 1.5)
    assert r_low[-1] == pytest.approx(max(a.low[-1], 0) / b.high[-1])
    assert r_high[-1] == (a.high[-1] / b.low[-1] if b.low[-1] > 0 else math.inf)


def test_empty_arm_gives_an_empty_sequence_and_a_nan_last_interval():
    seq = cs.betting_cs(np.array([]), 0.05)
    assert len(seq.t) == 0 and math.isnan(seq.last().estimate)
    picked = cs.betting_cs(np.array([1.0, 0.0, 1.0]), 0.05).at_sizes(np.array([0, 2, 5]))
    assert math.isnan(picked.low[0]) and picked.t[1] == 2 and picked.t[2] == 3


def test_betting_cs_and_normal_mixture_agree_with_confseq():
    # confseq 0.0.11 (Waudby-Smith & Howard's reference code), run once by hand on this very
    # sample: it cannot be a pinned dependency (its build pins pybind11 2.6.2, which fails on
    # Python 3.11, and it uses np.float_, gone in numpy 2). Built with pybind11 2.13 and
    # np.float_ = np.float64, `betting_cs(x, alpha=0.05, breaks=1000)` (PrPl-EB) gave these at
    # t = 100, 1000, 2000 and `normal_mixture_bound(v, 0.05, 1000, 0.05, False)` these radii.
    x = np.random.default_rng(3).beta(2, 5, 2000)
    seq = cs.betting_cs(x, 0.05, bets="PrPl-EB")
    rows = [99, 999, 1999]
    # confseq reads m on a grid of 1/1000, ours on 0.5/399 moved out one step: 0.0025 apart
    np.testing.assert_allclose(seq.low[rows], [0.243, 0.268, 0.271], atol=0.0025)
    np.testing.assert_allclose(seq.high[rows], [0.347, 0.300, 0.295], atol=0.0025)
    # aGRAPA: confseq's lambda_aKelly(x, m, trunc_scale=0.5) in cumprod(1 + l (x - m)) < 20,
    # read on m = 0.001, 0.002, ..., 0.999
    agrapa = cs.betting_cs(x, 0.05, bets="aGRAPA")
    np.testing.assert_allclose(agrapa.low[rows], [0.247, 0.269, 0.272], atol=0.0025)
    np.testing.assert_allclose(agrapa.high[rows], [0.344, 0.300, 0.294], atol=0.0025)
    radii = cs.normal_mixture_radius(np.array([10.0, 1000.0, 1e5]), 0.05, 1000)
    np.testing.assert_allclose(radii, [28.72733015, 95.98173584, 1126.28978972], rtol=1e-8)
