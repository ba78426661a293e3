"""Selections of a comparison's items, the items behind a figure, and every figure at once."""

from __future__ import annotations

import pandas as pd

from core.analysis.compare.cost import cost
from core.analysis.compare.evidence import Comparison, why_not_gating
from core.analysis.compare.quality import quality, quality_by_stratum, sme_corrected
from core.analysis.compare.results import Figures, Ungated
from core.analysis.compare.speed import speed
from core.analysis.paired import Bootstrap
from core.types import RESAMPLES

BEHIND = (
    "regressions (source passed, target failed)",
    "improvements (source failed, target passed)",
    "both failed",
    "target errors",
    "largest TTFT increase",
)


def select(
    comparison: Comparison, stratum: str | None = None, split: str | None = None
) -> pd.DataFrame:
    """The items of one stratum and/or split (None: all)."""
    items = comparison.items
    if stratum:
        items = items[items["stratum"] == stratum]
    if split:
        items = items[items["split"] == split]
    return items


def decision_items(comparison: Comparison) -> tuple[pd.DataFrame, str]:
    """The items sign-off decides on: the holdout split where it exists, else all."""
    holdout = comparison.items[comparison.items["split"] == "holdout"]
    if len(holdout):
        return holdout, "holdout"
    return comparison.items, "all items"


def bootstrap_for(items: pd.DataFrame, seed: int = 0) -> Bootstrap:
    return Bootstrap(len(items), RESAMPLES, seed)


def ungated(comparison: Comparison) -> list[Ungated]:
    """Metrics on both runs that do not gate, and why (for the pages and reports)."""
    return [
        Ungated(
            metric,
            why_not_gating(metric, comparison.runs, comparison.directions)
            or "not among the migration's gating metrics",
        )
        for metric in comparison.metrics
        if metric not in comparison.gating
    ]


def figures(comparison: Comparison, items: pd.DataFrame, seed: int = 0) -> Figures:
    """Every figure of ``items`` (a selection of the comparison), all on one bootstrap."""
    boot = bootstrap_for(items, seed)
    margin = comparison.criteria["quality_margin"]
    return Figures(
        items=len(items),
        quality={m: quality(items, m, margin, boot) for m in comparison.metrics},
        by_stratum={m: quality_by_stratum(items, m, margin, seed) for m in comparison.metrics},
        sme_corrected={m: sme_corrected(comparison, m, items) for m in comparison.metrics},
        speed=speed(items, boot),
        cost=cost(comparison, items, boot),
        ungated=ungated(comparison),
    )


def items_behind(items: pd.DataFrame, kind: str, metric: str | None = None) -> pd.DataFrame:
    """The items behind a figure: a pass/fail cell of one metric (None: all gating metrics),
    the target's errors, or the largest TTFT increases."""
    col = f"pass.{metric}" if metric else "pass"
    src, tgt = items[f"source_{col}"], items[f"target_{col}"]
    if kind == BEHIND[0]:
        picked = items[src & ~tgt]
    elif kind == BEHIND[1]:
        picked = items[~src & tgt]
    elif kind == BEHIND[2]:
        picked = items[~src & ~tgt]
    elif kind == BEHIND[3]:
        picked = items[items["target_error"].notna() | items["target_missing"]]
    elif kind == BEHIND[4]:
        increase = items["target_ttft"] - items["source_ttft"]
        picked = items.assign(_inc=increase).dropna(subset=["_inc"]).nlargest(50, "_inc")
    else:
        raise ValueError(f"unknown kind {kind!r}")
    shown = picked.assign(ttft_increase_ms=(picked["target_ttft"] - picked["source_ttft"]).round(1))
    columns = [
        "item_id",
        "stratum",
        "split",
        "source_ttft",
        "target_ttft",
        "ttft_increase_ms",
        "target_error",
    ]
    if metric:
        columns[3:3] = [f"source_score.{metric}", f"target_score.{metric}"]
    return shown[columns].reset_index(drop=True)
