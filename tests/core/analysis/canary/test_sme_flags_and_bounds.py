"""Two figures a tester found wrong on the Canary page: an SME safety flag on canary traffic
that did not roll back (sme_flags is a count against its limit, not a confidence sequence),
and an SME-corrected quality difference outside ±100 pp (the parameter is a difference of two
pass rates, so its reported interval lies in [−1, 1])."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from core.analysis.canary import checks, limits, stages
from core.analysis.signoff.canary import _checks as plan_checks
from core.catalog.migrations import DEFAULT_CRITERIA
from core.store import settings
from tests.core.analysis.canary.test_checks import LIMITS, traffic

T0 = datetime(2026, 11, 1, 8, 0)


def _flags(frame: pd.DataFrame, canary: list[bool], control: list[bool]) -> pd.DataFrame:
    """SME labels on the first requests of each arm: ``canary``/``control`` their flags."""
    flags = pd.array([None] * len(frame), dtype="boolean")
    for arm, values in (("canary", canary), ("control", control)):
        where = np.flatnonzero((frame.arm == arm).to_numpy())[: len(values)]
        flags[where] = values
    return frame.assign(sme_flag=flags)


def _verdict(found: list[checks.CheckResult]) -> stages.StageVerdict:
    plan = stages.stages_of(DEFAULT_CRITERIA, {2: (T0 - timedelta(hours=60), "owner")})
    critical = frozenset(settings.SETTINGS["canary_critical_checks"].default.split(","))
    return stages.decide(plan[1], found, T0, critical, requests=400)


def test_one_sme_safety_flag_on_canary_traffic_rolls_back_with_its_count_as_evidence():
    # The tester's case: the control arm is reviewed too (19 labels, none flagged) and one of
    # 15 reviewed canary responses is flagged. Limit 0 (limits.DEFAULTS): any flag crosses.
    frame = _flags(traffic(400, seed=3), [True] + [False] * 14, [False] * 19)
    found = checks.run_checks(frame, LIMITS)
    flag = {c.name: c for c in found}["sme_flags"]
    assert (flag.estimate, flag.low, flag.high) == (1, 1, 1)  # a count: no bound below 0
    assert flag.status == "crossed" and flag.limit == 0
    assert "1 SME safety flag on canary traffic" in flag.why
    verdict = _verdict(found)
    assert verdict.verdict == stages.ROLL_BACK
    assert any("1 SME safety flag on canary traffic" in line for line in verdict.evidence)


def test_flags_on_the_control_arm_alone_do_not_roll_back():
    frame = _flags(traffic(400, seed=3), [False] * 15, [True, True, True] + [False] * 16)
    flag = {c.name: c for c in checks.run_checks(frame, LIMITS)}["sme_flags"]
    assert (flag.estimate, flag.low, flag.high) == (0, 0, 0)
    assert flag.status == "within"
    assert flag.n_control == 19 and flag.n_canary == 15


def test_a_limit_above_zero_allows_that_many_flags():
    frame = _flags(traffic(400, seed=3), [True, True] + [False] * 13, [False] * 19)
    two = checks.CanaryLimits(**{**LIMITS.to_dict(), "sme_flag_limit": 2})
    flag = {c.name: c for c in checks.run_checks(frame, two)}["sme_flags"]
    assert flag.status == "within" and flag.estimate == 2
    three = _flags(traffic(400, seed=3), [True, True, True] + [False] * 12, [False] * 19)
    flag = {c.name: c for c in checks.run_checks(three, two)}["sme_flags"]
    assert flag.status == "crossed" and "3 SME safety flags on canary traffic" in flag.why


def test_the_plans_safety_trigger_states_the_limit_the_check_applies():
    class NoSpeed:  # the plan's speed and cost figures are not what this test reads
        ttft = ()

    class NoCost:
        target = None

    _checks0, triggers = plan_checks({"quality_margin": 0.03}, {}, NoSpeed(), NoCost())
    assert any(
        "any SME-flagged hallucination or safety flag on canary traffic" in t for t in triggers
    )
    crit = {"quality_margin": 0.03, "canary_sme_flag_limit": 2}
    _checks2, triggers = plan_checks(crit, {}, NoSpeed(), NoCost())
    assert any("more than 2 SME-flagged" in t for t in triggers)
    # ... and the limits' basis, as the Canary page lists it, says the same
    basis = limits.derive(DEFAULT_CRITERIA, 0.9, 800.0, 1500.0, None).basis
    assert "SME safety flags on canary traffic: at most 0, counted (any flag rolls back)" in basis


def test_sme_corrected_quality_is_reported_within_plus_minus_100_points():
    # The tester's case by hand, draw rates 10% of failures and 2% of passes, one SME label per
    # arm (arrivals.SME_TERMS: z = judge + drawn·(sme − judge)/π):
    # control, 19 requests: 17 judge passes (z = 1), 2 failures, one drawn and passed by the
    #   SME: z = 0 + (1 − 0)/0.1 = 10 → mean (17 + 10)/19 = 1.42, above any pass rate;
    # canary, 15 requests: 13 passes, one drawn and failed by the SME: z = 1 + (0 − 1)/0.02
    #   = −49, 2 failures → mean (12 − 49)/15 = −2.47, below any pass rate.
    # Raw difference −389 pp; each arm's rate lies in [0, 1], so the reported difference
    # lies in [−100, +100] pp, its estimate at 0 − 1 = −100 pp.
    control_z = [1.0] * 17 + [0.0, 10.0]
    control_pi = [0.02] * 17 + [0.1, 0.1]
    canary_z = [1.0] * 12 + [-49.0, 0.0, 0.0]
    canary_pi = [0.02] * 13 + [0.1, 0.1]
    frame = traffic(34, seed=1)
    arm = np.array(["control"] * 19 + ["canary"] * 15)
    frame = frame.assign(
        arm=arm,
        judge_passed=np.array([True] * 17 + [False] * 2 + [True] * 13 + [False] * 2),
        sme_z=control_z + canary_z,
        sme_pi=control_pi + canary_pi,
    )
    assert np.mean(canary_z) - np.mean(control_z) < -3.8  # the running means stay unclipped
    sme = {c.name: c for c in checks.run_checks(frame, LIMITS)}["quality_sme"]
    assert (sme.n_control, sme.n_canary) == (19, 15)
    assert -100 <= sme.low <= sme.estimate <= sme.high <= 100
    assert sme.estimate == -100
    assert sme.mde is not None and sme.mde <= 100
    assert sme.status == "inconclusive"
    assert stages.figure(sme) == "-100.0 pp (-100.0 to +100.0 pp)"
