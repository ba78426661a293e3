"""What an SME sees: blind, their own queue, stable random placement; inert rendering."""

import dataclasses
from pathlib import Path

import pytest

from core import render
from core.review import labels, queue
from core.store import db


@pytest.fixture(scope="module")
def demo_con(module_demo):
    con = module_demo(300)
    return con


def test_review_item_carries_no_model_identity_or_judge_score(demo_con):
    slot = queue.next_slot(demo_con, "sme1")
    item = queue.load(demo_con, slot.sample_id, slot.item_id, "sme1")
    shown = repr(
        dataclasses.replace(
            item, responses=tuple(dataclasses.replace(r, run_id="") for r in item.responses)
        )
    )
    models = [m for (m,) in demo_con.execute("SELECT model_id FROM model").fetchall()]
    assert not any(m in shown for m in models)
    assert "score" not in {f.name for f in dataclasses.fields(queue.ReviewItem)}
    assert {f.name for f in dataclasses.fields(queue.Response)} == {
        "side",
        "run_id",
        "text",
        "error",
    }


def test_placement_is_random_across_items_and_reviewers_but_stable(demo_con):
    items = [r[0] for r in demo_con.execute("SELECT item_id FROM sample_item").fetchall()]
    sample_id = demo_con.execute("SELECT sample_id FROM sample").fetchone()[0]
    sides = [queue.source_side(sample_id, i, "sme1") for i in items]
    share = sides.count("A") / len(sides)
    assert 0.35 < share < 0.65
    assert sides == [queue.source_side(sample_id, i, "sme1") for i in items]
    other = [queue.source_side(sample_id, i, "sme2") for i in items]
    assert other != sides


def test_queue_holds_only_the_reviewers_own_items(demo_con):
    mine = queue.queue(demo_con, "sme1")
    owners = demo_con.execute(
        "SELECT DISTINCT reviewer FROM assignment WHERE (sample_id, item_id)"
        " IN (SELECT sample_id, item_id FROM assignment WHERE reviewer ="
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


def _unkeyed(sample_id, item_id, reviewer):
    import hashlib

    digest = hashlib.sha256(f"{sample_id}\x1f{item_id}\x1f{reviewer}".encode()).digest()
    return "A" if digest[0] % 2 == 0 else "B"


def test_placement_is_keyed_stable_per_key_and_not_recomputable_from_ids(demo_con):
    import hashlib
    import hmac

    items = [r[0] for r in demo_con.execute("SELECT item_id FROM sample_item").fetchall()]
    sample_id = demo_con.execute("SELECT sample_id FROM sample").fetchone()[0]
    one, two = b"k" * 32, b"q" * 32
    sides = [queue.source_side(sample_id, i, "sme1", key=one) for i in items]
    assert sides == [queue.source_side(sample_id, i, "sme1", key=one) for i in items]
    assert sides != [queue.source_side(sample_id, i, "sme1", key=two) for i in items]
    # the ids alone (the old unkeyed hash) do not give the placement; the HMAC with the key does
    assert sides != [_unkeyed(sample_id, i, "sme1") for i in items]
    mac = [hmac.new(one, f"{sample_id}\x1f{i}\x1fsme1".encode(), hashlib.sha256) for i in items]
    assert sides == ["A" if m.digest()[0] % 2 == 0 else "B" for m in mac]


def test_the_install_key_is_a_0600_git_ignored_file_next_to_the_database(tmp_path, monkeypatch):
    import stat
    import subprocess

    monkeypatch.setenv("SWITCHYARD_DB", str(tmp_path / "app.duckdb"))
    key = queue.blind_key()
    secret = tmp_path / ".switchyard_secret"
    assert secret.read_bytes() == key and len(key) == 32
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert queue.blind_key() == key  # stable for the install
    queue._cached_key.cache_clear()
    assert queue.blind_key() == key  # and across restarts
    monkeypatch.setenv("SWITCHYARD_DB", str(tmp_path / "other" / "app.duckdb"))
    (tmp_path / "other").mkdir()
    assert queue.blind_key() != key  # another install, another key
    root = Path(__file__).resolve().parents[3]
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "data/.switchyard_secret"], cwd=root, check=False
    )
    assert ignored.returncode == 0


def test_the_key_follows_the_open_database_not_the_setting(tmp_path, monkeypatch):
    # `python -m core --db other.duckdb` blinds with other.duckdb's key, not SWITCHYARD_DB's.
    (tmp_path / "app").mkdir()
    (tmp_path / "cli").mkdir()
    monkeypatch.setenv("SWITCHYARD_DB", str(tmp_path / "app" / "app.duckdb"))
    con = db.connect(str(tmp_path / "cli" / "other.duckdb"))
    try:
        key = queue.blind_key(con)
        assert (tmp_path / "cli" / ".switchyard_secret").read_bytes() == key
        assert not (tmp_path / "app" / ".switchyard_secret").exists()
        assert queue.database_file(con) == str(tmp_path / "cli" / "other.duckdb")
    finally:
        con.close()
    memory = db.connect(":memory:")
    assert queue.database_file(memory) == ":memory:"
    memory.close()


def test_first_users_at_once_agree_on_one_whole_key(tmp_path):
    # Eight threads (SMEs on one app) and a fresh install: the key file is linked into place
    # only once written, so no thread reads it half-written and all get the same key.
    import threading

    path = str(tmp_path / "fresh.duckdb")
    keys, errors = [], []

    def first_use():
        try:
            keys.append(queue._cached_key.__wrapped__(path))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(set(keys)) == 1 and len(keys[0]) == 32
    assert sorted(p.name for p in tmp_path.iterdir()) == [".switchyard_secret"]


def test_an_in_memory_database_gets_a_process_random_key(monkeypatch):
    monkeypatch.setenv("SWITCHYARD_DB", ":memory:")
    assert queue.blind_key() == queue.blind_key() and len(queue.blind_key()) == 32


def test_a_stored_label_keeps_its_placement_under_a_new_key(demo_con, monkeypatch):
    slot = queue.next_slot(demo_con, "sme2")
    before = queue.load(demo_con, slot.sample_id, slot.item_id, "sme2")
    runs = {r.side: r.run_id for r in before.responses}
    labels.submit(
        demo_con,
        slot.sample_id,
        slot.item_id,
        "sme2",
        [queue.ResponseLabel("A", 5, True), queue.ResponseLabel("B", 1, False)],
        "A",
    )
    side = queue.source_side(slot.sample_id, slot.item_id, "sme2", queue.blind_key(demo_con))
    flipped = "B" if side == "A" else "A"
    monkeypatch.setattr(queue, "source_side", lambda *args, **kwargs: flipped)
    after = queue.load(demo_con, slot.sample_id, slot.item_id, "sme2")
    assert {r.side: r.run_id for r in after.responses} == runs
    assert after.existing.responses["A"].score == 5
