"""Sampling: draw a stratified review sample for SMEs, preview it, top it up later."""

import pandas as pd
import streamlit as st

from core.catalog import migrations, runs
from core.errors import SwitchyardError
from core.review import sampling
from ui import auth, choosers, present, sampling_plan, store
from ui import sampling_view as view

user = auth.require("eval_owner", "admin")
con = store.cursor()
st.title("Sampling")

chosen = choosers.migration_or_stop(con, "sampling.migration")
source = migrations.source_run(con, chosen["migration_id"])
target_ids = set(migrations.target_runs(con, chosen["migration_id"]))  # read once
targets = [r for r in runs.list_runs(con, chosen["dataset_id"]) if r["run_id"] in target_ids]
single = st.toggle("Single output (one run, no comparison)", key="sampling.single")
target = None
if not single:
    target = st.selectbox(
        "Compare the source with",
        targets,
        key="sampling.target",
        format_func=lambda r: f"{r['name']} ({r['role']})",
    )["run_id"]

params = view.params(con, chosen["migration_id"], single)
try:
    preview = sampling.plan(con, chosen["migration_id"], source, target, params)
except SwitchyardError as exc:
    st.error(str(exc))
    st.stop()
st.subheader(f"Preview: {preview.total} of {preview.frame} items")
if preview.excluded:
    st.caption(f"{preview.excluded} items open in another sample are left out of the frame.")
st.dataframe(present.shown(pd.DataFrame([vars(s) for s in preview.strata])), hide_index=True)
sampling_plan.show(con, chosen["migration_id"], preview, params)
if st.button("Create sample", type="primary", key="sampling.create"):
    try:
        sample_id = sampling.create(
            con, chosen["migration_id"], source, target, params, actor=user.username
        )
        reviewers = ", ".join(params.reviewers)
        st.success(f"Sample {sample_id} created and assigned to {reviewers}.")
    except SwitchyardError as exc:
        st.error(str(exc))

st.subheader("Samples of this migration")
samples = sampling.list_samples(con, chosen["migration_id"])
if not samples:
    st.info("No sample yet.")
    st.stop()
st.dataframe(present.shown(pd.DataFrame(samples)), hide_index=True)
view.top_up(con, samples, user.username)
