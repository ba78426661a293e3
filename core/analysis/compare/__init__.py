"""Source against target, item by item: quality, speed and cost, with intervals.

``load`` (evidence) reads both runs of a migration once; ``quality``, ``speed`` and ``cost``
compute frozen results on it (or on a stratum or split of it), so filters never touch SQL.
"""

import functools
from typing import Any

import duckdb

from core.analysis.compare.cost import cost as _cost
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
)
from core.analysis.compare.quality import sme_corrected as _sme_corrected
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


def _drop_connection(function):
    # TEMPORARY, until cli/report.py is switched to compare.figures: it still passes a
    # connection first to cost and sme_corrected, which no longer read the database.
    @functools.wraps(function)
    def call(*args, **kwargs):
        if args and isinstance(args[0], duckdb.DuckDBPyConnection):
            args = args[1:]
        return function(*args, **kwargs)

    return call


cost: Any = _drop_connection(_cost)
sme_corrected: Any = _drop_connection(_sme_corrected)

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
