"""SME vs SME agreement: pure arithmetic over labels already read (``evidence.load_sme``).
A pairwise judge's agreement with SME preferences is in core.analysis.pairwise (re-exported)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.analysis import agreement
from core.analysis.calibration.evidence import SmeEvidence

# Re-exported: pairwise agreement lives in core.analysis.pairwise.
from core.analysis.pairwise import PairwiseAgreement, pairwise  # noqa: F401
from core.types import RESAMPLES, Interval, finite

NO_OVERLAP = (
    "No item has labels from two SMEs: give a share of the sample to several SMEs (overlap)"
    " to measure SME agreement."
)
POOLED = "pooled"
ALPHA_NOMINAL = "Krippendorff's α (pass/fail)"
ALPHA_ORDINAL = "Krippendorff's α (1–5, ordinal)"
FLEISS = "Fleiss' κ (pass/fail)"
PAIR_AGREEMENT = "Agreement (pass/fail)"
PAIR_KAPPA = "Cohen's κ (pass/fail)"
DISSENT = "Differs from the others' majority"


@dataclass(frozen=True)
class SmeRow:
    """One line of the SME-vs-SME table: who (a reviewer pair, one reviewer, or pooled, with
    a stratum), which figure, its estimate and interval (or why there is none), over n items."""

    pair: str
    figure: str
    value: Interval
    items: int
    percent: bool = False  # a share (shown in percent) rather than a coefficient

    def to_dict(self) -> dict:
        return {"pair": self.pair, "figure": self.figure, **self.value.to_dict(), "n": self.items}


@dataclass(frozen=True)
class SmeAgreement:
    """SME vs SME on the items several SMEs labelled; ``items`` 0: nothing to measure yet.
    ``rows`` is the table (pooled, per stratum, per reviewer pair, per reviewer); the named
    fields repeat its pooled figures."""

    items: int
    advice: str | None = None  # what to do when there is nothing to measure
    alpha_nominal: Interval | None = None  # Krippendorff's alpha on pass/fail
    alpha_ordinal: Interval | None = None  # ... on the 1-5 scores
    fleiss_kappa: float | None = None
    fleiss_items: int = 0  # items with the modal number of labels, which Fleiss needs
    alpha_nominal_by_stratum: dict[str, Interval] = field(default_factory=dict)
    disagreement_by_reviewer: dict[str, float] = field(default_factory=dict)  # most first
    rows: tuple[SmeRow, ...] = ()

    def to_dict(self) -> dict:
        """The table as JSON: one dict per row (pair, figure, estimate, low, high, n, note)."""
        return {
            "items": self.items,
            "advice": self.advice,
            "rows": [row.to_dict() for row in self.rows],
        }


def sme_agreement(
    evidence: SmeEvidence, *, seed: int = 0, resamples: int = RESAMPLES
) -> SmeAgreement:
    """Krippendorff's alpha (nominal pass/fail, ordinal scores) and Fleiss' kappa, with
    intervals, overall and per stratum; each reviewer pair's agreement and Cohen's κ on the
    items both labelled; how often each reviewer differs from the others' majority."""
    frame = evidence.labels
    if frame.empty:
        return SmeAgreement(0, NO_OVERLAP)
    passed = frame.pivot_table(
        index="item_id", columns="reviewer", values="passed", aggfunc="first"
    ).astype(float)
    scores = frame.pivot_table(
        index="item_id", columns="reviewer", values="score", aggfunc="first"
    ).astype(float)
    strata = frame.groupby("item_id")["stratum"].first().reindex(passed.index).to_numpy()
    units = np.arange(len(passed))
    fleiss, fleiss_items = _fleiss(passed.to_numpy())
    nominal = _alpha(passed.to_numpy(), units, strata, "nominal", seed, resamples)
    ordinal = _alpha(scores.to_numpy(), units, strata, "ordinal", seed, resamples)
    by_stratum = _by_stratum(passed.to_numpy(), strata, seed, resamples)
    dissent = _disagreement(passed)
    rows = [
        SmeRow(POOLED, ALPHA_NOMINAL, nominal, _rated(passed.to_numpy())),
        SmeRow(POOLED, ALPHA_ORDINAL, ordinal, _rated(scores.to_numpy())),
        SmeRow(POOLED, FLEISS, _fleiss_value(fleiss, fleiss_items), fleiss_items),
        *(
            SmeRow(f"{POOLED} · {h}", ALPHA_NOMINAL, value, int((strata == h).sum()))
            for h, value in by_stratum.items()
        ),
        *_pair_rows(passed, strata, seed, resamples),
        *(SmeRow(who, DISSENT, share, n, percent=True) for who, (share, n) in dissent.items()),
    ]
    return SmeAgreement(
        items=len(passed),
        alpha_nominal=nominal,
        alpha_ordinal=ordinal,
        fleiss_kappa=finite(fleiss),
        fleiss_items=fleiss_items,
        alpha_nominal_by_stratum=by_stratum,
        disagreement_by_reviewer={who: share.estimate for who, (share, _) in dissent.items()},
        rows=tuple(rows),
    )


def _rated(values: np.ndarray) -> int:
    """Items holding at least two ratings."""
    return int(((~np.isnan(values)).sum(axis=1) >= 2).sum())


def _alpha(
    values: np.ndarray,
    units: np.ndarray,
    strata: np.ndarray,
    level: agreement.Level,
    seed: int,
    resamples: int,
) -> Interval:
    """Krippendorff's alpha with a bootstrap over items within strata."""
    categories = np.unique(values[~np.isnan(values)])
    count = _rated(values)
    if len(categories) == 0:  # e.g. pass/fail labels only: no scores to agree on
        if level == "ordinal":
            return Interval(math.nan, math.nan, math.nan, note="no 1–5 scores (pass/fail only)")
        return agreement.too_few(count, math.nan, "none holds this kind of label")
    if count == 0:  # labels, but no item holds two: one category or not, nothing to agree on
        return agreement.too_few(count, math.nan, "no item holds two of these labels")
    if len(categories) == 1:
        return agreement.too_few(count, math.nan, "every label is in one category")
    cells = agreement.coincidence_cells(values, categories)
    statistic = agreement.alpha_of_tables(categories, level)
    return agreement.bootstrap_tables(cells, units, strata, statistic, resamples, seed)


def _fleiss(passed: np.ndarray) -> tuple[float, int]:
    """Fleiss' kappa over the items with the modal number of labels (it needs equal counts)."""
    counts = np.stack([(passed == 1).sum(axis=1), (passed == 0).sum(axis=1)], axis=1)
    modal = int(np.bincount(counts.sum(axis=1).astype(int)).argmax())
    same = counts.sum(axis=1) == modal
    enough = same.sum() >= 2 and modal >= 2
    return (agreement.fleiss_kappa(counts[same]) if enough else math.nan), int(same.sum())


def _fleiss_value(fleiss: float, items: int) -> Interval:
    """Fleiss' κ is a point estimate here: the note says so, or why there is none."""
    if not math.isfinite(fleiss):
        return agreement.too_few(items, math.nan, "Fleiss' κ needs two with equal counts")
    return Interval(fleiss, math.nan, math.nan, note="point estimate; α carries the interval")


def _by_stratum(
    passed: np.ndarray, strata: np.ndarray, seed: int, resamples: int
) -> dict[str, Interval]:
    """Nominal alpha per stratum."""
    out: dict[str, Interval] = {}
    for stratum in sorted(set(strata.tolist())):
        rows = np.flatnonzero(strata == stratum)
        out[stratum] = _alpha(passed[rows], rows, np.zeros(len(rows)), "nominal", seed, resamples)
    return out


def _pair_rows(passed: pd.DataFrame, strata: np.ndarray, seed: int, resamples: int) -> list[SmeRow]:
    """Each pair of reviewers on the items both labelled: agreement (Wilson) and Cohen's κ
    (stratified bootstrap over items)."""
    rows = []
    reviewers = list(passed.columns)
    for i, first in enumerate(reviewers):
        for second in reviewers[i + 1 :]:
            both = passed[[first, second]].notna().all(axis=1).to_numpy()
            if not both.any():
                continue
            a = passed[first].to_numpy()[both].astype(int)
            b = passed[second].to_numpy()[both].astype(int)
            name = f"{first} vs {second}"
            same = agreement.wilson(int((a == b).sum()), len(a))
            kappa = agreement.bootstrap_tables(
                agreement.cells_of(a, b, 2), np.arange(len(a)), strata[both],
                agreement.kappa_of_tables(2), resamples, seed,
            )  # fmt: skip
            rows += [
                SmeRow(name, PAIR_AGREEMENT, same, len(a), percent=True),
                SmeRow(name, PAIR_KAPPA, kappa, len(a)),
            ]
    return rows


def _disagreement(passed: pd.DataFrame) -> dict[str, tuple[Interval, int]]:
    """Each reviewer's share (Wilson interval) of the items they share with other SMEs where
    they differ from those SMEs' majority, and that number of items; most first."""
    majority = passed.mean(axis=1)
    out = {}
    for reviewer in passed.columns:
        mine = passed[reviewer].dropna()
        raters = passed.loc[mine.index].count(axis=1)
        shared = raters >= 2  # an item only this reviewer labelled has no "others"
        mine, raters = mine[shared], raters[shared]
        others = (majority.loc[mine.index] * raters - mine) / (raters - 1)
        differs = int(((others >= 0.5) != (mine == 1)).sum())
        out[reviewer] = (agreement.wilson(differs, len(mine)), len(mine))
    return dict(sorted(out.items(), key=lambda kv: -np.nan_to_num(kv[1][0].estimate, nan=-1)))
