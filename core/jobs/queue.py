"""The job queue: enqueue, read, cancel. Workers (core.jobs.worker) claim and run jobs.

With the DuckDB file, every worker is a thread of the one process that holds the file (the
app, or ``python -m core worker``); two of them updating one row at once is a DuckDB write
conflict, which this module retries, since the other writer has already committed.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from core.errors import InputError, NotFoundError
from core.store import db, writes

if TYPE_CHECKING:  # pandas loads in seconds: not on the sign-in path, which starts a worker
    import pandas as pd

KINDS = ("run", "judge", "bedrock_eval", "batch")
ACTIVE = ("queued", "running")
T = TypeVar("T")


def now() -> datetime:
    """UTC without a zone, as the job table's TIMESTAMP columns hold it."""
    return datetime.now(UTC).replace(tzinfo=None)


def retried(write: Callable[[], T], attempts: int = 20) -> T:
    """``write`` again after a write-write conflict with another thread's committed update."""
    for attempt in range(attempts):
        try:
            return write()
        except duckdb.TransactionException as exc:
            if "conflict" not in str(exc).lower() or attempt == attempts - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def enqueue(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    params: dict[str, Any],
    *,
    actor: str,
    subject: str | None = None,
    exclusive: bool = False,
) -> str:
    """Queue a job; its id. ``params`` must be JSON (no secrets: workers read credentials
    from their own environment). ``exclusive``: refused while a job of this kind on this
    subject is queued or running (two runners on one run would answer items twice)."""
    return enqueue_all(con, kind, [params], actor=actor, subject=subject, exclusive=exclusive)[0]


def enqueue_all(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    params: list[dict[str, Any]],
    *,
    actor: str,
    subject: str | None = None,
    exclusive: bool = False,
) -> list[str]:
    """Queue one job per ``params`` in one transaction (the parts of one run); their ids."""
    if kind not in KINDS:
        raise InputError("job", f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    ids = [f"job-{uuid.uuid4().hex[:12]}" for _ in params]
    with db.transaction(con):
        if exclusive:  # checked under a lock: two processes enqueueing at once see each other
            writes.lock_key(con, f"job/{kind}/{subject}")
            active = con.execute(
                "SELECT job_id, status FROM job WHERE kind = ? AND subject = ?"
                " AND status IN ('queued', 'running') LIMIT 1",
                [kind, subject],
            ).fetchone()
            if active:
                raise InputError(
                    "job", f"{subject} already has a {kind} job {active[1]}: {active[0]}"
                )
        for job_id, one in zip(ids, params, strict=True):
            writes.insert_job(con, job_id, kind, json.dumps(one), subject, actor, now())
            audited = {"kind": kind, "subject": subject}
            writes.audit(con, actor, "enqueue", "job", job_id, None, audited)
    return ids


def waiting(con: duckdb.DuckDBPyConnection, kinds: list[str], at: datetime, lease_s: float) -> bool:
    """Whether a job of ``kinds`` waits for a worker: queued, or held by a silent worker."""
    stale = at - timedelta(seconds=lease_s)
    found = db.scalar(
        con,
        "SELECT count(*) FROM job WHERE kind IN (SELECT unnest(?)) AND (status = 'queued'"
        " OR (status = 'running' AND heartbeat_at < ?))",
        [kinds, stale],
    )
    return bool(found)


def cancel(con: duckdb.DuckDBPyConnection, job_id: str, *, actor: str) -> str:
    """Ask a job to stop; its status afterwards (``running`` until its worker stops it)."""
    status = get(con, job_id)["status"]
    if status not in ACTIVE:
        raise InputError("job", f"{job_id} has already ended ({status}); nothing to cancel")

    def write() -> str:
        with db.transaction(con):
            after = writes.request_cancel(con, job_id, actor, now())
            writes.audit(con, actor, "cancel", "job", job_id, None, {"status": after})
        return after

    return retried(write)


_COLUMNS = (
    "SELECT job_id, kind, subject, status, progress, message, problems, created_by, created_at,"
    " started_at, finished_at, worker, heartbeat_at, attempts, params,"
    " EXISTS (SELECT 1 FROM job_cancel c WHERE c.job_id = job.job_id) AS cancel_requested"
    " FROM job"
)


def get(con: duckdb.DuckDBPyConnection, job_id: str) -> dict[str, Any]:
    cursor = con.execute(_COLUMNS + " WHERE job_id = ?", [job_id])
    row = cursor.fetchone()
    if row is None:
        raise NotFoundError(f"no job {job_id!r}; `python -m core jobs list` lists them")
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def jobs(
    con: duckdb.DuckDBPyConnection, subjects: list[str] | None = None, limit: int = 50
) -> pd.DataFrame:
    """The latest jobs, newest first; only those working on ``subjects`` when given."""
    if subjects is None:
        return con.execute(_COLUMNS + " ORDER BY created_at DESC LIMIT ?", [limit]).df()
    return con.execute(
        _COLUMNS + " WHERE subject IN (SELECT unnest(?)) ORDER BY created_at DESC LIMIT ?",
        [subjects, limit],
    ).df()


def log(con: duckdb.DuckDBPyConnection, job_id: str) -> list[str]:
    rows = con.execute(
        "SELECT line FROM job_log WHERE job_id = ? ORDER BY seq", [job_id]
    ).fetchall()
    return [r[0] for r in rows]
