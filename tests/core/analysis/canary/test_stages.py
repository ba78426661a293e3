"""Stage verdicts: PROMOTE, HOLD (saying what is missing) and ROLL BACK (with the evidence),
on the stages of a migration's criteria and the time each has run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from core.analysis.canary import stages as st
from core.catalog.migrations import DEFAULT_CRITERIA

T0 = datetime(2026, 11, 1, 8, 0)
CRITICAL = frozenset({"ttft_p90", "error_rate", "quality_judge"})


@dataclass(frozen=True)
class Check:
    """A check's result as a verdict reads it (the fields of checks.CheckResult it uses)."""

    name: str
    status: str
    estimate: float | None = 0.0
    low: float | None = -1.0
    high: float | None = 1.0
    limit: float | None = 250.0
    unit: str = "ms"
    mde: float | None = 40.0
    n_canary: int = 500
    why: str = ""


def stage(number=2, hours_ago=60.0, now=T0):
    plan = st.stages_of(DEFAULT_CRITERIA, {number: (now - timedelta(hours=hours_ago), "owner")})
    return plan[number - 1]


def test_stages_come_from_the_criteria_with_their_shares_and_hours():
    plan = st.stages_of(DEFAULT_CRITERIA, {})
    # DEFAULT_CRITERIA["canary_stages"] is [[5, 24, 48], [25, 48, 72], [100, 0, 0]].
    assert [(s.number, s.share_pct, s.min_hours, s.max_hours) for s in plan] == [
        (1, 5.0, 24.0, 48.0),
        (2, 25.0, 48.0, 72.0),
        (3, 100.0, 0.0, 0.0),
    ]
    assert st.current(plan) is None
    assert [s.final for s in plan] == [False, False, True]


def test_a_stage_ends_where_the_next_starts_and_the_current_one_at_a_rollback():
    started = {1: (T0, "owner"), 2: (T0 + timedelta(hours=30), "owner")}
    rollback = T0 + timedelta(hours=40)
    plan = st.stages_of(DEFAULT_CRITERIA, started, rollback)
    assert plan[0].ended_at == T0 + timedelta(hours=30)
    assert plan[1].ended_at == rollback
    assert plan[2].ended_at is None
    assert st.current(plan).number == 2
    # Stage 1 ran 30 h, whatever "now" is.
    assert plan[0].hours(T0 + timedelta(days=9)) == pytest.approx(30.0)


def test_a_rolled_back_stage_reports_the_hours_it_ran_before_the_rollback():
    # It showed 0.0 h: a stage rolled back after 10 h ran 10 h, whenever it is read.
    started = {1: (T0, "owner"), 2: (T0 + timedelta(hours=30), "owner")}
    rollback = T0 + timedelta(hours=40)
    plan = st.stages_of(DEFAULT_CRITERIA, started, rollback)
    verdict = st.rolled_back(plan[1], rollback, "owner", "TTFT")
    assert verdict.verdict == st.ROLL_BACK and verdict.hours == pytest.approx(10.0)


def test_a_restart_after_a_rollback_is_the_current_stage():
    started = {1: (T0 + timedelta(hours=50), "owner"), 2: (T0 + timedelta(hours=30), "owner")}
    plan = st.stages_of(DEFAULT_CRITERIA, started)
    assert st.current(plan).number == 1
    assert plan[1].ended_at == T0 + timedelta(hours=50)


def test_promote_when_every_check_is_within_and_the_minimum_time_is_met():
    checks = [Check("ttft_p90", "within"), Check("error_rate", "within", unit="")]
    verdict = st.decide(stage(hours_ago=50), checks, T0, CRITICAL, requests=5000)
    assert verdict.verdict == st.PROMOTE
    assert "minimum 48 h met (50.0 h run)" in verdict.reasons[0]


def test_sme_checks_without_sme_labels_are_named_but_do_not_hold_the_stage():
    checks = [
        Check("ttft_p90", "within"),
        Check("quality_sme", "inconclusive", None, None, None, -2.4, "pp", None, n_canary=0),
        Check("sme_flags", "inconclusive", None, None, None, 0, "count", None, n_canary=0),
    ]
    verdict = st.decide(stage(hours_ago=50), checks, T0, CRITICAL, requests=5000)
    assert verdict.verdict == st.PROMOTE
    assert verdict.reasons[1] == (
        "not measured: quality_sme, sme_flags (no SME labels on canary traffic yet)"
    )
    # With labels, an inconclusive SME check holds like any other.
    checks[1] = Check("quality_sme", "inconclusive", -1.0, -6.0, 4.0, -2.4, "pp", 5.0, 40)
    assert st.decide(stage(hours_ago=50), checks, T0, CRITICAL, requests=5000).verdict == st.HOLD


def test_hold_for_time_says_how_long_it_has_run():
    checks = [Check("ttft_p90", "within")]
    verdict = st.decide(stage(hours_ago=20), checks, T0, CRITICAL, requests=5000)
    assert verdict.verdict == st.HOLD
    assert verdict.reasons == ["time: stage 2 has run 20.0 h of its minimum 48 h"]


def test_hold_for_data_names_the_inconclusive_check_and_its_detectable_effect():
    checks = [Check("ttft_p90", "inconclusive", 120.0, -30.0, 400.0, mde=310.0)]
    verdict = st.decide(stage(hours_ago=50), checks, T0, CRITICAL, requests=300)
    assert verdict.verdict == st.HOLD
    (reason,) = verdict.reasons
    assert reason.startswith(
        "data: ttft_p90 is inconclusive (+120 ms (-30 to +400 ms), limit 250 ms"
    )
    assert "detectable now: 310 ms" in reason


def test_hold_without_traffic():
    verdict = st.decide(stage(hours_ago=50), [], T0, CRITICAL, requests=0)
    assert verdict.verdict == st.HOLD
    assert verdict.reasons == ["data: no traffic ingested for stage 2 yet"]


def test_a_critical_crossing_rolls_back_with_its_interval_as_evidence():
    checks = [
        Check("ttft_p90", "crossed", 312.0, 268.0, 355.0, why="canary p90 above control"),
        Check("error_rate", "within", unit=""),
    ]
    # Even before the minimum time: a crossing does not wait.
    verdict = st.decide(stage(hours_ago=3), checks, T0, CRITICAL, requests=800)
    assert verdict.verdict == st.ROLL_BACK
    assert verdict.evidence == [
        "ttft_p90: +312 ms (+268 to +355 ms) against a limit of 250 ms — canary p90 above control"
    ]
    assert st.EXIT_CODES[verdict.verdict] == 4


def test_a_non_critical_crossing_holds_for_review_instead_of_rolling_back():
    checks = [Check("traffic_split", "crossed", 0.31, 0.29, 0.33, 0.25, unit="")]
    verdict = st.decide(stage(hours_ago=50), checks, T0, CRITICAL, requests=5000)
    assert verdict.verdict == st.HOLD
    # A share is not a difference: unsigned.
    assert verdict.reasons[0].startswith("review: traffic_split: 0.31 (0.29 to 0.33)")


def test_past_the_maximum_time_a_hold_asks_for_a_decision():
    checks = [Check("ttft_p90", "inconclusive")]
    verdict = st.decide(stage(hours_ago=80), checks, T0, CRITICAL, requests=300)
    assert verdict.verdict == st.HOLD
    assert verdict.reasons[-1].startswith("past its maximum of 72 h")


def test_the_full_cutover_stage_promotes_unless_a_critical_check_crossed():
    final = stage(number=3, hours_ago=1)
    assert st.decide(final, [], T0, CRITICAL).verdict == st.PROMOTE
    crossed = [Check("error_rate", "crossed", 0.05, 0.04, 0.06, 1.5, unit="")]
    assert st.decide(final, crossed, T0, CRITICAL).verdict == st.ROLL_BACK


def test_before_the_first_stage_the_verdict_is_hold_and_says_how_to_start():
    verdict = st.not_started(st.stages_of(DEFAULT_CRITERIA, {}))
    assert (verdict.stage, verdict.verdict) == (1, st.HOLD)
    assert "route 5% of traffic" in verdict.reasons[0]
    assert st.EXIT_CODES == {"PROMOTE": 0, "HOLD": 3, "ROLL BACK": 4}


def test_the_traffic_split_is_read_against_its_configured_share_not_a_limit():
    split = Check("traffic_split", "inconclusive", 0.27, 0.18, 0.36, 0.25, "share", 0.09)
    assert st.limit_of(split) == "25.0% configured"
    assert st.bound_of(split) == "against 25.0% configured"
    assert st.bound_of(Check("ttft_p90", "within")) == "limit 250 ms"
    verdict = st.decide(stage(hours_ago=50), [split], T0, CRITICAL, requests=5000)
    assert "(27.0% (18.0 to 36.0%), against 25.0% configured;" in " ".join(verdict.reasons)
