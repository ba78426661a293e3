"""The comparison's figures as frozen dataclasses; each ``to_dict`` is its JSON form.

Intervals are ``core.types.Interval``; a figure that could not be computed is None (in JSON,
null), never zero.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from core.analysis.paired import McNemar, NonInferiority
from core.analysis.ppi import StratifiedPPI
from core.types import Interval, finite

MEASURED, NOT_MEASURED = "MEASURED", "NOT MEASURED"


def plain(value):
    """JSON form of a figure: dataclasses through their ``to_dict``, NaN as None."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, float):
        return finite(value)
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _fields(obj, skip: tuple[str, ...] = ()) -> dict:
    return {f.name: plain(getattr(obj, f.name)) for f in fields(obj) if f.name not in skip}


@dataclass(frozen=True)
class QualityResult:
    """Both runs on one metric, paired. With no items only ``metric`` and ``items`` are set."""

    metric: str
    items: int
    source_pass_rate: Interval | None = None
    target_pass_rate: Interval | None = None
    pass_rate_difference: Interval | None = None
    scored_pairs: int = 0
    source_mean_score: float | None = None
    target_mean_score: float | None = None
    mean_score_difference: Interval | None = None
    mcnemar: McNemar | None = None
    non_inferiority: NonInferiority | None = None
    stratum: str | None = None  # set by quality_by_stratum

    def pass_rate(self, side: str) -> Interval | None:
        return self.source_pass_rate if side == "source" else self.target_pass_rate

    def to_dict(self) -> dict:
        out: dict[str, object] = {} if self.stratum is None else {"stratum": self.stratum}
        out |= {"metric": self.metric, "items": self.items}
        if self.items:
            out |= _fields(self, ("metric", "items", "stratum"))
        return out


@dataclass(frozen=True)
class SmeCorrection:
    """Pass rates of both runs and their paired difference by stratified prediction-powered
    inference, each beside its SME-only stratified estimate (None: too few labels, or a
    design stratum short of two); ``note`` says which labels are missing.

    ``effective_labels`` of a figure is what its labels are worth: the labels the SME-only
    estimator would need, under the same allocation, for the same interval width.
    """

    source: StratifiedPPI | None
    target: StratifiedPPI | None
    difference: StratifiedPPI | None
    labelled_pairs: int
    note: str | None = None

    def to_dict(self) -> dict:
        return _fields(self, () if self.note else ("note",))


@dataclass(frozen=True)
class Coverage:
    """Whether both runs carry a measure on these items (MEASURED or NOT MEASURED), the items
    each run measured, the items measured on both, the runs without it and, when one lacks
    it, the next step that would measure it."""

    status: str
    items: dict[str, int]
    paired: int
    unmeasured: list[str]
    runs_without: list[str]
    next_step: str | None

    def to_dict(self) -> dict:
        return _fields(self)


@dataclass(frozen=True)
class PercentileRow:
    """One percentile of a measure: both runs, and the increase in ms and %."""

    percentile: str
    source_ms: Interval
    target_ms: Interval
    increase_ms: Interval
    increase_pct: Interval

    def ms(self, side: str) -> Interval:
        return self.source_ms if side == "source" else self.target_ms

    def to_dict(self) -> dict:
        return _fields(self)


@dataclass(frozen=True)
class SpeedResult:
    items: int
    measures: dict[str, Coverage]  # 'ttft', 'latency'
    ttft: list[PercentileRow]
    latency: list[PercentileRow]
    error_rates: dict[str, Interval]  # side -> errors or missing outputs
    timeout_rates: dict[str, Interval]

    def rows(self, measure: str) -> list[PercentileRow]:
        return self.ttft if measure == "ttft" else self.latency

    def to_dict(self) -> dict:
        out = _fields(self, ("error_rates", "timeout_rates"))
        for side in self.error_rates:
            out[f"{side}_error_rate"] = self.error_rates[side].to_dict()
            out[f"{side}_timeout_rate"] = self.timeout_rates[side].to_dict()
        return out


@dataclass(frozen=True)
class RunCost:
    """One run's cost; its figures None when the run has no token counts (NOT MEASURED)."""

    model_id: str
    currency: str
    input_per_1k: float
    output_per_1k: float
    price_effective: str
    status: str
    per_query: float | None
    total: float | None
    successful_answers: int
    per_successful_answer: float | None
    monthly: float | None

    def to_dict(self) -> dict:
        return _fields(self)


@dataclass(frozen=True)
class Roi:
    saving_per_query: Interval
    monthly_queries: int
    monthly_saving: float
    one_off_cost: float
    break_even_days: float | None  # None: never
    inputs_entered: bool

    def to_dict(self) -> dict:
        return _fields(self)


@dataclass(frozen=True)
class CostResult:
    """Per-query cost of both runs and the ROI. A run without a price has no ``RunCost``
    (its model is in ``missing_prices``); ``roi`` is None unless both runs are costed, and
    ``roi_error`` says why when they are but cannot be set against each other."""

    items: int
    status: str
    missing_prices: list[str]
    unmeasured: list[str]
    next_step: str | None
    source: RunCost | None
    target: RunCost | None
    roi: Roi | None = None
    roi_error: str | None = None

    def run(self, side: str) -> RunCost | None:
        return self.source if side == "source" else self.target

    def to_dict(self) -> dict:
        out = _fields(self, ("source", "target", "roi", "roi_error"))
        for side in ("source", "target"):
            run = self.run(side)
            if run is not None:
                out[side] = run.to_dict()
        out["roi"] = {"error": self.roi_error} if self.roi_error else plain(self.roi)
        return out


@dataclass(frozen=True)
class Ungated:
    metric: str
    why: str

    def to_dict(self) -> dict:
        return _fields(self)


@dataclass(frozen=True)
class Figures:
    """Every comparison figure of one selection: what the Compare page shows and
    ``report compare`` prints."""

    items: int
    quality: dict[str, QualityResult]  # every metric on both runs
    by_stratum: dict[str, list[QualityResult]]
    sme_corrected: dict[str, SmeCorrection]
    speed: SpeedResult
    cost: CostResult
    ungated: list[Ungated]

    def to_dict(self) -> dict:
        return _fields(self, ("items",))
