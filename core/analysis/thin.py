"""Strata too thin for their own variance, and the one rule both pages apply to them.

A design stratum is "<stratum>/<pool>" (the pool: the judge's verdict it was drawn from). A
stratum with fewer than MIN_LABELS labels cannot estimate its variance; it merges into its
pool, "*/<pool>" (``collapse_thin``). That is a house rule, modelled on Cochran's collapsed
strata (Sampling Techniques, 1977, §5A.12, which pairs strata of one unit each to estimate a
variance they cannot alone), not Cochran's own: the labels of a merged stratum count as one
simple random sample of it, which holds when its strata were sampled at similar rates and
differ little in the judge's errors; within one pool they were drawn at one rate from items
the judge treated alike.

Across pools that does not hold: a fail pool is sampled at 10%, a pass pool at 2%, and their
failure rates differ tenfold. A pool with fewer than MIN_LABELS labels in all
(``short_pools``) therefore withholds the figure, naming the pool and its top-up, instead of
merging everything into "*" (which would weight the short pool's items by the other pools'
labels: a biased estimate that reads as a figure). The Horvitz-Thompson and Hájek estimators
cannot help: a pool without labels gives them nothing to weight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

MIN_LABELS = 2  # labels a stratum needs for its own s_h² (n_h − 1 > 0)


@dataclass(frozen=True)
class Thin:
    """A stratum (or pool, "*/<pool>") with too few labels, and the top-up that would fix it."""

    stratum: str
    labels: int
    size: int  # N_h
    top_up: int  # more labels to reach MIN_LABELS (capped by the stratum's size)

    def to_dict(self) -> dict:
        return {"stratum": self.stratum, "labels": self.labels, "size": self.size,
                "top_up": self.top_up}  # fmt: skip

    def said(self) -> str:
        return f"{self.stratum} has {self.labels} of {self.size} (label {self.top_up} more)"


def thin_strata(labelled: ArrayLike, population: ArrayLike) -> dict[str, int]:
    """Strata (labelled or of the population) with fewer than MIN_LABELS labels: counts."""
    names, counts = np.unique(np.asarray(labelled).astype(str), return_counts=True)
    have = dict(zip(names.tolist(), counts.tolist(), strict=True))
    every = set(np.asarray(population).astype(str).tolist()) | set(have)
    return {h: have.get(h, 0) for h in sorted(every) if have.get(h, 0) < MIN_LABELS}


def collapse_thin(labelled: ArrayLike, population: ArrayLike) -> dict[str, str]:
    """Where each thin stratum goes (the house rule in the module's docstring).

    Thin strata of one pool ("<stratum>/<pool>") merge into "*/<pool>"; if that still holds
    fewer than MIN_LABELS labels, the whole pool merges into it. A pool short even then stays
    short, never merged across pools: callers withhold the figure (``short_pools``). Strata
    not named keep their own.
    """
    have = np.asarray(labelled).astype(str).tolist()
    every = np.asarray(population).astype(str).tolist()
    names = sorted(set(have) | set(every))
    mapping = {h: pool_of(h) for h in thin_strata(have, every)}
    short = _still_thin(have, every, mapping)
    return mapping | {h: pool_of(h) for h in names if pool_of(h) in short}


def pool_of(stratum: str) -> str:
    """ "*/<pool>" of a design stratum ("*/all" when it names no pool)."""
    return "*/" + (stratum.rsplit("/", 1)[-1] if "/" in stratum else "all")


def _still_thin(have: list[str], every: list[str], mapping: dict[str, str]) -> dict:
    return thin_strata([mapping.get(h, h) for h in have], [mapping.get(h, h) for h in every])


def short_pools(labelled: ArrayLike, sizes: dict) -> tuple[Thin, ...]:
    """Pools ("*/<pool>") holding fewer than MIN_LABELS labels in all (or fewer than their
    items), with their top-ups; ``sizes``: N_h of every stratum, labelled or not."""
    have: dict[str, int] = {}
    for h in np.asarray(labelled).astype(str).tolist():
        have[pool_of(h)] = have.get(pool_of(h), 0) + 1
    total: dict[str, float] = {}
    for h, size in sizes.items():
        total[pool_of(h)] = total.get(pool_of(h), 0) + float(size)
    out = []
    for pool in sorted(set(total) | set(have)):
        n, size = have.get(pool, 0), int(max(total.get(pool, 0), have.get(pool, 0)))
        if n < min(MIN_LABELS, size):
            out.append(Thin(pool, n, size, min(MIN_LABELS, size) - n))
    return tuple(out)


def withheld_note(labels: int, short: tuple[Thin, ...], thin: tuple[Thin, ...] = ()) -> str:
    """'not enough labels: ...' for a figure withheld over short pools, naming each pool with
    its top-up and its thin strata."""
    parts = []
    for pool in short:
        strata = [t.said() for t in thin if pool_of(t.stratum) == pool.stratum]
        named = f": {', '.join(strata)}" if strata else ""
        parts.append(
            f"the {pool.stratum[2:]} pool has {pool.labels} of {pool.size} items"
            f" (label {pool.top_up} more){named}"
        )
    return (
        f"not enough labels: {labels} in all; {'; '.join(parts)}. A pool needs {MIN_LABELS}"
        " labels: its strata are not merged with another pool's, drawn at another rate"
    )
