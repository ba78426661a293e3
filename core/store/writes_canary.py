"""The only writers of the canary tables: arms, ingested files, requests and their scores.

Like core.store.writes, writers never open a transaction: the importer's unit of work
(``db.transaction``, one per file) holds the rows, the file record and the audit entry
together. Values are bound; the bulk writers take a SELECT the importer built from quoted
names, whose columns are these tables' own, in order.
"""

from __future__ import annotations

import duckdb

from core.store import sql
from core.store.sql import Sql, compose
from core.store.writes import audit
from core.store.writes_common import refresh_statistics

__all__ = [
    "REQUEST_COLUMNS",
    "SCORE_COLUMNS",
    "add_arm",
    "add_judge_scores",
    "audit",
    "insert_file",
    "insert_requests_from",
    "insert_scores_from",
]

REQUEST_COLUMNS = (
    "migration_id",
    "request_id",
    "arm",
    "ts",
    "model_id",
    "prompt",
    "response",
    "ttft_ms",
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "error",
    "stratum",
    "file_sha256",
)
SCORE_COLUMNS = (
    "migration_id",
    "request_id",
    "metric",
    "evaluator",
    "score",
    "label",
    "explanation",
    "file_sha256",
)


def add_arm(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    model_id: str,
    arm: str,
    *,
    priced_as: str,
    origin: str,
    actor: str,
) -> None:
    """Map a model id as the logs spell it to an arm (audited)."""
    con.execute(
        "INSERT INTO canary_arm (migration_id, model_id, arm, priced_as, origin, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [migration_id, model_id, arm, priced_as, origin, actor],
    )
    audit(
        con,
        actor,
        "add_canary_arm",
        "migration",
        migration_id,
        after={"model_id": model_id, "arm": arm, "priced_as": priced_as, "origin": origin},
    )


def insert_file(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    sha256: str,
    source: str,
    fmt: str,
    rows: int,
    scores: int,
    *,
    actor: str,
) -> None:
    """Record an ingested file (its content hash makes a second ingest a skip), audited."""
    con.execute(
        "INSERT INTO canary_file (migration_id, sha256, source, format, rows, scores,"
        " ingested_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [migration_id, sha256, source, fmt, rows, scores, actor],
    )
    audit(
        con,
        actor,
        "ingest_canary_file",
        "migration",
        migration_id,
        after={"sha256": sha256, "source": source, "format": fmt, "rows": rows, "scores": scores},
    )


def insert_requests_from(con: duckdb.DuckDBPyConnection, select: Sql, params=()) -> int:
    """Append requests: ``select`` yields REQUEST_COLUMNS in order. Returns the rows added."""
    insert = compose(
        "INSERT INTO canary_request ({columns}) {select}",
        columns=sql.join(", ", (sql.name(c) for c in REQUEST_COLUMNS)),
        select=select,
    )
    row = con.execute(insert.text, list(params)).fetchone()
    refresh_statistics(con, "canary_request")
    return int(row[0]) if row else 0


def set_request_text_from(con: duckdb.DuckDBPyConnection, select: Sql, params=()) -> int:
    """Give requests their prompt and response: ``select`` yields (request_id, prompt,
    response), with the migration id bound as $1. Only the demo uses it (logs carry text)."""
    update = compose(
        "UPDATE canary_request r SET prompt = t.prompt, response = t.response"
        " FROM ({select}) t WHERE r.migration_id = $1 AND r.request_id = t.request_id",
        select=select,
    )
    row = con.execute(update.text, list(params)).fetchone()
    return int(row[0]) if row else 0


def insert_scores_from(con: duckdb.DuckDBPyConnection, select: Sql, params=()) -> int:
    """Append judge scores: ``select`` yields SCORE_COLUMNS in order. Returns the rows added."""
    insert = compose(
        "INSERT INTO canary_score ({columns}) {select}",
        columns=sql.join(", ", (sql.name(c) for c in SCORE_COLUMNS)),
        select=select,
    )
    row = con.execute(insert.text, list(params)).fetchone()
    return int(row[0]) if row else 0


def add_judge_scores(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    rows: list[tuple],
    *,
    marker: str,
    actor: str,
) -> int:
    """Append scores Switchyard's own judges gave sampled requests, audited.

    ``rows`` are (request_id, metric, evaluator, score, label, explanation); ``marker`` (e.g.
    'judge:<uuid>') stands in file_sha256 for the judging pass that wrote them: no file was
    read, and no canary_file row carries it. Returns the rows added."""
    if not rows:
        return 0
    con.executemany(
        "INSERT INTO canary_score (migration_id, request_id, metric, evaluator, score, label,"
        " explanation, file_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [[migration_id, *row, marker] for row in rows],
    )
    metrics = sorted({row[1] for row in rows})
    audit(
        con,
        actor,
        "judge_canary_traffic",
        "migration",
        migration_id,
        after={"marker": marker, "scores": len(rows), "metrics": metrics},
    )
    return len(rows)
