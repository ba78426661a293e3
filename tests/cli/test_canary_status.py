"""``python -m core canary status|recipe|stage``: the verdict as an exit code (0 PROMOTE,
3 HOLD, 4 ROLL BACK), each verdict stored once per inputs and audited, the routing recipe, and
the rollback drill read from the logs ingested after the rollback."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
import yaml

from cli import main
from core.importers import canary
from core.store import db
from tests.conftest import SOURCE_MODEL, TARGET_MODEL, golden_migration

# Short stages, so a test need not wait a day: stage 1 routes half the traffic.
CRITERIA = {"canary_stages": [[50, 0, 2], [100, 0, 0]], "gating_metrics": ["correctness"]}


@pytest.fixture
def canary_db(tmp_path, monkeypatch):
    """A migration of the golden fixture (fin@1), with prices; (db file, migration, created)."""
    path = tmp_path / "canary.duckdb"
    monkeypatch.setenv("SWITCHYARD_DB", str(path))
    monkeypatch.setenv("SWITCHYARD_USER", "owner")
    con = db.connect(str(path))
    mid = golden_migration(con, CRITERIA)
    created = con.execute("SELECT created_at FROM migration").fetchone()[0]
    con.close()
    return path, mid, created


def traffic(path, start, n, seed, canary_ttft_extra=0.0, canary_share=0.5, prefix="r"):
    """n requests from ``start``, one per 5 ms: both arms alike but for the canary's TTFT."""
    rng = np.random.default_rng(seed)
    canary = rng.random(n) < canary_share
    frame = pd.DataFrame(
        {
            "request_id": [f"{prefix}{i}" for i in range(n)],
            "ts": [(start + timedelta(milliseconds=5 * i)).isoformat() for i in range(n)],
            "model_id": np.where(canary, TARGET_MODEL, SOURCE_MODEL),
            "ttft_ms": rng.gamma(9, 40, n) + canary * canary_ttft_extra,
            "latency_ms": rng.gamma(16, 60, n),
            # As many tokens as the target's golden run: within the sign-off's cost projection.
            "input_tokens": 310,
            "output_tokens": 20,
            "error": np.where(rng.random(n) < 0.1, "ThrottlingException", None),
            "score.correctness": (rng.random(n) < 0.85).astype(float),
            "stratum": "lookup",
        }
    )
    frame.to_csv(path, index=False)
    return path


def status(capsys, mid, gate=True):
    code = main(["canary", "status", "--migration", mid, "--json", *(["--gate"] if gate else [])])
    return code, json.loads(capsys.readouterr().out)


def test_status_before_the_canary_starts_is_hold_and_says_how_to_start(canary_db, capsys):
    _path, mid, _created = canary_db
    code, got = status(capsys, mid)
    assert code == 3
    assert got["verdict"]["verdict"] == "HOLD"
    assert "record stage 1's start" in got["verdict"]["reasons"][0]
    assert main(["canary", "stage", "start", "--migration", mid, "--stage", "2"]) == 1
    assert "stage 2 cannot start: the canary has not started" in capsys.readouterr().err
    # Stage 1 follows a GO sign-off; this migration's reads otherwise, so it needs a reason.
    assert main(["canary", "stage", "start", "--migration", mid, "--stage", "1"]) == 1
    assert "the canary cannot start: the sign-off reads" in capsys.readouterr().err


def test_gate_reads_hold_then_promote_then_roll_back(canary_db, capsys, tmp_path):
    path, mid, created = canary_db
    start = created + timedelta(seconds=1)
    assert (
        main(
            [
                "canary",
                "stage",
                "start",
                "--migration",
                mid,
                "--stage",
                "1",
                "--at",
                start.isoformat(),
                "--override",
                "the test migration's sign-off is not GO",
            ]
        )
        == 0
    )
    assert "stage 1 (50% to the target) started" in capsys.readouterr().out
    # 300 requests: every check inconclusive, so HOLD for data.
    thin = traffic(tmp_path / "thin.csv", start, 300, seed=1, prefix="a")
    assert main(["canary", "ingest", str(thin), "--migration", mid]) == 0
    capsys.readouterr()
    code, got = status(capsys, mid)
    assert (code, got["verdict"]["verdict"]) == (3, "HOLD"), got["verdict"]["evidence"]
    assert any(r.startswith("data: ") for r in got["verdict"]["reasons"])
    assert got["requests"]["canary"] + got["requests"]["control"] == 300
    # 40,000 alike requests more: every measured check within its limit (SME ones unmeasured).
    alike = traffic(tmp_path / "alike.csv", start + timedelta(seconds=2), 40_000, seed=2)
    assert main(["canary", "ingest", str(alike), "--migration", mid]) == 0
    capsys.readouterr()
    code, got = status(capsys, mid)
    statuses = {c["name"]: c["status"] for c in got["checks"]}
    assert (code, got["verdict"]["verdict"]) == (0, "PROMOTE"), (statuses, got["verdict"])
    # The same inputs again: the verdict is not stored twice.
    assert status(capsys, mid)[1]["inputs_hash"] == got["inputs_hash"]
    con = db.connect(str(path))
    stored = con.execute("SELECT verdict FROM canary_verdict ORDER BY verdict_id").fetchall()
    audited = con.execute("SELECT count(*) FROM audit WHERE action = 'canary_verdict'").fetchone()
    con.close()
    assert stored == [("HOLD",), ("PROMOTE",)] and audited == (2,)
    # Canary TTFT +600 ms on 6,000 more requests: ttft_p90 crosses its 250 ms limit.
    slow = traffic(
        tmp_path / "slow.csv", start + timedelta(seconds=250), 6_000, 3, 600.0, prefix="s"
    )
    assert main(["canary", "ingest", str(slow), "--migration", mid]) == 0
    capsys.readouterr()
    code, got = status(capsys, mid)
    assert (code, got["verdict"]["verdict"]) == (4, "ROLL BACK")
    assert any(e.startswith("ttft_p90: +") for e in got["verdict"]["evidence"])
    # Without --gate the command succeeds whatever the verdict.
    assert status(capsys, mid, gate=False)[0] == 0


def test_recipe_prints_the_stage_and_the_rollback(canary_db, capsys, tmp_path):
    _path, mid, _created = canary_db
    assert main(["canary", "recipe", "--migration", mid, "--stage", "1"]) == 0
    config = yaml.safe_load(capsys.readouterr().out)
    weights = {
        d["litellm_params"]["model"]: d["litellm_params"]["weight"] for d in config["model_list"]
    }
    assert weights == {f"bedrock/{SOURCE_MODEL}": 50, f"bedrock/{TARGET_MODEL}": 50}
    out = tmp_path / "rollback.json"
    args = ["canary", "recipe", "--migration", mid, "--stage", "1", "--format", "json"]
    assert main([*args, "--rollback", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    body = json.loads(out.read_text())
    assert [v["weight"] for v in body["variations"]] == [100, 0]
    assert main(["canary", "recipe", "--migration", mid, "--stage", "3"]) == 1
    assert "stage 3 is not one of the migration's stages 1 to 2" in capsys.readouterr().err


def test_recipe_out_to_a_missing_folder_or_a_folder_is_one_error_line(canary_db, capsys, tmp_path):
    _path, mid, _created = canary_db
    args = ["canary", "recipe", "--migration", mid, "--stage", "1", "--out"]
    for out in (tmp_path / "missing" / "r.yaml", tmp_path):
        assert main([*args, str(out)]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"error: {out}: ") and "bug" not in err, err
        assert err.count("\n") == 1


def test_rollback_drill_is_pending_then_passed_and_stored(canary_db, capsys, tmp_path):
    path, mid, created = canary_db
    start = created + timedelta(seconds=1)
    why = "the test migration's sign-off is not GO"
    at = start.isoformat()
    main(
        [
            "canary",
            "stage",
            "start",
            "--migration",
            mid,
            "--stage",
            "1",
            "--at",
            at,
            "--override",
            why,
        ]
    )
    main(["canary", "ingest", str(traffic(tmp_path / "a.csv", start, 400, 4)), "--migration", mid])
    rollback_at = start + timedelta(seconds=3)
    assert (
        main(
            [
                "canary",
                "stage",
                "rollback",
                "--migration",
                mid,
                "--stage",
                "1",
                "--at",
                rollback_at.isoformat(),
                "--reason",
                "drill",
            ]
        )
        == 0
    )
    capsys.readouterr()
    code, got = status(capsys, mid)
    assert (code, got["verdict"]["verdict"]) == (4, "ROLL BACK")
    assert got["drill"]["status"] == "pending"
    # Control-only traffic from 16 minutes after the rollback: the share fell to zero.
    after = traffic(
        tmp_path / "b.csv",
        rollback_at + timedelta(minutes=16),
        200,
        5,
        canary_share=0.0,
        prefix="b",
    )
    # Its timestamps are 16 minutes ahead of this machine's clock: ingest as of then.
    con = db.connect(str(path))
    canary.ingest(con, str(after), mid, actor="owner", now=rollback_at + timedelta(minutes=20))
    con.close()
    got = status(capsys, mid)[1]
    assert got["drill"]["status"] == "passed"
    assert got["drill"]["requests_after"] == 200 and got["drill"]["canary_after"] == 0
    con = db.connect(str(path))
    drills = con.execute("SELECT status FROM canary_drill ORDER BY drill_id").fetchall()
    audited = con.execute("SELECT count(*) FROM audit WHERE action = 'canary_drill'").fetchone()
    con.close()
    assert drills == [("pending",), ("passed",)] and audited == (2,)
