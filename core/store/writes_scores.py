"""The writers of scores a judge gives a run's items after the run exists (judge_score), and of
how each of those metrics is read on the run (run_metric).

Like core.store.writes, writers never open a transaction: the caller's unit of work
(``db.transaction``) holds the scores and its audit entry together. Values are always bound.
"""

from __future__ import annotations

from typing import NamedTuple

import duckdb

__all__ = ["JudgeScoreRow", "RunMetricRow", "keep_run_metrics", "replace_judge_scores"]


class JudgeScoreRow(NamedTuple):
    """One judge_score row of a run (the run and the judge are the writer's arguments)."""

    item_id: str
    metric: str
    score: float | None
    threshold: float | None
    passed: bool | None
    explanation: str | None
    judge_version: str | None


class RunMetricRow(NamedTuple):
    """How one metric of a run is read: the run_metric table's columns, in order."""

    run_id: str
    metric: str
    raw_name: str
    mapped: bool
    direction: str | None
    direction_source: str | None
    low: float | None
    high: float | None
    clipped: int


def replace_judge_scores(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    judge: str,
    metrics: list[str],
    rows: list[JudgeScoreRow],
) -> int:
    """Replace ``judge``'s scores of ``metrics`` on the run with ``rows`` (other judges' and
    other metrics' scores stay). Returns the rows written."""
    con.execute(
        "DELETE FROM judge_score WHERE run_id = ? AND judge = ? AND metric IN (SELECT unnest(?))",
        [run_id, judge, list(metrics)],
    )
    if rows:
        con.executemany(
            "INSERT INTO judge_score (run_id, item_id, metric, judge, score, threshold, passed,"
            " explanation, judge_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[run_id, row.item_id, row.metric, judge, *row[2:]] for row in rows],
        )
    return len(rows)


def keep_run_metrics(con: duckdb.DuckDBPyConnection, rows: list[RunMetricRow]) -> None:
    """Record how each metric of a run is read where the run has no entry for it yet (the
    reading an import already recorded stays: one run reads a metric one way)."""
    if rows:
        con.executemany(
            "INSERT INTO run_metric (run_id, metric, raw_name, mapped, direction,"
            " direction_source, low, high, clipped) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (run_id, metric) DO NOTHING",
            [list(row) for row in rows],
        )
