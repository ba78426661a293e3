"""What the canary's verdict reads from the store, loaded once: the traffic of both arms as
the checks take it, the recorded stage starts, rollbacks and drills, the verdict history.

The only SQL of the stage verdicts. A request's judge verdict is its gating metrics' scores
against the catalog's thresholds, in each metric's direction (``metrics.passes``): it passes
when every scored gating metric passes, and is unknown when none was scored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import duckdb
import pandas as pd

from core.analysis.signoff.evidence import default_target
from core.catalog import metrics
from core.errors import NotFoundError
from core.store import db

Scope = Literal["current", "all", "none"]
TRAFFIC_COLUMNS = (
    "ts",
    "arm",
    "request_id",
    "ttft_ms",
    "latency_ms",
    "error",
    "judge_passed",
    "sme_passed",
    "sme_flag",
    "cost_usd",
    "stratum",
)


@dataclass(frozen=True)
class Rollback:
    rollback_id: int
    stage: int
    at: datetime
    by: str
    reason: str | None


@dataclass(frozen=True)
class CanaryEvidence:
    """Everything a status is computed from (no database below this)."""

    migration_id: str
    migration: str
    synthetic: bool
    criteria: dict
    source_model: str
    target_model: str
    started: dict[int, tuple[datetime, str]]  # stage -> (started_at, started_by)
    rollback: Rollback | None  # the latest, if no stage started after it
    traffic: pd.DataFrame  # TRAFFIC_COLUMNS, sorted by ts


def load(
    con: duckdb.DuckDBPyConnection, migration_id: str, scope: Scope = "current"
) -> CanaryEvidence:
    """The migration's canary evidence; NotFoundError for an unknown migration.

    ``scope`` is the traffic loaded: from the current stage's start on ('current': its
    verdict and a rollback's drill need no more), all of it, or none (stage bookkeeping)."""
    row = con.execute(
        "SELECT m.name, m.synthetic, m.criteria, src.model_id"
        " FROM migration m JOIN run src ON src.run_id = m.source_run_id"
        " WHERE m.migration_id = ?",
        [migration_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no migration {migration_id!r} (see `python -m core list`)")
    name, synthetic, criteria, source_model = row
    target_model = db.scalar(
        con, "SELECT model_id FROM run WHERE run_id = ?", [default_target(con, migration_id)]
    )
    started = {
        int(stage): (at, by)
        for stage, at, by in con.execute(
            "SELECT DISTINCT ON (stage) stage, started_at, started_by FROM canary_stage"
            " WHERE migration_id = ? ORDER BY stage, started_at DESC",
            [migration_id],
        ).fetchall()
    }
    crit = json.loads(criteria)
    if scope == "none" or (scope == "current" and not started):
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in TRAFFIC_COLUMNS})
    else:
        since = max(at for at, _ in started.values()) if scope == "current" else None
        frame = traffic(con, migration_id, crit.get("gating_metrics") or [], since)
    rollback = _rollback(con, migration_id, started)
    return CanaryEvidence(
        migration_id,
        name,
        bool(synthetic),
        crit,
        source_model,
        target_model,
        started,
        rollback,
        frame,
    )


def _rollback(
    con: duckdb.DuckDBPyConnection, migration_id: str, started: dict[int, tuple[datetime, str]]
) -> Rollback | None:
    row = con.execute(
        "SELECT rollback_id, stage, recorded_at, recorded_by, reason FROM canary_rollback"
        " WHERE migration_id = ? ORDER BY recorded_at DESC, rollback_id DESC LIMIT 1",
        [migration_id],
    ).fetchone()
    if row is None:
        return None
    rollback = Rollback(int(row[0]), int(row[1]), row[2], row[3], row[4])
    # A stage started after the rollback resumes the canary.
    if any(at > rollback.at for at, _ in started.values()):
        return None
    return rollback


def traffic(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    gating: list[str],
    since: datetime | None = None,
) -> pd.DataFrame:
    """Both arms' requests (from ``since``) with each one's judge verdict, as
    ``checks.run_checks`` takes them.

    SME verdicts on canary traffic are not collected yet: ``sme_passed`` and ``sme_flag`` are
    empty, and the checks on them read inconclusive."""
    passed = metrics.passes("s.score", "m.default_threshold", "m.direction")
    query = f"""
        WITH verdict AS (
            SELECT s.request_id, bool_and({passed}) AS judge_passed
            FROM canary_score s JOIN metric m ON m.metric = s.metric
            WHERE s.migration_id = ? AND s.score IS NOT NULL
              AND m.default_threshold IS NOT NULL
              AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], s.metric))
            GROUP BY s.request_id
        )
        SELECT r.ts, r.arm, r.request_id, r.ttft_ms, r.latency_ms, r.error IS NOT NULL AS error,
               v.judge_passed, NULL::BOOLEAN AS sme_passed, NULL::BOOLEAN AS sme_flag,
               r.cost_usd, coalesce(r.stratum, 'all') AS stratum
        FROM canary_request r LEFT JOIN verdict v USING (request_id)
        WHERE r.migration_id = ? AND r.ts >= ?
        ORDER BY r.ts, r.request_id
    """  # noqa: S608 - the direction's operator comes from metrics.passes; values are bound
    start = since or datetime(1970, 1, 1)
    frame = con.execute(query, [migration_id, gating, gating, migration_id, start]).df()
    return frame[list(TRAFFIC_COLUMNS)]


def last_verdict(con: duckdb.DuckDBPyConnection, migration_id: str) -> tuple | None:
    """(stage, verdict, inputs_hash) of the latest stored verdict, to store only changes."""
    return con.execute(
        "SELECT stage, verdict, inputs_hash FROM canary_verdict WHERE migration_id = ?"
        " ORDER BY verdict_id DESC LIMIT 1",
        [migration_id],
    ).fetchone()


def verdict_history(con: duckdb.DuckDBPyConnection, migration_id: str) -> pd.DataFrame:
    """Every stored verdict, newest first: when, stage, verdict, why, the inputs' hash, who."""
    return con.execute(
        "SELECT decided_at, stage, verdict, reasons, inputs_hash, decided_by FROM canary_verdict"
        " WHERE migration_id = ? ORDER BY verdict_id DESC",
        [migration_id],
    ).df()


def last_drill(con: duckdb.DuckDBPyConnection, rollback_id: int) -> tuple | None:
    """(status, evidence JSON) of the latest drill of a rollback."""
    return con.execute(
        "SELECT status, evidence FROM canary_drill WHERE rollback_id = ?"
        " ORDER BY drill_id DESC LIMIT 1",
        [rollback_id],
    ).fetchone()


def providers(con: duckdb.DuckDBPyConnection, control: str, canary: str) -> tuple[str, str]:
    """Each arm's provider as the model catalog records it (LiteLLM's model prefix)."""
    known = dict(
        con.execute(
            "SELECT model_id, provider FROM model WHERE model_id IN (?, ?)", [control, canary]
        ).fetchall()
    )
    return known.get(control, "bedrock"), known.get(canary, "bedrock")
