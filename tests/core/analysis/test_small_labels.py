"""Six SME labels (the fresh-eyes walk of issue 11: golden.csv's 6 items, DeepEval's
answer_relevancy on them): the sign-off's judge trust and the calibration JSON must say what
is not computable and why, never "nan", and never contradict their own decision."""

from __future__ import annotations

import json
import math

import pytest

from core import formatting
from core.analysis import calibration
from core.analysis.calibration.figures import MIN_FAILS_FOR_RECALL
from core.analysis.signoff import judge_trust_criterion
from core.analysis.tables import MIN_UNITS
from core.types import Interval
from tests.core.analysis.test_thin_data import pairs_frame

# The walk's answer_relevancy labels: the judge passed all 6, the SMEs failed one.
JUDGE = [0.9] * 6
SME_PASS = [False, True, True, True, True, True]


def six_labels(run_id: str = "run-77d7e273b3"):
    evidence = calibration.Evidence(run_id, "answer_relevancy", pairs_frame(JUDGE, SME_PASS), 0.5)
    return calibration.calibrate(evidence, resamples=200, scores=False)


def test_judge_trust_on_six_labels_says_why_there_is_no_interval_and_what_settles_it():
    result = six_labels()
    kappa = result.weighted.kappa
    assert math.isnan(kappa.low)  # 6 items: under MIN_UNITS, so no bootstrap interval
    criterion = judge_trust_criterion(["answer_relevancy"], {"answer_relevancy": result}, 0.6)
    text = " ".join(criterion.evidence)
    assert "nan" not in text.lower()
    assert "not enough labels: 6 items" in text
    assert "run-77d7e273b3" in text  # which run the κ is on
    assert criterion.status == "NOT ENOUGH EVIDENCE"
    assert criterion.settle is not None
    assert f"{MIN_UNITS - 6} more" in criterion.settle and "run-77d7e273b3" in criterion.settle
    assert "nan" not in json.dumps(criterion.to_dict()).lower()


def test_withheld_recall_and_f1_are_null_with_the_advice_reason_in_both_blocks():
    result = six_labels("run-7653cabd60")
    assert not result.recall_reported
    out = result.to_dict()
    (said,) = [a for a in result.advice if "recall is not reported" in a]
    reason = said.split(": ", 1)[1].split(". ")[0]
    assert f"at least {MIN_FAILS_FOR_RECALL} SME-failed items" in reason
    for block in ("weighted", "unweighted"):
        for name in ("recall", "f1"):
            figure = out[block][name]
            assert figure["estimate"] is None and figure["low"] is None
            assert figure["high"] is None
            assert reason in figure["note"]


@pytest.mark.parametrize(
    "bounds",
    [
        Interval(0.0, math.nan, math.nan),
        Interval(0.5, math.nan, 0.7),
        Interval(0.5, -math.inf, math.inf),
        Interval(math.nan, math.nan, math.nan),
    ],
)
def test_no_formatter_prints_nan_or_inf_for_missing_bounds(bounds):
    shown = [
        formatting.interval(bounds, ".2f"),
        formatting.percent(bounds),
        formatting.pct_interval(bounds),
        formatting.points_interval(bounds),
        formatting.money_interval(bounds, "USD"),
        formatting.ms_interval(bounds),
        formatting.unit_interval(bounds.estimate, bounds.low, bounds.high, "pp"),
        formatting.number(bounds.low, ".2f"),
    ]
    for text in shown:
        assert "nan" not in text.lower() and "inf" not in text.lower()
    if math.isnan(bounds.estimate):
        assert set(shown) == {formatting.MISSING}
