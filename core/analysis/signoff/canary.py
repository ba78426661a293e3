"""The canary plan: traffic stages with success checks and rollback triggers derived from the
sign-off criteria and the source's measured figures."""

from __future__ import annotations

from dataclasses import dataclass

from core.analysis import compare
from core.formatting import money, ms, pct
from core.types import finite


@dataclass(frozen=True)
class CanaryStage:
    stage: int
    traffic_pct: float
    duration: str
    success: list[str]
    rollback_triggers: list[str]
    rollback: str = "route all traffic back to the source model"
    next: str = "advance when every success check holds"
    # Where the stage's verdicts are kept, each with the hash of its inputs.
    history: str = "the Canary page; `python -m core canary status --migration ID`"

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def canary_plan(
    crit: dict,
    quality: dict[str, compare.QualityResult],
    speed: compare.SpeedResult,
    cost: compare.CostResult,
    migration_id: str = "ID",
) -> list[CanaryStage]:
    """Stages with success criteria and rollback triggers derived from the sign-off criteria
    and the measured source figures, each pointing to its verdict history."""
    checks, triggers = _checks(crit, quality, speed, cost)
    history = (
        f"the Canary page; `python -m core canary status --migration {migration_id}` "
        "(each stage's verdicts, stored with their inputs' hash)"
    )
    stages = []
    for number, (share, low, high) in enumerate(crit["canary_stages"], start=1):
        if share >= 100:
            stages.append(
                CanaryStage(
                    number,
                    share,
                    "until the next review",
                    checks,
                    triggers,
                    next="done",
                    history=history,
                )
            )
        else:
            duration = f"{low:.0f}–{high:.0f} h"
            stages.append(CanaryStage(number, share, duration, checks, triggers, history=history))
    return stages


def _checks(
    crit: dict,
    quality: dict[str, compare.QualityResult],
    speed: compare.SpeedResult,
    cost: compare.CostResult,
) -> tuple[list[str], list[str]]:
    """(success checks, rollback triggers) shared by every stage."""
    margin = crit["quality_margin"]
    checks, triggers = [], []
    for metric, result in quality.items():
        rate = result.source_pass_rate
        if not result.items or rate is None:
            continue
        floor_rate = rate.estimate * (1 - margin)
        checks.append(f"judge pass rate on {metric} ≥ {pct(floor_rate)}")
        triggers.append(
            f"quality: {metric} pass rate below {pct(floor_rate)} (source × {1 - margin:.2f})"
            " over the stage's judged sample"
        )
    for row in speed.ttft:
        src = finite(row.source_ms.estimate)
        if row.percentile in ("p50", "p90") and src is not None:
            limit = src + max(src * crit["ttft_increase_pct"] / 100, crit["ttft_increase_ms"])
            checks.append(f"TTFT {row.percentile} ≤ {ms(limit)}")
            triggers.append(f"latency: TTFT {row.percentile} above {ms(limit)} for 30 min")
    allowed = int(crit.get("canary_sme_flag_limit", 0))  # the canary's sme_flags check: a count
    triggers.append(
        "safety: "
        + ("any" if allowed == 0 else f"more than {allowed}")
        + " SME-flagged hallucination or safety flag on canary traffic (flags on the source's"
        " traffic do not count)"
    )
    target = cost.target
    if target and target.per_query:
        ceiling = target.per_query * 1.10
        shown = money(ceiling, target.currency)
        checks.append(f"cost per query ≤ {shown}")
        triggers.append(f"cost: cost per query above {shown} (10% over the projection)")
    return checks, triggers
