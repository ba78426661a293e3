"""Cochran's stratified estimators, domain ratios and their thin-strata rule, against textbook
examples and formulas written out independently here."""

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from core.analysis import agreement, calibration, ppi, stratified
from core.analysis.calibration import figures as calibration_figures
from tests.core.analysis.test_thin_data import pairs_frame

# Scheaffer, Mendenhall & Ott, Elementary Survey Sampling (5th ed., 1996), ch. 5 (stratified
# random sampling), the television-viewing example: households stratified into Town A
# (N=155, n=20), Town B (N=62, n=8) and the rural area (N=93, n=12), N = 310.
TV_SIZES = {"A": 155, "B": 62, "rural": 93}


def with_moments(mean: float, variance: float, n: int) -> np.ndarray:
    """n values whose sample mean and unbiased (n - 1) variance are exactly these."""
    z = np.linspace(-1, 1, n)
    z = (z - z.mean()) / z.std(ddof=1)
    return mean + math.sqrt(variance) * z


def test_stratified_mean_reproduces_the_published_television_example():
    # Published: ȳ_A = 33.900, s²_A = 35.358; ȳ_B = 25.125, s²_B = 232.411; ȳ_rural = 19.000,
    # s²_rural = 87.636. ȳ_st = (155·33.9 + 62·25.125 + 93·19) / 310 = 8579.25 / 310 = 27.675;
    # V̂(ȳ_st) = Σ N_h² (1 − n_h/N_h) s_h²/n_h / N² = (36,993 + 97,264 + 55,014) / 96,100
    # = 1.97, a bound on the error of estimation 2 √1.97 = 2.81 (as printed).
    values = np.concatenate(
        [with_moments(33.9, 35.358, 20), with_moments(25.125, 232.411, 8),
         with_moments(19.0, 87.636, 12)]
    )  # fmt: skip
    strata = np.array(["A"] * 20 + ["B"] * 8 + ["rural"] * 12)
    result = stratified.mean(values, strata, TV_SIZES)
    assert result.estimate == pytest.approx(27.675, abs=5e-4)
    assert result.standard_error**2 == pytest.approx(1.97, abs=5e-3)
    assert 2 * result.standard_error == pytest.approx(2.81, abs=5e-3)
    assert result.enough and result.labels == 40 and result.strata == 3


def test_stratified_proportion_reproduces_the_published_television_example():
    # The same sample, asked whether they watch a programme: 16 of 20 in Town A (p̂ = .80),
    # 2 of 8 in Town B (.25), 6 of 12 rural (.50). p̂_st = (155·.8 + 62·.25 + 93·.5) / 310
    # = 186 / 310 = 0.60 (printed); V̂ = Σ N_h² (1 − f_h) p̂_h q̂_h / (n_h − 1) / N² (unbiased:
    # n_h − 1, not n_h) = (176.21 + 89.68 + 171.20) / 96,100 = 0.004548, bound 2 √V̂ = 0.135.
    values = np.array([1] * 16 + [0] * 4 + [1] * 2 + [0] * 6 + [1] * 6 + [0] * 6)
    strata = np.array(["A"] * 20 + ["B"] * 8 + ["rural"] * 12)
    result = stratified.proportion(values, strata, TV_SIZES)
    assert result.estimate == pytest.approx(0.60)
    assert result.standard_error**2 == pytest.approx(0.004548, abs=2e-6)
    assert 2 * result.standard_error == pytest.approx(0.135, abs=5e-4)
    assert 0 <= result.interval.low < 0.6 < result.interval.high <= 1


def independent(values, strata, sizes):
    """Cochran 5.1-5.7 and Satterthwaite's df (§5.4), one stratum at a time in plain Python."""
    total = sum(sizes[h] for h in set(strata))
    estimate = variance = 0.0
    terms = []
    for h in sorted(set(strata)):
        ys = [v for v, s in zip(values, strata, strict=True) if s == h]
        n, big_n = len(ys), sizes[h]
        mean = sum(ys) / n
        s2 = sum((y - mean) ** 2 for y in ys) / (n - 1)
        estimate += big_n / total * mean
        term = (big_n / total) ** 2 * (1 - n / big_n) * s2 / n
        variance += term
        terms.append((term, n))
    df = variance**2 / sum(term**2 / (n - 1) for term, n in terms)
    return estimate, variance, df


def test_stratified_proportion_matches_independent_formulas_and_a_wilson_reference():
    rng = np.random.default_rng(3)
    sizes = {"a/fail": 300, "a/pass": 2000, "b/fail": 120, "b/pass": 900}
    rates = {"a/fail": 0.3, "a/pass": 0.95, "b/fail": 0.2, "b/pass": 0.9}
    takes = {"a/fail": 30, "a/pass": 40, "b/fail": 12, "b/pass": 20}
    strata = np.array([h for h in sizes for _ in range(takes[h])])
    values = np.concatenate([rng.random(takes[h]) < rates[h] for h in sizes]).astype(float)
    for h in sizes:  # every stratum shows both outcomes, so no variance is borrowed
        assert 0 < values[strata == h].mean() < 1
    estimate, variance, df = independent(values.tolist(), strata.tolist(), sizes)
    result = stratified.proportion(values, strata, sizes)
    assert result.estimate == pytest.approx(estimate)
    assert result.standard_error**2 == pytest.approx(variance)
    assert result.df == pytest.approx(df)
    assert result.borrowed == ()
    # Wilson at the effective n* = p(1 − p)/v, with Korn & Graubard's df factor
    # (t_{n−1}/t_df)², is statsmodels' Wilson interval at that n*.
    from scipy.stats import t

    n_star = estimate * (1 - estimate) / variance * (t.ppf(0.975, 101) / t.ppf(0.975, df)) ** 2
    low, high = proportion_confint(estimate * n_star, n_star, method="wilson")
    assert (result.interval.low, result.interval.high) == pytest.approx((low, high))
    # The agreement module's name for it gives the same interval (issue 11, item 2: it used
    # p(1 − p) with n_h, not Cochran's unbiased n_h − 1, pooled across strata).
    assert tuple(agreement.stratified_proportion(values, strata, sizes)) == pytest.approx(
        tuple(result.interval)
    )


def test_stratified_mean_matches_independent_formulas_on_random_data():
    rng = np.random.default_rng(11)
    sizes = {"x": 50, "y": 400, "z": 1000}
    strata = np.array(["x"] * 6 + ["y"] * 15 + ["z"] * 9)
    values = rng.normal(3, 1, len(strata)) + (strata == "z")
    estimate, variance, df = independent(values.tolist(), strata.tolist(), sizes)
    result = stratified.mean(values, strata, sizes)
    assert (result.estimate, result.standard_error**2, result.df) == pytest.approx(
        (estimate, variance, df)
    )
    half = result.interval.high - result.estimate
    from scipy.stats import t

    assert half == pytest.approx(t.ppf(0.975, df) * math.sqrt(variance))


def recall_example():
    """Two strata; y = judge and SME both fail, x = SME fails (recall's domain)."""
    sizes = {"A/fail": 100, "A/pass": 400}
    strata = np.array(["A/fail"] * 4 + ["A/pass"] * 5)
    judge_fail = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0], dtype=bool)
    sme_fail = np.array([1, 1, 0, 1, 0, 0, 1, 0, 0], dtype=bool)
    return sizes, strata, judge_fail, sme_fail


def test_domain_ratio_matches_the_hand_worked_recall():
    # W = (.2, .8); ȳ = (3/4, 0), x̄ = (3/4, 1/5): R̂ = .2·.75 / (.2·.75 + .8·.2) = .15/.31.
    # d = y − R̂x: stratum A/fail {1−R̂ ×3, 0}: s² = (1−R̂)²/4; A/pass {0,0,−R̂,0,0}: s² = R̂²/5.
    # v = [.04·(1 − 4/100)·s²_1/4 + .64·(1 − 5/400)·s²_2/5] / .31² (Lohr ch. 4, domains)
    # = (.00063933 + .0059188) / .0961 = .068243, SE .26124.
    sizes, strata, judge_fail, sme_fail = recall_example()
    r = 0.15 / 0.31
    v = (0.04 * 0.96 * (1 - r) ** 2 / 4 / 4 + 0.64 * 0.9875 * r**2 / 5 / 5) / 0.31**2
    result = stratified.ratio(judge_fail & sme_fail, sme_fail, strata, sizes)
    assert result.estimate == pytest.approx(0.483871, abs=1e-6)
    assert result.standard_error == pytest.approx(math.sqrt(v))
    assert result.standard_error == pytest.approx(0.26124, abs=1e-5)
    assert 0 <= result.interval.low < result.estimate < result.interval.high <= 1


def test_precision_over_judge_fail_strata_is_their_stratified_proportion():
    # Lohr ch. 4 (domains): a domain that is a union of strata is those strata alone.
    rng = np.random.default_rng(5)
    sizes = {"a/fail": 80, "a/pass": 900, "b/fail": 40, "b/pass": 500}
    takes = {"a/fail": 8, "a/pass": 18, "b/fail": 6, "b/pass": 10}
    strata = np.array([h for h in sizes for _ in range(takes[h])])
    judge_fail = np.char.endswith(strata.astype(str), "/fail")
    sme_fail = np.where(judge_fail, rng.random(len(strata)) < 0.7, rng.random(len(strata)) < 0.1)
    sme_fail[:2] = [True, False]
    sme_fail[18 + 8 : 18 + 10] = [True, False]  # both outcomes in each judge-fail stratum
    precision = stratified.ratio(sme_fail & judge_fail, judge_fail, strata, sizes, union=True)
    fails = {h: n for h, n in sizes.items() if h.endswith("/fail")}
    alone = stratified.proportion(sme_fail[judge_fail], strata[judge_fail], fails)
    assert precision.estimate == pytest.approx(alone.estimate)
    assert precision.standard_error == pytest.approx(alone.standard_error)


def test_a_stratum_with_one_label_is_named_with_its_top_up():
    sizes = {"billing/fail": 30, "billing/pass": 400, "returns/fail": 12, "returns/pass": 90}
    strata = np.array(["billing/fail"] * 3 + ["billing/pass"] * 8 + ["returns/fail"]
                      + ["returns/pass"] * 2)  # fmt: skip
    values = np.array([0, 1, 0] + [1] * 7 + [0] + [1] + [1, 1])
    result = stratified.proportion(values, strata, sizes)
    assert not result.enough
    assert [(t.stratum, t.labels, t.top_up) for t in result.thin] == [("returns/fail", 1, 1)]
    assert "returns/fail has 1 of 12 (label 1 more)" in result.interval.note
    assert result.interval.note.startswith("not enough labels")


def test_a_stratum_whose_labels_all_agree_borrows_its_pools_variance():
    # returns/pass: 2 labels, both pass (s² = 0). Its pool ("pass": 8 + 2 labels, one fail)
    # has p = 0.9 and the unbiased pooled s² = 10 · .9 · .1 / 9 = 0.1
    # (core.analysis.thin: a house rule modelled on Cochran 1977, §5A.12, not his).
    sizes = {"billing/fail": 30, "billing/pass": 400, "returns/fail": 12, "returns/pass": 90}
    strata = np.array(["billing/fail"] * 3 + ["billing/pass"] * 8 + ["returns/fail"] * 2
                      + ["returns/pass"] * 2)  # fmt: skip
    values = np.array([0, 1, 0] + [1] * 7 + [0] + [0, 1] + [1, 1], dtype=float)
    result = stratified.proportion(values, strata, sizes)
    assert result.borrowed == ("returns/pass",)
    w = {h: n / 532 for h, n in sizes.items()}
    own = {"billing/fail": 1 / 3, "billing/pass": 1 / 8, "returns/fail": 0.5}  # n/(n−1)·pq
    v = (
        w["billing/fail"] ** 2 * (1 - 3 / 30) * own["billing/fail"] / 3
        + w["billing/pass"] ** 2 * (1 - 8 / 400) * own["billing/pass"] / 8
        + w["returns/fail"] ** 2 * (1 - 2 / 12) * own["returns/fail"] / 2
        + w["returns/pass"] ** 2 * (1 - 2 / 90) * 0.1 / 2
    )
    assert result.standard_error**2 == pytest.approx(v)


def test_a_pool_that_all_agrees_takes_the_jeffreys_variance_and_stays_in_0_1():
    sizes = {"a/pass": 1000, "b/pass": 500}
    strata = np.array(["a/pass"] * 6 + ["b/pass"] * 4)
    result = stratified.proportion(np.ones(10), strata, sizes)
    p = 10.5 / 11  # Jeffreys (x + ½) / (n + 1) over the pool
    v = (2 / 3) ** 2 * (1 - 6 / 1000) * p * (1 - p) / 6 + (1 / 3) ** 2 * (1 - 4 / 500) * p * (
        1 - p
    ) / 4
    assert result.estimate == 1.0
    assert result.standard_error**2 == pytest.approx(v)
    assert result.interval.high == 1.0 and 0.6 < result.interval.low < 1.0


def test_no_labels_in_the_domain_says_not_enough_labels():
    sizes, strata, _, _ = recall_example()
    result = stratified.ratio(np.zeros(9), np.zeros(9), strata, sizes)
    assert math.isnan(result.estimate)
    assert result.interval.note.startswith("not enough labels")


def test_weighted_precision_and_recall_are_domain_estimates_over_the_strata():
    # Issue 11, item 3: the weighted intervals used Kish's n over all pairs scaled by the
    # subgroup's weight share. They are now the ratio estimator's, computed per item.
    sizes, strata, judge_fail, sme_fail = recall_example()
    weights = np.array([sizes[h] / (strata == h).sum() for h in strata])
    units = np.arange(len(strata))
    codes = np.unique(strata, return_inverse=True)[1]
    result = calibration_figures.figures(
        judge_fail, sme_fail, weights, units, codes, 0, 50, design=(strata, sizes)
    )
    recall = stratified.ratio(judge_fail & sme_fail, sme_fail, strata, sizes).interval
    precision = stratified.ratio(
        judge_fail & sme_fail, judge_fail, strata, sizes, union=True
    ).interval
    assert tuple(result.recall) == pytest.approx(tuple(recall))
    assert tuple(result.precision) == pytest.approx(tuple(precision))


def test_more_labels_than_a_strata_size_counts_it_as_wholly_labelled():
    # Two samples' labels under one stratum name can outnumber one sample's N_h: no crash,
    # the stratum is a census (f_h = 1, no variance), N_h taken as its labels. (a/pass holds
    # two labels: with one it would now be collapsed, and with it, as the only pass
    # stratum, every stratum, into "*".)
    result = stratified.proportion([1, 0, 1, 1, 1], ["a/fail"] * 3 + ["a/pass"] * 2,
                                   {"a/fail": 2, "a/pass": 10})  # fmt: skip
    assert result.estimate == pytest.approx((3 * 2 / 3 + 10 * 1) / 13)
    assert math.isfinite(result.standard_error)


def test_a_small_domain_never_gains_labels_from_the_whole_designs_df():
    # Issue 11 (fresh-eyes): 1 of 2 domain items among 60 labels gave 0.5 (0.39-0.61), an
    # effective n of ~64 from 2 items. Korn & Graubard's factor (t_{n-1}/t_df)² never raises
    # n*, and a domain's n* stays at most its labelled count: the interval is at least as
    # wide as Wilson's for 1 of 2 (statsmodels' proportion_confint, method "wilson").
    x = [1, 1] + [0] * 58
    result = stratified.ratio([1, 0] + [0] * 58, x, ["a/p"] * 60, {"a/p": 6000})
    low, high = proportion_confint(1, 2, method="wilson")  # 0.0945, 0.9055
    assert result.estimate == 0.5
    assert result.effective_n <= 2
    assert result.interval.low <= low and result.interval.high >= high
    none = stratified.ratio([0] * 60, x, ["a/p"] * 60, {"a/p": 6000})
    low, high = proportion_confint(0, 2, method="wilson")
    assert (none.interval.low, none.interval.high) == pytest.approx((low, high))


def test_recall_gives_a_pass_pool_without_sme_failures_the_jeffreys_variance():
    # Issue 11 (fresh-eyes): 20 judge-pass labels without an SME failure can hide failures of
    # the pass stratum's 538 items; for recall (the domain: SME fails) that zero is sampling,
    # not structure. The pass stratum takes d's largest value for a hidden member,
    # max(R̂, 1 − R̂) = R̂ here (a missed failure: y = 0, x = 1), times the pool's Jeffreys
    # p̃(1 − p̃), p̃ = (0 + ½) / (20 + 1).
    sizes = {"a/fail": 60, "a/pass": 538}
    strata = np.array(["a/fail"] * 40 + ["a/pass"] * 20)
    judge_fail = np.char.endswith(strata, "/fail")
    sme_fail = np.zeros(60, bool)
    sme_fail[:30] = True  # 30 of the 40 judge failures are SME failures
    both = (judge_fail & sme_fail).astype(float)
    recall = stratified.ratio(both, sme_fail, strata, sizes)
    r = 1.0  # every SME failure labelled was caught
    p = 0.5 / 21
    w = np.array([60, 538]) / 598
    v = w[1] ** 2 * (1 - 20 / 538) * max(r, 1 - r) ** 2 * p * (1 - p) / 20
    v /= (w[0] * 30 / 40) ** 2
    assert recall.estimate == r
    assert recall.standard_error == pytest.approx(math.sqrt(v))
    assert recall.borrowed == ("a/pass",)
    # Precision's domain (judge fails) is a union of strata: the pass stratum stays out.
    precision = stratified.ratio(both, judge_fail.astype(float), strata, sizes, union=True)
    alone = stratified.proportion(sme_fail[:40], strata[:40], {"a/fail": 60})
    assert precision.standard_error == pytest.approx(alone.standard_error)


def test_strata_with_0_or_1_labels_collapse_into_their_pool_like_compares():
    # Issue 11 (fresh-eyes): calibration borrowed a thin stratum's variance while Compare
    # (ppi.collapse_thin) merged it into "*/<pool>": one rule now, so the same labels give
    # the same estimate. "c/pass" (0 labels) and "b/pass" (1) merge into "*/pass" with
    # "a/pass"; their N_h join it: Cochran's estimate over the merged strata, written out.
    sizes = {"a/fail": 40, "a/pass": 300, "b/pass": 200, "c/pass": 117}
    strata = np.array(["a/fail"] * 4 + ["a/pass"] * 5 + ["b/pass"])
    values = np.array([0, 1, 0, 1, 1, 1, 0, 1, 1, 0], dtype=float)  # a/fail, a/pass, b/pass
    result = stratified.proportion(values, strata, sizes)
    merged = (40 * 0.5 + 617 * 4 / 6) / 657
    assert result.estimate == pytest.approx(merged)
    assert [(t.stratum, t.labels) for t in result.thin] == [("b/pass", 1), ("c/pass", 0)]
    assert "c/pass has 0 of 117" in result.interval.note
    collapsed = stratified.collapse_thin(strata, list(sizes))
    assert collapsed == {"a/pass": "*/pass", "b/pass": "*/pass", "c/pass": "*/pass"}


def thin_design():
    """Labels of a sample with a thin stratum (b/pass: 1 label) and one without (c/pass: 0),
    as calibration's pairs (one label an item) and as Compare's labelled/unlabelled items."""
    sizes = {"a/fail": 40, "a/pass": 300, "b/pass": 200, "c/pass": 117}
    strata = np.array(["a/fail"] * 4 + ["a/pass"] * 5 + ["b/pass"])
    passed = np.array([0, 1, 0, 1, 1, 1, 0, 1, 1, 0], dtype=bool)
    frame = pd.DataFrame({
        "item_id": [f"i{k}" for k in range(len(strata))], "sme_pass": passed,
        "design_stratum": strata, "stratum_size": [sizes[h] for h in strata],
    })  # fmt: skip
    rest = np.array([h for h, n in sizes.items() for _ in range(n - (strata == h).sum())])
    return sizes, strata, passed, frame, rest


def test_calibration_and_compare_give_the_same_sme_pass_rate_on_thin_strata():
    # Issue 11 (fresh-eyes): Compare's SME-only estimate (ppi.collapse_thin, then
    # stratified_ppi's Cochran estimate of the labels alone) and calibration's SME pass rate
    # disagreed when a stratum held fewer than 2 labels. Same labels, same figure now.
    sizes, strata, passed, frame, rest = thin_design()
    merged = ppi.collapse_thin(strata, rest)
    moved = np.array([merged.get(h, h) for h in strata])
    unlabelled = np.array([merged.get(h, h) for h in rest])
    judge = passed.astype(float)  # any judge: the SME-only figure does not use it
    compare = ppi.stratified_ppi(passed, judge, moved, np.ones(len(rest)), unlabelled).sme_only
    calibration = calibration_figures.sme_pass_rate(frame, sizes)
    assert tuple(calibration) == pytest.approx(tuple(compare))


def test_calibrations_pass_rate_names_strata_without_labels():
    # Issue 11 (fresh-eyes): 3 labels in regression strata gave "100% (43.9-100%)" for 117 of
    # 800 items: strata with no label dropped out unsaid. They join their pool and are named.
    sizes, _, _, frame, _ = thin_design()
    rate = calibration_figures.sme_pass_rate(frame, sizes)
    assert "c/pass has 0 of 117" in rate.note and "b/pass has 1 of 200" in rate.note
    # Without the population's strata only the labelled ones are known.
    assert "c/pass" not in calibration_figures.sme_pass_rate(frame).note


def test_calibrate_names_the_samples_strata_without_labels_in_its_pass_rate():
    # Issue 11 (fresh-eyes): calibrate's pass rate over 3 regression labels said nothing of
    # the pass and fail strata the sample drew but nobody labelled; Evidence.strata holds
    # the samples' design strata, and the labelled dataset strata's ones join the estimate.
    frame = pairs_frame([0.9, 0.9, 0.2], [True, True, True])
    frame["design_stratum"] = "billing/regression"
    frame["stratum"] = "billing"
    frame["stratum_size"] = 30
    strata = {"billing/regression": 30, "billing/pass": 700, "billing/fail": 70,
              "other/pass": 400}  # fmt: skip
    evidence = calibration.Evidence("r", "m", frame, 0.5, strata)
    rate = calibration.calibrate(evidence, resamples=50, scores=False).sme_pass_rate
    assert "billing/pass has 0 of 700" in rate.note and "billing/fail has 0 of 70" in rate.note
    assert "other/pass" not in rate.note  # a dataset stratum these labels are not from
    # The pass and fail pools hold no label: merging all three strata into "*" read 3 of 3
    # regression labels as the pass rate of 800 items (100%, 43.9-100%). Issue 11's second
    # reading (item 3): the figure is withheld, naming each pool and its top-up.
    assert math.isnan(rate.estimate) and rate.note.startswith("not enough labels: 3 in all")
    assert "the pass pool has 0 of 700 items (label 2 more)" in rate.note
    assert "the fail pool has 0 of 70 items (label 2 more)" in rate.note


def test_f1_is_withheld_with_recall():
    # Issue 11 (fresh-eyes): weighted F1 was shown while recall was "not reported"; F1 is
    # recall's harmonic mean with precision, so it goes with it.
    from ui import calibration_present

    frame = pairs_frame([0.9] * 6 + [0.2] * 6, [True] * 6 + [False] * 5 + [True])
    result = calibration.calibrate(calibration.Evidence("r", "m", frame, 0.5), resamples=50)
    assert not result.recall_reported
    table = calibration_present.figures_table(result).set_index("figure")
    f1 = next(label for attr, label, _ in calibration_present.FIGURES if attr == "f1")
    assert set(table.loc[f1].iloc[:2]) == {"—"}
    assert any("recall is not reported, nor F1" in note for note in result.advice)
