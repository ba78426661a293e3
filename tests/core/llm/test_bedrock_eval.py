"""Bedrock Evaluations for a run: the dataset to S3 (moto) and the control plane through
botocore's Stubber. The job's scores coming back onto the run: test_bedrock_eval_attach.py."""

import datetime
import json

import boto3
import pytest
from botocore.stub import Stubber

from core.errors import InputError
from core.llm import bedrock_eval
from core.store import db
from tests.conftest import DATA, SOURCE_MODEL, TARGET_MODEL, import_run

BUCKET = "switchyard-evals"
ROLE = "arn:aws:iam::123456789012:role/BedrockEvaluation"
JOB_ARN = "arn:aws:bedrock:us-east-1:123456789012:evaluation-job/abc123"


@pytest.fixture
def s3(moto_s3):
    moto_s3.create_bucket(Bucket=BUCKET)
    return moto_s3


@pytest.fixture
def run_id(con, golden):
    return import_run(con, DATA / "run_native.csv").run_id


def test_dataset_goes_to_s3_as_bring_your_own_inference_lines(con, run_id, s3):
    uri = bedrock_eval.upload_dataset(con, run_id, f"s3://{BUCKET}/datasets/", s3_client=s3)
    assert uri == f"s3://{BUCKET}/datasets/{run_id}.jsonl"
    lines = s3.get_object(Bucket=BUCKET, Key=f"datasets/{run_id}.jsonl")["Body"].read()
    records = [json.loads(line) for line in lines.decode().splitlines()]
    answered = con.execute(
        "SELECT count(*) FROM output WHERE run_id = ? AND error IS NULL AND text IS NOT NULL",
        [run_id],
    ).fetchone()[0]
    assert len(records) == answered
    first = records[0]
    assert set(first) == {"prompt", "referenceResponse", "category", "modelResponses"}
    assert first["modelResponses"][0]["modelIdentifier"] == TARGET_MODEL


def test_job_is_created_and_polled_until_done(con, run_id, s3):
    bedrock = boto3.client("bedrock", region_name="us-east-1")
    stub = Stubber(bedrock)
    dataset_uri = f"s3://{BUCKET}/datasets/{run_id}.jsonl"
    output_uri = f"s3://{BUCKET}/output/"
    stub.add_response(
        "create_evaluation_job",
        {"jobArn": JOB_ARN},
        {
            "jobName": "nova-judge",
            "roleArn": ROLE,
            "applicationType": "ModelEvaluation",
            "evaluationConfig": {
                "automated": {
                    "datasetMetricConfigs": [
                        {
                            "taskType": "General",
                            "dataset": {"name": run_id, "datasetLocation": {"s3Uri": dataset_uri}},
                            "metricNames": ["Builtin.Correctness", "Builtin.Faithfulness"],
                        }
                    ],
                    "evaluatorModelConfig": {
                        "bedrockEvaluatorModels": [{"modelIdentifier": SOURCE_MODEL}]
                    },
                }
            },
            "inferenceConfig": {
                "models": [
                    {"precomputedInferenceSource": {"inferenceSourceIdentifier": TARGET_MODEL}}
                ]
            },
            "outputDataConfig": {"s3Uri": output_uri},
        },
    )
    now = datetime.datetime(2026, 11, 26, tzinfo=datetime.UTC)
    job = {
        "jobName": "nova-judge",
        "jobArn": JOB_ARN,
        "roleArn": ROLE,
        "jobType": "Automated",
        "evaluationConfig": {
            "automated": {
                "datasetMetricConfigs": [
                    {
                        "taskType": "General",
                        "dataset": {"name": run_id},
                        "metricNames": ["Builtin.Correctness"],
                    }
                ]
            }
        },
        "inferenceConfig": {
            "models": [{"precomputedInferenceSource": {"inferenceSourceIdentifier": TARGET_MODEL}}]
        },
        "outputDataConfig": {"s3Uri": output_uri},
        "creationTime": now,
    }
    stub.add_response(
        "get_evaluation_job", {**job, "status": "InProgress"}, {"jobIdentifier": JOB_ARN}
    )
    stub.add_response(
        "get_evaluation_job", {**job, "status": "Completed"}, {"jobIdentifier": JOB_ARN}
    )
    with stub:
        arn = bedrock_eval.create_job(
            con,
            run_id,
            role_arn=ROLE,
            dataset_uri=dataset_uri,
            output_uri=output_uri,
            metrics=["Builtin.Correctness", "Builtin.Faithfulness"],
            judge_model=SOURCE_MODEL,
            client=bedrock,
            actor="owner",
            job_name="nova-judge",
        )
        slept = []
        done = bedrock_eval.wait(bedrock, arn, poll_s=5, sleep=slept.append)
    stub.assert_no_pending_responses()
    assert arn == JOB_ARN and done["status"] == "Completed" and slept == [5]
    audit = con.execute(
        "SELECT after FROM audit WHERE action = 'create_evaluation_job'"
    ).fetchone()[0]
    assert json.loads(audit)["job_arn"] == JOB_ARN


def test_failed_jobs_and_bad_requests_are_refused(con, run_id):
    before = db.row_counts(con)
    with pytest.raises(InputError, match="IAM role ARN"):
        bedrock_eval.create_job(
            con,
            run_id,
            role_arn="admin",
            dataset_uri="s3://b/k",
            output_uri="s3://b/o/",
            metrics=["Builtin.Accuracy"],
            client=object(),
            actor="owner",
        )
    failed = {
        "jobName": "j",
        "status": "Failed",
        "failureMessages": ["AccessDenied on s3"],
        "outputDataConfig": {"s3Uri": "s3://b/o/"},
    }
    with pytest.raises(InputError, match="AccessDenied on s3"):
        bedrock_eval.attach_results(con, failed, run_id, actor="owner")
    assert db.row_counts(con) == before
