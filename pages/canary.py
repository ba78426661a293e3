"""Canary: production traffic of both arms, the current stage's verdict (PROMOTE, HOLD or
ROLL BACK) with why, each check's confidence sequence over time, the rollback drill, the SME
review of canary traffic, and the routing recipe. Evaluation owners ingest logs, record stage
starts and rollbacks and draw canary requests for SME review; managers read. Every verdict
is stored with the hash of its inputs, so a refresh never changes it."""

import streamlit as st

from core.analysis.canary import status
from core.errors import SwitchyardError
from ui import auth, canary_view, choosers, store

user = auth.require("manager", "eval_owner", "admin")
con = store.cursor()
st.title("Canary")

chosen = choosers.migration_or_stop(con, "canary.migration")
owner = bool({"eval_owner", "admin"} & set(user.roles))
if owner:
    with st.expander("Ingest traffic logs", expanded=False):
        canary_view.ingest_form(con, chosen["migration_id"], user.username)
try:
    result = status.status(con, chosen["migration_id"], actor=user.username)
except SwitchyardError as exc:
    st.error(str(exc))
    st.stop()

canary_view.verdict(result)
canary_view.drill(result)
if owner:
    canary_view.course_form(con, result, user.username)

st.subheader("Stages")
st.dataframe(canary_view.stage_table(result), hide_index=True)

st.subheader("Checks")
if result.checks:
    st.dataframe(canary_view.checks_table(result), hide_index=True)
    st.caption(
        "Each interval is a 95% confidence sequence: valid at every look, however often the "
        "page is refreshed; the false-alarm budget is split across the checks. Limits: "
        + "; ".join(result.limits.basis)
    )
    canary_view.over_time(con, result)
else:
    st.info("No traffic for this stage yet: ingest the logs of both arms above.")

st.subheader("SME review of canary traffic")
canary_view.review_section(con, chosen["migration_id"], user.username if owner else None)

st.subheader("Routing recipe")
canary_view.downloads(con, result)

st.subheader("Verdict history")
st.dataframe(canary_view.history_table(con, result.migration_id), hide_index=True)
