"""What the canary's verdict reads from the store, loaded once: the traffic of both arms as
the checks take it, the recorded stage starts, rollbacks and drills, the verdict history.

The only SQL of the stage verdicts. A request's judge verdict is its gating metrics' scores
against the catalog's thresholds, in each metric's direction (``metrics.passes``): it passes
when every scored gating metric passes, and is unknown when none was scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import duckdb
import pandas as pd

from core.analysis.canary import arrivals
from core.analysis.signoff.evidence import default_target
from core.catalog import migrations
from core.errors import NotFoundError
from core.store import db

Scope = Literal["current", "all", "none"]
TRAFFIC_COLUMNS = arrivals.COLUMNS


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
        "SELECT m.name, m.synthetic, src.model_id"
        " FROM migration m JOIN run src ON src.run_id = m.source_run_id"
        " WHERE m.migration_id = ?",
        [migration_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no migration {migration_id!r} (see `python -m core list`)")
    name, synthetic, source_model = row
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
    crit = migrations.criteria(con, migration_id)  # older migrations lack newer keys
    if scope == "none" or (scope == "current" and not started):
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in TRAFFIC_COLUMNS})
    else:
        since = max(at for at, _ in started.values()) if scope == "current" else None
        frame = arrivals.load(con, migration_id, crit.get("gating_metrics") or [], since, ids=False)
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
