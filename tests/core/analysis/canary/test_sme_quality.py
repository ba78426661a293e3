"""SME-corrected quality on canary traffic: the difference estimator over Bernoulli review
draws (core.analysis.canary.arrivals.SME_TERMS) and its confidence sequence (checks)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from core.analysis.canary import arrivals, checks
from core.store import db
from tests.core.analysis.canary.test_checks import LIMITS


def _stream(n: int, rng, sme_miss: float, rates=(0.10, 0.02)) -> pd.DataFrame:
    """One arm's requests: judges pass 90%; the SME fails ``sme_miss`` of the judges' passes
    (and agrees with every judge failure); Bernoulli draws at the pool's rate."""
    judge = rng.random(n) < 0.9
    sme = np.where(judge, rng.random(n) >= sme_miss, False)
    pi = np.where(judge, rates[1], rates[0])
    drawn = rng.random(n) < pi
    z = judge + drawn * (sme.astype(float) - judge) / pi
    return pd.DataFrame({"judge": judge, "sme": sme, "drawn": drawn, "pi": pi, "z": z})


def test_the_terms_mean_is_the_textbook_difference_estimator():
    # Särndal, Swensson & Wretman (1992), Model Assisted Survey Sampling, eq. (6.3.1): the
    # difference estimator of a total, t̂ = Σ_U ŷ_k + Σ_s (y_k − ŷ_k)/π_k, here with ŷ = the
    # judges' verdict. Five requests, two drawn: judges 1,1,1,0,0; drawn request 2 (π 0.5,
    # SME 0) and request 4 (π 0.25, SME 1): t̂ = 3 + (0 − 1)/0.5 + (1 − 0)/0.25 = 5, mean 1.0.
    judge = np.array([1, 1, 1, 0, 0], float)
    terms = judge.copy()
    terms[1] += (0 - 1) / 0.5
    terms[3] += (1 - 0) / 0.25
    assert terms.mean() == pytest.approx(5 / 5)


def test_the_corrected_rate_is_unbiased_where_the_labelled_mean_is_not():
    # The SME pass rate is 0.9 × 0.85 = 0.765. Failures are drawn 5× as often as passes, so the
    # plain mean of the labelled verdicts sits far below it; the terms' mean does not.
    rng = np.random.default_rng(7)
    means, naive = [], []
    for _ in range(200):
        s = _stream(20_000, rng, sme_miss=0.15)
        means.append(s.z.mean())
        naive.append(s.sme[s.drawn].mean())
    se = np.std(means, ddof=1) / np.sqrt(len(means))
    assert abs(np.mean(means) - 0.765) < 4 * se
    assert np.mean(naive) < 0.55  # about 0.9·0.02·0.85 / (0.9·0.02 + 0.1·0.1) = 0.546


def _frame(control: pd.DataFrame, canary: pd.DataFrame) -> pd.DataFrame:
    """Traffic as arrivals.load returns it: arms interleaved, SME terms on every request."""
    both = pd.concat([control.assign(arm="control"), canary.assign(arm="canary")])
    both = both.sample(frac=1.0, random_state=3).reset_index(drop=True)
    n = len(both)
    return pd.DataFrame(
        {
            "ts": pd.date_range("2026-11-01", periods=n, freq="s"),
            "arm": both.arm,
            "request_id": [f"r{i:06d}" for i in range(n)],
            "ttft_ms": 500.0,
            "latency_ms": 900.0,
            "error": False,
            "judge_passed": both.judge,
            "sme_passed": np.where(both.drawn, both.sme.astype(float), np.nan),
            "sme_flag": pd.array([None] * n, dtype="boolean"),
            "sme_z": both.z,
            "sme_pi": both.pi,
            "cost_usd": 0.001,
        }
    )


def test_a_regression_the_judges_miss_is_caught_by_the_sme_corrected_check():
    # Both arms' judges pass 90%; on the canary the SMEs fail 15% of those passes (a drop of
    # 13.5 pp the judges cannot see). Passes drawn at 10% to keep the test quick.
    rng = np.random.default_rng(11)
    control = _stream(30_000, rng, sme_miss=0.0, rates=(0.10, 0.10))
    canary = _stream(30_000, rng, sme_miss=0.15, rates=(0.10, 0.10))
    found = {c.name: c for c in checks.run_checks(_frame(control, canary), LIMITS)}
    assert found["quality_judge"].status != "crossed"
    sme = found["quality_sme"]
    assert sme.status == "crossed" and sme.high < -LIMITS.quality_margin_pp
    assert sme.low <= -13.5 <= sme.high
    assert "SME-corrected" in sme.why


def test_identical_arms_do_not_read_crossed_and_the_interval_covers_zero():
    rng = np.random.default_rng(5)
    misses = 0
    for _ in range(20):
        control = _stream(4_000, rng, sme_miss=0.05, rates=(0.10, 0.05))
        canary = _stream(4_000, rng, sme_miss=0.05, rates=(0.10, 0.05))
        sme = {c.name: c for c in checks.run_checks(_frame(control, canary), LIMITS)}
        check = sme["quality_sme"]
        misses += check.status == "crossed" or not (check.low <= 0 <= check.high)
    assert misses == 0  # at α/10 per check, a miss in 20 runs would be a 1-in-10 event at most


def test_traffic_reads_terms_from_review_draws_and_labels():
    con = db.connect(":memory:")
    start = datetime(2026, 11, 1)
    requests = [
        ("a", "control", "pass", True, 0.5),  # drawn, SME fails it: 1 + (0 − 1)/(0.5·1/1)
        ("b", "control", "pass", False, 0.5),  # considered, not drawn: 1
        ("c", "canary", "fail", True, 0.25),  # drawn, two SMEs split: 0 + 0.5/(0.25·1/2)
        ("d", "canary", "fail", True, 0.25),  # drawn, not labelled yet: the pool's π halves
        ("e", "canary", "pass", True, 0.1),  # its pool has no label yet: left out
        ("f", "canary", "pass", False, 0.1),  # same pool: left out
        ("g", "control", "pass", False, 0.5),  # ... and one never considered: no term
    ]
    for i, (rid, arm, *_rest) in enumerate(requests):
        con.execute(
            "INSERT INTO canary_request (migration_id, request_id, arm, ts, model_id,"
            " file_sha256) VALUES ('m', ?, ?, ?, 'x', 'f')",
            [rid, arm, start + timedelta(minutes=i)],
        )
    for statement in (  # the rows a canary review draw's `sample` row stands on
        "INSERT INTO dataset (dataset_id, name, version, sha256, item_count, created_by)"
        " VALUES ('d@1', 'd', 1, 'h', 0, 't')",
        "INSERT INTO model (model_id) VALUES ('x')",
        "INSERT INTO run (run_id, name, dataset_id, model_id, origin, created_by)"
        " VALUES ('r', 'r', 'd@1', 'x', 'test', 't')",
        "INSERT INTO migration (migration_id, name, dataset_id, source_run_id, created_by)"
        " VALUES ('m', 'm', 'd@1', 'r', 't')",
        "INSERT INTO sample (sample_id, migration_id, name, run_a, params, seed, created_by)"
        " VALUES ('s1', 'm', 'canary', 'r', '{\"traffic\": \"canary\"}', 1, 't')",
    ):
        con.execute(statement)
    for rid, arm, pool, drawn, pi in requests[:-1]:
        con.execute(
            "INSERT INTO canary_review_frame VALUES ('m', ?, 's1', ?, ?, ?, ?)",
            [rid, arm, pool, pi, drawn],
        )
    for rid, reviewer, passed in (("a", "x", False), ("c", "x", True), ("c", "y", False)):
        con.execute(
            "INSERT INTO canary_label (migration_id, sample_id, request_id, reviewer, score,"
            " passed, failure_modes) VALUES ('m', 's1', ?, ?, ?, ?, ?)",
            [rid, reviewer, 4 if passed else 2, passed, [] if passed else ["hallucination"]],
        )
    got = arrivals.load(con, "m", []).set_index("request_id")
    assert got.loc["a", "sme_z"] == pytest.approx(1 + (0 - 1) / 0.5)
    assert got.loc["b", "sme_z"] == pytest.approx(1.0)
    assert got.loc["c", "sme_z"] == pytest.approx(0 + 0.5 / (0.25 * 1 / 2))
    assert got.loc["d", "sme_z"] == pytest.approx(0.0)
    assert got.loc["c", "sme_pi"] == pytest.approx(0.125)
    assert np.isnan(got.loc[["e", "f", "g"], "sme_z"]).all()
    assert got.loc["a", "sme_flag"] and got.loc["c", "sme_flag"]
    assert got.loc["c", "sme_passed"] == pytest.approx(0.5)
