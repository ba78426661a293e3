"""What a set of runs of one dataset version have in common, before a migration is made."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb

from core.errors import NotFoundError
from core.store import db


@dataclass(frozen=True)
class RunCoverage:
    run_id: str
    dataset_id: str
    model_id: str
    role: str
    items: int  # in the dataset version
    outputs: int  # of them the run answered
    metrics: tuple[str, ...]  # judge metrics scored on the run


@dataclass(frozen=True)
class Coverage:
    runs: tuple[RunCoverage, ...]
    shared_metrics: tuple[str, ...]
    warnings: tuple[str, ...]

    def to_dict(self) -> dict:
        """JSON-ready, lists for tuples (``migration describe``)."""
        return {
            "runs": [{**asdict(r), "metrics": list(r.metrics)} for r in self.runs],
            "shared_metrics": list(self.shared_metrics),
            "warnings": list(self.warnings),
        }


def coverage(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> Coverage:
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
    rows_in_order = (found[i] for i in run_ids)
    runs = [
        RunCoverage(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6] or ())) for r in rows_in_order
    ]
    shared = set(runs[0].metrics) if runs else set()
    for run in runs[1:]:
        shared &= set(run.metrics)
    warnings = _warnings(con, runs, run_ids, shared)
    return Coverage(tuple(runs), tuple(sorted(shared)), tuple(warnings))


def _warnings(con, runs: list[RunCoverage], run_ids: list[str], shared: set[str]) -> list[str]:
    """Incomplete runs, runs over different items, no shared metric, unmapped metrics."""
    warnings: list[str] = []
    for run in runs:
        if run.outputs < run.items:
            warnings.append(
                f"{run.run_id} ({run.model_id}) covers {run.outputs} of"
                f" {run.items} items: missing ones count as failures"
            )
    if len(runs) > 1:
        differ = db.scalar(
            con,
            "SELECT count(*) FROM (SELECT item_id FROM output WHERE run_id IN (SELECT unnest(?))"
            " GROUP BY item_id HAVING count(DISTINCT run_id) < ?)",
            [run_ids, len(run_ids)],
        )
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
