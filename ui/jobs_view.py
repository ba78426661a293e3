"""The jobs panel: what runs in the background for these runs, with progress and Cancel.

A fragment that reruns itself every two seconds while a job is queued or running, so the
progress moves without reloading the page; the jobs themselves run on the app's worker
thread (or ``python -m core worker``) and go on when this page closes.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from core import formatting, render
from core.errors import SwitchyardError
from core.jobs import queue
from ui import store

REFRESH = timedelta(seconds=2)
_NOUNS = {
    "run": "Model run",
    "judge": "Judge scoring",
    "bedrock_eval": "Bedrock evaluation",
    "batch": "Batch inference",
}


def panel(subjects: list[str], names: dict[str, str], actor: str) -> None:
    """Recent jobs on ``subjects`` (run ids, the dataset id), ``names`` for their labels."""
    active = (
        not queue.jobs(store.cursor(), subjects, limit=20).query("status in @queue.ACTIVE").empty
    )
    st.fragment(_draw, run_every=REFRESH if active else None)(subjects, names, actor, active)


def _draw(subjects: list[str], names: dict[str, str], actor: str, was_active: bool) -> None:
    con = store.cursor()
    found = queue.jobs(con, subjects, limit=20)
    if found.empty:
        return
    st.subheader("Jobs")
    st.caption(
        "Runs, scoring and evaluations run in the background: they go on if you close this"
        " page, and this list follows them."
    )
    for job in found.to_dict("records"):
        _job_line(con, job, names, actor)
    still = found["status"].isin(queue.ACTIVE).any()
    if still != was_active:
        st.rerun()  # start or stop the refreshing, and show what a finished job changed


def _job_line(con, job: dict, names: dict[str, str], actor: str) -> None:
    subject = names.get(job["subject"], job["subject"] or "")
    what = render.inert(f"{_NOUNS[job['kind']]} · {subject}")
    when = formatting.when(job["created_at"])
    head, button = st.columns([5, 1])
    head.markdown(f"**{what}** · {job['status']} · {render.inert(job['created_by'])}, {when}")
    if job["status"] in queue.ACTIVE:
        head.progress(float(job["progress"]), _plain(job["message"]) or "waiting for a worker")
        if job["cancel_requested"]:
            button.caption("Stopping…")
        elif button.button("Cancel", key=f"jobs.cancel.{job['job_id']}"):
            try:
                queue.cancel(con, job["job_id"], actor=actor)
            except SwitchyardError as exc:
                st.error(str(exc))
            st.rerun()
    else:
        clean = job["status"] == "done" and not job["problems"]
        shown = st.success if clean else st.warning
        shown(_plain(job["message"]) or job["status"])
    lines = queue.log(con, job["job_id"])
    if lines:
        with st.expander(f"Log ({formatting.count(len(lines), 'line')})"):
            st.code("\n".join(lines), language=None)


def _plain(message: object) -> str:
    """A message as inert text: it may quote a model's or a service's words."""
    return "" if message is None or pd.isna(message) else render.inert(str(message))
