"""Every bad file is refused with file, row and column named, and leaves the database as it was."""

import pytest

from core.catalog import runs
from core.errors import InputError, NotFoundError
from core.importers import files
from core.store import db
from tests.conftest import SOURCE_MODEL, TARGET_MODEL

GOLDEN_HEADER = (
    "id,source_prompt,ground_truth,source_output,latency_ms,input_tokens,automated_score"
)
GOOD_GOLDEN = GOLDEN_HEADER + "\nn1,Q one?,A1,out,100,10,0.5\nn2,Q two?,A2,out,120,12,0.7\n"

# (file name, content, expected fragments of the message)
GOLDEN_CASES = {
    "missing_column": (
        "g.csv",
        "id,source_prompt\nn1,Q?\n",
        ["g.csv", "column 'ground_truth'", "missing required column"],
    ),
    "wrong_type": (
        "g.csv",
        GOOD_GOLDEN.replace("120,12", "fast,12"),
        ["g.csv", "row 2", "column 'latency_ms'", "expected a number", "'fast'"],
    ),
    "negative_latency": (
        "g.csv",
        GOOD_GOLDEN.replace("100,10", "-5,10"),
        ["row 1", "column 'latency_ms'", "not a negative one"],
    ),
    "negative_tokens": (
        "g.csv",
        GOOD_GOLDEN.replace("120,12", "120,-3"),
        ["row 2", "column 'input_tokens'", "at least 0"],
    ),
    "fractional_tokens": (
        "g.csv",
        GOOD_GOLDEN.replace("120,12", "120,1.5"),
        ["row 2", "column 'input_tokens'", "whole number"],
    ),
    "duplicate_ids": (
        "g.csv",
        GOOD_GOLDEN.replace("n2,", "n1,"),
        ["row 2", "column 'id'", "duplicate id 'n1'", "first on row 1"],
    ),
    "score_out_of_range": (
        "g.csv",
        GOOD_GOLDEN.replace("0.7", "7"),
        ["row 2", "column 'automated_score'", "between 0 and 1", "'7'"],
    ),
    "bad_split": (
        "g.csv",
        GOLDEN_HEADER + ",split\nn1,Q?,A,o,1,1,0.5,train\n",
        ["row 1", "column 'split'", "'dev' or 'holdout'"],
    ),
    "empty_prompt": (
        "g.csv",
        GOOD_GOLDEN.replace("Q two?", ""),
        ["row 2", "column 'source_prompt'", "value is required"],
    ),
    "non_utf8": (
        "g.csv",
        GOOD_GOLDEN.encode().replace(b"Q two?", b"Q \xe9two?"),
        ["g.csv", "line 3", "0xe9", "not valid UTF-8"],
    ),
    "empty_file": ("g.csv", "", ["g.csv", "empty"]),
    "header_only": ("g.csv", GOLDEN_HEADER + "\n", ["g.csv", "no data rows"]),
    "truncated_jsonl": (
        "g.jsonl",
        '{"id":"n1","source_prompt":"Q?","ground_truth":"A"}\n'
        '{"id":"n2","source_prompt":"Q2?","gro',
        ["g.jsonl", "line 2", "truncated"],
    ),
    "invalid_json_line": (
        "g.jsonl",
        '{"id":"n1","source_prompt":"Q?","ground_truth":"A"}\n'
        '{"id": n2}\n{"id":"n3","source_prompt":"Q?","ground_truth":"A"}\n',
        ["g.jsonl", "line 2", "not valid JSON"],
    ),
    "json_where_text": (
        "g.jsonl",
        '{"id":"n1","source_prompt":"Q?","ground_truth":"A"}\n'
        '{"id":"n2","source_prompt":{"text":"Q?"},"ground_truth":"A"}\n',
        [
            "g.jsonl",
            "line 2",
            "column 'source_prompt'",
            "expected text",
            "not a JSON object",
            'got \'{"text":"Q?"}\'',
        ],
    ),
    "unknown_suffix": ("g.xlsx", "whatever", ["g.xlsx", "unknown file kind", "--kind", "'.xlsx'"]),
    "mixed_configs": (
        "g.csv",
        GOLDEN_HEADER + ",model_config\nn1,Q?,A,o,1,1,0.5,temperature=0\n"
        "n2,Q2?,A,o,1,1,0.5,temperature=1\n",
        ["row 2", "column 'model_config'", "one run has one configuration"],
    ),
    "bad_config": (
        "g.csv",
        GOLDEN_HEADER + ",model_config\nn1,Q?,A,o,1,1,0.5,{broken\n",
        ["row 1", "column 'model_config'", "neither a JSON object"],
    ),
}

RUN_HEADER = "item_id,output,latency_ms,output_tokens,score.correctness"
GOOD_RUN = RUN_HEADER + "\nq1,a,100,5,1\nq2,b,200,6,0\n"
RUN_CASES = {
    "missing_id": ("r.csv", "output,score.x\na,1\n", ["r.csv", "column 'item_id'"]),
    "wrong_type": (
        "r.csv",
        GOOD_RUN.replace("200,6", "fast,6"),
        ["row 2", "column 'latency_ms'", "expected a number", "'fast'"],
    ),
    "negative_tokens": (
        "r.csv",
        GOOD_RUN.replace("100,5", "100,-5"),
        ["row 1", "column 'output_tokens'", "at least 0"],
    ),
    "duplicate_ids": (
        "r.csv",
        GOOD_RUN.replace("q2,", "q1,"),
        ["row 2", "column 'item_id'", "duplicate id 'q1'"],
    ),
    "unknown_ids": (
        "r.csv",
        GOOD_RUN.replace("q2,", "q99,"),
        ["row 2", "column 'item_id'", "'q99' is not in dataset fin@1", "--allow-unmatched"],
    ),
    "score_out_of_range": (
        "r.csv",
        GOOD_RUN.replace(",5,1", ",5,1.7"),
        ["row 1", "column 'score.correctness'", "between 0 and 1", "'1.7'"],
    ),
    "bad_bool": (
        "r.csv",
        "item_id,score.c,passed.c\nq1,1,maybe\n",
        ["row 1", "column 'passed.c'", "expected true/false"],
    ),
    "bad_calls_json": ("r.csv", "item_id,calls\nq1,[{oops\n", ["row 1", "column 'calls'", "JSON"]),
    "json_where_text": (
        "r.jsonl",
        '{"item_id":"q1","output":{"text":"hi"}}\n',
        ["line 1", "column 'output'", "expected text"],
    ),
    "late_object_where_text": (
        "r.jsonl",
        '{"item_id":"q1","output":"ok"}\n{"item_id":"q2","output":{"text":"hi"}}\n',
        ["line 2", "column 'output'", "expected text"],
    ),
    "array_line": ("r.jsonl", '{"item_id":"q1"}\n[1, 2]\n', ["line 2", "JSON object"]),
    "truncated_jsonl": (
        "r.jsonl",
        '{"item_id":"q1","output":"a"}\n{"item_id":"q2","outp',
        ["line 2", "truncated"],
    ),
    "non_utf8_jsonl": ("r.jsonl", b'{"item_id":"q1","output":"caf\xff"}\n', ["line 1", "UTF-8"]),
    "empty_file": ("r.jsonl", "", ["r.jsonl", "empty"]),
    "unknown_suffix": ("r.txt", "item_id\nq1\n", ["r.txt", "unknown file kind"]),
    "deepeval_not_a_run": ("r.json", '{"hello": 1}', ["r.json", "testRunData"]),
    "deepeval_broken_json": ("r.json", '{"testRunData": {', ["r.json", "not valid JSON"]),
    "bedrock_bad_line": (
        "r_output.jsonl",
        '{"automatedEvaluationResult":{"scores":[]},"inputRecord":{"prompt":"x"}}\n'
        '{"automatedEvaluationResult": 5}\n',
        ["r_output.jsonl", "line 2", "automatedEvaluationResult"],
    ),
}


def write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def assert_message(exc, fragments):
    message = str(exc)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize("case", list(GOLDEN_CASES))
def test_bad_golden_file_is_refused_and_writes_nothing(con, golden, tmp_path, case):
    name, content, fragments = GOLDEN_CASES[case]
    path = write(tmp_path, name, content)
    before = db.row_counts(con)
    with pytest.raises(InputError) as caught:
        files.import_dataset(con, str(path), "bad", actor="tester", model_id=SOURCE_MODEL)
    assert_message(caught.value, fragments)
    assert db.row_counts(con) == before


@pytest.mark.parametrize("case", list(RUN_CASES))
def test_bad_run_file_is_refused_and_writes_nothing(con, golden, tmp_path, case):
    name, content, fragments = RUN_CASES[case]
    path = write(tmp_path, name, content)
    before = db.row_counts(con)
    with pytest.raises(InputError) as caught:
        files.import_run(con, str(path), runs.RunSpec("fin@1", TARGET_MODEL), actor="tester")
    assert_message(caught.value, fragments)
    assert db.row_counts(con) == before


def test_unknown_format_name_is_refused(con, golden, tmp_path):
    path = write(tmp_path, "r.csv", GOOD_RUN)
    with pytest.raises(InputError, match="unknown format 'excel'"):
        files.import_run(
            con, str(path), runs.RunSpec("fin@1", TARGET_MODEL), actor="t", fmt="excel"
        )


def test_run_without_a_model_id_is_refused(con, golden, tmp_path):
    path = write(tmp_path, "r.csv", GOOD_RUN)
    with pytest.raises(InputError, match="no model id"):
        files.import_run(con, str(path), runs.RunSpec("fin@1"), actor="t")


def test_run_against_a_missing_dataset_is_refused(con, tmp_path):
    path = write(tmp_path, "r.csv", GOOD_RUN)
    with pytest.raises(NotFoundError, match="no dataset 'nope@1'"):
        files.import_run(con, str(path), runs.RunSpec("nope@1", TARGET_MODEL), actor="t")


def test_ambiguous_prompt_match_is_refused(con, tmp_path):
    dup = write(tmp_path, "g.csv", "id,source_prompt,ground_truth\na,Same?,x\nb,Same?,y\n")
    files.import_dataset(con, str(dup), "dup", actor="t")
    path = write(tmp_path, "r.csv", "prompt,output\nSame?,hello\n")
    before = db.row_counts(con)
    with pytest.raises(InputError, match="matches 2 items of dup@1"):
        files.import_run(con, str(path), runs.RunSpec("dup@1", TARGET_MODEL), actor="t")
    assert db.row_counts(con) == before


def test_upload_errors_name_the_uploaded_file_not_the_temp_copy(con, golden, tmp_path):
    path = write(tmp_path, "tmp123.csv", GOOD_RUN.replace("200,6", "fast,6"))
    with pytest.raises(InputError) as caught:
        files.import_run(
            con, str(path), runs.RunSpec("fin@1", TARGET_MODEL), actor="t", label="my_run.csv"
        )
    assert str(caught.value).startswith("my_run.csv, row 2")
