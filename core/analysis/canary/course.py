"""The canary's course as the owner steers it: start a stage, record a rollback.

A stage starts when its routing is live (``recipe``); the next stage may start once the
current one reads PROMOTE, or with an override whose reason goes to the audit trail (a
``--gate`` pipeline must not reach full cutover on a stage nobody measured). After a rollback
any stage up to the one rolled back may start again. No start or rollback may lie in the
future: it would close the ingest window until then.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import duckdb

from core.analysis import signoff
from core.analysis.canary import evidence, stages, status
from core.errors import InputError
from core.store import writes_canary_verdicts as writes

CLOCK_SKEW = timedelta(minutes=5)  # as the ingest's tolerance for timestamps ahead of now


def _not_future(at: datetime, what: str) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    if at > now + CLOCK_SKEW:
        raise InputError(
            what,
            f"{at:%Y-%m-%d %H:%M} UTC is in the future (now {now:%Y-%m-%d %H:%M} UTC): record "
            "it when the routing has changed",
        )


def start_stage(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    stage: int,
    *,
    actor: str,
    at: datetime,
    override: str | None = None,
) -> stages.Stage:
    """Record that ``stage`` started at ``at`` (naive UTC); the stage as it now stands.
    Moving on from a running stage needs its PROMOTE verdict at ``at``, or an ``override``."""
    _not_future(at, "stage")
    ev = evidence.load(con, migration_id, "none")
    plan = stages.stages_of(ev.criteria, ev.started, ev.rollback.at if ev.rollback else None)
    if not 1 <= stage <= len(plan):
        raise InputError("stage", f"stage {stage} is not one of stages 1 to {len(plan)}")
    now = stages.current(plan)
    if ev.rollback is not None:
        allowed = range(1, ev.rollback.stage + 1)
    else:
        allowed = range(now.number + 1, now.number + 2) if now else range(1, 2)
    if stage not in allowed:
        if ev.rollback is not None:
            where = f"stage {ev.rollback.stage} was rolled back"
        else:
            where = f"stage {now.number} is running" if now else "the canary has not started"
        raise InputError(
            "stage",
            f"stage {stage} cannot start: {where}; the stage that may start is "
            + " or ".join(str(n) for n in allowed),
        )
    if now is not None and now.started_at is not None and at < now.started_at:
        raise InputError("stage", f"stage {stage} cannot start before stage {now.number} did")
    if now is not None and ev.rollback is None and not override:
        _require_promote(con, migration_id, stage, now.number, at)
    if now is None and ev.rollback is None and not override:
        _require_go(con, migration_id)
    share = plan[stage - 1].share_pct
    writes.start_stage(con, migration_id, stage, share, at, actor, override or None)
    return stages.Stage(
        stage, share, plan[stage - 1].min_hours, plan[stage - 1].max_hours, at, actor
    )


def _require_go(con: duckdb.DuckDBPyConnection, migration_id: str) -> None:
    """The canary's first start follows a GO sign-off (the playbook: prove, decide, then
    route traffic); anything else needs a stated reason."""
    decision = signoff.evaluate(con, migration_id, None).decision
    if decision != signoff.GO:
        raise InputError(
            "stage",
            f"the canary cannot start: the sign-off reads {decision}, and a canary follows a GO"
            f" (`python -m core report signoff --migration {migration_id}`); give the reason to"
            " start anyway (--override REASON, kept in the audit trail)",
        )


def _require_promote(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    stage: int,
    running: int,
    at: datetime,
) -> None:
    # The running stage's verdict as it read at ``at``, on the traffic logged until then.
    ev = evidence.load(con, migration_id, "current")
    then = replace(ev, traffic=ev.traffic[ev.traffic["ts"] < at])
    limits = status.limits_of(con, migration_id)
    verdict = status.compute(then, limits, status.critical_checks(), at).verdict
    if verdict.verdict != stages.PROMOTE:
        why = "; ".join(verdict.reasons + verdict.evidence) or "no verdict"
        raise InputError(
            "stage",
            f"stage {stage} cannot start: stage {running} reads {verdict.verdict} ({why}); "
            f"start it once stage {running} reads PROMOTE, or give the reason to go on anyway "
            "(--override REASON, kept in the audit trail)",
        )


def record_rollback(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    *,
    actor: str,
    at: datetime,
    reason: str | None = None,
) -> int:
    """Record that all traffic went back to the source at ``at``; the rollback's id."""
    _not_future(at, "rollback")
    ev = evidence.load(con, migration_id, "none")
    plan = stages.stages_of(ev.criteria, ev.started)
    now = stages.current(plan)
    if now is None or now.started_at is None:
        raise InputError("rollback", "the canary has not started: there is nothing to roll back")
    if ev.rollback is not None:
        raise InputError("rollback", f"already rolled back at {ev.rollback.at:%Y-%m-%d %H:%M} UTC")
    if at < now.started_at:
        raise InputError("rollback", f"the rollback cannot precede stage {now.number}'s start")
    return writes.record_rollback(con, migration_id, now.number, at, actor, reason)
