"""Label writes: one transaction, change never duplicates, concurrent SMEs lose nothing."""

import threading

import pytest

from core.errors import InputError, NotFoundError
from core.review import labels
from core.review import queue as review
from core.review.queue import ResponseLabel
from core.store import db


@pytest.fixture
def demo_db(demo_copy):
    """A copy of the seeded demo database on disk, with its sample (cursors need a file for
    threads); the demo is built once per session."""
    con = db.connect(str(demo_copy(300, "labels.duckdb")))
    yield con
    con.close()


def first_slot(con, reviewer="sme1"):
    return review.next_slot(con, reviewer)


def pair(a=4, b=2, **extra):
    return [ResponseLabel("A", a, None, **extra), ResponseLabel("B", b, None)]


def test_submit_writes_labels_assignment_and_audit_in_one_go(demo_db):
    con = demo_db
    slot = first_slot(con)
    changed = labels.submit(
        con,
        slot.sample_id,
        slot.item_id,
        "sme1",
        pair(failure_modes=("omission",), safety_flag=True),
        "A",
        "ok",
    )
    assert changed is False
    rows = con.execute(
        "SELECT shown_side, score, passed, failure_modes, safety_flag, preference,"
        " notes, origin FROM label WHERE item_id = ? AND reviewer = 'sme1' ORDER BY shown_side",
        [slot.item_id],
    ).fetchall()
    assert rows == [
        ("A", 4, True, ["omission"], True, "A", "ok", "app"),
        ("B", 2, False, [], False, "A", "ok", "app"),
    ]
    status = con.execute(
        "SELECT status FROM assignment WHERE item_id = ? AND reviewer = 'sme1'", [slot.item_id]
    ).fetchone()[0]
    assert status == "done"
    audit = con.execute(
        "SELECT actor, action, before FROM audit WHERE entity = 'label' AND actor = 'sme1'"
    ).fetchall()
    assert audit == [("sme1", "submit_label", None)]


def test_runs_are_stored_by_side_as_placed_for_the_reviewer(demo_db):
    con = demo_db
    slot = first_slot(con)
    item = review.load(con, slot.sample_id, slot.item_id, "sme1")
    labels.submit(con, slot.sample_id, slot.item_id, "sme1", pair(), "B")
    stored = dict(
        con.execute(
            "SELECT shown_side, run_id FROM label WHERE item_id = ?", [slot.item_id]
        ).fetchall()
    )
    assert stored == {r.side: r.run_id for r in item.responses}


def test_resubmit_changes_the_label_and_audits_before_and_after(demo_db):
    con = demo_db
    slot = first_slot(con)
    labels.submit(con, slot.sample_id, slot.item_id, "sme1", pair(4, 2), "A")
    assert labels.submit(con, slot.sample_id, slot.item_id, "sme1", pair(1, 5), "B") is True
    rows = con.execute(
        "SELECT shown_side, score, preference FROM label WHERE item_id = ?"
        " AND reviewer = 'sme1' ORDER BY 1",
        [slot.item_id],
    ).fetchall()
    assert rows == [("A", 1, "B"), ("B", 5, "B")]
    before, after = con.execute(
        "SELECT before, after FROM audit WHERE action = 'change_label'"
    ).fetchone()
    assert '"A", 4' in before and '"score": 1' in after


@pytest.mark.parametrize(
    ("responses", "preference", "message"),
    [
        ([ResponseLabel("A", None, None), ResponseLabel("B", 3, None)], "A", "Response A: choose"),
        ([ResponseLabel("A", 6, None), ResponseLabel("B", 3, None)], "A", "score from 1 to 5"),
        (pair(), None, "which response is better"),
        (pair(), "C", "which response is better"),
        ([ResponseLabel("A", 3, None)], "A", r"expected labels for responses \['A', 'B'\]"),
        (
            [ResponseLabel("A", 3, None, ("typo",)), ResponseLabel("B", 3, None)],
            "A",
            "unknown failure modes",
        ),
    ],
)
def test_invalid_labels_are_refused_and_change_nothing(demo_db, responses, preference, message):
    con = demo_db
    slot = first_slot(con)
    before = db.row_counts(con)
    with pytest.raises(InputError, match=message):
        labels.submit(con, slot.sample_id, slot.item_id, "sme1", responses, preference)
    assert db.row_counts(con) == before


def test_an_sme_cannot_label_or_open_another_smes_item(demo_db):
    con = demo_db
    mine = {(s.sample_id, s.item_id) for s in review.queue(con, "sme1")}
    theirs = next(s for s in review.queue(con, "sme2") if (s.sample_id, s.item_id) not in mine)
    with pytest.raises(NotFoundError, match="not in your queue"):
        review.load(con, theirs.sample_id, theirs.item_id, "sme1")
    with pytest.raises(NotFoundError, match="not assigned"):
        labels.submit(con, theirs.sample_id, theirs.item_id, "sme1", pair(), "A")


def test_skip_moves_the_item_back_and_next_slot_moves_on(demo_db):
    con = demo_db
    slot = first_slot(con)
    labels.skip(con, slot.sample_id, slot.item_id, "sme1")
    after = review.next_slot(con, "sme1")
    assert (after.sample_id, after.item_id) != (slot.sample_id, slot.item_id)
    assert review.progress(con, "sme1").skipped == 1
    queue = review.queue(con, "sme1")
    open_count = sum(s.status == "open" for s in queue)
    assert queue[open_count].item_id == slot.item_id  # skipped ones come after the open ones


def test_concurrent_smes_lose_and_duplicate_nothing(demo_db):
    # 8 threads x 200 submits over overlapping items, each thread on its own cursor, through
    # labels.submit (the page's code path).
    con = demo_db
    slots = con.execute(
        "SELECT sample_id, item_id, reviewer FROM assignment WHERE reviewer LIKE 'sme%'"
        " ORDER BY reviewer, position LIMIT 40"
    ).fetchall()
    errors = []

    def worker(number: int) -> None:
        cursor = con.cursor()
        try:
            for i in range(200):
                sample_id, item_id, reviewer = slots[(number * 7 + i) % len(slots)]
                labels.submit(
                    cursor,
                    sample_id,
                    item_id,
                    reviewer,
                    pair(1 + i % 5, 5 - i % 5),
                    "tie",
                    f"thread {number} submit {i}",
                )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    labelled = {(s, i, r) for s, i, r in slots}
    rows = con.execute(
        "SELECT count(*), count(DISTINCT (sample_id, item_id, run_id, reviewer))"
        " FROM label WHERE origin = 'app'"
    ).fetchone()
    assert rows == (2 * len(labelled), 2 * len(labelled))
    audits = con.execute(
        "SELECT count(*) FROM audit WHERE action IN ('submit_label', 'change_label')"
    ).fetchone()[0]
    assert audits == 8 * 200
    done = con.execute(
        "SELECT count(*) FROM assignment WHERE status = 'done' AND reviewer LIKE 'sme%'"
    ).fetchone()[0]
    assert done == len(labelled)
