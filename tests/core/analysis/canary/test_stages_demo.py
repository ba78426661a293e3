"""The demo's canary: stage 1 promoted on its stored verdict, stage 2 holding for time while
the canary's multi-hop answers slow down hour by hour; the traffic is marked synthetic."""

from __future__ import annotations

from datetime import timedelta

from core.analysis.canary import stages, status
from core.demo import traffic


def test_demo_stage_1_passed_and_stage_2_holds_for_time(demo_con):
    con = demo_con(200)
    (mid,) = con.execute("SELECT migration_id FROM migration").fetchone()
    stored = con.execute(
        "SELECT stage, verdict, decided_by FROM canary_verdict ORDER BY verdict_id"
    ).fetchall()
    assert stored == [(1, "PROMOTE", "demo"), (2, "HOLD", "demo")]
    result = status.status(con, mid, actor="tester", record=False)
    assert result.synthetic
    assert (result.verdict.stage, result.verdict.verdict) == (2, stages.HOLD)
    assert result.verdict.reasons[0].startswith("time: stage 2 has run 24.0 h of its minimum")
    started = [(s.number, s.started_at is not None) for s in result.stages]
    assert started == [(1, True), (2, True), (3, False)]
    sources = con.execute("SELECT source FROM canary_file").fetchall()
    assert sources == [("synthetic demo traffic (seed 20261126)",)]


def test_demo_regression_builds_up_on_multi_hop_only(demo_con):
    con = demo_con(200)
    (begun,) = con.execute("SELECT max(started_at) FROM canary_stage").fetchone()
    early, late = begun + timedelta(hours=6), begun + timedelta(hours=18)
    rows = con.execute(
        "SELECT stratum = ?, ts >= ?, median(ttft_ms) FROM canary_request"
        " WHERE arm = 'canary' AND ts >= ? AND (ts < ? OR ts >= ?) GROUP BY ALL",
        [traffic.SLOW_STRATUM, late, begun, early, late],
    ).fetchall()
    median = {(slow, is_late): ms for slow, is_late, ms in rows}
    # 50 ms more per hour: hours 18-24 against hours 0-6 is about 18 h × 50 = 900 ms slower.
    assert 700 < median[(True, True)] - median[(True, False)] < 1100
    assert abs(median[(False, True)] - median[(False, False)]) < 30
