"""The model runner against a fake Bedrock runtime on 127.0.0.1, through a real boto3 client."""

import json
import statistics
import threading

import pandas as pd
import pytest

import cli
from core.catalog import datasets
from core.errors import InputError
from core.llm import converse, runner
from core.store import db

MODEL = "amazon.nova-pro-v1:0"


@pytest.fixture
def fake(fake_bedrock):
    return fake_bedrock(ttft_s=0.05, total_s=0.2)


@pytest.fixture
def con(demo_con):
    return demo_con(60)


def dataset(con) -> str:
    return con.execute("SELECT dataset_id FROM dataset").fetchone()[0]


def outputs(con, run_id):
    return con.execute(
        "SELECT item_id, text, ttft_ms, latency_ms, service_latency_ms, input_tokens,"
        " output_tokens, stop_reason, error, attempts FROM output WHERE run_id = ?"
        " ORDER BY item_id",
        [run_id],
    ).df()


def test_a_run_records_text_ttft_latency_tokens_and_stop_reason(con, fake):
    config = runner.ModelConfig(MODEL, endpoint_url=fake.url, concurrency=4)
    run_id = runner.create(con, dataset(con), config, actor="owner")
    result = runner.execute(con, run_id, config)
    assert (result.done, result.failed, result.skipped) == (60, 0, 0)
    rows = outputs(con, run_id)
    assert len(rows) == 60 and rows["error"].isna().all()
    assert rows["text"].str.startswith("Answer to:").all()
    assert (rows["stop_reason"] == "end_turn").all()
    assert (rows["service_latency_ms"] == 200).all()
    assert (rows["input_tokens"] > 0).all() and (rows["output_tokens"] > 0).all()
    # The server sends the first delta 50 ms after it has the request: the recorded TTFT
    # is that plus the loopback round trip, a few milliseconds.
    median = statistics.median(rows["ttft_ms"])
    assert 50 <= median <= 58, median
    assert (rows["latency_ms"] >= 200).all() and (rows["latency_ms"] > rows["ttft_ms"]).all()
    streamed = [r for r in fake.requests if r.path.endswith("/converse-stream")]
    assert len(streamed) == 60
    assert streamed[0].body["inferenceConfig"] == {
        "temperature": 0.0,
        "topP": 0.9,
        "maxTokens": 512,
    }
    assert result.cost is not None and result.currency == "USD"


def test_throttled_calls_are_retried(con, fake, monkeypatch):
    fake.behaviour.throttle_first = 3
    monkeypatch.setattr(converse.random, "uniform", lambda a, b: 0.0)  # no backoff wait
    config = runner.ModelConfig(MODEL, endpoint_url=fake.url, concurrency=2)
    run_id = runner.create(con, dataset(con), config, actor="owner")
    result = runner.execute(con, run_id, config)
    assert result.failed == 0
    rows = outputs(con, run_id)
    assert (rows["attempts"] - 1).sum() == 3
    assert len([r for r in fake.requests if r.path.endswith("/converse-stream")]) == 63


def test_a_mid_stream_error_is_recorded_on_its_item_and_the_run_goes_on(con, fake):
    victim, prompt = con.execute(
        "SELECT item_id, prompt FROM item ORDER BY item_id LIMIT 1"
    ).fetchone()
    fake.behaviour.fail_when = prompt[-40:]
    config = runner.ModelConfig(MODEL, endpoint_url=fake.url, concurrency=4)
    run_id = runner.create(con, dataset(con), config, actor="owner")
    result = runner.execute(con, run_id, config)
    assert (result.done, result.failed) == (59, 1)
    rows = outputs(con, run_id).set_index("item_id")
    assert "modelStreamErrorException" in rows.loc[victim, "error"]
    assert pd.isna(rows.loc[victim, "text"])
    # Re-running tries the failed item again; the service has recovered.
    fake.behaviour.fail_when = None
    again = runner.execute(con, run_id, config)
    assert (again.done, again.failed, again.skipped) == (1, 0, 59)
    rows = outputs(con, run_id)
    assert len(rows) == 60 and rows["error"].isna().all()


def test_an_interrupted_run_resumes_where_it_stopped(con, fake):
    config = runner.ModelConfig(MODEL, endpoint_url=fake.url, concurrency=2)
    run_id = runner.create(con, dataset(con), config, actor="owner")
    stop = threading.Event()

    def progress(fraction, message):
        if fraction > 0.2:
            stop.set()  # the user pressed stop (or the process is going down)

    first = runner.execute(con, run_id, config, progress=progress, stop=stop)
    assert 0 < first.done < 60
    written = len(outputs(con, run_id))
    assert written == first.done
    second = runner.execute(con, run_id, config)
    assert second.skipped == written and second.done == 60 - written
    rows = outputs(con, run_id)
    assert len(rows) == 60 and rows["item_id"].is_unique


def test_dry_run_estimates_without_calling(con, fake):
    config = runner.ModelConfig(MODEL, endpoint_url=fake.url)
    estimate = runner.dry_run(con, dataset(con), config)
    assert estimate["items"] == 60 and estimate["input_tokens"] > 60
    # Nova Pro: 0.0008 in and 0.0032 out per 1K tokens (data/prices.csv).
    expected = (estimate["input_tokens"] * 0.0008 + estimate["output_tokens"] * 0.0032) / 1000
    assert estimate["cost"] == pytest.approx(expected)
    assert fake.requests == []


def test_openai_compatible_endpoint(con, fake, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    config = runner.ModelConfig(
        "gpt-oss-120b", provider="openai", endpoint_url=fake.url + "/v1", concurrency=4
    )
    run_id = runner.create(con, dataset(con), config, actor="owner")
    result = runner.execute(con, run_id, config)
    assert result.failed == 0
    rows = outputs(con, run_id)
    assert rows["text"].str.startswith("Answer to:").all()
    assert (rows["stop_reason"] == "stop").all() and (rows["output_tokens"] > 0).all()
    # the fake's first delta at 50 ms, its last at 200 ms: TTFT is the first, however busy
    assert 50 <= statistics.median(rows["ttft_ms"]) < 150
    stored = json.loads(
        con.execute("SELECT config FROM run WHERE run_id = ?", [run_id]).fetchone()[0]
    )
    assert "sk-test" not in json.dumps(stored) and stored["provider"] == "openai"


def test_bad_configurations_and_unfrozen_datasets_are_refused(con, tmp_path):
    before = db.row_counts(con)
    for config, message in (
        (runner.ModelConfig(MODEL, temperature=3), "temperature"),
        (runner.ModelConfig(MODEL, provider="azure"), "provider"),
        (runner.ModelConfig(MODEL, provider="openai"), "base URL"),
        (runner.ModelConfig(MODEL, prompt_version_id="pv-missing"), "pv-missing"),
    ):
        with pytest.raises(Exception, match=message):
            runner.create(con, dataset(con), config, actor="owner")
    golden = tmp_path / "g.csv"
    golden.write_text("id,prompt,ground_truth\nq1,What?,That.\n")
    from core.importers import files

    loose = files.import_dataset(con, str(golden), "loose", actor="owner")
    with pytest.raises(InputError, match="not frozen"):
        runner.create(con, loose.dataset_id, runner.ModelConfig(MODEL), actor="owner")
    assert datasets.get(con, loose.dataset_id)["frozen_at"] is None
    assert db.row_counts(con)["run"] == before["run"]


def test_cli_runs_resumes_and_estimates(demo_copy, tmp_path, fake, capsys):
    path = demo_copy(60, "cli.duckdb")
    base = [
        "--db",
        str(path),
        "run",
        "--dataset",
        "financial-qa-10k",
        "--model",
        MODEL,
        "--endpoint-url",
        fake.url,
        "--concurrency",
        "8",
    ]
    assert cli.main([*base, "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["items"] == 60
    assert cli.main(base) == 0
    out = capsys.readouterr()
    run_id = out.err.split("created ")[1].split()[0]
    assert "60 answered, 0 failed" in out.out
    assert cli.main(["--db", str(path), "run", "--resume", run_id]) == 0
    assert "0 answered, 0 failed, 60 already done" in capsys.readouterr().out
