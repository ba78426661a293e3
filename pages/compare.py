"""Compare: source against target in detail (quality, speed, cost), the criteria and prices
behind the sign-off, and the items behind every number."""

from datetime import date

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core import compare, migration, models
from core.errors import SwitchyardError
from ui import auth, choosers, review_controls, store

user = auth.require("eval_owner", "admin")
con = store.cursor()
st.title("Compare")

chosen = choosers.migration_or_stop(con, "compare.migration")
migration_id = chosen["migration_id"]
target = choosers.target_run(con, migration_id, "compare.target")
comparison = compare.load(con, migration_id, target)
if chosen["synthetic"]:
    st.warning("Synthetic demo: runs and SME labels are simulated.", icon=":material/science:")

left, right = st.columns(2)
strata = sorted(comparison.items["stratum"].unique())
stratum = left.selectbox("Stratum", ["all", *strata], key="compare.stratum")
splits = sorted(comparison.items["split"].unique())
split = right.selectbox("Split", ["all", *splits], key="compare.split")
items = compare.select(
    comparison, None if stratum == "all" else stratum, None if split == "all" else split
)
if items.empty:
    st.info("No item in this selection: choose another stratum or split.")
    st.stop()
boot = compare.bootstrap_for(items)
crit = comparison.criteria
fmt = compare.interval_text


def _round(value: float | None) -> int | None:
    return None if value is None else round(value)


quality_tab, speed_tab, cost_tab, criteria_tab, items_tab = st.tabs(
    ["Quality", "Speed", "Cost", "Criteria", "Items"]
)

with quality_tab:
    if not comparison.metrics:
        st.info("No judge metric is scored on both runs: score them (Data page) first.")
    else:
        rows = []
        for metric in comparison.metrics:
            q = compare.quality(items, metric, crit["quality_margin"], boot)
            ni = q["non_inferiority"]
            rows.append(
                {
                    "metric": metric + (" (gating)" if metric in comparison.gating else ""),
                    "source pass": fmt(q["source_pass_rate"], "%", 100),
                    "target pass": fmt(q["target_pass_rate"], "%", 100),
                    "difference (points)": fmt(q["pass_rate_difference"], "", 100),
                    "mean score difference": fmt(q["mean_score_difference"], "", 100),
                    "McNemar b / c, p": f"{q['mcnemar']['regressions']} / "
                    f"{q['mcnemar']['improvements']}, {q['mcnemar']['p_value']:.3g}",
                    "target/source (lower bound)": f"{ni['ratio'] or float('nan'):.3f} "
                    f"({ni['ratio_lower'] if ni['ratio_lower'] is not None else float('nan'):.3f})",
                }
            )
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        st.caption(
            f"{len(items)} paired items. Intervals: 95%, Wilson for pass rates, paired "
            "bootstrap for differences. Non-inferiority: one-sided paired t-test at "
            f"{1 - crit['quality_margin']:.2f} (Fieller bound). Mean score difference × 100."
        )
        st.markdown("**SME-corrected (prediction-powered) pass rates**")
        ppi_rows = []
        for metric in comparison.metrics:
            corrected = compare.sme_corrected(con, comparison, metric, items)
            for key in ("source", "target", "difference"):
                value = corrected.get(key)
                ppi_rows.append(
                    {
                        "metric": metric,
                        "what": key,
                        "PPI estimate": fmt(value, "%", 100),
                        "SME labels": value["labelled"] if value else 0,
                        "worth (labels)": _round(value and value["effective_labels"]),
                        "SME-only": fmt(value["sme_only"], "%", 100) if value else "—",
                    }
                )
        st.dataframe(pd.DataFrame(ppi_rows), hide_index=True)
        st.caption(
            "The judge on every item, corrected by the design-weighted SME labels (PPI++). "
            "'Worth' is how many SME labels alone would give the same interval width."
        )
        metric = st.selectbox("Per stratum, metric", comparison.metrics, key="compare.metric")
        per = compare.quality_by_stratum(items, metric, crit["quality_margin"])
        st.dataframe(
            pd.DataFrame(
                {
                    "stratum": r["stratum"],
                    "items": r["items"],
                    "source pass": fmt(r["source_pass_rate"], "%", 100),
                    "target pass": fmt(r["target_pass_rate"], "%", 100),
                    "difference (points)": fmt(r["pass_rate_difference"], "", 100),
                    "regressions": r["mcnemar"]["regressions"],
                    "improvements": r["mcnemar"]["improvements"],
                }
                for r in per
            ),
            hide_index=True,
        )

with speed_tab:
    figures = compare.speed(items, boot)
    for measure, title in (("ttft", "Time to first token"), ("latency", "Total latency")):
        st.markdown(f"**{title}** (ms; paired-bootstrap 95% intervals)")
        st.dataframe(
            pd.DataFrame(
                {
                    "percentile": r["percentile"],
                    "source": fmt(r["source_ms"]),
                    "target": fmt(r["target_ms"]),
                    "increase ms": fmt(r["increase_ms"]),
                    "increase %": fmt(r["increase_pct"], "%"),
                    "upper bound ms (one-sided)": r["increase_ms"]["upper_one_sided"],
                }
                for r in figures[measure]
            ),
            hide_index=True,
        )
    long = pd.concat(
        [
            pd.DataFrame(
                {"run": side, "measure": m, "ms": items[f"{side}_{m}"].to_numpy(dtype=float)}
            )
            for side in compare.SIDES
            for m in ("ttft", "latency")
        ]
    ).dropna()
    if not long.empty:
        ecdf = long.assign(
            share=long.groupby(["run", "measure"])["ms"].rank(method="max", pct=True)
        )
        ecdf = ecdf.groupby(["run", "measure"], group_keys=False).apply(
            lambda g: g.sample(min(len(g), 1500), random_state=0)
        )
        st.altair_chart(
            alt.Chart(ecdf)
            .mark_line(interpolate="step-after")
            .encode(
                x=alt.X("ms:Q", scale=alt.Scale(type="log")),
                y=alt.Y("share:Q", title="share of items", axis=alt.Axis(format="%")),
                color="run:N",
                column="measure:N",
                order="ms:Q",
            )
        )
        ttft = long[long["measure"] == "ttft"]
        st.altair_chart(
            alt.Chart(ttft.sample(min(len(ttft), 4000), random_state=0))
            .mark_bar(opacity=0.6)
            .encode(
                x=alt.X("ms:Q", bin=alt.Bin(maxbins=60), title="TTFT (ms)"),
                y=alt.Y("count():Q", stack=None),
                color="run:N",
            )
        )
    rates = {
        side: (figures[f"{side}_error_rate"], figures[f"{side}_timeout_rate"])
        for side in compare.SIDES
    }
    st.dataframe(
        pd.DataFrame(
            {
                "run": side,
                "error rate": fmt(errors, "%", 100),
                "timeout rate": fmt(timeouts, "%", 100),
            }
            for side, (errors, timeouts) in rates.items()
        ),
        hide_index=True,
    )
    calls = compare.call_breakdown(con, comparison, items)
    if not calls.empty:
        st.markdown("**Per call** (retrieval, generation, agent steps)")
        st.dataframe(calls, hide_index=True)

with cost_tab:
    figures = compare.cost(con, comparison, items, boot)
    if figures["missing_prices"]:
        st.warning("No price for " + ", ".join(figures["missing_prices"]) + ": add one below.")
    for side in compare.SIDES:
        if side in figures:
            c = figures[side]
            st.markdown(
                f"**{side}** {c['model_id']}: {c['per_query']:.5f} {c['currency']} per query, "
                f"{c['per_successful_answer'] or float('nan'):.5f} per successful answer, "
                f"{c['total']:.2f} for these {len(items)} items, "
                f"{c['monthly']:,.0f} a month at {crit['monthly_queries']:,} queries"
            )
    roi = figures.get("roi")
    if roi and "error" not in roi:
        days = roi["break_even_days"]
        st.metric(
            "Break-even",
            "never" if days is None else f"{days:.1f} days",
            help=f"one-off {roi['one_off_cost']:,.0f} against a monthly saving of "
            f"{roi['monthly_saving']:,.0f}",
        )
        st.caption(f"Saving per query: {fmt(roi['saving_per_query'], '', 1000)} (× 1,000)")
    with st.form("compare.roi"):
        st.markdown("**Traffic and one-off migration cost** (for the ROI criterion)")
        a, b, c = st.columns(3)
        monthly = a.number_input(
            "Queries per month",
            0,
            value=int(crit["monthly_queries"]),
            step=100_000,
            key="compare.monthly",
        )
        days_in = b.number_input(
            "Engineering days", 0.0, value=float(crit["engineering_days"]), key="compare.eng_days"
        )
        rate = c.number_input(
            "Day rate", 0.0, value=float(crit["engineering_day_rate"]), key="compare.day_rate"
        )
        hours = b.number_input(
            "SME hours", 0.0, value=float(crit["sme_hours"]), key="compare.sme_hours"
        )
        hour_rate = c.number_input(
            "SME hourly rate", 0.0, value=float(crit["sme_hour_rate"]), key="compare.hour_rate"
        )
        if st.form_submit_button("Save"):
            migration.update_criteria(
                con,
                migration_id,
                {
                    "monthly_queries": monthly,
                    "engineering_days": days_in,
                    "engineering_day_rate": rate,
                    "sme_hours": hours,
                    "sme_hour_rate": hour_rate,
                },
                actor=user.username,
            )
            st.rerun()
    st.markdown("**Price catalog** (per 1K tokens; every change is kept)")
    st.dataframe(compare.price_history(con), hide_index=True)
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
                    actor=user.username,
                )
                st.rerun()
            except SwitchyardError as exc:
                st.error(str(exc))

with criteria_tab, st.form("compare.criteria"):
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
    if st.form_submit_button("Save criteria"):
        try:
            migration.update_criteria(
                con,
                migration_id,
                {
                    "quality_margin": margin,
                    "gating_metrics": gating,
                    "ttft_increase_pct": pct,
                    "ttft_increase_ms": ms,
                    "roi_days": roi_days,
                    "kappa_floor": floor,
                    "canary_stages": stages.dropna().to_numpy().tolist(),
                },
                actor=user.username,
            )
            st.success("Saved (audited); approvals given before are stale now.")
        except SwitchyardError as exc:
            st.error(str(exc))

with items_tab:
    a, b = st.columns(2)
    kind = a.selectbox("Items", compare.BEHIND, key="compare.kind")
    metric = b.selectbox("Metric", ["all gating", *comparison.metrics], key="compare.kind_metric")
    behind = compare.items_behind(items, kind, None if metric == "all gating" else metric)
    st.caption(f"{len(behind)} items")
    picked = st.dataframe(
        behind, hide_index=True, on_select="rerun", selection_mode="single-row", key="compare.items"
    )
    rows = picked.selection.rows if picked else []
    if rows:
        detail = compare.item_detail(con, comparison, behind.iloc[rows[0]]["item_id"])
        st.markdown(f"**{detail['item_id']}**")
        review_controls.show_text(detail["prompt"], False)
        cols = st.columns(2)
        for col, side in zip(cols, compare.SIDES, strict=True):
            with col:
                d = detail[side]
                st.markdown(f"**{side}** · TTFT {d['ttft_ms'] or np.nan:.0f} ms")
                if d["error"]:
                    st.error(d["error"])
                review_controls.show_text(d["text"], False)
                st.dataframe(d["scores"], hide_index=True)
                if not d["labels"].empty:
                    st.dataframe(d["labels"], hide_index=True)
        st.markdown("**Reference answer**")
        review_controls.show_text(detail["ground_truth"], False)
