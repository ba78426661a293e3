"""Sign-off: may the target replace the source? Each criterion with its evidence, the
approvals, open safety flags and the canary plan, on one page a manager can read."""

import altair as alt
import pandas as pd
import streamlit as st

from core import render, signoff
from core.errors import SwitchyardError
from ui import auth, choosers, store

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
if report["synthetic"]:
    st.warning("Synthetic demo: runs and SME labels are simulated.", icon=":material/science:")

BANNER = {signoff.GO: st.success, signoff.NO_GO: st.error, signoff.NOT_YET: st.warning}
BANNER[report["decision"]](
    f"**{report['decision']}** — "
    + "; ".join(report["reasons"][:6])
    + (" …" if len(report["reasons"]) > 6 else "")
)
st.caption(
    f"Target {report['target_model']} against the source, decided on {report['decided_on']}. "
    f"Evidence {report['snapshot_sha256'][:12]}: approvals given on other evidence are stale."
)

st.subheader("Criteria")
st.dataframe(
    pd.DataFrame(
        {
            "criterion": c["name"],
            "status": c["status"],
            "evidence": " · ".join(c["evidence"]),
            "rule": c["rule"],
            "what would settle it": c["settle"] or "",
        }
        for c in report["criteria"]
    ),
    hide_index=True,
)

left, right = st.columns(2)
rates = pd.DataFrame(
    [
        {
            "metric": metric,
            "run": side,
            "pass rate": q[f"{side}_pass_rate"]["estimate"],
            "low": q[f"{side}_pass_rate"]["low"],
            "high": q[f"{side}_pass_rate"]["high"],
        }
        for metric, q in report["quality"].items()
        if q.get("items")
        for side in ("source", "target")
    ]
)
if not rates.empty:
    base = alt.Chart(rates).encode(
        y=alt.Y("run:N", title=None), color=alt.Color("run:N", legend=None)
    )
    chart = (
        base.mark_point(filled=True, size=80).encode(
            x=alt.X("pass rate:Q", axis=alt.Axis(format="%"), scale=alt.Scale(zero=False))
        )
        + base.mark_rule().encode(x="low:Q", x2="high:Q")
    ).facet(row=alt.Row("metric:N", title=None))
    left.markdown(f"**Judge pass rate ({report['decided_on']}), 95% interval**")
    left.altair_chart(chart)
ttft = pd.DataFrame(
    [
        {"percentile": row["percentile"], "run": side, "ms": row[f"{side}_ms"]["estimate"]}
        for row in report["speed"].get("ttft", [])
        for side in ("source", "target")
    ]
)
if not ttft.empty and ttft["ms"].notna().any():
    right.markdown("**Time to first token**")
    right.altair_chart(
        alt.Chart(ttft)
        .mark_bar()
        .encode(x="percentile:N", xOffset="run:N", y=alt.Y("ms:Q", title="ms"), color="run:N")
    )

st.subheader("Open safety flags")
flags = report["open_safety_flags"]
if not flags:
    st.write("None.")
else:
    st.dataframe(pd.DataFrame(flags), hide_index=True)
    if set(user.roles) & {"eval_owner", "admin"}:
        with st.form("signoff.resolve"):
            label_id = st.selectbox(
                "Flag",
                [f["label_id"] for f in flags],
                key="signoff.flag",
                format_func=lambda i: next(
                    f"{f['item_id']} ({f['reviewer']})" for f in flags if f["label_id"] == i
                ),
            )
            note = st.text_input("How it was resolved", key="signoff.flag_note")
            if st.form_submit_button("Resolve the flag"):
                try:
                    signoff.resolve_flag(con, label_id, note, actor=user.username)
                    st.success("Resolved; the evidence changed, so approvals are stale now.")
                except SwitchyardError as exc:
                    st.error(str(exc))

st.subheader("Approvals")
st.dataframe(
    pd.DataFrame(
        {
            "stakeholder": a["role"],
            "person": a.get("person") or "",
            "decision": (a["decision"] or "open") + (" (stale)" if a["stale"] else ""),
            "by": a.get("decided_by") or "",
            "when": a.get("decided_at") or "",
            "comment": a.get("comment") or "",
        }
        for a in report["approvals"]
    ),
    hide_index=True,
)


def _roles(decision: str | None, stale: bool = False) -> str:
    picked = [
        a["role"]
        for a in report["approvals"]
        if (a["stale"] if stale else a["decision"] == decision and not a["stale"])
    ]
    return render.inert(", ".join(picked)) or "none"


st.markdown(
    f"Approved on the current evidence: **{_roles('approve')}**. "
    f"Stale: **{_roles(None, stale=True)}**. Rejected: **{_roles('reject')}**. "
    f"Not decided: **{_roles(None)}**."
)
if report["checklist_open"]:
    st.caption("Compliance checklist still open: " + "; ".join(report["checklist_open"]))
if "manager" in user.roles:
    with st.form("signoff.approve"):
        role = st.selectbox(
            "Stakeholder", [a["role"] for a in report["approvals"]], key="signoff.role"
        )
        decision = st.radio(
            "Decision", ["approve", "reject"], horizontal=True, key="signoff.decision"
        )
        comment = st.text_area("Comment (required to reject)", key="signoff.comment")
        ticks = {
            key: st.checkbox(text, key=f"signoff.check.{key}")
            for key, text in signoff.CHECKLIST.items()
        }
        if st.form_submit_button("Record the decision"):
            try:
                signoff.record_approval(
                    con,
                    chosen["migration_id"],
                    target,
                    role,
                    decision,
                    actor=user.username,
                    comment=comment,
                    checklist=ticks,
                )
                st.success(
                    f"{decision} by {role} recorded on evidence {report['snapshot_sha256'][:12]}."
                )
                st.rerun()
            except SwitchyardError as exc:
                st.error(str(exc))
if set(user.roles) & {"manager", "eval_owner", "admin"}:
    with st.expander("Stakeholders"):
        with st.form("signoff.stakeholder"):
            new_role = st.text_input("Role", key="signoff.new_role")
            person = st.text_input("Person (optional)", key="signoff.person")
            if st.form_submit_button("Add"):
                try:
                    signoff.add_stakeholder(
                        con, chosen["migration_id"], new_role, person, actor=user.username
                    )
                    st.rerun()
                except SwitchyardError as exc:
                    st.error(str(exc))
        gone = st.selectbox(
            "Remove", [a["role"] for a in report["approvals"]], key="signoff.remove_role"
        )
        if st.button("Remove this stakeholder", key="signoff.remove"):
            signoff.remove_stakeholder(con, chosen["migration_id"], gone, actor=user.username)
            st.rerun()

st.subheader("Canary plan")
st.dataframe(
    pd.DataFrame(
        {
            "stage": s["stage"],
            "traffic": f"{s['traffic_pct']:g}%",
            "duration": s["duration"],
            "success": " · ".join(s["success"]),
        }
        for s in report["canary"]
    ),
    hide_index=True,
)
st.markdown("**Roll back to the source when**")
for trigger in report["canary"][0]["rollback_triggers"] if report["canary"] else []:
    st.markdown(f"- {render.inert(trigger)}")

st.subheader("Export")
left, right = st.columns(2)
name = f"signoff-{report['migration_id']}-{report['target_run_id']}"
left.download_button(
    "HTML report", signoff.to_html(report), f"{name}.html", "text/html", key="signoff.html"
)
right.download_button(
    "JSON", signoff.to_json(report), f"{name}.json", "application/json", key="signoff.json"
)
