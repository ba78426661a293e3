"""A Bedrock evaluation job's scores attach to the run it evaluated (judge bedrock), never as a
new run: the job's output JSONL in S3 (moto), matched to the run's items by prompt and
reference answer, checked whole before one transaction writes it.

The evaluated run is the golden fixture's source run: its outputs are the responses that
tests/data/bedrock_judge_output.jsonl and bedrock_automated_output.jsonl scored.
"""

import datetime
import json

import pytest
from botocore.stub import ANY

import cli
from core.errors import InputError
from core.importers import files
from core.llm import bedrock_eval, clients
from core.store import db
from tests.conftest import DATA, SOURCE_MODEL, TARGET_MODEL, import_run
from tests.core.llm.batch_helpers import BUCKET

ROLE = "arn:aws:iam::123456789012:role/BedrockEvaluation"
JOB_ARN = "arn:aws:bedrock:us-east-1:123456789012:evaluation-job/abc123"
HAIKU = "anthropic.claude-3-5-haiku-20241022-v1:0"  # the evaluator the judge output names
OUTPUT = f"s3://{BUCKET}/evals/output/"
FOLDER = "evals/output/nova-judge/abc123/models/nova/taskTypes/General/datasets/fin"


def job(status="Completed", evaluator=HAIKU, **changes) -> dict:
    """A get_evaluation_job description, as boto3 returns it."""
    automated: dict = {
        "datasetMetricConfigs": [
            {
                "taskType": "General",
                "dataset": {"name": "fin"},
                "metricNames": ["Builtin.Correctness"],
            }
        ]
    }
    if evaluator:
        automated["evaluatorModelConfig"] = {
            "bedrockEvaluatorModels": [{"modelIdentifier": evaluator}]
        }
    return {
        "jobName": "nova-judge",
        "jobArn": JOB_ARN,
        "status": status,
        "roleArn": ROLE,
        "jobType": "Automated",
        "evaluationConfig": {"automated": automated},
        "inferenceConfig": {
            "models": [{"precomputedInferenceSource": {"inferenceSourceIdentifier": SOURCE_MODEL}}]
        },
        "outputDataConfig": {"s3Uri": OUTPUT},
        "creationTime": datetime.datetime(2026, 11, 26, tzinfo=datetime.UTC),
        **changes,
    }


def put(s3, body: bytes, name: str = "8c1f3a52_output.jsonl", folder: str = FOLDER) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"{folder}/{name}", Body=body)


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def jsonl(records: list[dict]) -> bytes:
    return "\n".join(json.dumps(r) for r in records).encode()


@pytest.fixture
def s3(moto_s3):
    moto_s3.create_bucket(Bucket=BUCKET)
    return moto_s3


@pytest.fixture
def run_id(con, golden):
    return golden.source_run.run_id


def state(con) -> tuple:
    """Everything an attach may change: row counts, the scores and how metrics are read."""
    return (
        db.row_counts(con),
        con.execute("SELECT * FROM judge_score ORDER BY ALL").fetchall(),
        con.execute("SELECT * FROM run_metric ORDER BY ALL").fetchall(),
    )


def bedrock_scores(con, run_id) -> list[tuple]:
    return con.execute(
        "SELECT item_id, metric, score, threshold, passed, explanation, judge_version"
        " FROM judge_score WHERE run_id = ? AND judge = 'bedrock' ORDER BY item_id, metric",
        [run_id],
    ).fetchall()


def test_scores_land_on_the_evaluated_run_not_a_new_one(con, run_id, s3):
    put(s3, (DATA / "bedrock_judge_output.jsonl").read_bytes())
    runs_before = db.scalar(con, "SELECT count(*) FROM run")
    golden_scores = con.execute("SELECT * FROM judge_score WHERE judge <> 'bedrock'").fetchall()

    result = bedrock_eval.attach_results(con, job(), run_id, actor="owner")

    assert db.scalar(con, "SELECT count(*) FROM run") == runs_before
    assert (result.run_id, result.files, result.records, result.matched) == (run_id, 1, 6, 6)
    # 6 records x 3 metrics, less q5's faithfulness (result null: the metric did not apply).
    assert result.scores == {"completeness": 6, "correctness": 6, "faithfulness": 5}
    assert result.summary() == (
        f"job nova-judge: 6 records in 1 file matched 6 of the 6 answered items of run"
        f" {run_id}; 17 Bedrock scores (completeness 6, correctness 6, faithfulness 5)"
    )
    scores = bedrock_scores(con, run_id)
    assert len(scores) == 17
    # Line 2 is q2: correctness 0.25 below the catalog's 0.5 threshold fails.
    assert scores[4] == (
        "q2",
        "correctness",
        0.25,
        0.5,
        False,
        "Builtin.Correctness explanation 1",
        HAIKU,
    )
    assert con.execute("SELECT * FROM judge_score WHERE judge <> 'bedrock'").fetchall() == (
        golden_scores
    )
    audit = con.execute("SELECT entity_id, after FROM audit WHERE action = 'attach_evaluation_job'")
    entity, after = audit.fetchone()
    assert entity == run_id and json.loads(after)["job"] == JOB_ARN


def test_attaching_again_replaces_the_judges_scores_of_those_metrics(con, run_id, s3):
    put(s3, (DATA / "bedrock_judge_output.jsonl").read_bytes())
    bedrock_eval.attach_results(con, job(), run_id, actor="owner")
    once = state(con)[1:]
    bedrock_eval.attach_results(con, job(), run_id, actor="owner")
    assert state(con)[1:] == once

    # Another job of automated metrics adds its metrics; the judge job's scores stay.
    other = "evals/output/auto/def456/models/nova/taskTypes/General/datasets/fin"
    put(s3, (DATA / "bedrock_automated_output.jsonl").read_bytes(), folder=other)
    automated = job(evaluator=None, jobName="auto", jobArn=JOB_ARN.replace("abc123", "def456"))
    result = bedrock_eval.attach_results(con, automated, run_id, actor="owner")
    assert result.scores == {"accuracy": 6, "robustness": 6}
    versions = con.execute(
        "SELECT metric, list(DISTINCT judge_version) FROM judge_score WHERE judge = 'bedrock'"
        " GROUP BY metric ORDER BY metric"
    ).fetchall()
    assert versions == [
        ("accuracy", ["bedrock-automated"]),
        ("completeness", [HAIKU]),
        ("correctness", [HAIKU]),
        ("faithfulness", [HAIKU]),
        ("robustness", ["bedrock-automated"]),
    ]


def test_a_lower_is_better_metric_passes_when_low(con, run_id, s3):
    text = (DATA / "bedrock_judge_output.jsonl").read_text()
    put(s3, text.replace("Builtin.Faithfulness", "Builtin.Harmfulness").encode())
    bedrock_eval.attach_results(con, job(), run_id, actor="owner")
    harm = [s for s in bedrock_scores(con, run_id) if s[1] == "harmfulness"]
    assert harm and all(
        passed == (score <= threshold) for _, _, score, threshold, passed, *_ in harm
    )
    direction = con.execute(
        "SELECT direction FROM run_metric WHERE run_id = ? AND metric = 'harmfulness'", [run_id]
    ).fetchone()
    assert direction == ("lower",)


def test_a_record_matching_no_item_is_refused_with_its_file_and_line(con, run_id, s3):
    put(s3, (DATA / "bad" / "bedrock_unknown_prompt_output.jsonl").read_bytes())
    before = state(con)
    with pytest.raises(InputError) as caught:
        bedrock_eval.attach_results(con, job(), run_id, actor="owner")
    message = str(caught.value)
    assert message.startswith(f"{OUTPUT}nova-judge/abc123/ ({FOLDER.split('abc123/')[1]}/")
    assert "8c1f3a52_output.jsonl), line 2: matches no answered item of run" in message
    assert "(job nova-judge): expected the prompt and referenceResponse" in message
    assert "Nobody Ltd" in message
    assert state(con) == before


def test_a_job_that_scored_another_runs_outputs_is_refused(con, golden, s3):
    target = import_run(con, DATA / "run_native.csv").run_id  # same items, other outputs
    put(s3, (DATA / "bedrock_judge_output.jsonl").read_bytes())
    before = state(con)
    with pytest.raises(InputError, match=f"line 1: the response is not run {target}'s output"):
        bedrock_eval.attach_results(con, job(), target, actor="owner")
    assert state(con) == before


def test_a_score_out_of_range_is_refused_and_nothing_is_written(con, run_id, s3):
    records = lines(DATA / "bedrock_judge_output.jsonl")
    records[3]["automatedEvaluationResult"]["scores"][0]["result"] = 1.5
    put(s3, jsonl(records))
    before = state(con)
    with pytest.raises(InputError, match=r"line 4: Builtin.Correctness of job nova-judge: score"):
        bedrock_eval.attach_results(con, job(), run_id, actor="owner")
    assert state(con) == before


def test_the_same_item_scored_twice_is_refused(con, run_id, s3):
    records = lines(DATA / "bedrock_judge_output.jsonl")
    put(s3, jsonl([*records, records[0]]))
    before = state(con)
    with pytest.raises(InputError, match="line 7: item q1 already has a completeness score"):
        bedrock_eval.attach_results(con, job(), run_id, actor="owner")
    assert state(con) == before


@pytest.mark.parametrize(
    ("status", "reason"), [("Failed", "AccessDenied on s3"), ("InProgress", "InProgress")]
)
def test_a_job_that_did_not_complete_is_refused(con, run_id, status, reason):
    before = state(con)
    failed = job(status, failureMessages=["AccessDenied on s3"] if status == "Failed" else [])
    with pytest.raises(InputError, match=f"nova-judge did not complete: {reason}"):
        bedrock_eval.attach_results(con, failed, run_id, actor="owner")
    assert state(con) == before


@pytest.fixture
def db_file(tmp_path):
    path = tmp_path / "eval.duckdb"
    con = db.connect(str(path))
    imported = files.import_dataset(
        con, str(DATA / "golden.csv"), "fin", actor="tester", model_id=SOURCE_MODEL
    )
    con.close()
    return path, imported.source_run.run_id


def test_the_command_line_evaluates_a_run_and_attaches_the_scores(
    db_file, aws, monkeypatch, capsys
):
    path, run_id = db_file
    monkeypatch.setattr(clients, "bedrock", lambda region=None, endpoint_url=None: aws.bedrock)
    monkeypatch.setattr(clients, "s3", lambda region=None, endpoint_url=None: aws.s3)
    metrics = ["Builtin.Correctness", "Builtin.Completeness", "Builtin.Faithfulness"]
    dataset = f"s3://{BUCKET}/evals/datasets/{run_id}.jsonl"
    expected = {
        "jobName": ANY,
        "roleArn": ROLE,
        "applicationType": "ModelEvaluation",
        "evaluationConfig": {
            "automated": {
                "datasetMetricConfigs": [
                    {
                        "taskType": "General",
                        "dataset": {"name": run_id, "datasetLocation": {"s3Uri": dataset}},
                        "metricNames": metrics,
                    }
                ],
                "evaluatorModelConfig": {"bedrockEvaluatorModels": [{"modelIdentifier": HAIKU}]},
            }
        },
        "inferenceConfig": {
            "models": [{"precomputedInferenceSource": {"inferenceSourceIdentifier": SOURCE_MODEL}}]
        },
        "outputDataConfig": {"s3Uri": OUTPUT},
    }
    aws.stub.add_response("create_evaluation_job", {"jobArn": JOB_ARN}, expected)
    for status in ("InProgress", "Completed"):
        aws.stub.add_response("get_evaluation_job", job(status), {"jobIdentifier": JOB_ARN})
    put(aws.s3, (DATA / "bedrock_judge_output.jsonl").read_bytes())
    command = ["--db", str(path), "bedrock-eval", "--run", run_id, "--s3", f"s3://{BUCKET}/evals"]
    command += ["--role", ROLE, "--metrics", ",".join(metrics), "--judge-model", HAIKU]
    assert cli.main([*command, "--wait", "--poll", "0"]) == 0

    aws.stub.assert_no_pending_responses()
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0] == f"started {JOB_ARN}"
    assert "17 Bedrock scores (completeness 6, correctness 6, faithfulness 5)" in out[1]
    assert out[-1] == run_id
    uploaded = aws.s3.get_object(Bucket=BUCKET, Key=f"evals/datasets/{run_id}.jsonl")
    assert len(uploaded["Body"].read().decode().splitlines()) == 6
    con = db.connect(str(path))
    try:
        assert db.scalar(con, "SELECT count(*) FROM run") == 1
        assert bedrock_scores(con, run_id)[0][:3] == ("q1", "completeness", 0.5)
    finally:
        con.close()


def test_the_model_label_of_the_records_need_not_be_the_runs(con, run_id, s3):
    # The judge output labels its responses amazon.nova-pro-v1:0; the run is the source
    # model's. Bring-your-own-inference labels are free text: the response text decides.
    assert lines(DATA / "bedrock_judge_output.jsonl")[0]["modelResponses"][0][
        "modelIdentifier"
    ] == (TARGET_MODEL)
    put(s3, (DATA / "bedrock_judge_output.jsonl").read_bytes())
    assert bedrock_eval.attach_results(con, job(), run_id, actor="owner").matched == 6
