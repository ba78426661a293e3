"""Thin data (issue 11, item 6): every figure over zero, one or a few labels says "not enough
labels" with the count, never a traceback or an interval that pretends; and item 8: the
threshold sweep recommends nothing when κ does not vary, and the advice plans with a real
formula instead of promising a width the data cannot reach."""

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa

from core import formatting
from core.analysis import agreement, calibration
from core.analysis.calibration import smes, views
from core.types import Interval

BOOTSTRAPPED = ("kappa", "ac1", "f1")


def pairs_frame(judge_scores, sme_pass, weight=10.0) -> pd.DataFrame:
    """One SME label per item beside the judge's score (threshold 0.5), one design stratum."""
    n = len(judge_scores)
    return pd.DataFrame(
        {
            "item_id": [f"q{i}" for i in range(n)],
            "reviewer": "sme1",
            "sme_score": [5 if p else 1 for p in sme_pass],
            "sme_pass": list(sme_pass),
            "judge_score": list(judge_scores),
            "judge_pass": [s >= 0.5 for s in judge_scores],
            "threshold": 0.5,
            "direction": "higher",
            "judge_version": "judge 1",
            "origin": "import",
            "sample_id": "S1",
            "inclusion_prob": 1 / weight,
            "design_stratum": "all/fail",
            "stratum_size": int(weight * max(n, 1)),
            "weight": weight,
            "stratum": "all",
        }
    )


def says_not_enough(bounds: Interval, count: int) -> bool:
    return (
        math.isnan(bounds.low)
        and math.isnan(bounds.high)
        and bounds.note is not None
        and "not enough labels" in bounds.note
        and str(count) in bounds.note
    )


@pytest.mark.parametrize("n", [1, 2, 3])
def test_bootstrap_figures_over_a_few_labels_say_not_enough_labels(n):
    # Seen: 2 agreeing pairs gave κ 1.00 (1.00–1.00) and "can be trusted at the floor".
    frame = pairs_frame([0.9, 0.2, 0.7][:n], [True, False, True][:n])
    result = calibration.calibrate(calibration.Evidence("r", "m", frame, 0.5), resamples=200)
    for figures in (result.unweighted, result.weighted):
        for name in BOOTSTRAPPED:
            assert says_not_enough(getattr(figures, name), n), (name, getattr(figures, name))
    for name in ("kappa_linear", "kappa_quadratic", "spearman"):
        assert says_not_enough(getattr(result, name), n), name
    assert not any("can be trusted" in line for line in result.advice)
    assert any(f"{n} labelled item" in line for line in result.advice)


def test_six_agreeing_pairs_do_not_pretend_and_the_page_text_says_why():
    # The golden file's six convenience labels: judge and SMEs agree on all six (one fail):
    # κ read 1.00 (1.00–1.00), the advice "can be trusted: κ's lower bound is 1.00".
    frame = pairs_frame([0.95, 0.3, 0.85, 0.9, 0.8, 0.92], [True, False, True, True, True, True])
    result = calibration.calibrate(calibration.Evidence("r", "m", frame, 0.5), resamples=500)
    kappa = result.weighted.kappa
    assert kappa.estimate == pytest.approx(1.0) and says_not_enough(kappa, 6)
    assert formatting.interval(kappa, ".2f", sep="–").startswith("1.00 (not enough labels")
    assert not any("can be trusted" in line for line in result.advice)


def test_a_figure_with_nothing_to_count_names_the_count():
    # precision over zero judge failures: no figure and no interval, and the reason.
    frame = pairs_frame([0.9] * 12, [True] * 11 + [False])
    result = calibration.calibrate(calibration.Evidence("r", "m", frame, 0.5), resamples=200)
    assert says_not_enough(result.unweighted.precision, 0)
    assert result.unweighted.precision.to_dict()["note"].startswith("not enough labels")


def test_wilson_over_zero_trials_says_not_enough_labels():
    assert says_not_enough(agreement.wilson(0, 0), 0)


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_sweep_over_a_few_labels_recommends_nothing(n):
    frame = pairs_frame(
        [0.9, 0.2, 0.7, 0.6, 0.4, 0.8][:n], [True, False, True, True, False, True][:n]
    )
    best = views.sweep(frame, resamples=200).best
    assert math.isnan(best.estimate) and says_not_enough(best, n)


def test_sweep_recommends_nothing_when_kappa_does_not_vary():
    # What was seen (item 8): every SME passes, κ is 0 (or undefined) at every threshold, yet
    # the sweep recommended "0.05 (0.05–0.05)".
    rng = np.random.default_rng(8)
    frame = pairs_frame(rng.uniform(0.2, 1.0, 40).round(2), [True] * 40)
    sweep = views.sweep(frame, resamples=200)
    assert np.nanmax(sweep.table["kappa"]) == pytest.approx(np.nanmin(sweep.table["kappa"]))
    assert math.isnan(sweep.best.estimate) and "κ does not vary" in sweep.best.note


def test_sweep_recommends_a_threshold_when_kappa_varies():
    rng = np.random.default_rng(9)
    truth = rng.random(120) < 0.7
    scores = np.clip(np.where(truth, 0.75, 0.35) + rng.normal(0, 0.15, 120), 0, 1).round(2)
    best = views.sweep(pairs_frame(scores, truth), resamples=300).best
    assert best.note is None and best.low <= best.estimate <= best.high
    assert 0.4 <= best.estimate <= 0.7


def test_no_interval_excludes_its_own_estimate():
    # Seen: κ 0.00 (−0.29–0.00): a percentile interval with its estimate on the edge. An
    # interval is either around its estimate or replaced by the reason there is none.
    rng = np.random.default_rng(3)
    for size in (8, 12, 20, 40):
        for _ in range(10):
            sme = rng.random(size) < 0.85
            scores = np.where(rng.random(size) < 0.7, sme * 0.8 + 0.1, rng.random(size))
            result = calibration.calibrate(
                calibration.Evidence("r", "m", pairs_frame(scores, sme), 0.5), resamples=200
            )
            for name in BOOTSTRAPPED:
                bounds = getattr(result.weighted, name)
                if not math.isnan(bounds.low):
                    assert bounds.low < bounds.estimate < bounds.high, (size, name, bounds)
                elif not math.isnan(bounds.estimate):
                    assert bounds.note, (size, name)


def test_advice_never_promises_a_width_from_a_handful_of_labels():
    # Seen: "about 7 more labelled items narrow its interval to ±0.10" with 6 pairs and κ 0.
    frame = pairs_frame([0.9, 0.8, 0.7, 0.6, 0.95, 0.2], [True] * 6)
    result = calibration.calibrate(calibration.Evidence("r", "m", frame, 0.5), resamples=200)
    text = " ".join(result.advice)
    assert "narrow its interval" not in text and "6 labelled items" in text


def test_advice_plans_with_the_asymptotic_variance_of_kappa():
    # Fleiss, Cohen & Everitt (1969): n·Var(κ) from the table's proportions; the labels for a
    # half-width h are n0 = deff·z²·n·Var(κ)/h², with Cochran's
    # finite-population correction n0 / (1 + n0/N), N = 1,500 items here.
    rng = np.random.default_rng(11)
    truth = rng.random(150) < 0.75
    judge = np.where(rng.random(150) < 0.75, truth, ~truth)
    frame = pairs_frame(np.where(judge, 0.8, 0.2), truth, weight=10.0)
    result = calibration.calibrate(
        calibration.Evidence("r", "m", frame, 0.5), resamples=500, floor=0.9
    )
    table = np.array(result.weighted.confusion)
    # statsmodels' cohens_kappa gives Var(κ) by the same formula (its var_kappa).
    per_item = sm_cohens_kappa(table).var_kappa * table.sum()
    assert agreement.kappa_variance(table) == pytest.approx(per_item, rel=1e-9)
    # The design effect: Kish's is 1 (equal weights); the bootstrap's against the formula,
    # n·(half-width / z)² / n·Var(κ), when that is wider.
    kappa = result.weighted.kappa
    deff = max(1.0, 150 * ((kappa.high - kappa.low) / 2 / agreement.Z95) ** 2 / per_item)
    n0 = deff * agreement.Z95**2 * per_item / 0.1**2
    needed = math.ceil(n0 / (1 + n0 / 1500)) - 150
    assert needed > 0
    assert f"About {needed} more labelled items" in " ".join(result.advice)


def test_agreement_functions_over_no_units_do_not_raise():
    assert math.isnan(agreement.fleiss_kappa(np.zeros((0, 2))))
    assert agreement.coincidence_cells(np.zeros((0, 2)), []).shape == (0, 0)
    empty = agreement.bootstrap(lambda r: float(len(r)), np.array([]), np.array([]))
    assert says_not_enough(empty, 0)
    for level in ("nominal", "ordinal", "interval", "ratio"):
        assert math.isnan(agreement.krippendorff_alpha(np.zeros((0, 2)), level))
        assert math.isnan(agreement.krippendorff_alpha(np.ones((4, 2)), level))  # one value
    assert math.isnan(agreement.gwet_ac1(np.zeros((0, 3)), [1, 2]))
    assert math.isnan(agreement.spearman([], []))


def test_spearman_interval_over_two_pairs_says_not_enough_labels():
    # Seen: ρ −1.00 (−1.00–−1.00) from two pairs.
    rho = agreement.spearman_interval(
        np.array([1.0, 2.0]), np.array([2.0, 1.0]), np.arange(2), np.zeros(2)
    )
    assert says_not_enough(rho, 2)


def sme_labels(items, reviewers, passed, scores=None) -> calibration.SmeEvidence:
    n = len(items)
    return calibration.SmeEvidence(
        "r",
        pd.DataFrame(
            {
                "item_id": items,
                "reviewer": reviewers,
                "passed": passed,
                "score": [math.nan] * n if scores is None else scores,
                "stratum": "all",
            }
        ),
    )


def test_sme_agreement_on_one_shared_item_says_not_enough_labels():
    # Seen: α 0.00 (0.00–0.00) from one item two SMEs disagree on.
    result = smes.sme_agreement(sme_labels(["a", "a"], ["x", "y"], [1.0, 0.0]), resamples=50)
    nominal = next(r for r in result.rows if r.figure == "Krippendorff's α (pass/fail)")
    assert says_not_enough(nominal.value, 1) and nominal.items == 1


def test_sme_agreement_when_every_label_agrees_in_one_category_says_so():
    labels = sme_labels(["a", "a", "b", "b"], ["x", "y"] * 2, [1.0] * 4, [5.0, 5.0, 4.0, 4.0])
    result = smes.sme_agreement(labels, resamples=50)
    nominal = next(r for r in result.rows if r.figure == "Krippendorff's α (pass/fail)")
    assert math.isnan(nominal.value.estimate) and "one category" in nominal.value.note


def test_sme_agreement_to_dict_is_a_list_of_rows():
    result = smes.sme_agreement(sme_labels(["a", "a"], ["x", "y"], [1.0, 0.0]), resamples=50)
    out = result.to_dict()
    assert out["items"] == 1
    assert {"pair", "figure", "estimate", "low", "high", "n"} <= set(out["rows"][0])


@pytest.mark.parametrize("items", [1, 2, 3])
def test_sme_agreement_over_a_few_shared_items_has_no_interval(items):
    names = [f"q{i}" for i in range(items)]
    labels = sme_labels(
        [n for n in names for _ in range(2)],
        ["x", "y"] * items,
        [1.0, 0.0, 1.0, 1.0, 0.0, 0.0][: 2 * items],
        [5.0, 2.0, 4.0, 4.0, 1.0, 2.0][: 2 * items],
    )
    result = smes.sme_agreement(labels, resamples=50)
    for row in result.rows:
        if row.figure.startswith(("Krippendorff", "Cohen")):
            assert says_not_enough(row.value, items), row
        assert row.items <= items


def test_sme_agreement_with_one_reviewer_per_item_does_not_divide_by_zero():
    # load_sme reads items two SMEs share; a selection can still leave each item one reviewer.
    labels = sme_labels(["a", "b"], ["x", "y"], [1.0, 0.0])
    result = smes.sme_agreement(labels, resamples=50)
    dissent = [r for r in result.rows if r.figure == smes.DISSENT]
    assert all(r.items == 0 and says_not_enough(r.value, 0) for r in dissent)
    assert not any(" vs " in r.pair for r in result.rows)  # no item both labelled
    assert result.to_dict()["rows"]  # still a table, every row with its reason


def test_figures_when_every_label_and_verdict_agree_in_one_category():
    # 30 pairs, the judge and every SME pass everything: κ is undefined (one category), not 0
    # or 1, and says so; agreement is a plain 100% with its Wilson interval.
    frame = pairs_frame([0.9] * 30, [True] * 30)
    result = calibration.calibrate(calibration.Evidence("r", "m", frame, 0.5), resamples=200)
    kappa = result.unweighted.kappa
    assert math.isnan(kappa.estimate) and "one category" in kappa.note
    assert result.unweighted.agreement.estimate == 1.0
    assert result.unweighted.agreement.low < 1.0
    assert any("30 labelled items" in line for line in result.advice)
