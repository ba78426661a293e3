"""A judge metric's pass threshold on a run: set by an evaluation owner, audited.

Stored scores never change; verdicts are re-derived from them at the newest threshold
(``metrics.VERDICT_SQL`` reads ``judge_threshold``).
"""

from __future__ import annotations

import duckdb

from core.errors import InputError, NotFoundError
from core.store import db, writes


def apply(
    con: duckdb.DuckDBPyConnection, run_id: str, metric: str, threshold: float, *, actor: str
) -> None:
    """Re-derive the run's verdicts at a new threshold; stored scores stay as they are."""
    if not 0 <= threshold <= 1:
        raise InputError("threshold", f"expected a value between 0 and 1, got {threshold!r}")
    row = con.execute(
        "SELECT any_value(threshold) FROM judge_score WHERE run_id = ? AND metric = ?",
        [run_id, metric],
    ).fetchone()
    before = row[0] if row else None
    if before is None:
        raise NotFoundError(f"run {run_id} has no {metric!r} scores")
    with db.transaction(con):
        con.execute(
            "INSERT INTO judge_threshold (run_id, metric, threshold, set_by) VALUES (?, ?, ?, ?)",
            [run_id, metric, threshold, actor],
        )
        writes.audit(
            con,
            actor,
            "apply_threshold",
            "judge_score",
            f"{run_id}/{metric}",
            before={"threshold": before},
            after={"threshold": threshold},
        )
