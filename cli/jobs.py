"""Job commands: ``worker`` runs queued jobs; ``jobs list|show|cancel`` reads and stops them.

With the DuckDB file the app runs jobs itself (a worker thread); ``worker`` is for when the
app is not running, since one process holds the file at a time.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

import duckdb
import pandas as pd

from cli.common import actor
from core.formatting import count
from core.jobs import queue, worker
from core.store import writes


def cmd_worker(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> int:
    """Run jobs until interrupted (Ctrl+C or SIGTERM puts the job under way back in the
    queue), or, with --once, until the queue is empty."""
    runner = worker.Worker(con, kinds=args.kind or queue.KINDS, lease_s=args.lease)
    print(f"worker {runner.name}: waiting for jobs", file=sys.stderr)
    if args.once:
        ran = 0
        first = not writes.on_postgres(con)  # see Worker.serve: orphans of a DuckDB file
        while (job_id := runner.run_once(0.0 if first else None)) is not None:
            first = False
            ran += 1
            _print_end(con, job_id)
        print(f"{count(ran, 'job')} run", file=sys.stderr)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: runner.shutdown.set())
    serving = threading.Thread(target=runner.serve, kwargs={"orphans_first": True}, daemon=True)
    serving.start()
    try:
        while serving.is_alive():
            serving.join(0.5)
    except KeyboardInterrupt:
        runner.shutdown.set()
        serving.join()
    return 0


def _print_end(con: duckdb.DuckDBPyConnection, job_id: str) -> None:
    job = queue.get(con, job_id)
    print(f"{job_id} {job['kind']} {job['status']}: {job['message']}")


def cmd_jobs(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> int:
    if args.action == "list":
        found = queue.jobs(con, limit=args.limit)
        shown = found.drop(columns=["params"])
        if args.json:
            print(shown.to_json(orient="records", date_format="iso"))
        else:
            columns = ["job_id", "kind", "subject", "status", "progress", "message"]
            with pd.option_context("display.width", 200, "display.max_colwidth", 60):
                print(shown[columns].to_string(index=False) if len(shown) else "no jobs")
        return 0
    if not args.job:
        name = f"jobs {args.action} JOB_ID"
        print(f"error: name the job: {name} (jobs list shows them)", file=sys.stderr)
        return 2
    if args.action == "show":
        job = queue.get(con, args.job)
        job["log"] = queue.log(con, args.job)
        print(json.dumps(job, default=str, indent=2))
        return 0
    status = queue.cancel(con, args.job, actor=actor())
    later = " (its worker stops it at its next heartbeat)" if status == "running" else ""
    print(f"{args.job}: {status}{later}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    wk = sub.add_parser(
        "worker",
        help="run queued jobs (runs, judge scoring, batch jobs)",
        description="Run queued jobs: model runs, judge scoring, Bedrock evaluation and batch"
        " jobs. With PostgreSQL, start as many workers as you like, on any machine; each"
        " claims one job at a time. With the DuckDB file the app runs jobs itself, so a"
        " worker is for when the app is not running. A job whose worker dies is taken over"
        " once its lease ends (--lease); Ctrl+C puts the job under way back in the queue.",
    )
    wk.add_argument("--once", action="store_true", help="stop when the queue is empty")
    wk.add_argument("--kind", action="append", choices=queue.KINDS, help="only these kinds")
    wk.add_argument(
        "--lease",
        type=float,
        default=worker.LEASE_S,
        help="seconds without a heartbeat before another worker takes a job over",
    )
    jb = sub.add_parser(
        "jobs",
        help="list jobs, show one with its log, or cancel one",
        description="jobs list: the newest jobs with status and progress. jobs show JOB_ID:"
        " one job with its parameters and log, as JSON. jobs cancel JOB_ID: a queued job"
        " is cancelled at once; a running one is stopped by its worker at its next heartbeat.",
    )
    jb.add_argument("action", choices=["list", "show", "cancel"])
    jb.add_argument("job", nargs="?", help="job id (show, cancel)")
    jb.add_argument("--json", action="store_true", help="list as JSON")
    jb.add_argument("--limit", type=int, default=50)


COMMANDS = {"worker": cmd_worker, "jobs": cmd_jobs}
