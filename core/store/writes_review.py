"""Writers of the review tables: labels, assignments, samples and sample items, and pairwise
tournament votes (see core.store.writes, which re-exports every name here)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb

from core.store import sql
from core.store.sql import Sql, compose
from core.store.writes_common import first

LABEL_COLUMNS = (
    "dataset_id",
    "item_id",
    "run_id",
    "pair_run_id",
    "reviewer",
    "score",
    "passed",
    "failure_modes",
    "safety_flag",
    "preference",
    "shown_side",
    "notes",
    "origin",
    "sample_id",
    "raw_record",
)


@dataclass(frozen=True)
class LabelRow:
    """One label: a reviewer's grade of one run's output for one item."""

    dataset_id: str
    item_id: str
    run_id: str
    reviewer: str
    score: int | None
    passed: bool | None = None
    pair_run_id: str | None = None
    failure_modes: tuple[str, ...] = ()
    safety_flag: bool = False
    preference: str | None = None
    shown_side: str | None = None
    notes: str | None = None
    origin: str = "app"
    sample_id: str | None = None

    def values(self) -> list:
        return [
            self.dataset_id,
            self.item_id,
            self.run_id,
            self.pair_run_id,
            self.reviewer,
            self.score,
            self.passed,
            list(self.failure_modes),
            self.safety_flag,
            self.preference,
            self.shown_side,
            self.notes,
            self.origin,
            self.sample_id,
        ]


@dataclass(frozen=True)
class SampleItemRow:
    """One sampled item with its design stratum and inclusion probability."""

    sample_id: str
    item_id: str
    stratum: str
    pool: str
    stratum_size: int
    inclusion_prob: float
    reviewers_wanted: int = 1
    round: int = 1  # 1: the first draw; 2, 3, ...: top-ups


_LABEL_INSERT = (
    "INSERT INTO label (dataset_id, item_id, run_id, pair_run_id, reviewer, score, passed,"
    " failure_modes, safety_flag, preference, shown_side, notes, origin, sample_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


# --- labels -------------------------------------------------------------------------------


def insert_labels(con: duckdb.DuckDBPyConnection, rows: Sequence[LabelRow]) -> int:
    """Add new labels; a label already stored for (sample, item, run, reviewer) is an error."""
    if rows:
        con.executemany(_LABEL_INSERT, [r.values() for r in rows])
    return len(rows)


def upsert_labels(con: duckdb.DuckDBPyConnection, rows: Sequence[LabelRow]) -> None:
    """Add labels, or change the stored one of the same (sample, item, run, reviewer)."""
    for row in rows:
        con.execute(
            _LABEL_INSERT + " ON CONFLICT (sample_id, item_id, run_id, reviewer) DO UPDATE SET"
            " score = excluded.score, passed = excluded.passed,"
            " failure_modes = excluded.failure_modes, safety_flag = excluded.safety_flag,"
            " preference = excluded.preference, shown_side = excluded.shown_side,"
            " notes = excluded.notes, updated_at = excluded.updated_at",
            row.values(),
        )


def insert_labels_from(
    con: duckdb.DuckDBPyConnection,
    columns: Sequence[str],
    select: Sql,
    params: Sequence[object] = (),
) -> int:
    """Add the rows of ``select`` (a SELECT over staged tables, values bound through
    ``params``) as labels in ``columns``; returns how many."""
    unknown = [c for c in columns if c not in LABEL_COLUMNS]
    if unknown:
        raise ValueError(f"insert_labels_from: not label columns: {unknown!r}")
    insert = compose(
        "INSERT INTO label ({columns}) {select}",
        columns=sql.join(", ", (sql.name(c) for c in columns)),
        select=select,
    )
    return first(con.execute(insert.text, list(params)))


def attach_labels(
    con: duckdb.DuckDBPyConnection, label_ids: Sequence[int], sample_id: str | None
) -> None:
    """Give labels imported without a sample to ``sample_id``."""
    con.execute(
        "UPDATE label SET sample_id = $2, updated_at = current_timestamp"
        " WHERE label_id IN (SELECT unnest($1))",
        [list(label_ids), sample_id],
    )


# --- assignments --------------------------------------------------------------------------


def insert_assignments(
    con: duckdb.DuckDBPyConnection, rows: Sequence[tuple[str, str, str, int]]
) -> int:
    """Queue items for reviewers: (sample_id, item_id, reviewer, position) rows."""
    if rows:
        con.executemany(
            "INSERT INTO assignment (sample_id, item_id, reviewer, position) VALUES (?, ?, ?, ?)",
            [list(r) for r in rows],
        )
    return len(rows)


def mark_done(
    con: duckdb.DuckDBPyConnection,
    sample_id: str,
    item_id: str | None = None,
    reviewer: str | None = None,
) -> None:
    """Mark assignments done: one (item, reviewer), or every one of the sample when None."""
    con.execute(
        "UPDATE assignment SET status = 'done', done_at = current_timestamp"
        " WHERE sample_id = $1 AND ($2 IS NULL OR item_id = $2)"
        " AND ($3 IS NULL OR reviewer = $3)",
        [sample_id, item_id, reviewer],
    )


def mark_done_from(con: duckdb.DuckDBPyConnection, sample_id: str, relation: Sql) -> int:
    """Mark done the open assignments of ``sample_id`` whose (item_id, reviewer) appear in
    ``relation``; returns how many changed."""
    update = compose(
        "UPDATE assignment a SET status = 'done', done_at = current_timestamp"
        " FROM (SELECT DISTINCT item_id, reviewer FROM {relation}) t"
        " WHERE a.sample_id = $1 AND a.item_id = t.item_id AND a.reviewer = t.reviewer"
        " AND a.status <> 'done'",
        relation=relation,
    )
    return first(con.execute(update.text, [sample_id]))


def skip_assignment(
    con: duckdb.DuckDBPyConnection, sample_id: str, item_id: str, reviewer: str
) -> None:
    """Put an open item at the back of the reviewer's queue (a done item stays done)."""
    con.execute(
        "UPDATE assignment SET status = 'skipped' WHERE sample_id = ? AND"
        " item_id = ? AND reviewer = ? AND status = 'open'",
        [sample_id, item_id, reviewer],
    )


# --- samples ------------------------------------------------------------------------------


def insert_sample(
    con: duckdb.DuckDBPyConnection,
    sample_id: str,
    migration_id: str,
    name: str,
    run_a: str,
    run_b: str | None,
    params: dict,
    seed: int,
    *,
    synthetic: bool,
    created_by: str,
) -> None:
    """Record a drawn sample and the parameters it was drawn with."""
    con.execute(
        "INSERT INTO sample (sample_id, migration_id, name, run_a, run_b, params, seed,"
        " synthetic, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            sample_id,
            migration_id,
            name,
            run_a,
            run_b,
            json.dumps(params),
            seed,
            synthetic,
            created_by,
        ],
    )


def insert_sample_items(con: duckdb.DuckDBPyConnection, rows: Iterable[SampleItemRow]) -> None:
    """Add sampled items with their stratum, N_h and inclusion probability."""
    values = [
        [
            r.sample_id,
            r.item_id,
            r.stratum,
            r.pool,
            r.stratum_size,
            r.inclusion_prob,
            r.reviewers_wanted,
            r.round,
        ]
        for r in rows
    ]
    if values:
        con.executemany(
            "INSERT INTO sample_item (sample_id, item_id, stratum, pool, stratum_size,"
            " inclusion_prob, reviewers_wanted, round) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )


def set_inclusion_prob(
    con: duckdb.DuckDBPyConnection, sample_id: str, stratum: str, pool: str, probability: float
) -> None:
    """One stratum's new inclusion probability after a top-up, for every item in it."""
    con.execute(
        "UPDATE sample_item SET inclusion_prob = ? WHERE sample_id = ?"
        " AND stratum = ? AND pool = ?",
        [probability, sample_id, stratum, pool],
    )


def insert_pairwise_votes_from(con: duckdb.DuckDBPyConnection, select: str, params=()) -> int:
    """Add the rows of ``select`` (quote()d names, bound values) as tournament votes: dataset_id,
    item_id, run_a, run_b, turn, metric, voter, voter_kind, winner, explanation, source_file."""
    insert = "INSERT INTO pairwise_vote (dataset_id, item_id, run_a, run_b, turn, metric, voter,"
    insert += " voter_kind, winner, explanation, source_file) "
    return first(con.execute(insert + select, list(params)))
