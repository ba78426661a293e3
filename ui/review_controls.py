"""The review screen's server side: which item is on screen, and the actions the form sends.

The item and the SME's choices are drawn by the review form (ui/review_form.js, a Streamlit
component): a key or click changes the browser's page only, and submit, skip and back arrive
here as one action each (``act``), checked (core.review.actions) and written before the
fragment draws the next item. The form is also sent the item that follows, so it can move on
at once; what it shows after this run is what the server says.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import streamlit as st

from core import render
from core.errors import InputError, NotFoundError, SwitchyardError
from core.review import actions, labels, queue
from core.review.queue import FAILURE_MODES, ReviewItem
from core.types import PASS_SCORE
from ui import store

HERE = Path(__file__).parent
FORM_KEY = "review.form"
_FORM = st.components.v2.component(
    "switchyard_review_form",
    css=(HERE / "review_form.css").read_text(encoding="utf-8"),
    js=(HERE / "review_form.js").read_text(encoding="utf-8"),
    isolate_styles=False,  # its classes are its own (rv-); tests and the layout check see in
)


def _key(*parts: str) -> str:
    return "review." + ".".join(parts)


@dataclass(frozen=True)
class View:
    """What one screen shows: progress, labelled items, the item and the one after it."""

    progress: queue.Progress
    done: list[queue.Slot]
    item: ReviewItem | None
    error: str | None = None
    following: ReviewItem | None = None  # what submit or skip moves to; the form shows it early


def forget_view(everything: bool = False) -> None:
    """The next run reads the screen afresh; ``everything``: the item sent ahead too."""
    st.session_state[_key("view")] = None
    if everything:
        st.session_state[_key("following")] = None


def view(reviewer: str) -> View:
    """This screen's view, read once: a rerun for the mask toggle reuses it."""
    cached = st.session_state.get(_key("view"))
    if cached is not None:
        return cached
    con = store.cursor()
    progress = queue.progress(con, reviewer)
    if progress.assigned == 0:
        return View(progress, [], None)
    slot = current(reviewer)
    done = queue.done_items(con, reviewer)
    ahead = st.session_state.get(_key("following"))  # read by the last run; the form shows it
    try:
        if slot and ahead and (ahead.sample_id, ahead.item_id) == tuple(slot):
            item = ahead
        else:
            item = queue.load(con, *slot, reviewer) if slot else None
    except NotFoundError as exc:
        st.session_state[_key("current")] = None
        return View(progress, done, None, str(exc))
    following = None
    if item is not None:
        after = queue.next_slot(con, reviewer, after=slot)
        following = queue.load(con, after.sample_id, after.item_id, reviewer) if after else None
    st.session_state[_key("following")] = following
    st.session_state[_key("view")] = View(progress, done, item, following=following)
    return st.session_state[_key("view")]


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


def mask_toggle() -> bool:
    return st.toggle(
        "Mask PII", key=_key("mask"), help="Hide emails, phone, card and account numbers on screen."
    )


def _shown(item: ReviewItem | None, mask: bool) -> dict | None:
    """The item as the form draws it: texts (masked if asked), responses by side, no run ids."""
    if item is None:
        return None

    def text(value: str | None) -> str | None:
        return render.mask_pii(value) if mask and value else value

    existing = item.existing
    return {
        "sample_id": item.sample_id,
        "item_id": item.item_id,
        "done": item.status == "done",
        "prompt": text(item.prompt),
        "context": text(item.context),
        "ground_truth": text(item.ground_truth),
        "responses": [
            {"side": r.side, "text": text(r.text), "error": r.error} for r in item.responses
        ],
        "existing": None
        if existing is None
        else {
            "responses": {
                side: {**asdict(label), "failure_modes": list(label.failure_modes)}
                for side, label in existing.responses.items()
            },
            "preference": existing.preference,
            "notes": existing.notes or "",
        },
    }


def form(current_view: View, reviewer: str, mask: bool) -> None:
    """The review form for the item on screen, with the item after it."""
    data = {
        "current": _shown(current_view.item, mask),
        "next": _shown(current_view.following, mask),
        "modes": list(FAILURE_MODES),
        "pass_score": PASS_SCORE,
        "can_back": bool(current_view.done),
        "ack": st.session_state.get(_key("ack")),
        "error": st.session_state.get(_key("error")),
    }
    _FORM(key=FORM_KEY, data=data, on_action_change=lambda: act(reviewer))


def act(reviewer: str) -> None:
    """Callback: carry out the action the form sent, and record that it was done."""
    payload = (st.session_state.get(FORM_KEY) or {}).get("action")
    if payload is None:
        return
    st.session_state[_key("error")] = None
    try:
        action = actions.parse(payload)
        st.session_state[_key("ack")] = action.nonce
        perform(action, reviewer)
    except SwitchyardError as exc:  # the SME reads what is wrong with the label, not where
        st.session_state[_key("error")] = exc.problem if isinstance(exc, InputError) else str(exc)


def perform(action: actions.Action, reviewer: str) -> None:
    """Write what ``action`` says and point the page at the item that follows."""
    slot = (action.sample_id or "", action.item_id or "")
    if action.kind == "back":
        done = queue.done_items(store.cursor(), reviewer)
        go_to((done[0].sample_id, done[0].item_id) if done else None)
    elif action.kind == "skip":
        labels.skip(store.cursor(), *slot, reviewer)
        go_next(reviewer, after=slot)
    else:
        labels.submit(
            store.cursor(),
            *slot,
            reviewer,
            list(action.responses),
            action.preference,
            action.notes,
        )
        go_next(reviewer, after=slot)


def go_next(reviewer: str, after: tuple[str, str] | None = None) -> None:
    slot = queue.next_slot(store.cursor(), reviewer, after)
    st.session_state[_key("current")] = (slot.sample_id, slot.item_id) if slot else None
    forget_view()


def go_to(target: tuple[str, str] | None) -> None:
    if target:
        st.session_state[_key("current")] = target
        st.session_state[_key("error")] = None
        forget_view()


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
