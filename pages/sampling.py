"""Sampling: draw a stratified review sample for SMEs, preview it, top it up later."""

import pandas as pd
import streamlit as st

from core.catalog import migrations, runs, users
from core.errors import SwitchyardError
from core.review import sampling
from ui import auth, choosers, store

user = auth.require("eval_owner", "admin")
con = store.cursor()
st.title("Sampling")

chosen = choosers.migration_or_stop(con, "sampling.migration")
source = migrations.source_run(con, chosen["migration_id"])
targets = [
    r
    for r in runs.list_runs(con, chosen["dataset_id"])
    if r["run_id"] in migrations.target_runs(con, chosen["migration_id"])
]
single = st.toggle("Single output (one run, no comparison)", key="sampling.single")
target = None
if not single:
    target = st.selectbox(
        "Compare the source with",
        targets,
        key="sampling.target",
        format_func=lambda r: f"{r['name']} ({r['role']})",
    )["run_id"]

left, middle, right = st.columns(3)
fail_rate = left.number_input("Failures sampled (%)", 0.0, 100.0, 10.0, key="sampling.fail")
pass_rate = middle.number_input("Passes sampled (%)", 0.0, 100.0, 2.0, key="sampling.pass")
minimum = right.number_input("Minimum per stratum", 0, 1000, 5, key="sampling.min")
metric = left.selectbox(
    "A failure is",
    ["any gating metric failed", *migrations.metrics(con, chosen["migration_id"])],
    key="sampling.metric",
)
seed = middle.number_input("Seed", 0, 2**31 - 1, 1, key="sampling.seed")
regressions = right.checkbox(
    "Every regression (target failed, source passed)",
    True,
    key="sampling.regressions",
    disabled=single,
)
overlap = left.number_input(
    "Share reviewed by several SMEs (%)", 0.0, 100.0, 0.0, key="sampling.overlap"
)
k = middle.number_input("SMEs on those items", 1, 10, 2, key="sampling.k")
reviewers = st.multiselect("Assign to", users.reviewers(con), key="sampling.reviewers")
params = sampling.SampleParams(
    fail_rate=fail_rate / 100,
    pass_rate=pass_rate / 100,
    minimum=int(minimum),
    seed=int(seed),
    metric=None if metric.startswith("any") else metric,
    regressions=regressions and not single,
    overlap_share=overlap / 100,
    overlap_k=int(k),
    reviewers=tuple(reviewers),
)
try:
    preview = sampling.plan(con, chosen["migration_id"], source, target, params)
except SwitchyardError as exc:
    st.error(str(exc))
    st.stop()
st.subheader(f"Preview: {preview.total} of {preview.frame} items")
if preview.excluded:
    st.caption(f"{preview.excluded} items open in another sample are left out of the frame.")
st.dataframe(pd.DataFrame([vars(s) for s in preview.strata]), hide_index=True)
if st.button("Create sample", type="primary", key="sampling.create"):
    try:
        sample_id = sampling.create(
            con, chosen["migration_id"], source, target, params, actor=user.username
        )
        st.success(f"Sample {sample_id} created and assigned to {', '.join(reviewers)}.")
    except SwitchyardError as exc:
        st.error(str(exc))

st.subheader("Samples of this migration")
samples = sampling.list_samples(con, chosen["migration_id"])
if not samples:
    st.info("No sample yet.")
    st.stop()
st.dataframe(pd.DataFrame(samples), hide_index=True)
with st.form("sampling.topup"):
    st.markdown("**Top up a stratum** (inclusion probabilities stay exact)")
    sample = st.selectbox("Sample", [s["sample_id"] for s in samples], key="sampling.top.sample")
    strata = sampling.strata(con, sample)
    stratum = st.selectbox(
        "Stratum",
        strata,
        key="sampling.top.stratum",
        format_func=lambda s: f"{s['stratum']} / {s['pool']}: {s['taken']} of {s['size']}",
    )
    rate = st.number_input("New rate (%)", 0.0, 100.0, 20.0, key="sampling.top.rate")
    if st.form_submit_button("Top up"):
        try:
            added = sampling.top_up(
                con, sample, stratum["stratum"], stratum["pool"], rate / 100, actor=user.username
            )
            st.success(f"{added} items added.")
        except SwitchyardError as exc:
            st.error(str(exc))
