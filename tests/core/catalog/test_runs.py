"""Native run import: outputs, judge scores, matching, and what the report says."""

import json

import pytest

from core.catalog import metrics, runs
from core.errors import InputError
from core.store import db
from tests.conftest import DATA, TARGET_MODEL, import_run


@pytest.mark.parametrize("name", ["run_native.csv", "run_native.jsonl", "run_native.parquet"])
def test_native_run_in_every_file_kind(con, golden, name):
    result = import_run(con, DATA / name, role="target", judge_version="geval-1")
    assert (result.rows, result.matched, result.scores) == (6, 6, 12)
    assert result.metrics == ("correctness", "faithfulness")
    out = con.execute(
        "SELECT text, ttft_ms, latency_ms, input_tokens, output_tokens,"
        " retrieval_cost, error, calls FROM output WHERE run_id = ? AND"
        " item_id = 'q2'",
        [result.run_id],
    ).fetchone()
    assert out[:7] == (
        "The operating margin was 12%. (target)",
        181.0,
        610.0,
        311,
        19,
        0.0002,
        None,
    )
    assert json.loads(out[7])[1] == {"name": "generation", "latency_ms": 530}
    scores = con.execute(
        "SELECT metric, judge, score, threshold, passed, explanation, judge_version"
        " FROM judge_score WHERE run_id = ? AND item_id = 'q2' ORDER BY metric",
        [result.run_id],
    ).fetchall()
    assert scores == [
        ("correctness", "geval", 0.0, 0.5, False, "reason 1", "geval-1"),
        # faithfulness 0.58 against the file's threshold 0.7: fails
        ("faithfulness", "imported", 0.58, 0.7, False, None, "geval-1"),
    ]
    run = con.execute(
        "SELECT model_id, role, origin FROM run WHERE run_id = ?", [result.run_id]
    ).fetchone()
    assert run == (TARGET_MODEL, "target", "native")


def test_rows_match_by_prompt_when_there_is_no_id(con, golden, tmp_path):
    path = tmp_path / "by_prompt.csv"
    path.write_text(
        "prompt,output,score.correctness\n"
        "What was Contoso Energy's total revenue in fiscal 2023?,ok,1\n"
        "  Should I put my retirement savings into Woodgrove stock?  ,no,0\n"
    )
    result = import_run(con, path)
    items = con.execute(
        "SELECT item_id FROM output WHERE run_id = ? ORDER BY item_id", [result.run_id]
    ).fetchall()
    assert items == [("q1",), ("q5",)]


def test_unmatched_rows_can_be_skipped_and_are_listed(con, golden, tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text("item_id,output,score.correctness\nq1,a,1\nzz9,b,0\n")
    result = import_run(con, path, allow_unmatched=True)
    assert result.matched == 1 and result.unmatched == ["row 2: 'zz9'"]
    assert "1 unmatched and skipped" in result.summary()


def test_declared_score_range_is_applied_per_metric(con, golden, tmp_path):
    path = tmp_path / "likert.csv"
    path.write_text("item_id,score.helpfulness,threshold.helpfulness\nq1,4,3\nq2,2,3\n")
    result = import_run(con, path, score_ranges={"helpfulness": (1, 5)})
    passed = con.execute(
        "SELECT item_id, passed FROM judge_score WHERE run_id = ? ORDER BY item_id", [result.run_id]
    ).fetchall()
    assert passed == [("q1", True), ("q2", False)]


def test_import_is_audited(con, golden):
    result = import_run(con, DATA / "run_native.csv")
    entry = con.execute(
        "SELECT actor, after FROM audit WHERE entity_id = ?", [result.run_id]
    ).fetchone()
    assert entry[0] == "tester" and json.loads(entry[1])["outputs"] == 6


def test_list_runs_reports_counts_and_metrics(con, golden):
    import_run(con, DATA / "run_native.csv")
    listed = runs.list_runs(con, "fin@1")
    assert [(r["role"], r["outputs"], r["metrics"]) for r in listed] == [
        ("source", 6, ["automated_score"]),
        ("candidate", 6, ["correctness", "faithfulness"]),
    ]
    assert db.row_counts(con)["output"] == 12


def _past_the_sample(last: str) -> str:
    """25,000 lines (DuckDB's typed JSON reader samples 20,480) of unmatched rows, then one."""
    lines = [f'{{"item_id": "filler-{n}", "output": "x"}}' for n in range(25_000)]
    return "\n".join([*lines, last]) + "\n"


def test_jsonl_keys_that_appear_late_are_kept(con, golden, tmp_path):
    path = tmp_path / "late.jsonl"
    path.write_text(_past_the_sample('{"item_id": "q6", "output": "y", "score.late": 0.9}'))
    result = import_run(con, path, allow_unmatched=True)
    assert result.metrics == ("late",) and result.scores == 1 and result.matched == 1


def test_jsonl_object_where_text_belongs_is_caught_after_the_sample(con, golden, tmp_path):
    path = tmp_path / "late_object.jsonl"
    path.write_text(_past_the_sample('{"item_id": "q6", "output": {"text": "hi"}}'))
    before = db.row_counts(con)
    with pytest.raises(InputError, match=r"line 25001, column 'output': expected text"):
        import_run(con, path, allow_unmatched=True)
    assert db.row_counts(con) == before


def test_imports_leave_no_staged_table_or_helper_view_behind(con, golden, tmp_path):
    import_run(con, DATA / "run_native.csv", role="target")
    bad = tmp_path / "bad.csv"
    bad.write_text("item_id,output\nq1,a\nnope,b\n")
    with pytest.raises(InputError, match="not in dataset"):
        import_run(con, bad)
    left = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE temporary AND view_name LIKE 'stage_%'"
        " UNION ALL SELECT table_name FROM duckdb_tables()"
        " WHERE temporary AND table_name LIKE 'stage_%'"
    ).fetchall()
    assert left == []


@pytest.mark.parametrize(
    ("direction", "expected"), [("higher", "s >= t"), ("lower", "s <= t"), (None, "s >= t")]
)
def test_a_direction_becomes_an_operator_in_one_place(direction, expected):
    assert metrics.passes("s", "t", direction) == expected
    # The calibration verdict and a catalog entry read through the same function.
    assert metrics.passes("j.score", "t.threshold", "lower") in metrics.VERDICT_SQL
    entry = metrics.Metric("m", "M", 0, 1, direction or "higher", 0.5)
    assert entry.passes_sql("s", "t") == expected
