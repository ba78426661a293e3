"""Worker processes sharing one run on PostgreSQL (FOR UPDATE SKIP LOCKED), against the
loopback Bedrock fake: no item asked twice, and a worker killed with SIGKILL midway leaves
its part to the other."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.jobs import queue
from core.llm import runner
from core.store import db

pytestmark = pytest.mark.slow  # processes and a PostgreSQL demo copy: about 40 s
MODEL = "amazon.nova-pro-v1:0"
ROOT = Path(__file__).resolve().parents[3]


def wait_for(condition, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def asked(fake) -> list[str]:
    return [r for r in fake.requests if r.path.endswith("/converse-stream")]


def test_two_workers_share_a_1000_item_run_and_one_killed_midway_leaves_its_part(
    pg_demo, fake_bedrock
):
    url = pg_demo(1000)
    fake = fake_bedrock(ttft_s=0.01, total_s=0.05)
    con = db.connect(url)
    dataset_id = db.scalar(con, "SELECT dataset_id FROM dataset")
    assert db.scalar(con, "SELECT count(*) FROM item WHERE dataset_id = ?", [dataset_id]) == 1000
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    core = [sys.executable, "-m", "core", "--db", url]
    model = ["--model", MODEL, "--endpoint-url", fake.url, "--concurrency", "4"]
    queued = subprocess.run(
        [*core, "run", "--dataset", dataset_id, *model, "--queue", "--parts", "8"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert queued.returncode == 0, queued.stderr
    run_id = queued.stdout.split()[-1]
    assert "as 8 job(s)" in queued.stderr and not fake.requests  # queued, not run here
    command = [*core, "worker", "--kind", "run"]
    workers = [
        subprocess.Popen(
            [*command, "--lease", "10"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    try:
        # Both take parts at once; then the first is killed in the middle of its part.
        wait_for(lambda: db.scalar(con, "SELECT count(DISTINCT worker) FROM job") == 2)
        wait_for(lambda: len(asked(fake)) >= 300)
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(10)
        wait_for(lambda: db.scalar(con, "SELECT count(*) FROM job WHERE status <> 'done'") == 0)
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
    jobs = queue.jobs(con).to_dict("records")
    assert len(jobs) == 8 and {j["status"] for j in jobs} == {"done"}
    assert any(j["attempts"] == 2 for j in jobs)  # the killed worker's part was taken over
    assert all(j["message"].endswith(" of 8)") for j in jobs)
    outputs = con.execute(
        "SELECT count(*), count(DISTINCT item_id) FROM output WHERE run_id = ? AND error IS NULL",
        [run_id],
    ).fetchone()
    assert outputs == (1000, 1000)
    # Parts never overlap: only the calls in flight in the killed worker (answered but not
    # yet written: at most a write batch plus its concurrency) were asked again.
    assert 1000 <= len(asked(fake)) <= 1000 + runner.BATCH + 4  # 4: the run's concurrency
    con.close()
