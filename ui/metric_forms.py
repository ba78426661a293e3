"""The Metrics page's table and forms: the catalog shown, a name mapped, a metric set."""

from __future__ import annotations

import streamlit as st

from core.catalog import metrics
from core.errors import SwitchyardError


def catalog_rows(con) -> list[dict]:
    """One row per catalog metric, with the names read as it."""
    names = metrics.aliases(con)
    return [
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
        for m in metrics.catalog(con).values()
    ]


def map_name(con, actor: str, unknown: list[dict]) -> None:
    """Read an unmapped name as a catalog metric from now on."""
    with st.form("metrics.map"):
        name = st.selectbox("Name", [u["metric"] for u in unknown], key="metrics.map.name")
        target = st.selectbox(
            "Is the catalog metric", list(metrics.catalog(con)), key="metrics.map.to"
        )
        if st.form_submit_button("Map it"):
            try:
                metrics.map_name(con, name, target, actor=actor)
                st.success(f"{name} is read as {target}; its imported scores moved.")
            except SwitchyardError as exc:
                st.error(str(exc))


def set_metric(con, actor: str) -> None:
    """Add a metric to the catalog, or change one."""
    with st.form("metrics.set"):
        name = st.text_input("Metric name", key="metrics.set.name")
        direction = st.radio(
            "Better when", metrics.DIRECTIONS, horizontal=True, key="metrics.set.dir"
        )
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
                    actor=actor,
                    direction=direction,
                    low=lowest,
                    high=highest,
                    default_threshold=threshold,
                    source=source or None,
                )
                st.success(f"{entry.metric} saved ({entry.direction} is better).")
            except SwitchyardError as exc:
                st.error(str(exc))
