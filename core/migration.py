"""A migration: one source run and the target/candidate runs that may replace it."""

from __future__ import annotations

import json
import uuid

import duckdb

from core import datasets, db
from core.errors import InputError, NotFoundError

# The playbook's defaults; each migration keeps its own copy, editable later.
DEFAULT_CRITERIA = {
    "quality_margin": 0.03,  # at most 3% relative degradation (non-inferiority)
    "ttft_increase_pct": 20.0,  # TTFT p50/p90 may rise at most 20% ...
    "ttft_increase_ms": 250.0,  # ... or at most 250 ms
    "roi_days": 30,  # cost: break even within 30 days
    "kappa_floor": 0.6,  # judge trust: lower bound of kappa
    "gating_metrics": [],  # empty: every metric present on both runs
}


def create(
    con: duckdb.DuckDBPyConnection,
    name: str,
    source_run_id: str,
    target_run_ids: list[str],
    *,
    actor: str,
    criteria: dict | None = None,
    synthetic: bool = False,
) -> str:
    """Start a migration; its dataset version is frozen now (the first pitfall it prevents)."""
    runs = {
        r[0]: r[1]
        for r in con.execute(
            "SELECT run_id, dataset_id FROM run WHERE run_id IN (SELECT unnest(?))",
            [[source_run_id, *target_run_ids]],
        ).fetchall()
    }
    for run_id in [source_run_id, *target_run_ids]:
        if run_id not in runs:
            raise NotFoundError(f"no run {run_id!r} (see `python -m core list`)")
    dataset_id = runs[source_run_id]
    for run_id in target_run_ids:
        if runs[run_id] != dataset_id:
            raise InputError(
                run_id,
                f"runs {run_id} on {runs[run_id]}, but the source runs on "
                f"{dataset_id}: a migration compares runs on one dataset version",
            )
    datasets.freeze(con, dataset_id, actor)
    migration_id = f"mig-{uuid.uuid4().hex[:8]}"
    with db.transaction(con):
        con.execute(
            "INSERT INTO migration (migration_id, name, dataset_id, source_run_id, criteria,"
            " synthetic, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                migration_id,
                name,
                dataset_id,
                source_run_id,
                json.dumps({**DEFAULT_CRITERIA, **(criteria or {})}),
                synthetic,
                actor,
            ],
        )
        for run_id in target_run_ids:
            con.execute("INSERT INTO migration_run VALUES (?, ?)", [migration_id, run_id])
        db.audit(
            con,
            actor,
            "create_migration",
            "migration",
            migration_id,
            after={
                "name": name,
                "dataset_id": dataset_id,
                "source": source_run_id,
                "targets": target_run_ids,
            },
        )
    return migration_id


def list_migrations(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Migrations with their dataset, source model and target models."""
    rows = con.execute(
        "SELECT m.migration_id, m.name, m.dataset_id,"
        " coalesce(sm.display_name, s.model_id), m.synthetic, m.created_at,"
        " (SELECT list(coalesce(tm.display_name, r.model_id) || ' (' || r.role || ')'"
        "   ORDER BY r.created_at) FROM migration_run mr JOIN run r USING (run_id)"
        "   LEFT JOIN model tm ON tm.model_id = r.model_id"
        "   WHERE mr.migration_id = m.migration_id),"
        " d.item_count, d.frozen_at IS NOT NULL"
        " FROM migration m JOIN run s ON s.run_id = m.source_run_id"
        " LEFT JOIN model sm ON sm.model_id = s.model_id"
        " JOIN dataset d ON d.dataset_id = m.dataset_id ORDER BY m.created_at"
    ).fetchall()
    keys = (
        "migration_id",
        "name",
        "dataset_id",
        "source_model",
        "synthetic",
        "created_at",
        "target_models",
        "items",
        "frozen",
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]


def source_run(con: duckdb.DuckDBPyConnection, migration_id: str) -> str:
    row = con.execute(
        "SELECT source_run_id FROM migration WHERE migration_id = ?", [migration_id]
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no migration {migration_id!r}")
    return row[0]


def target_runs(con: duckdb.DuckDBPyConnection, migration_id: str) -> list[str]:
    return [
        r
        for (r,) in con.execute(
            "SELECT run_id FROM migration_run WHERE migration_id = ? ORDER BY run_id",
            [migration_id],
        ).fetchall()
    ]


def metrics(con: duckdb.DuckDBPyConnection, migration_id: str) -> list[str]:
    """Judge metrics scored on the source run."""
    return [
        m
        for (m,) in con.execute(
            "SELECT DISTINCT metric FROM judge_score WHERE run_id = ? ORDER BY 1",
            [source_run(con, migration_id)],
        ).fetchall()
    ]
