"""What a set of runs of one dataset version have in common, before a migration is made."""

from __future__ import annotations

import duckdb

from core.errors import NotFoundError


def coverage(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> dict:
    """What a set of runs of one dataset version have in common, before a migration is made:
    items each run covers, metrics they share, and warnings."""
    rows = con.execute(
        "SELECT r.run_id, r.dataset_id, r.model_id, r.role, d.item_count,"
        " (SELECT count(*) FROM output o WHERE o.run_id = r.run_id),"
        " (SELECT list(DISTINCT metric ORDER BY metric) FROM judge_score j"
        "   WHERE j.run_id = r.run_id)"
        " FROM run r JOIN dataset d USING (dataset_id) WHERE r.run_id IN (SELECT unnest(?))",
        [run_ids],
    ).fetchall()
    found = {r[0]: r for r in rows}
    for run_id in run_ids:
        if run_id not in found:
            raise NotFoundError(f"no run {run_id!r} (see `python -m core list`)")
    runs = [
        {
            "run_id": r[0],
            "dataset_id": r[1],
            "model_id": r[2],
            "role": r[3],
            "items": r[4],
            "outputs": r[5],
            "metrics": list(r[6] or []),
        }
        for r in (found[i] for i in run_ids)
    ]
    shared = set(runs[0]["metrics"]) if runs else set()
    for run in runs[1:]:
        shared &= set(run["metrics"])
    warnings = _warnings(con, runs, run_ids, shared)
    return {"runs": runs, "shared_metrics": sorted(shared), "warnings": warnings}


def _warnings(con, runs: list[dict], run_ids: list[str], shared: set[str]) -> list[str]:
    """Incomplete runs, runs over different items, no shared metric, unmapped metrics."""
    warnings = []
    for run in runs:
        if run["outputs"] < run["items"]:
            warnings.append(
                f"{run['run_id']} ({run['model_id']}) covers {run['outputs']} of"
                f" {run['items']} items: missing ones count as failures"
            )
    if len(runs) > 1:
        differ = con.execute(
            "SELECT count(*) FROM (SELECT item_id FROM output WHERE run_id IN (SELECT unnest(?))"
            " GROUP BY item_id HAVING count(DISTINCT run_id) < ?)",
            [run_ids, len(run_ids)],
        ).fetchone()[0]
        if differ:
            warnings.append(
                f"the runs cover different items: {differ} items lack some run's output"
            )
        if not shared:
            warnings.append(
                "the runs share no judge metric: score them on the Runs page"
                " (python -m core judge) or import scored files"
            )
    unmapped = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT metric FROM run_metric WHERE NOT mapped"
            " AND run_id IN (SELECT unnest(?)) ORDER BY 1",
            [run_ids],
        ).fetchall()
    ]
    if unmapped:
        warnings.append(
            f"metrics not in the catalog never gate: {', '.join(unmapped)}"
            " (python -m core metric map NAME --to METRIC)"
        )
    return warnings
