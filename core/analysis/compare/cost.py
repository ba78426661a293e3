"""Cost: tokens × price + retrieval per query, per successful answer, per month, and the
return on the migration's one-off cost."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from core.analysis.compare.evidence import SIDES, Comparison
from core.analysis.compare.results import MEASURED, NOT_MEASURED, CostResult, Roi, RunCost
from core.analysis.compare.speed import run_command
from core.analysis.paired import Bootstrap, resampled_mean
from core.types import RESAMPLES


def cost(
    comparison: Comparison,
    items: pd.DataFrame,
    boot: Bootstrap | None = None,
    seed: int = 0,
) -> CostResult:
    """Per-query cost of both runs (tokens × price + retrieval), cost per successful answer,
    totals, the monthly projection at the stated volume, and the ROI of the migration.

    A run without token counts, or whose model has no price, leaves its cost NOT MEASURED
    (``status``, ``unmeasured``, ``next_step``; its figures None, never zero) and no ROI."""
    boot = boot or Bootstrap(len(items), RESAMPLES, seed)
    catalog = comparison.prices.set_index("model_id")
    missing, unmeasured = [], {}  # unmeasured: side -> what would measure its cost
    runs: dict[str, RunCost | None] = dict.fromkeys(SIDES)
    per_query: dict[str, np.ndarray] = {}
    for side in SIDES:
        model_id = comparison.models[side]
        if model_id not in catalog.index:
            missing.append(model_id)
            unmeasured[side] = (
                f"{model_id} has no price: add one with `python -m core price {model_id} "
                "--input X --output Y` (per 1K tokens) or on the Compare page; a new"
                " database loads the shipped Bedrock list prices with `python -m core init`"
            )
            continue
        why = _no_tokens(comparison, items, side)
        spend = None if why else _spend(items, side, catalog.loc[model_id])
        if why:
            unmeasured[side] = why
        elif spend is not None:
            per_query[side] = spend
        runs[side] = _run_cost(
            model_id,
            catalog.loc[model_id],
            spend,
            items[f"{side}_pass"],
            comparison.criteria["monthly_queries"],
        )
    result = CostResult(
        items=len(items),
        status=NOT_MEASURED if unmeasured else MEASURED,
        missing_prices=missing,
        unmeasured=list(unmeasured),
        next_step="; ".join(unmeasured.values()) if unmeasured else None,
        source=runs["source"],
        target=runs["target"],
    )
    if len(per_query) < 2 or len(items) == 0:
        return result
    currencies = {run.currency for run in runs.values() if run is not None}
    if len(currencies) > 1:
        error = f"prices are in different currencies: {sorted(currencies)}"
        return replace(result, roi_error=error)
    roi = _roi(per_query["source"] - per_query["target"], comparison.criteria, boot)
    return replace(result, roi=roi)


def _no_tokens(comparison: Comparison, items: pd.DataFrame, side: str) -> str | None:
    """What would measure the run's cost when it has no token counts (None: it has them)."""
    lacking = [
        column
        for column in ("input_tokens", "output_tokens")
        if len(items) and items[f"{side}_{column}"].isna().all()
    ]
    if not lacking:
        return None
    run = f"the {side} run {comparison.runs[side]} ({comparison.models[side]})"
    return (
        f"{run} has no token counts ({', '.join(lacking)}): run the model with "
        f"Switchyard's runner, which records them "
        f"({run_command(comparison.items, side)}), or import the run again from a "
        "file with input_tokens and output_tokens columns"
    )


def _spend(items: pd.DataFrame, side: str, price: pd.Series) -> np.ndarray:
    """Cost per item: tokens × price per 1K, plus retrieval."""
    return (
        items[f"{side}_input_tokens"].fillna(0).to_numpy(dtype=float) * price.input_per_1k
        + items[f"{side}_output_tokens"].fillna(0).to_numpy(dtype=float) * price.output_per_1k
    ) / 1000 + items[f"{side}_retrieval_cost"].to_numpy(dtype=float)


def _run_cost(
    model_id: str, price, spend: np.ndarray | None, passed: pd.Series, monthly_queries: int
) -> RunCost:
    """One run's figures at ``price``; ``spend`` per item, None without token counts."""
    successes = int(passed.sum())
    per_query = total = per_success = monthly = None
    if spend is not None:
        total = float(spend.sum())
        per_success = total / successes if successes else None
        if len(spend):
            per_query = float(spend.mean())
            monthly = per_query * monthly_queries
    return RunCost(
        model_id=model_id,
        currency=price.currency,
        input_per_1k=float(price.input_per_1k),
        output_per_1k=float(price.output_per_1k),
        price_effective=str(price.effective_date)[:10],
        status=MEASURED if spend is not None else NOT_MEASURED,
        per_query=per_query,
        total=total,
        successful_answers=successes,
        per_successful_answer=per_success,
        monthly=monthly,
    )


def _roi(saving: np.ndarray, criteria: dict, boot: Bootstrap) -> Roi:
    """Monthly saving at the stated volume against the one-off cost: days to break even."""
    per_query_saving = boot.bounds(resampled_mean(saving), float(saving.mean()))
    monthly = per_query_saving.estimate * criteria["monthly_queries"]
    one_off = (
        criteria["engineering_days"] * criteria["engineering_day_rate"]
        + criteria["sme_hours"] * criteria["sme_hour_rate"]
    )
    if monthly > 0:
        days = one_off / (monthly / 30)
    else:
        days = 0.0 if one_off == 0 and monthly == 0 else math.inf
    return Roi(
        saving_per_query=per_query_saving,
        monthly_queries=criteria["monthly_queries"],
        monthly_saving=monthly,
        one_off_cost=one_off,
        break_even_days=None if math.isinf(days) else days,
        inputs_entered=bool(criteria.get("cost_inputs_entered")),
    )
