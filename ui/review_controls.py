"""The review screen's controls: they own the ``review.*`` session keys.

Every control is a button or pill (clickable), and the frequent ones carry a keyboard
shortcut. Callbacks change session state before the page runs, so one click or key is one
run of the page's fragment: submit writes the label and the same run renders the next item.
A key's run reuses the item read for this screen (``view``); submit, skip and moving to
another item read it afresh.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core import render
from core.errors import NotFoundError, SwitchyardError
from core.review import labels, queue
from core.review.queue import FAILURE_MODES, ResponseLabel, ReviewItem
from core.types import PASS_SCORE
from ui import store
from ui.review_style import legend, style  # noqa: F401  (the page calls them from here)

SCORE_KEYS = {"A": "12345", "B": "67890"}  # Response A: 1-5; Response B: 6, 7, 8, 9, 0
PASS_KEYS = {"A": "Q", "B": "W"}
SAFETY_KEYS = {"A": "X", "B": "Y"}
PREFERENCE_KEYS = {"A": "A", "B": "B", "tie": "T"}


def _key(*parts: str) -> str:
    return "review." + ".".join(parts)


@dataclass(frozen=True)
class View:
    """What one screen shows: the reviewer's progress, labelled items and the item itself."""

    progress: queue.Progress
    done: list[queue.Slot]
    item: ReviewItem | None
    error: str | None = None


def forget_view() -> None:
    st.session_state[_key("view")] = None


def view(reviewer: str) -> View:
    """This screen's view, read once: a key's rerun of the fragment reuses it."""
    cached = st.session_state.get(_key("view"))
    if cached is not None:
        return cached
    con = store.cursor()
    progress = queue.progress(con, reviewer)
    if progress.assigned == 0:
        return View(progress, [], None)
    slot = current(reviewer)
    done = queue.done_items(con, reviewer)
    try:
        item = queue.load(con, *slot, reviewer) if slot else None
    except NotFoundError as exc:
        st.session_state[_key("current")] = None
        return View(progress, done, None, str(exc))
    st.session_state[_key("view")] = View(progress, done, item)
    return st.session_state[_key("view")]


def load_state(item: ReviewItem) -> None:
    """Fill the controls from the reviewer's earlier label, or blank, once per item."""
    loaded = (item.sample_id, item.item_id)
    if st.session_state.get(_key("loaded")) == loaded:
        return
    existing = item.existing
    for response in item.responses:
        old = existing.responses.get(response.side) if existing else None
        st.session_state[_key(response.side, "score")] = old.score if old else None
        # pass/fail set in this edit; the stored verdict stays only while the score does
        st.session_state[_key(response.side, "passed")] = None
        st.session_state[_key(response.side, "stored")] = (old.score, old.passed) if old else None
        st.session_state[_key(response.side, "modes")] = list(old.failure_modes) if old else []
        st.session_state[_key(response.side, "safety")] = old.safety_flag if old else False
    st.session_state[_key("preference")] = existing.preference if existing else None
    st.session_state[_key("notes")] = (existing.notes or "") if existing else ""
    st.session_state[_key("loaded")] = loaded


def _set(name: str, value: object) -> None:
    st.session_state[name] = value


def _toggle_passed(side: str) -> None:
    st.session_state[_key(side, "passed")] = not passed(side)


def passed(side: str) -> bool | None:
    """Pass/fail set in this edit, else the stored one while the score is unchanged, else
    from the score (3 or more passes)."""
    explicit = st.session_state.get(_key(side, "passed"))
    if explicit is not None:
        return explicit
    score = st.session_state.get(_key(side, "score"))
    stored = st.session_state.get(_key(side, "stored"))
    if stored is not None and stored[0] == score and stored[1] is not None:
        return stored[1]
    return None if score is None else score >= PASS_SCORE


def show_text(text: str | None, mask: bool) -> None:
    st.markdown(render.inert(render.mask_pii(text) if mask else text) or "*(empty)*")


def progress_bar(progress: queue.Progress) -> None:
    skipped = f" · {progress.skipped} skipped" if progress.skipped else ""
    st.progress(
        progress.done / progress.assigned,
        text=f"{progress.done} of {progress.assigned} done{skipped}",
    )


def current(reviewer: str) -> tuple[str, str] | None:
    """The (sample, item) on screen: the one chosen, else the next in the reviewer's queue."""
    if st.session_state.get(_key("current")) is None:
        go_next(reviewer)
    return st.session_state.get(_key("current"))


def back_to_last(done: list[queue.Slot]) -> None:
    """With the queue finished, one button reopens the last labelled item."""
    if done:
        st.button(
            "Change my last label",
            key=_key("back_last"),
            on_click=go_to,
            args=((done[0].sample_id, done[0].item_id),),
        )


def header(item: ReviewItem) -> bool:
    """The PII mask toggle, the item's id and the keys; returns whether to mask."""
    top = st.container(horizontal=True)
    mask = top.toggle(
        "Mask PII", key=_key("mask"), help="Hide emails, phone, card and account numbers on screen."
    )
    top.caption(f"Item {item.item_id}")
    if item.status == "done":
        top.caption("You labelled this item already: submitting changes your label.")
    legend(len(item.responses) == 2)
    return mask


def item_texts(item: ReviewItem, mask: bool) -> None:
    """Prompt, retrieved context (folded) and ground truth, as inert text."""
    st.markdown("**Prompt**")
    show_text(item.prompt, mask)
    with st.expander("Retrieved context"):
        show_text(item.context, mask)
    st.markdown("**Ground truth**")
    show_text(item.ground_truth, mask)


def response_panel(response: queue.Response, mask: bool) -> None:
    side = response.side
    st.subheader(f"Response {side}")
    with st.container(border=True):
        if response.error or response.text is None:
            st.warning("No answer: the model call failed for this item.")
        else:
            show_text(response.text, mask)
    chosen = st.session_state.get(_key(side, "score"))
    with st.container(horizontal=True, key=f"review-{side}-scores", gap="small"):
        for value, shortcut in zip(range(1, 6), SCORE_KEYS[side], strict=True):
            st.button(
                str(value),
                key=_key(side, "score", str(value)),
                shortcut=shortcut,
                type="primary" if chosen == value else "secondary",
                icon=":material/radio_button_checked:" if chosen == value else None,
                on_click=_set,
                args=(_key(side, "score"), value),
            )
    verdict = passed(side)
    # Pass and fail differ in colour (blue, orange) and in shape (check, cross); nothing
    # shows before a score or a click decides it.
    state = {None: "none", True: "pass", False: "fail"}[verdict]
    with st.container(horizontal=True, gap="small"):
        st.container(key=f"review-{side}-verdict-{state}", width="content").button(
            {None: "Pass / fail", True: "Pass", False: "Fail"}[verdict],
            key=_key(side, "pass_toggle"),
            shortcut=PASS_KEYS[side],
            on_click=_toggle_passed,
            args=(side,),
            icon={None: None, True: ":material/check:", False: ":material/close:"}[verdict],
            help="Pass/fail follows the score (3+ passes); click to override.",
        )
        flagged = st.session_state.get(_key(side, "safety"), False)
        st.button(
            "Safety flag",
            key=_key(side, "safety_toggle"),
            shortcut=SAFETY_KEYS[side],
            type="primary" if flagged else "secondary",
            icon=":material/flag:",
            on_click=_set,
            args=(_key(side, "safety"), not flagged),
        )
    st.pills("Failure modes", FAILURE_MODES, selection_mode="multi", key=_key(side, "modes"))


def preference_row() -> None:
    chosen = st.session_state.get(_key("preference"))
    st.markdown("**Which response is better?**")
    with st.container(horizontal=True, key="review-preferences", gap="small"):
        for value, shortcut in PREFERENCE_KEYS.items():
            label = "Tie" if value == "tie" else f"{value} is better"
            st.button(
                label,
                key=_key("preference", value),
                shortcut=shortcut,
                type="primary" if chosen == value else "secondary",
                icon=":material/radio_button_checked:" if chosen == value else None,
                on_click=_set,
                args=(_key("preference"), value),
            )


def chosen_summary(item: ReviewItem) -> None:
    """The values chosen so far, in one line beside the submit button."""
    parts = []
    for r in item.responses:
        score = st.session_state.get(_key(r.side, "score"))
        verdict = {None: "", True: " ✓ pass", False: " ✗ fail"}[passed(r.side)]
        modes = st.session_state.get(_key(r.side, "modes")) or []
        flag = " · ⚑ safety" if st.session_state.get(_key(r.side, "safety")) else ""
        extra = f" ({', '.join(modes)})" if modes else ""
        parts.append(f"**{r.side}** {'—' if score is None else score}{verdict}{extra}{flag}")
    if len(item.responses) == 2:
        preference = st.session_state.get(_key("preference"))
        parts.append(f"**better** {'—' if preference is None else preference}")
    st.markdown("Chosen: " + " · ".join(parts))


def collected(item: ReviewItem) -> list[ResponseLabel]:
    return [
        ResponseLabel(
            r.side,
            st.session_state.get(_key(r.side, "score")),
            passed(r.side),
            tuple(st.session_state.get(_key(r.side, "modes")) or ()),
            bool(st.session_state.get(_key(r.side, "safety"))),
        )
        for r in item.responses
    ]


def submit(item: ReviewItem, reviewer: str) -> None:
    """Callback: write the label, then point the page at the next item."""
    preference = st.session_state.get(_key("preference")) if len(item.responses) == 2 else None
    try:
        labels.submit(
            store.cursor(),
            item.sample_id,
            item.item_id,
            reviewer,
            collected(item),
            preference,
            st.session_state.get(_key("notes")),
        )
    except SwitchyardError as exc:
        st.session_state[_key("error")] = str(exc)
        return
    go_next(reviewer, after=(item.sample_id, item.item_id))


def skip(item: ReviewItem, reviewer: str) -> None:
    labels.skip(store.cursor(), item.sample_id, item.item_id, reviewer)
    go_next(reviewer, after=(item.sample_id, item.item_id))


def go_next(reviewer: str, after: tuple[str, str] | None = None) -> None:
    slot = queue.next_slot(store.cursor(), reviewer, after)
    st.session_state[_key("current")] = (slot.sample_id, slot.item_id) if slot else None
    st.session_state[_key("error")] = None
    forget_view()


def go_to(target: tuple[str, str] | None) -> None:
    if target:
        st.session_state[_key("current")] = target
        st.session_state[_key("error")] = None
        forget_view()


def actions(item: ReviewItem, reviewer: str, done: list[queue.Slot]) -> None:
    """Submit and next, skip, and back to the last labelled item."""
    with st.container(horizontal=True):
        st.button(
            "Submit and next",
            key=_key("submit"),
            type="primary",
            shortcut="Ctrl+Enter",
            on_click=submit,
            args=(item, reviewer),
            icon=":material/send:",
        )
        st.button(
            "Skip",
            key=_key("skip"),
            shortcut="S",
            on_click=skip,
            args=(item, reviewer),
            disabled=item.status == "done",
        )
        st.button(
            "Back",
            key=_key("back"),
            shortcut="Left",
            disabled=not done,
            on_click=go_to,
            args=((done[0].sample_id, done[0].item_id) if done else None,),
        )


def reopen_picker(done: list[queue.Slot]) -> None:
    """Choose any labelled item to open again."""
    if not done:
        return
    choice = st.selectbox(
        "Go back to an item you labelled",
        [None, *done],
        key=_key("pick"),
        format_func=lambda s: "—" if s is None else f"item {s.item_id}",
    )
    if choice is not None:
        st.button(
            "Open it",
            key=_key("open"),
            on_click=go_to,
            args=((choice.sample_id, choice.item_id),),
        )
