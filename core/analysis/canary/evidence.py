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
import numpy as np
import pandas as pd

from core.analysis.signoff.evidence import default_target
from core.catalog import migrations
from core.catalog.canary_verdict import VERDICT_SQL
from core.errors import NotFoundError
from core.store import db

Scope = Literal["current", "all", "none"]
ARMS = ("control", "canary")  # the arm column's categories, in code order
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
    "sme_z",
    "sme_pi",
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
        frame = traffic(con, migration_id, crit.get("gating_metrics") or [], since, ids=False)
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
    *,
    ids: bool = True,
) -> pd.DataFrame:
    """Both arms' requests (from ``since``) with each one's judge verdict and SME review, as
    ``checks.run_checks`` takes them; ``arm`` is categorical, verdicts and flags 1.0, 0.0 or
    NaN (unknown). Without ``ids`` the request id
    and stratum are left out: the checks do not read them, and at ten million requests their
    text is most of the load's time.

    SME columns come from canary review draws (canary_review_frame, canary_label): ``sme_passed``
    (the reviewers' pass share) and ``sme_flag`` on labelled requests; ``sme_z`` on every request
    a draw considered, the difference estimator's term (see ``SME_TERMS``), and ``sme_pi`` its
    inclusion probability. A (draw, arm, pool) with drawn requests but no label yet is left out
    (NaN) until its first label: it would count only the judges' verdicts."""
    named = IDS_SQL if ids else ""
    query = f"""
        WITH verdict AS ({VERDICT_SQL}), {SME_TERMS}
        SELECT r.ts, (r.arm = 'canary')::UTINYINT AS arm, {named}
               r.ttft_ms, r.latency_ms, r.error IS NOT NULL AS error,
               v.judge_passed::DOUBLE AS judge_passed, z.sme_passed, z.sme_flag::DOUBLE AS sme_flag,
               z.sme_z, z.sme_pi, r.cost_usd
        FROM canary_request r LEFT JOIN verdict v USING (request_id)
        LEFT JOIN sme_terms z USING (request_id)
        WHERE r.migration_id = $1 AND r.ts >= $3
        ORDER BY r.ts, r.request_id
    """  # noqa: S608 - code constants only; values are bound
    start = since or datetime(1970, 1, 1)
    fetched = con.execute(query, [migration_id, gating, start]).fetchnumpy()
    # Arrays into a frame without copying or consolidating them (2.5 s at ten million rows
    # through .df()); NULLs of a masked array become NaN, the arm a category of its code.
    columns = {
        name: values.filled(np.nan) if isinstance(values, np.ma.MaskedArray) else values
        for name, values in fetched.items()
    }
    columns["arm"] = pd.Categorical.from_codes(columns["arm"], categories=list(ARMS))
    kept = [c for c in TRAFFIC_COLUMNS if ids or c not in ("request_id", "stratum")]
    return pd.DataFrame({c: columns[c] for c in kept}, copy=False)


IDS_SQL = "r.request_id, coalesce(r.stratum, 'all') AS stratum,"


# Each request a review draw considered gets the difference estimator's term
#   z = judge + drawn·(sme − judge) / π_eff
# (Särndal, Swensson & Wretman 1992, Model Assisted Survey Sampling, §6.3: the judges' verdict
# is the model prediction, the SME's the study variable). Under Bernoulli draws its mean is the
# SME pass rate, and z is a bounded i.i.d. stream per arm, so the canary's confidence
# sequences apply. π_eff is the pool's rate times the share of its drawn requests labelled so
# far (as n_h/N_h in the golden design), so labels still owed do not count as agreement.
SME_TERMS = """
        label_of AS (
            SELECT request_id, avg(passed::INTEGER) AS sme_pass,
                   bool_or(safety_flag OR list_has_any(failure_modes, ['hallucination', 'unsafe']))
                       AS flagged
            FROM canary_label WHERE migration_id = $1 GROUP BY request_id
        ),
        frame AS (
            SELECT f.*, l.sme_pass, l.flagged,
                   count(*) FILTER (WHERE f.drawn) OVER pool_of AS drawn_n,
                   count(l.sme_pass) OVER pool_of AS labelled_n
            FROM canary_review_frame f LEFT JOIN label_of l USING (request_id)
            WHERE f.migration_id = $1
            WINDOW pool_of AS (PARTITION BY f.sample_id, f.arm, f.pool)
        ),
        sme_terms AS (
            SELECT request_id, sme_pass AS sme_passed, flagged AS sme_flag,
                   CASE WHEN drawn_n = 0 THEN inclusion_prob
                        ELSE inclusion_prob * labelled_n / drawn_n END AS sme_pi,
                   CASE WHEN pool = 'pass' THEN 1.0 ELSE 0.0 END
                     + CASE WHEN sme_pass IS NULL THEN 0.0
                            ELSE (sme_pass - CASE WHEN pool = 'pass' THEN 1.0 ELSE 0.0 END)
                                 / sme_pi END AS sme_z
            FROM frame
            WHERE drawn_n = 0 OR labelled_n > 0
        )"""


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
