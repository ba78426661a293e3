"""TTFT and latency of a batch run on a stratified online sample, through the streaming
runner's call against the loopback fake Bedrock runtime."""

import json
import statistics

import pandas as pd
import pytest

from core.errors import InputError
from core.llm import batch, batch_import, batch_online
from core.llm.runner import ModelConfig
from tests.core.llm.batch_helpers import (
    CLAUDE,
    CLAUDE_JOB,
    PREFIX,
    ROLE,
    expect_create,
    expect_polls,
    outputs,
    publish,
)


@pytest.mark.parametrize(
    ("sizes", "n", "expected"),
    [
        # 3 of 6: quotas 1.0, 0.5, 0.5, 0.5, 0.5 -> 1 + the two largest remainders, ties by name.
        ({"lookup": 2, "a": 1, "b": 1, "c": 1, "d": 1}, 3, {"lookup": 1, "a": 1, "b": 1}),
        # 10 of 100 at 70/20/10: exactly 7, 2, 1.
        ({"x": 70, "y": 20, "z": 10}, 10, {"x": 7, "y": 2, "z": 1}),
        # 4 of 9 at 5/3/1: quotas 2.22, 1.33, 0.44 -> 2, 1, 0, the last to z (0.44).
        ({"x": 5, "y": 3, "z": 1}, 4, {"x": 2, "y": 1, "z": 1}),
        # More than there are: everything.
        ({"x": 2, "y": 1}, 10, {"x": 2, "y": 1}),
    ],
)
def test_allocation_is_proportional_with_largest_remainders(sizes, n, expected):
    assert batch_online.allocate(sizes, n) == expected


def test_the_draw_is_stratified_and_repeatable():
    items = [(f"i{k:02d}", "big" if k < 8 else "small") for k in range(10)]
    chosen, allocation = batch_online.draw(items, 5, seed=7)
    assert allocation == {"big": 4, "small": 1}
    assert len(chosen) == 5 and sum(i in ("i08", "i09") for i in chosen) == 1
    assert batch_online.draw(items, 5, seed=7) == (chosen, allocation)


def imported(fin, aws) -> str:
    expect_create(aws.stub, CLAUDE, CLAUDE_JOB)
    run_id, _ = batch.start(
        fin,
        "fin@1",
        ModelConfig(CLAUDE),
        batch.BatchSpec(PREFIX, ROLE),
        actor="owner",
        s3_client=aws.s3,
        bedrock_client=aws.bedrock,
    )
    publish(aws.s3, fin, run_id, "claude", CLAUDE_JOB)
    expect_polls(aws.stub, CLAUDE, CLAUDE_JOB, ("Completed", 6, 1))
    batch_import.finish(
        fin, run_id, actor="owner", bedrock_client=aws.bedrock, s3_client=aws.s3, poll_s=0
    )
    return run_id


def test_an_online_sample_measures_ttft_and_latency_on_sampled_items_only(fin, aws, fake_bedrock):
    fake = fake_bedrock(ttft_s=0.05, total_s=0.2)
    run_id = imported(fin, aws)
    config = batch.config_of(fin, run_id, endpoint_url=fake.url, concurrency=3)
    sample = batch_online.measure(fin, run_id, 3, config, actor="owner")
    # Answered by the job: q1, q6 (lookup), q2 (numeric_reasoning), q3 (multi_hop),
    # q5 (safety); 3 of 5: quotas 1.2, 0.6, 0.6, 0.6 -> lookup 1, then the ties by name.
    assert sample.allocation == {"lookup": 1, "multi_hop": 1, "numeric_reasoning": 1}
    assert (sample.measured, sample.already, sample.failed) == (3, 0, [])
    rows = outputs(fin, run_id).set_index("item_id")
    timed = rows[rows["ttft_ms"].notna()]
    assert set(timed.index) >= {"q2", "q3"} and len(timed) == 3
    # The fake sends the first delta 50 ms after the request and the last at 200 ms: TTFT is
    # the first, whatever a busy machine adds (CI measured 64.6 ms beside other work).
    assert 50 <= statistics.median(timed["ttft_ms"]) < 150
    assert (timed["latency_ms"] >= 200).all()
    assert pd.isna(rows.loc["q4", "ttft_ms"])  # failed in the batch: not sampled
    assert (timed["text"].str.startswith("The batch answer to")).all()  # batch answers kept
    calls = json.loads(timed["calls"].iloc[0])
    assert [c["via"] for c in calls] == ["bedrock-batch", "online sample (ConverseStream)"]
    assert calls[1]["output_tokens"] > 0
    streamed = [r for r in fake.requests if r.path.endswith("/converse-stream")]
    assert len(streamed) == 3
    assert all(CLAUDE in r.path for r in streamed)  # the batch run's model, streamed
    # Asked again, the same items are drawn and none is called twice.
    again = batch_online.measure(fin, run_id, 3, config, actor="owner")
    assert (again.measured, again.already) == (0, 3)
    assert len([r for r in fake.requests if r.path.endswith("/converse-stream")]) == 3


def test_an_online_sample_needs_an_imported_batch_run(fin, aws):
    expect_create(aws.stub, CLAUDE, CLAUDE_JOB)
    run_id, _ = batch.start(
        fin,
        "fin@1",
        ModelConfig(CLAUDE),
        batch.BatchSpec(PREFIX, ROLE),
        actor="owner",
        s3_client=aws.s3,
        bedrock_client=aws.bedrock,
    )
    with pytest.raises(InputError, match="no answered outputs"):
        batch_online.measure(fin, run_id, 2, ModelConfig(CLAUDE), actor="owner")
    source = fin.execute("SELECT run_id FROM run WHERE origin <> 'bedrock-batch'").fetchone()[0]
    with pytest.raises(InputError, match="not a Bedrock batch run"):
        batch_online.measure(fin, source, 2, ModelConfig(CLAUDE), actor="owner")
