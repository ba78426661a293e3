"""The log formats on real-shaped files (tests/data/real/canary, written from the OTel GenAI
semantic conventions and the Bedrock invocation-log documentation; see its SOURCES.md): what
each field becomes, a folder and an s3:// prefix (moto's server on 127.0.0.1), and the
ways a log goes wrong."""

from __future__ import annotations

import gzip
import json
from datetime import datetime

import boto3
import pytest

from core.errors import InputError
from core.importers import canary
from core.importers.canary import Options, sources
from tests.conftest import DATA, SOURCE_MODEL, TARGET_MODEL, table_counts

REAL = DATA / "real" / "canary"
OTLP = REAL / "otel_genai_spans.jsonl"
BEDROCK = REAL / "bedrock"
GZ = next(BEDROCK.rglob("*.json.gz"))


def requests(con) -> list[tuple]:
    return con.execute(
        "SELECT request_id, arm, ts, model_id, prompt, response, ttft_ms, latency_ms,"
        " input_tokens, output_tokens, error, stratum FROM canary_request ORDER BY ts"
    ).fetchall()


def test_formats_are_told_apart_by_content():
    assert sources.detect(OTLP, "x") == "otlp"
    assert sources.detect(GZ, "x") == "bedrock"
    assert sources.detect(DATA / "run_native.csv", "x") == "native"


def test_otlp_spans_become_requests_and_evaluation_events_scores(con, migration):
    result = canary.ingest(con, str(OTLP), migration, actor="t")
    assert (result.requests, result.scores) == (3, 2)
    notes = result.files[0].warnings
    assert any("1 span(s) of other operations skipped" in n for n in notes)
    # The failed span has no usage attributes: accepted, its cost unknown, said so.
    assert any(
        "1 request(s) without input or output token counts (first on line 3)" in n for n in notes
    )
    rows = requests(con)
    # Control: the span's start as ts, end − start = 1.25 s, the opt-in messages' text.
    assert rows[0] == (
        "msg_bdrk_01XFDUDYJgAACzvnptvVoYEL", "control", datetime(2026, 11, 2, 10, 0),
        SOURCE_MODEL, "Tell me a joke about OpenTelemetry",
        "Why did the developer bring OpenTelemetry to the party? Because it always knows how"
        " to trace the fun!", None, 1250.0, 52, 47, None, "smalltalk",
    )  # fmt: skip
    # Streaming: gen_ai.response.time_to_first_chunk 0.42 s is the TTFT.
    assert rows[1][:2] == ("nova-resp-7f3c2a", "canary")
    assert rows[1][6:10] == (pytest.approx(420.0), 900.0, 52, 31)
    # No gen_ai.response.id: the request is <traceId>/<spanId>; error.type is the error.
    assert rows[2][0] == "4bf92f3577b34da6a3ce929d0e0e4736/3c1f9a2e4d5b6a70"
    assert rows[2][7:] == (30000.0, None, None, "timeout", "billing")
    scores = con.execute(
        "SELECT request_id, metric, evaluator, score, label FROM canary_score ORDER BY score"
    ).fetchall()
    # The span event on the control span; the log record tied to the canary span by spanId.
    assert scores == [
        ("nova-resp-7f3c2a", "Relevance", "otel", 2.0, "not_relevant"),
        ("msg_bdrk_01XFDUDYJgAACzvnptvVoYEL", "Relevance", "otel", 4.0, "relevant"),
    ]
    # 'Relevance' on its own 1-5 scale is not the catalog's 'relevance' (0-1): stored, and
    # the owner told it will not count until the catalog has it (it was silent before).
    assert any("scores of 'Relevance' are stored but do not count" in n for n in notes)


def test_bedrock_invocation_logs_from_a_local_folder(con, migration):
    result = canary.ingest(con, str(BEDROCK), migration, actor="t")
    assert [(f.format, f.requests) for f in result.files] == [("bedrock", 3)]
    rows = requests(con)
    # Converse: metrics.latencyMs is the latency; requestMetadata's stratum.
    assert rows[0] == (
        "915a6a04-3f83-4c70-a277-7fbf7ea546b3", "control", datetime(2026, 11, 2, 10, 5, 12),
        SOURCE_MODEL, "Why is the sky blue?", "Air molecules scatter blue light more than red.",
        None, 3640.0, 35, 446, None, "science",
    )  # fmt: skip
    # InvokeModel by the foundation model's ARN: the arm from its last part; no latency logged.
    assert rows[1][1:4] == ("canary", datetime(2026, 11, 2, 10, 5, 40), TARGET_MODEL)
    assert rows[1][7:10] == (None, 15, 12)
    # A throttled call: its error code, no output.
    assert rows[2][1] == "canary" and rows[2][10] == "ThrottlingException"


def test_bedrock_logs_from_an_s3_prefix_on_a_local_moto_server(con, migration):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        client = boto3.client("s3", region_name="us-east-1", endpoint_url=f"http://{host}:{port}")
        client.create_bucket(Bucket="logs")
        key = "prefix/" + str(GZ.relative_to(BEDROCK))
        client.upload_file(str(GZ), "logs", key)
        client.put_object(Bucket="logs", Key="prefix/README.txt", Body=b"not a log")
        result = canary.ingest(con, "s3://logs/prefix/", migration, actor="t", client=client)
        assert [(f.source, f.requests) for f in result.files] == [(f"s3://logs/{key}", 3)]
        again = canary.ingest(con, "s3://logs/prefix/", migration, actor="t", client=client)
        assert again.skipped == 1
        with pytest.raises(InputError, match="no log files under this prefix"):
            canary.ingest(con, "s3://logs/elsewhere/", migration, actor="t", client=client)
    finally:
        server.stop()


def test_the_arm_from_a_request_metadata_key(con, migration, tmp_path):
    records = [json.loads(line) for line in gzip.decompress(GZ.read_bytes()).splitlines()]
    for record in records:
        record["modelId"] = SOURCE_MODEL
        record["requestMetadata"]["arm"] = "canary"
    path = tmp_path / "same_model.json.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode()))
    with pytest.raises(InputError, match="contradicts"):
        canary.ingest(con, str(path), migration, actor="t", options=Options(arm_key="arm"))
    assert table_counts(con)["canary_request"] == 0


def test_a_gzip_cut_short_is_refused_and_writes_nothing(con, migration, tmp_path):
    data = GZ.read_bytes()
    path = tmp_path / "cut.json.gz"
    path.write_bytes(data[: len(data) // 2])
    before = table_counts(con)
    with pytest.raises(InputError, match="gzip stream is cut short") as caught:
        canary.ingest(con, str(path), migration, actor="t")
    assert str(path) in str(caught.value) and "line" in str(caught.value)
    assert table_counts(con) == before


def test_a_prompt_migration_on_one_model_takes_the_arm_from_request_metadata(con, golden, tmp_path):
    from core.catalog import migrations
    from tests.conftest import import_run

    # Source and target both run the Claude model (a new prompt, not a new model).
    target = import_run(
        con, DATA / "run_native.csv", model_id=SOURCE_MODEL, role="target", name="new prompt"
    )
    mig = migrations.create(con, "prompt", golden.source_run.run_id, [target.run_id], actor="t")
    con.execute("UPDATE migration SET created_at = '2026-11-01' WHERE migration_id = ?", [mig])
    records = [json.loads(line) for line in gzip.decompress(GZ.read_bytes()).splitlines()]
    for record, arm in zip(records, ("control", "canary", "canary"), strict=True):
        record["modelId"] = SOURCE_MODEL
        record["requestMetadata"]["arm"] = arm
    path = tmp_path / "one_model.json.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode()))
    with pytest.raises(InputError, match="control and canary both run"):
        canary.ingest(con, str(path), mig, actor="t")
    canary.ingest(con, str(path), mig, actor="t", options=Options(arm_key="arm"))
    assert con.execute(
        "SELECT arm, count(*) FROM canary_request GROUP BY arm ORDER BY arm"
    ).fetchall() == [("canary", 2), ("control", 1)]
