"""The Sign-off page's forms: resolving safety flags, recording a decision, stakeholders, and
the export buttons. They own the page's ``signoff.*`` keys."""

from __future__ import annotations

import streamlit as st

from core.analysis import signoff
from core.analysis.signoff import charts as signoff_charts
from core.errors import SwitchyardError


def resolve_form(con, flags: list[signoff.SafetyFlag], actor: str) -> None:
    names = {f.label_id: f"{f.item_id} ({f.reviewer})" for f in flags}
    with st.form("signoff.resolve"):
        label_id = st.selectbox("Flag", list(names), key="signoff.flag", format_func=names.get)
        note = st.text_input("How it was resolved", key="signoff.flag_note")
        if st.form_submit_button("Resolve the flag"):
            try:
                signoff.resolve_flag(con, label_id, note, actor=actor)
                st.success("Resolved; the evidence changed, so approvals are stale now.")
            except SwitchyardError as exc:
                st.error(str(exc))


def approval_form(con, report: signoff.SignoffReport, actor: str) -> None:
    recorded = st.session_state.pop("signoff.recorded", None)
    if recorded:
        st.success(recorded, icon=":material/check:")
    with st.form("signoff.approve"):
        role = st.selectbox("Stakeholder", [a.role for a in report.approvals], key="signoff.role")
        # No default: a decision is recorded only when someone chose it.
        decision = st.radio(
            "Decision", ["approve", "reject"], index=None, horizontal=True, key="signoff.decision"
        )
        comment = st.text_area("Comment (required to reject)", key="signoff.comment")
        ticks = {
            key: st.checkbox(text, key=f"signoff.check.{key}")
            for key, text in signoff.CHECKLIST.items()
        }
        if st.form_submit_button("Record the decision"):
            if decision is None:
                st.error("Choose approve or reject first: nothing was recorded.")
                return
            try:
                signoff.record_approval(
                    con,
                    report.migration_id,
                    report.target_run_id,
                    role,
                    decision,
                    actor=actor,
                    comment=comment,
                    checklist=ticks,
                )
                st.session_state["signoff.recorded"] = (
                    f"Recorded: {role} — {decision}, on the evidence shown above."
                )
                st.rerun()
            except SwitchyardError as exc:
                st.error(str(exc))


def stakeholder_editor(con, report: signoff.SignoffReport, actor: str) -> None:
    migration_id = report.migration_id
    with st.expander("Stakeholders"):
        with st.form("signoff.stakeholder"):
            new_role = st.text_input("Role", key="signoff.new_role")
            person = st.text_input("Person (optional)", key="signoff.person")
            if st.form_submit_button("Add"):
                try:
                    signoff.add_stakeholder(con, migration_id, new_role, person, actor=actor)
                    st.rerun()
                except SwitchyardError as exc:
                    st.error(str(exc))
        gone = st.selectbox("Remove", [a.role for a in report.approvals], key="signoff.remove_role")
        if st.button("Remove this stakeholder", key="signoff.remove"):
            signoff.remove_stakeholder(con, migration_id, gone, actor=actor)
            st.rerun()


def export_buttons(report: signoff.SignoffReport) -> None:
    st.subheader("Export")
    left, middle, right = st.columns(3)
    name = f"signoff-{report.migration_id}-{report.target_run_id}"
    # Rendered when clicked (the charts take a moment to draw), not on every page run.
    left.download_button(
        "HTML report",
        lambda: signoff_charts.export_html(report),
        f"{name}.html",
        "text/html",
        key="signoff.html",
        help="With the charts; prints to PDF from the browser (File → Print).",
    )
    middle.download_button(
        "PDF report",
        lambda: signoff_charts.export_pdf(report),
        f"{name}.pdf",
        "application/pdf",
        key="signoff.pdf",
        help="The HTML report laid out for A4 by WeasyPrint, with the charts.",
    )
    right.download_button(
        "JSON", signoff.to_json(report), f"{name}.json", "application/json", key="signoff.json"
    )
