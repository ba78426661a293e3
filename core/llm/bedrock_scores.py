"""A Bedrock evaluation job's scores as judge_score rows of the run it evaluated: metric names
read through the metric catalog (its Bedrock aliases, as the importer reads them), each score
checked against its metric's range, its verdict from the catalog's threshold and direction.

Nothing here writes; core.llm.bedrock_eval validates everything with these rows first, then
stores them in one transaction.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import duckdb

from core.catalog import metrics
from core.errors import InputError
from core.importers.values import widened
from core.store.writes_scores import JudgeScoreRow, RunMetricRow


class Record(NamedTuple):
    """One output line matched to the run's item, as the Bedrock importer parsed it."""

    file: str
    line: int
    item_id: str
    row: dict  # score.<metric>, explanation.<metric>, judge_version.<metric>


def score_rows(
    con: duckdb.DuckDBPyConnection,
    records: list[Record],
    run_id: str,
    job: str,
    evaluator: str,
) -> tuple[list[JudgeScoreRow], list[RunMetricRow]]:
    """The records' scores as judge_score rows (a null result, a metric that did not apply,
    gives none) and how each metric is read on the run. ``evaluator`` is the judge version
    where a score names no evaluator model."""
    raw_names = sorted({k[len("score.") :] for r in records for k in r.row if k[:6] == "score."})
    resolved = metrics.resolve(con, raw_names)
    _one_name_each(resolved, job)
    seen: dict[tuple[str, str], Record] = {}
    clipped = dict.fromkeys(raw_names, 0)
    rows = []
    for record in records:
        for raw in raw_names:
            if f"score.{raw}" not in record.row:
                continue
            found = resolved[raw]
            _once(seen, (record.item_id, found.metric), record, job)
            value = record.row[f"score.{raw}"]
            if value is None:
                continue
            score = _checked(value, found, record, job)
            clipped[raw] += score != value
            rows.append(_row(record, raw, found, score, evaluator))
    run_metrics = [
        RunMetricRow(
            run_id,
            found.metric,
            raw,
            found.entry is not None,
            found.entry.direction if found.entry else None,
            "catalog" if found.entry else None,
            found.entry.low if found.entry else None,
            found.entry.high if found.entry else None,
            clipped[raw],
        )
        for raw, found in sorted(resolved.items())
    ]
    return rows, run_metrics


def _one_name_each(resolved: dict[str, metrics.Resolved], job: str) -> None:
    """Two of the job's metric names that are one catalog metric cannot both be stored."""
    seen: dict[str, str] = {}
    for raw, found in sorted(resolved.items()):
        if found.metric in seen:
            raise InputError(
                "evaluation job",
                f"{job} scores both {seen[found.metric]!r} and {raw!r}, which the metric"
                f" catalog reads as one metric, {found.metric!r}; map one of them to another"
                " metric (python -m core metric map)",
            )
        seen[found.metric] = raw


def _once(seen: dict, key: tuple[str, str], record: Record, job: str) -> None:
    """One score per (item, metric): a second one would silently replace the first."""
    first = seen.setdefault(key, record)
    if first is not record:
        raise InputError(
            record.file,
            f"item {key[0]} already has a {key[1]} score from {Path(first.file).name} line"
            f" {first.line} of job {job}; expected one score per item and metric",
            row=record.line,
            row_word="line",
        )


def _checked(value: object, found: metrics.Resolved, record: Record, job: str) -> float:
    """The score as a finite number within its metric's range (clipped when within rounding
    of it, as the importer clips)."""

    def refuse(problem: str) -> InputError:
        return InputError(
            record.file,
            f"{found.raw_name} of job {job}: {problem}",
            row=record.line,
            row_word="line",
        )

    if isinstance(value, bool) or not isinstance(value, int | float):
        raise refuse(f"expected a number as the result, got {value!r}")
    if not math.isfinite(value):
        raise refuse(f"expected a finite number as the result, got {value!r}")
    entry, score = found.entry, float(value)
    if entry is None:
        return score
    low = widened(entry.low, metrics.TOLERANCE, -1)
    high = widened(entry.high, metrics.TOLERANCE, 1)
    if (low is not None and score < low) or (high is not None and score > high):
        bounds = f"{_bound(entry.low)} to {_bound(entry.high)}"
        raise refuse(f"score {value!r} is outside the range of {entry.metric} ({bounds})")
    if entry.low is not None:
        score = max(score, float(entry.low))
    if entry.high is not None:
        score = min(score, float(entry.high))
    return score


def _bound(value: float | None) -> str:
    return "unbounded" if value is None else f"{value:g}"


def _row(
    record: Record, raw: str, found: metrics.Resolved, score: float, evaluator: str
) -> JudgeScoreRow:
    """One judge_score row; the verdict is the score against the catalog's default threshold
    in the metric's direction (none for a metric the catalog does not know)."""
    entry = found.entry
    threshold = entry.default_threshold if entry else None
    passed = None
    if entry is not None and threshold is not None:
        passed = score <= threshold if entry.direction == "lower" else score >= threshold
    explanation = record.row.get(f"explanation.{raw}")
    version = record.row.get(f"judge_version.{raw}")
    return JudgeScoreRow(
        record.item_id,
        found.metric,
        score,
        threshold,
        passed,
        None if explanation is None else str(explanation),
        str(version) if version else evaluator,
    )
