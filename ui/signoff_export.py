"""The sign-off HTML and PDF exports with their charts, as the page's Export buttons and
``python -m core report signoff --format html|pdf`` both write them. No streamlit here, so the
command line draws the same charts (vl-convert, in-process: no browser, no network)."""

from __future__ import annotations

from core import render
from core.analysis import signoff
from ui import charts, present


def chart_svgs(report: signoff.SignoffReport) -> dict[str, str | None]:
    """The page's charts as static SVG, by title."""
    found: dict[str, str | None] = {}
    rates = present.pass_rates(report)
    if not rates.empty:
        title = f"Judge pass rate on the {report.decided_on} split, 95% interval"
        found[title] = render.svg(charts.pass_rate_intervals(rates).to_dict())
    ttft = present.ttft(report)
    if not ttft.empty and ttft["ms"].notna().any():
        found["Time to first token"] = render.svg(charts.ttft_bars(ttft).to_dict())
    return found


def export_html(report: signoff.SignoffReport) -> str:
    """The self-contained HTML report with the charts."""
    return signoff.to_html(report, chart_svgs(report))


def export_pdf(report: signoff.SignoffReport) -> bytes:
    """The same report as PDF (WeasyPrint: no browser, nothing fetched)."""
    return render.pdf(export_html(report))
