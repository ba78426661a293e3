"""Starting stages and recording rollbacks: the order is held, every step stored and audited,
and the limits come from the migration's criteria and the sign-off's figures."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from core.analysis.canary import course, evidence, limits, stages
from core.catalog import migrations
from core.errors import InputError
from core.importers import files
from tests.conftest import DATA, SOURCE_MODEL, import_run

T0 = datetime(2026, 11, 3, 9, 0)


@pytest.fixture
def migration(con):
    files.import_dataset(
        con, str(DATA / "golden.csv"), "fin", actor="tester", model_id=SOURCE_MODEL
    )
    target = import_run(con, DATA / "run_native.csv", role="target").run_id
    source = con.execute("SELECT run_id FROM run WHERE role = 'source'").fetchone()[0]
    return migrations.create(con, "canary", source, [target], actor="tester")


def audits(con, action):
    return con.execute(
        "SELECT actor, after FROM audit WHERE action = ? ORDER BY 1", [action]
    ).fetchall()


def test_stages_start_in_order_and_each_start_is_audited(con, migration):
    with pytest.raises(
        InputError,
        match="stage 2 cannot start: the canary has not started; the stage that may start is 1",
    ):
        course.start_stage(con, migration, 2, actor="owner", at=T0)
    # The test migration's sign-off reads NOT YET: the first start needs a stated reason.
    with pytest.raises(InputError, match=r"the sign-off reads NOT YET.*--override REASON"):
        course.start_stage(con, migration, 1, actor="owner", at=T0)
    assert evidence.load(con, migration).started == {}
    first = course.start_stage(con, migration, 1, actor="owner", at=T0, override="shadow test")
    assert (first.number, first.share_pct, first.started_at) == (1, 5.0, T0)
    with pytest.raises(InputError, match="stage 3 cannot start: stage 1 is running"):
        course.start_stage(con, migration, 3, actor="owner", at=T0 + timedelta(hours=1))
    # Stage 1 has no traffic, so it reads HOLD: moving on needs a reason, kept in the audit.
    with pytest.raises(InputError, match=r"stage 2 cannot start: stage 1 reads HOLD .*--override"):
        course.start_stage(con, migration, 2, actor="owner", at=T0 + timedelta(hours=30))
    course.start_stage(
        con, migration, 2, actor="owner", at=T0 + timedelta(hours=30), override="load test"
    )
    ev = evidence.load(con, migration)
    assert ev.started == {1: (T0, "owner"), 2: (T0 + timedelta(hours=30), "owner")}
    logged = [json.loads(after) for _actor, after in audits(con, "canary_stage_start")]
    assert sorted((a["stage"], a["override"]) for a in logged) == [
        (1, "shadow test"),
        (2, "load test"),
    ]


def test_a_start_or_rollback_in_the_future_is_refused(con, migration):
    # A mistyped future start would close the ingest window until then.
    future = datetime.now() + timedelta(days=90)
    with pytest.raises(InputError, match="is in the future"):
        course.start_stage(con, migration, 1, actor="owner", at=future, override="t")
    course.start_stage(con, migration, 1, actor="owner", at=T0, override="t")
    with pytest.raises(InputError, match="is in the future"):
        course.record_rollback(con, migration, actor="owner", at=future)
    assert evidence.load(con, migration).rollback is None


def test_a_rollback_is_recorded_once_and_then_a_stage_may_start_again(con, migration):
    with pytest.raises(InputError, match="nothing to roll back"):
        course.record_rollback(con, migration, actor="owner", at=T0)
    course.start_stage(con, migration, 1, actor="owner", at=T0, override="t")
    course.start_stage(
        con, migration, 2, actor="owner", at=T0 + timedelta(hours=30), override="drill"
    )
    at = T0 + timedelta(hours=40)
    rollback_id = course.record_rollback(con, migration, actor="sre", at=at, reason="p90 TTFT")
    ev = evidence.load(con, migration)
    assert ev.rollback == evidence.Rollback(rollback_id, 2, at, "sre", "p90 TTFT")
    with pytest.raises(InputError, match="already rolled back"):
        course.record_rollback(con, migration, actor="sre", at=at + timedelta(minutes=1))
    with pytest.raises(
        InputError,
        match="stage 3 cannot start: stage 2 was rolled back; the stage that may start is 1 or 2",
    ):
        course.start_stage(con, migration, 3, actor="owner", at=at + timedelta(hours=1))
    course.start_stage(con, migration, 1, actor="owner", at=at + timedelta(hours=2))
    ev = evidence.load(con, migration)
    assert ev.rollback is None  # the restart resumes the canary
    plan = stages.stages_of(ev.criteria, ev.started)
    assert stages.current(plan).number == 1
    ((actor, after),) = audits(con, "canary_rollback")
    assert actor == "sre" and json.loads(after)["why"] == "p90 TTFT"


def test_limits_take_the_criteria_and_the_source_figures():
    crit = {**migrations.DEFAULT_CRITERIA, "quality_margin": 0.03}
    got = limits.derive(crit, 0.80, 1600.0, 3000.0, 0.0021)
    # 3% relative at an 80% source pass rate = 2.4 points; TTFT: max(250, 20% × 1600 = 320).
    assert got.quality_margin_pp == pytest.approx(2.4)
    assert got.ttft_p90_increase_ms == pytest.approx(320.0)
    # Latency: max(250, 20% × 3000 = 600).
    assert got.latency_p90_increase_ms == pytest.approx(600.0)
    assert (got.error_rate_ratio, got.sme_flag_limit, got.cost_overrun_pct) == (1.5, 0, 10.0)
    assert got.projected_cost_per_request == 0.0021
    override = limits.derive({**crit, "canary_latency_increase_ms": 400}, None, None, None, None)
    assert override.latency_p90_increase_ms == 400.0
    assert override.ttft_p90_increase_ms == 250.0  # no source TTFT: the ms limit alone
    assert override.quality_margin_pp == pytest.approx(3.0)


def test_limits_load_the_golden_set_figures(con, migration):
    target = con.execute("SELECT run_id FROM run WHERE role = 'target'").fetchone()[0]
    got = limits.load(con, migration, target)
    ttft = con.execute(
        "SELECT quantile_cont(ttft_ms, 0.9) FROM output o JOIN run r USING (run_id)"
        " WHERE r.role = 'source'"
    ).fetchone()[0]
    # numpy's linear percentile equals DuckDB's quantile_cont.
    assert got.ttft_p90_increase_ms == pytest.approx(max(250.0, 0.2 * ttft))


def test_the_signoff_report_points_to_the_canary_history(con, migration):
    from core.analysis import signoff

    report = signoff.evaluate(con, migration)
    command = f"`python -m core canary status --migration {migration}`"
    assert all(command in stage.history for stage in report.canary)
    assert "canary status --migration " + migration in signoff.to_html(report)
