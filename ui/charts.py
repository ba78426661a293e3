"""Every Altair chart the pages draw: one function per chart, data in, chart out."""

from __future__ import annotations

import altair as alt
import pandas as pd

# The sign-off's two charts live beside its exports, which draw them too (one definition).
from core.analysis.signoff.charts import pass_rate_intervals, ttft_bars  # noqa: F401


def threshold_sweep(table: pd.DataFrame) -> alt.Chart:
    """Calibration: κ, precision and recall against the judge's pass threshold."""
    return (
        alt.Chart(table.melt("threshold", var_name="figure", value_name="value"))
        .mark_line(point=True)
        .encode(
            x="threshold:Q",
            y=alt.Y("value:Q", scale=alt.Scale(domain=[-0.2, 1])),
            color="figure:N",
        )
    )


def latency_ecdf(points: pd.DataFrame) -> alt.Chart:
    """Compare: each run's TTFT and latency as a step ECDF on a log scale."""
    return (
        alt.Chart(points)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("ms:Q", scale=alt.Scale(type="log")),
            y=alt.Y("share:Q", title="share of items", axis=alt.Axis(format="%")),
            color="run:N",
            column="measure:N",
            order="ms:Q",
        )
    )


def ttft_histogram(points: pd.DataFrame) -> alt.Chart:
    """Compare: both runs' TTFT distributions, overlaid."""
    return (
        alt.Chart(points[points["measure"] == "ttft"])
        .mark_bar(opacity=0.6)
        .encode(
            x=alt.X("ms:Q", bin=alt.Bin(maxbins=60), title="TTFT (ms)"),
            y=alt.Y("count():Q", stack=None),
            color="run:N",
        )
    )


def canary_sequences(history: pd.DataFrame, limits: dict[str, float | None]) -> alt.FacetChart:
    """Canary: each check's 95% confidence sequence over the stage (band), its estimate
    (line) and its limit (dashed rule), one panel per check."""
    data = history.replace([float("inf"), float("-inf")], None).assign(
        limit=history["name"].map(limits)
    )
    base = alt.Chart().encode(x=alt.X("ts:T", title=None))
    band = base.mark_area(opacity=0.3).encode(y=alt.Y("low:Q", title=None), y2="high:Q")
    line = base.mark_line().encode(y="estimate:Q", color=alt.Color("status:N"))
    rule = base.mark_rule(strokeDash=[4, 4], color="firebrick").encode(y="limit:Q")
    return (
        alt.layer(band, line, rule, data=data)
        .properties(width=220, height=140)
        .facet(facet=alt.Facet("name:N", title=None), columns=3)
        .resolve_scale(y="independent")
    )
