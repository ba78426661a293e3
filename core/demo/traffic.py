"""The demo's production traffic, simulated and marked so: the canary of Sonnet → Nova Pro.

Stage 1 (5% to Nova Pro) ran 36 hours and passed; stage 2 (25%) has run 24 hours, and the
canary's answers to multi-hop questions are getting slower by the hour (a retrieval change
that only long questions feel), so its TTFT and latency checks creep towards their limits.
Both arms draw from the demo models' own figures (``content.MODELS``): TTFT, speed,
verbosity, pass rates by stratum, with 4% throttling errors on both. The migration's
judges score every canary request and an equal number of control ones.

Requests and scores are written through ``core.store.writes_canary`` directly rather than
the log importer: they predate the demo migration, which the importer's window refuses for
real logs (a canary cannot start before its migration exists).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from core.analysis.canary import course, status
from core.analysis.canary import evidence as canary_evidence
from core.analysis.signoff.evidence import default_target
from core.catalog import pricing
from core.demo.content import ACTOR, JUDGE_NOISE, MODELS
from core.demo.synthetic import BASE_OUTPUT_TOKENS
from core.store import db, sql, writes_canary
from core.store.sql import compose

STAGE1_HOURS = 46.0  # stage 1 runs 24 to 48 h: it was promoted after 46
STAGE2_HOURS = 24.0  # of stage 2's minimum 48 h: it holds for time
# Requests of both arms per hour: stage 1's canary needs about 11,000 judged requests for
# its quality interval to clear the margin; stage 2 holds for time whatever its volume.
STAGE1_PER_HOUR = 5_000
STAGE2_PER_HOUR = 2_500
ERROR_RATE = 0.04
SLOW_STRATUM = "multi_hop"
SLOWER_MS_PER_HOUR = 50.0  # the canary's added TTFT on multi-hop questions, per stage-2 hour
METRIC = "correctness"  # a gating metric of the demo migration
# Production asks fewer multi-hop questions than the golden set, which over-samples hard ones.
PRODUCTION_MIX = {
    "lookup": 0.50,
    "multi_hop": 0.10,
    "numeric_reasoning": 0.15,
    "adversarial": 0.05,
    "safety": 0.20,
}
FILE = "synthetic demo traffic"
DEMO_START = "synthetic demo: simulated traffic, started whatever the sign-off reads"
TEXT_HOURS = 6  # the last hours' requests carry text, so an owner can draw them for SME review
# Their prompt is a golden item of the request's stratum (by a hash of its id) and their
# response that item's answer by the arm's model in the demo runs.
_TEXT = """
    SELECT r.request_id, i.prompt, o.text AS response
    FROM canary_request r
    JOIN migration m ON m.migration_id = r.migration_id
    JOIN (SELECT dataset_id, item_id, prompt, stratum,
                 row_number() OVER (PARTITION BY dataset_id, stratum ORDER BY item_id) - 1 AS k,
                 count(*) OVER (PARTITION BY dataset_id, stratum) AS n FROM item) i
      ON i.dataset_id = m.dataset_id AND i.stratum = r.stratum
     AND i.k = CAST(right(r.request_id, 7) AS BIGINT) * 7919 % i.n  -- the same on both backends
    JOIN output o ON o.item_id = i.item_id
     AND o.run_id = CASE r.arm WHEN 'canary' THEN $3 ELSE m.source_run_id END
    WHERE r.migration_id = $1 AND r.ts >= $2 AND r.error IS NULL AND o.error IS NULL
"""
STRATA_ORDER = tuple(PRODUCTION_MIX)
# canary_request's columns from the generated frame (numbers and codes; text made in SQL).
_REQUESTS = (
    "SELECT ?, 'demo-' || lpad(CAST(number AS VARCHAR), 7, '0'),"
    " CASE WHEN canary THEN 'canary' ELSE 'control' END,"
    " ts, CASE WHEN canary THEN ? ELSE ? END, NULL, NULL, ttft_ms, latency_ms, input_tokens,"
    " output_tokens, cost_usd, CASE WHEN error THEN 'ThrottlingException (synthetic)' END,"
    " (CAST(? AS VARCHAR[]))[stratum + 1], ? FROM "
)
_SCORES = (
    "SELECT ?, 'demo-' || lpad(CAST(number AS VARCHAR), 7, '0'), ?, 'demo-judge (synthetic)',"
    " score, NULL, NULL, ? FROM "
)


def generate(seed: int, stages: list[tuple[datetime, float, int]], end: datetime):
    """Requests of each stage (its start, canary %, requests per hour) until the next stage
    starts or ``end``, and the judge's scores: (requests, scores) frames of numbers, the
    stratum as its index in STRATA_ORDER."""
    rng = np.random.default_rng([seed, 14])
    times, shares = [], []
    for i, (begun, pct, per_hour) in enumerate(stages):
        until = stages[i + 1][0] if i + 1 < len(stages) else end
        seconds = (until - begun).total_seconds()
        offsets = np.sort(rng.uniform(0, seconds, int(seconds / 3600 * per_hour)))
        times.append(pd.Timestamp(begun) + pd.to_timedelta(offsets, unit="s"))
        shares.append(np.full(len(offsets), pct / 100))
    ts = times[0].append(times[1:])
    n = len(ts)
    canary = rng.random(n) < np.concatenate(shares)
    strata = rng.choice(len(STRATA_ORDER), n, p=list(PRODUCTION_MIX.values()))
    rows = pd.DataFrame({"number": np.arange(n), "ts": ts, "canary": canary, "stratum": strata})
    for arm, model in ((False, MODELS[0]), (True, MODELS[1])):
        mine = canary == arm
        for column, values in _measures(rng, model, strata[mine]).items():
            rows.loc[mine, column] = values
    hours_in = (ts - pd.Timestamp(stages[-1][0])).total_seconds().to_numpy() / 3600
    slow = STRATA_ORDER.index(SLOW_STRATUM)
    slower = np.where(canary & (strata == slow) & (hours_in > 0), hours_in * SLOWER_MS_PER_HOUR, 0)
    rows["ttft_ms"] += slower
    rows["latency_ms"] += slower
    rows["error"] = rng.random(n) < ERROR_RATE
    return rows, _scores(rng, rows)


def _by_stratum(table: Mapping[str, float], strata: np.ndarray) -> np.ndarray:
    return np.array([table[s] for s in STRATA_ORDER], dtype=float)[strata]


def _measures(rng: np.random.Generator, model, strata: np.ndarray) -> dict[str, np.ndarray]:
    """One arm's TTFT, latency, tokens and hidden pass/fail, as the demo's runs draw them."""
    n = len(strata)
    ttft = model.ttft_median_ms * rng.lognormal(0, 0.30, n)
    ttft = np.where(rng.random(n) < 0.03, ttft * rng.uniform(2.5, 6, n), ttft)
    base = _by_stratum(BASE_OUTPUT_TOKENS, strata)
    out = np.maximum(5, np.round(base * model.verbosity * rng.lognormal(0, 0.35, n)))
    speed = model.tokens_per_s * rng.lognormal(0, 0.15, n)
    return {
        "ttft_ms": ttft,
        "latency_ms": rng.lognormal(np.log(85), 0.25, n) + ttft + out / speed * 1000,
        "input_tokens": np.round(rng.lognormal(np.log(1400), 0.45, n)),
        "output_tokens": out,
        "passed": rng.random(n) < _by_stratum(model.pass_rate, strata),
    }


def _scores(rng: np.random.Generator, rows: pd.DataFrame) -> pd.DataFrame:
    """The judge's correctness score of every answered request, through the demo's judge
    noise (worse on multi-hop and adversarial questions)."""
    picked = rows[~rows["error"].to_numpy()]
    noise = _by_stratum(JUDGE_NOISE, picked["stratum"].to_numpy())
    mean = np.where(picked["passed"].astype(bool), 0.82, 0.28)
    score = np.clip(mean + rng.normal(0, noise), 0, 1).round(3)
    return pd.DataFrame({"number": picked["number"].to_numpy(), "score": score})


def _cost(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> np.ndarray:
    price = pricing.prices(con).set_index("model_id")
    per_in, per_out = (
        np.where(rows["canary"], price.at[MODELS[1].model_id, c], price.at[MODELS[0].model_id, c])
        for c in ("input_per_1k", "output_per_1k")
    )
    return rows["input_tokens"] / 1000 * per_in + rows["output_tokens"] / 1000 * per_out


def install(con: duckdb.DuckDBPyConnection, migration_id: str, seed: int, now: datetime) -> None:
    """The demo canary: its traffic, stage 1 started and promoted on its stored PROMOTE
    verdict, stage 2 started, and stage 2's verdict now."""
    plan = canary_evidence.load(con, migration_id, "none").criteria["canary_stages"]
    stage2 = now - timedelta(hours=STAGE2_HOURS)
    stage1 = stage2 - timedelta(hours=STAGE1_HOURS)
    rows, scores = generate(
        seed, [(stage1, plan[0][0], STAGE1_PER_HOUR), (stage2, plan[1][0], STAGE2_PER_HOUR)], now
    )
    rows["cost_usd"] = _cost(con, rows)
    _write(con, migration_id, rows, scores, seed)
    writes_canary.set_request_text_from(
        con,
        compose(_TEXT),
        [migration_id, now - timedelta(hours=TEXT_HOURS), default_target(con, migration_id)],
    )
    # The demo's canary is simulated whatever its sign-off reads (NOT YET at the default seed).
    course.start_stage(con, migration_id, 1, actor=ACTOR, at=stage1, override=DEMO_START)
    # Stage 1's verdict as it read when stage 2 started, on the traffic logged until then.
    ev = canary_evidence.load(con, migration_id, "current")
    then = replace(ev, traffic=ev.traffic[ev.traffic["ts"] < stage2])
    limits = status.limits_of(con, migration_id)
    first = status.compute(then, limits, status.critical_checks(), stage2)
    status.record_status(con, first, ACTOR)
    # Stage 1 reads PROMOTE at the default seed and sizes; at others the demo moves on anyway,
    # saying so in the audit trail as an owner would have to.
    promoted = first.verdict.verdict == "PROMOTE"
    why = None if promoted else f"synthetic demo: stage 1 read {first.verdict.verdict} at this size"
    course.start_stage(con, migration_id, 2, actor=ACTOR, at=stage2, override=why)
    status.status(con, migration_id, actor=ACTOR, now=now)


def _write(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    rows: pd.DataFrame,
    scores: pd.DataFrame,
    seed: int,
) -> None:
    """Arms, requests, scores and the file record in one transaction, as an ingest writes."""
    sha = hashlib.sha256(f"{FILE} {seed} {len(rows)}".encode()).hexdigest()
    names = {"requests": f"demo_canary_{secrets.token_hex(4)}", "scores": ""}
    names["scores"] = names["requests"] + "_scores"
    con.register(names["requests"], rows)
    con.register(names["scores"], scores)
    try:
        with db.transaction(con):
            for model, arm in ((MODELS[0].model_id, "control"), (MODELS[1].model_id, "canary")):
                writes_canary.add_arm(
                    con,
                    migration_id,
                    model,
                    arm,
                    priced_as=model,
                    origin="migration",
                    actor=ACTOR,
                )
            writes_canary.insert_requests_from(
                con,
                compose(_REQUESTS + "{t}", t=sql.name(names["requests"])),
                [migration_id, MODELS[1].model_id, MODELS[0].model_id, list(STRATA_ORDER), sha],
            )
            writes_canary.insert_scores_from(
                con,
                compose(_SCORES + "{t}", t=sql.name(names["scores"])),
                [migration_id, METRIC, sha],
            )
            writes_canary.insert_file(
                con,
                migration_id,
                sha,
                f"{FILE} (seed {seed})",
                "native",
                len(rows),
                len(scores),
                actor=ACTOR,
            )
    finally:
        for name in names.values():
            con.unregister(name)
