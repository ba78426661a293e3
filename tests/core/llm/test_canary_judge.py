"""The migration's judges on a sample of both canary arms, against the fake Bedrock runtime
(a real boto3 client on 127.0.0.1): the sample's rate on each arm, new traffic only on a
second pass, the scores as ``canary status`` reads them, throttling and failed calls
reported, bad input refused with the database unchanged."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pandas as pd
import pytest
from scipy import stats

from core.analysis.canary import arrivals
from core.catalog import migrations
from core.errors import InputError, NotFoundError
from core.importers import canary
from core.llm import canary_judge, canary_sample, judges
from core.store import db
from tests.conftest import SOURCE_MODEL, TARGET_MODEL, golden_migration
from tests.fake_bedrock import FakeBedrock, judge_reply

METRIC = "deepeval_answer_relevancy"  # needs only the prompt and the response
CRITERIA = {"canary_stages": [[50, 0, 2], [100, 0, 0]], "gating_metrics": ["answer_relevancy"]}
TABLES = ("canary_request", "canary_score", "canary_file", "audit")


@pytest.fixture
def canary_con(tmp_path):
    """A migration of the golden fixture whose gating metric is answer relevancy."""
    con = db.connect(str(tmp_path / "judge.duckdb"))
    mid = golden_migration(con, CRITERIA)
    yield con, mid
    con.close()


def ingest(con, mid, tmp_path, n, prefix, wrong=(), error_every=0, name="t.csv"):
    """n requests, arms alternating; the responses of ``wrong`` ids contain 'WRONG' (the
    fake judge finds them irrelevant); every ``error_every``-th request failed."""
    start = con.execute("SELECT created_at FROM migration").fetchone()[0] + timedelta(seconds=1)
    ids = [f"{prefix}{i}" for i in range(n)]
    frame = pd.DataFrame(
        {
            "request_id": ids,
            "ts": [(start + timedelta(milliseconds=5 * i)).isoformat() for i in range(n)],
            "model_id": [TARGET_MODEL if i % 2 else SOURCE_MODEL for i in range(n)],
            "prompt": [f"What was revenue in quarter {i}?" for i in range(n)],
            "response": [
                f"WRONG: the weather is fine ({r})" if r in wrong else f"Revenue was {i} million."
                for i, r in enumerate(ids)
            ],
            "error": [
                "ThrottlingException" if error_every and i % error_every == 0 else None
                for i in range(n)
            ],
        }
    )
    path = tmp_path / name
    frame.to_csv(path, index=False)
    canary.ingest(con, str(path), mid, actor="tester")
    return ids


def coin(seed: str, request_id: str) -> float:
    """The sample's coin, computed here with hashlib, independently of DuckDB's md5."""
    digest = hashlib.md5(f"{seed}:{request_id}".encode(), usedforsecurity=False).hexdigest()
    return int(digest[:13], 16) / 16**13


def table_counts(con) -> dict[str, int]:
    return {t: db.scalar(con, f"SELECT count(*) FROM {t}") for t in TABLES}


def test_the_share_is_recovered_on_both_arms_and_is_the_coin_below_it(canary_con, tmp_path):
    con, mid = canary_con
    ids = ingest(con, mid, tmp_path, 20_000, "s", error_every=10)
    share, seed = 0.05, "seed-1"
    evaluators = {"answer_relevancy": "judge-x"}
    chosen = canary_sample.pending(con, mid, share, seed, evaluators)
    # Exactly the requests whose coin (hashlib here, DuckDB's md5 there) is below the share,
    # among those without error.
    expected = {r for i, r in enumerate(ids) if i % 10 and coin(seed, r) < share}
    assert {row[0] for row in chosen} == expected
    counted = canary_sample.counts(con, mid, share, seed)
    for arm in ("control", "canary"):
        frame, sampled = counted[arm]
        # 10,000 per arm; the 2,000 failed ones (ids 0, 10, 20, ...) are control's (even ids).
        assert frame == {"control": 8_000, "canary": 10_000}[arm]
        # Each arm's count is Binomial(frame, share): inside its central 99.9% interval
        # (scipy.stats.binom.interval: 337-466 for control, 430-573 for canary).
        low, high = stats.binom.interval(0.999, frame, share)
        assert low <= sampled <= high
        assert sampled == sum(1 for row in chosen if row[1] == arm)
    # A limit keeps the lowest coins, whichever the arm.
    first = canary_sample.pending(con, mid, share, seed, evaluators, limit=50)
    assert [r[0] for r in first] == sorted(expected, key=lambda r: coin(seed, r))[:50]
    # ``since`` keeps the requests from that time on: ids s10000 onwards here.
    middle = con.execute("SELECT ts FROM canary_request WHERE request_id = 's10000'").fetchone()[0]
    later = canary_sample.pending(con, mid, share, seed, evaluators, since=middle)
    assert {r[0] for r in later} == {r for r in expected if int(r[1:]) >= 10_000}


class ThrottlingBedrock(FakeBedrock):
    """The fake runtime, answering its first ``throttle`` Converse calls with HTTP 429
    ThrottlingException (the shared fake throttles only ConverseStream)."""

    def __init__(self, throttle: int, judge) -> None:
        from tests.fake_bedrock import Behaviour

        super().__init__(Behaviour(judge=judge))
        self.throttle = throttle

    def _converse(self, handler, body: dict) -> None:
        with self._lock:
            throttled = self.throttle > 0
            self.throttle -= throttled
        if not throttled:
            return super()._converse(handler, body)
        payload = json.dumps({"message": "Too many requests, please wait."}).encode()
        handler.send_response(429)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("x-amzn-ErrorType", "ThrottlingException")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)


@pytest.fixture
def fake():
    server = ThrottlingBedrock(0, judge_reply)
    yield server
    server.stop()


def test_a_pass_scores_the_sample_and_a_second_pass_only_new_traffic(canary_con, tmp_path, fake):
    con, mid = canary_con
    share, seed = 0.25, "s2"
    first = ingest(con, mid, tmp_path, 80, "a")
    sampled = [r for r in first if coin(seed, r) < share]
    wrong = set(sampled[::3])  # a third of the sample answers beside the question
    con.execute(
        "UPDATE canary_request SET response = 'WRONG: the weather is fine'"
        " WHERE request_id IN (SELECT unnest(?))",
        [sorted(wrong)],
    )
    # The evaluation owner judged the migration's target run with DeepEval's answer
    # relevancy through a judge model of their choice: the canary is judged the same way.
    calibrated = judges.JudgeConfig(model_id="judge.calibrated-v1", endpoint_url=fake.url)
    target = con.execute("SELECT run_id FROM run WHERE role = 'target'").fetchone()[0]
    judges.score_run(con, target, [METRIC], calibrated, actor="owner")
    got = canary_judge.judge_traffic(
        con, mid, share=share, seed=seed, endpoint_url=fake.url, actor="owner"
    )
    judge = calibrated
    assert got.metrics == {"answer_relevancy": METRIC}  # the gating metric, by its judge
    assert got.judge_model == "judge.calibrated-v1"
    assert (got.scores, got.failed, got.throttled) == (len(sampled), 0, 0)
    assert sum(a.judged for a in got.arms) == len(sampled)
    rows = con.execute(
        "SELECT request_id, metric, evaluator, score, label, file_sha256 FROM canary_score"
    ).fetchall()
    assert {r[0] for r in rows} == set(sampled)
    assert {(r[1], r[2], r[5]) for r in rows} == {("answer_relevancy", judge.model_id, got.marker)}
    # DeepEval answer relevancy is relevant statements / statements: the fake judge calls
    # the one statement of a 'WRONG' answer irrelevant (0), any other relevant (1).
    assert {r[0]: (r[3], r[4]) for r in rows} == {
        r: (0.0, "fail") if r in wrong else (1.0, "pass") for r in sampled
    }
    # The canary's evidence reads them as judge verdicts (what `canary status` checks).
    frame = arrivals.load(con, mid, ["answer_relevancy"]).set_index("request_id")
    assert frame.loc[sampled, "judge_passed"].tolist() == [r not in wrong for r in sampled]
    assert frame.drop(index=sampled)["judge_passed"].isna().all()
    audit = con.execute(
        "SELECT sum(json_extract(after, '$.scores')::INT), count(*) FROM audit"
        " WHERE action = 'judge_canary_traffic'"
    ).fetchone()
    assert audit == (len(sampled), -(-len(sampled) // canary_judge.BATCH))  # one per batch
    # Second pass, after more traffic: only the new requests' sample is judged.
    asked = len(fake.requests)
    second = ingest(con, mid, tmp_path, 80, "b", name="t2.csv")
    new = [r for r in second if coin(seed, r) < share]
    again = canary_judge.judge_traffic(
        con, mid, share=share, judge=judge, metrics=["answer_relevancy"], seed=seed, actor="o"
    )
    assert again.scores == len(new) and again.marker != got.marker
    judged_now = con.execute(
        "SELECT request_id FROM canary_score WHERE file_sha256 = ?", [again.marker]
    ).fetchall()
    assert {r[0] for r in judged_now} == set(new)
    assert {a.arm: a.sampled for a in again.arms} == {
        arm: sum(
            1
            for i, r in enumerate(first + second)
            if coin(seed, r) < share and (i % 80) % 2 == (arm == "canary")
        )
        for arm in ("control", "canary")
    }
    assert len(fake.requests) > asked
    nothing = canary_judge.judge_traffic(con, mid, share=share, judge=judge, seed=seed, actor="o")
    assert (nothing.scores, nothing.failed) == (0, 0)


def test_throttled_and_failed_calls_are_counted_and_reported_not_scored(canary_con, tmp_path):
    con, mid = canary_con

    def judge_or_garbage(request: dict) -> str:
        # The judge's answer for one response is not JSON: DeepEval cannot read it.
        text = request["messages"][-1]["content"][0]["text"]
        return "I refuse to answer in JSON." if "quarter 3?" in text else judge_reply(request)

    server = ThrottlingBedrock(5, judge_or_garbage)
    try:
        ingest(con, mid, tmp_path, 8, "t")
        judge = judges.JudgeConfig(endpoint_url=server.url, concurrency=2)
        got = canary_judge.judge_traffic(
            con, mid, share=1.0, metrics=[METRIC], judge=judge, actor="owner"
        )
    finally:
        server.stop()
    assert got.throttled == 5  # each 429 seen by botocore, retried, and counted
    assert got.failed == 1 and got.first_error.startswith("t3 answer_relevancy: judge failed")
    assert got.scores == 7
    scored = {r[0] for r in con.execute("SELECT request_id FROM canary_score").fetchall()}
    assert "t3" not in scored and len(scored) == 7
    assert "1 judge calls failed" in got.summary()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"migration_id": "mig-nope"}, NotFoundError, "no migration 'mig-nope'"),
        ({"share": 0}, InputError, "share must be in (0, 1]"),
        ({"share": 1.5}, InputError, "share must be in (0, 1]"),
        ({"metrics": ["no_such_metric"]}, InputError, "no Switchyard judge scores it"),
        ({"metrics": ["faithfulness"]}, InputError, "needs the retrieved context"),
        ({"metrics": ["deepeval_geval_correctness"]}, InputError, "needs a reference answer"),
        ({"limit": 0}, InputError, "limit must be at least 1"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(canary_con, tmp_path, kwargs, error, message):
    con, mid = canary_con
    ingest(con, mid, tmp_path, 20, "x")
    before = table_counts(con)
    call = {"migration_id": mid, "actor": "owner", **kwargs}
    with pytest.raises(error, match=re.escape(message)):
        canary_judge.judge_traffic(con, call.pop("migration_id"), **call)
    assert table_counts(con) == before


def test_gating_metrics_no_judge_can_score_on_traffic_are_named(canary_con):
    con, mid = canary_con
    migrations.update_criteria(
        con, mid, {"gating_metrics": ["correctness", "faithfulness"]}, actor="tester"
    )
    with pytest.raises(InputError, match=r"none of .* gating metrics can be judged on traffic"):
        canary_judge.prepare(con, mid, 0.05, None, None, "seed")
    migrations.update_criteria(
        con, mid, {"gating_metrics": ["faithfulness", "answer_relevancy"]}, actor="tester"
    )
    plan = canary_judge.prepare(con, mid, 0.05, None, None, "seed")
    assert plan.metrics == {"answer_relevancy": "ragas_answer_relevancy"}
    assert "needs the retrieved context" in plan.skipped["faithfulness"]


def test_an_openai_compatible_judge_scores_the_sample_too(canary_con, tmp_path, fake):
    con, mid = canary_con
    ingest(con, mid, tmp_path, 6, "o", wrong={"o4"})
    judge = judges.JudgeConfig(model_id="gpt-judge", provider="openai", endpoint_url=fake.url)
    got = canary_judge.judge_traffic(con, mid, share=1.0, metrics=[METRIC], judge=judge, actor="o")
    assert (got.scores, got.failed, got.throttled) == (6, 0, 0)
    rows = dict(con.execute("SELECT request_id, label FROM canary_score").fetchall())
    assert rows == {f"o{i}": "fail" if i == 4 else "pass" for i in range(6)}
    assert {r.path for r in fake.requests} == {"/chat/completions"}
