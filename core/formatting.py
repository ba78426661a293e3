"""The one number formatter: figures and intervals as pages, the CLI and exports write them.

Every missing value (None, NaN, infinity) is an em dash, so a table never shows "nan" or "None".
"""

from __future__ import annotations

from core.types import Interval, finite

MISSING = "—"


def number(value: float | None, spec: str = ".1f") -> str:
    """``format(value, spec)``, or an em dash when there is no finite value."""
    value = finite(value)
    return MISSING if value is None else format(value, spec)


def interval(
    bounds: Interval | None,
    spec: str = ".1f",
    unit: str = "",
    scale: float = 1.0,
    sep: str = " to ",
) -> str:
    """'12.3 ms (10.1 to 14.2)'; just the estimate when there are no bounds; a dash for nothing."""
    if bounds is None or finite(bounds.estimate) is None:
        return _noted(bounds, MISSING)
    text = number(bounds.estimate * scale, spec) + unit
    low, high = finite(bounds.low), finite(bounds.high)
    if low is not None and high is not None:
        text += f" ({number(low * scale, spec)}{sep}{number(high * scale, spec)})"
    return _noted(bounds, text)


def percent(bounds: Interval | None) -> str:
    """'86.6% (78.1%–92.2%)': a proportion and its interval, in percent."""
    if bounds is None or finite(bounds.estimate) is None:
        return _noted(bounds, MISSING)
    text = f"{bounds.estimate:.1%}"
    low, high = finite(bounds.low), finite(bounds.high)
    if low is not None and high is not None:
        text += f" ({low:.1%}–{high:.1%})"
    return _noted(bounds, text)


def _noted(bounds: Interval | None, text: str) -> str:
    """The text, then why there is no interval when the figure says so: '1.00 (not enough
    labels: 6 items)'; the note alone in place of a dash."""
    if bounds is None or not bounds.note:
        return text
    return bounds.note if text == MISSING else f"{text} ({bounds.note})"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 reviewer', '2 reviewers': a count with its noun in the right number."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
