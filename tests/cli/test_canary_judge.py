"""``python -m core canary judge``: the migration's judges on a sample of both arms, against
the fake Bedrock runtime on 127.0.0.1 (a real boto3 client), with a JSON result."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest

from cli import main
from core.importers import canary
from core.store import db
from tests.conftest import SOURCE_MODEL, TARGET_MODEL, golden_migration
from tests.fake_bedrock import judge_reply

CRITERIA = {"canary_stages": [[50, 0, 2], [100, 0, 0]], "gating_metrics": ["answer_relevancy"]}


@pytest.fixture
def canary_db(tmp_path, monkeypatch):
    """A migration with 12 requests of traffic (6 per arm) that have prompt and response."""
    path = tmp_path / "canary.duckdb"
    monkeypatch.setenv("SWITCHYARD_DB", str(path))
    monkeypatch.setenv("SWITCHYARD_USER", "owner")
    con = db.connect(str(path))
    mid = golden_migration(con, CRITERIA)
    start = con.execute("SELECT created_at FROM migration").fetchone()[0] + timedelta(seconds=1)
    n = 12
    pd.DataFrame(
        {
            "request_id": [f"c{i}" for i in range(n)],
            "ts": [(start + timedelta(milliseconds=5 * i)).isoformat() for i in range(n)],
            "model_id": [TARGET_MODEL if i % 2 else SOURCE_MODEL for i in range(n)],
            "prompt": [f"What was revenue in quarter {i}?" for i in range(n)],
            # Request c5 (canary arm) answers beside the question: the judge fails it.
            "response": [
                "WRONG: the weather" if i == 5 else f"Revenue was {i} million." for i in range(n)
            ],
        }
    ).to_csv(tmp_path / "traffic.csv", index=False)
    canary.ingest(con, str(tmp_path / "traffic.csv"), mid, actor="tester")
    con.close()
    return path, mid


def judge(capsys, mid, *extra):
    code = main(["canary", "judge", "--migration", mid, *extra])
    captured = capsys.readouterr()
    return code, captured


def test_canary_judge_json_scores_both_arms_then_only_new_traffic(canary_db, capsys, fake_bedrock):
    path, mid = canary_db
    fake = fake_bedrock(judge=judge_reply)
    args = [
        "--share",
        "1",
        "--metrics",
        "deepeval_answer_relevancy",
        "--judge-model",
        "judge.cli-v1",
        "--endpoint-url",
        fake.url,
        "--json",
    ]
    code, out = judge(capsys, mid, *args)
    assert code == 0, out.err
    got = json.loads(out.out)
    assert got["metrics"] == {"answer_relevancy": "deepeval_answer_relevancy"}
    assert got["judge_model"] == "judge.cli-v1" and got["share"] == 1.0
    assert got["scores"] == 12 and got["failed"] == 0 and got["first_error"] is None
    assert got["arms"] == [
        {"arm": "control", "frame": 6, "sampled": 6, "judged": 6},
        {"arm": "canary", "frame": 6, "sampled": 6, "judged": 6},
    ]
    assert got["marker"].startswith("judge:")
    con = db.connect(str(path))
    try:
        labels = dict(
            con.execute(
                "SELECT request_id, label FROM canary_score WHERE evaluator = 'judge.cli-v1'"
            ).fetchall()
        )
    finally:
        con.close()
    assert labels == {f"c{i}": "fail" if i == 5 else "pass" for i in range(12)}
    # The same command again: every sampled request is scored, nothing is called.
    asked = len(fake.requests)
    code, out = judge(capsys, mid, *args)
    assert code == 0 and json.loads(out.out)["scores"] == 0
    assert len(fake.requests) == asked


def test_canary_judge_refuses_a_share_outside_0_1(canary_db, capsys):
    _path, mid = canary_db
    code, out = judge(capsys, mid, "--share", "1.5", "--json")
    assert code == 1
    assert "share must be in (0, 1], got 1.5" in out.err
    code, out = judge(capsys, "mig-nope", "--json")
    assert code == 1 and "no migration 'mig-nope'" in out.err
