"""Reading the review form's action: each field's type checked before anything is written."""

import pytest

from core.errors import InputError
from core.review import actions
from core.review.queue import ResponseLabel

SUBMIT = {
    "kind": "submit",
    "nonce": "k1",
    "sample_id": "smp-1",
    "item_id": "fin-1",
    "responses": [
        {
            "side": "A",
            "score": 2,
            "passed": True,
            "failure_modes": ["omission"],
            "safety_flag": True,
        }
    ],
    "preference": None,
    "notes": "",
}


def test_a_submit_is_read_into_labels():
    action = actions.parse(SUBMIT)
    assert action == actions.Action(
        "submit", "k1", "smp-1", "fin-1", (ResponseLabel("A", 2, True, ("omission",), True),)
    )  # empty notes are no notes


def test_skip_and_back_carry_only_what_they_need():
    assert actions.parse({"kind": "back", "nonce": "b"}) == actions.Action("back", "b")
    skip = actions.parse({"kind": "skip", "nonce": "s", "sample_id": "x", "item_id": "y"})
    assert (skip.sample_id, skip.item_id, skip.responses) == ("x", "y", ())


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"sample_id": None}, "sample_id is NoneType"),
        ({"responses": "all good"}, "responses is str"),
        ({"preference": 1}, "preference is int"),
        ({"notes": ["a"]}, "notes is list"),
    ],
)
def test_a_field_of_the_wrong_type_is_named(change, says):
    with pytest.raises(InputError, match=says):
        actions.parse(SUBMIT | change)


def test_notes_past_the_limit_are_refused_with_their_length():
    with pytest.raises(InputError, match="notes are 20,001 characters"):
        actions.parse(SUBMIT | {"notes": "x" * 20_001})


def test_a_long_nonce_is_cut_to_64_characters():
    assert len(actions.parse({"kind": "back", "nonce": "n" * 500}).nonce) == 64
