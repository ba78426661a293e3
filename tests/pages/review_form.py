"""Driving the review form under AppTest: what it was sent, and an action delivered the way
the browser delivers it (a trigger value on the component's event widget)."""

from __future__ import annotations

import json

from streamlit.components.v2.bidi_component.main import _make_trigger_id
from streamlit.proto.WidgetStates_pb2 import WidgetState


def form(at) -> dict:
    """The data the review form was last sent."""
    (node,) = at.get("bidi_component")
    return json.loads(node.proto.json)


def send(at, action: dict):
    """Deliver ``action`` as the browser does (setTriggerValue("action", ...)), and run."""
    (node,) = at.get("bidi_component")
    states = at._tree.get_widget_states()
    trigger = WidgetState(id=_make_trigger_id(node.proto.id, "events"))
    trigger.json_trigger_value = json.dumps({"event": "action", "value": action})
    states.widgets.append(trigger)
    at._run(states)
    assert not at.exception, at.exception
    return at


def label(side, score, passed=None, modes=(), safety=False) -> dict:
    return {
        "side": side,
        "score": score,
        "passed": passed,
        "failure_modes": list(modes),
        "safety_flag": safety,
    }


def submit(at, responses, preference=None, notes="", nonce="n1", item=None):
    item = item or form(at)["current"]
    action = {"kind": "submit", "nonce": nonce, "sample_id": item["sample_id"]}
    action |= {"item_id": item["item_id"], "responses": responses}
    return send(at, action | {"preference": preference, "notes": notes})
