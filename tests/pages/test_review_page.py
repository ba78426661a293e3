"""The review screen's server side under AppTest: what the form is sent, and what its actions
write. The form itself (keys, clicks, pass/fail following the score) runs in the browser and is
tested there (tests/browser/test_browser_review_form.py); here each action is delivered the way
the browser delivers it: a trigger value on the component's event widget."""

import json

import pytest

from core.review import queue, sampling
from tests.conftest import signed_in
from tests.pages.review_form import form, label, send, submit
from ui import store


@pytest.fixture
def dbfile(demo_page_db):
    """A copy of the seeded demo (the one the app installs on first start), built once."""
    demo_page_db(1200)


def page(username="sme1"):
    return signed_in("pages/review.py", username, ("sme",)).run()


def rows(item_id, reviewer="sme1"):
    return (
        store.cursor()
        .execute(
            "SELECT shown_side, score, passed, failure_modes, safety_flag, preference, notes"
            " FROM label WHERE item_id = ? AND reviewer = ? ORDER BY 1",
            [item_id, reviewer],
        )
        .fetchall()
    )


def counts() -> tuple[int, int, int]:
    """Label rows, audit rows and done assignments: what a refused action must not change."""
    return (
        store.cursor()
        .execute(
            "SELECT (SELECT count(*) FROM label), (SELECT count(*) FROM audit),"
            " (SELECT count(*) FROM assignment WHERE status = 'done')"
        )
        .fetchone()
    )


def test_the_form_is_sent_the_item_and_the_one_after_it_blind(dbfile):
    at = page()
    data = form(at)
    current, following = data["current"], data["next"]
    assert current["item_id"] != following["item_id"]
    assert [r["side"] for r in current["responses"]] == ["A", "B"]
    assert data["modes"][:2] == ["hallucination", "omission"] and data["pass_score"] == 3
    assert data["can_back"] is False and data["error"] is None
    runs = [r[0] for r in store.cursor().execute("SELECT run_id FROM run").fetchall()]
    models = [r[0] for r in store.cursor().execute("SELECT model_id FROM run").fetchall()]
    sent = json.dumps(data)
    assert not [name for name in runs + models if name and name in sent]  # blind
    assert not any(key in sent for key in ("run_id", "judge", "model"))


def test_submit_writes_the_label_and_moves_to_the_item_sent_as_next(dbfile):
    at = page()
    first, following = form(at)["current"], form(at)["next"]
    submit(at, [label("A", 4, True), label("B", 2, False)], "B", "B cites the filing", "x1")
    assert rows(first["item_id"]) == [
        ("A", 4, True, [], False, "B", "B cites the filing"),
        ("B", 2, False, [], False, "B", "B cites the filing"),
    ]
    data = form(at)
    assert data["current"]["item_id"] == following["item_id"]  # what the form moved to early
    assert data["ack"] == "x1" and data["error"] is None and data["can_back"] is True
    assert "1 of" in at.get("progress")[0].proto.text


def test_a_verdict_left_open_follows_the_score_and_flags_and_modes_are_kept(dbfile):
    at = page()
    item = form(at)["current"]["item_id"]
    submit(at, [label("A", 2, True, ("verbosity",), True), label("B", 5)], "tie")
    assert rows(item) == [
        ("A", 2, True, ["verbosity"], True, "tie", None),
        ("B", 5, True, [], False, "tie", None),
    ]


def test_a_label_refused_by_the_server_writes_nothing_and_keeps_the_item(dbfile):
    at = page()
    item = form(at)["current"]
    before = counts()
    submit(at, [label("A", None), label("B", 3)], "A", nonce="bad")
    data = form(at)
    assert data["error"] == "Response A: choose a score from 1 to 5" and data["ack"] == "bad"
    assert data["current"]["item_id"] == item["item_id"]
    assert counts() == before


@pytest.mark.parametrize(
    ("action", "says"),
    [
        ("not an object", "not an object"),
        ({"kind": "delete", "nonce": "n"}, "unknown action 'delete'"),
        ({"kind": "submit", "nonce": 7}, "nonce is int"),
        ({"kind": "submit", "nonce": "n", "sample_id": "s", "item_id": "i", "responses": [1]},
         "a response is not an object"),
        ({"kind": "submit", "nonce": "n", "sample_id": "s", "item_id": "i",
          "responses": [{"side": "A", "score": True, "failure_modes": [], "safety_flag": False}]},
         "score is bool"),
        ({"kind": "submit", "nonce": "n", "sample_id": "s", "item_id": "i",
          "responses": [{"side": "A", "score": 3, "failure_modes": [1], "safety_flag": False}]},
         "failure_modes holds a non-text"),
    ],
)  # fmt: skip
def test_an_unreadable_action_is_refused_with_its_field_named(dbfile, action, says):
    at = page()
    before = counts()
    send(at, action)
    assert says in form(at)["error"] and "reload the page" in form(at)["error"]
    assert counts() == before


def test_an_item_of_another_reviewer_cannot_be_labelled(dbfile):
    at = page("sme1")
    theirs = page("sme2")
    other = form(theirs)["current"]
    before = counts()
    submit(at, [label("A", 5), label("B", 5)], "A", item=other)
    assert "is not assigned to 'sme1'" in form(at)["error"]
    assert counts() == before


def test_skip_then_back_and_change_an_earlier_label(dbfile):
    at = page()
    first = form(at)["current"]
    send(at, {"kind": "skip", "nonce": "s1", **{k: first[k] for k in ("sample_id", "item_id")}})
    second = form(at)["current"]
    assert second["item_id"] != first["item_id"]
    assert queue.progress(store.cursor(), "sme1").skipped == 1
    submit(at, [label("A", 3), label("B", 3)], "A")
    send(at, {"kind": "back", "nonce": "b1"})
    reopened = form(at)["current"]
    assert reopened["item_id"] == second["item_id"] and reopened["done"] is True
    assert reopened["existing"]["responses"]["A"]["score"] == 3  # loaded to edit
    assert reopened["existing"]["preference"] == "A"
    submit(at, [label("A", 1), label("B", 3)], "A", item=reopened)
    assert [row[:2] for row in rows(second["item_id"])] == [("A", 1), ("B", 3)]
    changes = (
        store.cursor()
        .execute("SELECT count(*) FROM audit WHERE action = 'change_label'")
        .fetchone()[0]
    )
    assert changes == 1


def test_single_output_sample_shows_one_response_and_no_preference(dbfile):
    con = store.cursor()
    migration_id, source = con.execute(
        "SELECT migration_id, source_run_id FROM migration"
    ).fetchone()
    con.execute("UPDATE assignment SET status = 'done' WHERE reviewer = 'sme3'")
    sampling.create(
        con,
        migration_id,
        source,
        None,
        sampling.SampleParams(seed=4, reviewers=("sme3",), minimum=1),
        actor="owner",
    )
    con.execute("DELETE FROM assignment WHERE reviewer = 'sme3' AND status = 'done'")
    at = page("sme3")
    item = form(at)["current"]
    assert [r["side"] for r in item["responses"]] == ["A"]
    submit(at, [label("A", 5)], "A")  # a preference on one response is refused
    assert form(at)["error"] == "a single response has no preference"
    submit(at, [label("A", 5)])
    assert rows(item["item_id"], "sme3") == [("A", 5, True, [], False, None, None)]


def test_pii_masking_on_screen(dbfile):
    at = page()
    store.cursor().execute(
        "UPDATE item SET prompt = 'Email jo.doe@example.com about it' WHERE item_id = ?",
        [form(at)["current"]["item_id"]],
    )
    at.session_state["review.view"] = None  # the item is read afresh, as after a reload
    at.run()
    assert form(at)["current"]["prompt"] == "Email jo.doe@example.com about it"
    at.toggle(key="review.mask").set_value(True).run()
    assert form(at)["current"]["prompt"] == "Email [email masked] about it"


def test_everything_labelled_says_so_and_reopens_the_last(dbfile):
    at = page("sme3")
    store.cursor().execute("UPDATE assignment SET status = 'done' WHERE reviewer = 'sme3'")
    at.session_state["review.view"] = None
    at.session_state["review.current"] = None
    at.run()
    assert not at.get("bidi_component")
    assert at.success[0].value.startswith("All your assigned items are labelled")
