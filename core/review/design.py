"""The design of a stratified review sample, without the database: n_h per stratum and the draw.

Stratum h of N_h items gets n_h = min(N_h, max(minimum, ceil(rate × N_h))) items by simple
random sampling, so each of its items has inclusion probability n_h / N_h.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from core.errors import InputError
from core.types import Pool, Split


@dataclass(frozen=True)
class SampleParams:
    """How to draw: rates per pool, the minimum per stratum, the seed, and the options."""

    fail_rate: float = 0.10
    pass_rate: float = 0.02
    minimum: int = 5  # per stratum (capped at its size)
    seed: int = 0
    metric: str | None = None  # None: any gating metric failed
    regressions: bool = True  # every target-failed/source-passed item, as its own pool
    overlap_share: float = 0.0  # share of sampled items reviewed by k SMEs
    overlap_k: int = 1
    split: Split | None = None  # None: all items
    reviewers: tuple[str, ...] = field(default_factory=tuple)

    def rate(self, pool: Pool) -> float:
        return {"fail": self.fail_rate, "pass": self.pass_rate, "regression": 1.0}[pool]

    def check(self) -> None:
        for name in ("fail_rate", "pass_rate", "overlap_share"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise InputError("sample", f"{name} must be between 0 and 1, got {value!r}")
        if self.minimum < 0 or self.overlap_k < 1:
            raise InputError("sample", "minimum must be ≥ 0 and overlap_k ≥ 1")
        if self.overlap_share > 0 and self.overlap_k > max(1, len(self.reviewers)):
            raise InputError(
                "sample",
                f"{self.overlap_k} reviewers per item need at least "
                f"{self.overlap_k} SMEs, got {len(self.reviewers)}",
            )


@dataclass(frozen=True)
class StratumPlan:
    stratum: str
    pool: Pool
    size: int  # N_h
    take: int  # n_h
    probability: float


@dataclass(frozen=True)
class Plan:
    strata: list[StratumPlan]
    frame: int  # items in the frame
    excluded: int  # items left out because they are open in another sample

    @property
    def total(self) -> int:
        return sum(s.take for s in self.strata)


def stratum_take(size: int, rate: float, minimum: int) -> int:
    if size == 0:
        return 0
    return min(size, max(minimum, math.ceil(rate * size - 1e-9)))


def plan_strata(items: list[tuple[str, str, Pool]], excluded: int, params: SampleParams) -> Plan:
    """n_h and n_h / N_h for each (stratum, pool) of the frame."""
    sizes: dict[tuple[str, Pool], int] = {}
    for _, stratum, pool in items:
        sizes[(stratum, pool)] = sizes.get((stratum, pool), 0) + 1
    strata = []
    for (stratum, pool), size in sorted(sizes.items()):
        take = stratum_take(size, params.rate(pool), params.minimum)
        strata.append(StratumPlan(stratum, pool, size, take, take / size))
    return Plan(strata, len(items), excluded)


def draw(
    items: list[tuple[str, str, Pool]], design: Plan, rng: np.random.Generator
) -> list[tuple[str, StratumPlan]]:
    """n_h items of each stratum by simple random sampling, in item order within it."""
    by_stratum: dict[tuple[str, Pool], list[str]] = {}
    for item_id, stratum, pool in items:
        by_stratum.setdefault((stratum, pool), []).append(item_id)
    chosen: list[tuple[str, StratumPlan]] = []
    for s in design.strata:
        members = by_stratum[(s.stratum, s.pool)]
        picks = rng.choice(len(members), size=s.take, replace=False)
        chosen += [(members[i], s) for i in sorted(picks)]
    return chosen


def overlap_items(
    chosen: list[tuple[str, StratumPlan]], params: SampleParams, rng: np.random.Generator
) -> set[str]:
    """The items that k SMEs review (a share of the sample, drawn at random)."""
    if params.overlap_share <= 0 or params.overlap_k <= 1:
        return set()
    count = math.ceil(params.overlap_share * len(chosen))
    return {chosen[i][0] for i in rng.choice(len(chosen), size=count, replace=False)}
