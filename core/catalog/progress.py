"""Where a migration stands on the way to sign-off, and its next step (the Home page)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from core.store import db


@dataclass(frozen=True)
class Progress:
    """The latest sample's review progress, the migration's label count, the next step."""

    sample_id: str | None
    assigned: int
    done: int
    labels: int
    next_step: str


def progress(con: duckdb.DuckDBPyConnection, migration_id: str) -> Progress:
    """Where a migration stands on the way to sign-off, and its next step (Home)."""
    sample = con.execute(
        "SELECT s.sample_id, s.name, count(a.item_id), count(a.item_id) FILTER"
        " (WHERE a.status = 'done') FROM sample s LEFT JOIN assignment a USING (sample_id)"
        " WHERE s.migration_id = ? AND coalesce(json_extract_string(s.params, '$.traffic'), '')"
        " <> 'canary' GROUP BY ALL ORDER BY max(s.created_at) DESC LIMIT 1",  # golden samples
        [migration_id],
    ).fetchone()
    labels = db.scalar(
        con,
        "SELECT count(*) FROM label WHERE run_id IN (SELECT source_run_id FROM migration"
        " WHERE migration_id = ? UNION SELECT run_id FROM migration_run WHERE migration_id = ?)",
        [migration_id, migration_id],
    )
    if sample is None:
        step = (
            "Draw a review sample: Sampling page, or"
            f" `python -m core sample --migration {migration_id} --reviewers sme1,sme2`"
        )
        return Progress(None, 0, 0, labels, step)
    sample_id, name, assigned, done = sample
    if assigned and done < assigned:
        step = f"SMEs are reviewing: {done} of {assigned} assignments of {name} labelled"
    elif not assigned:
        step = f"Sample {name} has no reviewers yet: assign SMEs on the Sampling page"
    else:
        step = "Every assignment is labelled: read Calibration, then Compare and Sign-off"
    return Progress(sample_id, assigned, done, labels, step)
