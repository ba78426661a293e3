"""core.render: charts as static SVG for exports, never carrying anything active, and an
exported page as PDF without a browser or a fetch."""

import http.server
import io
import threading
from typing import ClassVar

import altair as alt
import pandas as pd
import pypdf

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


def report_dict(**extra) -> dict:
    return {
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
    } | extra


def test_the_html_export_carries_the_charts_and_the_data_it_was_computed_on():
    report = report_dict()
    chart = render.svg(bars(["source", "target"]).to_dict())
    page = signoff.to_html(report, {"TTFT <b>": chart, "left out": None})
    assert page.count("<svg") == 1 and "TTFT &lt;b&gt;" in page and "left out" not in page
    assert "ab" * 32 in page and "fin@1" in page and "holdout" in page and "480" in page
    assert "@media print" in page


def pdf_text(data: bytes) -> tuple[int, str]:
    """(pages, the text of every page joined, whitespace collapsed) as pypdf extracts it."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def test_the_pdf_export_holds_every_criterion_whole_and_the_chart():
    # Twelve criteria with long evidence: in a page too wide for A4 their ends would be cut.
    criteria = [
        {
            "name": f"Criterion {i}",
            "status": signoff.FAIL if i % 2 else signoff.PASS,
            "evidence": [f"ratio 0.9{i} against a margin of 0.95 over 1,200 paired items"]
            + [f"token{i}x{j}" for j in range(12)],
            "settle": f"about {100 * i} more labelled items",
            "rule": "the target's lower bound at or above the margin, ending rule{i}",
        }
        for i in range(12)
    ]
    chart = render.svg(bars(["sourcerun", "targetrun"]).to_dict())
    data = render.pdf(signoff.to_html(report_dict(criteria=criteria), {"Pass rates": chart}))
    assert data.startswith(b"%PDF-")
    pages, text = pdf_text(data)
    assert pages >= 2  # twelve cards do not fit on one A4 page
    for i in range(12):
        assert f"Criterion {i}" in text and f"token{i}x11" in text, i
    assert "NOT YET" in text and "ab" * 32 in text and "fin@1" in text
    assert "sourcerun" in text and "targetrun" in text  # the chart's axis labels, drawn


class Counting(http.server.BaseHTTPRequestHandler):
    asked: ClassVar[list[str]] = []

    def do_GET(self):
        Counting.asked.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_pdf_export_fetches_nothing_the_page_names():
    server = http.server.HTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    page = (
        f"<html><head><link rel='stylesheet' href='{url}/style.css'></head><body>"
        f"<p>Report</p><img src='{url}/pixel.png'>"
        f"<div style=\"background: url('{url}/bg.png')\">x</div></body></html>"
    )
    try:
        data = render.pdf(page)
    finally:
        server.shutdown()
    assert data.startswith(b"%PDF-") and "Report" in pdf_text(data)[1]
    assert Counting.asked == []
