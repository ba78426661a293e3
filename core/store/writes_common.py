"""What every writer of shared tables uses: the audit trail's one writer, and reading what a
statement returned. core.store.writes re-exports ``audit``; writer modules import it here."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from core.store.sql import Native


def on_postgres(con: Any) -> bool:
    """Whether ``con`` is PostgreSQL (core.store.pg_connection) rather than a DuckDB file."""
    return getattr(con, "backend", "duckdb") == "postgresql"


def lock_key(con: Any, key: str) -> None:
    """Serialise writers of one key until the transaction ends. On PostgreSQL several
    processes write at once (an advisory lock); DuckDB has one writing process, whose
    threads the caller's lock already orders."""
    if on_postgres(con):
        con.execute("SELECT pg_advisory_xact_lock(hashtext(?))", [key])


def refresh_statistics(con: Any, table: str) -> None:
    """After a bulk write on PostgreSQL: its planner's row estimates for ``table`` (a fresh
    table has none until autovacuum comes by, and a join planned on none can take minutes).
    DuckDB keeps its statistics as it writes."""
    if on_postgres(con):
        con.execute(_ANALYZE[table])


_ANALYZE = {
    "canary_request": Native("ANALYZE canary_request"),
    "canary_score": Native("ANALYZE canary_score"),
    "output": Native("ANALYZE output"),
    "judge_score": Native("ANALYZE judge_score"),
}


def first(cursor: duckdb.DuckDBPyConnection) -> Any:
    """The first value of the statement's one row (a count, a RETURNING id)."""
    row = cursor.fetchone()
    if row is None:
        raise LookupError("expected the statement to return a row")
    return row[0]


def changed(con: duckdb.DuckDBPyConnection) -> int:
    """Rows the last INSERT or DELETE changed (DuckDB returns the count as its result)."""
    row = con.fetchone()
    return 0 if row is None else int(row[0])


def audit(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: object = None,
    after: object = None,
) -> None:
    """Append one entry to the audit trail (call inside the writer's transaction)."""
    con.execute(
        "INSERT INTO audit (actor, action, entity, entity_id, before, after)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            actor,
            action,
            entity,
            entity_id,
            None if before is None else json.dumps(before, default=str),
            None if after is None else json.dumps(after, default=str),
        ],
    )
