"""The canary's checks: the contract (names, statuses, alpha split) on small built traffic."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.analysis.canary import checks, sequences

LIMITS = checks.CanaryLimits(
    quality_margin_pp=3.0,
    ttft_p90_increase_ms=250.0,
    latency_p90_increase_ms=400.0,
    error_rate_ratio=2.0,
    sme_flag_limit=0,
    cost_overrun_pct=10.0,
    projected_cost_per_request=None,
    configured_share=0.5,
)


def traffic(n: int, seed: int = 0, ttft_shift: float = 0.0, share: float = 0.5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    canary = rng.random(n) < share
    return pd.DataFrame(
        {
            "ts": pd.date_range("2026-11-01", periods=n, freq="s"),
            "arm": np.where(canary, "canary", "control"),
            "request_id": [f"r{i:06d}" for i in range(n)],
            "ttft_ms": rng.lognormal(6, 0.3, n) + ttft_shift * canary,
            "latency_ms": rng.lognormal(7, 0.3, n),
            "error": rng.random(n) < 0.02,
            "judge_passed": rng.random(n) < 0.85,
            "sme_passed": pd.array([None] * n, dtype="boolean"),
            "sme_flag": pd.array([None] * n, dtype="boolean"),
            "cost_usd": rng.lognormal(-6, 0.3, n),
        }
    )


def test_every_check_is_reported_in_order_with_its_share_of_alpha():
    found = checks.run_checks(traffic(2000), LIMITS, alpha=0.05)
    assert [c.name for c in found] == list(checks.CHECKS)
    assert all(c.alpha == pytest.approx(0.005) for c in found)
    assert json.loads(json.dumps([c.to_dict() for c in found]))[0]["name"] == "quality_judge"
    units = {c.name: c.unit for c in found}
    assert units["quality_judge"] == "pp" and units["ttft_p90"] == "ms"
    assert units["error_rate"] == "ratio" and units["cost_per_request"] == "ratio"


def test_quality_is_the_difference_of_each_arms_betting_sequence_at_half_the_share():
    frame = traffic(1500, seed=1)
    found = {c.name: c for c in checks.run_checks(frame, LIMITS)}
    canary = frame.loc[frame.arm == "canary", "judge_passed"].to_numpy(float)
    control = frame.loc[frame.arm == "control", "judge_passed"].to_numpy(float)
    a = sequences.betting_cs(canary, 0.0025).last()
    b = sequences.betting_cs(control, 0.0025).last()
    q = found["quality_judge"]
    assert q.estimate == pytest.approx(100 * (a.estimate - b.estimate))
    assert q.low == pytest.approx(100 * (a.low - b.high))
    assert q.high == pytest.approx(100 * (a.high - b.low))
    assert q.mde == pytest.approx((q.high - q.low) / 2)
    assert (q.n_canary, q.n_control) == (len(canary), len(control))


def test_missing_sme_labels_read_inconclusive_with_no_interval():
    found = {c.name: c for c in checks.run_checks(traffic(500), LIMITS)}
    for name in ("quality_sme", "sme_flags"):
        assert found[name].status == "inconclusive"
        assert found[name].low is None and found[name].n_canary == 0


def test_a_large_ttft_regression_crosses_and_a_sound_canary_reads_within():
    crossed = {c.name: c for c in checks.run_checks(traffic(4000, ttft_shift=600), LIMITS)}
    assert crossed["ttft_p90"].status == "crossed"
    assert crossed["ttft_p90"].low > 250
    sound = {c.name: c for c in checks.run_checks(traffic(4000), LIMITS)}
    assert sound["ttft_p90"].status == "within"
    assert sound["traffic_split"].status == "within"


def test_a_broken_split_crosses():
    frame = traffic(6000, share=0.4)
    found = {c.name: c for c in checks.run_checks(frame, LIMITS)}
    assert found["traffic_split"].status == "crossed"
    assert found["traffic_split"].high < 0.5


def test_cost_against_a_projection_is_the_canarys_mean_in_dollars():
    limits = checks.CanaryLimits(**{**LIMITS.to_dict(), "projected_cost_per_request": 0.001})
    frame = traffic(2000, seed=2)
    cost = {c.name: c for c in checks.run_checks(frame, limits)}["cost_per_request"]
    canary = frame.loc[frame.arm == "canary", "cost_usd"].to_numpy()
    ref = sequences.asymptotic_cs(canary, 0.005).last()
    assert cost.unit == "usd" and cost.limit == pytest.approx(0.0011)
    assert (cost.estimate, cost.low, cost.high) == pytest.approx(tuple(ref))
    assert cost.status == "crossed"  # lognormal(-6, 0.3) has mean 0.00259, far above 0.0011


def test_sme_flags_without_control_review_are_counted_exactly():
    frame = traffic(400, seed=3)
    flags = np.where(frame.arm == "canary", np.arange(400) % 50 == 0, None)
    frame["sme_flag"] = pd.array(flags, dtype="boolean")
    frame.loc[frame.arm == "control", "sme_flag"] = pd.NA
    flag = {c.name: c for c in checks.run_checks(frame, LIMITS)}["sme_flags"]
    expected = int(((frame.arm == "canary") & (np.arange(400) % 50 == 0)).sum())
    assert flag.estimate == flag.low == flag.high == expected
    assert flag.status == ("crossed" if expected > 0 else "within")


def test_history_has_a_row_per_look_and_check_and_ends_at_run_checks():
    frame = traffic(1000, seed=4)
    history = checks.check_history(frame, LIMITS, looks=20)
    assert len(history) == 20 * len(checks.CHECKS)
    assert list(history.columns[:6]) == ["look", "ts", "name", "estimate", "low", "high"]
    last = history[history.look == 20].set_index("name")
    for c in checks.run_checks(frame, LIMITS):
        assert last.loc[c.name, "status"] == c.status
        if c.low is not None:
            assert last.loc[c.name, "low"] == pytest.approx(c.low)


def test_empty_traffic_gives_an_empty_history_and_inconclusive_checks():
    empty = traffic(0)
    assert checks.check_history(empty, LIMITS).empty
    assert {c.status for c in checks.run_checks(empty, LIMITS)} == {"inconclusive"}
