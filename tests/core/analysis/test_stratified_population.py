"""Weighted precision and recall over every stratum of the population, and pools too short to
stand alone (issue 11, a statistician's second reading: items 1 and 3).

References: samplics 0.6.1 (TaylorEstimator, PopParam.ratio: the stratified ratio of weighted
totals with its Taylor-linearised variance and fpc, Wolter's Introduction to Variance
Estimation ch. 6), computed here on the collapsed design written out by hand.
"""

import math
import warnings

import numpy as np
import pytest

from core.analysis import calibration, stratified
from core.analysis.thin import short_pools
from tests.core.analysis.test_thin_data import pairs_frame

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # samplics says it is archived
    from samplics.estimation import TaylorEstimator
    from samplics.utils.types import PopParam

# Five design strata; b/pass holds no label and c/pass one: both join "*/pass" with a/pass.
SIZES = {"a/fail": 40, "b/fail": 30, "a/pass": 300, "b/pass": 117, "c/pass": 200}
STRATA = np.array(["a/fail"] * 5 + ["b/fail"] * 4 + ["a/pass"] * 6 + ["c/pass"])
JUDGE_FAIL = np.char.endswith(STRATA, "/fail")
SME_FAIL = np.array([1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0, 1], dtype=bool)
BOTH = (JUDGE_FAIL & SME_FAIL).astype(float)


def samplics_ratio(y: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """samplics' stratified ratio on the collapsed design: a/fail (N 40, n 5), b/fail (30, 4),
    */pass (300 + 117 + 200 = 617, n 7); each label weighs N_h / n_h, fpc 1 − n_h / N_h."""
    merged = np.array([h if h.endswith("/fail") else "*/pass" for h in STRATA.tolist()])
    sizes = {"*/pass": 617, "a/fail": 40, "b/fail": 30}
    n = {h: int((merged == h).sum()) for h in sizes}
    weights = np.array([sizes[h] / n[h] for h in merged])
    fpc = {h: 1 - n[h] / sizes[h] for h in sorted(sizes)}  # samplics wants them sorted
    estimator = TaylorEstimator(PopParam.ratio)
    estimator.estimate(y=y, x=x, samp_weight=weights, stratum=merged, fpc=fpc)
    return float(estimator.point_est), float(estimator.stderror)


def test_weighted_recall_covers_the_strata_nobody_labelled_as_samplics_does():
    # Issue 11 (second reading, item 1): ratio built its design from the labelled strata,
    # so b/pass (117 items, no label) dropped out of recall's weights. Its items now count
    # in their pool, as proportion's do: samplics on the collapsed design gives R̂ = 0.23615
    # and SE 0.12063.
    recall = stratified.ratio(BOTH, SME_FAIL, STRATA, SIZES)
    estimate, error = samplics_ratio(BOTH, SME_FAIL.astype(float))
    assert recall.estimate == pytest.approx(estimate, rel=1e-9)
    assert recall.standard_error == pytest.approx(error, rel=1e-9)
    assert recall.estimate == pytest.approx(0.236150, abs=1e-6)
    assert "b/pass has 0 of 117 (label 2 more)" in recall.interval.note
    assert "c/pass has 1 of 200 (label 1 more)" in recall.interval.note


def test_weighted_precision_is_samplics_ratio_and_does_not_name_the_pass_strata():
    # Precision's domain (the judge's failures) is the fail pool: the thin pass strata
    # change nothing in it and are not named; samplics gives 0.77857 (SE 0.14621).
    precision = stratified.ratio(BOTH, JUDGE_FAIL, STRATA, SIZES, union=True)
    estimate, error = samplics_ratio(BOTH, JUDGE_FAIL.astype(float))
    assert precision.estimate == pytest.approx(estimate, rel=1e-9)
    assert precision.standard_error == pytest.approx(error, rel=1e-9)
    assert precision.interval.note is None


def calibration_frame():
    """The labels above as calibration's pairs (one label an item, weight N_h / n_h)."""
    frame = pairs_frame([0.2 if f else 0.9 for f in JUDGE_FAIL], ~SME_FAIL)
    frame["design_stratum"] = STRATA
    frame["stratum"] = [h.split("/")[0] for h in STRATA]
    counts = {h: int((h == STRATA).sum()) for h in set(STRATA.tolist())}
    frame["stratum_size"] = [SIZES[h] for h in STRATA]
    frame["weight"] = [SIZES[h] / counts[h] for h in STRATA]
    frame["inclusion_prob"] = 1 / frame["weight"]
    return frame


def test_calibrate_passes_the_population_strata_to_weighted_recall():
    # by_design received the labelled strata's sizes only; Evidence.strata holds every
    # design stratum of the samples, b/pass among them.
    evidence = calibration.Evidence("r", "m", calibration_frame(), 0.5, dict(SIZES))
    weighted = calibration.calibrate(evidence, resamples=50, scores=False).weighted
    estimate, _ = samplics_ratio(BOTH, SME_FAIL.astype(float))
    assert weighted.recall.estimate == pytest.approx(estimate, rel=1e-9)
    assert "b/pass has 0 of 117" in weighted.recall.note


def test_a_pool_without_two_labels_withholds_the_pass_rate_naming_the_pool_and_top_up():
    # Issue 11 (second reading, item 3): merging every stratum into "*" when a whole pool
    # held fewer than 2 labels weighted the pool's 700 items by the other pools' labels,
    # drawn at other rates (10 fail labels and 1 pass label: the estimate leaned on the
    # failures). Such a figure is withheld, with the count, the pool and its top-up.
    sizes = {"a/fail": 60, "b/fail": 40, "a/pass": 500, "b/pass": 200}
    strata = np.array(["a/fail"] * 6 + ["b/fail"] * 4 + ["a/pass"])
    values = np.array([0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1], dtype=float)
    result = stratified.proportion(values, strata, sizes)
    assert math.isnan(result.estimate) and math.isnan(result.interval.low)
    note = result.interval.note
    assert note.startswith("not enough labels: 11 in all")
    assert "the pass pool has 1 of 700 items (label 1 more)" in note
    assert "b/pass has 0 of 200 (label 2 more)" in note
    assert [(p.stratum, p.labels, p.top_up) for p in short_pools(strata, sizes)] == [
        ("*/pass", 1, 1)
    ]
    # Recall (its domain can hide in the pass pool) is withheld too.
    recall = stratified.ratio(values, np.ones(11), strata, sizes)
    assert math.isnan(recall.estimate) and "the pass pool has 1 of 700" in recall.interval.note
    # One more pass label and the pool stands: a figure, its thin strata named.
    more = stratified.proportion(np.append(values, 1), np.append(strata, "b/pass"), sizes)
    assert math.isfinite(more.estimate)
    assert [(t.stratum, t.labels) for t in more.thin] == [("a/pass", 1), ("b/pass", 1)]


def test_precision_is_not_withheld_over_a_pass_pool_its_domain_does_not_reach():
    # Precision's domain is the fail pool: a pass pool with one label (no judge failure in
    # it) cannot change it, so it is not withheld; without any pass label it is.
    sizes = {"a/fail": 60, "a/pass": 500}
    strata = np.array(["a/fail"] * 6 + ["a/pass"])
    judge_fail = np.char.endswith(strata, "/fail").astype(float)
    both = np.array([1, 0, 1, 1, 0, 1, 0], dtype=float)
    precision = stratified.ratio(both, judge_fail, strata, sizes, union=True)
    assert precision.estimate == pytest.approx(4 / 6)
    none = stratified.ratio(both[:6], judge_fail[:6], strata[:6], sizes, union=True)
    assert math.isnan(none.estimate) and "the pass pool has 0 of 500" in none.interval.note


def test_compares_sme_corrected_figure_is_withheld_when_a_pool_is_short():
    # The same rule on Compare: 1 pass label among 700 pass items withholds the StratPPI and
    # SME-only figures (None), and the note names the pool and its top-up.
    from core.analysis.compare.quality import _corrected
    from core.analysis.ppi import PROPORTION

    strata = np.array(["a/fail"] * 100 + ["a/pass"] * 700)
    labelled = np.append(np.arange(10), 100)
    y = np.array([0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1], dtype=float)
    notes: dict[str, list[str]] = {}
    judge = np.where(np.char.endswith(strata, "/fail"), 0.2, 0.9)
    assert _corrected(y, judge, strata, labelled, PROPORTION, "source", notes) is None
    (note,) = notes
    assert note.startswith("not enough labels: 11 in all")
    assert "the pass pool has 1 of 700 items (label 1 more)" in note
    assert notes[note] == ["source"]
