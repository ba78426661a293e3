"""Metrics: the catalog that reads each tool's metric names, and the names it does not know."""

import pandas as pd
import streamlit as st

from core.catalog import metrics
from ui import auth, metric_forms, navigation, present, store

user = auth.require(*navigation.OWNERS)
con = store.cursor()
st.title("Metrics")
st.caption(
    "Each tool names a metric its own way; the catalog gives one name, range, direction and"
    " pass threshold. A lower-is-better metric passes when low. Names it does not know are"
    " imported as they are and never gate a decision until mapped."
)
st.dataframe(present.shown(pd.DataFrame(metric_forms.catalog_rows(con))), hide_index=True)

st.subheader("Names not in the catalog")
unknown = metrics.unmapped(con)
if not unknown:
    st.info("Every imported metric name is in the catalog.")
else:
    st.dataframe(present.shown(pd.DataFrame(unknown)), hide_index=True)
    metric_forms.map_name(con, user.username, unknown)

st.subheader("Add or change a metric")
metric_forms.set_metric(con, user.username)
