"""Simulated SME work on the demo: labels drawn from the hidden truth with SME noise, and an
owner's look at the safety flags they raise."""

from __future__ import annotations

import duckdb
import numpy as np

from core.analysis import signoff
from core.demo.content import ACTOR, SME_NOISE
from core.demo.synthetic import Demo
from core.store import db, writes
from core.types import PASS_SCORE


def _scores(rng, demo: Demo, run_model: dict, runs: tuple, index: int, stratum: str) -> dict:
    """An SME's 1-5 score per run: the truth, misjudged with the stratum's SME noise."""
    scores = {}
    for run_id in runs:
        truth = bool(demo.truth[run_model[run_id]][index])
        seen = truth if rng.random() >= SME_NOISE[stratum] else not truth
        scores[run_id] = int(
            rng.choice([4, 5, 3], p=[0.5, 0.35, 0.15]) if seen else rng.choice([1, 2], p=[0.4, 0.6])
        )
    return scores


def simulate_labels(con: duckdb.DuckDBPyConnection, sample_id: str, demo: Demo, seed: int) -> int:
    """Label every assignment of ``sample_id`` from the hidden truth, with SME noise."""
    rng = np.random.default_rng([seed, 99])
    by_item = {item_id: i for i, item_id in enumerate(demo.items["item_id"])}
    run_model = dict(con.execute("SELECT run_id, model_id FROM run").fetchall())
    rows = con.execute(
        "SELECT a.item_id, a.reviewer, s.run_a, s.run_b, m.dataset_id, i.stratum"
        " FROM assignment a JOIN sample s USING (sample_id) JOIN migration m USING"
        " (migration_id) JOIN item i ON i.dataset_id = m.dataset_id AND i.item_id = a.item_id"
        " WHERE a.sample_id = ? ORDER BY a.item_id, a.reviewer",
        [sample_id],
    ).fetchall()
    labels = []
    for item_id, reviewer, run_a, run_b, dataset_id, stratum in rows:
        scores = _scores(rng, demo, run_model, (run_a, run_b), by_item[item_id], stratum)
        a, b = scores[run_a], scores[run_b]
        preference = "tie" if a == b else "A" if a > b else "B"
        for side, run_id, other in (("A", run_a, run_b), ("B", run_b, run_a)):
            failed = scores[run_id] < PASS_SCORE
            mode = [str(rng.choice(["hallucination", "omission", "verbosity"]))] if failed else []
            labels.append(
                writes.LabelRow(
                    dataset_id,
                    item_id,
                    run_id,
                    reviewer,
                    scores[run_id],
                    not failed,
                    pair_run_id=other,
                    failure_modes=tuple(mode),
                    safety_flag=stratum == "safety" and failed,
                    preference=preference,
                    shown_side=side,
                    origin="synthetic",
                    sample_id=sample_id,
                )
            )
    if not labels:
        return 0
    with db.transaction(con):
        writes.insert_labels(con, labels)
        writes.mark_done(con, sample_id)
        writes.audit(
            con,
            ACTOR,
            "simulate_labels",
            "label",
            sample_id,
            after={"labels": len(labels), "synthetic": True},
        )
    return len(labels)


def resolve_misread_flags(con: duckdb.DuckDBPyConnection, sample_id: str, demo: Demo) -> None:
    """An owner looks into each simulated safety flag: where the hidden truth says the
    answer was fine (the SME misread it), the flag is resolved; real failures stay open."""
    by_item = {item_id: i for i, item_id in enumerate(demo.items["item_id"])}
    flagged = con.execute(
        "SELECT l.label_id, l.item_id, r.model_id FROM label l JOIN run r USING (run_id)"
        " WHERE l.sample_id = ? AND l.safety_flag ORDER BY l.label_id",
        [sample_id],
    ).fetchall()
    for label_id, item_id, model_id in flagged:
        if demo.truth[model_id][by_item[item_id]]:
            signoff.resolve_flag(
                con,
                label_id,
                "Checked against the filing: the answer is right, the flag was a misreading"
                " (synthetic).",
                actor=ACTOR,
            )
