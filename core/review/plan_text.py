"""The sample-size plan in words: one sentence an evaluation owner can act on, and where the
expected pass rates and κ come from (core.review.planning computes the plan)."""

from __future__ import annotations

from core.review.design import SampleParams
from core.review.planning import HalfWidths, Priors, SamplePlan


def _points(value: float) -> str:
    return f"±{100 * value:.1f} points"


def _both(widths: HalfWidths) -> str:
    """'the pass rate ±3.0 points and κ ±0.10' (the pass rate alone when κ is undefined)."""
    text = f"the pass rate {_points(widths.pass_rate)}"
    return text if widths.kappa is None else f"{text} and κ ±{widths.kappa:.2f}"


def summary(result: SamplePlan, rates: SampleParams) -> str:
    """One sentence an evaluation owner can act on."""
    planned, now = result.planned, result.drawn
    unplanned = (
        ""
        if result.expected_kappa is not None
        else " κ is not planned: under these pass rates one of its margins is empty."
    )
    if now is None:
        design = f"{100 * rates.fail_rate:g}%/{100 * rates.pass_rate:g}%"
        return (
            f"Neyman allocation: {planned.labels} labels give {_both(planned)}. The {design}"
            f" design takes {result.design.labels} labels for {_both(result.design)}.{unplanned}"
        )
    if result.more == 0:
        return (
            f"The sample's {now.labels} items already reach the targets once labelled:"
            f" {_both(now)}.{unplanned}"
        )
    where = ", ".join(f"{s.stratum}/{s.pool} +{s.more}" for s in result.strata if s.more)
    kappa = (
        ""
        if now.kappa is None or planned.kappa is None
        else f" and κ's from ±{now.kappa:.2f} to ±{planned.kappa:.2f}"
    )
    return (
        f"{result.more} more labels (in strata {where}) would bring the pass rate's half-width"
        f" from {_points(now.pass_rate)} to {_points(planned.pass_rate)}{kappa}.{unplanned}"
    )


def expectation(result: SamplePlan, earlier: Priors | None) -> str:
    """Where the expected SME pass rates come from and what they imply: the population pass
    rate and a κ that is the rates' consequence, not a measurement (Calibration measures κ
    per judge metric; the plan's pools stand in for the judge's verdict)."""
    p = result.priors
    read = (
        earlier is not None
        and abs(p.fail - earlier.fail) < 6e-4
        and abs(p.passed - earlier.passed) < 6e-4
    )
    if earlier is not None and read:
        source = (
            f"read from {earlier.labels} labelled items of this migration's samples (by the"
            " sample's judge pool, each rate pulled half a label towards 50%)"
        )
    else:
        source = "assumed: set them on the page" + (
            "" if earlier else " (no labels yet in both judge pools of this migration's samples)"
        )
    text = (
        f"Expected SME pass rates, {p.fail:.1%} where the judge failed and {p.passed:.1%} where"
        f" it passed, are {source}. Over the pools' sizes they give a population pass rate of"
        f" {result.expected_pass_rate:.1%}"
    )
    if result.expected_kappa is None:
        return f"{text}; κ is undefined under them (one of its margins is empty)."
    return (
        f"{text} and a κ of {result.expected_kappa:.2f}: the κ these rates imply, not measured."
        " Calibration measures κ per judge metric on the labels and can differ; change the"
        " rates to plan for another κ."
    )
