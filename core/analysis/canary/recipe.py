"""The routing recipe of each stage, and its rollback: what to give the router.

- A LiteLLM router configuration (``config.yaml`` of the proxy, or ``Router(model_list=...)``):
  two deployments under one ``model_name``, the source and the target, each with its
  ``litellm_params.weight``. LiteLLM's default ``simple-shuffle`` strategy picks a deployment
  at random in proportion to ``weight`` (litellm/router_strategy/simple_shuffle.py), so the
  weights are the stage's traffic split in percent.
- A plain JSON weights file for feature-flag systems: both arms, their model ids and weights.
- The rollback: the JSON file with the canary's weight 0; the LiteLLM config with the source's
  deployment alone (a weight-0 deployment left in the group is all simple-shuffle could pick if
  the source were cooling down, and a zero total weight makes it fail).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import yaml

from core.errors import InputError

Format = Literal["litellm", "json"]
FORMATS: tuple[Format, ...] = ("litellm", "json")


@dataclass(frozen=True)
class Recipe:
    migration_id: str
    stage: int
    rollback: bool
    model_name: str  # what the application asks the router for
    control_model: str
    canary_model: str
    canary_weight: int  # percent
    providers: tuple[str, str] = ("bedrock", "bedrock")  # LiteLLM prefixes: control, canary

    @property
    def control_weight(self) -> int:
        return 100 - self.canary_weight

    def filename(self, fmt: Format) -> str:
        what = "rollback" if self.rollback else f"stage{self.stage}"
        return f"{self.migration_id}-{what}.{'yaml' if fmt == 'litellm' else 'json'}"

    def to_dict(self) -> dict:
        return {**self.__dict__, "control_weight": self.control_weight}


def recipe(
    migration_id: str,
    criteria: dict,
    stage: int,
    control_model: str,
    canary_model: str,
    rollback: bool = False,
    providers: tuple[str, str] = ("bedrock", "bedrock"),
) -> Recipe:
    """The routing of ``stage`` (1-based), or its rollback (canary weight 0)."""
    stages = criteria["canary_stages"]
    if not 1 <= stage <= len(stages):
        raise InputError(
            "stage", f"stage {stage} is not one of the migration's stages 1 to {len(stages)}"
        )
    share = 0 if rollback else round(float(stages[stage - 1][0]))
    return Recipe(
        migration_id, stage, rollback, migration_id, control_model, canary_model, share, providers
    )


def _deployment(recipe: Recipe, model: str, weight: int, arm: str) -> dict:
    provider = recipe.providers[0 if arm == "control" else 1]
    return {
        "model_name": recipe.model_name,
        "litellm_params": {"model": f"{provider}/{model}", "weight": weight},
        "model_info": {"id": f"{recipe.migration_id}-{arm}"},
    }


def litellm_config(recipe: Recipe) -> str:
    """The LiteLLM router configuration as YAML."""
    config = {
        "model_list": [
            _deployment(recipe, recipe.control_model, recipe.control_weight, "control"),
            *(
                []
                if recipe.rollback
                else [_deployment(recipe, recipe.canary_model, recipe.canary_weight, "canary")]
            ),
        ],
        "router_settings": {"routing_strategy": "simple-shuffle"},
    }
    what = "rollback: all traffic on the source" if recipe.rollback else f"stage {recipe.stage}"
    header = (
        f"# Switchyard canary {recipe.migration_id}, {what}: "
        f"{recipe.canary_weight}% to {recipe.canary_model}\n"
    )
    return header + yaml.safe_dump(config, sort_keys=False)


def weights_json(recipe: Recipe) -> str:
    """The plain weights file: each arm's model and weight in percent."""
    body = {
        "migration_id": recipe.migration_id,
        "stage": recipe.stage,
        "rollback": recipe.rollback,
        "model_name": recipe.model_name,
        "variations": [
            {"arm": "control", "model": recipe.control_model, "weight": recipe.control_weight},
            {"arm": "canary", "model": recipe.canary_model, "weight": recipe.canary_weight},
        ],
    }
    return json.dumps(body, indent=2) + "\n"


def render(recipe: Recipe, fmt: Format) -> str:
    """The recipe in one of FORMATS."""
    if fmt == "litellm":
        return litellm_config(recipe)
    if fmt == "json":
        return weights_json(recipe)
    raise InputError("format", f"unknown recipe format {fmt!r}: choose one of {list(FORMATS)}")
