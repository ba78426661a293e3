"""The sign-off as JSON (every figure) and as one self-contained HTML page.

The page is ``report.html.j2`` rendered with autoescaping on, so every value from the data is
escaped; it has no scripts and loads no external file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

import jinja2
import numpy as np

from core import formatting
from core.analysis.signoff.criteria import FAIL, NOT_MEASURED, OPEN, PASS
from core.analysis.signoff.decision import GO, NO_GO, NOT_YET, SignoffReport

GREEN, RED, AMBER = "#1a7f37", "#cf222e", "#9a6700"
COLOURS = {
    GO: GREEN,
    NO_GO: RED,
    NOT_YET: AMBER,
    PASS: GREEN,
    FAIL: RED,
    OPEN: AMBER,
    NOT_MEASURED: AMBER,
}
# A shape beside each colour, so the status reads in black and white too.
SYMBOLS = {PASS: "✓", FAIL: "✗", OPEN: "…", NOT_MEASURED: "?"}
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent),
    autoescape=True,
    keep_trailing_newline=False,
)
_TEMPLATES.filters["when"] = formatting.when


def to_json(report: SignoffReport | dict) -> str:
    return json.dumps(plain(report), indent=2)


def plain(value):
    """JSON-safe: dataclasses through ``to_dict``, numpy scalars to Python, NaN and
    infinities to null, the rest to text."""
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    return str(value)


def to_html(report: SignoffReport | dict, charts: Mapping[str, str | None] | None = None) -> str:
    """The sign-off summary as one self-contained HTML page (no scripts, no external files);
    every value is escaped. ``report`` may also be its ``to_dict`` form. ``charts`` maps a
    title to a static SVG (``core.render.svg``, which refuses anything active); the page
    prints to PDF cleanly (its print stylesheet keeps cards, charts and rows whole) and ends
    with the data it was computed on."""
    snapshot = report.get("snapshot") if isinstance(report, dict) else report.snapshot
    return _TEMPLATES.get_template("report.html.j2").render(
        report=report,
        colours=COLOURS,
        symbols=SYMBOLS,
        charts={title: svg for title, svg in (charts or {}).items() if svg},
        snapshot=snapshot if isinstance(snapshot, dict) else {},
    )
