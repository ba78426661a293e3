"""Review: the SME's queue, one item at a time, blind and side by side, by keyboard.

All state lives in the database (assignments and labels); the session only remembers
which item is on screen and the controls' values until submit. Model names, run ids and
judge scores never reach this page: core.review does not return them.
"""

import streamlit as st

from core.errors import NotFoundError
from core.review import queue
from ui import auth, store
from ui import review_controls as controls

user = auth.require("sme")
con = store.cursor()
st.title("Review")

progress = queue.progress(con, user.username)
if progress.assigned == 0:
    st.info(
        "Nothing is assigned to you yet. An evaluation owner assigns items from the Sampling page."
    )
    st.stop()
controls.progress_bar(progress)

current = controls.current(user.username)
done = queue.done_items(con, user.username)
if current is None:
    st.success("All your assigned items are labelled. Thank you!")
    controls.back_to_last(done)
    st.stop()

try:
    item = queue.load(con, *current, user.username)
except NotFoundError as exc:
    st.session_state["review.current"] = None
    st.error(str(exc))
    st.stop()
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
controls.actions(item, user.username, done)
controls.reopen_picker(done)
