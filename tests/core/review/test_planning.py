"""Sample-size planning for the SME pass rate (Cochran, Neyman allocation) and for κ (the
Fleiss-Cohen-Everitt variance through the strata)."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from core.errors import InputError
from core.review import plan_text, planning
from core.review.planning import Priors, Stratum, Targets
from core.types import PASS_SCORE

Z = NormalDist().inv_cdf


def table(rate1: float, rate2: float, kappa: float) -> np.ndarray:
    pe = rate1 * rate2 + (1 - rate1) * (1 - rate2)
    po = kappa * (1 - pe) + pe
    p11 = (po - 1 + rate1 + rate2) / 2
    return np.array([[p11, rate1 - p11], [rate2 - p11, po - p11]])


@pytest.mark.parametrize(
    "counts",
    [
        [[30, 10], [5, 55]],
        [[88, 14], [10, 40]],
        # Three categories: the variance is Fleiss, Cohen & Everitt's for any k.
        [[44, 7, 9], [5, 20, 5], [1, 3, 6]],
    ],
)
def test_fce_variance_is_statsmodels_asymptotic_variance_of_kappa(counts):
    counts = np.array(counts, dtype=float)
    reference = cohens_kappa(counts)  # var_kappa: Fleiss, Cohen & Everitt (1969), over n
    assert planning.kappa_of(counts) == pytest.approx(reference.kappa, rel=1e-12)
    assert planning.fce_variance(counts) == pytest.approx(
        reference.var_kappa * counts.sum(), rel=1e-10
    )


def test_cantor_sample_size_reproduces_the_irr_documented_example():
    # irr's N.cohen.kappa (Cantor 1996) documents: testing H0 κ = 0.85 against κ = 0.7,
    # both raters 50% positive, one-sided α = 0.05, power 0.8 -> "[1] 96".
    # n = ((z_0.95·√Q(κ0) + z_0.8·√Q(κ1)) / (κ1 − κ0))², Q the FCE variance × n.
    q0 = planning.fce_variance(table(0.5, 0.5, 0.85))
    q1 = planning.fce_variance(table(0.5, 0.5, 0.7))
    n = ((Z(0.95) * math.sqrt(q0) + Z(0.8) * math.sqrt(q1)) / (0.7 - 0.85)) ** 2
    assert n == pytest.approx(95.716, abs=0.001)
    assert math.ceil(n) == 96


@pytest.mark.parametrize(
    ("population", "expected"),
    # Krejcie & Morgan (1970), Table 1: the sample a ±5% interval of a proportion needs at
    # P = 0.5, s = χ²NP(1−P) / (d²(N−1) + χ²P(1−P)), Cochran's single-stratum formula with
    # the finite-population correction (χ² = 3.841 = 1.96²).
    [(1000, 278), (2000, 322), (10000, 370)],
)
def test_one_stratum_is_cochrans_sample_size_of_a_proportion(population, expected):
    sd = planning.pass_sd(0.5, population)
    n = planning.neyman_total(np.array([population]), np.array([sd]), (0.05 / 1.96) ** 2)
    assert round(n) == expected
    taken = planning.allocate(
        np.array([population]), np.array([sd]), (0.05 / 1.96) ** 2, np.array([2])
    )
    assert taken[0] == math.ceil(n)


def test_neyman_allocation_follows_cochrans_total_and_n_h_proportional_to_n_h_s_h():
    sizes = np.array([400, 1600, 300, 5000])
    sds = np.array(
        [planning.pass_sd(p, n) for p, n in zip([0.4, 0.9, 0.5, 0.97], sizes, strict=True)]
    )
    v = (0.02 / planning.Z95) ** 2
    # Cochran §5.9: n = (Σ W_h S_h)² / (V + Σ W_h S_h² / N), worked here independently.
    w = sizes / sizes.sum()
    expected_total = (w @ sds) ** 2 / (v + (w @ sds**2) / sizes.sum())
    assert planning.neyman_total(sizes, sds, v) == pytest.approx(expected_total, rel=1e-12)
    taken = planning.allocate(sizes, sds, v, np.zeros(4))
    shares = sizes * sds / (sizes * sds).sum()
    # Rounding each stratum up adds at most one label per stratum.
    assert expected_total <= taken.sum() <= expected_total + len(sizes)
    assert np.all(np.abs(taken - expected_total * shares) <= 1)
    assert planning.variance(sizes, sds, taken) <= v


def test_a_stratum_neyman_over_allocates_is_taken_whole():
    sizes = np.array([10, 5000])
    sds = np.array([0.5, 0.1])
    taken = planning.allocate(sizes, sds, (0.004 / planning.Z95) ** 2, np.array([2, 2]))
    assert taken[0] == 10  # census: its variance term is zero
    assert planning.variance(sizes, sds, taken) <= (0.004 / planning.Z95) ** 2


STRATA = [
    Stratum("lookup", "fail", 100),
    Stratum("lookup", "pass", 1900),
    Stratum("math", "fail", 300),
    Stratum("math", "pass", 1700),
]
PRIORS = Priors(fail=0.4, passed=0.9)  # N_h·P_h are whole numbers for the simulation


def simulate(result: planning.SamplePlan, priors: Priors, reps: int, seed: int):
    """Stratified samples of the planned sizes from a population with exactly N_h·P_h SME
    passes per stratum: the Cochran pass rate and the design-weighted κ of each draw."""
    rng = np.random.default_rng(seed)
    total = sum(s.size for s in result.strata)
    cells = np.zeros((reps, 2, 2))
    for s in result.strata:
        passes = round(s.size * priors.of(s.pool))
        hits = rng.hypergeometric(passes, s.size - passes, s.needed, size=reps)
        row = int(s.pool == "pass")
        cells[:, row, 1] += s.size / total * hits / s.needed
        cells[:, row, 0] += s.size / total * (1 - hits / s.needed)
    rate = cells[:, :, 1].sum(axis=1)
    po = cells[:, 0, 0] + cells[:, 1, 1]
    pe = np.einsum("ri,ri->r", cells.sum(axis=2), cells.sum(axis=1))
    return rate, (po - pe) / (1 - pe)


def test_the_planned_half_widths_are_what_stratified_draws_give():
    result = planning.plan(STRATA, PRIORS, Targets(pass_rate=0.03, kappa=0.08))
    assert result.planned.pass_rate <= 0.03 and result.planned.kappa <= 0.08
    rate, kappa = simulate(result, PRIORS, 20000, seed=3)
    truth = planning.kappa_table(STRATA, PRIORS)
    assert rate.mean() == pytest.approx(truth[:, 1].sum(), abs=0.002)
    # 1.96 × the simulated standard deviation within 2% of the planned half-width (20,000
    # draws: about 0.5% noise); κ's is a large-sample (delta-method) figure: 3%.
    assert 1.96 * rate.std() == pytest.approx(result.planned.pass_rate, rel=0.02)
    assert 1.96 * kappa.std() == pytest.approx(result.planned.kappa, rel=0.03)


def test_the_rates_design_is_shown_beside_the_plan():
    result = planning.plan(STRATA, PRIORS, Targets(0.03, 0.10))
    # 10% of failures, 2% of passes, at least 5: 10 + 38 + 30 + 34.
    assert result.design.labels == 10 + 38 + 30 + 34
    sizes = np.array([s.size for s in STRATA])
    sds = np.array([planning.pass_sd(PRIORS.of(s.pool), s.size) for s in STRATA])
    expected = 1.96 * math.sqrt(planning.variance(sizes, sds, np.array([10, 38, 30, 34])))
    assert result.design.pass_rate == pytest.approx(expected, rel=1e-3)
    assert result.design.pass_rate > result.planned.pass_rate
    text = plan_text.summary(result, planning.SampleParams())
    assert f"{result.planned.labels} labels" in text and "10%/2% design takes 112" in text


def test_after_a_sample_the_drawn_items_stay_and_more_is_the_top_up():
    drawn = [
        Stratum(s.stratum, s.pool, s.size, drawn=d, labelled=done)
        for s, d, done in zip(STRATA, [10, 38, 30, 34], [10, 20, 30, 0], strict=True)
    ]
    result = planning.plan(drawn, PRIORS, Targets(0.03, 0.10))
    assert all(s.needed >= s.drawn for s in result.strata)
    assert result.more == sum(s.needed - s.drawn for s in result.strata) > 0
    assert result.drawn is not None
    assert result.drawn.pass_rate == pytest.approx(result.design.pass_rate)
    text = plan_text.summary(result, planning.SampleParams())
    assert text.startswith(f"{result.more} more labels (in strata ")
    assert f"from ±{100 * result.drawn.pass_rate:.1f} points to" in text
    reached = planning.plan(drawn, PRIORS, Targets(0.5, 1.5))
    assert reached.more == 0 and "already reach" in plan_text.summary(
        reached, planning.SampleParams()
    )


def test_kappa_is_not_planned_when_the_judge_passes_everything():
    result = planning.plan([Stratum("a", "pass", 500)], PRIORS, Targets(0.05, 0.1))
    assert result.expected_kappa is None and result.planned.kappa is None
    assert result.strata[0].for_kappa == 0 and result.strata[0].for_pass_rate > 0
    text = plan_text.summary(result, planning.SampleParams(fail_rate=0.25, pass_rate=0.025))
    assert "The 25%/2.5% design takes" in text and "κ ±" not in text
    assert text.endswith("κ is not planned: under these pass rates one of its margins is empty.")


@pytest.mark.parametrize(
    ("priors", "targets"),
    [(Priors(fail=1.2), Targets()), (Priors(), Targets(pass_rate=0.0))],
)
def test_bad_inputs_say_what_is_wrong(priors, targets):
    with pytest.raises(InputError):
        planning.plan(STRATA, priors, targets)


def test_an_empty_frame_is_refused():
    with pytest.raises(InputError, match="frame is empty"):
        planning.plan([], PRIORS)


@pytest.fixture(scope="module")
def demo(module_demo):
    return module_demo()


def test_earlier_priors_are_the_weighted_sme_pass_rates_of_each_judge_pool(demo):
    migration_id = demo.execute("SELECT migration_id FROM migration LIMIT 1").fetchone()[0]
    priors = planning.earlier_priors(demo, migration_id)
    labels = demo.execute(
        "SELECT l.sample_id, l.item_id, coalesce(l.passed, l.score >= ?) AS passed,"
        " si.pool, si.inclusion_prob FROM label l JOIN sample_item si USING (sample_id, item_id)"
        " WHERE l.score IS NOT NULL OR l.passed IS NOT NULL",
        [PASS_SCORE],
    ).df()
    items = labels.groupby(["sample_id", "item_id"]).agg(
        passed=("passed", "mean"), pool=("pool", "first"), p=("inclusion_prob", "first")
    )
    for judge_pass, expected in [(False, priors.fail), (True, priors.passed)]:
        pool = items[(items["pool"] == "pass") == judge_pass]
        rate = np.average(pool["passed"], weights=1 / pool["p"])
        assert expected == pytest.approx((rate * len(pool) + 0.5) / (len(pool) + 1))
    assert priors.labels == len(items)


def test_sample_strata_count_drawn_and_labelled_items(demo):
    for (sample_id,) in demo.execute("SELECT sample_id FROM sample").fetchall():
        strata = planning.sample_strata(demo, sample_id)
        drawn, labelled = demo.execute(
            "SELECT count(DISTINCT si.item_id), count(DISTINCT l.item_id) FROM sample_item si"
            " LEFT JOIN label l ON l.sample_id = si.sample_id AND l.item_id = si.item_id"
            " AND (l.score IS NOT NULL OR l.passed IS NOT NULL) WHERE si.sample_id = ?",
            [sample_id],
        ).fetchone()
        assert sum(s.drawn for s in strata) == drawn
        assert sum(s.labelled for s in strata) == labelled


def test_targets_out_of_range_are_named_without_a_repr():
    with pytest.raises(InputError) as caught:
        planning.plan(STRATA, PRIORS, Targets(3, 10))
    assert "got 3 and 10" in str(caught.value) and "Targets(" not in str(caught.value)


def test_a_sample_of_another_migration_is_not_found(demo):
    from core.errors import NotFoundError

    with pytest.raises(NotFoundError, match="no sample smp-nope in this migration"):
        planning.sample_strata(demo, "smp-nope", "any-migration")


def test_the_expected_kappa_says_it_is_implied_by_the_rates_not_measured():
    # Seen: the planner said the rates "give … κ of 0.50" while Calibration showed κ 0.90
    # (weighted) for the same labels, without saying where 0.50 came from. κ here is
    # Cohen's κ of the population table the two rates imply (checked against statsmodels).
    result = planning.plan(STRATA, PRIORS, Targets(0.03, 0.10))
    counts = planning.kappa_table(STRATA, PRIORS) * 10**6
    kappa = cohens_kappa(counts).kappa
    assert result.expected_kappa == pytest.approx(kappa, rel=1e-9)
    assumed = plan_text.expectation(result, None)
    assert f"κ of {kappa:.2f}" in assumed
    assert "assumed: set them on the page" in assumed and "not measured" in assumed
    read = plan_text.expectation(result, Priors(PRIORS.fail, PRIORS.passed, labels=42))
    assert "read from 42 labelled items" in read and f"κ of {kappa:.2f}" in read
    assert "Calibration" in read
    unplanned = planning.plan([Stratum("a", "pass", 500)], PRIORS, Targets(0.05, 0.1))
    assert "κ of" not in plan_text.expectation(unplanned, None)
