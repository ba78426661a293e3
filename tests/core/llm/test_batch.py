"""Bedrock batch inference: the input JSONL in S3 (moto), the job's creation and polling on a
real boto3 client under botocore's Stubber, the assembled real-shaped ``.jsonl.out`` files of
tests/data/real/bedrock/batch, resume, and cost at the batch price."""

import json

import pytest
from botocore.stub import ANY

from core.errors import InputError
from core.llm import batch, batch_bodies, batch_import, batch_records
from core.llm.runner import ModelConfig
from core.store import db
from tests.core.llm.batch_helpers import (
    BUCKET,
    CLAUDE,
    CLAUDE_JOB,
    DATA,
    NOVA,
    NOVA_JOB,
    PREFIX,
    ROLE,
    described,
    expect_create,
    expect_polls,
    outputs,
    publish,
)

SPEC = batch.BatchSpec(PREFIX, ROLE)


def start(con, aws, model=CLAUDE, **config):
    return batch.start(
        con,
        "fin@1",
        ModelConfig(model, **config),
        SPEC,
        actor="owner",
        s3_client=aws.s3,
        bedrock_client=aws.bedrock,
    )


def finish(con, aws, run_id, seen=None):
    return batch_import.finish(
        con,
        run_id,
        actor="owner",
        bedrock_client=aws.bedrock,
        s3_client=aws.s3,
        poll_s=0,
        progress=(lambda f, m: seen.append(m)) if seen is not None else None,
    )


def test_request_bodies_are_each_family_s_native_body():
    config = ModelConfig(CLAUDE, temperature=0.2, top_p=0.8, max_tokens=300)
    claude = batch_bodies.request("anthropic", config, "Be brief.", "Q?")
    assert claude == {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 300,
        "temperature": 0.2,
        "top_p": 0.8,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Q?"}]}],
        "system": "Be brief.",
    }
    nova = batch_bodies.request("nova", config, "Be brief.", "Q?")
    assert nova == {
        "messages": [{"role": "user", "content": [{"text": "Q?"}]}],
        "inferenceConfig": {"maxTokens": 300, "temperature": 0.2, "topP": 0.8},
        "system": [{"text": "Be brief."}],
    }
    assert batch_bodies.family("us.anthropic.claude-3-5-haiku-20241022-v1:0") == "anthropic"
    assert batch_bodies.family("amazon.nova-lite-v1:0") == "nova"
    with pytest.raises(InputError, match=r"meta\.llama3.*without --batch"):
        batch_bodies.family("meta.llama3-70b-instruct-v1:0")


def test_a_batch_run_writes_the_input_creates_the_job_and_imports_every_record(fin, aws):
    expect_create(aws.stub, CLAUDE, CLAUDE_JOB)
    run_id, resumed = start(fin, aws)
    assert not resumed
    config = batch.stored(fin, run_id)
    assert config["batch"]["job_arn"].endswith(CLAUDE_JOB)
    assert config["price"]["factor"] == 0.5 and "not measured" in config["ttft_latency"]
    # The input: one native Claude body per item, record ids in item order.
    key = config["batch"]["input"][len(f"s3://{BUCKET}/") :]
    lines = aws.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["recordId"] for r in records] == [f"REC0000000{i}" for i in range(1, 7)]
    assert records[0]["modelInput"]["anthropic_version"] == "bedrock-2023-05-31"
    assert "Contoso Energy" in records[0]["modelInput"]["messages"][0]["content"][0]["text"]
    publish(aws.s3, fin, run_id, "claude", CLAUDE_JOB)
    expect_polls(
        aws.stub,
        CLAUDE,
        CLAUDE_JOB,
        ("Submitted", 0, 0),
        ("InProgress", 3, 1),
        ("Completed", 6, 1),
    )
    seen = []
    result = finish(fin, aws, run_id, seen)
    aws.stub.assert_no_pending_responses()
    assert seen == [
        "job Submitted: 0 of 6 records (0 failed)",
        "job InProgress: 3 of 6 records (1 failed)",
        "job Completed: 6 of 6 records (1 failed)",
    ]
    assert (result.status, result.answered, result.failed) == ("Completed", 5, 1)
    rows = outputs(fin, run_id).set_index("item_id")
    assert rows.loc["q1", "text"] == "The batch answer to q1."
    assert rows["ttft_ms"].isna().all() and rows["latency_ms"].isna().all()
    assert rows.loc["q4", "error"] == (
        "batch record error 400: messages.0.content.0.text: text content blocks must be non-empty"
    )
    assert rows.loc["q1", "input_tokens"] == 43 and rows.loc["q1", "output_tokens"] == 6
    assert rows.loc["q1", "stop_reason"] == "end_turn"
    assert result.errors == [
        "q4: batch record error 400: messages.0.content.0.text: text content blocks must be"
        " non-empty"
    ]


def test_the_cost_is_the_batch_price(fin, aws):
    expect_create(aws.stub, CLAUDE, CLAUDE_JOB)
    run_id, _ = start(fin, aws)
    publish(aws.s3, fin, run_id, "claude", CLAUDE_JOB)
    expect_polls(aws.stub, CLAUDE, CLAUDE_JOB, ("Completed", 6, 1))
    result = finish(fin, aws, run_id)
    # Answered records REC1,2,3,5,6: input 43+46+49+55+58 = 251 tokens, output 5 x 6 = 30
    # (the manifest says the same). Claude 3.5 Sonnet v2 lists 0.003 in, 0.015 out per 1K
    # (data/prices.csv): (251 x 0.003 + 30 x 0.015) / 1000 = 0.001203 on demand, and half of
    # it in a batch: 0.0006015.
    assert result.cost == pytest.approx(0.0006015, abs=1e-12)
    assert result.currency == "USD"
    q1 = json.loads(outputs(fin, run_id).set_index("item_id").loc["q1", "calls"])
    # q1: (43 x 0.003 + 6 x 0.015) / 1000 / 2 = 0.0001095
    assert q1 == [
        {
            "via": "bedrock-batch",
            "job": CLAUDE_JOB,
            "cost": pytest.approx(0.0001095),
            "currency": "USD",
        }
    ]
    assert (
        json.loads((DATA / "claude" / CLAUDE_JOB / "manifest.json.out").read_text())[
            "inputTokenCount"
        ]
        == 251
    )


def test_the_same_command_again_polls_the_job_it_created_and_never_creates_another(fin, aws):
    expect_create(aws.stub, CLAUDE, CLAUDE_JOB)
    run_id, _ = start(fin, aws)
    expect_polls(aws.stub, CLAUDE, CLAUDE_JOB, ("InProgress", 2, 0))

    def interrupted(_seconds):
        raise KeyboardInterrupt  # the user pressed Ctrl+C while the job ran

    with pytest.raises(KeyboardInterrupt):
        batch.wait(aws.bedrock, batch.stored(fin, run_id)["batch"]["job_arn"], sleep=interrupted)
    runs_before = db.row_counts(fin)["run"]
    # Only polls are queued now: a create_model_invocation_job call would fail the test.
    again, resumed = start(fin, aws)
    assert (again, resumed) == (run_id, True)
    assert db.row_counts(fin)["run"] == runs_before
    publish(aws.s3, fin, run_id, "claude", CLAUDE_JOB)
    expect_polls(aws.stub, CLAUDE, CLAUDE_JOB, ("InProgress", 5, 1), ("Completed", 6, 1))
    assert finish(fin, aws, run_id).answered == 5
    aws.stub.assert_no_pending_responses()
    # Imported: asking again only sums it up, without a call.
    assert finish(fin, aws, run_id).status == "imported earlier"


def test_a_crash_between_creating_the_job_and_writing_the_run_gets_the_same_job_back(
    fin, aws, monkeypatch
):
    sent = []
    aws.bedrock.meta.events.register(
        "provide-client-params.bedrock.CreateModelInvocationJob",
        lambda params, **kw: sent.append(params["clientRequestToken"]),
    )
    expect_create(aws.stub, CLAUDE, CLAUDE_JOB)
    before = db.row_counts(fin)

    def killed(*args, **kwargs):
        raise OSError("the process was killed")

    with monkeypatch.context() as patched:
        patched.setattr(batch.runs, "create_run", killed)
        with pytest.raises(OSError):
            start(fin, aws)
    assert db.row_counts(fin) == before
    expect_create(aws.stub, CLAUDE, CLAUDE_JOB)
    run_id, resumed = start(fin, aws)
    assert not resumed
    # The same token twice: Bedrock ignores a create whose token it has seen (CreateModel-
    # InvocationJob's clientRequestToken), so the job created before the crash comes back.
    assert sent == [batch.stored(fin, run_id)["batch"]["token"]] * 2
    assert batch.stored(fin, run_id)["batch"]["job_arn"].endswith(CLAUDE_JOB)


def test_a_partially_completed_job_marks_the_items_it_left_out(fin, aws):
    expect_create(aws.stub, NOVA, NOVA_JOB)
    run_id, _ = start(fin, aws, NOVA)
    publish(aws.s3, fin, run_id, "nova", NOVA_JOB)
    expect_polls(aws.stub, NOVA, NOVA_JOB, ("PartiallyCompleted", 5, 1))
    result = finish(fin, aws, run_id)
    assert (result.answered, result.failed) == (4, 2)
    rows = outputs(fin, run_id).set_index("item_id")
    assert rows.loc["q1", "text"] == "The batch answer to q1."
    assert rows.loc["q1", "input_tokens"] == 43 and rows.loc["q1", "stop_reason"] == "end_turn"
    assert rows.loc["q2", "error"].startswith("batch record error 400: Malformed input request")
    assert rows.loc["q6", "error"] == (
        "batch job PartiallyCompleted: no record for REC00000006 (the job ended PartiallyCompleted)"
    )
    # Nova Pro: (0.0008 in, 0.0032 out per 1K) x 0.5 over q1, q3, q4, q5:
    # input 43+49+52+55 = 199, output 4 x 6 = 24 -> (199 x 0.0008 + 24 x 0.0032) / 2000.
    assert result.cost == pytest.approx((199 * 0.0008 + 24 * 0.0032) / 2000)


def test_a_failed_job_is_imported_as_every_item_failing_with_its_reason(fin, aws):
    expect_create(aws.stub, CLAUDE, CLAUDE_JOB)
    run_id, _ = start(fin, aws)
    aws.stub.add_response(
        "get_model_invocation_job",
        described(CLAUDE, CLAUDE_JOB, "Failed", message="The role cannot read the input."),
        {"jobIdentifier": ANY},
    )
    result = finish(fin, aws, run_id)
    assert (result.answered, result.failed, result.cost) == (0, 6, 0.0)
    assert outputs(fin, run_id)["error"].str.endswith("(The role cannot read the input.)").all()
    # The run is finished: the same command makes a new job (a new token, a new folder).
    expect_create(aws.stub, CLAUDE, NOVA_JOB)
    again, resumed = start(fin, aws)
    assert not resumed and again != run_id
    assert batch.stored(fin, again)["batch"]["token"] != batch.stored(fin, run_id)["batch"]["token"]


@pytest.mark.parametrize(
    ("model", "spec", "settings", "message"),
    [
        ("meta.llama3-70b-instruct-v1:0", SPEC, {}, "Anthropic Claude"),
        (CLAUDE, batch.BatchSpec("evals/batch", ROLE), {}, "s3://BUCKET/PREFIX"),
        (CLAUDE, batch.BatchSpec(PREFIX, "batch-role"), {}, "not an IAM role ARN"),
        (CLAUDE, SPEC, {"temperature": 3}, "temperature"),
        (CLAUDE, SPEC, {"prompt_version_id": "pv-missing"}, "pv-missing"),
        (
            CLAUDE,
            SPEC,
            {"provider": "openai", "endpoint_url": "http://127.0.0.1:9"},
            "Amazon Bedrock service",
        ),
    ],
)
def test_bad_input_is_refused_before_anything_is_written_or_sent(
    fin, aws, model, spec, settings, message
):
    before = db.row_counts(fin)
    with pytest.raises(Exception, match=message):
        batch.start(
            fin,
            "fin@1",
            ModelConfig(model, **settings),
            spec,
            actor="owner",
            s3_client=aws.s3,
            bedrock_client=aws.bedrock,
        )
    assert db.row_counts(fin) == before
    assert aws.s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_an_unfrozen_dataset_is_refused(con, aws, tmp_path):
    from core.importers import files

    golden = tmp_path / "g.csv"
    golden.write_text("id,prompt,ground_truth\nq1,What?,That.\n")
    loose = files.import_dataset(con, str(golden), "loose", actor="owner")
    before = db.row_counts(con)
    with pytest.raises(InputError, match="not frozen"):
        batch.start(
            con,
            loose.dataset_id,
            ModelConfig(CLAUDE),
            SPEC,
            actor="owner",
            s3_client=aws.s3,
            bedrock_client=aws.bedrock,
        )
    assert db.row_counts(con) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda lines: [*lines, lines[0]], "recordId 'REC00000003' appears twice"),
        (
            lambda lines: [lines[0].replace("REC00000003", "REC00000099"), *lines[1:]],
            "recordId 'REC00000099' was not sent by the job",
        ),
        (lambda lines: [lines[0][:-20], *lines[1:]], "line 1: not valid JSON"),
        (
            lambda lines: [*lines[:1], lines[1].replace('"modelOutput"', '"output"'), *lines[2:]],
            "line 2: modelOutput is NoneType",
        ),
        (
            lambda lines: [
                lines[0].replace('"input_tokens": 49', '"input_tokens": -49'),
                *lines[1:],
            ],
            "line 1: a token count of modelOutput is -49",
        ),
        (
            lambda lines: [
                lines[0].replace('{"recordId"', '{"recordId": "REC00000001", "recordId"'),
                *lines[1:],
            ],
            "line 1: duplicate key 'recordId'",
        ),
        (
            lambda lines: [
                lines[0].replace("The batch answer", "The batch\\u0000answer"),
                *lines[1:],
            ],
            "line 1: the answer holds a NUL character",
        ),
    ],
)
def test_a_bad_output_file_is_refused_and_the_database_is_unchanged(fin, aws, change, message):
    expect_create(aws.stub, CLAUDE, CLAUDE_JOB)
    run_id, _ = start(fin, aws)
    key = publish(aws.s3, fin, run_id, "claude", CLAUDE_JOB)
    good = (DATA / "claude" / CLAUDE_JOB / "input.jsonl.out").read_text().splitlines()
    bad = "\n".join(change(good)) + "\n"
    aws.s3.put_object(Bucket=BUCKET, Key=key + "input.jsonl.out", Body=bad.encode())
    expect_polls(aws.stub, CLAUDE, CLAUDE_JOB, ("Completed", 6, 1), ("Completed", 6, 1))
    before = db.row_counts(fin)
    with pytest.raises(InputError, match=message) as refused:
        finish(fin, aws, run_id)
    assert f"s3://{BUCKET}/{key}input.jsonl.out" in str(refused.value)
    assert db.row_counts(fin) == before
    # Nothing was lost: with the file put right, the same call imports it.
    publish(aws.s3, fin, run_id, "claude", CLAUDE_JOB)
    assert finish(fin, aws, run_id).answered == 5


def test_the_aws_documentation_s_example_records():
    """Its first line is not JSON (single quotes); its second is the documented failed record."""
    text = (DATA / "aws_docs" / "batch_results_example.verbatim.txt").read_text()
    _first, second = text.splitlines()
    with pytest.raises(InputError, match="example, line 1: not valid JSON"):
        batch_records.parse(text, "example")
    [call] = batch_records.calls([("example", second)], {"1223213ABCD": "q1"}, "nova", "job")
    assert (call.item_id, call.error, call.text) == (
        "q1",
        "batch record error 400: bad request",
        None,
    )
    assert call.ttft_ms is None and call.latency_ms is None


def test_a_completed_job_without_output_files_says_where_it_looked(fin, aws):
    expect_create(aws.stub, CLAUDE, CLAUDE_JOB)
    run_id, _ = start(fin, aws)
    expect_polls(aws.stub, CLAUDE, CLAUDE_JOB, ("Completed", 6, 0))
    before = db.row_counts(fin)
    with pytest.raises(InputError, match=rf"{CLAUDE_JOB}/: the job completed but wrote no"):
        finish(fin, aws, run_id)
    assert db.row_counts(fin) == before


def test_a_dry_run_estimates_at_the_batch_price(fin):
    estimate = batch.dry_run(fin, "fin@1", ModelConfig(CLAUDE))
    assert estimate["price_factor"] == 0.5
    full = (estimate["input_tokens"] * 0.003 + estimate["output_tokens"] * 0.015) / 1000
    assert estimate["cost"] == pytest.approx(full / 2)


def test_an_answer_or_a_file_over_the_import_limits_is_refused(fin, aws, monkeypatch):
    expect_create(aws.stub, CLAUDE, CLAUDE_JOB)
    run_id, _ = start(fin, aws)
    publish(aws.s3, fin, run_id, "claude", CLAUDE_JOB)
    expect_polls(aws.stub, CLAUDE, CLAUDE_JOB, *[("Completed", 6, 1)] * 3)
    before = db.row_counts(fin)
    monkeypatch.setenv("SWITCHYARD_MAX_FIELD_KB", "0.01")  # 10 bytes: every answer is longer
    with pytest.raises(InputError, match="line 1: the text is 23 bytes, over the 10 bytes limit"):
        finish(fin, aws, run_id)
    monkeypatch.delenv("SWITCHYARD_MAX_FIELD_KB")
    monkeypatch.setenv("SWITCHYARD_MAX_FILE_MB", "0.001")  # 1,048 bytes
    with pytest.raises(InputError, match=r"input.jsonl.out: the file is 3\.\d KB, over the"):
        finish(fin, aws, run_id)
    assert db.row_counts(fin) == before
    monkeypatch.delenv("SWITCHYARD_MAX_FILE_MB")
    assert finish(fin, aws, run_id).answered == 5


def test_the_job_name_and_token_fit_the_service_model(fin, aws):
    """botocore validates types, not patterns: the patterns are checked here, from its model."""
    import re

    import botocore.session

    model = botocore.session.get_session().get_service_model("bedrock")
    members = model.operation_model("CreateModelInvocationJob").input_shape.members
    expect_create(aws.stub, CLAUDE, CLAUDE_JOB)
    run_id, _ = start(fin, aws)
    job = batch.stored(fin, run_id)["batch"]
    for field, value in (("jobName", job["job_name"]), ("clientRequestToken", job["token"])):
        pattern = members[field].metadata["pattern"]
        assert re.fullmatch(pattern, value), (field, value, pattern)
        assert len(value) <= members[field].metadata["max"]
