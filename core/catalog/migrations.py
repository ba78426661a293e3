"""A migration: one source run and the target/candidate runs that may replace it."""

from __future__ import annotations

import json
import uuid

import duckdb

from core.catalog import datasets
from core.catalog.coverage import coverage
from core.errors import InputError, NotFoundError
from core.store import db, writes
from core.types import KAPPA_FLOOR

# The playbook's defaults; each migration keeps its own copy, editable later.
DEFAULT_STAKEHOLDERS = (
    "Product owner",
    "SME lead",
    "Privacy officer",
    "Legal / procurement",
    "SRE",
)
DEFAULT_CRITERIA = {
    "quality_margin": 0.03,  # at most 3% relative degradation (non-inferiority)
    "ttft_increase_pct": 20.0,  # TTFT p50/p90 may rise at most 20% ...
    "ttft_increase_ms": 250.0,  # ... or at most 250 ms
    "roi_days": 30,  # cost: break even within 30 days
    "kappa_floor": KAPPA_FLOOR,  # judge trust: lower bound of kappa
    "gating_metrics": [],  # empty: every metric present on both runs
    # Cost: the traffic the monthly projection assumes, and the one-off cost of migrating.
    "monthly_queries": 1_000_000,
    "engineering_days": 0.0,
    "engineering_day_rate": 800.0,
    "sme_hours": 0.0,
    "sme_hour_rate": 90.0,
    "cost_inputs_entered": False,  # set once an owner has entered the one-off cost
    # Canary: (traffic %, minimum hours, maximum hours) per stage.
    "canary_stages": [[5, 24, 48], [25, 48, 72], [100, 0, 0]],
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
    dataset_id = _one_dataset(con, name, source_run_id, target_run_ids)
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
        for role in DEFAULT_STAKEHOLDERS:
            writes.add_stakeholder(con, migration_id, role, None)
        writes.audit(
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


def _one_dataset(con, name: str, source_run_id: str, target_run_ids: list[str]) -> str:
    """The dataset version a new migration's runs share; InputError when they do not."""
    if not target_run_ids:
        raise InputError("migration", "name at least one target run to compare with the source")
    if source_run_id in target_run_ids or len(set(target_run_ids)) != len(target_run_ids):
        raise InputError("migration", "the source and each target must be different runs")
    if not (name or "").strip():
        raise InputError("migration", "give the migration a name")
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
    return dataset_id


def list_migrations(con: duckdb.DuckDBPyConnection, archived: bool = False) -> list[dict]:
    """Migrations with their dataset, source model and target models (archived ones only
    when asked: they leave the choosers, their evidence stays)."""
    rows = con.execute(
        "SELECT m.migration_id, m.name, m.dataset_id,"
        " coalesce(sm.display_name, s.model_id), m.synthetic, m.created_at,"
        " (SELECT list(coalesce(tm.display_name, r.model_id) || ' (' || r.role || ')'"
        "   ORDER BY r.created_at) FROM migration_run mr JOIN run r USING (run_id)"
        "   LEFT JOIN model tm ON tm.model_id = r.model_id"
        "   WHERE mr.migration_id = m.migration_id),"
        " d.item_count, d.frozen_at IS NOT NULL, m.archived_at IS NOT NULL"
        " FROM migration m JOIN run s ON s.run_id = m.source_run_id"
        " LEFT JOIN model sm ON sm.model_id = s.model_id"
        " JOIN dataset d ON d.dataset_id = m.dataset_id"
        " WHERE ? OR m.archived_at IS NULL ORDER BY m.created_at",
        [archived],
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
        "archived",
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]


def describe(con: duckdb.DuckDBPyConnection, migration_id: str) -> dict:
    """A migration with its runs, coverage, samples, criteria and approvals so far."""
    row = con.execute(
        "SELECT name, dataset_id, source_run_id, created_at, created_by, archived_at, synthetic"
        " FROM migration WHERE migration_id = ?",
        [migration_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no migration {migration_id!r} (see `python -m core migration list`)")
    name, dataset_id, source, created_at, created_by, archived_at, synthetic = row
    targets = target_runs(con, migration_id)
    covered = coverage(con, [source, *targets])
    samples = con.execute(
        "SELECT s.sample_id, s.name, count(si.item_id) FROM sample s"
        " LEFT JOIN sample_item si USING (sample_id) WHERE s.migration_id = ?"
        " GROUP BY ALL ORDER BY min(s.created_at)",
        [migration_id],
    ).fetchall()
    return {
        "migration_id": migration_id,
        "name": name,
        "dataset_id": dataset_id,
        "source_run_id": source,
        "target_run_ids": targets,
        "created_at": created_at,
        "created_by": created_by,
        "archived_at": archived_at,
        "synthetic": synthetic,
        **covered.to_dict(),
        "samples": [{"sample_id": s, "name": n, "items": c} for s, n, c in samples],
        "criteria": criteria(con, migration_id),
    }


def add_target(
    con: duckdb.DuckDBPyConnection, migration_id: str, run_id: str, *, actor: str
) -> None:
    """Add a target or candidate run of the migration's dataset version (audited)."""
    dataset_id = _dataset_of(con, migration_id)
    found = con.execute("SELECT dataset_id FROM run WHERE run_id = ?", [run_id]).fetchone()
    if found is None:
        raise NotFoundError(f"no run {run_id!r} (see `python -m core list`)")
    if found[0] != dataset_id:
        raise InputError(
            run_id,
            f"runs on {found[0]}, but {migration_id} compares runs on {dataset_id}",
        )
    if run_id == source_run(con, migration_id) or run_id in target_runs(con, migration_id):
        raise InputError(run_id, f"is already part of {migration_id}")
    with db.transaction(con):
        con.execute("INSERT INTO migration_run VALUES (?, ?)", [migration_id, run_id])
        writes.audit(con, actor, "add_target", "migration", migration_id, after={"run_id": run_id})


def archive(con: duckdb.DuckDBPyConnection, migration_id: str, *, actor: str) -> None:
    """Take a migration out of the choosers; its samples, labels and approvals stay."""
    _dataset_of(con, migration_id)
    with db.transaction(con):
        con.execute(
            "UPDATE migration SET archived_at = current_timestamp, archived_by = ?"
            " WHERE migration_id = ? AND archived_at IS NULL",
            [actor, migration_id],
        )
        writes.audit(con, actor, "archive_migration", "migration", migration_id)


def _dataset_of(con: duckdb.DuckDBPyConnection, migration_id: str) -> str:
    return _ids(con, migration_id)[0]


def source_run(con: duckdb.DuckDBPyConnection, migration_id: str) -> str:
    return _ids(con, migration_id)[1]


def _ids(con: duckdb.DuckDBPyConnection, migration_id: str) -> tuple[str, str]:
    """(dataset id, source run id) of a migration; NotFoundError when there is none."""
    row = con.execute(
        "SELECT dataset_id, source_run_id FROM migration WHERE migration_id = ?", [migration_id]
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no migration {migration_id!r} (see `python -m core migration list`)")
    return row


def target_runs(con: duckdb.DuckDBPyConnection, migration_id: str) -> list[str]:
    return [
        r
        for (r,) in con.execute(
            "SELECT run_id FROM migration_run WHERE migration_id = ? ORDER BY run_id",
            [migration_id],
        ).fetchall()
    ]


def target_run_list(con: duckdb.DuckDBPyConnection, migration_id: str) -> list[dict]:
    """The migration's target and candidate runs, the role 'target' first."""
    rows = con.execute(
        "SELECT r.run_id, r.name, r.role, r.model_id FROM migration_run mr JOIN run r"
        " USING (run_id) WHERE mr.migration_id = ? ORDER BY r.role <> 'target', r.name",
        [migration_id],
    ).fetchall()
    return [dict(zip(("run_id", "name", "role", "model_id"), r, strict=True)) for r in rows]


def metrics(con: duckdb.DuckDBPyConnection, migration_id: str) -> list[str]:
    """Judge metrics scored on the source run."""
    return [
        m
        for (m,) in con.execute(
            "SELECT DISTINCT metric FROM judge_score WHERE run_id = ? ORDER BY 1",
            [source_run(con, migration_id)],
        ).fetchall()
    ]


def criteria(con: duckdb.DuckDBPyConnection, migration_id: str) -> dict:
    """The migration's sign-off criteria, defaults filled in."""
    row = con.execute(
        "SELECT criteria FROM migration WHERE migration_id = ?", [migration_id]
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no migration {migration_id!r}")
    return {**DEFAULT_CRITERIA, **json.loads(row[0])}


def update_criteria(
    con: duckdb.DuckDBPyConnection, migration_id: str, changes: dict, *, actor: str
) -> dict:
    """Change some criteria (validated against the defaults' types), audited; returns them."""
    before = criteria(con, migration_id)
    unknown = sorted(set(changes) - set(DEFAULT_CRITERIA))
    if unknown:
        raise InputError(
            "criteria", f"unknown criteria {unknown}; known: {sorted(DEFAULT_CRITERIA)}"
        )
    after = dict(before)
    for key, value in changes.items():
        after[key] = _checked(key, value)
    if any(k in changes for k in ("engineering_days", "sme_hours")):
        after["cost_inputs_entered"] = True
    with db.transaction(con):
        con.execute(
            "UPDATE migration SET criteria = ? WHERE migration_id = ?",
            [json.dumps(after), migration_id],
        )
        writes.audit(
            con,
            actor,
            "update_criteria",
            "migration",
            migration_id,
            before={k: before[k] for k in changes},
            after={k: after[k] for k in changes},
        )
    return after


def _checked(key: str, value):
    default = DEFAULT_CRITERIA[key]
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise InputError("criteria", f"{key} must be true or false, got {value!r}")
        return value
    if isinstance(default, int | float):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError("criteria", f"{key} must be a number, got {value!r}") from None
        if number < 0 or (key == "quality_margin" and number >= 1):
            raise InputError("criteria", f"{key} must be at least 0 (a margin below 1)")
        return int(number) if isinstance(default, int) and number.is_integer() else number
    if key == "gating_metrics":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError("criteria", "gating_metrics must be a list of metric names")
        return value
    if key == "canary_stages":
        try:
            stages = [[float(a), float(b), float(c)] for a, b, c in value]
        except (TypeError, ValueError):
            raise InputError(
                "criteria", "canary_stages must be [traffic %, min hours, max hours] rows"
            ) from None
        shares = [s[0] for s in stages]
        if not stages or shares != sorted(shares) or shares[-1] != 100 or min(shares) <= 0:
            raise InputError("criteria", "canary stages must rise to 100% traffic")
        return stages
    return value
