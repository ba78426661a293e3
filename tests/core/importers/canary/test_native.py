"""The native canary table (CSV, JSONL, Parquet): what lands in canary_request and
canary_score, the incremental skip, and every refusal leaving the database as it was."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from core.catalog import models
from core.errors import InputError, NotFoundError
from core.importers import canary
from core.store import db
from tests.conftest import SOURCE_MODEL, TARGET_MODEL, table_counts

HEAD = "request_id,ts,model_id,latency_ms,input_tokens,output_tokens,score.correctness"
GOOD = (
    f"{HEAD}\n"
    f"r1,2026-11-02T10:00:00Z,{SOURCE_MODEL},120,1000,2000,1\n"
    f"r2,2026-11-02T10:00:01+01:00,{TARGET_MODEL},130,500,100,0\n"
    f"r3,2026-11-02 11:00:00,{TARGET_MODEL},140,,,\n"
)


def write(tmp_path, text: str, name: str = "traffic.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_native_csv_lands_with_arms_utc_times_costs_and_scores(con, migration, tmp_path):
    # Prices: source 0.003 / 0.015 per 1K from 2026-10-01, raised on 2026-11-02 to 0.004 / 0.02.
    models.add_price(con, SOURCE_MODEL, date(2026, 10, 1), 0.003, 0.015, actor="t")
    models.add_price(con, SOURCE_MODEL, date(2026, 11, 2), 0.004, 0.02, actor="t")
    result = canary.ingest(con, str(write(tmp_path, GOOD)), migration, actor="t")
    assert (result.requests, result.scores, result.skipped) == (3, 2, 0)
    rows = con.execute(
        "SELECT request_id, arm, ts, latency_ms, cost_usd FROM canary_request ORDER BY 1"
    ).fetchall()
    # r1 on 2026-11-02 at the new price: 1000/1000 × 0.004 + 2000/1000 × 0.02 = 0.044.
    assert rows[0][:4] == ("r1", "control", datetime(2026, 11, 2, 10, 0), 120.0)
    assert rows[0][4] == pytest.approx(0.044)
    # +01:00 is honoured (09:00:01 UTC); the target has no price, so no cost.
    assert rows[1] == ("r2", "canary", datetime(2026, 11, 2, 9, 0, 1), 130.0, None)
    # No offset: read as UTC. No tokens: accepted, said so.
    assert rows[2][2] == datetime(2026, 11, 2, 11, 0)
    assert (
        "1 request(s) without input or output token counts (first on row 3)"
        in (result.files[0].warnings[0])
    )
    assert con.execute(
        "SELECT request_id, metric, evaluator, score FROM canary_score ORDER BY 1"
    ).fetchall() == [("r1", "correctness", "file", 1.0), ("r2", "correctness", "file", 0.0)]
    assert canary.known(con, migration) == {TARGET_MODEL: "canary", SOURCE_MODEL: "control"}
    assert db.scalar(con, "SELECT rows FROM canary_file") == 3


def test_the_same_content_again_is_skipped_and_changes_nothing(con, migration, tmp_path):
    canary.ingest(con, str(write(tmp_path, GOOD)), migration, actor="t")
    before = table_counts(con)
    again = canary.ingest(con, str(write(tmp_path, GOOD, "renamed.csv")), migration, actor="t")
    assert (again.requests, again.skipped) == (0, 1)
    assert table_counts(con) == before


def test_a_parquet_file_with_typed_timestamps_ingests(con, migration, tmp_path):
    frame = pd.DataFrame(
        {
            "request_id": ["p1", "p2"],
            "ts": pd.to_datetime(["2026-11-03 08:00:00", "2026-11-03 08:00:05"]),
            "model_id": [SOURCE_MODEL, TARGET_MODEL],
            "ttft_ms": [210.5, 180.0],
            "output_tokens": [12, 30],
            "stratum": ["billing", "support"],
        }
    )
    path = tmp_path / "traffic.parquet"
    frame.to_parquet(path)
    result = canary.ingest(con, str(path), migration, actor="t")
    assert result.requests == 2
    assert con.execute(
        "SELECT request_id, arm, ts, ttft_ms, stratum FROM canary_request ORDER BY 1"
    ).fetchall() == [
        ("p1", "control", datetime(2026, 11, 3, 8, 0), 210.5, "billing"),
        ("p2", "canary", datetime(2026, 11, 3, 8, 0, 5), 180.0, "support"),
    ]


LINE = "r9,2026-11-02T10:00:00Z,{model},120,10,20,1\n"
REFUSED = [
    (
        "unknown_model",
        f"{HEAD}\n" + LINE.format(model="meta.llama3-70b-instruct-v1:0"),
        ["row 1", "column 'model_id'", "unknown model id", SOURCE_MODEL, TARGET_MODEL],
    ),
    (
        "before_window",
        f"{HEAD}\nr9,2026-10-31T23:59:59Z,{SOURCE_MODEL},120,10,20,1\n",
        ["row 1", "column 'ts'", "before the canary's window", "2026-11-01 00:00:00"],
    ),
    (
        "future",
        f"{HEAD}\nr9,2099-01-01T00:00:00Z,{SOURCE_MODEL},120,10,20,1\n",
        ["row 1", "column 'ts'", "in the future", "clock"],
    ),
    (
        "not_a_time",
        f"{HEAD}\nr9,yesterday,{SOURCE_MODEL},120,10,20,1\n",
        ["row 1", "column 'ts'", "expected a timestamp", "'yesterday'"],
    ),
    (
        "duplicate_in_file",
        f"{HEAD}\n" + LINE.format(model=SOURCE_MODEL) + LINE.format(model=TARGET_MODEL),
        ["row 2", "duplicate request id 'r9' (first on row 1)"],
    ),
    (
        "nan_latency",
        f"{HEAD}\nr9,2026-11-02T10:00:00Z,{SOURCE_MODEL},NaN,10,20,1\n",
        ["row 1", "column 'latency_ms'", "NaN"],
    ),
    (
        "infinite_tokens",
        f"{HEAD}\nr9,2026-11-02T10:00:00Z,{SOURCE_MODEL},120,inf,20,1\n",
        ["row 1", "column 'input_tokens'", "finite"],
    ),
    (
        "nul_byte",
        f"{HEAD}\nr9\x00,2026-11-02T10:00:00Z,{SOURCE_MODEL},120,10,20,1\n",
        ["row 1", "column 'request_id'", "NUL"],
    ),
    (
        "bad_arm",
        f"request_id,ts,model_id,arm\nr9,2026-11-02T10:00:00Z,{SOURCE_MODEL},treatment\n",
        ["row 1", "column 'arm'", "control or canary", "'treatment'"],
    ),
    (
        "arm_contradicts_model",
        f"request_id,ts,model_id,arm\nr9,2026-11-02T10:00:00Z,{SOURCE_MODEL},canary\n",
        ["row 1", "column 'arm'", "contradicts"],
    ),
    (
        "missing_model_column",
        "request_id,ts\nr9,2026-11-02T10:00:00Z\n",
        ["missing required column 'model_id'"],
    ),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_a_bad_file_is_refused_with_its_row_and_writes_nothing(con, migration, tmp_path, case):
    name, text, fragments = case
    path = write(tmp_path, text, f"{name}.csv")
    before = table_counts(con)
    with pytest.raises(InputError) as caught:
        canary.ingest(con, str(path), migration, actor="t")
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    # Not even the arm map the first file would have stored.
    assert table_counts(con) == before


def test_a_request_id_ingested_from_another_file_is_refused_naming_that_file(
    con, migration, tmp_path
):
    first = write(tmp_path, GOOD, "first.csv")
    canary.ingest(con, str(first), migration, actor="t")
    before = table_counts(con)
    second = write(
        tmp_path, f"{HEAD}\n" + LINE.format(model=SOURCE_MODEL).replace("r9", "r2"), "second.csv"
    )
    with pytest.raises(InputError, match="request id 'r2' was already ingested") as caught:
        canary.ingest(con, str(second), migration, actor="t")
    assert "row 1" in str(caught.value) and str(first) in str(caught.value)
    assert table_counts(con) == before


def test_an_unknown_migration_is_named(con, tmp_path):
    with pytest.raises(NotFoundError, match="no migration 'mig-x'"):
        canary.ingest(con, str(write(tmp_path, GOOD)), "mig-x", actor="t")


def test_a_configured_model_id_joins_its_arm_priced_as_the_arms_model(con, migration, tmp_path):
    models.add_price(con, TARGET_MODEL, date(2026, 1, 1), 0.0008, 0.0032, actor="t")
    profile = "us.amazon.nova-pro-v1:0"  # a cross-region inference profile's id
    canary.configure(con, migration, profile, "canary", actor="t")
    text = f"{HEAD}\nr1,2026-11-02T10:00:00Z,{profile},120,1000,1000,1\n"
    canary.ingest(con, str(write(tmp_path, text)), migration, actor="t")
    arm, cost = con.execute("SELECT arm, cost_usd FROM canary_request").fetchone()
    # 1000/1000 × 0.0008 + 1000/1000 × 0.0032 = 0.004, the target's price.
    assert arm == "canary" and cost == pytest.approx(0.004)


def test_the_window_opens_at_the_first_recorded_stage_start(con, migration, tmp_path):
    from core.store import writes_canary_verdicts

    # Stage 1 recorded as started at 09:00 on 2026-11-02: a request at 08:59:59 predates it.
    writes_canary_verdicts.start_stage(con, migration, 1, 5.0, datetime(2026, 11, 2, 9), "t")
    assert canary.window(con, migration).start == datetime(2026, 11, 2, 9)
    early = f"{HEAD}\nr1,2026-11-02T08:59:59Z,{SOURCE_MODEL},120,10,20,1\n"
    with pytest.raises(InputError, match="opens when stage 1 started \\(2026-11-02 09:00:00"):
        canary.ingest(con, str(write(tmp_path, early)), migration, actor="t")
    # Recorded later than the migration's creation, or earlier (the demo's stage 1): it rules.
    writes_canary_verdicts.start_stage(con, migration, 1, 5.0, datetime(2026, 10, 20), "t")
    assert canary.window(con, migration).start == datetime(2026, 10, 20)
