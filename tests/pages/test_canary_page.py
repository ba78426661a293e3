"""The Canary page on the demo: stage 2 holds for time with its reasons, the checks and the
stages are tables, an owner records a rollback (then the drill is pending), a manager reads
without the owner's controls."""

from __future__ import annotations

import re

from core.store import db
from tests.conftest import app_page


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def frame(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_owner_sees_stage_2_hold_with_why_and_every_check(demo_page_db):
    path = demo_page_db(200)
    at = app_page("pages/canary.py", "owner", "eval_owner")
    assert not at.exception
    assert at.title[0].value == "Canary"
    banners = texts(at.warning)
    assert "Synthetic demo: the production traffic is simulated." in banners
    assert "**Stage 2 (25% to the target): HOLD**" in banners
    reasons = " ".join(texts(at.markdown)).replace("\\", "")  # inert() escapes markdown
    # 24 h when the demo was built; the shared demo database may be some minutes old
    assert re.search(r"time: stage 2 has run 24\.\d h of its minimum 48 h", reasons), reasons
    checks = frame(at, "Check")
    assert set(checks["Check"]) == {
        "quality_judge", "quality_sme", "ttft_p50", "ttft_p90", "latency_p50", "latency_p90",
        "error_rate", "sme_flags", "cost_per_request", "traffic_split",
    }  # fmt: skip
    assert checks.set_index("Check").loc["ttft_p90", "Status"] == "within"
    stages = frame(at, "Traffic %")
    assert list(stages["State"]) == ["done", "running", "not started"]
    history = frame(at, "Inputs hash")
    assert list(history["Verdict"]) == ["HOLD", "PROMOTE"]  # newest first
    assert history["Reasons"].iloc[1].startswith("every check within its limit")
    labels = [b.label for b in at.button]
    assert "Record start of stage 3" in labels and "Record rollback" in labels
    con = db.connect(str(path))
    stored = con.execute("SELECT stage, verdict FROM canary_verdict ORDER BY verdict_id").fetchall()
    con.close()
    # The demo stored stage 1's PROMOTE and stage 2's HOLD; the page's look adds none.
    assert stored == [(1, "PROMOTE"), (2, "HOLD")]


def test_owner_records_a_rollback_and_the_drill_is_pending(demo_page_db):
    demo_page_db(200)
    at = app_page("pages/canary.py", "owner", "eval_owner")
    at.text_input(key="canary.reason").set_value("TTFT on multi-hop")
    at.button(key="canary.rollback").click().run()
    assert not at.exception
    assert "**Stage 2 (25% to the target): ROLL BACK**" in texts(at.error)
    assert any(t.startswith("Rollback drill PENDING") for t in texts(at.info))
    assert "Record start of stage 2" in [b.label for b in at.button]


def test_manager_reads_without_the_owners_controls(demo_page_db):
    demo_page_db(200)
    at = app_page("pages/canary.py", "manager", "manager")
    assert not at.exception
    assert "**Stage 2 (25% to the target): HOLD**" in texts(at.warning)
    labels = [b.label for b in at.button]
    assert "Record rollback" not in labels and "Ingest" not in labels
