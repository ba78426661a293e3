"""Compare: source against target in detail (quality, speed, cost), the criteria and prices
behind the sign-off, and the items behind every number."""

import altair as alt
import streamlit as st

from core.analysis import compare
from ui import auth, choosers, compare_forms, present, store

user = auth.require("eval_owner", "admin")
con = store.cursor()
st.title("Compare")

chosen = choosers.migration_or_stop(con, "compare.migration")
target = choosers.target_run(con, chosen["migration_id"], "compare.target")
comparison = compare.load(con, chosen["migration_id"], target)
if chosen["synthetic"]:
    st.warning("Synthetic demo: runs and SME labels are simulated.", icon=":material/science:")

left, right = st.columns(2)
stratum = left.selectbox(
    "Stratum", ["all", *sorted(comparison.items["stratum"].unique())], key="compare.stratum"
)
split = right.selectbox(
    "Split", ["all", *sorted(comparison.items["split"].unique())], key="compare.split"
)
items = compare.select(
    comparison, None if stratum == "all" else stratum, None if split == "all" else split
)
if items.empty:
    st.info("No item in this selection: choose another stratum or split.")
    st.stop()
boot = compare.bootstrap_for(items)
crit = comparison.criteria

quality_tab, speed_tab, cost_tab, criteria_tab, items_tab = st.tabs(
    ["Quality", "Speed", "Cost", "Criteria", "Items"]
)

with quality_tab:
    if not comparison.metrics:
        st.info(
            "No judge metric is scored on both runs: score them on the **Runs** page"
            " (`python -m core judge`), or import scored files on **Data**."
        )
    else:
        st.dataframe(present.quality(comparison, items, boot), hide_index=True)
        for row in compare.ungated(con, comparison):
            st.caption(f"{row['metric']} does not gate the decision: {row['why']}.")
        st.caption(
            f"{len(items)} paired items. Intervals: 95%, Wilson for pass rates, paired "
            "bootstrap for differences. Non-inferiority: one-sided paired t-test at "
            f"{1 - crit['quality_margin']:.2f} (Fieller bound). Mean score difference × 100."
        )
        st.markdown("**SME-corrected (prediction-powered) pass rates**")
        st.dataframe(present.sme_corrected(con, comparison, items), hide_index=True)
        st.caption(
            "The judge on every item, corrected by the design-weighted SME labels (PPI++). "
            "'Worth' is how many SME labels alone would give the same interval width."
        )
        metric = st.selectbox("Per stratum, metric", comparison.metrics, key="compare.metric")
        st.dataframe(present.by_stratum(items, metric, crit["quality_margin"]), hide_index=True)

with speed_tab:
    figures = compare.speed(items, boot)
    for note in present.not_measured(speed=figures):
        st.warning(note, icon=":material/timer_off:")
    for measure, title in (("ttft", "Time to first token"), ("latency", "Total latency")):
        st.markdown(f"**{title}** (ms; paired-bootstrap 95% intervals)")
        st.dataframe(present.percentiles(figures, measure), hide_index=True)
    points = present.latencies(items)
    if not points.empty:
        st.altair_chart(
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
    if (points["measure"] == "ttft").any():
        st.altair_chart(
            alt.Chart(points[points["measure"] == "ttft"])
            .mark_bar(opacity=0.6)
            .encode(
                x=alt.X("ms:Q", bin=alt.Bin(maxbins=60), title="TTFT (ms)"),
                y=alt.Y("count():Q", stack=None),
                color="run:N",
            )
        )
    st.dataframe(present.failure_rates(figures), hide_index=True)
    calls = compare.call_breakdown(con, comparison, items)
    if not calls.empty:
        st.markdown("**Per call** (retrieval, generation, agent steps)")
        st.dataframe(calls, hide_index=True)

with cost_tab:
    figures = compare.cost(con, comparison, items, boot)
    for note in present.not_measured(cost=figures):
        st.warning(note, icon=":material/money_off:")
    for line in present.cost_lines(figures, len(items), crit["monthly_queries"]):
        st.markdown(line)
    roi = figures.get("roi")
    if roi and "error" not in roi:
        days = roi["break_even_days"]
        st.metric(
            "Break-even",
            "never" if days is None else f"{days:.1f} days",
            help=f"one-off {roi['one_off_cost']:,.0f} against a monthly saving of "
            f"{roi['monthly_saving']:,.0f}",
        )
        saving = compare.interval_text(roi["saving_per_query"], "", 1000)
        st.caption(f"Saving per query: {saving} (× 1,000)")
    compare_forms.roi_form(con, chosen["migration_id"], crit, user.username)
    compare_forms.price_form(con, user.username)

with criteria_tab:
    compare_forms.criteria_form(con, comparison, user.username)

with items_tab:
    a, b = st.columns(2)
    kind = a.selectbox("Items", compare.BEHIND, key="compare.kind")
    metric = b.selectbox("Metric", ["all gating", *comparison.metrics], key="compare.kind_metric")
    behind = compare.items_behind(items, kind, None if metric == "all gating" else metric)
    st.caption(f"{len(behind)} items")
    picked = st.dataframe(
        behind, hide_index=True, on_select="rerun", selection_mode="single-row", key="compare.items"
    )
    if picked and picked.selection.rows:
        compare_forms.item_view(con, comparison, behind.iloc[picked.selection.rows[0]]["item_id"])
