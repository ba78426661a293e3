"""The Runs page's jobs panel under AppTest: a queued job with its Cancel button, a job that
failed with its reason as inert text, the log."""

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
