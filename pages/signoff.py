"""Sign-off: may the target replace the source? Each criterion with its evidence, the
approvals, open safety flags and the canary plan, on one page a manager can read."""

import streamlit as st

from core import render
from core.analysis import signoff
from core.errors import SwitchyardError
from ui import auth, choosers, present, signoff_forms, signoff_view, store

user = auth.require("manager", "eval_owner", "admin")
con = store.cursor()
st.title("Sign-off")

chosen = choosers.migration_or_stop(con, "signoff.migration")
target = choosers.target_run(con, chosen["migration_id"], "signoff.target")
try:
    report = signoff.evaluate(con, chosen["migration_id"], target)
except SwitchyardError as exc:
    st.error(str(exc))
    st.stop()
signoff_view.decision(report)
if report.synthetic:
    st.caption(":material/science: Synthetic demo: runs and SME labels are simulated.")

st.subheader("Criteria")
signoff_view.criteria_cards(report)
for note in present.unmeasured_criteria(report):
    st.warning(note, icon=":material/help:")
with st.expander("The criteria as one table"):
    st.table(present.criteria(report), hide_index=True)
signoff_view.figures(report)

st.subheader("Open safety flags")
if not report.open_safety_flags:
    st.write("No open SME safety flag.")
else:
    st.table(present.safety_flags(report), hide_index=True)
    if set(user.roles) & {"eval_owner", "admin"}:
        signoff_forms.resolve_form(con, report.open_safety_flags, user.username)

st.subheader("Approvals")
st.table(present.approvals(report), hide_index=True)
groups = {
    k: render.inert(", ".join(v)) or "none" for k, v in present.approval_groups(report).items()
}
st.markdown(
    f"Approved on the current evidence: **{groups['approved']}**. "
    f"Stale: **{groups['stale']}**. Rejected: **{groups['rejected']}**. "
    f"Not decided: **{groups['open']}**."
)
if report.checklist_open:
    st.caption("Compliance checklist still open: " + "; ".join(report.checklist_open))
if "manager" in user.roles:
    signoff_forms.approval_form(con, report, user.username)
signoff_forms.stakeholder_editor(con, report, user.username)

st.subheader("Canary plan")
st.table(present.canary(report), hide_index=True)
st.markdown("**Roll back to the source when**")
for trigger in report.canary[0].rollback_triggers if report.canary else []:
    st.markdown(f"- {render.inert(trigger)}")

signoff_forms.export_buttons(report)
