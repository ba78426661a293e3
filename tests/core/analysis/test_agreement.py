"""Agreement statistics against published values and reference implementations."""

import math

import krippendorff
import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

from core.analysis import agreement

NA = math.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the 4 observers x 12
# units example with missing values (rows are observers).
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
        [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
    ]
)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        # Wikipedia, "Cohen's kappa", worked example: 20/5/10/15 -> 0.4
        ([[20, 5], [10, 15]], 0.4),
        # Artstein & Poesio (2008), "Inter-coder agreement for computational linguistics", Table 1
        ([[20, 20], [10, 50]], 0.348),
    ],
)
def test_cohen_kappa_published(table, expected):
    assert agreement.kappa_from_table(np.array(table)) == pytest.approx(expected, abs=5e-4)


@pytest.mark.parametrize(
    ("weighting", "expected"),
    [
        # scikit-learn, sklearn/metrics/tests/test_classification.py::test_cohen_kappa
        ("none", 0.9315),
        ("linear", 0.9412),
        ("quadratic", 0.9541),
    ],
)
def test_weighted_kappa_published(weighting, expected):
    y1 = [0] * 46 + [1] * 44 + [2] * 10
    y2 = [0] * 50 + [1] * 40 + [2] * 10
    assert agreement.cohen_kappa(y1, y2, weighting=weighting) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        # Krippendorff (2011), same data: nominal .743, ordinal .815, interval .849
        ("nominal", 0.743),
        ("ordinal", 0.815),
        ("interval", 0.849),
    ],
)
def test_krippendorff_alpha_published(level, expected):
    alpha = agreement.krippendorff_alpha(KRIPPENDORFF_2011.T, level)
    assert alpha == pytest.approx(expected, abs=5e-4)


def test_gwet_ac1_published():
    # Gwet (2014), Handbook of Inter-Rater Reliability (irrCAC): Krippendorff's data read as
    # units x raters -> 0.77544; the 3x3 two-rater table -> 0.84933.
    units = KRIPPENDORFF_2011.T
    assert agreement.gwet_ac1(units, [1, 2, 3, 4, 5]) == pytest.approx(0.77544, abs=5e-5)
    table = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    assert agreement.ac1_from_table(table) == pytest.approx(0.84933, abs=5e-5)


def test_fleiss_kappa_published():
    # Wikipedia, "Fleiss' kappa", 10 subjects x 14 raters x 5 categories -> 0.210
    counts = np.array(
        [
            [0, 0, 0, 0, 14],
            [0, 2, 6, 4, 2],
            [0, 0, 3, 5, 6],
            [0, 3, 9, 2, 0],
            [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0],
            [3, 2, 6, 3, 0],
            [2, 5, 3, 2, 2],
            [6, 5, 2, 1, 0],
            [0, 2, 2, 3, 7],
        ]
    )
    assert agreement.fleiss_kappa(counts) == pytest.approx(0.210, abs=5e-4)


@pytest.mark.parametrize("seed", range(5))
def test_matches_reference_implementations_on_random_data(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 6, 200)
    b = np.clip(a + rng.integers(-1, 2, 200), 1, 5)
    for weighting, name in (("none", None), ("linear", "linear"), ("quadratic", "quadratic")):
        assert agreement.cohen_kappa(a, b, weighting=weighting) == pytest.approx(
            cohen_kappa_score(a, b, weights=name), abs=1e-12
        )
    ratings = rng.integers(1, 5, (40, 4)).astype(float)
    ratings[rng.random((40, 4)) < 0.2] = np.nan
    for level in ("nominal", "ordinal", "interval"):
        assert agreement.krippendorff_alpha(ratings, level) == pytest.approx(
            krippendorff.alpha(reliability_data=ratings.T, level_of_measurement=level), abs=1e-9
        )
    counts = rng.multinomial(6, [0.2, 0.3, 0.5], size=30)
    assert agreement.fleiss_kappa(counts) == pytest.approx(sm_fleiss(counts), abs=1e-12)
    x, y = rng.normal(size=50), rng.integers(1, 6, 50)
    assert agreement.spearman(x, y) == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)


def test_kappa_is_nan_when_labels_are_one_class():
    assert math.isnan(agreement.cohen_kappa([1, 1, 1], [1, 1, 1]))


def test_wilson_interval_published():
    # Wilson (1927); Newcombe (1998) Table 1, example 81/263: 0.2553 to 0.3662
    interval = agreement.wilson(81, 263)
    assert (interval.low, interval.high) == (
        pytest.approx(0.2553, abs=1e-4),
        pytest.approx(0.3662, abs=1e-4),
    )


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(1)
    values = rng.random(300) < 0.3
    units = np.arange(300)
    strata = np.repeat([0, 1, 2], 100)

    def mean(rows):
        return float(values[rows].mean())

    first = agreement.bootstrap(mean, units, strata, resamples=300, seed=5)
    again = agreement.bootstrap(mean, units, strata, resamples=300, seed=5)
    assert first == again and first.low < first.estimate < first.high


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_vectorised_alpha_equals_the_direct_one(level):
    rng = np.random.default_rng(3)
    ratings = rng.integers(1, 6, (60, 3)).astype(float)
    ratings[rng.random((60, 3)) < 0.15] = np.nan
    values = np.unique(ratings[~np.isnan(ratings)])
    cells = agreement.coincidence_cells(ratings, values)
    vectorised = agreement.alpha_of_tables(values, level)(cells.sum(axis=0)[None, :])[0]
    assert vectorised == pytest.approx(agreement.krippendorff_alpha(ratings, level), abs=1e-12)
    # Krippendorff (2011) data, through the vectorised path: nominal 0.743
    data = KRIPPENDORFF_2011.T
    vals = np.unique(data[~np.isnan(data)])
    total = agreement.coincidence_cells(data, vals).sum(axis=0)[None, :]
    assert agreement.alpha_of_tables(vals, "nominal")(total)[0] == pytest.approx(0.743, abs=5e-4)


def test_vectorised_table_statistics_equal_the_direct_ones():
    rng = np.random.default_rng(4)
    a, b = rng.integers(0, 2, 300), rng.integers(0, 2, 300)
    w = rng.random(300) + 0.5
    cells = agreement.cells_of(a, b, 2, w)
    table = cells.sum(axis=0)
    assert agreement.kappa_of_tables(2)(table[None, :])[0] == pytest.approx(
        agreement.kappa_from_table(table.reshape(2, 2)), abs=1e-12
    )
    assert agreement.ac1_of_tables(table[None, :])[0] == pytest.approx(
        agreement.ac1_from_table(table.reshape(2, 2)), abs=1e-12
    )
    five_a, five_b = rng.integers(0, 5, 300), rng.integers(0, 5, 300)
    five = agreement.cells_of(five_a, five_b, 5).sum(axis=0)[None, :]
    assert agreement.kappa_of_tables(5, "quadratic")(five)[0] == pytest.approx(
        cohen_kappa_score(five_a, five_b, weights="quadratic"), abs=1e-12
    )


@pytest.mark.slow
def test_table_bootstrap_agrees_with_the_generic_one():
    # Same resampling design (units within strata), so the two intervals come close.
    rng = np.random.default_rng(6)
    a, b = rng.random(400) < 0.7, rng.random(400) < 0.6
    b = np.where(rng.random(400) < 0.6, a, b)
    units, strata = np.arange(400), np.repeat([0, 1], 200)
    cells = agreement.cells_of(a.astype(int), b.astype(int), 2)
    fast = agreement.bootstrap_tables(cells, units, strata, agreement.kappa_of_tables(2), 2000, 1)
    slow = agreement.bootstrap(
        lambda r: agreement.cohen_kappa(a[r], b[r], [True, False]), units, strata, 2000, 1
    )
    assert fast.estimate == pytest.approx(slow.estimate, abs=1e-12)
    assert fast.low == pytest.approx(slow.low, abs=0.02)
    assert fast.high == pytest.approx(slow.high, abs=0.02)
