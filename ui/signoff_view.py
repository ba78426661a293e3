"""The Sign-off page's read-only parts: the decision with every reason, one card per
criterion (status in colour and icon, the evidence in a sentence, what would settle it) and
the charts. The forms are in ``signoff_forms``."""

from __future__ import annotations

import streamlit as st

from core import render
from core.analysis import signoff
from ui import charts, present

# Colour and shape both carry the status, so it reads without colour too.
STATUS = {
    signoff.PASS: ("green", ":material/check_circle:"),
    signoff.FAIL: ("red", ":material/cancel:"),
    signoff.OPEN: ("orange", ":material/hourglass_top:"),
    signoff.NOT_MEASURED: ("gray", ":material/help:"),
}
BANNER = {signoff.GO: st.success, signoff.NO_GO: st.error, signoff.NOT_YET: st.warning}
DECISION = {
    signoff.GO: ("green", ":material/check_circle:"),
    signoff.NO_GO: ("red", ":material/cancel:"),
    signoff.NOT_YET: ("orange", ":material/hourglass_top:"),
}


def status_badge(decision: str) -> None:
    """'Sign-off: NOT YET' as a badge in the decision's colour and icon."""
    colour, icon = DECISION.get(decision, ("gray", ":material/help:"))
    st.badge(f"Sign-off: {decision}", icon=icon, color=colour)


def decision(report: signoff.SignoffReport) -> None:
    """The banner: GO, NO-GO or NOT YET, and every reason for it."""
    BANNER[report.decision](present.banner(report))
    st.caption(
        f"Target {report.target_model} against the source, decided on the "
        f"{report.decided_on} split. Evidence {report.snapshot_sha256[:12]}: approvals given "
        "on other evidence are stale."
    )


def sentence(parts: list[str]) -> str:
    """Evidence fragments as one sentence: 'a; b; c.'"""
    text = "; ".join(p.strip().rstrip(".") for p in parts if p and p.strip())
    return text + "." if text else "No evidence yet."


def criterion_card(criterion: signoff.Criterion) -> None:
    colour, icon = STATUS.get(criterion.status, ("gray", ":material/help:"))
    with st.container(border=True):
        st.badge(criterion.status, icon=icon, color=colour)
        st.markdown(f"**{render.inert(criterion.name)}**")
        st.markdown(render.inert(sentence(criterion.evidence)))
        if criterion.status != signoff.PASS and criterion.settle:
            st.markdown("**What would settle it:** " + render.inert(criterion.settle))
        st.caption("Rule: " + render.inert(criterion.rule))


def criteria_cards(report: signoff.SignoffReport, per_row: int = 2) -> None:
    """One card per criterion, ``per_row`` side by side."""
    for start in range(0, len(report.criteria), per_row):
        row = report.criteria[start : start + per_row]
        for column, criterion in zip(st.columns(per_row), row, strict=False):
            with column:
                criterion_card(criterion)


def figures(report: signoff.SignoffReport) -> None:
    """The judge pass rates with their intervals and TTFT per percentile, side by side."""
    left, right = st.columns(2)
    rates = present.pass_rates(report)
    if not rates.empty:
        left.markdown(f"**Judge pass rate on the {report.decided_on} split, 95% interval**")
        left.altair_chart(charts.pass_rate_intervals(rates))
    ttft = present.ttft(report)
    if not ttft.empty and ttft["ms"].notna().any():
        right.markdown("**Time to first token**")
        right.altair_chart(charts.ttft_bars(ttft))
