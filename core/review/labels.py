"""Submitting SME labels from the review screen: checked, then written in one transaction.

Each submit is one transaction: the label rows (one per response, upserted on
(sample, item, run, reviewer) so a re-submit changes and never duplicates), the
assignment's status, and an audit entry with before and after, all through
core.store.writes. DuckDB fails concurrent updates of one row ("Conflict on update"), so
writes in this process are serialised by a lock; a PostgreSQL store (row locks) replaces
core.store.writes and keeps these two functions.
"""

from __future__ import annotations

import threading
from dataclasses import asdict

import duckdb

from core.errors import InputError, NotFoundError
from core.review.queue import FAILURE_MODES, ResponseLabel, canary_request, placed_source_side
from core.store import db, writes
from core.types import PASS_SCORE

PREFERENCES = ("A", "B", "tie")
_WRITE_LOCK = threading.Lock()


def _sides(con, sample_id: str, item_id: str, reviewer: str) -> tuple[str, dict[str, str]]:
    """The dataset and which run was shown on which side, from the database, not the client."""
    row = con.execute(
        "SELECT m.dataset_id, s.run_a, s.run_b, a.status FROM assignment a"
        " JOIN sample s USING (sample_id) JOIN migration m ON m.migration_id = s.migration_id"
        " WHERE a.sample_id = ? AND a.item_id = ? AND a.reviewer = ?",
        [sample_id, item_id, reviewer],
    ).fetchone()
    if row is None:
        raise NotFoundError(
            f"item {item_id!r} of sample {sample_id!r} is not assigned to {reviewer!r}"
        )
    dataset_id, run_a, run_b, _ = row
    if run_b is None:
        return dataset_id, {"A": run_a}
    if placed_source_side(con, sample_id, item_id, reviewer, run_a) == "A":
        return dataset_id, {"A": run_a, "B": run_b}
    return dataset_id, {"A": run_b, "B": run_a}


def validate(
    sides: dict[str, str], responses: list[ResponseLabel], preference: str | None
) -> list[ResponseLabel]:
    """Every shown response scored 1-5; known failure modes; a preference for a pair."""
    given = {r.side: r for r in responses}
    if set(given) != set(sides):
        raise InputError(
            "label", f"expected labels for responses {sorted(sides)}, got {sorted(given)}"
        )
    checked = []
    for side in sorted(sides):
        r = given[side]
        if r.score not in (1, 2, 3, 4, 5):
            raise InputError("label", f"Response {side}: choose a score from 1 to 5")
        unknown = [m for m in r.failure_modes if m not in FAILURE_MODES]
        if unknown:
            raise InputError("label", f"Response {side}: unknown failure modes {unknown}")
        passed = r.passed if r.passed is not None else r.score >= PASS_SCORE
        checked.append(
            ResponseLabel(
                side, r.score, passed, tuple(sorted(set(r.failure_modes))), bool(r.safety_flag)
            )
        )
    if len(sides) == 2 and preference not in PREFERENCES:
        raise InputError("label", "choose which response is better: A, B or tie")
    if len(sides) == 1 and preference is not None:
        raise InputError("label", "a single response has no preference")
    return checked


def submit(
    con: duckdb.DuckDBPyConnection,
    sample_id: str,
    item_id: str,
    reviewer: str,
    responses: list[ResponseLabel],
    preference: str | None = None,
    notes: str | None = None,
) -> bool:
    """Store the reviewer's label for an item; True when it changed an earlier one."""
    canary = canary_request(con, sample_id, item_id, reviewer)
    if canary is not None:
        answer = validate({"A": ""}, responses, preference)[0]
        return _submit_canary(con, sample_id, reviewer, canary, answer, notes)
    dataset_id, sides = _sides(con, sample_id, item_id, reviewer)
    checked = validate(sides, responses, preference)
    notes = (notes or "").strip() or None
    with _WRITE_LOCK, db.transaction(con):
        writes.lock_key(con, f"label/{sample_id}/{item_id}/{reviewer}")
        before = con.execute(
            "SELECT shown_side, score, passed, failure_modes, safety_flag, preference, notes"
            " FROM label WHERE sample_id = ? AND item_id = ? AND reviewer = ? ORDER BY 1",
            [sample_id, item_id, reviewer],
        ).fetchall()
        writes.upsert_labels(
            con,
            [
                writes.LabelRow(
                    dataset_id,
                    item_id,
                    sides[r.side],
                    reviewer,
                    r.score,
                    r.passed,
                    pair_run_id=next((run for side, run in sides.items() if side != r.side), None),
                    failure_modes=r.failure_modes,
                    safety_flag=r.safety_flag,
                    preference=preference,
                    shown_side=r.side,
                    notes=notes,
                    origin="app",
                    sample_id=sample_id,
                )
                for r in checked
            ],
        )
        writes.mark_done(con, sample_id, item_id, reviewer)
        writes.audit(
            con,
            reviewer,
            "change_label" if before else "submit_label",
            "label",
            f"{sample_id}/{item_id}/{reviewer}",
            before=[list(row) for row in before] or None,
            after={
                "responses": [asdict(r) for r in checked],
                "preference": preference,
                "notes": notes,
            },
        )
    return bool(before)


def skip(con: duckdb.DuckDBPyConnection, sample_id: str, item_id: str, reviewer: str) -> None:
    """Put an open item at the back of the reviewer's queue (a labelled item stays done)."""
    canary = canary_request(con, sample_id, item_id, reviewer)
    if canary is None:
        _sides(con, sample_id, item_id, reviewer)
    assigned = item_id if canary is None else canary[1]
    with _WRITE_LOCK, db.transaction(con):
        writes.skip_assignment(con, sample_id, assigned, reviewer)
        writes.audit(con, reviewer, "skip", "assignment", f"{sample_id}/{item_id}/{reviewer}")


def _submit_canary(
    con: duckdb.DuckDBPyConnection,
    sample_id: str,
    reviewer: str,
    canary: tuple[str, str],
    checked: ResponseLabel,
    notes: str | None,
) -> bool:
    """A canary request's label goes to canary_label (never ``label``: no golden-set figure
    reads it); the assignment is done and the change audited, as for a golden label."""
    migration_id, request_id = canary
    notes = (notes or "").strip() or None
    row = writes.CanaryLabelRow(
        migration_id,
        sample_id,
        request_id,
        reviewer,
        int(checked.score or 0),
        bool(checked.passed),
        checked.failure_modes,
        checked.safety_flag,
        notes,
    )
    with _WRITE_LOCK, db.transaction(con):
        writes.lock_key(con, f"canary_label/{sample_id}/{request_id}/{reviewer}")
        before = con.execute(
            "SELECT score, passed, failure_modes, safety_flag, notes FROM canary_label"
            " WHERE sample_id = ? AND request_id = ? AND reviewer = ?",
            [sample_id, request_id, reviewer],
        ).fetchone()
        writes.upsert_canary_label(con, row)
        writes.mark_done(con, sample_id, request_id, reviewer)
        writes.audit(
            con,
            reviewer,
            "change_canary_label" if before else "submit_canary_label",
            "canary_label",
            f"{sample_id}/{request_id}/{reviewer}",
            before=list(before) if before else None,
            after={"response": asdict(checked), "notes": notes},
        )
    return before is not None
