"""Where the canary stands: the current stage's checks and verdict, the drill of a rollback,
every verdict stored (when it changes) with the hash of the inputs it was reached on.

``status`` is what the Canary page and ``python -m core canary status`` call: it loads the
evidence once (``evidence.load``), computes on it (``compute``, no database), and records the
verdict and the drill's result, each audited, only when they differ from the last stored
one, so a page refreshed every minute does not fill the table.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import numpy as np
import pandas as pd

from core.analysis.canary import arrivals
from core.analysis.canary import checks as canary_checks
from core.analysis.canary import drill as drills
from core.analysis.canary import evidence as canary_evidence
from core.analysis.canary import limits as canary_limits
from core.analysis.canary import stages as st
from core.analysis.signoff.evidence import default_target
from core.store import settings
from core.store import writes_canary_verdicts as writes

ALPHA = 0.05  # the false-alarm budget of all checks together, split by checks.run_checks


@dataclass(frozen=True)
class CanaryStatus:
    """The canary of one migration at one moment: read by the page, the CLI and exports."""

    migration_id: str
    migration: str
    synthetic: bool
    source_model: str
    target_model: str
    stages: list[st.Stage]
    verdict: st.StageVerdict
    checks: list[canary_checks.CheckResult]
    limits: canary_limits.Limits
    critical: list[str]
    requests: dict[str, int]  # the current stage's requests per arm
    inputs_hash: str
    at: datetime
    drill: drills.DrillResult | None = None
    rollback: canary_evidence.Rollback | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return st.EXIT_CODES[self.verdict.verdict]

    def to_dict(self) -> dict:
        return {
            "migration_id": self.migration_id,
            "migration": self.migration,
            "synthetic": self.synthetic,
            "source_model": self.source_model,
            "target_model": self.target_model,
            "stages": [s.to_dict() for s in self.stages],
            "verdict": self.verdict.to_dict(),
            "checks": [c.to_dict() for c in self.checks],
            "limits": self.limits.to_dict(),
            "critical": self.critical,
            "requests": self.requests,
            "inputs_hash": self.inputs_hash,
            "at": self.at,
            "drill": self.drill.to_dict() if self.drill else None,
            "rollback": dict(self.rollback.__dict__) if self.rollback else None,
            "notes": self.notes,
        }


def now_utc() -> datetime:
    """Now as a naive UTC datetime, as the canary tables store times."""
    return datetime.now(UTC).replace(tzinfo=None)


def critical_checks() -> frozenset[str]:
    """The checks whose crossing rolls back (the ``canary_critical_checks`` setting)."""
    return frozenset(n.strip() for n in settings.get("canary_critical_checks").split(",") if n)


def stage_traffic(traffic: pd.DataFrame, stage: st.Stage) -> pd.DataFrame:
    """The requests logged while ``stage`` ran: from its start to its end (or now)."""
    if stage.started_at is None:
        return traffic.iloc[0:0]
    inside = traffic["ts"] >= stage.started_at
    if stage.ended_at is not None:
        inside &= traffic["ts"] < stage.ended_at
    return traffic if inside.all() else traffic[inside]  # the usual case copies nothing


def limits_for(limits: canary_limits.Limits, stage: st.Stage) -> canary_checks.CanaryLimits:
    return canary_checks.CanaryLimits(**limits.values(), configured_share=stage.share_pct / 100)


# The columns a verdict's checks read; their values, not the request ids, are what it rests on.
HASHED = (
    "ts",
    "ttft_ms",
    "latency_ms",
    "cost_usd",
    "arm",
    "error",
    "judge_passed",
    "sme_passed",
    "sme_flag",
    "sme_z",
)


def inputs_hash(frame: pd.DataFrame, stage: st.Stage, limits: dict, critical, now) -> str:
    """sha256 of what a verdict rests on: the stage's traffic, its timing and the limits."""
    digest = hashlib.sha256()
    for column in HASHED:
        values = frame[column]
        if column == "ts":
            data = values.to_numpy(dtype="datetime64[us]").view("int64")
        elif column == "arm":
            data = (values == "canary").to_numpy(dtype=bool)
        elif values.dtype.kind == "f":
            data = values.to_numpy(dtype=float)
            if len(data) and np.isnan(data[0]) and bool(np.isnan(data).all()):
                data = np.array([len(data)])  # all unknown: its length says as much, cheaply
        else:  # nullable booleans: 0, 1, or 2 for missing
            flags = pd.array(values, dtype="boolean")
            known = flags.to_numpy(dtype=bool, na_value=False)
            data = np.where(pd.isna(flags), 2, known).astype("int8")
        digest.update(column.encode())
        digest.update(np.ascontiguousarray(data).data)  # a view: no copy of ten million values
    meta = {
        "stage": stage.to_dict(),
        "limits": limits,
        "critical": sorted(critical),
        "alpha": ALPHA,
        "minimum_time_met": stage.hours(now) >= stage.min_hours,
    }
    digest.update(json.dumps(meta, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def compute(
    ev: canary_evidence.CanaryEvidence,
    limits: canary_limits.Limits,
    critical: frozenset[str],
    now: datetime,
) -> CanaryStatus:
    """The status on loaded evidence (pure)."""
    rollback_at = ev.rollback.at if ev.rollback else None
    stages = st.stages_of(ev.criteria, ev.started, rollback_at)
    stage = st.current(stages)
    if stage is None:
        digest = inputs_hash(ev.traffic.iloc[0:0], stages[0], limits.values(), critical, now)
        return _status(ev, stages, limits, critical, now, st.not_started(stages), [], {}, digest)
    frame = stage_traffic(ev.traffic, stage)
    found = canary_checks.run_checks(frame, limits_for(limits, stage), ALPHA) if len(frame) else []
    requests = {str(k): int(v) for k, v in frame["arm"].value_counts().items() if v}
    digest = inputs_hash(frame, stage, limits.values(), critical, now)
    if ev.rollback is not None:
        verdict = st.rolled_back(stage, ev.rollback.at, ev.rollback.by, ev.rollback.reason)
        result = drills.drill(ev.traffic, ev.rollback.at, now)
        return _status(ev, stages, limits, critical, now, verdict, found, requests, digest, result)
    verdict = st.decide(stage, found, now, critical, len(frame))
    return _status(ev, stages, limits, critical, now, verdict, found, requests, digest)


def _status(
    ev: canary_evidence.CanaryEvidence,
    stages: list[st.Stage],
    limits: canary_limits.Limits,
    critical: frozenset[str],
    now: datetime,
    verdict: st.StageVerdict,
    found: list[canary_checks.CheckResult],
    requests: dict[str, int],
    digest: str,
    drill: drills.DrillResult | None = None,
) -> CanaryStatus:
    return CanaryStatus(
        migration_id=ev.migration_id,
        migration=ev.migration,
        synthetic=ev.synthetic,
        source_model=ev.source_model,
        target_model=ev.target_model,
        stages=stages,
        verdict=verdict,
        checks=found,
        limits=limits,
        critical=sorted(critical),
        requests=requests,
        inputs_hash=digest,
        at=now,
        drill=drill,
        rollback=ev.rollback,
    )


def status(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    *,
    actor: str,
    now: datetime | None = None,
    record: bool = True,
) -> CanaryStatus:
    """The canary's status now; with ``record``, a changed verdict or drill is stored."""
    now = now or now_utc()
    ev = canary_evidence.load(con, migration_id)
    result = compute(ev, limits_of(con, migration_id), critical_checks(), now)
    if record:
        record_status(con, result, actor)
    return result


def limits_of(con: duckdb.DuckDBPyConnection, migration_id: str) -> canary_limits.Limits:
    """The migration's limits, against its target run (the sign-off's default)."""
    return canary_limits.load(con, migration_id, default_target(con, migration_id))


def record_status(con: duckdb.DuckDBPyConnection, result: CanaryStatus, actor: str) -> None:
    """Store the verdict and the drill's result, each audited, when they changed."""
    verdict = result.verdict
    last = canary_evidence.last_verdict(con, result.migration_id)
    if last != (verdict.stage, verdict.verdict, result.inputs_hash):
        writes.insert_verdict(
            con,
            result.migration_id,
            verdict.stage,
            result.at,
            verdict.verdict,
            verdict.reasons + verdict.evidence,
            result.inputs_hash,
            [c.to_dict() for c in result.checks],
            actor,
        )
    if result.rollback is not None and result.drill is not None:
        drill = result.drill
        stored = canary_evidence.last_drill(con, result.rollback.rollback_id)
        if stored is None or stored[0] != drill.status:
            writes.insert_drill(
                con,
                result.migration_id,
                result.rollback.rollback_id,
                result.at,
                drill.status,
                drill.window_minutes,
                drill.evidence(),
                actor,
            )


def history(
    con: duckdb.DuckDBPyConnection, migration_id: str, stage: int, looks: int = 30
) -> pd.DataFrame:
    """Each check's interval over a stage's traffic at ``looks`` moments (look, ts, name,
    estimate, low, high, status): valid at every look, so the chart may be read any time."""
    ev = canary_evidence.load(con, migration_id, "none")
    rollback_at = ev.rollback.at if ev.rollback else None
    chosen = st.stages_of(ev.criteria, ev.started, rollback_at)[stage - 1]
    gating = ev.criteria.get("gating_metrics") or []
    since = chosen.started_at
    frame = (
        ev.traffic if since is None else arrivals.load(con, migration_id, gating, since, ids=False)
    )
    frame = stage_traffic(frame, chosen)
    if frame.empty:
        return pd.DataFrame(columns=["look", "ts", "name", "estimate", "low", "high", "status"])
    limits = limits_of(con, migration_id)
    return canary_checks.check_history(frame, limits_for(limits, chosen), ALPHA, looks)
