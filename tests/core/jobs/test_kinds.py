"""Jobs that do real work: a model run against the loopback Bedrock fake through a real boto3
client, judge scoring, a worker killed with SIGKILL midway and another finishing its job."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.errors import InputError
from core.jobs import kinds, queue, worker
from core.llm import judges, runner
from core.store import db
from tests.conftest import ON_POSTGRES

MODEL = "amazon.nova-pro-v1:0"
ROOT = Path(__file__).resolve().parents[3]


def dataset(con) -> str:
    return db.scalar(con, "SELECT dataset_id FROM dataset")


def answered(con, run_id) -> int:
    return db.scalar(
        con, "SELECT count(*) FROM output WHERE run_id = ? AND error IS NULL", [run_id]
    )


def calls(fake) -> int:
    """Model calls made (the demo has items with the same prompt: count calls, not prompts)."""
    return sum(1 for r in fake.requests if r.path.endswith("/converse-stream"))


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_a_run_job_answers_every_item_on_a_worker_thread(demo_con, fake_bedrock):
    con = demo_con(60)
    fake = fake_bedrock(ttft_s=0.01, total_s=0.05)
    config = runner.ModelConfig(MODEL, endpoint_url=fake.url, concurrency=4)
    run_id = runner.create(con, dataset(con), config, actor="owner")
    job_id = kinds.enqueue_run(con, run_id, config, actor="owner")
    w = worker.start_thread(con, heartbeat_s=0.1)
    try:
        wait_for(lambda: queue.get(con, job_id)["status"] not in queue.ACTIVE)
    finally:
        w.shutdown.set()
    job = queue.get(con, job_id)
    assert job["status"] == "done", job["message"]
    assert job["message"].startswith(f"{run_id}: 60 answered, 0 failed")
    assert answered(con, run_id) == 60 and calls(fake) == 60


def test_a_cancelled_run_keeps_its_answers_and_a_second_job_finishes_it(demo_con, fake_bedrock):
    con = demo_con(60)
    fake = fake_bedrock(ttft_s=0.02, total_s=0.1)
    config = runner.ModelConfig(MODEL, endpoint_url=fake.url, concurrency=2)
    run_id = runner.create(con, dataset(con), config, actor="owner")
    first = kinds.enqueue_run(con, run_id, config, actor="owner")
    w = worker.Worker(con.cursor(), heartbeat_s=0.05)
    running = threading.Thread(target=w.run_once)
    running.start()
    wait_for(lambda: len(fake.requests) >= 10)
    assert queue.cancel(con.cursor(), first, actor="boss") == "running"
    running.join(30)
    assert queue.get(con, first)["status"] == "cancelled"
    kept = answered(con, run_id)
    assert 10 <= kept < 60  # calls in flight were written; the rest never made
    second = kinds.enqueue_run(con, run_id, config, actor="owner")
    assert w.run_once() == second
    job = queue.get(con, second)
    assert job["status"] == "done" and f"{kept} already done" in job["message"]
    assert answered(con, run_id) == 60
    assert calls(fake) == 60  # no item asked twice


def test_a_judge_job_scores_a_run_and_refuses_unknown_metrics_when_queued(demo_con):
    con = demo_con(60)
    run_id = db.scalar(con, "SELECT run_id FROM run ORDER BY run_id LIMIT 1")
    before = db.row_counts(con)
    with pytest.raises(InputError, match="unknown metrics"):
        kinds.enqueue_judge(con, run_id, ["nope"], judges.JudgeConfig(), actor="owner")
    assert db.row_counts(con) == before
    n = answered(con, run_id)  # the judge scores answered outputs only
    job_id = kinds.enqueue_judge(
        con, run_id, ["ragas_exact_match"], judges.JudgeConfig(concurrency=2), actor="owner"
    )
    assert worker.Worker(con.cursor(), heartbeat_s=0.05).run_once() == job_id
    job = queue.get(con, job_id)
    assert (job["status"], job["message"]) == ("done", f"scored: ragas_exact_match ({n} items)")
    stored = db.scalar(
        con,
        "SELECT count(*) FROM judge_score WHERE run_id = ? AND metric = 'ragas_exact_match'",
        [run_id],
    )
    assert stored == n


def test_a_worker_killed_midway_leaves_its_run_to_the_next_worker(demo_copy, fake_bedrock):
    path = demo_copy(60)
    fake = fake_bedrock(ttft_s=0.05, total_s=0.3)
    con = db.connect(str(path))
    config = runner.ModelConfig(MODEL, endpoint_url=fake.url, concurrency=2)
    run_id = runner.create(con, dataset(con), config, actor="owner")
    job_id = kinds.enqueue_run(con, run_id, config, actor="owner")
    con.close()  # the file has one holder at a time: the worker processes now
    command = [sys.executable, "-m", "core", "--db", str(path), "worker", "--once"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: len(fake.requests) >= 20)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    called_before = len(fake.requests)
    if ON_POSTGRES:  # other workers may be alive: the job is taken over once its lease ends
        command += ["--lease", "1"]
        time.sleep(1.5)
    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert f"{job_id} run done" in finished.stdout
    con = db.connect(str(path))
    try:
        job = queue.get(con, job_id)
        assert (job["status"], job["attempts"]) == ("done", 2)
        assert queue.log(con, job_id)[0].startswith("resumed by ")
        assert answered(con, run_id) == 60
    finally:
        con.close()
    # Only the calls in flight when it was killed (or answered but not yet written, at most a
    # write batch) are asked again.
    repeated = calls(fake) - 60
    assert repeated <= runner.BATCH + config.concurrency and len(fake.requests) > called_before
