"""core.render.svg: charts as static SVG for exports, never carrying anything active."""

import altair as alt
import pandas as pd

from core import render
from core.analysis import signoff

HOSTILE = "<script>alert(1)</script>"


def bars(names: list[str]) -> alt.Chart:
    return (
        alt.Chart(pd.DataFrame({"run": names, "ms": [100.0, 200.0]}))
        .mark_bar()
        .encode(x="run:N", y="ms:Q")
    )


def test_a_chart_renders_to_svg_without_a_browser():
    drawn = render.svg(bars(["source", "target"]).to_dict())
    assert drawn is not None and drawn.startswith("<svg") and "source" in drawn


def test_text_from_the_data_is_escaped_in_the_svg():
    drawn = render.svg(bars([HOSTILE, "target"]).to_dict())
    assert drawn is not None and "<script" not in drawn and "&lt;script&gt;" in drawn


def test_svg_with_anything_active_is_refused():
    assert render.inert_svg("<svg><text>a &lt;script&gt;</text></svg>") is not None
    for active in (
        '<svg><a href="https://x.test">x</a></svg>',
        "<svg><script>alert(1)</script></svg>",
        '<svg onload="alert(1)"></svg>',
        '<svg><image xlink:href="http://x.test/a.png"/></svg>',
        "<svg><foreignObject><div>x</div></foreignObject></svg>",
    ):
        assert render.inert_svg(active) is None, active


def test_a_chart_with_a_link_is_refused():
    # A link on each bar (Vega-Lite's href channel) would make the export clickable.
    linked = bars(["javascript:alert(1)", "b"]).encode(href="run:N")
    assert render.svg(linked.to_dict()) is None
    # ... and the next chart still draws (vl-convert fails the call after an error once).
    assert render.svg(bars(["source", "target"]).to_dict()) is not None


def test_the_html_export_carries_the_charts_and_the_data_it_was_computed_on():
    report = {
        "migration": "m",
        "decision": signoff.NOT_YET,
        "reasons": ["Safety: not enough evidence"],
        "criteria": [],
        "approvals": [],
        "open_safety_flags": [],
        "canary": [],
        "checklist_open": [],
        "snapshot": {"dataset_id": "fin@1", "dataset_sha256": "ab" * 32, "labels": 480},
        "snapshot_sha256": "cd" * 32,
        "decided_on": "holdout",
        "source_run_id": "run-s",
        "target_run_id": "run-t",
        "target_model": "nova",
        "generated": "2026-11-30",
    }
    chart = render.svg(bars(["source", "target"]).to_dict())
    page = signoff.to_html(report, {"TTFT <b>": chart, "left out": None})
    assert page.count("<svg") == 1 and "TTFT &lt;b&gt;" in page and "left out" not in page
    assert "ab" * 32 in page and "fin@1" in page and "holdout" in page and "480" in page
    assert "@media print" in page
