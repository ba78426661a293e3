"""The hand-written kernels kept for the vectorised bootstraps (core.analysis.tables and
agreement's coincidence and alpha kernels) against the libraries on random data: 50 random
tables or rating matrices each. Where agreement calls a library as it stands, the test checks
the call (a published value elsewhere in test_agreement.py)."""

import math

import krippendorff
import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score, f1_score
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.proportion import proportion_confint

from core.analysis import agreement, paired, tables

CASES = 50


def random_pairs(rng, k: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two raters' categories 0..k-1 that agree more than by chance."""
    a = rng.integers(0, k, n)
    b = np.where(rng.random(n) < 0.6, a, rng.integers(0, k, n))
    return a, b


@pytest.mark.parametrize("weighting", ["none", "linear", "quadratic"])
def test_kappa_kernel_equals_sklearn_on_random_tables(weighting):
    rng = np.random.default_rng(101)
    name = None if weighting == "none" else weighting
    for _ in range(CASES):
        k = int(rng.integers(2, 6))
        a, b = random_pairs(rng, k, int(rng.integers(20, 200)))
        w = rng.random(len(a)) + 0.2
        table = agreement.cells_of(a, b, k, w).sum(axis=0)[None, :]
        expected = cohen_kappa_score(a, b, labels=list(range(k)), weights=name, sample_weight=w)
        assert tables.kappa_of_tables(k, weighting)(table)[0] == pytest.approx(expected, abs=1e-10)


def test_kappa_variance_equals_statsmodels_on_random_tables():
    # statsmodels' var_kappa is the Fleiss, Cohen & Everitt (1969) large-sample variance.
    rng = np.random.default_rng(102)
    for _ in range(CASES):
        k = int(rng.integers(2, 5))
        a, b = random_pairs(rng, k, int(rng.integers(30, 300)))
        table = agreement.confusion(a, b, list(range(k)))
        expected = sm_cohens_kappa(table).var_kappa * table.sum()
        assert agreement.kappa_variance(table) == pytest.approx(expected, rel=1e-9)


def test_ac1_kernel_equals_the_many_rater_formula_on_random_tables():
    # Two raters without missing ratings: Gwet's many-rater AC1 (agreement.gwet_ac1, held to
    # irrCAC's published 0.77544 in test_agreement) must give the table kernel's value.
    rng = np.random.default_rng(103)
    for _ in range(CASES):
        k = int(rng.integers(2, 6))
        a, b = random_pairs(rng, k, int(rng.integers(20, 200)))
        table = agreement.cells_of(a, b, k).sum(axis=0)[None, :]
        ratings = np.stack([a, b], axis=1).astype(float)
        assert tables.ac1_of_tables(table)[0] == pytest.approx(
            agreement.gwet_ac1(ratings, list(range(k))), abs=1e-12
        )


def test_ac1_kernel_on_gwets_published_table():
    # Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed., and irrCAC's documented
    # example (cont3x3abstractors): AC1 = 0.84933.
    table = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]], dtype=float).reshape(1, 9)
    assert tables.ac1_of_tables(table)[0] == pytest.approx(0.84933, abs=5e-5)


def test_f1_kernel_equals_sklearn_on_random_tables():
    rng = np.random.default_rng(104)
    for _ in range(CASES):
        judge, sme = random_pairs(rng, 2, int(rng.integers(20, 200)))
        w = rng.random(len(judge)) + 0.2
        table = agreement.cells_of(judge, sme, 2, w).sum(axis=0)[None, :]
        # Rows: the judge (predicted), class 0 the positive one.
        expected = f1_score(sme, judge, pos_label=0, sample_weight=w)
        assert tables.f1_of_tables(table)[0] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_kernel_equals_krippendorff_on_random_matrices(level):
    rng = np.random.default_rng(105)
    for _ in range(CASES):
        units, raters = int(rng.integers(10, 60)), int(rng.integers(2, 5))
        base = rng.integers(1, 6, units)
        ratings = np.clip(base[:, None] + rng.integers(-1, 2, (units, raters)), 1, 5)
        ratings = ratings.astype(float)
        ratings[rng.random((units, raters)) < 0.2] = np.nan
        values = np.unique(ratings[~np.isnan(ratings)])
        cells = agreement.coincidence_cells(ratings, values)
        ours = agreement.alpha_of_tables(values, level)(cells.sum(axis=0)[None, :])[0]
        expected = krippendorff.alpha(reliability_data=ratings.T, level_of_measurement=level)
        assert ours == pytest.approx(expected, abs=1e-9)
        assert agreement.krippendorff_alpha(ratings, level) == pytest.approx(expected, abs=1e-12)


def test_wilson_is_statsmodels_proportion_confint():
    rng = np.random.default_rng(106)
    for _ in range(CASES):
        n = int(rng.integers(1, 500))
        x = int(rng.integers(0, n + 1))
        low, high = proportion_confint(x, n, alpha=0.05, method="wilson")
        interval = agreement.wilson(x, n)
        assert (interval.low, interval.high) == (pytest.approx(low), pytest.approx(high))


def test_spearman_is_scipy():
    rng = np.random.default_rng(107)
    for _ in range(CASES):
        x, y = rng.normal(size=40), rng.integers(1, 6, 40)
        assert agreement.spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic)


def test_mcnemar_is_statsmodels():
    rng = np.random.default_rng(108)
    for _ in range(CASES):
        b, c = (int(v) for v in rng.integers(0, 60, 2))
        table = [[10, b], [c, 10]]
        ours = paired.mcnemar(b, c)
        if b + c == 0:
            assert (ours.chi2, ours.p_value, ours.exact_p_value) == (0.0, 1.0, 1.0)
            continue
        chi = sm_mcnemar(table, exact=False, correction=False)
        assert ours.chi2 == pytest.approx(chi.statistic)
        assert ours.p_value == pytest.approx(chi.pvalue)
        assert ours.exact_p_value == pytest.approx(sm_mcnemar(table, exact=True).pvalue)


def test_jackknife_tables_leave_each_unit_out():
    rng = np.random.default_rng(109)
    a, b = random_pairs(rng, 2, 60)
    units = rng.integers(0, 25, 60)  # several pairs per unit
    cells = agreement.cells_of(a, b, 2)
    jack = tables.jackknife_tables(cells, units)
    for row, unit in zip(jack, dict.fromkeys(units), strict=True):
        assert row == pytest.approx(cells[units != unit].sum(axis=0))


def test_bca_interval_matches_scipy_on_a_skewed_mean():
    # Efron's BCa, ours from given draws and jackknife values, against scipy.stats.bootstrap's
    # BCa on the same data: both Monte Carlo, so they agree to about a hundredth.
    rng = np.random.default_rng(110)
    data = rng.exponential(size=80)
    draws = rng.choice(data, (20000, len(data))).mean(axis=1)
    jackknife = (data.sum() - data) / (len(data) - 1)
    ours = tables.bca_interval(float(data.mean()), draws, jackknife, 0.95)
    reference = stats.bootstrap(
        (data,), np.mean, method="BCa", n_resamples=20000, random_state=1
    ).confidence_interval
    assert ours.low == pytest.approx(reference.low, abs=0.02)
    assert ours.high == pytest.approx(reference.high, abs=0.02)
    # And it is not the percentile interval: BCa shifts a skewed mean's interval right.
    assert ours.high > np.percentile(draws, 97.5)
    assert not math.isnan(ours.low)
