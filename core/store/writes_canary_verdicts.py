"""The only writers of the canary's course (schema 013): stage starts, rollbacks, verdicts and
rollback drills, each with its audit entry in the same transaction.

Times are naive UTC datetimes given by the caller, so a test or a replay can state them.
"""

from __future__ import annotations

import json
from datetime import datetime

import duckdb

from core.store import db, writes


def start_stage(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    stage: int,
    share_pct: float,
    started_at: datetime,
    actor: str,
    override: str | None = None,
) -> None:
    """Record that ``stage`` started: traffic routed at its share from ``started_at``; an
    ``override`` (why it started without the previous stage's PROMOTE) goes to the audit."""
    with db.transaction(con):
        con.execute(
            "INSERT INTO canary_stage (migration_id, stage, share_pct, started_at, started_by)"
            " VALUES (?, ?, ?, ?, ?)",
            [migration_id, stage, share_pct, started_at, actor],
        )
        writes.audit(
            con,
            actor,
            "canary_stage_start",
            "migration",
            migration_id,
            after={
                "stage": stage,
                "share_pct": share_pct,
                "started_at": started_at,
                "override": override,
            },
        )


def record_rollback(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    stage: int,
    recorded_at: datetime,
    actor: str,
    reason: str | None = None,
) -> int:
    """Record that traffic was routed back to the source at ``recorded_at``; its id."""
    with db.transaction(con):
        rollback_id = db.scalar(
            con,
            "INSERT INTO canary_rollback (migration_id, stage, recorded_at, recorded_by, reason)"
            " VALUES (?, ?, ?, ?, ?) RETURNING rollback_id",
            [migration_id, stage, recorded_at, actor, reason],
        )
        writes.audit(
            con,
            actor,
            "canary_rollback",
            "migration",
            migration_id,
            after={"rollback_id": rollback_id, "stage": stage, "at": recorded_at, "why": reason},
        )
    return int(rollback_id)


def insert_verdict(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    stage: int,
    at: datetime,
    verdict: str,
    reasons: list[str],
    inputs_hash: str,
    checks: list[dict],
    actor: str,
) -> int:
    """Store one stage verdict with the hash of its inputs and the checks it rests on."""
    with db.transaction(con):
        verdict_id = db.scalar(
            con,
            "INSERT INTO canary_verdict (migration_id, stage, decided_at, verdict, reasons,"
            " inputs_hash, checks, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING verdict_id",
            [
                migration_id,
                stage,
                at,
                verdict,
                json.dumps(reasons),
                inputs_hash,
                json.dumps(checks, default=str),
                actor,
            ],
        )
        writes.audit(
            con,
            actor,
            "canary_verdict",
            "migration",
            migration_id,
            after={
                "verdict_id": verdict_id,
                "stage": stage,
                "verdict": verdict,
                "inputs_hash": inputs_hash,
                "reasons": reasons,
            },
        )
    return int(verdict_id)


def insert_drill(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    rollback_id: int,
    checked_at: datetime,
    status: str,
    window_minutes: float,
    evidence: dict,
    actor: str,
) -> int:
    """Store a rollback drill's result (passed, failed or pending) with its evidence."""
    with db.transaction(con):
        drill_id = db.scalar(
            con,
            "INSERT INTO canary_drill (migration_id, rollback_id, checked_at, status,"
            " window_minutes, evidence, checked_by) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " RETURNING drill_id",
            [
                migration_id,
                rollback_id,
                checked_at,
                status,
                window_minutes,
                json.dumps(evidence, default=str),
                actor,
            ],
        )
        writes.audit(
            con,
            actor,
            "canary_drill",
            "migration",
            migration_id,
            after={"drill_id": drill_id, "rollback_id": rollback_id, "status": status, **evidence},
        )
    return int(drill_id)
