"""Writers of the job tables (see core.store.writes, which re-exports every name here).

A job row is updated by its holder only (claim, heartbeat, save_state, finish), each update
conditional on the holder still holding it, so a worker that lost its lease (it stalled past
``lease_s`` and another worker claimed the job) writes nothing more. Times are passed in,
in UTC, so every worker and test reads one clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import duckdb

from core.store.sql import Native
from core.store.writes_common import on_postgres


def insert_job(
    con: duckdb.DuckDBPyConnection,
    job_id: str,
    kind: str,
    params: str,
    subject: str | None,
    actor: str,
    now: datetime,
) -> None:
    """A queued job; ``params`` is its JSON."""
    con.execute(
        "INSERT INTO job (job_id, kind, params, subject, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [job_id, kind, params, subject, actor, now],
    )


def claim_job(
    con: duckdb.DuckDBPyConnection, worker: str, kinds: list[str], now: datetime, lease_s: float
) -> tuple | None:
    """Take the oldest queued job of ``kinds``, or a running one whose holder stopped renewing
    its lease: (job_id, kind, params, attempts, state), else None. On PostgreSQL the
    candidate row is locked and rows other workers are claiming are skipped, so any number
    of workers claim at once without waiting on each other."""
    params = {
        "worker": worker,
        "now": now,
        "kinds": kinds,
        "stale": now - timedelta(seconds=lease_s),
    }
    if on_postgres(con):
        server: Any = con  # core.store.pg_connection: takes statements written for it
        return server.execute(
            Native(
                "UPDATE job SET status = 'running', worker = %s, heartbeat_at = %s,"
                " started_at = coalesce(started_at, %s), attempts = attempts + 1"
                " WHERE job_id = (SELECT job_id FROM job j WHERE kind = ANY(%s)"
                " AND (status = 'queued' OR (status = 'running' AND heartbeat_at < %s))"
                " AND NOT EXISTS (SELECT 1 FROM job_cancel c WHERE c.job_id = j.job_id)"
                " ORDER BY created_at, job_id LIMIT 1 FOR UPDATE SKIP LOCKED)"
                " RETURNING job_id, kind, params, attempts, state"
            ),
            [worker, now, now, kinds, params["stale"]],
        ).fetchone()
    return con.execute(
        "UPDATE job SET status = 'running', worker = $worker, heartbeat_at = $now,"
        " started_at = coalesce(started_at, $now), attempts = attempts + 1"
        " WHERE job_id = (SELECT job_id FROM job j WHERE kind IN (SELECT unnest($kinds))"
        " AND (status = 'queued' OR (status = 'running' AND heartbeat_at < $stale))"
        " AND NOT EXISTS (SELECT 1 FROM job_cancel c WHERE c.job_id = j.job_id)"
        " ORDER BY created_at, job_id LIMIT 1)"
        " RETURNING job_id, kind, params, attempts, state",
        params,
    ).fetchone()


def heartbeat(
    con: duckdb.DuckDBPyConnection,
    job_id: str,
    worker: str,
    progress: float,
    message: str | None,
    now: datetime,
) -> bool:
    """Renew the lease with the latest progress; False when this worker no longer holds it."""
    row = con.execute(
        "UPDATE job SET heartbeat_at = ?, progress = ?, message = ? WHERE job_id = ?"
        " AND worker = ? AND status = 'running' RETURNING job_id",
        [now, min(1.0, max(0.0, progress)), message, job_id, worker],
    ).fetchone()
    return row is not None


def save_state(con: duckdb.DuckDBPyConnection, job_id: str, worker: str, state: str) -> bool:
    """What the handler needs to resume (JSON), kept on the job; False when not the holder."""
    row = con.execute(
        "UPDATE job SET state = ? WHERE job_id = ? AND worker = ? AND status = 'running'"
        " RETURNING job_id",
        [state, job_id, worker],
    ).fetchone()
    return row is not None


def finish_job(
    con: duckdb.DuckDBPyConnection,
    job_id: str,
    worker: str,
    status: str,
    message: str,
    now: datetime,
    problems: int = 0,
) -> bool:
    """End the job as done, failed or cancelled, with the count of items that failed in it;
    False when this worker no longer holds it."""
    row = con.execute(
        "UPDATE job SET status = ?, message = ?, finished_at = ?, problems = ?,"
        " progress = if(? = 'done', 1.0, progress) WHERE job_id = ? AND worker = ?"
        " AND status = 'running' RETURNING job_id",
        [status, message, now, problems, status, job_id, worker],
    ).fetchone()
    return row is not None


def release_job(con: duckdb.DuckDBPyConnection, job_id: str, worker: str, message: str) -> bool:
    """Put a job this worker holds back in the queue (the worker is shutting down)."""
    row = con.execute(
        "UPDATE job SET status = 'queued', worker = NULL, heartbeat_at = NULL,"
        " message = 'interrupted, queued again: ' || ? WHERE job_id = ? AND worker = ?"
        " AND status = 'running' RETURNING job_id",
        [message, job_id, worker],
    ).fetchone()
    return row is not None


def add_job_log(con: duckdb.DuckDBPyConnection, job_id: str, line: str, now: datetime) -> None:
    """One line of the job's log, after its others."""
    con.execute(
        "INSERT INTO job_log (job_id, seq, logged_at, line)"
        " SELECT ?, coalesce(max(seq), 0) + 1, ?, ? FROM job_log WHERE job_id = ?",
        [job_id, now, line, job_id],
    )


def request_cancel(con: duckdb.DuckDBPyConnection, job_id: str, actor: str, now: datetime) -> str:
    """Ask the job to stop: a queued job (or one whose holder died) ends as cancelled here;
    a running one is stopped by its holder at its next heartbeat. Its status afterwards."""
    con.execute(
        "INSERT INTO job_cancel (job_id, requested_by, requested_at) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        [job_id, actor, now],
    )
    row = con.execute(
        "UPDATE job SET status = 'cancelled', finished_at = ?, message = 'cancelled by ' || ?"
        " WHERE job_id = ? AND status = 'queued' RETURNING status",
        [now, actor, job_id],
    ).fetchone()
    if row is not None:
        return str(row[0])
    status = con.execute("SELECT status FROM job WHERE job_id = ?", [job_id]).fetchone()
    return "unknown" if status is None else str(status[0])


def reap_cancelled(con: duckdb.DuckDBPyConnection, now: datetime, lease_s: float) -> int:
    """End as cancelled the running jobs whose cancel was asked and whose holder is gone."""
    rows = con.execute(
        "UPDATE job SET status = 'cancelled', finished_at = $now, message = 'cancelled by '"
        " || (SELECT requested_by FROM job_cancel c WHERE c.job_id = job.job_id)"
        " WHERE status = 'running' AND heartbeat_at < $stale"
        " AND EXISTS (SELECT 1 FROM job_cancel c WHERE c.job_id = job.job_id)"
        " RETURNING job_id",
        {"now": now, "stale": now - timedelta(seconds=lease_s)},
    ).fetchall()
    return len(rows)
