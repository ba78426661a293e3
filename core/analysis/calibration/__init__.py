"""Judge calibration: how far each automated judge agrees with the SMEs, weighted by design.

Evidence, then arithmetic: ``evidence`` reads a run's judge/SME pairs once (the only SQL
here); ``figures``, ``views`` and ``smes`` compute from them with no connection.

A pair is one SME label and the judge's verdict on the same output (three SMEs on an item
give three pairs). The sample over-represents judge failures, so every figure that speaks
about the whole dataset weights a pair by 1 / (inclusion probability × the item's number of
labels): each item then counts 1 / pi in total. The unweighted figure, what the sample
shows, stands beside it. Labels from outside a sample (imported without ``--sample``) carry
no design: they are a convenience sample, join only the unweighted figures, and the report
says so in its ``warning`` (``design`` is "convenience" when no label has a design).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import pandas as pd

from core.analysis import agreement
from core.analysis.calibration import smes
from core.analysis.calibration.evidence import (
    Evidence,
    SmeEvidence,
    design_strata,
    load,
    load_sme,
    metrics_with_labels,
    pairs,
    pairs_of,
)
from core.analysis.calibration.figures import (
    MIN_FAILS_FOR_RECALL,
    TARGET_WIDTH,
    Figures,
    MetricReport,
    calibrate,
    design_warning,
)
from core.analysis.calibration.smes import PairwiseAgreement, SmeAgreement, pairwise
from core.analysis.calibration.views import Sweep, disagreements, majority, select, sweep
from core.catalog.thresholds import apply as apply_threshold
from core.errors import InputError, NotFoundError
from core.types import KAPPA_FLOOR, RESAMPLES, Interval

__all__ = [
    "KAPPA_FLOOR",
    "MIN_FAILS_FOR_RECALL",
    "RESAMPLES",
    "TARGET_WIDTH",
    "CalibrationReport",
    "Evidence",
    "Figures",
    "InputError",
    "Interval",
    "MetricReport",
    "NotFoundError",
    "PairwiseAgreement",
    "SmeAgreement",
    "SmeEvidence",
    "Sweep",
    "agreement",
    "apply_threshold",
    "calibrate",
    "design_strata",
    "design_warning",
    "disagreements",
    "load",
    "load_sme",
    "majority",
    "metrics_with_labels",
    "pairs",
    "pairs_of",
    "pairwise",
    "report",
    "select",
    "sme_agreement",
    "sweep",
    "to_json",
]


def report(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    metric: str,
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
    floor: float = KAPPA_FLOOR,
    frame: pd.DataFrame | None = None,
    scores: bool = True,
) -> MetricReport:
    """Load the evidence once, then ``figures.calibrate`` it; ``frame``: pairs already read
    (a page's selection of them), ``scores=False``: pass/fail figures only."""
    evidence = load(con, run_id, metric, details=False, frame=frame)
    return calibrate(evidence, seed=seed, resamples=resamples, floor=floor, scores=scores)


def sme_agreement(
    con: duckdb.DuckDBPyConnection, run_id: str, *, seed: int = 0, resamples: int = RESAMPLES
) -> SmeAgreement:
    """SME vs SME on the run's items several SMEs labelled (``smes.sme_agreement``)."""
    return smes.sme_agreement(load_sme(con, run_id), seed=seed, resamples=resamples)


@dataclass(frozen=True)
class CalibrationReport:
    """One metric's calibration as the CLI and exports write it: figures, threshold sweep,
    recommended threshold, SME vs SME."""

    report: MetricReport
    sweep: pd.DataFrame
    recommended_threshold: Interval
    sme_vs_sme: SmeAgreement | None = None

    def to_dict(self) -> dict:
        return {
            "report": self.report.to_dict(),
            "threshold_sweep": json.loads(self.sweep.to_json(orient="records")),
            "recommended_threshold": self.recommended_threshold.to_dict(),
            "sme_vs_sme": self.sme_vs_sme.to_dict() if self.sme_vs_sme else {},
        }


def to_json(
    result: MetricReport,
    sweep_table: pd.DataFrame,
    best: Interval,
    sme_vs_sme: SmeAgreement | dict | None = None,
) -> str:
    """``CalibrationReport(...).to_dict()`` as indented JSON (a dict for ``sme_vs_sme``: none)."""
    agreed = sme_vs_sme if isinstance(sme_vs_sme, SmeAgreement) else None
    return json.dumps(
        CalibrationReport(result, sweep_table, best, agreed).to_dict(), indent=2, default=str
    )
