"""Sample-size planning: how many SME labels a target 95% interval half-width needs, per stratum.

Two figures decide a migration from an SME sample: the population's SME pass rate and Cohen's κ
between the judge and the SMEs. Both are planned for the estimators the analyses use on the
sample's own design: strata are (dataset stratum, pool), the pool is the judge's verdict, and
each label stands for N_h / n_h items.

Pass rate (Cochran 1977, Sampling Techniques, 3rd ed., ch. 5): with S_h² = N_h/(N_h − 1)·P_h·Q_h,
V(p_st) = Σ W_h² S_h² (1/n_h − 1/N_h); Neyman allocation n_h ∝ N_h S_h needs
n = (Σ W_h S_h)² / (V + Σ W_h S_h² / N) labels for a variance V (§5.5, §5.9).

κ: the large-sample variance of Cohen's κ (Fleiss, Cohen & Everitt 1969), the variance Flack et
al. (1988) and Cantor (1996) plan with, written as κ's influence value z per item (the delta
method). Within a stratum the judge's verdict is fixed, so z takes two values, SME pass or fail,
and S_h = |z_pass − z_fail|·sqrt(N_h/(N_h − 1)·P_h·Q_h); the same allocation then plans κ.

P_h, the expected SME pass rate of stratum h, is its pool's prior: one for the items the judge
failed (pools fail and regression), one for those it passed. In a comparison sample the fail
pool holds items either run failed, so for one run's κ the pool stands in for that run's verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from statistics import NormalDist

import duckdb
import numpy as np

from core.errors import InputError, NotFoundError
from core.review.design import Plan, SampleParams, stratum_take
from core.types import PASS_SCORE, Pool

Z95 = NormalDist().inv_cdf(0.975)
MIN_LABELS = 2  # per stratum: its variance s_h² needs two labels


@dataclass(frozen=True)
class Stratum:
    """One design stratum: N_h items, how many a sample drew and how many carry a label."""

    stratum: str
    pool: Pool
    size: int
    drawn: int = 0
    labelled: int = 0

    @property
    def name(self) -> str:
        return f"{self.stratum}/{self.pool}"


@dataclass(frozen=True)
class Priors:
    """Expected SME pass rates where the judge failed and where it passed."""

    fail: float = 0.35
    passed: float = 0.95
    labels: int = 0  # the earlier labels they were read from; 0: set by hand

    def of(self, pool: Pool) -> float:
        return self.passed if pool == "pass" else self.fail

    def check(self) -> None:
        for name in ("fail", "passed"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise InputError("plan", f"expected pass rate {name}={value!r} is not in [0, 1]")


@dataclass(frozen=True)
class Targets:
    """95% interval half-widths to reach: the pass rate (a proportion) and κ."""

    pass_rate: float = 0.03
    kappa: float = 0.10

    def valid(self) -> bool:
        return 0 < self.pass_rate < 1 and 0 < self.kappa < 2

    def check(self) -> None:
        if not self.valid():
            raise InputError(
                "plan",
                "half-widths are fractions: the pass rate's in (0, 1), κ's in (0, 2);"
                f" got {self.pass_rate:g} and {self.kappa:g}",
            )


@dataclass(frozen=True)
class HalfWidths:
    """The 95% half-widths an allocation gives; κ None when the priors leave κ undefined."""

    labels: int
    pass_rate: float
    kappa: float | None


@dataclass(frozen=True)
class StratumNeed:
    stratum: str
    pool: Pool
    size: int  # N_h
    drawn: int  # items the sample drew (0 before a sample)
    labelled: int  # drawn items with an SME label
    for_pass_rate: int  # labels the pass-rate target needs
    for_kappa: int  # labels the κ target needs (0 when κ is undefined)

    @property
    def needed(self) -> int:
        return max(self.for_pass_rate, self.for_kappa, self.drawn)

    @property
    def more(self) -> int:
        return self.needed - self.drawn

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        return out | {"needed": self.needed, "more": self.more}


@dataclass(frozen=True)
class SamplePlan:
    """Labels per stratum for both targets, with the half-widths of the plan, of the rates'
    design and (after a sample) of the items drawn so far."""

    strata: tuple[StratumNeed, ...]
    targets: Targets
    priors: Priors
    expected_pass_rate: float
    expected_kappa: float | None
    planned: HalfWidths
    design: HalfWidths  # the sampling rates' design (10% of failures, 2% of passes by default)
    drawn: HalfWidths | None  # the sample as drawn, once every item is labelled

    @property
    def more(self) -> int:
        return sum(s.more for s in self.strata)

    def to_dict(self) -> dict:
        return {
            "strata": [s.to_dict() for s in self.strata],
            "targets": vars(self.targets),
            "priors": vars(self.priors),
            "expected_pass_rate": self.expected_pass_rate,
            "expected_kappa": self.expected_kappa,
            "planned": vars(self.planned),
            "design": vars(self.design),
            "drawn": None if self.drawn is None else vars(self.drawn),
            "more": self.more,
        }


def pass_sd(p: float, size: int) -> float:
    """S_h of a 0/1 pass in a stratum of N_h items: sqrt(N_h/(N_h − 1)·P·Q)."""
    return math.sqrt(size / (size - 1) * p * (1 - p)) if size > 1 else 0.0


def variance(sizes: np.ndarray, sds: np.ndarray, takes: np.ndarray) -> float:
    """Cochran's V(ȳ_st) = Σ W_h² S_h² (1/n_h − 1/N_h); infinite when a varying stratum has
    no label."""
    sizes, sds, takes = (np.asarray(a, dtype=float) for a in (sizes, sds, takes))
    varying = sds > 0
    if np.any(varying & (takes <= 0)):
        return math.inf
    w = sizes[varying] / sizes.sum()
    s2 = sds[varying] ** 2
    return float(np.sum(w**2 * s2 * (1 / takes[varying] - 1 / sizes[varying])))


def neyman_total(sizes: np.ndarray, sds: np.ndarray, target: float) -> float:
    """Cochran's n = (Σ W_h S_h)² / (V + Σ W_h S_h² / N), before rounding or capping."""
    sizes, sds = np.asarray(sizes, dtype=float), np.asarray(sds, dtype=float)
    w = sizes / sizes.sum()
    return float(np.sum(w * sds) ** 2 / (target + np.sum(w * sds**2) / sizes.sum()))


def allocate(sizes: np.ndarray, sds: np.ndarray, target: float, floor: np.ndarray) -> np.ndarray:
    """The fewest labels per stratum whose variance is at most ``target``: n_h = clip(λ N_h S_h,
    floor_h, N_h) with λ found by bisection (Neyman allocation with strata taken whole when it
    over-allocates, Cochran §5.8), rounded up."""
    sizes = np.asarray(sizes, dtype=float)
    sds = np.asarray(sds, dtype=float)
    floor = np.minimum(np.asarray(floor, dtype=float), sizes)

    def takes(scale: float) -> np.ndarray:
        return np.clip(scale * sizes * sds, floor, sizes)

    if variance(sizes, sds, floor) <= target:
        return floor.astype(int)
    low, high = 0.0, 1.0
    while variance(sizes, sds, takes(high)) > target:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if variance(sizes, sds, takes(middle)) > target:
            low = middle
        else:
            high = middle
    return np.ceil(takes(high) - 1e-9).astype(int)


def kappa_of(table: np.ndarray) -> float:
    """Cohen's κ = (p_o − p_e)/(1 − p_e) of a table of cell proportions."""
    t = np.asarray(table, dtype=float) / np.sum(table)
    po, pe = np.trace(t), float(t.sum(axis=1) @ t.sum(axis=0))
    return (po - pe) / (1 - pe)


def kappa_influence(table: np.ndarray) -> np.ndarray:
    """κ's influence value of each cell: ∂κ/∂π_jk = [j = k]/(1 − p_e) + (p_o − 1)(π_.j + π_k.)
    /(1 − p_e)², centred so Σ π z = 0 (the cells' shares sum to one)."""
    t = np.asarray(table, dtype=float) / np.sum(table)
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    po, pe = np.trace(t), float(rows @ cols)
    margins = cols[:, None] + rows[None, :]
    gradient = np.eye(len(t)) / (1 - pe) + (po - 1) * margins / (1 - pe) ** 2
    return gradient - np.sum(t * gradient)


def fce_variance(table: np.ndarray) -> float:
    """n·Var(κ̂) of Fleiss, Cohen & Everitt (1969), Cantor's (1996) Q: Σ π_jk z_jk²."""
    t = np.asarray(table, dtype=float) / np.sum(table)
    return float(np.sum(t * kappa_influence(t) ** 2))


def kappa_table(strata: Sequence[Stratum], priors: Priors) -> np.ndarray:
    """The population's expected 2×2 table: rows judge fail/pass, columns SME fail/pass."""
    table = np.zeros((2, 2))
    for s in strata:
        p = priors.of(s.pool)
        table[int(s.pool == "pass")] += s.size * np.array([1 - p, p])
    return table / table.sum()


def kappa_sds(strata: Sequence[Stratum], priors: Priors, table: np.ndarray) -> np.ndarray | None:
    """S_h of κ's influence value per stratum; None when κ is undefined (one-sided table)."""
    t = np.asarray(table, dtype=float)
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    if rows.min() <= 0 or cols.min() <= 0:
        return None
    z = kappa_influence(t)
    return np.array(
        [
            abs(z[row, 1] - z[row, 0]) * pass_sd(priors.of(s.pool), s.size)
            for s in strata
            for row in [int(s.pool == "pass")]
        ]
    )


def half_widths(sizes, pass_sds, kappa_sd, takes) -> HalfWidths:
    """Z95·sqrt(V) of the pass rate and of κ for labels ``takes`` per stratum."""
    kappa = None if kappa_sd is None else Z95 * math.sqrt(variance(sizes, kappa_sd, takes))
    return HalfWidths(int(np.sum(takes)), Z95 * math.sqrt(variance(sizes, pass_sds, takes)), kappa)


def plan(
    strata: Sequence[Stratum],
    priors: Priors = Priors(),
    targets: Targets = Targets(),
    rates: SampleParams = SampleParams(),
) -> SamplePlan:
    """Labels per stratum for each target. Before a sample (nothing drawn) each stratum needs
    at least MIN_LABELS; after one, the items drawn are kept and ``more`` is the top-up."""
    priors.check()
    targets.check()
    if not strata or sum(s.size for s in strata) == 0:
        raise InputError("plan", "the frame is empty: no item to plan labels for")
    sizes = np.array([s.size for s in strata])
    drawn = np.array([s.drawn for s in strata])
    floor = np.maximum(drawn, np.minimum(MIN_LABELS, sizes))
    pass_sds = np.array([pass_sd(priors.of(s.pool), s.size) for s in strata])
    table = kappa_table(strata, priors)
    kappa_sd = kappa_sds(strata, priors, table)
    for_pass = allocate(sizes, pass_sds, (targets.pass_rate / Z95) ** 2, floor)
    for_kappa = (
        np.zeros(len(strata), dtype=int)
        if kappa_sd is None
        else allocate(sizes, kappa_sd, (targets.kappa / Z95) ** 2, floor)
    )
    needs = tuple(
        StratumNeed(s.stratum, s.pool, s.size, s.drawn, s.labelled, int(a), int(b))
        for s, a, b in zip(strata, for_pass, for_kappa, strict=True)
    )
    rate_takes = [stratum_take(s.size, rates.rate(s.pool), rates.minimum) for s in strata]
    return SamplePlan(
        strata=needs,
        targets=targets,
        priors=priors,
        expected_pass_rate=float(table[:, 1].sum()),
        expected_kappa=None if kappa_sd is None else kappa_of(table),
        planned=half_widths(sizes, pass_sds, kappa_sd, [n.needed for n in needs]),
        design=half_widths(sizes, pass_sds, kappa_sd, rate_takes),
        drawn=half_widths(sizes, pass_sds, kappa_sd, drawn) if drawn.sum() else None,
    )


def frame_strata(preview: Plan) -> list[Stratum]:
    """The strata of a sample not drawn yet (the Sampling page's preview)."""
    return [Stratum(s.stratum, s.pool, s.size) for s in preview.strata]


def sample_strata(
    con: duckdb.DuckDBPyConnection, sample_id: str, migration_id: str | None = None
) -> list[Stratum]:
    """A drawn sample's strata: N_h, the items drawn, and those with an SME label; with
    ``migration_id``, the sample must be one of that migration's."""
    if (
        migration_id is not None
        and not con.execute(
            "SELECT 1 FROM sample WHERE sample_id = ? AND migration_id = ?",
            [sample_id, migration_id],
        ).fetchone()
    ):
        raise NotFoundError(f"no sample {sample_id} in this migration")
    rows = con.execute(
        "SELECT si.stratum, si.pool, any_value(si.stratum_size), count(*),"
        " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM label l WHERE l.sample_id = si.sample_id"
        "   AND l.item_id = si.item_id AND (l.score IS NOT NULL OR l.passed IS NOT NULL)))"
        " FROM sample_item si WHERE si.sample_id = ? GROUP BY 1, 2 ORDER BY 1, 2",
        [sample_id],
    ).fetchall()
    return [Stratum(*row) for row in rows]


def earlier_priors(con: duckdb.DuckDBPyConnection, migration_id: str) -> Priors | None:
    """The SME pass rate where the judge failed and where it passed, over the migration's
    labelled samples (every run they show, each item once), weighted by 1 / inclusion
    probability and pulled half a label towards 1/2 (so 9 passes of 9 read 0.95, not a
    certainty); None until both have a label."""
    rows = con.execute(
        """
        WITH items AS (
            SELECT l.sample_id, l.item_id,
                   avg(CASE WHEN coalesce(l.passed, l.score >= ?) THEN 1.0 ELSE 0.0 END) AS passed
            FROM label l JOIN sample s USING (sample_id)
            WHERE s.migration_id = ? AND (l.score IS NOT NULL OR l.passed IS NOT NULL)
            GROUP BY l.sample_id, l.item_id
        )
        SELECT si.pool = 'pass', sum(passed / si.inclusion_prob) / sum(1 / si.inclusion_prob),
               count(*)
        FROM items JOIN sample_item si USING (sample_id, item_id)
        GROUP BY 1
        """,
        [PASS_SCORE, migration_id],
    ).fetchall()
    found = {bool(judge_pass): (rate, n) for judge_pass, rate, n in rows}
    if set(found) != {False, True}:
        return None

    def shrunk(rate: float, n: int) -> float:
        return (rate * n + 0.5) / (n + 1)

    return Priors(
        shrunk(*found[False]), shrunk(*found[True]), labels=found[False][1] + found[True][1]
    )
