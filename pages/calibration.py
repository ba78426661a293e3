"""Calibration: how far each judge agrees with the SMEs, weighted by how the sample was drawn."""

import streamlit as st

from core.analysis import calibration
from core.catalog import migrations as migration
from core.errors import SwitchyardError
from core.review import sampling, topup
from ui import auth, choosers, store
from ui import calibration_view as view

user = auth.require("eval_owner", "admin")
con = store.cursor()
st.title("Calibration")

chosen = choosers.migration_or_stop(con, "calibration.migration")
run_id = view.run_chooser(con, chosen)["run_id"]
metrics = calibration.metrics_with_labels(con, run_id)
if not metrics:
    st.info(
        "No SME label meets a judge score on this run yet: draw a sample on the Sampling "
        "page and have SMEs review it."
    )
    st.stop()
gating = migration.criteria(con, chosen["migration_id"])["gating_metrics"] or metrics
first = next((i for i, m in enumerate(metrics) if m in gating), 0)  # a gating metric first
metric = st.selectbox("Judge metric", metrics, index=first, key="calibration.metric")
floor = st.number_input("κ floor", 0.0, 1.0, calibration.KAPPA_FLOOR, 0.05, key="calibration.floor")
if chosen["synthetic"]:
    st.warning(
        "Synthetic demo: these SME labels are simulated from the demo's hidden truth.",
        icon=":material/science:",
    )

evidence = calibration.load(con, run_id, metric)
frame, stratum = view.selection(evidence.pairs)
if frame.empty:
    st.info("No labelled pair in this selection: choose another stratum or judge version.")
    st.stop()
try:
    result = calibration.calibrate(evidence.select(frame), floor=floor)
except SwitchyardError as exc:
    st.error(str(exc))
    st.stop()
view.figures(result)

sweep = calibration.sweep(frame)
if view.threshold(result, sweep):
    calibration.apply_threshold(
        con, run_id, metric, float(sweep.best.estimate), actor=user.username
    )
    st.success("Applied: verdicts are re-derived from the stored scores (audited).")

view.sme_agreement(calibration.sme_agreement(con, run_id))
view.pairwise_agreement(con, run_id, stratum)

samples = sampling.list_samples(con, chosen["migration_id"])
offer = samples and not result.recall_reported
if offer and st.button("Top up the 'pass' strata (double their rate)", key="calibration.topup"):
    added = topup.top_up_passes(con, samples[-1]["sample_id"], actor=user.username)
    st.success(f"{added} items added for review.")

view.disagreements(frame)
