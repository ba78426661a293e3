"""Other tools' result files: Ragas tables, DeepEval test runs, Bedrock evaluation output."""

import json

import pytest

from core.catalog.metrics import normalise
from core.importers import files
from tests.conftest import DATA, import_run

JUDGE = "anthropic.claude-3-5-haiku-20241022-v1:0"


def scores(con, run_id):
    return con.execute(
        "SELECT item_id, metric, score, threshold, passed, explanation,"
        " judge, judge_version FROM judge_score WHERE run_id = ?"
        " ORDER BY item_id, metric",
        [run_id],
    ).fetchall()


@pytest.mark.parametrize("name", ["ragas_result.csv", "ragas_result.parquet"])
def test_ragas_table_matches_by_prompt_and_skips_nan_scores(con, golden, name):
    result = import_run(con, DATA / name)
    assert result.matched == 5
    assert result.metrics == ("answer_relevancy", "factual_correctness", "faithfulness")
    # 5 + 5 + 4: the NaN faithfulness of q4 means "could not score" and is left out
    assert result.scores == 14
    got = {(r[0], r[1]): r for r in scores(con, result.run_id)}
    assert ("q4", "faithfulness") not in got
    assert got[("q2", "faithfulness")][2:5] == (0.5, 0.5, True)
    assert got[("q2", "factual_correctness")][2:5] == (0.0, 0.5, False)
    assert got[("q1", "answer_relevancy")][6] == "ragas"
    origin = con.execute("SELECT origin FROM run WHERE run_id = ?", [result.run_id]).fetchone()
    assert origin == ("ragas",)


def test_a_ragas_table_with_a_blank_headed_column_imports_its_named_metrics(con, golden, tmp_path):
    # Found by the Hypothesis fuzz: a header of one space bound no score column and raised
    # KeyError. A column without a name is no metric (pandas writes one over its index).
    header, *rows = (DATA / "ragas_result.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "ragas_blank.csv"
    path.write_text(
        "\n".join([header + ", ", *(row + ",0.5" for row in rows)]) + "\n", encoding="utf-8"
    )
    result = import_run(con, path)
    assert result.metrics == ("answer_relevancy", "factual_correctness", "faithfulness")
    assert result.scores == 14


def test_deepeval_file_has_the_shape_deepeval_itself_writes():
    from deepeval.test_run.test_run import TestRun

    data = json.loads((DATA / "deepeval_test_run.json").read_text())
    run = TestRun.model_validate(data["testRunData"])
    assert len(run.test_cases) == 4 and run.test_cases[0].metrics_data[0].name == "Answer Relevancy"


def test_deepeval_test_run_keeps_threshold_success_reason_and_judge_model(con, golden):
    result = import_run(con, DATA / "deepeval_test_run.json")
    assert result.matched == 4 and result.metrics == ("answer_relevancy", "correctness")
    got = {(r[0], r[1]): r for r in scores(con, result.run_id)}
    assert got[("q2", "correctness")] == (
        "q2",
        "correctness",
        0.2,
        0.7,
        False,
        "correctness reason 1",
        "deepeval",
        JUDGE,
    )
    # success comes from DeepEval, not re-derived: 0.4 >= 0.5 is False, and so is success
    assert got[("q2", "answer_relevancy")][4] is False
    latency = con.execute(
        "SELECT latency_ms FROM output WHERE run_id = ? AND item_id = 'q1'", [result.run_id]
    ).fetchone()[0]
    assert latency == pytest.approx(1200.0)


def test_bedrock_automated_records(con, golden):
    result = import_run(con, DATA / "bedrock_automated_output.jsonl", model_id=None)
    assert result.matched == 6 and result.metrics == ("accuracy", "robustness")
    model = con.execute(
        "SELECT model_id, origin FROM run WHERE run_id = ?", [result.run_id]
    ).fetchone()
    assert model == ("amazon.nova-pro-v1:0", "bedrock")


def test_bedrock_judge_records_leave_null_results_out(con, golden):
    result = import_run(con, DATA / "bedrock_judge_output.jsonl", model_id=None)
    assert result.metrics == ("completeness", "correctness", "faithfulness")
    assert result.scores == 17  # 6 items x 3 metrics, one result null (not applicable)
    got = {(r[0], r[1]): r for r in scores(con, result.run_id)}
    assert ("q5", "faithfulness") not in got
    assert got[("q1", "correctness")][5:] == ("Builtin.Correctness explanation 0", "bedrock", JUDGE)
    mean = con.execute(
        "SELECT avg(score) FROM judge_score WHERE run_id = ? AND metric = 'faithfulness'",
        [result.run_id],
    ).fetchone()[0]
    # results ((n + 4) % 5) / 4 for n = 0..5 without the null at n = 4: 1, 0, .25, .5, 1
    assert mean == pytest.approx((1.0 + 0.0 + 0.25 + 0.5 + 1.0) / 5)


def test_bedrock_rag_records(con, golden):
    result = import_run(con, DATA / "bedrock_rag_output.jsonl", model_id=None)
    assert result.matched == 4 and result.metrics == ("citation_precision", "correctness")
    assert result.scores == 7
    text = con.execute(
        "SELECT text FROM output WHERE run_id = ? AND item_id = 'q1'", [result.run_id]
    ).fetchone()[0]
    assert text == "Total revenue was $4,210.5 million."


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("run_native.csv", "native"),
        ("run_native.jsonl", "native"),
        ("run_native.parquet", "native"),
        ("ragas_result.csv", "ragas"),
        ("ragas_result.parquet", "ragas"),
        ("deepeval_test_run.json", "deepeval"),
        ("bedrock_judge_output.jsonl", "bedrock"),
        ("bedrock_rag_output.jsonl", "bedrock"),
    ],
)
def test_format_is_detected(name, expected):
    path = DATA / name
    assert files.detect_format(path, files.kind_of(path)) == expected


def test_metric_names_are_normalised_before_the_catalog_reads_them():
    assert normalise("Builtin.Correctness") == "correctness"
    assert normalise("Correctness [GEval]") == "correctness_geval"
    assert normalise("Builtin.ProfessionalStyleAndTone") == "professional_style_and_tone"
    assert normalise("rouge_score(mode=fmeasure)") == "rouge_score_mode_fmeasure"
