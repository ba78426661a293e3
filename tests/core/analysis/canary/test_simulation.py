"""The issue's simulation tests, at sizes CI can afford (bench/canary_power.py runs them large).

A simulated canary is read after every batch (50 looks); it is ROLLED BACK at the first look
where any of the ten checks reads "crossed". The limits sit on the no-harm line, where A/A
traffic lies: the hardest case for false alarms (bench/canary_power.py's docstring).
"""

from __future__ import annotations

import pytest

from bench.canary_power import BATCH, EFFECTS, scenario


def test_aa_traffic_rarely_rolls_back_where_a_naive_repeated_test_often_does():
    result = scenario(canaries=40, looks=50, batch=40, effect=None, seed=1)
    # alpha = 0.05 over all ten checks and all 50 looks: at most 2 of 40 canaries (5%)
    assert result["false_roll_back"] <= 0.05
    # the same data read with fixed-n 95% intervals at each look, seven checks: far above 5%
    assert result["naive_false_roll_back"] >= 0.20
    assert result["naive_false_roll_back"] >= 4 * max(result["false_roll_back"], 0.05)


@pytest.mark.slow
@pytest.mark.timeout(1500)  # about 5 minutes of one core: 500 canaries x 50 looks x 10 checks
def test_aa_false_roll_back_rate_over_500_canaries_is_at_most_five_percent():
    result = scenario(canaries=500, looks=50, batch=40, effect=None, seed=2)
    assert result["false_roll_back"] <= 0.05
    assert result["naive_false_roll_back"] >= 0.20


@pytest.mark.parametrize("effect", list(EFFECTS))
def test_each_injected_regression_is_caught_by_its_own_check(effect):
    result = scenario(canaries=2, looks=50, batch=BATCH[effect], effect=effect, seed=3)
    assert result["power"] == 1.0
    assert result["median_looks_to_detect"] <= 50
