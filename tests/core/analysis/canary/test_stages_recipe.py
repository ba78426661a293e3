"""The routing recipe per stage (LiteLLM router config, plain weights) and the rollback drill."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pandas as pd
import pytest
import yaml

from core.analysis.canary import drill, recipe
from core.catalog.migrations import DEFAULT_CRITERIA
from core.errors import InputError

SOURCE = "anthropic.claude-3-5-sonnet-20241022-v2:0"
TARGET = "amazon.nova-pro-v1:0"
T0 = datetime(2026, 11, 2, 12, 0)


def test_litellm_config_has_two_weighted_deployments_under_one_model_name():
    stage2 = recipe.recipe("mig-1", DEFAULT_CRITERIA, 2, SOURCE, TARGET)
    config = yaml.safe_load(recipe.render(stage2, "litellm"))
    # LiteLLM's simple-shuffle picks by litellm_params.weight (router_strategy/simple_shuffle.py).
    assert config["router_settings"] == {"routing_strategy": "simple-shuffle"}
    deployments = config["model_list"]
    assert {d["model_name"] for d in deployments} == {"mig-1"}
    assert [(d["litellm_params"]["model"], d["litellm_params"]["weight"]) for d in deployments] == [
        (f"bedrock/{SOURCE}", 75),  # stage 2 of the defaults routes 25% to the target
        (f"bedrock/{TARGET}", 25),
    ]
    assert stage2.filename("litellm") == "mig-1-stage2.yaml"


def test_rollback_recipe_gives_the_canary_weight_zero_and_leaves_it_out_of_litellm():
    back = recipe.recipe("mig-1", DEFAULT_CRITERIA, 2, SOURCE, TARGET, rollback=True)
    body = json.loads(recipe.render(back, "json"))
    assert body["rollback"] is True
    assert body["variations"] == [
        {"arm": "control", "model": SOURCE, "weight": 100},
        {"arm": "canary", "model": TARGET, "weight": 0},
    ]
    # LiteLLM: the source alone; with a weight-0 canary left in the group, simple-shuffle would
    # pick among zero total weight whenever the source is cooling down (random.choices fails).
    deployments = [
        (d["litellm_params"]["model"], d["litellm_params"]["weight"])
        for d in yaml.safe_load(recipe.litellm_config(back))["model_list"]
    ]
    assert deployments == [(f"bedrock/{SOURCE}", 100)]
    assert back.filename("json") == "mig-1-rollback.json"


def test_each_deployment_takes_its_model_provider():
    mixed = recipe.recipe(
        "mig-1", DEFAULT_CRITERIA, 1, "gpt-4o", TARGET, providers=("openai", "bedrock")
    )
    models = [
        d["litellm_params"]["model"]
        for d in yaml.safe_load(recipe.render(mixed, "litellm"))["model_list"]
    ]
    assert models == ["openai/gpt-4o", f"bedrock/{TARGET}"]


def test_a_stage_outside_the_criteria_is_refused():
    with pytest.raises(InputError, match="stage 4 is not one of the migration's stages 1 to 3"):
        recipe.recipe("mig-1", DEFAULT_CRITERIA, 4, SOURCE, TARGET)


def traffic(minutes: list[float], arms: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"ts": [T0 + timedelta(minutes=m) for m in minutes], "arm": arms})


def test_drill_passes_when_the_canary_share_falls_to_zero_after_the_window():
    # 60 requests after the 15-minute window, none to the canary; the last canary at +4 min.
    before = traffic([-5, -3, 1, 4], ["canary", "control", "canary", "canary"])
    after = traffic([16 + i * 0.5 for i in range(60)], ["control"] * 60)
    result = drill.drill(pd.concat([before, after]), T0, T0 + timedelta(hours=2))
    assert result.status == "passed"
    assert (result.requests_after, result.canary_after, result.share_after) == (60, 0, 0.0)
    assert result.last_canary_at == T0 + timedelta(minutes=4)
    assert "fell to 0.0% (0 of 60 requests)" in result.why
    assert "the last canary request came 4.0 min after it" in result.why


def test_drill_fails_when_the_canary_still_takes_traffic():
    arms = ["canary" if i % 4 == 0 else "control" for i in range(80)]
    result = drill.drill(traffic([20 + i for i in range(80)], arms), T0, T0 + timedelta(hours=3))
    assert result.status == "failed"
    assert result.share_after == pytest.approx(20 / 80)
    assert "is still 25.0% (20 of 80 requests)" in result.why


def test_drill_is_pending_while_the_window_is_open_or_traffic_is_thin():
    open_window = drill.drill(traffic([2], ["control"]), T0, T0 + timedelta(minutes=5))
    assert open_window.status == "pending"
    assert "window after the rollback is still open" in open_window.why
    thin = drill.drill(traffic([20, 21], ["control"] * 2), T0, T0 + timedelta(hours=1))
    assert thin.status == "pending"
    assert thin.why.startswith("2 of the 50 requests needed")
