"""Labels from elsewhere: the documented label file and Bedrock human-evaluation output."""

import pytest

from core import db, label_import
from core.errors import InputError
from tests.conftest import DATA, SOURCE_MODEL, TARGET_MODEL, import_run

HEADER = "item_id,model_id,reviewer,score,passed,failure_modes"


@pytest.fixture
def with_target(con, golden):
    """fin@1 with the golden source run and a target run (two models, one run each)."""
    import_run(con, DATA / "run_native.csv", model_id=TARGET_MODEL, role="target")
    return con


def labels_of(con, reviewer):
    return con.execute(
        "SELECT l.item_id, r.model_id, l.score, l.passed, l.failure_modes, l.safety_flag,"
        " l.preference, l.shown_side, l.notes FROM label l JOIN run r USING (run_id)"
        " WHERE l.reviewer = ? ORDER BY 1, 2",
        [reviewer],
    ).fetchall()


def test_label_file_imports_every_row_with_its_run(with_target):
    con = with_target
    result = label_import.import_labels(con, str(DATA / "labels.csv"), "fin@1", actor="owner")
    assert (result.labels, result.reviewers, result.rows) == (4, 2, 4)
    assert labels_of(con, "ben") == [
        ("q2", SOURCE_MODEL, 1, False, ["hallucination"], False, None, None, "wrong margin"),
        ("q5", SOURCE_MODEL, 4, None, [], True, None, None, "check the refusal wording"),
    ]
    origin = con.execute(
        "SELECT DISTINCT origin, sample_id FROM label WHERE reviewer = 'ana'"
    ).fetchall()
    assert origin == [("import", None)]


def test_bedrock_human_evaluation_output(with_target):
    con = with_target
    result = label_import.import_labels(
        con, str(DATA / "bedrock_human_output.jsonl"), "fin@1", actor="owner"
    )
    assert (result.labels, result.reviewers) == (12, 2)  # 3 prompts x 2 workers x 2 responses
    got = labels_of(con, "worker-b")
    # q2 (n = 1): worker-b prefers the left response (the source, shown as A); thumbs down
    # on the source; Likert 4 - n = 3 for the source, 3 for the target.
    assert ("q2", SOURCE_MODEL, 3, False, [], False, "A", "A", None) in got
    assert ("q2", TARGET_MODEL, 3, True, [], False, "A", "B", None) in got
    # q1 (n = 0): worker-b prefers the right response (the target).
    assert ("q1", SOURCE_MODEL, 4, True, [], False, "B", "A", None) in got


BAD = {
    "missing_reviewer": ("item_id,model_id,score\nq1,m,3\n", "column 'reviewer'"),
    "score_out_of_range": (
        f"{HEADER}\nq1,{SOURCE_MODEL},ana,7,pass,\n",
        "row 1, column 'score': expected a value between 1 and 5, got '7'",
    ),
    "fractional_score": (f"{HEADER}\nq1,{SOURCE_MODEL},ana,2.5,pass,\n", "whole number"),
    "ragged_row": (
        f"{HEADER}\nq1,{SOURCE_MODEL},2,pass,\n",
        "row 1: expected 6 fields like the header, found 5",
    ),
    "no_verdict": (f"{HEADER}\nq1,{SOURCE_MODEL},ana,,,\n", "neither a score nor passed"),
    "unknown_mode": (f"{HEADER}\nq1,{SOURCE_MODEL},ana,2,fail,typos\n", "expected failure modes"),
    "unknown_item": (
        f"{HEADER}\nq1,{SOURCE_MODEL},ana,2,fail,\nq99,{SOURCE_MODEL},ana,2,fail,\n",
        "row 2, column 'item_id': id 'q99' is not in dataset fin@1",
    ),
    "duplicate": (
        f"{HEADER}\nq1,{SOURCE_MODEL},ana,2,fail,\nq1,{SOURCE_MODEL},ana,3,pass,\n",
        "row 2, column 'reviewer': duplicate label (item, run, reviewer)",
    ),
    "unknown_model": (f"{HEADER}\nq1,mystery-model,ana,2,fail,\n", "'mystery-model' has 0 runs"),
    "bad_preference": (
        f"item_id,model_id,reviewer,score,preference\nq1,{SOURCE_MODEL},ana,2,left\n",
        "expected one of A, B, tie",
    ),
    "bad_bool": (f"{HEADER}\nq1,{SOURCE_MODEL},ana,2,maybe,\n", "expected true/false"),
    "empty": ("", "empty"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_label_files_are_refused_and_change_nothing(with_target, tmp_path, case):
    con = with_target
    content, message = BAD[case]
    path = tmp_path / "labels.csv"
    path.write_text(content)
    before = db.row_counts(con)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        label_import.import_labels(con, str(path), "fin@1", actor="owner")
    assert db.row_counts(con) == before


def test_reimporting_labels_is_refused_not_duplicated(with_target):
    con = with_target
    label_import.import_labels(con, str(DATA / "labels.csv"), "fin@1", actor="owner")
    before = db.row_counts(con)
    with pytest.raises(InputError, match="imported before; labels are never silently"):
        label_import.import_labels(con, str(DATA / "labels.csv"), "fin@1", actor="owner")
    assert db.row_counts(con) == before


def test_bedrock_file_with_a_bad_line_names_it(with_target, tmp_path):
    path = tmp_path / "human_output.jsonl"
    good = (DATA / "bedrock_human_output.jsonl").read_text().splitlines()[0]
    path.write_text(good + '\n{"humanEvaluationResult": 3}\n')
    with pytest.raises(InputError, match="line 2: expected humanEvaluationResult to be a list"):
        label_import.import_labels(with_target, str(path), "fin@1", actor="owner")
