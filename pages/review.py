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
skipped = f" · {progress.skipped} skipped" if progress.skipped else ""
st.progress(
    progress.done / progress.assigned, text=f"{progress.done} of {progress.assigned} done{skipped}"
)

current = st.session_state.get("review.current")
if current is None:
    controls.go_next(user.username)
    current = st.session_state.get("review.current")
done = queue.done_items(con, user.username)
if current is None:
    st.success("All your assigned items are labelled. Thank you!")
    if done:
        st.button(
            "Change my last label",
            key="review.back_last",
            on_click=controls.go_to,
            args=((done[0].sample_id, done[0].item_id),),
        )
    st.stop()

try:
    item = queue.load(con, *current, user.username)
except NotFoundError as exc:
    st.session_state["review.current"] = None
    st.error(str(exc))
    st.stop()
controls.load_state(item)

top = st.container(horizontal=True)
mask = top.toggle(
    "Mask PII", key="review.mask", help="Hide emails, phone, card and account numbers on screen."
)
top.caption(f"Item {item.item_id}")
if item.status == "done":
    top.caption("You labelled this item already: submitting changes your label.")
st.caption(controls.HELP)

st.markdown("**Prompt**")
controls.show_text(item.prompt, mask)
with st.expander("Retrieved context"):
    controls.show_text(item.context, mask)
st.markdown("**Ground truth**")
controls.show_text(item.ground_truth, mask)

for column, response in zip(st.columns(len(item.responses)), item.responses, strict=True):
    with column:
        controls.response_panel(response, mask)
if len(item.responses) == 2:
    controls.preference_row()
st.text_area("Notes", key="review.notes", height=80)

if st.session_state.get("review.error"):
    st.error(st.session_state["review.error"])
with st.container(horizontal=True):
    st.button(
        "Submit and next",
        key="review.submit",
        type="primary",
        shortcut="Ctrl+Enter",
        on_click=controls.submit,
        args=(item, user.username),
        icon=":material/send:",
    )
    st.button(
        "Skip",
        key="review.skip",
        shortcut="S",
        on_click=controls.skip,
        args=(item, user.username),
        disabled=item.status == "done",
    )
    st.button(
        "Back",
        key="review.back",
        shortcut="Left",
        disabled=not done,
        on_click=controls.go_to,
        args=((done[0].sample_id, done[0].item_id) if done else None,),
    )
if done:
    choice = st.selectbox(
        "Go back to an item you labelled",
        [None, *done],
        key="review.pick",
        format_func=lambda s: "—" if s is None else f"item {s.item_id}",
    )
    if choice is not None:
        st.button(
            "Open it",
            key="review.open",
            on_click=controls.go_to,
            args=((choice.sample_id, choice.item_id),),
        )
