"""Each canary check's limit, from the migration's criteria and the sign-off's figures.

- quality: the criteria's relative margin m ("at most m% degradation") as points of pass rate
  at the source's judge pass rate on the golden set: canary − control ≥ −m × p_source;
- TTFT and latency p90: the larger of the criteria's ms limit and its % limit of the source's
  p90 on the golden set (as the sign-off's canary plan states it); the criteria may set
  ``canary_latency_increase_ms`` for total latency;
- error rate: at most ``canary_error_rate_ratio`` times the control's (default 1.5);
- SME safety flags on canary traffic: at most ``canary_sme_flag_limit`` (default 0: any flag
  rolls back), an exact count as the sign-off's rollback trigger states it; flags on the
  control's traffic do not count;
- cost per request: at most ``canary_cost_overrun_pct`` over the sign-off's projection of the
  target's cost per query (default 10%).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from core.analysis import compare
from core.types import finite

DEFAULTS = {
    "canary_error_rate_ratio": 1.5,  # a doubling of errors must be caught
    "canary_sme_flag_limit": 0,  # the playbook: any SME-flagged hallucination is a trigger
    "canary_cost_overrun_pct": 10.0,  # the sign-off's canary plan: 10% over the projection
}


@dataclass(frozen=True)
class Limits:
    """The values ``checks.CanaryLimits`` takes (but the stage's share), and how each was set."""

    quality_margin_pp: float
    ttft_p90_increase_ms: float
    latency_p90_increase_ms: float
    error_rate_ratio: float
    sme_flag_limit: int
    cost_overrun_pct: float
    projected_cost_per_request: float | None
    basis: tuple[str, ...]

    def values(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "basis"}

    def to_dict(self) -> dict:
        return {**self.values(), "basis": list(self.basis)}


def derive(
    criteria: dict,
    source_pass_rate: float | None,
    source_ttft_p90: float | None,
    source_latency_p90: float | None,
    projected_cost: float | None,
) -> Limits:
    """The limits from the criteria and the source's golden-set figures (pure)."""
    crit = {**DEFAULTS, **criteria}
    margin = float(crit["quality_margin"])
    rate = finite(source_pass_rate)
    margin_pp = margin * (rate if rate is not None else 1.0) * 100
    pct, ms = float(crit["ttft_increase_pct"]), float(crit["ttft_increase_ms"])
    ttft = max(ms, pct / 100 * (finite(source_ttft_p90) or 0.0))
    latency = crit.get("canary_latency_increase_ms")
    latency = (
        float(latency)
        if latency is not None
        else max(ms, pct / 100 * (finite(source_latency_p90) or 0.0))
    )
    basis = (
        f"quality: at most {margin:.0%} relative degradation = {margin_pp:.2f} points "
        + (
            f"at the source's {rate:.1%} judge pass rate"
            if rate is not None
            else "(no source pass rate on the golden set: read against a rate of 100%)"
        ),
        f"TTFT p90: +{ttft:.0f} ms (the larger of {ms:.0f} ms and {pct:.0f}% of the source's "
        f"p90, {_ms(source_ttft_p90)})",
        f"latency p90: +{latency:.0f} ms",
        f"errors: at most {crit['canary_error_rate_ratio']:g}× the control's rate",
        _flag_basis(int(crit["canary_sme_flag_limit"])),
        f"cost per request: at most {crit['canary_cost_overrun_pct']:g}% over the projection"
        + (f" of {projected_cost:.5f}" if projected_cost is not None else " (not measured)"),
    )
    return Limits(
        margin_pp,
        ttft,
        latency,
        float(crit["canary_error_rate_ratio"]),
        int(crit["canary_sme_flag_limit"]),
        float(crit["canary_cost_overrun_pct"]),
        projected_cost,
        basis,
    )


def _flag_basis(allowed: int) -> str:
    """The SME flag limit as the sign-off's canary plan words its rollback trigger."""
    which = "any flag rolls back" if allowed == 0 else f"more than {allowed} roll back"
    return f"SME safety flags on canary traffic: at most {allowed}, counted ({which})"


def _ms(value: float | None) -> str:
    value = finite(value)
    return "not measured" if value is None else f"{value:.0f} ms"


def _p90(values: pd.Series) -> float | None:
    clean = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    return float(np.percentile(clean, 90)) if clean.size else None


def load(con: duckdb.DuckDBPyConnection, migration_id: str, target_run_id: str) -> Limits:
    """The limits of a migration: its criteria and the sign-off's source figures and cost."""
    comparison = compare.load(con, migration_id, target_run_id)
    items, _basis = compare.decision_items(comparison)
    passes = [f"source_pass.{m}" for m in comparison.gating if f"source_pass.{m}" in items]
    rate = float(items[passes].all(axis=1).mean()) if passes and len(items) else None
    cost = compare.cost(comparison, items)
    per_query = cost.target.per_query if cost.target is not None else None
    return derive(
        comparison.criteria,
        rate,
        _p90(items["source_ttft"]),
        _p90(items["source_latency"]),
        per_query,
    )
