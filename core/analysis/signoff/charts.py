"""The sign-off's charts (Altair specs and their data) and its exports with them: the HTML
report with the charts as static SVG and the same as PDF. The page's Export buttons and
``python -m core report signoff --format html|pdf`` both use these, so both carry the same
charts; the page draws the same specs (``ui.charts`` re-exports them). Not imported by
``core.analysis.signoff`` itself: altair, vl-convert and WeasyPrint load only for an export.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from core import render
from core.analysis import compare
from core.analysis.signoff.decision import SignoffReport
from core.analysis.signoff.export import to_html
from core.types import finite


def pass_rates(report: SignoffReport) -> pd.DataFrame:
    """Both runs' judge pass rate per gating metric with its interval (for a chart)."""
    return pd.DataFrame(
        [
            {
                "metric": metric,
                "run": side,
                "pass rate": rate.estimate,
                "low": rate.low,
                "high": rate.high,
            }
            for metric, q in report.quality.items()
            for side in compare.SIDES
            if q.items and (rate := q.pass_rate(side)) is not None
        ]
    )


def ttft(report: SignoffReport) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"percentile": row.percentile, "run": side, "ms": finite(row.ms(side).estimate)}
            for row in report.speed.ttft
            for side in compare.SIDES
        ]
    )


def pass_rate_intervals(rates: pd.DataFrame) -> alt.FacetChart:
    """Each run's judge pass rate with its 95% interval, one row per metric."""
    base = alt.Chart(rates).encode(
        y=alt.Y("run:N", title=None), color=alt.Color("run:N", legend=None)
    )
    # One axis title for the layers (Altair would join theirs: 'pass rate, low, high').
    axis = alt.Axis(format="%", title="judge pass rate (95% interval)")
    return (
        base.mark_point(filled=True, size=80).encode(
            x=alt.X("pass rate:Q", axis=axis, scale=alt.Scale(zero=False))
        )
        + base.mark_rule().encode(x=alt.X("low:Q", axis=axis), x2="high:Q")
    ).facet(row=alt.Row("metric:N", title=None))


def ttft_bars(ttft: pd.DataFrame) -> alt.Chart:
    """TTFT per percentile, the two runs side by side."""
    return (
        alt.Chart(ttft)
        .mark_bar()
        .encode(
            x=alt.X("percentile:N", title=None, axis=alt.Axis(labelAngle=0)),
            xOffset="run:N",
            y=alt.Y("ms:Q", title="TTFT (ms)"),
            color="run:N",
        )
    )


def chart_svgs(report: SignoffReport) -> dict[str, str | None]:
    """The page's charts as static SVG, by title."""
    found: dict[str, str | None] = {}
    rates = pass_rates(report)
    if not rates.empty:
        title = f"Judge pass rate on the {report.decided_on} split, 95% interval"
        found[title] = render.svg(pass_rate_intervals(rates).to_dict())
    times = ttft(report)
    if not times.empty and times["ms"].notna().any():
        found["Time to first token"] = render.svg(ttft_bars(times).to_dict())
    return found


def export_html(report: SignoffReport) -> str:
    """The self-contained HTML report with the charts."""
    return to_html(report, chart_svgs(report))


def export_pdf(report: SignoffReport) -> bytes:
    """The same report as PDF (WeasyPrint: no browser, nothing fetched)."""
    return render.pdf(export_html(report))
