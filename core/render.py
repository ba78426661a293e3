"""Showing untrusted text (model outputs, prompts, contexts) safely, with optional PII masking.

Streamlit escapes HTML unless ``unsafe_allow_html`` is set (it never is here); markdown is
still interpreted, so links and images in a model output would be live. ``inert`` escapes
every markdown character, so the text shows exactly as written and nothing in it links,
loads or runs.
"""

from __future__ import annotations

import re

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
