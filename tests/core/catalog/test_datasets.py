"""Golden dataset import, versions, freeze and verify."""

import pytest

from core.catalog import datasets
from core.errors import FrozenError
from core.importers import files
from core.store import db
from tests.conftest import DATA, SOURCE_MODEL


def test_golden_csv_creates_items_source_run_scores_and_labels(con, golden):
    assert golden.dataset_id == "fin@1" and golden.items == 6 and golden.labels == 6
    item = con.execute(
        "SELECT prompt, context, ground_truth, stratum, split, tags, notes FROM item"
        " WHERE item_id = 'q3'"
    ).fetchone()
    assert item == (
        "How did Northwind's revenue change from 2021 to 2022 and why?",
        "2022 revenue $900.0M. 2021 revenue $800.0M. Driver: higher services volume.",
        "Up $100.0M, driven by services volume.",
        "multi_hop",
        "holdout",
        ["edge"],
        None,
    )
    run = con.execute("SELECT model_id, role, config FROM run").fetchone()
    assert run[:2] == (SOURCE_MODEL, "source")
    assert run[2] == '{"temperature": 0.0, "max_tokens": 350}'
    out = con.execute(
        "SELECT text, ttft_ms, latency_ms, input_tokens, output_tokens FROM output"
        " WHERE item_id = 'q2'"
    ).fetchone()
    assert out == ("The operating margin was 12%.", 261.0, 837.0, 301, 21)
    score = con.execute(
        "SELECT metric, score, threshold, passed FROM judge_score WHERE item_id = 'q2'"
    ).fetchone()
    assert score == ("automated_score", 0.3, 0.5, False)
    labels = con.execute("SELECT item_id, score, reviewer, origin FROM label ORDER BY item_id")
    assert labels.fetchall()[:2] == [
        ("q1", 5, "imported", "import"),
        ("q2", 2, "imported", "import"),
    ]


@pytest.mark.parametrize("name", ["golden.jsonl", "golden.parquet"])
def test_every_file_kind_gives_the_same_content_hash(con, golden, name):
    other = files.import_dataset(
        con, str(DATA / name), f"fin-{name.split('.')[1]}", actor="tester", model_id=SOURCE_MODEL
    )
    assert other.sha256 == golden.sha256
    assert other.labels == 6 and other.source_run.scores == 6


def test_reimporting_the_same_content_writes_nothing(con, golden):
    before = db.row_counts(con)
    again = files.import_dataset(
        con, str(DATA / "golden.csv"), "fin", actor="tester", model_id=SOURCE_MODEL
    )
    assert again.unchanged and again.dataset_id == "fin@1"
    assert db.row_counts(con) == before


def test_a_changed_file_imports_as_a_new_version(con, golden, tmp_path):
    changed = tmp_path / "golden_v2.csv"
    changed.write_text(
        (DATA / "golden.csv").read_text().replace('"$4,210.5 million.",', '"$4.2B.",')
    )
    second = files.import_dataset(con, str(changed), "fin", actor="tester", model_id=SOURCE_MODEL)
    assert second.dataset_id == "fin@2" and second.sha256 != golden.sha256
    assert datasets.verify(con, "fin@1").matches and datasets.verify(con, "fin@2").matches


def test_model_config_accepts_json_and_key_value_text():
    assert datasets.parse_config("temperature=0.0, max_tokens=350") == {
        "temperature": 0.0,
        "max_tokens": 350,
    }
    assert datasets.parse_config('{"top_p": 0.9}') == {"top_p": 0.9}
    assert datasets.parse_config("model=nova; temperature: 0.2") == {
        "model": "nova",
        "temperature": 0.2,
    }
    assert datasets.parse_config("") == {}


def test_frozen_version_refuses_item_changes_and_replacement(con, golden):
    assert datasets.freeze(con, "fin@1", "owner") is True
    assert datasets.freeze(con, "fin@1", "owner") is False  # idempotent
    before = db.row_counts(con)
    with pytest.raises(FrozenError, match=r"frozen .* import the changed file as a new version"):
        datasets.update_item(con, "fin@1", "q1", actor="owner", ground_truth="changed")
    with pytest.raises(FrozenError, match="cannot replace its items"):
        files.import_dataset(
            con, str(DATA / "golden.csv"), "fin", actor="tester", model_id=SOURCE_MODEL, version=1
        )
    assert db.row_counts(con) == before
    assert con.execute("SELECT ground_truth FROM item WHERE item_id = 'q1'").fetchone()[0] == (
        "$4,210.5 million."
    )


def test_unfrozen_version_can_be_corrected_and_is_rehashed_and_audited(con, golden):
    datasets.update_item(con, "fin@1", "q1", actor="owner", ground_truth="$4.21 billion.")
    check = datasets.verify(con, "fin@1")
    assert check.matches and check.stored != golden.sha256
    entry = con.execute(
        "SELECT actor, action, before, after FROM audit WHERE action = 'update_item'"
    ).fetchone()
    assert entry[:2] == ("owner", "update_item") and "$4,210.5 million." in entry[2]


def test_verify_detects_data_changed_behind_switchyards_back(con, golden):
    datasets.freeze(con, "fin@1", "owner")
    con.execute("UPDATE item SET ground_truth = 'tampered' WHERE item_id = 'q2'")
    check = datasets.verify(con, "fin@1")
    assert not check.matches and "MISMATCH" in check.summary()


def test_content_hash_is_order_independent_and_documented():
    rows = [
        ("b", "p2", None, "t2", "all", "dev", ["y", "x"]),
        ("a", "p1", "c", "t1", "s", "holdout", []),
    ]
    # sha256 of the two canonical lines, sorted by id, tags sorted:
    import hashlib

    text = '["a","p1","c","t1","s","holdout",[]]\n["b","p2",null,"t2","all","dev",["x","y"]]\n'
    assert datasets.content_hash(rows) == hashlib.sha256(text.encode()).hexdigest()
    assert datasets.content_hash(rows[::-1]) == datasets.content_hash(rows)


def test_resolve_bare_name_means_latest_version(con, golden):
    assert datasets.resolve(con, "fin") == "fin@1"
