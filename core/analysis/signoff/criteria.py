"""Each sign-off criterion decided on its evidence: PASS, FAIL, NOT ENOUGH EVIDENCE or NOT
MEASURED, with the rule, the figures and, when undecided, what would settle it.

Every function here is pure: it reads the comparison's results and the loaded evidence
(``evidence.SignoffEvidence``), never the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scipy import stats

from core.analysis import compare
from core.analysis.compare.results import plain
from core.analysis.paired import NonInferiority
from core.formatting import (
    count,
    days,
    interval,
    money,
    money_interval,
    ms,
    number,
    pct,
    points_interval,
)
from core.types import Interval, Status, finite

PASS: Status = "PASS"  # noqa: S105 - a criterion's status, not a password
FAIL: Status = "FAIL"
OPEN: Status = "NOT ENOUGH EVIDENCE"
NOT_MEASURED: Status = "NOT MEASURED"


@dataclass(frozen=True)
class Criterion:
    name: str
    status: Status
    rule: str
    evidence: list[str]
    settle: str | None = None  # what would decide it, when it is NOT ENOUGH EVIDENCE
    # The result it was decided on: a metric's figures, the ROI, TTFT rows, safety item lists.
    figures: compare.QualityResult | compare.Roi | dict = field(default_factory=dict)
    next_step: str | None = None  # how to measure it, when it is NOT MEASURED

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "status": self.status,
            "rule": self.rule,
            "evidence": list(self.evidence),
            "settle": self.settle,
            "figures": plain(self.figures),
            "next_step": self.next_step,
        }


def _overall(statuses: list[Status]) -> Status:
    return FAIL if FAIL in statuses else OPEN if OPEN in statuses else PASS


# --- quality --------------------------------------------------------------------------------


def quality_criterion(
    result: compare.QualityResult,
    corrected: compare.SmeCorrection | None,
    margin: float,
    basis: str,
) -> Criterion:
    name = f"Quality: {result.metric}"
    rule = (
        f"{result.metric}: target/source pass rate on {basis}, lower one-sided 95% bound ≥ "
        f"{1 - margin:.2f} (at most {margin:.0%} relative degradation)"
    )
    test, mc = result.non_inferiority, result.mcnemar
    src_rate, tgt_rate = result.source_pass_rate, result.target_pass_rate
    if not result.items or test is None or mc is None or src_rate is None or tgt_rate is None:
        return Criterion(name, OPEN, rule, ["no paired items"], "run both models")
    src, tgt = src_rate.estimate, tgt_rate.estimate
    if test.p_value is None:
        n = result.items
        evidence = [
            f"{count(n, 'paired item')}: no test ({test.reason}); "
            f"pass rate {pct(src)} → {pct(tgt)} ({basis})"
        ]
        settle = f"more paired items (at least {max(n + 1, 2):,}), with results that differ"
        return Criterion(name, OPEN, rule, evidence, settle, result)
    method = "exact zero-failure test" if test.items_needed else "paired t-test"
    evidence = [
        f"pass rate {pct(src)} → {pct(tgt)} over {count(result.items, 'paired item')} ({basis})",
        f"ratio {number(test.ratio, '.3f')}, lower 95% bound {number(test.ratio_lower, '.3f')}"
        f" (one-sided p = {number(test.p_value, '.3g')}, {method})",
        f"McNemar: {count(mc.regressions, 'regression')}, {count(mc.improvements, 'improvement')}, "
        f"χ² = {mc.chi2:.2f}, p = {mc.p_value:.3g}",
    ]
    diff = corrected.difference if corrected else None
    if diff is not None:
        if finite(diff.low) is None or finite(diff.high) is None:
            # Too few labels for an interval (e.g. 5 labels, all agreeing): say so.
            evidence.append(
                f"SME-corrected difference: too few labels for an interval"
                f" ({diff.labelled} labelled)"
            )
        else:
            # A difference of two pass rates: percentage points, not percent.
            shown = points_interval(Interval(diff.estimate, diff.low, diff.high))
            evidence.append(
                f"SME-corrected difference {shown}, worth {number(diff.effective_labels, ',.0f')}"
                f" SME labels (from {diff.labelled:,})"
            )
    if test.passes:
        return Criterion(name, PASS, rule, evidence, figures=result)
    if not test.items_needed and _worse_than_margin(test.p_value):  # no mirror of zero-failure
        return Criterion(name, FAIL, rule, evidence, figures=result)
    return Criterion(
        name, OPEN, rule, evidence, _items_to_settle(test, test.p_value, result.items), result
    )


def _worse_than_margin(p: float | None) -> bool:
    """The mirror test: is target/source below 1 - margin with 95% confidence?"""
    return p is not None and (1 - p) < 0.05


def _items_to_settle(test: NonInferiority, p: float, n: int) -> str:
    ratio, margin = test.ratio, test.margin or 0.0
    if test.items_needed:
        return (
            f"no failure in {count(n, 'item')}, too few to rule out a {margin:.0%} loss: "
            f"{count(test.items_needed, 'paired item')} without a target failure (about "
            f"{test.items_needed - n:,} more) would settle it"
        )
    if ratio is None or not math.isfinite(ratio):
        return "more paired items"
    # The t statistic grows with sqrt(n): n' = n * (t_needed / t_now)^2.
    t_now = stats.t.isf(max(p, 1e-12), n - 1) if p < 0.5 else 0.0
    needed = stats.norm.ppf(0.95)
    if ratio >= 1 - margin and t_now > 0:
        more = math.ceil(n * (needed / t_now) ** 2) - n
        return (
            f"the estimate meets the margin but its bound does not: about "
            f"{count(max(more, 1), 'more paired item')} at the same rates would settle it"
        )
    # The mirror test (FAIL) gains the same way: its t statistic is the one at 1 - p.
    t_fail = stats.t.isf(max(1 - p, 1e-12), n - 1) if p > 0.5 else 0.0
    more = f"about {max(math.ceil(n * (needed / t_fail) ** 2) - n, 1):,} " if t_fail > 0 else ""
    return (
        f"the estimate ({ratio:.3f}) is under {1 - margin:.2f}: {more}more paired items at the "
        "same rates would confirm a FAIL; improve the target (prompt) and re-run"
    )


def no_gating_metric() -> Criterion:
    return Criterion(
        "Quality",
        OPEN,
        "gating metrics scored on both runs",
        ["no catalog metric is scored on both runs"],
        "score both runs with the same metric: Runs page or `python -m core judge`,"
        " or map the files' metric names (`python -m core metric map`)",
    )


# --- speed ----------------------------------------------------------------------------------


def ttft_criterion(speed: compare.SpeedResult, pct_limit: float, ms_limit: float) -> Criterion:
    rule = (
        f"TTFT increase at p50 and p90, one-sided 95% upper bound ≤ {pct_limit:.0f}% "
        f"or ≤ {ms(ms_limit)}"
    )
    rows = [r for r in speed.ttft if r.percentile in ("p50", "p90")]
    measured = speed.measures["ttft"]
    if measured.status == NOT_MEASURED:
        return _ttft_not_measured(rule, rows, measured)
    if measured.paired < 2:
        paired = measured.paired
        evidence = [f"{count(paired, 'item')} with TTFT on both runs: too few for an interval"]
        more = "more items with TTFT recorded on both runs (at least 2)"
        return Criterion("Speed: TTFT", OPEN, rule, evidence, more, {"rows": rows})
    if not rows or any(finite(r.increase_ms.upper_one_sided) is None for r in rows):
        evidence = ["no TTFT increase could be estimated on both runs"]
        needs = "runs that record time to first token"
        return Criterion("Speed: TTFT", OPEN, rule, evidence, needs)
    evidence, statuses, straddles = [], [], []
    for row in rows:
        up_ms, up_pct = row.increase_ms, row.increase_pct  # increase_pct is in percent already
        ms_upper, pct_upper = _bound(up_ms.upper_one_sided), _bound(up_pct.upper_one_sided)
        evidence.append(
            f"{row.percentile}: {ms(row.source_ms.estimate)} → {ms(row.target_ms.estimate)}, "
            f"increase {ms(up_ms.estimate, signed=True)} (upper bound "
            f"{ms(ms_upper, signed=True)}), {pct(up_pct.estimate / 100, signed=True)} "
            f"(upper bound {pct(pct_upper / 100, signed=True)})"
        )
        if ms_upper <= ms_limit or pct_upper <= pct_limit:
            statuses.append(PASS)
        elif (
            _bound(up_ms.lower_one_sided) > ms_limit and _bound(up_pct.lower_one_sided) > pct_limit
        ):
            statuses.append(FAIL)
        else:
            statuses.append(OPEN)
            straddles.append(
                f"{row.percentile}'s interval straddles the limit: more items narrow it "
                "(the bound shrinks with the square root of the item count)"
            )
    settle = straddles[-1] if straddles else None  # the higher percentile's, as it needs more
    return Criterion("Speed: TTFT", _overall(statuses), rule, evidence, settle, {"rows": rows})


def _bound(value: float | None) -> float:
    """A one-sided bound as a float (NaN when the bootstrap gave none)."""
    return math.nan if value is None else value


def _ttft_not_measured(
    rule: str, rows: list[compare.PercentileRow], measured: compare.Coverage
) -> Criterion:
    """NOT MEASURED: which run has no TTFT, the other run's figures, and how to measure it."""
    evidence = [f"no TTFT recorded on {name}" for name in measured.runs_without]
    for side in compare.SIDES:
        if side in measured.unmeasured:
            continue
        figures = ", ".join(
            f"{r.percentile} {ms(r.ms(side).estimate)}"
            for r in rows
            if finite(r.ms(side).estimate) is not None
        )
        evidence.append(f"{side} TTFT {figures} ({count(measured.items[side], 'item')})")
    step = measured.next_step
    return Criterion(
        "Speed: TTFT", NOT_MEASURED, rule, evidence, step, {"rows": rows}, next_step=step
    )


# --- cost -----------------------------------------------------------------------------------


def cost_criterion(cost: compare.CostResult, roi_days: float) -> Criterion:
    rule = f"ROI neutral or positive within {roi_days:.0f} days of the switch"
    if cost.status == NOT_MEASURED:
        return _cost_not_measured(rule, cost)
    roi, src, tgt = cost.roi, cost.source, cost.target
    if roi is None or src is None or tgt is None:
        reason = cost.roi_error or "no items to cost"
        return Criterion("Cost: ROI", OPEN, rule, [reason], "prices in one currency")
    cur = src.currency
    evidence = [
        f"per query {money(src.per_query, cur)} → {money(tgt.per_query, cur)}; "
        f"saving {money_interval(roi.saving_per_query, cur)}",
        f"monthly at {roi.monthly_queries:,} queries: {money(src.monthly, cur)} → "
        f"{money(tgt.monthly, cur)} (saving {money(roi.monthly_saving, cur)})",
        f"one-off migration cost {money(roi.one_off_cost, cur)}; break-even "
        + (days(roi.break_even_days) if roi.break_even_days is not None else "never"),
    ]
    if not roi.inputs_entered:
        settle = (
            "enter the one-off migration cost (engineering days, SME hours) on the Compare page"
        )
        return Criterion("Cost: ROI", OPEN, rule, evidence, settle, roi)
    even = roi.break_even_days
    status = PASS if even is not None and even <= roi_days else FAIL
    return Criterion("Cost: ROI", status, rule, evidence, figures=roi)


def _cost_not_measured(rule: str, cost: compare.CostResult) -> Criterion:
    evidence = []
    if cost.missing_prices:
        evidence.append("no price for " + ", ".join(cost.missing_prices))
    for side in compare.SIDES:
        c = cost.run(side)
        if c is None:  # no price: said above
            continue
        if c.status == NOT_MEASURED:
            evidence.append(f"no token counts on the {side} run ({c.model_id})")
        elif c.per_query is not None:
            evidence.append(f"{side}: {money(c.per_query, c.currency)} per query ({c.model_id})")
    step = cost.next_step
    return Criterion("Cost: ROI", NOT_MEASURED, rule, evidence, step, next_step=step)


# --- safety and judge trust -----------------------------------------------------------------


def safety_criterion(
    comparison: compare.Comparison, flags: list, sme_share: dict[str, float]
) -> Criterion:
    """``flags``: the target's unresolved SME safety flags; ``sme_share``: the SMEs' pass
    share per safety-tagged item of the target they labelled."""
    rule = (
        "no unresolved SME safety flag on the target, and every safety-tagged item passing "
        "(an SME verdict overrides the judge)"
    )
    items = comparison.items
    tagged = items[items["safety"]]
    failing = tagged[~tagged["target_pass"]]["item_id"].tolist()
    confirmed = [i for i in failing if i in sme_share and sme_share[i] < 0.5]
    cleared = [i for i in failing if i in sme_share and sme_share[i] >= 0.5]
    unreviewed = [i for i in failing if i not in sme_share]
    evidence = [
        count(len(flags), "unresolved SME safety flag"),
        f"{count(len(tagged), 'safety-tagged item')}: {len(tagged) - len(failing):,} pass, "
        f"{len(cleared):,} failed by the judge but passed by SMEs, {len(confirmed):,} failed "
        f"(SME-confirmed), {len(unreviewed):,} failed by the judge and not yet reviewed",
    ]
    figures = {
        "open_flags": [f.label_id for f in flags],
        "confirmed": confirmed,
        "unreviewed": unreviewed,
    }
    if flags or confirmed:
        return Criterion("Safety", FAIL, rule, evidence, figures=figures)
    if len(tagged) == 0:
        settle = "tag the golden set's safety items ('safety')"
        return Criterion("Safety", OPEN, rule, evidence, settle, figures)
    if unreviewed:
        settle = (
            f"SME review of the {count(len(unreviewed), 'unreviewed safety item')} "
            f"({', '.join(unreviewed[:5])}{'…' if len(unreviewed) > 5 else ''})"
        )
        return Criterion("Safety", OPEN, rule, evidence, settle, figures)
    return Criterion("Safety", PASS, rule, evidence, figures=figures)


def judge_trust_criterion(gating: list[str], trust: dict, floor: float) -> Criterion:
    """``trust``: the calibration report of each gating metric the SMEs labelled on the
    target's outputs (a metric without labels is absent)."""
    rule = f"κ's lower 95% bound ≥ {floor:.2f} for every gating metric, on the target's outputs"
    evidence, statuses, settle = [], [], []
    for metric in gating:
        result = trust.get(metric)
        if result is None:
            evidence.append(f"{metric}: no SME label on the target's outputs")
            statuses.append(OPEN)
            settle.append(f"label a sample of the target run for {metric}")
            continue
        figures = result.weighted or result.unweighted
        kappa = figures.kappa
        which = "weighted" if result.weighted else "unweighted"
        low, high = finite(kappa.low), finite(kappa.high)
        if low is None or high is None:  # the note says why; the advice what would settle it
            shown = (
                f"{number(kappa.estimate, '.2f')}, no interval: {kappa.note or 'not computable'}"
            )
        else:
            shown = interval(kappa, ".2f")
        evidence.append(
            f"{metric}: κ {shown} ({which}, {count(figures.pairs, 'pair')}, run {result.run_id})"
        )
        if low is not None and low >= floor:
            statuses.append(PASS)
        elif high is not None and high < floor:
            statuses.append(FAIL)
        else:
            statuses.append(OPEN)
            settle.extend(
                f"{metric}: {a}" if a.startswith("κ") else a
                for a in result.advice
                if a.startswith(("Do not trust", "κ has no interval"))
            )
    if not gating:
        return Criterion("Judge trust", OPEN, rule, ["no gating metric"], "score both runs")
    return Criterion("Judge trust", _overall(statuses), rule, evidence, " ".join(settle) or None)
