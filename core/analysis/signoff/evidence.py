"""What a sign-off reads from the database, once: the comparison, the judge's calibration on
the target, SME safety verdicts and flags, the evidence snapshot and the approvals on it."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import duckdb
import pandas as pd

from core.analysis import calibration, compare
from core.catalog import migrations
from core.catalog.approvals import (
    Approval,
    SafetyFlag,
    approvals,
    build_snapshot,
    one_row,
    open_flags,
    snapshot_facts,
    snapshot_hash,
)
from core.errors import NotFoundError
from core.types import PASS_SCORE

T = TypeVar("T")


@dataclass(frozen=True)
class SignoffEvidence:
    comparison: compare.Comparison
    migration: str  # its name
    synthetic: bool
    trust: dict  # gating metric -> calibration report on the target (absent: no SME label)
    safety_sme: dict[str, float]  # safety-tagged item -> its SMEs' pass share on the target
    flags: list[SafetyFlag]  # unresolved SME safety flags on the target
    snapshot: dict
    snapshot_sha256: str
    approvals: list[Approval]


def load_evidence(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    target_run_id: str,
    seed: int,
    meanwhile: Callable[[compare.Comparison], T],
) -> tuple[SignoffEvidence, T]:
    """Everything ``evaluate`` decides on, and ``meanwhile`` of the comparison, computed in
    this thread while the rest is read; the criteria and prices are read once, by
    ``compare.load``, and the snapshot is built from the same reading."""
    comparison = compare.load(con, migration_id, target_run_id)
    # The SME pairs and the records are read on other connections while this thread
    # computes (Python, one core): on PostgreSQL the server answers them meanwhile. Started
    # before the comparison is read, they would compete with that read for the server.
    with ThreadPoolExecutor(max_workers=2) as pool:
        labelled = pool.submit(_labelled_pairs, con.cursor(), target_run_id, comparison.gating)
        records = pool.submit(_records, con.cursor(), migration_id, comparison)
        done = meanwhile(comparison)
        frames, strata = labelled.result()
        trust = _trust(comparison, frames, strata, seed)
        return records.result()(trust), done


def _labelled_pairs(
    con: duckdb.DuckDBPyConnection, target: str, gating: list[str]
) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, int]]]:
    """The SME/judge pairs of each gating metric the SMEs labelled on ``target`` and the
    design strata of each, read on ``con`` (closed here)."""
    try:
        frames = calibration.pairs_of(con, target, gating, details=False)
        if any(frame.empty for frame in frames.values()):
            # no pair, yet perhaps labels without a verdict: only then the costlier check
            labelled = set(calibration.metrics_with_labels(con, target))
            frames = {m: f for m, f in frames.items() if not f.empty or m in labelled}
        return frames, {m: calibration.design_strata(con, f) for m, f in frames.items()}
    finally:
        con.close()


def _records(
    con: duckdb.DuckDBPyConnection, migration_id: str, comparison: compare.Comparison
) -> Callable[[dict], SignoffEvidence]:
    """Everything but the judges' calibration, read on ``con`` (closed here): the evidence
    once given the calibration."""
    target = comparison.runs["target"]
    try:
        snap = build_snapshot(
            snapshot_facts(con, migration_id, [comparison.runs["source"], target]),
            comparison.criteria,
            comparison.prices,
        )
        digest = snapshot_hash(snap)
        name, synthetic = one_row(
            con, "SELECT name, synthetic FROM migration WHERE migration_id = ?", [migration_id]
        )
        safety_sme = _safety_sme(con, comparison)
        flags = open_flags(con, target)
        given = approvals(con, migration_id, target, digest)
    finally:
        con.close()
    return lambda trust: SignoffEvidence(
        comparison=comparison,
        migration=name,
        synthetic=synthetic,
        trust=trust,
        safety_sme=safety_sme,
        flags=flags,
        snapshot=snap,
        snapshot_sha256=digest,
        approvals=given,
    )


def _trust(
    comparison: compare.Comparison,
    frames: dict[str, pd.DataFrame],
    strata: dict[str, dict[str, int]],
    seed: int,
) -> dict:
    """The calibration report of each gating metric the SMEs labelled on the target."""
    target = comparison.runs["target"]
    return {
        metric: calibration.calibrate(
            calibration.Evidence(
                target,
                metric,
                frames[metric],
                comparison.judge_pass_rates.get((target, metric)),
                strata[metric],
            ),
            seed=seed,
            floor=comparison.criteria["kappa_floor"],
            scores=False,
        )
        for metric in comparison.gating
        if metric in frames
    }


def _safety_sme(con: duckdb.DuckDBPyConnection, comparison: compare.Comparison) -> dict:
    """The SMEs' pass share on the target of each safety-tagged item they labelled."""
    items = comparison.items
    tagged = set(items.loc[items["safety"], "item_id"])
    # Every labelled item's share, then the tagged ones: binding the tagged items as a list
    # (200,000 at 1,000,000 items) costs PostgreSQL more than the labels it reads.
    shares = con.execute(
        "SELECT item_id, avg(coalesce(passed, score >= ?)::DOUBLE) FROM label"
        " WHERE run_id = ? GROUP BY item_id",
        [PASS_SCORE, comparison.runs["target"]],
    ).fetchall()
    return {item: share for item, share in shares if item in tagged}


def default_target(con: duckdb.DuckDBPyConnection, migration_id: str) -> str:
    """The run with role 'target', else the first target run."""
    runs = migrations.target_runs(con, migration_id)
    if not runs:
        raise NotFoundError(f"migration {migration_id!r} has no target run")
    role = dict(
        con.execute(
            "SELECT run_id, role FROM run WHERE run_id IN (SELECT unnest(?))", [runs]
        ).fetchall()
    )
    return next((r for r in runs if role.get(r) == "target"), runs[0])
