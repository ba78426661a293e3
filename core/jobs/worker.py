"""Workers: claim a job, run its handler, renew the lease while it runs, record the outcome.

A handler gets a ``Context``: the job's parameters, a cursor of its own, ``progress`` (kept in
memory and written with each heartbeat, so a run's writer thread never waits on the job
row), ``log``, ``save`` (state to resume from) and ``stop``, an event set when someone asks
to cancel, when the lease is lost, or when the worker shuts down. Handlers resume: a job
claimed again after its worker died starts its handler afresh, which continues where the
stored rows say the work got to (the runner skips answered items).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from core.errors import SwitchyardError
from core.jobs import queue
from core.store import db, writes

LEASE_S = 60.0  # a holder silent this long is presumed dead and its job claimed again
HEARTBEAT_S = 2.0
log = logging.getLogger(__name__)


class Stopped(Exception):
    """Raised by ``Context.checkpoint`` once the job is to stop."""


@dataclass
class Context:
    con: duckdb.DuckDBPyConnection
    job_id: str
    kind: str
    params: dict[str, Any]
    attempts: int
    state: dict[str, Any] | None
    worker: str
    stop: threading.Event = field(default_factory=threading.Event)
    cancel_requested: bool = False
    shutting_down: bool = False
    lost: bool = False
    fraction: float = 0.0
    message: str | None = None
    problems: int = 0  # items that failed: the job is done, with failures to look at

    def progress(self, fraction: float, message: str) -> None:
        self.fraction, self.message = fraction, message

    def checkpoint(self) -> None:
        """For handlers without a stop of their own: end here when the job is to stop."""
        if self.stop.is_set():
            raise Stopped

    def log(self, line: str) -> None:
        writes.add_job_log(self.con, self.job_id, line, queue.now())

    def save(self, state: dict[str, Any]) -> None:
        self.state = state
        text = json.dumps(state)
        queue.retried(lambda: writes.save_state(self.con, self.job_id, self.worker, text))


Handler = Callable[[Context], str]


def _handlers() -> dict[str, Handler]:
    from core.jobs import kinds  # imports the model clients: only where jobs run

    return kinds.HANDLERS


class Worker:
    """Runs jobs one at a time on ``con`` (this worker's own cursor)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        kinds: Sequence[str] = queue.KINDS,
        lease_s: float = LEASE_S,
        heartbeat_s: float = HEARTBEAT_S,
        handlers: dict[str, Handler] | None = None,
    ) -> None:
        self.con = con
        self.kinds = list(kinds)
        self.lease_s, self.heartbeat_s = lease_s, heartbeat_s
        self.handlers = handlers
        self.name = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.shutdown = threading.Event()

    def claim(self, lease_s: float | None = None) -> Context | None:
        """The next job, now held by this worker; None when there is none."""
        lease = self.lease_s if lease_s is None else lease_s
        if not queue.waiting(self.con, self.kinds, queue.now(), lease):
            return None  # an idle worker only reads: no write transaction per poll

        def write():
            with db.transaction(self.con):
                writes.reap_cancelled(self.con, queue.now(), lease)
                return writes.claim_job(self.con, self.name, self.kinds, queue.now(), lease)

        row = queue.retried(write)
        if row is None:
            return None
        job_id, kind, params, attempts, state = row
        ctx = Context(
            self.con,
            job_id,
            kind,
            json.loads(params),
            attempts,
            state and json.loads(state),
            self.name,
        )
        if attempts > 1:
            ctx.log(f"resumed by {self.name} (claim {attempts})")
        return ctx

    def run_once(self, lease_s: float | None = None) -> str | None:
        """Claim one job and run it to its end; its id, or None when the queue was empty."""
        ctx = self.claim(lease_s)
        if ctx is None:
            return None
        handler = (self.handlers or _handlers())[ctx.kind]
        beating = threading.Thread(target=self._beat, args=(ctx,), daemon=True)
        beating.start()
        status, message = "failed", ""
        try:
            message = handler(ctx)
            status = "done"
        except Stopped:
            message = "stopped"
        except SwitchyardError as exc:
            message = str(exc)
        except ImportError as exc:  # a judge library missing: say what to install
            message = (
                f"the library {exc.name or str(exc)!r} is not installed on the server; install"
                " the app's requirements (pip install -r requirements.txt)"
            )
        except Exception as exc:  # a handler's bug must not end the worker: record it
            message = f"{type(exc).__name__}: {exc}"
            ctx.log(traceback.format_exc(limit=8))
        finally:
            ctx.stop.set()
            beating.join()
        self._end(ctx, status, message)
        return ctx.job_id

    def _end(self, ctx: Context, status: str, message: str) -> None:
        if ctx.lost:
            return  # another worker holds the job now; its outcome is that worker's to write
        if ctx.cancel_requested:
            status, message = "cancelled", f"cancelled: {message}"
        elif ctx.shutting_down:  # a handler stopped early returns as if done: it may not be
            queue.retried(lambda: writes.release_job(self.con, ctx.job_id, self.name, message))
            return
        queue.retried(
            lambda: writes.finish_job(
                self.con, ctx.job_id, self.name, status, message, queue.now(), ctx.problems
            )
        )

    def _beat(self, ctx: Context) -> None:
        """Renew the lease and publish progress until the job ends; notice a cancel."""
        con = self.con.cursor()
        try:
            while not ctx.stop.wait(self.heartbeat_s):
                self._beat_once(con, ctx)
            if not ctx.lost:
                self._beat_once(con, ctx, final=True)  # the last progress before the outcome
        finally:
            con.close()

    def _beat_once(
        self, con: duckdb.DuckDBPyConnection, ctx: Context, *, final: bool = False
    ) -> None:
        held = queue.retried(
            lambda: writes.heartbeat(
                con, ctx.job_id, self.name, ctx.fraction, ctx.message, queue.now()
            )
        )
        if not held:
            ctx.lost = True
        elif db.scalar(con, "SELECT count(*) FROM job_cancel WHERE job_id = ?", [ctx.job_id]):
            ctx.cancel_requested = True
        if self.shutdown.is_set() and not final:
            # Not after the handler returned: a job that ended is done, not put back.
            ctx.shutting_down = True
        if ctx.lost or ctx.cancel_requested or ctx.shutting_down:
            ctx.stop.set()

    def serve(self, poll_s: float = 1.0, *, orphans_first: bool = False) -> None:
        """Run jobs until ``shutdown`` is set. ``orphans_first``: the first claim takes over
        running jobs whatever their lease (with the DuckDB file, no other process can be
        running them: the file has one holder at a time). On PostgreSQL other workers may
        be running them, so only the lease says a job is orphaned."""
        first = orphans_first and not writes.on_postgres(self.con)
        while not self.shutdown.is_set():
            try:
                ran = self.run_once(0.0 if first else None)
                first = False
            except duckdb.Error:  # the database went away (the app is stopping): try later
                log.exception("job worker")
                ran = None
            if ran is None:
                self.shutdown.wait(poll_s)


def start_thread(con: duckdb.DuckDBPyConnection, **options: Any) -> Worker:
    """A worker on a daemon thread of this process, with a cursor of its own."""
    worker = Worker(con.cursor(), **options)
    thread = threading.Thread(
        target=worker.serve, kwargs={"orphans_first": True}, daemon=True, name="switchyard-jobs"
    )
    thread.start()
    return worker
