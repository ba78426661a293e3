"""Metrics: the catalog that reads each tool's metric names, and the names it does not know."""

import streamlit as st

from core.catalog import metrics
from core.errors import SwitchyardError
from ui import auth, store

user = auth.require("eval_owner", "admin")
con = store.cursor()
st.title("Metrics")
st.caption(
    "Each tool names a metric its own way; the catalog gives one name, range, direction and"
    " pass threshold. A lower-is-better metric passes when low. Names it does not know are"
    " imported as they are and never gate a decision until mapped."
)

names = metrics.aliases(con)
catalog = metrics.catalog(con)
st.dataframe(
    [
        {
            "metric": m.metric,
            "better when": m.direction,
            "range": f"{m.low if m.low is not None else '-∞'} to "
            f"{m.high if m.high is not None else '∞'}",
            "passes at": m.default_threshold,
            "names read as it": ", ".join(sorted(a for a, t in names.items() if t == m.metric)),
            "source": m.source,
            "set by": m.origin,
        }
        for m in catalog.values()
    ],
    hide_index=True,
)

st.subheader("Names not in the catalog")
unknown = metrics.unmapped(con)
if not unknown:
    st.info("Every imported metric name is in the catalog.")
else:
    st.dataframe(unknown, hide_index=True)
    with st.form("metrics.map"):
        name = st.selectbox("Name", [u["metric"] for u in unknown], key="metrics.map.name")
        target = st.selectbox("Is the catalog metric", list(catalog), key="metrics.map.to")
        if st.form_submit_button("Map it"):
            try:
                metrics.map_name(con, name, target, actor=user.username)
                st.success(f"{name} is read as {target}; its imported scores moved.")
            except SwitchyardError as exc:
                st.error(str(exc))

st.subheader("Add or change a metric")
with st.form("metrics.set"):
    name = st.text_input("Metric name", key="metrics.set.name")
    direction = st.radio("Better when", metrics.DIRECTIONS, horizontal=True, key="metrics.set.dir")
    low, high, cut = st.columns(3)
    lowest = low.number_input("Lowest score", value=0.0, key="metrics.set.low")
    highest = high.number_input("Highest score", value=1.0, key="metrics.set.high")
    threshold = cut.number_input("Passes at", value=0.5, key="metrics.set.threshold")
    source = st.text_input("Source of the range and direction", key="metrics.set.source")
    if st.form_submit_button("Save metric"):
        try:
            entry = metrics.set_metric(
                con,
                name,
                actor=user.username,
                direction=direction,
                low=lowest,
                high=highest,
                default_threshold=threshold,
                source=source or None,
            )
            st.success(f"{entry.metric} saved ({entry.direction} is better).")
        except SwitchyardError as exc:
            st.error(str(exc))
