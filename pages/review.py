"""Review: the SME's queue, one item at a time, blind and side by side, by keyboard.

All state lives in the database (assignments and labels); the session only remembers
which item is on screen and the controls' values until submit. Model names, run ids and
judge scores never reach this page: core.review does not return them.

The item is a fragment: a key or a submit reruns only it, not app.py and the sidebar, and a
key reuses the item read for this screen (controls.view) instead of reading it again.
"""

import streamlit as st

from ui import auth
from ui import review_controls as controls

user = auth.require("sme")
st.title("Review")
controls.style()
controls.forget_view()  # a full run (a reload, another page) reads everything afresh


@st.fragment
def review(username: str) -> None:
    signed_in = auth.current_user()  # a revoked session ends at the next key, as elsewhere
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
    item = view.item
    if item is None:
        st.success("All your assigned items are labelled. Thank you!")
        controls.back_to_last(view.done)
        return
    controls.load_state(item)

    mask = controls.header(item)
    controls.item_texts(item, mask)
    for column, response in zip(st.columns(len(item.responses)), item.responses, strict=True):
        with column:
            controls.response_panel(response, mask)
    if len(item.responses) == 2:
        controls.preference_row()
    st.text_area("Notes", key="review.notes", height=80)

    if st.session_state.get("review.error"):
        st.error(st.session_state["review.error"])
    controls.chosen_summary(item)
    controls.actions(item, username, view.done)
    controls.reopen_picker(view.done)


review(user.username)
