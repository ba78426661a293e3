"""Source against target, item by item: quality, speed and cost, with intervals.

``load`` (evidence) reads both runs of a migration once; ``quality``, ``speed`` and ``cost``
compute frozen results on it (or on a stratum or split of it), so filters never touch SQL.
"""

from core.analysis.compare.cost import cost
from core.analysis.compare.evidence import (
    SAFETY_TAG,
    SIDES,
    Comparison,
    ItemDetail,
    ItemOutput,
    call_breakdown,
    gating_by_default,
    item_detail,
    load,
    sme_labels,
)
from core.analysis.compare.items import (
    BEHIND,
    bootstrap_for,
    decision_items,
    figures,
    items_behind,
    select,
    ungated,
)
from core.analysis.compare.quality import (
    MIN_CORRECTION_LABELS,
    quality,
    quality_by_stratum,
    sme_corrected,
)
from core.analysis.compare.results import (
    MEASURED,
    NOT_MEASURED,
    CostResult,
    Coverage,
    Figures,
    PercentileRow,
    QualityResult,
    Roi,
    RunCost,
    SmeCorrection,
    SpeedResult,
    Ungated,
)
from core.analysis.compare.speed import (
    MEASURE_COLUMNS,
    MEASURE_NAMES,
    PERCENTILES,
    TIMEOUT_PATTERN,
    coverage,
    run_name,
    speed,
)
from core.catalog.pricing import price_history, prices

__all__ = [
    "BEHIND",
    "MEASURED",
    "MEASURE_COLUMNS",
    "MEASURE_NAMES",
    "MIN_CORRECTION_LABELS",
    "NOT_MEASURED",
    "PERCENTILES",
    "SAFETY_TAG",
    "SIDES",
    "TIMEOUT_PATTERN",
    "Comparison",
    "CostResult",
    "Coverage",
    "Figures",
    "ItemDetail",
    "ItemOutput",
    "PercentileRow",
    "QualityResult",
    "Roi",
    "RunCost",
    "SmeCorrection",
    "SpeedResult",
    "Ungated",
    "bootstrap_for",
    "call_breakdown",
    "cost",
    "coverage",
    "decision_items",
    "figures",
    "gating_by_default",
    "item_detail",
    "items_behind",
    "load",
    "price_history",
    "prices",
    "quality",
    "quality_by_stratum",
    "run_name",
    "select",
    "sme_corrected",
    "sme_labels",
    "speed",
    "ungated",
]
