"""Evaluation runs: one model (with prompt version and config) over one dataset version.

A run is created by an importer (core.importers.runs, the golden file's source run) or by the
runner (core.llm.runner); this module registers and lists them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

import duckdb

from core.catalog import models
from core.errors import InputError, NotFoundError
from core.types import RunRole

Range = tuple[float, float]
DEFAULT_RANGE: Range = (0.0, 1.0)
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class RunSpec:
    """What a file does not say about a run: the run's identity and the importer's options."""

    dataset_id: str
    model_id: str | None = None
    name: str | None = None
    role: RunRole = "candidate"
    prompt_version_id: str | None = None
    config: dict = field(default_factory=dict)
    judge: str = "imported"
    judge_version: str | None = None
    default_threshold: float | None = None  # None: the metric catalog's
    score_ranges: dict[str, Range] = field(default_factory=dict)  # "*" for every metric
    allow_unmatched: bool = False
    origin: str = "native"
    synthetic: bool = False

    def range_of(self, metric: str) -> Range:
        return self.score_ranges.get(metric, self.score_ranges.get("*", DEFAULT_RANGE))


def dataset_exists(con: duckdb.DuckDBPyConnection, dataset_id: str) -> int:
    """The dataset's item count; NotFoundError when it does not exist."""
    row = con.execute(
        "SELECT item_count FROM dataset WHERE dataset_id = ?", [dataset_id]
    ).fetchone()
    if row is None:
        known = [r[0] for r in con.execute("SELECT dataset_id FROM dataset ORDER BY 1").fetchall()]
        raise NotFoundError(
            f"no dataset {dataset_id!r}; known: {', '.join(known) or 'none'}"
            " (import one with import-dataset)"
        )
    return row[0]


def create_run(
    con: duckdb.DuckDBPyConnection, spec: RunSpec, source_file: str | None, actor: str
) -> str:
    """Register the run's model and the run itself (inside the caller's transaction)."""
    run_id = f"run-{uuid.uuid4().hex[:10]}"
    if not spec.model_id:
        raise InputError("run", "a run names its model: pass --model")
    models.ensure(con, spec.model_id)
    con.execute(
        "INSERT INTO run (run_id, name, dataset_id, model_id, prompt_version_id, config, role,"
        " origin, source_file, synthetic, created_by) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            run_id,
            spec.name or f"{spec.model_id} on {spec.dataset_id}",
            spec.dataset_id,
            spec.model_id,
            spec.prompt_version_id,
            json.dumps(spec.config),
            spec.role,
            spec.origin,
            source_file,
            spec.synthetic,
            actor,
        ],
    )
    return run_id


def list_runs(con: duckdb.DuckDBPyConnection, dataset_id: str | None = None) -> list[dict]:
    """Runs with their model, prompt version, config, output count and metrics present."""
    rows = con.execute(
        "SELECT r.run_id, r.name, r.dataset_id, r.model_id, r.prompt_version_id, r.config,"
        " r.role, r.origin, r.synthetic, r.created_at,"
        " (SELECT count(*) FROM output o WHERE o.run_id = r.run_id) AS outputs,"
        " (SELECT list(DISTINCT metric ORDER BY metric) FROM judge_score j"
        "   WHERE j.run_id = r.run_id) AS metrics"
        " FROM run r WHERE ? IS NULL OR r.dataset_id = ? ORDER BY r.created_at, r.run_id",
        [dataset_id, dataset_id],
    ).fetchall()
    keys = (
        "run_id",
        "name",
        "dataset_id",
        "model_id",
        "prompt_version_id",
        "config",
        "role",
        "origin",
        "synthetic",
        "created_at",
        "outputs",
        "metrics",
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]
