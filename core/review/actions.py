"""What the review screen sends: one action (submit, skip, back) read from the browser's payload.

The review form holds the SME's choices in the browser and sends them with the action, so the
payload is untrusted input: every field is checked for its type here, before anything is
written, and labels.submit then checks the values against the item (scores 1-5, known
failure modes, a preference for a pair, the item assigned to this reviewer).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import InputError
from core.review.queue import ResponseLabel

KINDS = ("submit", "skip", "back")
NOTES_LIMIT = 20_000  # characters; a note longer than a page is a paste gone wrong
_UNREADABLE = "the review form sent something unreadable ({}); reload the page and try again"


@dataclass(frozen=True)
class Action:
    kind: str  # submit, skip or back
    nonce: str  # the browser's id of this action, echoed back once it is done
    sample_id: str | None = None
    item_id: str | None = None
    responses: tuple[ResponseLabel, ...] = ()
    preference: str | None = None
    notes: str | None = None


def _field(payload: dict, name: str, types: type | tuple[type, ...], optional: bool = False):
    value = payload.get(name)
    if value is None and optional:
        return None
    # bool is an int in Python: a score of true is not a score of 1
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
        raise InputError("review form", _UNREADABLE.format(f"{name} is {type(value).__name__}"))
    return value


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _response(raw: object) -> ResponseLabel:
    if not isinstance(raw, dict):
        raise InputError("review form", _UNREADABLE.format("a response is not an object"))
    modes = _field(raw, "failure_modes", list)
    if not all(isinstance(m, str) for m in modes):
        raise InputError("review form", _UNREADABLE.format("failure_modes holds a non-text"))
    return ResponseLabel(
        side=_field(raw, "side", str),
        score=_field(raw, "score", int, optional=True),
        passed=_field(raw, "passed", bool, optional=True),
        failure_modes=tuple(modes),
        safety_flag=_field(raw, "safety_flag", bool),
    )


def parse(payload: object) -> Action:
    """The action in ``payload``; InputError naming the field when it is not what the form
    sends."""
    if not isinstance(payload, dict):
        raise InputError("review form", _UNREADABLE.format("not an object"))
    kind = _field(payload, "kind", str)
    if kind not in KINDS:
        raise InputError("review form", _UNREADABLE.format(f"unknown action {kind[:40]!r}"))
    nonce = _field(payload, "nonce", str)[:64]
    if kind == "back":
        return Action(kind, nonce)
    sample_id, item_id = _field(payload, "sample_id", str), _field(payload, "item_id", str)
    if kind == "skip":
        return Action(kind, nonce, sample_id, item_id)
    raw = _field(payload, "responses", list)
    notes = _field(payload, "notes", str, optional=True)
    if notes is not None and len(notes) > NOTES_LIMIT:
        raise InputError("label", f"notes are {len(notes):,} characters; keep them under 20,000")
    return Action(
        kind,
        nonce,
        sample_id,
        item_id,
        tuple(_response(r) for r in raw),
        _field(payload, "preference", str, optional=True),
        notes or None,
    )
