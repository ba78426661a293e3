"""The job queue and its worker on the DuckDB store: claims, leases, cancel, failures."""

import threading
import time
from datetime import timedelta

import pytest

from core.errors import InputError, NotFoundError
from core.jobs import queue, worker
from core.store import db, writes


def make_worker(con, handler, **options) -> worker.Worker:
    handlers = {kind: handler for kind in queue.KINDS}
    return worker.Worker(con.cursor(), handlers=handlers, heartbeat_s=0.05, **options)


def test_a_queued_job_runs_once_and_ends_done_with_its_progress_log_and_audit(con):
    seen = []

    def handler(ctx):
        seen.append(ctx.params)
        ctx.progress(0.5, "half way")
        ctx.log("first line")
        ctx.log("second line")
        return "all done"

    job_id = queue.enqueue(con, "run", {"run_id": "r1"}, actor="owner", subject="r1")
    assert queue.get(con, job_id)["status"] == "queued"
    w = make_worker(con, handler)
    assert w.run_once() == job_id
    assert w.run_once() is None  # nothing left: a done job is never claimed again
    job = queue.get(con, job_id)
    assert (job["status"], job["message"], job["progress"], job["attempts"]) == (
        "done",
        "all done",
        1.0,
        1,
    )
    assert job["created_by"] == "owner" and job["finished_at"] >= job["started_at"]
    assert seen == [{"run_id": "r1"}]
    assert queue.log(con, job_id) == ["first line", "second line"]
    assert db.scalar(con, "SELECT count(*) FROM audit WHERE entity = 'job'") == 1


def test_jobs_run_oldest_first_and_only_the_kinds_a_worker_takes(con):
    ran = []
    first = queue.enqueue(con, "judge", {}, actor="owner")
    second = queue.enqueue(con, "run", {}, actor="owner")
    third = queue.enqueue(con, "run", {}, actor="owner")
    runs_only = make_worker(con, lambda ctx: ran.append(ctx.job_id) or "ok", kinds=["run"])
    while runs_only.run_once():
        pass
    assert ran == [second, third]
    assert queue.get(con, first)["status"] == "queued"


def test_a_failing_handler_ends_failed_with_the_reason_and_the_worker_goes_on(con):
    def handler(ctx):
        if ctx.params["n"] == 1:
            raise InputError("run", "no such model")
        if ctx.params["n"] == 2:
            raise KeyError("bug")
        return "fine"

    ids = [queue.enqueue(con, "run", {"n": n}, actor="owner") for n in (1, 2, 3)]
    w = make_worker(con, handler)
    while w.run_once():
        pass
    jobs = [queue.get(con, i) for i in ids]
    assert [j["status"] for j in jobs] == ["failed", "failed", "done"]
    assert "no such model" in jobs[0]["message"]
    assert jobs[1]["message"] == "KeyError: 'bug'"
    assert "Traceback" in queue.log(con, ids[1])[0]


def test_a_queued_job_cancelled_is_never_run(con):
    job_id = queue.enqueue(con, "run", {}, actor="owner")
    assert queue.cancel(con, job_id, actor="boss") == "cancelled"
    assert make_worker(con, lambda ctx: "ran").run_once() is None
    job = queue.get(con, job_id)
    assert (job["status"], job["message"]) == ("cancelled", "cancelled by boss")
    with pytest.raises(InputError, match="already ended"):
        queue.cancel(con, job_id, actor="boss")
    with pytest.raises(NotFoundError, match="no job"):
        queue.cancel(con, "job-nope", actor="boss")


def test_a_running_job_stops_at_its_next_heartbeat_when_cancelled(con):
    started = threading.Event()

    def handler(ctx):
        started.set()
        assert ctx.stop.wait(10), "the cancel never reached the handler"
        return "stopped after 3 items"

    job_id = queue.enqueue(con, "run", {}, actor="owner")
    w = make_worker(con, handler)
    running = threading.Thread(target=w.run_once)
    running.start()
    assert started.wait(10)
    assert queue.cancel(con.cursor(), job_id, actor="boss") == "running"
    running.join(10)
    job = queue.get(con, job_id)
    assert (job["status"], job["message"]) == ("cancelled", "cancelled: stopped after 3 items")
    assert queue.get(con, job_id)["cancel_requested"]


def test_a_job_whose_worker_died_is_taken_over_after_its_lease_and_resumed(con):
    job_id = queue.enqueue(con, "run", {}, actor="owner")
    # A worker claimed it, then died: its heartbeat stopped two minutes ago.
    long_ago = queue.now() - timedelta(minutes=2)
    assert writes.claim_job(con, "dead:1:1", ["run"], long_ago, 60)[0] == job_id
    fresh = make_worker(con, lambda ctx: f"attempt {ctx.attempts}", lease_s=60)
    assert fresh.run_once() == job_id
    job = queue.get(con, job_id)
    assert (job["status"], job["message"], job["attempts"]) == ("done", "attempt 2", 2)
    assert queue.log(con, job_id) == [f"resumed by {fresh.name} (claim 2)"]


def test_a_job_whose_worker_still_beats_is_not_taken_over(con):
    job_id = queue.enqueue(con, "run", {}, actor="owner")
    assert writes.claim_job(con, "alive:1:1", ["run"], queue.now(), 60)[0] == job_id
    assert make_worker(con, lambda ctx: "stolen", lease_s=60).run_once() is None
    assert queue.get(con, job_id)["worker"] == "alive:1:1"


def test_a_worker_that_lost_its_lease_writes_no_outcome(con):
    """It stalled past its lease and another worker took the job: the other's outcome stands."""
    job_id = queue.enqueue(con, "run", {}, actor="owner")
    released = threading.Event()

    def slow(ctx):
        released.wait(10)
        return "late"

    stalled = make_worker(con, slow, lease_s=60)
    stalled.heartbeat_s = 60  # it never renews
    running = threading.Thread(target=stalled.run_once)
    running.start()
    time.sleep(0.2)
    later = queue.now() + timedelta(minutes=5)
    other = con.cursor()
    assert writes.claim_job(other, "other:1:1", ["run"], later, 60)[0] == job_id
    writes.finish_job(other, job_id, "other:1:1", "done", "by the other", later)
    released.set()
    running.join(10)
    assert queue.get(con, job_id)["message"] == "by the other"


def test_a_cancel_asked_of_a_dead_workers_job_ends_it_at_the_next_claim(con):
    job_id = queue.enqueue(con, "run", {}, actor="owner")
    long_ago = queue.now() - timedelta(minutes=2)
    writes.claim_job(con, "dead:1:1", ["run"], long_ago, 60)
    assert queue.cancel(con, job_id, actor="boss") == "running"
    assert make_worker(con, lambda ctx: "resumed", lease_s=60).run_once() is None
    job = queue.get(con, job_id)
    assert (job["status"], job["message"]) == ("cancelled", "cancelled by boss")


def test_a_worker_shutting_down_puts_its_job_back_in_the_queue(con):
    started = threading.Event()

    def handler(ctx):
        started.set()
        ctx.stop.wait(10)
        return "interrupted at item 4"

    job_id = queue.enqueue(con, "run", {}, actor="owner")
    w = make_worker(con, handler)
    serving = threading.Thread(target=w.serve, kwargs={"poll_s": 0.05})
    serving.start()
    assert started.wait(10)
    w.shutdown.set()
    serving.join(10)
    job = queue.get(con, job_id)
    assert (job["status"], job["worker"]) == ("queued", None)
    assert job["message"] == "interrupted, queued again: interrupted at item 4"
    assert make_worker(con, lambda ctx: "finished").run_once() == job_id


def test_two_workers_in_one_process_never_run_a_job_twice(con):
    ran: list[str] = []
    lock = threading.Lock()

    def handler(ctx):
        with lock:
            ran.append(ctx.job_id)
        return "ok"

    ids = {queue.enqueue(con, "run", {"i": i}, actor="owner") for i in range(40)}
    workers = [make_worker(con, handler) for _ in range(2)]
    threads = [threading.Thread(target=w.serve, kwargs={"poll_s": 0.01}) for w in workers]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(ran) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    for w in workers:
        w.shutdown.set()
    for t in threads:
        t.join(10)
    assert sorted(ran) == sorted(ids)
    statuses = con.execute("SELECT status, count(*) FROM job GROUP BY ALL").fetchall()
    assert statuses == [("done", 40)]


def test_an_unknown_kind_is_refused_before_anything_is_written(con):
    before = db.row_counts(con)
    with pytest.raises(InputError, match="kind must be one of"):
        queue.enqueue(con, "mine", {}, actor="owner")
    assert db.row_counts(con) == before
