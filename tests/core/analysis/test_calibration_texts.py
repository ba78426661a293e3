"""What the Calibration page says (issue 11, a fresh-eyes tester's findings): the recall
advice counts this metric's judge passes, α ordinal without scores says so, a disagreement
without an explanation shows an empty cell, and a threshold every resample picks is shown
alone with a note, not as a zero-width interval."""

import math

import numpy as np

from core.analysis import calibration
from core.analysis.calibration import figures, smes, views
from tests.core.analysis.test_thin_data import pairs_frame, sme_labels
from ui import calibration_present as present


def test_recall_advice_counts_the_sme_fails_among_this_metrics_judge_passes():
    # Seen: the judge passes 100%, SMEs failed 3 pairs, the advice said "found 0": it counted
    # the sample's 'pass' pool, and these pairs sit in the 'fail' pool of another metric.
    sme_pass = [False] * 3 + [True] * 27
    frame = pairs_frame(np.linspace(0.6, 0.95, 30), sme_pass)
    assert frame["judge_pass"].all() and (frame["design_stratum"] == "all/fail").all()
    result = calibration.calibrate(calibration.Evidence("r", "m", frame, 1.0), resamples=200)
    expected = int((frame["judge_pass"] & ~frame["sme_pass"]).sum())  # 3, counted here
    assert expected == 3 and not result.recall_reported
    text = " ".join(result.advice)
    assert (
        f"needs at least {figures.MIN_FAILS_FOR_RECALL} SME-failed items among the judge's"
        f" passes, found {expected}." in text
    )


def test_recall_is_reported_once_this_metrics_judge_passes_hold_enough_sme_fails():
    sme_pass = [False] * 6 + [True] * 24
    frame = pairs_frame(np.linspace(0.6, 0.95, 30), sme_pass)
    result = calibration.calibrate(calibration.Evidence("r", "m", frame, 1.0), resamples=200)
    assert result.recall_reported
    assert not any("recall is not reported" in a for a in result.advice)


def test_alpha_ordinal_without_scores_says_pass_fail_only():
    # Seen: "0 items, every label is in one category" where no SME gave a 1-5 score.
    labels = sme_labels(["a", "a", "b", "b", "c", "c"], ["x", "y"] * 3, [1.0, 0.0, 1, 1, 0, 0])
    result = smes.sme_agreement(labels, resamples=50)
    assert result.alpha_ordinal is not None
    assert math.isnan(result.alpha_ordinal.estimate)
    assert result.alpha_ordinal.note == "no 1–5 scores (pass/fail only)"
    row = present.sme_table(result).set_index("figure").loc[smes.ALPHA_ORDINAL]
    assert row["estimate (95% interval)"] == "no 1–5 scores (pass/fail only)"


def test_a_disagreement_without_an_explanation_shows_an_empty_cell():
    frame = pairs_frame([0.9, 0.2, 0.8], [False, True, True]).assign(
        explanation=[None, "too terse", None], notes=None, failure_modes=None
    )
    shown = present.disagreements_table(frame)
    assert len(shown) == 2
    assert set(shown["explanation"]) == {"", "too terse"}
    assert not shown[["explanation", "notes", "failure_modes"]].isna().any().any()


def test_the_page_shows_disagreements_with_headings_verdicts_and_rounded_scores():
    # Seen in the browser: 'judge_score 0.8333333', 'sme_pass True', '[hallucination]'.
    frame = pairs_frame([0.8333333, 0.2, 0.8], [False, True, True]).assign(
        explanation=None, notes=None, failure_modes=[["hallucination", "omission"], [], []]
    )
    shown = present.disagreements_shown(present.disagreements_table(frame))
    assert {"Item", "Judge score", "Judge pass", "SME score", "SME pass", "Failure modes"} <= set(
        shown.columns
    )
    first = shown.iloc[0]
    assert first["Judge score"] == "0.833" and first["Judge pass"] == "pass"
    assert first["SME pass"] == "fail"
    assert first["Failure modes"] == "hallucination, omission"


def test_a_threshold_every_resample_picks_is_shown_alone_with_a_note():
    # Seen: "0.45 (0.45–0.45)". SMEs pass exactly the items the judge scores at 0.45 or above
    # (scores 0.3/0.6 only), so every threshold in (0.30, 0.60] separates them perfectly and
    # the first such grid point, 0.35, is the maximiser in every resample.
    scores = np.array([0.3] * 20 + [0.6] * 20)
    frame = pairs_frame(scores, scores > 0.45)
    best = views.sweep(frame, resamples=200).best
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    assert best.estimate == grid[grid > 0.3][0]
    assert math.isnan(best.low) and math.isnan(best.high)
    assert best.note == "every resample picks this threshold"
    line = present.threshold_line(
        calibration.calibrate(calibration.Evidence("r", "m", frame, 0.5), resamples=50), best
    )
    assert "0.35 (every resample picks this threshold)" in line and "0.35–0.35" not in line
