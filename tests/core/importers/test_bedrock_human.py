"""Bedrock human-evaluation output: metrics read by name, ARNs resolved, --run that works.

The records start from AWS's documented examples in tests/data/real/bedrock/aws_docs (see
its README): Bedrock's own (one model, thumbs Coherence/Accuracy, Likert Toxicity) and
SageMaker's (two models, two workers, all five rating methods).
"""

import json

import pytest

from core.errors import InputError
from core.importers import labels as label_import
from core.store import db
from tests.conftest import DATA, SOURCE_MODEL, TARGET_MODEL, import_run

DOCS = DATA / "real" / "bedrock" / "aws_docs"
Q1 = "What was Contoso Energy's total revenue in fiscal 2023?"
SOURCE_ARN = f"arn:aws:bedrock:us-east-1::foundation-model/{SOURCE_MODEL}"
TARGET_PROFILE_ARN = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{TARGET_MODEL}"
APP_PROFILE_ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"


@pytest.fixture
def with_target(con, golden):
    """fin@1 with the golden source run and a target run (two models, one run each)."""
    import_run(con, DATA / "run_native.csv", model_id=TARGET_MODEL, role="target")
    return con


def run_of(con, model_id):
    return con.execute("SELECT run_id FROM run WHERE model_id = ?", [model_id]).fetchone()[0]


def bedrock_doc_record(model_identifier=SOURCE_ARN, helpfulness=5):
    """AWS's Bedrock example (thumbs Coherence false then Accuracy true; Likert Toxicity 1,
    where 1 means "not toxic") on item q1, plus a Likert Helpfulness answer."""
    record = json.loads((DOCS / "human_bedrock_doc_example.repaired.json").read_text())
    record["inputRecord"]["prompt"] = Q1
    record["modelResponses"][0]["modelIdentifier"] = model_identifier
    record["humanEvaluationResult"][0]["modelResponseIdMap"]["0"] = model_identifier
    answers = record["humanEvaluationResult"][0]["humanAnswers"][0]["answerContent"]
    if helpfulness is not None:
        answers["evaluationResults"]["individualLikertScale"].append(
            {"metricName": "Helpfulness", "modelResponseId": "0", "result": helpfulness}
        )
    return record


def sagemaker_doc_record(models=(SOURCE_MODEL, TARGET_MODEL)):
    """AWS's SageMaker example (two models, two workers) on item q1."""
    record = json.loads((DOCS / "human_sagemaker_doc_two_models_two_workers.json").read_text())
    record["inputRecord"]["prompt"]["text"] = Q1
    for i, model in enumerate(models):
        if model is not None:
            record["modelResponses"][i]["modelIdentifier"] = model
            record["humanEvaluationResult"]["modelResponseIdMap"][str(i)] = model
    return record


def write(tmp_path, *records):
    path = tmp_path / "human_output.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def labels(con):
    return con.execute(
        "SELECT l.item_id, r.model_id, l.reviewer, l.score, l.passed, l.preference,"
        " l.shown_side FROM label l JOIN run r USING (run_id)"
        " WHERE l.reviewer <> 'imported' ORDER BY 1, 2, 3"
    ).fetchall()


def refused(con, path, match, **options):
    before = db.row_counts(con)
    with pytest.raises(InputError, match=match):
        label_import.import_labels(con, path, "fin@1", actor="owner", **options)
    assert db.row_counts(con) == before


def test_likert_and_thumbs_metrics_are_read_by_name_not_position(with_target, tmp_path):
    # Seen: Toxicity 1 (not toxic) became the SME score, Helpfulness 5 was dropped, and
    # Coherence (the first thumbs metric) became the verdict.
    con = with_target
    path = write(tmp_path, bedrock_doc_record())
    refused(
        con,
        path,
        r"which metric is the 1-5 score\? the file has 2: Toxicity, Helpfulness; name one with"
        r" --score-metric NAME .*Coherence \(ThumbsUpDown\); Accuracy \(ThumbsUpDown\);"
        r" Toxicity \(IndividualLikertScale\); Helpfulness \(IndividualLikertScale\)",
    )
    refused(con, path, r"which metric is the pass/fail verdict\?", score_metric="Helpfulness")
    result = label_import.import_labels(
        con,
        path,
        "fin@1",
        actor="owner",
        score_metric="Helpfulness",
        verdict_metric="Accuracy",
    )
    assert labels(con) == [("q1", SOURCE_MODEL, "444455556666", 5, True, None, None)]
    assert "the 1-5 score: 'Helpfulness' (IndividualLikertScale)" in result.notes
    assert "the pass/fail verdict: 'Accuracy' (ThumbsUpDown)" in result.notes
    assert any("Toxicity (IndividualLikertScale)" in n for n in result.notes)
    raw = json.loads(
        con.execute("SELECT raw_record FROM label WHERE reviewer = '444455556666'").fetchone()[0]
    )
    answers = {(a["metricName"], a["ratingMethod"]): a["result"] for a in raw["answers"]}
    assert answers == {
        ("Coherence", "ThumbsUpDown"): False,
        ("Accuracy", "ThumbsUpDown"): True,
        ("Toxicity", "IndividualLikertScale"): 1,
        ("Helpfulness", "IndividualLikertScale"): 5,
    }
    assert raw["modelIdentifier"] == SOURCE_ARN and raw["line"] == 1


def test_a_field_can_be_left_unread_with_none(with_target, tmp_path):
    con = with_target
    path = write(tmp_path, bedrock_doc_record(helpfulness=None))
    label_import.import_labels(
        con, path, "fin@1", actor="owner", score_metric="none", verdict_metric="Accuracy"
    )
    assert labels(con) == [("q1", SOURCE_MODEL, "444455556666", None, True, None, None)]


def test_a_metric_named_that_the_file_lacks_is_refused_with_the_list(with_target, tmp_path):
    path = write(tmp_path, bedrock_doc_record())
    refused(
        with_target,
        path,
        r"--score-metric 'Accuracy' is not a IndividualLikertScale metric of the file; its"
        r" metrics: Coherence \(ThumbsUpDown\)",
        score_metric="Accuracy",
    )


def test_the_only_metric_of_a_kind_is_taken_and_said(with_target):
    result = label_import.import_labels(
        with_target, str(DATA / "bedrock_human_output.jsonl"), "fin@1", actor="owner"
    )
    assert result.notes[:3] == (
        "the 1-5 score: 'Accuracy' (IndividualLikertScale)",
        "the pass/fail verdict: 'Helpful' (ThumbsUpDown)",
        "the side-by-side preference: 'Preference' (ComparisonChoice)",
    )


def test_a_likert_scale_of_another_width_is_mapped_onto_1_to_5_and_said(with_target, tmp_path):
    con = with_target
    records = []
    for worker, answer in (("w1", 1), ("w2", 3), ("w3", 5), ("w4", 6), ("w5", 7)):
        record = bedrock_doc_record(helpfulness=answer)
        record["humanEvaluationResult"][0]["humanAnswers"][0]["workerId"] = worker
        records.append(record)
    path = write(tmp_path, *records)
    options = {"score_metric": "Helpfulness", "verdict_metric": "Accuracy"}
    refused(
        con,
        path,
        r"line 4, column 'Helpfulness': worker 'w4' answered 6 on 'Helpfulness', outside the"
        r" scale 1-5; a scale of another width is declared with --score-scale LOW:HIGH",
        **options,
    )
    result = label_import.import_labels(
        con, path, "fin@1", actor="owner", score_scale=(1, 7), **options
    )
    # 1 + 4 (s - 1) / 6, rounded half up: 1 -> 1, 3 -> 2.33 -> 2, 5 -> 3.67 -> 4,
    # 6 -> 4.33 -> 4, 7 -> 5.
    assert [row[3] for row in labels(con)] == [1, 2, 4, 4, 5]
    assert any(
        "scores on 1-7 mapped linearly onto 1-5: 1 + 4·(s − 1)/6, rounded half up"
        " (1→1, 2→2, 3→2, 4→3, 5→4, 6→4, 7→5)" in n
        for n in result.notes
    )
    kept = con.execute("SELECT raw_record FROM label WHERE reviewer = 'w4'").fetchone()[0]
    assert {"metricName": "Helpfulness", "ratingMethod": "IndividualLikertScale",
            "modelResponseId": "0", "result": 6} in json.loads(kept)["answers"]  # fmt: skip


def test_sagemaker_variant_with_every_rating_method(with_target, tmp_path):
    con = with_target
    path = write(tmp_path, sagemaker_doc_record())
    refused(con, path, r"which metric is the 1-5 score\? the file has 2: Correctness, Completeness")
    options = {"score_metric": "Correctness", "verdict_metric": "Accuracy"}
    refused(
        con,
        path,
        r"which metric is the side-by-side preference\? the file has 3: Fluency, Coherence,"
        r" Toxicity; name one with --preference-metric",
        **options,
    )
    label_import.import_labels(
        con, path, "fin@1", actor="owner", preference_metric="Fluency", **options
    )
    # Worker ead1... chose response 0 (left, A) on Fluency; worker bad2... response 1 (B).
    assert labels(con) == [
        ("q1", TARGET_MODEL, "bad258db224c3db6", 4, False, "B", "B"),
        ("q1", TARGET_MODEL, "ead1ba56c1278175", 3, True, "A", "B"),
        ("q1", SOURCE_MODEL, "bad258db224c3db6", 3, True, "B", "A"),
        ("q1", SOURCE_MODEL, "ead1ba56c1278175", 2, True, "A", "A"),
    ]


def test_model_arns_and_inference_profiles_resolve_to_the_runs(with_target, tmp_path):
    # Seen: the import refused ARN model identifiers.
    con = with_target
    target = bedrock_doc_record(TARGET_PROFILE_ARN)
    target["humanEvaluationResult"][0]["humanAnswers"][0]["workerId"] = "w-target"
    path = write(tmp_path, bedrock_doc_record(SOURCE_ARN), target)
    label_import.import_labels(
        con, path, "fin@1", actor="owner", score_metric="Helpfulness", verdict_metric="Accuracy"
    )
    assert labels(con) == [
        ("q1", TARGET_MODEL, "w-target", 5, True, None, None),
        ("q1", SOURCE_MODEL, "444455556666", 5, True, None, None),
    ]


def test_an_application_inference_profile_is_mapped_with_the_run_advice(with_target, tmp_path):
    # Seen: the error advised --run, and --run did not work.
    con = with_target
    path = write(tmp_path, bedrock_doc_record(APP_PROFILE_ARN))
    options = {"score_metric": "Helpfulness", "verdict_metric": "Accuracy"}
    source = run_of(con, SOURCE_MODEL)
    refused(
        con,
        path,
        rf"model '{APP_PROFILE_ARN}' has 0 runs on fin@1 \(its runs: {source} \(source,"
        rf" {SOURCE_MODEL}\), .*\); import that model's run first, or say which run it is with"
        rf" --run '{APP_PROFILE_ARN}=RUN' \(or --run RUN: the file grades one model\)",
        **options,
    )
    label_import.import_labels(con, path, "fin@1", actor="owner", run_id=source, **options)
    assert labels(con) == [("q1", SOURCE_MODEL, "444455556666", 5, True, None, None)]


def test_a_model_with_two_runs_names_them_and_model_equals_run_works(with_target, tmp_path):
    con = with_target
    second = import_run(con, DATA / "run_native.csv", model_id=SOURCE_MODEL, name="rerun").run_id
    first = con.execute(
        "SELECT run_id FROM run WHERE model_id = ? AND run_id <> ?", [SOURCE_MODEL, second]
    ).fetchone()[0]
    path = write(tmp_path, sagemaker_doc_record())
    options = {
        "score_metric": "Correctness",
        "verdict_metric": "Accuracy",
        "preference_metric": "Fluency",
    }
    refused(
        con,
        path,
        rf"model '{SOURCE_MODEL}' has 2 runs on fin@1: {first} \(source, {SOURCE_MODEL}\),"
        rf" {second} \(candidate, {SOURCE_MODEL}\); say which with --run '{SOURCE_MODEL}=RUN'",
        **options,
    )
    refused(
        con,
        path,
        r"the file grades 2 models .*; --run RUN would give every label to one run: map each"
        r" model with --run MODEL=RUN",
        run_id=second,
        **options,
    )
    label_import.import_labels(
        con, path, "fin@1", actor="owner", run_id=[f"{SOURCE_MODEL}={second}"], **options
    )
    graded = con.execute(
        "SELECT DISTINCT run_id FROM label WHERE reviewer <> 'imported' AND run_id <> ?",
        [run_of(con, TARGET_MODEL)],
    ).fetchall()
    assert graded == [(second,)]


def test_a_run_named_that_does_not_exist_is_refused(with_target, tmp_path):
    path = write(tmp_path, bedrock_doc_record())
    refused(
        with_target,
        path,
        r"--run: no run 'run-nope' on fin@1; its runs: ",
        run_id="run-nope",
        score_metric="Helpfulness",
        verdict_metric="Accuracy",
    )


def test_a_comparison_rank_without_a_number_states_no_preference():
    # A rank of null once reached `None < 1` (a TypeError); it now reads as no preference.
    from core.importers.bedrock_human import _preference

    found = {
        "comparisonRank": [
            {
                "metricName": "Preference",
                "leftModelResponseId": "0",
                "rightModelResponseId": "1",
                "result": [
                    {"modelResponseId": "0", "rank": None},
                    {"modelResponseId": "1", "rank": 1},
                ],
            }
        ]
    }
    assert _preference(found, "Preference", ["0", "1"]) == (None, None, None)
    found["comparisonRank"][0]["result"][0]["rank"] = 2
    assert _preference(found, "Preference", ["0", "1"]) == ("0", "1", "B")
