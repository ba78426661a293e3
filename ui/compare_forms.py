"""The Compare page's controls: the selection, the quality view, forms (ROI inputs, prices,
criteria) and the items behind a figure. They own the page's ``compare.*`` keys."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core import formatting
from core.analysis import compare
from core.catalog import migrations, models, pricing
from core.errors import SwitchyardError
from ui import present, review_controls


def selection(comparison: compare.Comparison) -> pd.DataFrame:
    """The stratum and split pickers; returns the chosen items."""
    left, right = st.columns(2)
    strata = sorted(comparison.items["stratum"].unique())
    splits = sorted(comparison.items["split"].unique())
    stratum = left.selectbox("Stratum", ["all", *strata], key="compare.stratum")
    split = right.selectbox("Split", ["all", *splits], key="compare.split")
    return compare.select(
        comparison, None if stratum == "all" else stratum, None if split == "all" else split
    )


def quality_view(figures: compare.Figures, comparison: compare.Comparison) -> None:
    """Every metric's paired figures, the SME-corrected rates and one metric by stratum."""
    st.table(present.quality(figures, comparison), hide_index=True)
    for row in figures.ungated:
        st.caption(f"{row.metric} does not gate the decision: {row.why}.")
    margin = comparison.criteria["quality_margin"]
    st.caption(
        f"{figures.items} paired items. Intervals: 95%, Wilson for pass rates, paired "
        "bootstrap for differences. Non-inferiority: one-sided paired t-test at "
        f"{1 - margin:.2f} (Fieller bound). Differences of pass rates in percentage points (pp)."
    )
    st.markdown("**SME-corrected pass rates (stratified prediction-powered inference)**")
    st.table(present.sme_corrected(figures), hide_index=True)
    st.caption(
        "StratPPI: in each design stratum (golden stratum / pool) the judge's score on the "
        "unlabelled items, corrected by the SME labels (PPI++, its weight λ tuned per "
        "stratum), combined with the strata's shares N_h/N; SME-only: Cochran's stratified "
        "estimate of the labels alone. Intervals: 95%, Wilson at the effective sample size "
        "p(1 − p)/variance, so they stay inside the range. 'Worth' is the labels the SME-only "
        "estimator would need for the same interval width: each stratum's labels × k, at "
        "most its size, with k solving SME-only's variance Σ W_h² s_h² (1/m_h − 1/N_h) = "
        "StratPPI's. Differences in percentage points (pp). " + present.sme_corrected_notes(figures)
    )
    metric = st.selectbox("Per stratum, metric", comparison.metrics, key="compare.metric")
    st.table(present.by_stratum(figures, metric), hide_index=True)


def items_view(con, comparison: compare.Comparison, items: pd.DataFrame) -> None:
    """The items behind a figure; one picked row opens in full."""
    a, b = st.columns(2)
    kind = a.selectbox("Items", compare.BEHIND, key="compare.kind")
    metric = b.selectbox("Metric", ["all gating", *comparison.metrics], key="compare.kind_metric")
    behind = compare.items_behind(items, kind, None if metric == "all gating" else metric)
    st.caption(f"{len(behind)} items")
    picked = st.dataframe(
        present.shown(behind),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="compare.items",
    )
    if picked and picked.selection.rows:
        item_view(con, comparison, behind.iloc[picked.selection.rows[0]]["item_id"])


def roi_form(con, migration_id: str, crit: dict, actor: str) -> None:
    with st.form("compare.roi"):
        st.markdown("**Traffic and one-off migration cost** (for the ROI criterion)")
        a, b, c = st.columns(3)
        changes = {
            "monthly_queries": a.number_input(
                "Queries per month",
                0,
                value=int(crit["monthly_queries"]),
                step=100_000,
                key="compare.monthly",
            ),
            "engineering_days": b.number_input(
                "Engineering days",
                0.0,
                value=float(crit["engineering_days"]),
                key="compare.eng_days",
            ),
            "engineering_day_rate": c.number_input(
                "Day rate",
                0.0,
                value=float(crit["engineering_day_rate"]),
                key="compare.day_rate",
            ),
            "sme_hours": b.number_input(
                "SME hours", 0.0, value=float(crit["sme_hours"]), key="compare.sme_hours"
            ),
            "sme_hour_rate": c.number_input(
                "SME hourly rate",
                0.0,
                value=float(crit["sme_hour_rate"]),
                key="compare.hour_rate",
            ),
        }
        if st.form_submit_button("Save"):
            migrations.update_criteria(con, migration_id, changes, actor=actor)
            st.rerun()


def price_form(con, actor: str) -> None:
    st.markdown("**Price catalog** (per 1K tokens; every change is kept)")
    st.dataframe(present.shown(pricing.price_history(con)), hide_index=True)
    with st.form("compare.price"):
        a, b, c, d = st.columns(4)
        model_id = a.text_input("Model id", key="compare.price_model")
        price_in = b.number_input("Input / 1K", 0.0, format="%.6f", key="compare.price_in")
        price_out = c.number_input("Output / 1K", 0.0, format="%.6f", key="compare.price_out")
        currency = d.text_input("Currency", "USD", key="compare.currency")
        effective = a.date_input("Effective from", date.today(), key="compare.effective")
        source = b.text_input("Source", key="compare.price_source")
        if st.form_submit_button("Add price"):
            try:
                models.add_price(
                    con,
                    model_id,
                    effective,
                    price_in,
                    price_out,
                    currency=currency.strip(),
                    source=source or None,
                    actor=actor,
                )
                st.rerun()
            except SwitchyardError as exc:
                st.error(str(exc))


def criteria_form(con, comparison: compare.Comparison, actor: str) -> None:
    crit = comparison.criteria
    with st.form("compare.criteria"):
        margin = st.number_input(
            "Quality margin (relative degradation allowed)",
            0.0,
            0.5,
            float(crit["quality_margin"]),
            0.005,
            format="%.3f",
            key="compare.margin",
        )
        gating = st.multiselect(
            "Gating metrics", comparison.metrics, comparison.gating, key="compare.gating"
        )
        a, b = st.columns(2)
        pct = a.number_input(
            "TTFT increase allowed (%)",
            0.0,
            value=float(crit["ttft_increase_pct"]),
            key="compare.ttft_pct",
        )
        ms = b.number_input(
            "… or (ms)", 0.0, value=float(crit["ttft_increase_ms"]), key="compare.ttft_ms"
        )
        roi_days = a.number_input(
            "Break even within (days)", 0, value=int(crit["roi_days"]), key="compare.roi_days"
        )
        floor = b.number_input(
            "κ floor", 0.0, 1.0, float(crit["kappa_floor"]), 0.05, key="compare.floor"
        )
        stages = st.data_editor(
            pd.DataFrame(crit["canary_stages"], columns=["traffic %", "min hours", "max hours"]),
            num_rows="dynamic",
            key="compare.stages",
        )
        if not st.form_submit_button("Save criteria"):
            return
        changes = {
            "quality_margin": margin,
            "gating_metrics": gating,
            "ttft_increase_pct": pct,
            "ttft_increase_ms": ms,
            "roi_days": roi_days,
            "kappa_floor": floor,
            "canary_stages": stages.dropna().to_numpy().tolist(),
        }
        try:
            migrations.update_criteria(con, comparison.migration_id, changes, actor=actor)
            st.success("Saved (audited); approvals given before are stale now.")
        except SwitchyardError as exc:
            st.error(str(exc))


def item_view(con, comparison: compare.Comparison, item_id: str) -> None:
    """One item: prompt, both runs' outputs (inert text), scores and labels, the reference."""
    detail = compare.item_detail(con, comparison, item_id)
    st.markdown(f"**{detail.item_id}**")
    review_controls.show_text(detail.prompt, False)
    for col, side in zip(st.columns(2), compare.SIDES, strict=True):
        with col:
            d = detail.side(side)
            ttft = "not measured" if d.ttft_ms is None else formatting.ms(d.ttft_ms)
            st.markdown(f"**{side}** · TTFT {ttft}")
            if d.error:
                st.error(d.error)
            review_controls.show_text(d.text, False)
            st.dataframe(present.shown(d.scores), hide_index=True)
            if not d.labels.empty:
                st.dataframe(present.shown(d.labels), hide_index=True)
    st.markdown("**Reference answer**")
    review_controls.show_text(detail.ground_truth, False)
