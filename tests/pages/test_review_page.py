"""The review screen under AppTest: clicks write the right rows; skip, back and change work."""

import pytest
from streamlit.testing.v1 import AppTest

from core.review import queue, sampling
from tests.conftest import signed_in
from ui import store


@pytest.fixture
def dbfile(demo_page_db):
    """A copy of the seeded demo (the one the app installs on first start), built once."""
    demo_page_db(1200)


def page(username="sme1") -> AppTest:
    return signed_in("pages/review.py", username, ("sme",)).run()


def shown_item(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Item "))[len("Item ") :]


def labels(item_id, reviewer="sme1"):
    return (
        store.cursor()
        .execute(
            "SELECT shown_side, score, passed, preference, notes FROM label WHERE item_id = ? AND"
            " reviewer = ? ORDER BY 1",
            [item_id, reviewer],
        )
        .fetchall()
    )


def test_review_by_clicks_writes_the_label_and_moves_on(dbfile):
    at = page()
    first = shown_item(at)
    for key in ("review.A.score.4", "review.B.score.2", "review.preference.B"):
        at.button(key=key).click().run()
    at.text_area(key="review.notes").set_value("B cites the filing")
    at.button(key="review.submit").click().run()
    assert not at.exception and not at.error
    assert labels(first) == [
        ("A", 4, True, "B", "B cites the filing"),
        ("B", 2, False, "B", "B cites the filing"),
    ]
    assert shown_item(at) != first
    assert "1 of" in at.get("progress")[0].proto.text


def test_pass_fail_can_be_overridden_and_safety_flagged(dbfile):
    at = page()
    item = shown_item(at)
    for key in (
        "review.A.score.2",
        "review.A.pass_toggle",
        "review.A.safety_toggle",
        "review.B.score.5",
        "review.preference.tie",
    ):
        at.button(key=key).click().run()
    at.button(key="review.submit").click().run()
    flags = (
        store.cursor()
        .execute(
            "SELECT shown_side, passed, safety_flag FROM label WHERE item_id = ?"
            " AND reviewer = 'sme1' ORDER BY 1",
            [item],
        )
        .fetchall()
    )
    assert flags == [("A", True, True), ("B", True, False)]


def test_submit_without_scores_is_refused_and_writes_nothing(dbfile):
    at = page()
    item = shown_item(at)
    at.button(key="review.submit").click().run()
    assert "choose a score from 1 to 5" in at.error[0].value
    assert labels(item) == [] and shown_item(at) == item


def test_skip_then_back_and_change_an_earlier_label(dbfile):
    at = page()
    first = shown_item(at)
    at.button(key="review.skip").click().run()
    second = shown_item(at)
    assert second != first
    assert queue.progress(store.cursor(), "sme1").skipped == 1
    for key in ("review.A.score.3", "review.B.score.3", "review.preference.A"):
        at.button(key=key).click().run()
    at.button(key="review.submit").click().run()
    at.button(key="review.back").click().run()
    assert shown_item(at) == second
    assert at.session_state["review.A.score"] == 3  # the earlier label is loaded to edit
    at.button(key="review.A.score.1").click().run()
    at.button(key="review.submit").click().run()
    assert [row[:2] for row in labels(second)] == [("A", 1), ("B", 3)]
    changes = (
        store.cursor()
        .execute("SELECT count(*) FROM audit WHERE action = 'change_label'")
        .fetchone()[0]
    )
    assert changes == 1


def test_single_output_sample_shows_one_response_and_no_preference(dbfile):
    at = page("sme1")
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
    assert [s.value for s in at.subheader] == ["Response A"]
    assert not [b for b in at.button if b.key and b.key.startswith("review.preference")]
    at.button(key="review.A.score.5").click().run()
    item = shown_item(at)
    at.button(key="review.submit").click().run()
    assert labels(item, "sme3") == [("A", 5, True, None, None)]


def test_pii_masking_on_screen(dbfile):
    at = page()
    store.cursor().execute(
        "UPDATE item SET prompt = 'Email jo.doe@example.com about it' WHERE item_id = ?",
        [shown_item(at)],
    )
    at.run()
    assert any(r"jo\.doe@example" in m.value for m in at.markdown)  # escaped, inert
    at.toggle(key="review.mask").set_value(True).run()
    text = " ".join(m.value for m in at.markdown)
    assert "jo" not in text.split("Email")[1][:8] and r"\[email masked\]" in text


def _label_first_then_reopen(at, first_keys=("review.A.score.4", "review.B.score.4")):
    """Label the shown item (A 4, B 4, A preferred), submit, and reopen it to edit."""
    item = shown_item(at)
    for key in (*first_keys, "review.preference.A"):
        at.button(key=key).click().run()
    at.button(key="review.submit").click().run()
    at.button(key="review.back").click().run()
    assert shown_item(at) == item
    return item


def stored(item_id, reviewer="sme1"):
    return (
        store.cursor()
        .execute(
            "SELECT shown_side, score, passed, failure_modes, safety_flag, preference FROM label"
            " WHERE item_id = ? AND reviewer = ? ORDER BY 1",
            [item_id, reviewer],
        )
        .fetchall()
    )


@pytest.mark.parametrize(
    ("edit", "expected_b"),
    [
        # score 4 -> 1: pass/fail follows the new score (the stored Pass is not an override)
        (["review.B.score.1"], ("B", 1, False, [], False, "A")),
        # pass/fail set explicitly in this edit sticks
        (["review.B.pass_toggle"], ("B", 4, False, [], False, "A")),
        # explicit pass/fail in this edit wins over a score change in the same edit
        (["review.B.pass_toggle", "review.B.score.5"], ("B", 5, False, [], False, "A")),
        (["review.B.safety_toggle"], ("B", 4, True, [], True, "A")),
        (["review.preference.B"], ("B", 4, True, [], False, "B")),
    ],
)
def test_changing_an_earlier_label_keeps_pass_fail_with_the_score(dbfile, edit, expected_b):
    at = page()
    item = _label_first_then_reopen(at)
    for key in edit:
        at.button(key=key).click().run()
    at.button(key="review.submit").click().run()
    assert not at.exception and not at.error
    rows = stored(item)
    assert rows[1] == expected_b
    assert rows[0][:5] == ("A", 4, True, [], False)


def test_changing_failure_modes_of_an_earlier_label(dbfile):
    at = page()
    item = _label_first_then_reopen(at)
    at.pills(key="review.B.modes").set_value(["omission"]).run()
    at.button(key="review.B.score.2").click().run()
    at.button(key="review.submit").click().run()
    assert stored(item)[1] == ("B", 2, False, ["omission"], False, "A")


def test_an_earlier_explicit_override_survives_an_edit_that_keeps_the_score(dbfile):
    at = page()
    item = _label_first_then_reopen(
        at, ("review.A.score.4", "review.B.score.2", "review.B.pass_toggle")
    )
    assert stored(item)[1][:3] == ("B", 2, True)  # score 2 overridden to Pass
    at.button(key="review.preference.tie").click().run()
    at.button(key="review.submit").click().run()
    assert stored(item)[1][:3] == ("B", 2, True)  # untouched: the override stays
    at.button(key="review.back").click().run()
    at.button(key="review.B.score.1").click().run()
    at.button(key="review.submit").click().run()
    assert stored(item)[1][:3] == ("B", 1, False)  # a new score: pass/fail follows it
