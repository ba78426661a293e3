"""Non-inferiority on the two holdout items of the real DeepEval runs (tests/data/real):
no figure may be impossible (a ratio's bound below 0) or claim certainty from 2 items."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from core.analysis.paired import non_inferiority

DATA = Path(__file__).resolve().parents[2] / "data"
MARGIN = 0.03


def holdout_passes(folder: str, metric: str) -> np.ndarray:
    """DeepEval's own success flags for ``metric`` on the golden set's holdout items."""
    holdout = [
        r["id"] for r in csv.DictReader((DATA / "golden.csv").open()) if r["split"] == "holdout"
    ]
    run = json.loads(next((DATA / "real" / folder).glob("test_run_*.json")).read_text())
    cases = {c["name"]: c for c in run["testCases"]}
    return np.array(
        [
            float(next(m["success"] for m in cases[i]["metricsData"] if m["name"] == metric))
            for i in holdout
        ]
    )


def pair(metric: str) -> tuple[np.ndarray, np.ndarray]:
    return holdout_passes("deepeval_target", metric), holdout_passes("deepeval_source", metric)


def test_two_items_passing_on_both_runs_do_not_pass_non_inferiority():
    target, source = pair("Answer Relevancy")
    assert list(target) == list(source) == [1.0, 1.0]  # no spread: no t statistic
    test = non_inferiority(target, source, MARGIN)
    assert not test.passes
    # Zero failures in n items: the exact one-sided p-value of "target fails a share >= margin"
    # is (1 - margin)^n, the binomial probability of no failure (scipy.stats.binom).
    assert test.p_value == pytest.approx(stats.binom.pmf(0, 2, MARGIN))
    # The ratio's bound: 1 minus the Clopper-Pearson one-sided 95% upper bound for 0 of 2
    # (scipy's binomtest), about 0.224, not 1.000.
    upper = stats.binomtest(0, 2, 0.5, alternative="less").proportion_ci(0.95).high
    assert test.ratio_lower == pytest.approx(1 - upper)
    # It needs ln(0.05) / ln(0.97) = 98.4 -> 99 such items to pass.
    assert test.items_needed == math.ceil(math.log(0.05) / math.log(1 - MARGIN)) == 99
    assert non_inferiority(np.ones(99), np.ones(99), MARGIN).passes
    assert not non_inferiority(np.ones(98), np.ones(98), MARGIN).passes


@pytest.mark.parametrize("metric", ["Bias", "Faithfulness", "Hallucination", "Toxicity"])
def test_a_ratio_of_pass_rates_never_has_a_negative_bound(metric):
    target, source = pair(metric)
    assert sorted(target) == [0.0, 1.0] and list(source) == [1.0, 1.0]
    test = non_inferiority(target, source, MARGIN)
    assert test.ratio == 0.5
    # Fieller's set on these 2 items reaches -2.657; a ratio of pass rates is >= 0, so the
    # bound is the set cut to [0, inf): 0.
    assert test.ratio_lower == 0.0
    # The decision is still the paired t-test's (scipy).
    d = target - (1 - MARGIN) * source
    assert test.p_value == pytest.approx(stats.ttest_1samp(d, 0.0, alternative="greater").pvalue)
    assert not test.passes


def test_every_item_regressing_on_two_items_is_not_a_certain_fail():
    target, source = pair("Correctness [GEval]")
    assert list(target) == [0.0, 0.0] and list(source) == [1.0, 1.0]
    test = non_inferiority(target, source, MARGIN)
    # No spread, so no t-test: no p-value to read as certainty either way.
    assert test.p_value is None and test.passes is None
    assert test.ratio == 0.0 and test.reason


def criterion(metric: str, margin: float = MARGIN):
    import pandas as pd

    from core.analysis.compare.quality import quality
    from core.analysis.signoff import quality_criterion

    target, source = pair(metric)
    items = pd.DataFrame(
        {
            "source_pass.m": source,
            "target_pass.m": target,
            "source_score.m": source,
            "target_score.m": target,
        }
    )
    return quality_criterion(quality(items, "m", margin), None, margin, "holdout")


def test_the_signoff_reads_two_holdout_items_as_not_enough_evidence_with_the_items_needed():
    relevancy = criterion("Answer Relevancy")
    assert relevancy.status == "NOT ENOUGH EVIDENCE"
    assert "99 paired items without a target failure (about 97 more)" in relevancy.settle
    assert "lower 95% bound 0.224" in relevancy.evidence[1]
    bias = criterion("Bias")
    assert "-" not in bias.evidence[1].split("bound ")[1].split(" ")[0]
    # How many items would confirm the FAIL: the t statistic of the mirror test grows with
    # sqrt(n), n' = n (z_0.95 / t_now)^2, t_now from scipy's t at the mirror p-value.
    p = bias.figures.non_inferiority.p_value
    grown = math.ceil(2 * (stats.norm.ppf(0.95) / stats.t.isf(1 - p, 1)) ** 2) - 2
    assert f"about {grown} more paired items" in bias.settle and grown == 5
    correctness = criterion("Correctness [GEval]")
    assert correctness.status == "NOT ENOUGH EVIDENCE"
    assert "same outcome" in correctness.evidence[0] and correctness.settle


def test_no_failure_on_either_run_is_never_read_as_a_fail():
    # At a 1% margin, p = 0.99^2 = 0.98: its complement is under 0.05, yet nothing failed.
    assert criterion("Answer Relevancy", margin=0.01).status == "NOT ENOUGH EVIDENCE"
