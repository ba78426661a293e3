"""Sample top-ups that analyses ask for: calibration's judge recall needs more SME-failed
items among the judge's passes, so the 'pass' strata are sampled at twice their rate."""

from __future__ import annotations

import duckdb

from core.review import sampling


def top_up_passes(con: duckdb.DuckDBPyConnection, sample_id: str, *, actor: str) -> int:
    """Double the rate of every 'pass' stratum of a sample; the number of items added."""
    added = 0
    for s in sampling.strata(con, sample_id):
        if s["pool"] == "pass":
            rate = min(1.0, 2 * s["taken"] / s["size"])
            added += sampling.top_up(con, sample_id, s["stratum"], "pass", rate, actor=actor)
    return added
