"""The Runs page's jobs panel under AppTest: a queued job with its Cancel button, a job that
failed with its reason as inert text, the log."""

import json

from core.jobs import queue, worker
from core.store import db
from tests.conftest import app_page, plain


def open_db(path):
    return db.connect(str(path))


def test_a_queued_job_shows_waiting_and_cancel_ends_it(demo_page_db):
    path = demo_page_db(8)
    con = open_db(path)
    run_id = db.scalar(con, "SELECT run_id FROM run ORDER BY run_id LIMIT 1")
    job_id = queue.enqueue(con, "run", {}, actor="owner", subject=run_id)
    at = app_page("pages/runs.py", "owner", "eval_owner")
    assert not at.exception
    bars = [b for b in at.get("progress") if "waiting for a worker" in str(b.proto.text)]
    assert len(bars) == 1
    at.button(key=f"jobs.cancel.{job_id}").click().run()
    assert not at.exception
    assert queue.get(con, job_id)["status"] == "cancelled"
    assert any("cancelled by owner" in plain(w.value) for w in at.warning)
    con.close()


def test_a_failed_jobs_reason_and_log_show_as_text_not_markup(demo_page_db):
    path = demo_page_db(8)
    con = open_db(path)
    run_id = db.scalar(con, "SELECT run_id FROM run ORDER BY run_id LIMIT 1")
    queue.enqueue(con, "run", {}, actor="owner", subject=run_id)

    def handler(ctx):
        ctx.log("<script>alert(1)</script> item q1 failed")
        raise RuntimeError("**bold** [link](http://example.com)")

    worker.Worker(con, handlers={"run": handler}, heartbeat_s=0.05).run_once()
    at = app_page("pages/runs.py", "owner", "eval_owner")
    assert not at.exception
    (shown,) = [w.value for w in at.warning if "RuntimeError" in w.value]
    assert plain(shown) == "RuntimeError: **bold** [link](http://example.com)"
    assert "\\*\\*bold\\*\\*" in shown and "\\[link\\]" in shown  # escaped: shown as typed
    codes = [c.value for c in at.code]
    assert any(c.startswith("<script>alert(1)</script> item q1 failed") for c in codes)
    con.close()


def test_the_batch_form_queues_a_batch_job_and_refuses_a_bad_role(demo_page_db):
    path = demo_page_db(8)
    at = app_page("pages/runs.py", "owner", "eval_owner")
    at.text_input(key="runs.b_s3").input("s3://evals-bucket/batch")
    at.text_input(key="runs.b_role").input("admin")
    next(b for b in at.button if b.label == "Start batch job").click().run()
    assert any("is not an IAM role ARN" in e.value for e in at.error)
    con = open_db(path)
    assert db.scalar(con, "SELECT count(*) FROM job") == 0
    at.text_input(key="runs.b_role").input("arn:aws:iam::123456789012:role/BedrockBatch")
    next(b for b in at.button if b.label == "Start batch job").click().run()
    assert not at.exception
    assert any("Batch job queued as job" in s.value for s in at.success)
    (job,) = queue.jobs(con).to_dict("records")
    params = json.loads(job["params"])
    assert (job["kind"], job["status"]) == ("batch", "queued")
    assert params["spec"] == {
        "s3_prefix": "s3://evals-bucket/batch",
        "role_arn": "arn:aws:iam::123456789012:role/BedrockBatch",
    }
    assert params["config"]["model_id"] == "amazon.nova-pro-v1:0"
    con.close()
