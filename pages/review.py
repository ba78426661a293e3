"""Review: the SME's queue, one item at a time, blind and side by side, by keyboard.

All state lives in the database (assignments and labels); the session remembers which item
is on screen, and the browser holds the SME's choices until submit (ui/review_form.js). Model
names, run ids and judge scores never reach this page: core.review does not return them.

The screen is a fragment: submit, skip or the mask toggle reruns only it, not app.py and the
sidebar.
"""

import streamlit as st

from ui import auth
from ui import review_controls as controls

user = auth.require("sme")
st.title("Review")
controls.forget_view(everything=True)  # a full run (a reload, another page) reads afresh


@st.fragment
def review(username: str) -> None:
    signed_in = auth.current_user()  # a revoked session ends at its next action, as elsewhere
    if signed_in is None or "sme" not in signed_in.roles:
        st.rerun()
    view = controls.view(username)
    if view.progress.assigned == 0:
        st.info(
            "Nothing is assigned to you yet. An evaluation owner assigns items from the"
            " Sampling page."
        )
        return
    controls.progress_bar(view.progress)
    if view.error:
        st.error(view.error)
        return
    if view.item is None:
        st.success("All your assigned items are labelled. Thank you!")
        controls.back_to_last(view.done)
        return
    mask = controls.mask_toggle()
    controls.form(view, username, mask)
    controls.reopen_picker(view.done)


review(user.username)
