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


@dataclass(frozen=True)
class SmeAgreement:
    """SME vs SME on the items several SMEs labelled; ``items`` 0: nothing to measure yet."""

    items: int
    advice: str | None = None  # what to do when there is nothing to measure
    alpha_nominal: Interval | None = None  # Krippendorff's alpha on pass/fail
    alpha_ordinal: Interval | None = None  # ... on the 1-5 scores
    fleiss_kappa: float | None = None
    fleiss_items: int = 0  # items with the modal number of labels, which Fleiss needs
    alpha_nominal_by_stratum: dict[str, Interval | None] = field(default_factory=dict)
    disagreement_by_reviewer: dict[str, float] = field(default_factory=dict)  # most first

    def to_dict(self) -> dict:
        if self.items == 0:
            return {"items": 0, "advice": self.advice}
        return {
            "items": self.items,
            "alpha_nominal": _interval(self.alpha_nominal),
            "alpha_ordinal": _interval(self.alpha_ordinal),
            "fleiss_kappa": finite(self.fleiss_kappa),
            "fleiss_items": self.fleiss_items,
            "alpha_nominal_by_stratum": {
                k: _interval(v) for k, v in self.alpha_nominal_by_stratum.items()
            },
            "disagreement_by_reviewer": dict(self.disagreement_by_reviewer),
        }


def _interval(value: Interval | None) -> dict | None:
    return None if value is None else value.to_dict()


def sme_agreement(
    evidence: SmeEvidence, *, seed: int = 0, resamples: int = RESAMPLES
) -> SmeAgreement:
    """Krippendorff's alpha (nominal pass/fail, ordinal scores) and Fleiss' kappa, with
    intervals, overall and per stratum; who disagrees most with the rest."""
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
    return SmeAgreement(
        items=len(passed),
        alpha_nominal=_alpha(passed.to_numpy(), units, strata, "nominal", seed, resamples),
        alpha_ordinal=_alpha(scores.to_numpy(), units, strata, "ordinal", seed, resamples),
        fleiss_kappa=finite(fleiss),
        fleiss_items=fleiss_items,
        alpha_nominal_by_stratum=_by_stratum(passed.to_numpy(), strata, seed, resamples),
        disagreement_by_reviewer=_disagreement(passed),
    )


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
    if len(categories) == 0:  # e.g. pass/fail labels only: no scores to agree on
        return Interval(math.nan, math.nan, math.nan)
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


def _by_stratum(
    passed: np.ndarray, strata: np.ndarray, seed: int, resamples: int
) -> dict[str, Interval | None]:
    """Nominal alpha per stratum (None for a stratum of one item)."""
    out: dict[str, Interval | None] = {}
    for stratum in sorted(set(strata.tolist())):
        rows = np.flatnonzero(strata == stratum)
        out[stratum] = None
        if len(rows) > 1:
            out[stratum] = _alpha(
                passed[rows], rows, np.zeros(len(rows)), "nominal", seed, resamples
            )
    return out


def _disagreement(passed: pd.DataFrame) -> dict[str, float]:
    """Each reviewer's share of items where they differ from the other SMEs' majority."""
    majority = passed.mean(axis=1)
    out = {}
    for reviewer in passed.columns:
        mine = passed[reviewer].dropna()
        raters = passed.loc[mine.index].count(axis=1)
        others = (majority.loc[mine.index] * raters - mine) / (raters - 1)
        out[reviewer] = float(((others >= 0.5) != (mine == 1)).mean())
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))
