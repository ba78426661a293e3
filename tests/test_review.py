"""What an SME sees: blind, their own queue, stable random placement; inert rendering."""

import dataclasses

import pytest

from core import db, demo, render, review


@pytest.fixture(scope="module")
def demo_con():
    con = db.connect(":memory:")
    demo.install(con, 20261126, n_items=300)
    return con


def test_review_item_carries_no_model_identity_or_judge_score(demo_con):
    slot = review.next_slot(demo_con, "sme1")
    item = review.load(demo_con, slot.sample_id, slot.item_id, "sme1")
    shown = repr(
        dataclasses.replace(
            item, responses=tuple(dataclasses.replace(r, run_id="") for r in item.responses)
        )
    )
    models = [m for (m,) in demo_con.execute("SELECT model_id FROM model").fetchall()]
    assert not any(m in shown for m in models)
    assert "score" not in {f.name for f in dataclasses.fields(review.ReviewItem)}
    assert {f.name for f in dataclasses.fields(review.Response)} == {
        "side",
        "run_id",
        "text",
        "error",
    }


def test_placement_is_random_across_items_and_reviewers_but_stable(demo_con):
    items = [r[0] for r in demo_con.execute("SELECT item_id FROM sample_item").fetchall()]
    sample_id = demo_con.execute("SELECT sample_id FROM sample").fetchone()[0]
    sides = [review.source_side(sample_id, i, "sme1") for i in items]
    share = sides.count("A") / len(sides)
    assert 0.35 < share < 0.65
    assert sides == [review.source_side(sample_id, i, "sme1") for i in items]
    other = [review.source_side(sample_id, i, "sme2") for i in items]
    assert other != sides


def test_queue_holds_only_the_reviewers_own_items(demo_con):
    mine = review.queue(demo_con, "sme1")
    owners = demo_con.execute(
        "SELECT DISTINCT reviewer FROM assignment WHERE (sample_id, item_id)"
        " IN (SELECT (sample_id, item_id) FROM assignment WHERE reviewer ="
        " 'sme1')"
    ).fetchall()
    assert mine and {o for (o,) in owners} >= {"sme1"}
    assert all(
        demo_con.execute(
            "SELECT 1 FROM assignment WHERE sample_id = ? AND item_id = ? AND reviewer = 'sme1'",
            [s.sample_id, s.item_id],
        ).fetchone()
        for s in mine
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>alert(1)</script>", r"\<script\>alert\(1\)\</script\>"),
        ("[click](javascript:alert(1))", r"\[click\]\(javascript\:alert\(1\)\)"),
        ("![x](http://evil/x.png)", r"\!\[x\]\(http\://evil/x\.png\)"),
        ("**bold** _it_", r"\*\*bold\*\* \_it\_"),
        ("line one\nline two", "line one  \nline two"),
    ],
)
def test_inert_escapes_markdown_so_text_shows_as_written(text, expected):
    assert render.inert(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jo.doe@example.com today", "write to [email masked] today"),
        ("call +1 415-555-0134", "call [phone masked]"),
        ("card 4111 1111 1111 1111 expires", "card [card masked] expires"),
        ("acct 12345678 closed", "[account masked] closed"),
        ("IBAN GB82 WEST 1234 5698 7654 32", "IBAN [iban masked]"),
        (
            "revenue $4,210.5 million in 2022-2023 (15.0%)",
            "revenue $4,210.5 million in 2022-2023 (15.0%)",
        ),
    ],
)
def test_pii_masking(text, expected):
    assert render.mask_pii(text) == expected
