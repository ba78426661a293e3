"""Compare: source against target in detail (quality, speed, cost), the criteria and prices
behind the sign-off, and the items behind every number."""

import streamlit as st

from core.analysis import compare
from ui import auth, charts, choosers, compare_forms, present, store

user = auth.require("eval_owner", "admin")
con = store.cursor()
st.title("Compare")

chosen = choosers.migration_or_stop(con, "compare.migration")
target = choosers.target_run(con, chosen["migration_id"], "compare.target")
comparison = compare.load(con, chosen["migration_id"], target)
if chosen["synthetic"]:
    st.warning("Synthetic demo: runs and SME labels are simulated.", icon=":material/science:")
items = compare_forms.selection(comparison)
if items.empty:
    st.info("No item in this selection: choose another stratum or split.")
    st.stop()
figures = compare.figures(comparison, items)
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
        compare_forms.quality_view(figures, comparison)

with speed_tab:
    for note in present.not_measured(speed=figures.speed):
        st.warning(note, icon=":material/timer_off:")
    for measure, title in (("ttft", "Time to first token"), ("latency", "Total latency")):
        st.markdown(f"**{title}** (paired-bootstrap 95% intervals)")
        st.table(present.percentiles(figures.speed, measure), hide_index=True)
    points = present.latencies(items)
    if not points.empty:
        st.altair_chart(charts.latency_ecdf(points))
    if (points["measure"] == "ttft").any():
        st.altair_chart(charts.ttft_histogram(points))
    st.table(present.failure_rates(figures.speed), hide_index=True)
    calls = compare.call_breakdown(con, comparison, items)
    if not calls.empty:
        st.markdown("**Per call** (retrieval, generation, agent steps)")
        st.dataframe(present.shown(calls), hide_index=True)

with cost_tab:
    for note in present.not_measured(cost=figures.cost):
        st.warning(note, icon=":material/money_off:")
    for line in present.cost_lines(figures.cost, len(items), crit["monthly_queries"]):
        st.markdown(line)
    if roi := figures.cost.roi:
        scope = present.selection_scope(items, st.session_state.get("compare.split", "all"))
        days, why, saving = present.break_even(figures.cost, roi, scope)
        st.metric("Break-even", days, help=why)
        st.caption(saving)
    compare_forms.roi_form(con, chosen["migration_id"], crit, user.username)
    compare_forms.price_form(con, user.username)

with criteria_tab:
    compare_forms.criteria_form(con, comparison, user.username)

with items_tab:
    compare_forms.items_view(con, comparison, items)
