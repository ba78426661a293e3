"""Importing from s3:// through boto3, against moto's S3."""

import pytest

from core.catalog import runs
from core.errors import InputError
from core.importers import files
from core.store import db
from tests.conftest import DATA

BUCKET = "eval-results"
# Bedrock nests each output under job / job id / models / model / task type / dataset.
PREFIX = "jobs/migration-eval/abc123/models/amazon.nova-pro-v1:0/taskTypes/General/datasets/fin/"


@pytest.fixture
def s3(moto_s3):
    moto_s3.create_bucket(Bucket=BUCKET)
    return moto_s3


def test_prefix_is_listed_for_output_files_and_merged(con, golden, s3):
    judge = (DATA / "bedrock_judge_output.jsonl").read_text().splitlines(keepends=True)
    # One file per metric, as a job writes them; plus files that must be ignored.
    s3.put_object(Bucket=BUCKET, Key=PREFIX + "a1b2_output.jsonl", Body="".join(judge[:3]))
    s3.put_object(Bucket=BUCKET, Key=PREFIX + "c3d4_output.jsonl", Body="".join(judge[3:]))
    s3.put_object(Bucket=BUCKET, Key=PREFIX + "manifest.json", Body="{}")
    s3.put_object(Bucket=BUCKET, Key="jobs/other/elsewhere_output.jsonl", Body="junk")
    result, notes = files.import_run(
        con, f"s3://{BUCKET}/jobs/migration-eval/", runs.RunSpec("fin@1"), actor="t"
    )
    assert result.matched == 6 and result.scores == 17
    assert notes[-1] == "merged 2 output files of the job by prompt"
    assert notes[0].endswith("6 records in 2 files")
    assert result.file == f"s3://{BUCKET}/jobs/migration-eval/"


def test_single_object_by_key(con, golden, s3):
    s3.upload_file(str(DATA / "run_native.parquet"), BUCKET, "runs/nova.parquet")
    result, _ = files.import_run(
        con,
        f"s3://{BUCKET}/runs/nova.parquet",
        runs.RunSpec("fin@1", "amazon.nova-pro-v1:0"),
        actor="t",
    )
    assert result.matched == 6


def test_golden_dataset_from_s3(con, s3):
    s3.upload_file(str(DATA / "golden.jsonl"), BUCKET, "golden/v1.jsonl")
    result = files.import_dataset(
        con, f"s3://{BUCKET}/golden/v1.jsonl", "fin", actor="t", model_id="m"
    )
    assert result.items == 6


def test_empty_prefix_says_what_to_point_at(con, golden, s3):
    before = db.row_counts(con)
    with pytest.raises(InputError, match=r"s3://eval-results/nothing/: no \*_output.jsonl"):
        files.import_run(con, f"s3://{BUCKET}/nothing/", runs.RunSpec("fin@1"), actor="t")
    assert db.row_counts(con) == before


def test_missing_bucket_is_a_clear_error(con, golden, s3):
    with pytest.raises(InputError, match="s3://no-such-bucket/x/: S3 refused"):
        files.import_run(con, "s3://no-such-bucket/x/", runs.RunSpec("fin@1"), actor="t")


def test_bad_line_in_an_s3_file_names_the_uri_and_the_file(con, golden, s3):
    s3.put_object(
        Bucket=BUCKET,
        Key=PREFIX + "e5_output.jsonl",
        Body='{"automatedEvaluationResult": {"scores": []}, "inputRecord": {}}\n{"x"',
    )
    with pytest.raises(InputError) as caught:
        files.import_run(con, f"s3://{BUCKET}/jobs/", runs.RunSpec("fin@1"), actor="t")
    # The file is named by its place under the prefix: that names the job and the model.
    assert str(caught.value).startswith(f"s3://{BUCKET}/jobs/ (migration-eval/abc123/models/")
    assert "/e5_output.jsonl), line 2" in str(caught.value)
