"""Paired statistics (core.analysis.paired) against published values and reference
implementations: McNemar, the paired bootstrap, non-inferiority, Fieller (PPI++ is in
test_stratified_ppi)."""

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from core.analysis.paired import (
    EXACT_LIMIT,
    Bootstrap,
    fieller_lower,
    mcnemar,
    non_inferiority,
    resampled_mean,
    resampled_quantiles,
)


def test_mcnemar_published_values():
    # Wikipedia, "McNemar's test" (example: b = 121, c = 59): chi-squared 21.35.
    assert mcnemar(121, 59).chi2 == pytest.approx(21.36, abs=0.005)
    # Agresti, "An Introduction to Categorical Data Analysis", presidential approval
    # ratings (b = 86, c = 150): chi-squared 17.36.
    assert mcnemar(86, 150).chi2 == pytest.approx(17.36, abs=0.005)


def test_mcnemar_equals_statsmodels_on_random_tables():
    rng = np.random.default_rng(3)
    for _ in range(50):
        table = rng.integers(0, 60, size=(2, 2))
        if table[0, 1] + table[1, 0] == 0:
            continue
        ours = mcnemar(table[0, 1], table[1, 0])
        chi = sm_mcnemar(table, exact=False, correction=False)
        exact = sm_mcnemar(table, exact=True)
        assert ours.chi2 == pytest.approx(chi.statistic)
        assert ours.p_value == pytest.approx(chi.pvalue)
        assert ours.exact_p_value == pytest.approx(exact.pvalue)


def paired_sample(n, seed, source_rate=0.85, target_rate=0.85, rho=0.6):
    """Correlated pass/fail of two models on the same n items."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(size=n)
    z_s = rho * shared + math.sqrt(1 - rho**2) * rng.normal(size=n)
    z_t = rho * shared + math.sqrt(1 - rho**2) * rng.normal(size=n)
    return (
        (stats.norm.cdf(z_t) < target_rate).astype(float),
        (stats.norm.cdf(z_s) < source_rate).astype(float),
    )


def test_paired_interval_of_a_difference_matches_scipy_bootstrap():
    target, source = paired_sample(800, 1, target_rate=0.82)
    ours = Bootstrap(800, 4000, seed=1).bounds(resampled_mean(target - source), 0.0)
    ref = stats.bootstrap(
        (target, source),
        lambda t, s: np.mean(t - s),
        paired=True,
        n_resamples=4000,
        method="percentile",
        random_state=np.random.default_rng(2),
    ).confidence_interval
    # Two independent bootstraps of 4,000 resamples: the bounds agree to Monte Carlo error.
    assert ours.low == pytest.approx(ref.low, abs=0.004)
    assert ours.high == pytest.approx(ref.high, abs=0.004)


@pytest.mark.slow
def test_paired_interval_of_a_percentile_increase_matches_scipy_bootstrap():
    rng = np.random.default_rng(5)
    source = rng.lognormal(np.log(600), 0.3, 600)
    target = source * rng.lognormal(0.1, 0.2, 600)
    stat = resampled_quantiles(target, (0.9,))
    base = resampled_quantiles(source, (0.9,))
    ours = Bootstrap(600, 4000, seed=5).bounds(lambda i, c: stat(i, c)[0] - base(i, c)[0], 0.0)
    ref = stats.bootstrap(
        (target, source),
        lambda t, s: np.quantile(t, 0.9) - np.quantile(s, 0.9),
        paired=True,
        n_resamples=4000,
        method="percentile",
        random_state=np.random.default_rng(6),
    ).confidence_interval
    width = ref.high - ref.low
    assert ours.low == pytest.approx(ref.low, abs=0.06 * width)
    assert ours.high == pytest.approx(ref.high, abs=0.06 * width)


def test_resampled_quantiles_equal_numpy_on_the_written_out_resample():
    rng = np.random.default_rng(7)
    values = np.round(rng.lognormal(6, 0.5, 300), 1)
    values[::37] = np.nan  # failed calls carry no latency
    counts = rng.multinomial(300, np.full(300, 1 / 300), size=20)
    got = resampled_quantiles(values, (0.5, 0.9, 0.99))(np.arange(300), counts)
    for r in range(20):
        written = np.repeat(values, counts[r])
        written = written[np.isfinite(written)]
        assert got[:, r] == pytest.approx(np.quantile(written, [0.5, 0.9, 0.99]))


def test_non_inferiority_decision_equals_one_sided_t_test():
    margin = 0.03
    for seed in range(40):
        target, source = paired_sample(400, seed, target_rate=0.80 + seed / 400)
        ours = non_inferiority(target, source, margin)
        d = target - (1 - margin) * source
        ref = stats.ttest_1samp(d, 0.0, alternative="greater").pvalue
        assert ours.p_value == pytest.approx(ref)
        assert ours.passes == (ref < 0.05)
        # The Fieller bound clears 1 - margin exactly when the test rejects.
        assert (ours.ratio_lower >= 1 - margin) == ours.passes


def test_fieller_bound_is_where_the_t_test_turns():
    target, source = paired_sample(500, 11, target_rate=0.86)
    bound = fieller_lower(target, source)
    at = stats.ttest_1samp(target - bound * source, 0.0, alternative="greater").pvalue
    assert at == pytest.approx(0.05, abs=1e-9)


def simulated_pass_rate(ratio: float, sims: int, n: int = 2000, margin: float = 0.03) -> float:
    source_rate = 0.85
    passes = 0
    for seed in range(sims):
        target, source = paired_sample(n, 10_000 + seed, source_rate, source_rate * ratio)
        passes += non_inferiority(target, source, margin).passes
    return passes / sims


def test_non_inferiority_rarely_passes_a_worse_target_and_usually_passes_an_equal_one():
    # 2,000 paired items, source pass rate 85%, margin 3%, 1,000 simulated migrations each.
    # Measured: a target 4.5% worse (ratio 0.955) passed 0.1% of the time; one exactly at
    # the margin (0.97), 4.8%; an equal target (1.00), 81.1% (the power).
    assert simulated_pass_rate(0.955, 1000) <= 0.05
    assert simulated_pass_rate(0.97, 1000) <= 0.06
    assert simulated_pass_rate(1.00, 1000) >= 0.75


def test_bag_of_little_bootstraps_agrees_with_theory_at_large_n():
    n = EXACT_LIMIT * 4
    target, source = paired_sample(n, 4, target_rate=0.84)
    diff = target - source
    bounds = Bootstrap(n, 1000, seed=4).bounds(resampled_mean(diff), diff.mean())
    half = 1.96 * diff.std(ddof=1) / math.sqrt(n)  # the CLT interval, exact enough here
    assert bounds.low == pytest.approx(diff.mean() - half, abs=0.1 * half)
    assert bounds.high == pytest.approx(diff.mean() + half, abs=0.1 * half)
    rng = np.random.default_rng(9)
    latency = rng.lognormal(6, 0.4, n)
    q = Bootstrap(n, 1000, seed=9).bounds(
        lambda i, c: resampled_quantiles(latency, (0.9,))(i, c)[0], np.quantile(latency, 0.9)
    )
    true_p90 = math.exp(6 + 0.4 * stats.norm.ppf(0.9))
    assert q.low < true_p90 < q.high and (q.high - q.low) < 0.02 * true_p90
