"""Writers of the canary review tables: the frame of requests a draw considered and the SMEs'
labels of canary requests (core.store.writes re-exports every name here).

The draw's sample, items and assignments go through the golden sampler's writers
(writes_review); these two tables are canary-only, so no golden-set figure ever reads them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from core.store import sql

if TYPE_CHECKING:  # pandas is not loaded on the sign-in path (bench/first_start.py)
    import pandas as pd

FRAME_COLUMNS = (
    "migration_id",
    "request_id",
    "sample_id",
    "arm",
    "pool",
    "inclusion_prob",
    "drawn",
)


@dataclass(frozen=True)
class CanaryLabelRow:
    """An SME's label of one canary request (one response, shown blind to its arm)."""

    migration_id: str
    sample_id: str
    request_id: str
    reviewer: str
    score: int
    passed: bool
    failure_modes: tuple[str, ...] = ()
    safety_flag: bool = False
    notes: str | None = None


def insert_review_frame(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> int:
    """Record every request a draw considered (FRAME_COLUMNS, drawn or not); a request some
    earlier draw considered fails the primary key, so none is considered twice."""
    if list(frame.columns) != list(FRAME_COLUMNS):
        raise ValueError(f"insert_review_frame: expected columns {FRAME_COLUMNS}")
    if frame.empty:
        return 0
    _insert_frame(con, "canary_review_frame", frame)
    return len(frame)


ITEM_COLUMNS = ("sample_id", "item_id", "stratum", "pool", "stratum_size", "inclusion_prob")


def insert_drawn_items(con: duckdb.DuckDBPyConnection, items: pd.DataFrame) -> int:
    """A canary draw's sample_item rows (ITEM_COLUMNS) in one statement: a draw on a busy
    stream holds thousands, which row-by-row inserts take seconds over."""
    if list(items.columns) != list(ITEM_COLUMNS):
        raise ValueError(f"insert_drawn_items: expected columns {ITEM_COLUMNS}")
    if items.empty:
        return 0
    rows = items.assign(reviewers_wanted=1, round=1)  # one SME each, first round: no top-ups
    _insert_frame(con, "sample_item", rows)
    return len(rows)


def _insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """``frame``'s rows into ``table`` (a table of the schema), by column name, in one
    statement (on PostgreSQL, one COPY of the rows and one INSERT)."""
    staged = f"_frame_{secrets.token_hex(6)}"
    columns = sql.join(", ", (sql.name(c) for c in frame.columns))
    con.execute("SELECT 1").fetchall()  # DuckDB refuses register() with a result open
    con.register(staged, frame)
    try:
        con.execute(
            sql.compose(
                "INSERT INTO {table} ({columns}) SELECT {columns} FROM {staged}",
                table=sql.name(table),
                columns=columns,
                staged=sql.name(staged),
            ).text
        )
    finally:
        con.unregister(staged)


def upsert_canary_label(con: duckdb.DuckDBPyConnection, row: CanaryLabelRow) -> None:
    """Add the SME's label, or change their stored one of the same (sample, request)."""
    con.execute(
        "INSERT INTO canary_label (migration_id, sample_id, request_id, reviewer, score, passed,"
        " failure_modes, safety_flag, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (sample_id, request_id, reviewer) DO UPDATE SET score = excluded.score,"
        " passed = excluded.passed, failure_modes = excluded.failure_modes,"
        " safety_flag = excluded.safety_flag, notes = excluded.notes,"
        " updated_at = excluded.updated_at",
        [
            row.migration_id,
            row.sample_id,
            row.request_id,
            row.reviewer,
            row.score,
            row.passed,
            list(row.failure_modes),
            row.safety_flag,
            row.notes,
        ],
    )
