"""Showing untrusted text (model outputs, prompts, contexts) safely, with optional PII masking,
charts as static SVG for exports, and an exported page as PDF.

Streamlit escapes HTML unless ``unsafe_allow_html`` is set (it never is here); markdown is
still interpreted, so links and images in a model output would be live. ``inert`` escapes
every markdown character, so the text shows exactly as written and nothing in it links,
loads or runs.
"""

from __future__ import annotations

import re

from core.errors import SwitchyardError

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&=])")

# Masking patterns: what a reviewer should not need to read to grade an answer.
_PII = [
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("iban", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")),
    ("card", re.compile(r"\b(?:\d[ -]?){12,18}\d\b")),
    ("account", re.compile(r"\b(?:acct|account|a/c)[ #:no.]*\d{6,12}\b", re.IGNORECASE)),
    # +country or (area) prefixes, or 3-3-4 groups; a bare "2022-2023" is not a phone.
    (
        "phone",
        re.compile(
            r"(?<![\w.])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{3}[ .-])"
            r"\d{3}[ .-]\d{4}(?![\w.])"
        ),
    ),
]


def inert(text: str | None) -> str:
    """Markdown that renders as the literal text: every markdown character escaped,
    line breaks kept."""
    if not text:
        return ""
    escaped = _MARKDOWN.sub(r"\\\1", text)
    return escaped.replace("\n", "  \n")


def mask_pii(text: str | None) -> str:
    """Replace emails, card and account numbers, IBANs and phone numbers with a tag."""
    if not text:
        return text or ""
    for label, pattern in _PII:
        text = pattern.sub(f"[{label} masked]", text)
    return text


# What a chart's SVG may not hold when it is written into an exported page: scripts, event
# handlers, links or loaded files, foreign HTML. vl-convert escapes the data's text, so a
# chart never has these; one that did would be left out rather than trusted.
_UNSAFE_SVG = re.compile(r"<script|<foreignObject|\son\w+\s*=|(?:href|src)\s*=", re.IGNORECASE)


def svg(spec: dict) -> str | None:
    """A Vega-Lite spec (``chart.to_dict()`` with its data inline) as a static SVG document,
    rendered by vl-convert in-process: no browser and no network. None when it cannot be
    drawn or would carry anything active (see ``_UNSAFE_SVG``)."""
    import vl_convert  # imported here: only exports need it, and it takes a while to load

    # After a spec it cannot draw (links on marks among them), vl-convert 1.9 may fail the
    # next call with the same error: a trivial chart after each failure clears that, and a
    # retry keeps a bad chart from spoiling the next one.
    for _attempt in range(2):
        try:
            return inert_svg(vl_convert.vegalite_to_svg(spec))
        except ValueError:
            _clear(vl_convert)
    return None


_TRIVIAL = {"data": {"values": []}, "mark": "point"}


def _clear(vl_convert) -> None:
    for _attempt in range(3):
        try:
            vl_convert.vegalite_to_svg(_TRIVIAL)
            return
        except ValueError:
            continue


def inert_svg(text: str) -> str | None:
    """The SVG when it holds nothing active, else None."""
    return None if _UNSAFE_SVG.search(text) else text


def pdf(html: str) -> bytes:
    """A self-contained exported page as PDF, laid out by WeasyPrint from the page's own print
    stylesheet: no browser, and nothing fetched (a URL in the page gets nothing)."""
    try:
        import weasyprint  # imported here: only the PDF export needs it
    except (ImportError, OSError) as error:  # OSError: Pango, its system library, is missing
        raise SwitchyardError(
            "PDF export needs WeasyPrint and the Pango library (Debian: apt-get install"
            f" libpango-1.0-0 libpangoft2-1.0-0); the HTML export prints to PDF too: {error}"
        ) from None

    class FetchNothing(weasyprint.urls.URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"an export loads nothing from outside itself: {url}")

    return weasyprint.HTML(string=html, url_fetcher=FetchNothing()).write_pdf()
