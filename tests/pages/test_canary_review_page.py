"""SME review of canary traffic on the pages: an owner draws a review sample on the Canary page
and reads per-arm counts; an SME reviews a canary request on the unchanged Review page (one
response, no preference, nothing naming the arm) and the label lands in canary_label."""

from __future__ import annotations

import json

import pytest

from core.review import canary_sampling
from core.store import db
from tests.conftest import app_page, signed_in
from tests.core.review.test_canary_sampling import give_demo_text
from tests.pages.review_form import form, label, submit

PER_ARM = 150


def give_text(path) -> dict[str, int]:
    """Prompt and response text on PER_ARM judged demo requests of each arm (the demo's own
    traffic has none); the requests' count per arm."""
    con = db.connect(str(path))
    give_demo_text(con, PER_ARM)
    arms = dict(
        con.execute(
            "SELECT arm, count(*) FROM canary_request WHERE prompt IS NOT NULL GROUP BY arm"
        ).fetchall()
    )
    con.close()
    return arms


def frame(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_owner_draws_a_canary_review_sample_and_reads_each_arm(demo_page_db):
    path = demo_page_db(200)
    assert give_text(path) == {"control": PER_ARM, "canary": PER_ARM}
    at = app_page("pages/canary.py", "owner", "eval_owner")
    assert not at.exception
    before = frame(at, "SME-flagged")
    assert list(before["Considered"]) == ["0", "0"]
    at.number_input(key="canary.review.fail").set_value(1.0)
    at.number_input(key="canary.review.pass").set_value(0.5)
    next(b for b in at.button if b.label == "Draw a canary review sample").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(s.value.startswith("Drew ") for s in at.success)
    after = frame(at, "SME-flagged").set_index("Arm")
    assert list(after.index) == ["control", "canary"]
    assert list(after["Considered"]) == [f"{PER_ARM:,}", f"{PER_ARM:,}"]
    con = db.connect(str(path))
    drawn = dict(
        con.execute(
            "SELECT arm, count(*) FILTER (WHERE drawn) FROM canary_review_frame GROUP BY arm"
        ).fetchall()
    )
    con.close()
    assert list(after["Drawn"]) == [f"{drawn['control']:,}", f"{drawn['canary']:,}"]


def test_a_manager_reads_the_counts_without_the_draw_form(demo_page_db):
    demo_page_db(200)
    at = app_page("pages/canary.py", "manager", "manager")
    assert not at.exception
    assert "SME-flagged" in frame(at, "SME-flagged").columns
    assert "Draw a canary review sample" not in [b.label for b in at.button]


@pytest.fixture
def canary_item(demo_page_db):
    """A canary review draw of the demo's texted requests, queued for sme3, whose golden-set
    items are set done first (so the Review page opens on a canary request)."""
    path = demo_page_db(200)
    give_text(path)
    con = db.connect(str(path))
    migration = con.execute("SELECT migration_id FROM migration WHERE synthetic").fetchone()[0]
    con.execute("UPDATE assignment SET status = 'done' WHERE reviewer = 'sme3'")
    canary_sampling.draw(
        con, migration, fail_rate=1.0, pass_rate=0.05, reviewers=["sme3"], seed=1, actor="o"
    )
    models = [m for (m,) in con.execute("SELECT DISTINCT model_id FROM canary_request").fetchall()]
    con.close()
    return path, models


def test_an_sme_reviews_a_canary_request_blind_and_it_lands_in_canary_label(canary_item):
    path, models = canary_item
    at = signed_in("pages/review.py", "sme3", ("sme",)).run()
    assert not at.exception
    data = form(at)
    # the prompts name invoices "demo-0000102"; nothing else may name a run, arm or model
    shown = json.dumps(data).replace("invoice demo-", "invoice ")
    assert data["current"]["item_id"].startswith("r-")
    for hidden in (*models, "control", "canary", "demo-"):
        assert hidden not in shown, hidden
    assert [r["side"] for r in data["current"]["responses"]] == ["A"]  # no preference to give
    con = db.connect(str(path))
    golden_before = con.execute("SELECT count(*) FROM label").fetchone()[0]
    con.close()
    submit(at, [label("A", 2)])
    assert form(at)["error"] is None
    con = db.connect(str(path))
    stored = con.execute("SELECT reviewer, score, passed FROM canary_label").fetchall()
    golden_after = con.execute("SELECT count(*) FROM label").fetchone()[0]
    done = con.execute(
        "SELECT count(*) FROM assignment WHERE reviewer = 'sme3' AND status = 'done'"
        " AND sample_id LIKE 'cnr-%'"
    ).fetchone()[0]
    con.close()
    assert stored == [("sme3", 2, False)]
    assert golden_after == golden_before and done == 1
