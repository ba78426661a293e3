"""The synthetic demo migration: "Financial Q&A over 10-K filings".

Everything comes from one seed: the items (so the content hash), each model's hidden truth
(did its answer really pass?), outputs, latencies, tokens and judge scores. The judges see
the truth through noise, worse on multi-hop and adversarial items, so judge-versus-truth
kappa lands between 0.5 and 0.8 as it does in practice. ``generate`` returns the truth so
that later steps (simulated SME labels) can draw from it; it is never stored.

The story worth deciding: Amazon Nova Pro is far cheaper and faster but slightly worse on
multi-hop questions; Claude Opus 4.1 is better everywhere and much dearer.

Modules: ``content`` (strata, models, item and answer text), ``synthetic`` (the seeded
data), ``labels`` (simulated SME labels); this one writes it all into the store.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from core.catalog import migrations, models, runs
from core.demo import traffic
from core.demo.content import (
    ACTOR,
    COMPANIES,
    DATASET_NAME,
    DEMO_REVIEWERS,
    DRIVERS,
    JUDGE_NOISE,
    METRICS,
    MODELS,
    SIMULATED_REVIEWERS,
    SME_NOISE,
    STRATA,
    SYNTHETIC,
    DemoModel,
)
from core.demo.labels import resolve_misread_flags, simulate_labels
from core.demo.synthetic import Demo, generate, pairwise_verdicts
from core.importers import golden, pairwise
from core.importers import runs as run_import
from core.importers.staging import drop, stage_frame
from core.review import sampling
from core.store import db

__all__ = [
    "ACTOR",
    "COMPANIES",
    "DATASET_NAME",
    "DEMO_REVIEWERS",
    "DRIVERS",
    "JUDGE_NOISE",
    "METRICS",
    "MODELS",
    "SIMULATED_REVIEWERS",
    "SME_NOISE",
    "STRATA",
    "SYNTHETIC",
    "Demo",
    "DemoModel",
    "generate",
    "install",
    "install_if_empty",
    "is_empty",
    "pairwise_verdicts",
    "resolve_misread_flags",
    "simulate_labels",
]


def install(
    con: duckdb.DuckDBPyConnection, seed: int, n_items: int = 1200, *, canary: bool = True
) -> str:
    """Write the demo migration (prices, dataset, three runs, migration) and, with
    ``canary``, its simulated production traffic (``traffic``); returns its id."""
    demo = generate(seed, n_items)
    models.load_list_prices_if_none(con, ACTOR)
    run_ids = _import(con, demo, seed)
    migration_id = migrations.create(
        con,
        "Financial Q&A: Claude 3.5 Sonnet v2 → Nova Pro (synthetic demo)",
        run_ids[0],
        run_ids[1:],
        actor=ACTOR,
        synthetic=True,
        criteria={
            "gating_metrics": ["correctness", "faithfulness"],
            # The owner's one-off estimate and the product's traffic, for the ROI.
            "monthly_queries": 3_000_000,
            "engineering_days": 10,
            "sme_hours": 40,
            "cost_inputs_entered": True,
        },
    )
    _simulate(con, migration_id, run_ids, demo, seed)
    # A ready sample, so the demo SMEs can review at once; a tenth of it goes to all three.
    params = sampling.SampleParams(
        seed=seed, overlap_share=0.1, overlap_k=3, reviewers=DEMO_REVIEWERS
    )
    sampling.create(
        con,
        migration_id,
        run_ids[0],
        run_ids[1],
        params,
        actor=ACTOR,
        name="Demo review sample (10% failures, 2% passes)",
        synthetic=True,
    )
    if canary:
        traffic.install(con, migration_id, seed, datetime.now(UTC).replace(tzinfo=None))
    return migration_id


def _import(con: duckdb.DuckDBPyConnection, demo: Demo, seed: int) -> list[str]:
    """The golden dataset and one run per model, through the importers; the run ids."""
    staged = stage_frame(con, demo.items, f"demo (seed {seed})")
    try:
        dataset = golden.import_staged(con, staged, DATASET_NAME, actor=ACTOR, synthetic=True)
    finally:
        drop(con, staged.table)
    run_ids = []
    for model in MODELS:
        staged = stage_frame(con, demo.outputs[model.model_id], f"demo run {model.name}")
        spec = runs.RunSpec(
            dataset.dataset_id,
            model.model_id,
            name=f"{model.name} (demo)",
            role=model.role,
            judge="demo-judge",
            judge_version="synthetic",
            config={"temperature": 0.0, "top_p": 0.9, "max_tokens": 512},
            origin="demo",
            synthetic=True,
        )
        try:
            run_ids.append(run_import.import_staged(con, staged, spec, ACTOR).run_id)
        finally:
            drop(con, staged.table)
    return run_ids


def _simulate(
    con: duckdb.DuckDBPyConnection, migration_id: str, run_ids: list[str], demo: Demo, seed: int
) -> None:
    """Simulated SME labels, drawn from the hidden truth with SME noise, on a sample of their
    own (a tenth of it labelled by all three), and a pairwise judge's verdicts: Calibration
    and Sign-off show real figures on first start. Marked synthetic; labels entered in the
    app add to them."""
    simulated = sampling.SampleParams(
        seed=seed + 1, overlap_share=0.1, overlap_k=3, reviewers=SIMULATED_REVIEWERS
    )
    simulated_id = sampling.create(
        con,
        migration_id,
        run_ids[0],
        run_ids[1],
        simulated,
        actor=ACTOR,
        name="Simulated SME labels (synthetic)",
        synthetic=True,
    )
    simulate_labels(con, simulated_id, demo, seed)
    resolve_misread_flags(con, simulated_id, demo)
    verdicts = pairwise_verdicts(demo, seed)
    staged = stage_frame(con, verdicts, "demo pairwise judge")
    try:
        pairwise.import_staged(con, staged, run_ids[1], run_ids[0], ACTOR)
    finally:
        drop(con, staged.table)


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    return db.scalar(con, "SELECT count(*) FROM dataset") == 0


def install_if_empty(con: duckdb.DuckDBPyConnection, seed: int) -> str | None:
    """First start: a new user sees a real-shaped migration, labelled synthetic."""
    if not is_empty(con):
        return None
    return install(con, seed)
