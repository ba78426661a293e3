"""Calibration: how far each judge agrees with the SMEs, weighted by how the sample was drawn."""

import altair as alt
import pandas as pd
import streamlit as st

from core import exports
from core.analysis import calibration
from core.catalog import migrations, runs
from core.errors import SwitchyardError
from core.importers import pairwise
from core.review import sampling
from ui import auth, choosers, store

user = auth.require("eval_owner", "admin")
con = store.cursor()
st.title("Calibration")

chosen = choosers.migration_or_stop(con, "calibration.migration")
run_list = [
    r
    for r in runs.list_runs(con, chosen["dataset_id"])
    if r["run_id"]
    in {
        migrations.source_run(con, chosen["migration_id"]),
        *migrations.target_runs(con, chosen["migration_id"]),
    }
]
run = st.selectbox(
    "Run", run_list, key="calibration.run", format_func=lambda r: f"{r['name']} ({r['role']})"
)
metrics = calibration.metrics_with_labels(con, run["run_id"])
if not metrics:
    st.info(
        "No SME label meets a judge score on this run yet: draw a sample on the Sampling "
        "page and have SMEs review it."
    )
    st.stop()
metric = st.selectbox("Judge metric", metrics, key="calibration.metric")
floor = st.number_input("κ floor", 0.0, 1.0, calibration.KAPPA_FLOOR, 0.05, key="calibration.floor")
if chosen["synthetic"]:
    st.warning(
        "Synthetic demo: these SME labels are simulated from the demo's hidden truth.",
        icon=":material/science:",
    )

frame = calibration.pairs(con, run["run_id"], metric)
left, middle, right = st.columns(3)
stratum = left.selectbox(
    "Stratum", ["all", *sorted(frame["stratum"].unique())], key="calibration.stratum"
)
versions = sorted(frame["judge_version"].dropna().unique())
version = middle.selectbox("Judge version", ["all", *versions], key="calibration.version")
vote = right.toggle(
    "Majority vote per item",
    key="calibration.majority",
    help="One pair per item (the SMEs' majority) instead of one per label.",
)
frame = calibration.select(
    frame, None if stratum == "all" else stratum, None if version == "all" else version
)
if vote:
    frame = calibration.majority(frame)
    st.caption("Majority-vote view: one pair per item.")
if frame.empty:
    st.info("No labelled pair in this selection: choose another stratum or judge version.")
    st.stop()
try:
    result = calibration.report(con, run["run_id"], metric, floor=floor, frame=frame)
except SwitchyardError as exc:
    st.error(str(exc))
    st.stop()
if result.warning:
    st.warning(result.warning, icon=":material/warning:")
for line in result.advice:
    st.info(line)

st.subheader("Judge vs SMEs (pass/fail; 'fail' is what the judge should catch)")
st.dataframe(calibration.figures_table(result), hide_index=True)
st.caption(
    "Weighted: each label counts 1 / (inclusion probability × labels on its item), so "
    "the figures speak for the whole dataset. Unweighted: what the sample shows. "
    "Intervals are 95%: Wilson for proportions, stratified bootstrap for κ, AC1, F1, ρ."
)
left, right = st.columns(2)
if result.design == "sample":
    left.metric("SME pass rate (weighted)", calibration.fmt(result.sme_pass_rate))
else:
    left.metric(
        "SME pass rate (these labels only)", calibration.fmt(result.sme_pass_rate_unweighted)
    )
right.metric(
    "Judge pass rate (all items)",
    f"{result.judge_pass_rate:.1%}" if result.judge_pass_rate is not None else "—",
)

st.subheader("Pass threshold")
sweep, best = calibration.sweep(frame)
chart = (
    alt.Chart(sweep.melt("threshold", var_name="figure", value_name="value"))
    .mark_line(point=True)
    .encode(
        x="threshold:Q", y=alt.Y("value:Q", scale=alt.Scale(domain=[-0.2, 1])), color="figure:N"
    )
)
st.altair_chart(chart)
st.write(
    f"Recommended threshold: **{calibration.fmt(best, percent=False)}** (maximises κ; "
    f"current {result.threshold if result.threshold is not None else '—'})"
)
if st.button("Apply the recommended threshold", key="calibration.apply"):
    calibration.apply_threshold(
        con, run["run_id"], metric, float(best.estimate), actor=user.username
    )
    st.success("Applied: verdicts are re-derived from the stored scores (audited).")

st.subheader("SME vs SME")
smes = calibration.sme_agreement(con, run["run_id"])
if smes["items"] == 0:
    st.info(smes["advice"])
else:
    st.json(smes, expanded=False)

st.subheader("Pairwise judge vs SME preferences")
compared = pairwise.comparisons(con, run["run_id"])
if not compared:
    st.info(
        "No pairwise judge verdicts involve this run: import them on the Data page "
        "(Import pairwise verdicts) to compare them with the SMEs' side-by-side preferences."
    )
for judged, baseline, pair_metric in compared:
    prefs = pairwise.pairs(con, judged, baseline, pair_metric)
    if stratum != "all":
        prefs = prefs[prefs["stratum"] == stratum]
    st.caption(f"{pair_metric}: run {judged} against baseline {baseline}")
    if prefs.empty:
        st.info("No SME side-by-side preference on these items yet.")
        continue
    st.dataframe(
        calibration.pairwise_table(calibration.pairwise(prefs["judge"], prefs["sme"])),
        hide_index=True,
    )

samples = sampling.list_samples(con, chosen["migration_id"])
top_up = samples and not result.recall_reported
if top_up and st.button("Top up the 'pass' strata (double their rate)", key="calibration.topup"):
    added = calibration.top_up_passes(con, samples[-1]["sample_id"], actor=user.username)
    st.success(f"{added} items added for review.")

st.subheader("Disagreements")
rows = calibration.disagreements(frame)
if rows.empty:
    st.info("Judge and SMEs agree on every labelled output.")
else:
    st.dataframe(rows, hide_index=True)
    st.download_button(
        "Export CSV",
        exports.csv_text(rows),
        "disagreements.csv",
        "text/csv",
        key="calibration.export",
    )
st.caption(f"{len(frame)} pairs · {pd.Series(frame['reviewer']).nunique()} reviewers")
