"""The one number formatter: figures and intervals as pages, the CLI and exports write them.

Percentages have one decimal ('84.6%'), differences of proportions are percentage points
('-1.3 pp'), money carries its currency code ('USD 4.70'), durations read 'ms' or 's' by
size, intervals follow their estimate ('84.6% (82.4–86.5%)'), and raw column names become
headings (``label``).

Every missing value (None, NaN, infinity) is an em dash, so a table never shows "nan" or "None".
"""

from __future__ import annotations

import math
import re
from datetime import datetime

import numpy as np
import pandas as pd

from core.types import Interval, finite

MISSING = "—"


def number(value: float | None, spec: str = ".1f") -> str:
    """``format(value, spec)``, or an em dash when there is no finite value."""
    value = finite(value)
    return MISSING if value is None else _no_minus_zero(format(value, spec))


def _no_minus_zero(text: str, sign: str = "") -> str:
    """'-0.00' → '0.00': a value that rounds to zero shows no minus (κ read '-0.00')."""
    if text.startswith("-") and not any(c in "123456789" for c in text):
        return sign + text[1:]
    return text


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
    """'86.6% (78.1–92.2%)': a proportion and its interval, in percent."""
    return pct_interval(bounds)


def _noted(bounds: Interval | None, text: str) -> str:
    """The text, then why there is no interval when the figure says so: '1.00 (not enough
    labels: 6 items)'; the note alone in place of a dash."""
    if bounds is None or not bounds.note:
        return text
    return bounds.note if text == MISSING else f"{text} ({bounds.note})"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 reviewer', '2,030 reviewers': a count with its noun in the right number."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def pct(value: float | None, decimals: int = 1, signed: bool = False) -> str:
    """A proportion in percent with one decimal: 0.8462 → '84.6%'; ``signed`` for a relative
    change ('+87.4%')."""
    value = finite(value)
    if value is None:
        return MISSING
    sign = "+" if signed else ""
    return _no_minus_zero(f"{value * 100:{sign}.{decimals}f}%", sign)


def points(value: float | None, decimals: int = 1, signed: bool = True) -> str:
    """A difference of two proportions in percentage points: -0.0131 → '−1.3 pp'."""
    value = finite(value)
    if value is None:
        return MISSING
    text = f"{value * 100:{'+' if signed else ''}.{decimals}f} pp"
    return _no_minus_zero(text, "+" if signed else "")


def money(value: float | None, currency: str | None, decimals: int | None = None) -> str:
    """An amount with its currency code: 'USD 4.70'. Small amounts (per query) keep three
    significant digits ('USD 0.00658'); from 100 on whole units ('USD 14,230')."""
    value = finite(value)
    if value is None:
        return MISSING
    if decimals is None:
        decimals = _money_places(value)
    return f"{currency or '?'} {value:,.{decimals}f}"


def ms(value: float | None, signed: bool = False) -> str:
    """A duration: '393 ms' under a second, '1.26 s' from a second on, '84 s' from a minute;
    ``signed`` for a change ('+548 ms')."""
    value = finite(value)
    if value is None:
        return MISSING
    sign = "+" if signed else ""
    if abs(value) < 1000:
        return _no_minus_zero(f"{value:{sign}.0f} ms", sign)
    seconds = value / 1000
    return f"{seconds:{sign}.2f} s" if abs(seconds) < 60 else f"{seconds:{sign},.0f} s"


def pct_interval(bounds: Interval | None, decimals: int = 1) -> str:
    """'84.6% (82.4–86.5%)': a proportion with its interval; the note when there is one."""
    if bounds is None or finite(bounds.estimate) is None:
        return _noted(bounds, MISSING)
    text = pct(bounds.estimate, decimals)
    low, high = finite(bounds.low), finite(bounds.high)
    if low is not None and high is not None:
        text += f" ({low * 100:.{decimals}f}–{pct(high, decimals)})"
    return _noted(bounds, (text))


def points_interval(bounds: Interval | None, decimals: int = 1) -> str:
    """'−1.3 pp (−4.0 to +1.3)': a difference of proportions in points with its interval."""
    if bounds is None or finite(bounds.estimate) is None:
        return _noted(bounds, MISSING)
    text = points(bounds.estimate, decimals)
    low, high = finite(bounds.low), finite(bounds.high)
    if low is not None and high is not None:
        text += f" ({low * 100:+.{decimals}f} to {high * 100:+.{decimals}f})"
    return _noted(bounds, (text))


def money_interval(bounds: Interval | None, currency: str | None) -> str:
    """'USD 0.00474 (0.00453 to 0.00497)': an amount and its interval at one precision."""
    if bounds is None or finite(bounds.estimate) is None:
        return _noted(bounds, MISSING)
    value = float(bounds.estimate)
    places = _money_places(value)
    text = money(value, currency, places)
    low, high = finite(bounds.low), finite(bounds.high)
    if low is not None and high is not None:
        text += f" ({low:,.{places}f} to {high:,.{places}f})"
    return _noted(bounds, (text))


def ms_interval(bounds: Interval | None) -> str:
    """'393 ms (380–410 ms)': a duration and its interval, in the estimate's unit."""
    if bounds is None or finite(bounds.estimate) is None:
        return _noted(bounds, MISSING)
    low, high = finite(bounds.low), finite(bounds.high)
    text = ms(bounds.estimate)
    if low is not None and high is not None:
        unit = text.rsplit(" ", 1)[-1]
        div = 1.0 if unit == "ms" else 1000.0
        spec = ".0f" if unit == "ms" or abs(bounds.estimate) >= 60_000 else ".2f"
        text += f" ({low / div:,{spec}} to {high / div:,{spec}} {unit})"
    return _noted(bounds, (text))


def days(value: float | None) -> str:
    """'24.5 days'; a dash for none."""
    value = finite(value)
    return MISSING if value is None else (f"{value:,.1f} {'day' if value == 1 else 'days'}")


def cell(value: object) -> object:
    """A table cell as shown: missing values (None, NaN, NaT) become the dash."""
    if value is None:
        return MISSING
    if isinstance(value, float) and finite(value) is None:
        return MISSING
    if value is pd.NaT or (isinstance(value, float | np.floating) and not np.isfinite(value)):
        return MISSING
    return value


# Raw column names as people read them; anything not listed is humanised by ``label``.
LABELS = {
    "frozen_by": "Frozen by",
    "frozen_at": "Frozen at",
    "prompt_version_id": "Prompt version",
    "dataset_id": "Dataset",
    "run_id": "Run",
    "model_id": "Model",
    "migration_id": "Migration",
    "item_id": "Item",
    "sample_id": "Sample",
    "label_id": "Label",
    "sha256": "SHA-256",
    "p50_ms": "p50",
    "p90_ms": "p90",
    "p99_ms": "p99",
    "ttft_ms": "TTFT",
    "latency_ms": "Latency",
    "target_error": "Target error",
    "source_error": "Source error",
    "tokens_in": "Tokens in",
    "tokens_out": "Tokens out",
    "price_in": "Input price / 1K",
    "price_out": "Output price / 1K",
    "effective_from": "Effective from",
    "kappa": "κ",
}


# Words of a raw name that read differently in a heading ('ttft_increase_ms' → 'TTFT
# increase (ms)'); a trailing 'id' goes ('item_id' → 'Item').
WORDS = {"ttft": "TTFT", "sme": "SME", "ms": "(ms)", "pp": "(pp)", "pct": "(%)", "usd": "(USD)"}


def label(name: str) -> str:
    """A column name as a heading: the mapping above, else 'snake_case' → 'Snake case'."""
    if name in LABELS:
        return LABELS[name]
    words = [w for w in str(name).strip().split("_") if w]
    if len(words) > 1 and words[-1] == "id":
        words.pop()
    text = " ".join(WORDS.get(w.lower(), w) for w in words)
    if re.match(r"p\d", text):  # a percentile keeps its small p: 'p50'
        return text
    return text[:1].upper() + text[1:] if text else text


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as shown: headings humanised, missing cells a dash, and float columns at three
    significant digits ('-365', '0.985'; whole numbers without decimals)."""
    shown = frame.copy()
    for column in shown.columns:
        values = shown[column]
        if pd.api.types.is_float_dtype(values):
            shown[column] = values.map(auto)
        elif pd.api.types.is_datetime64_any_dtype(values):
            shown[column] = values.map(when)
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            shown[column] = values.astype(object).map(cell)
    return shown.rename(columns={c: label(str(c)) for c in shown.columns})


def when(value: object) -> str:
    """A time as '2026-11-01 09:30' (a date alone when it is midnight); a dash for none."""
    if value is None or value is pd.NaT:
        return MISSING
    if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d", value):
        value = pd.Timestamp(value)  # a time stored as text ('2026-11-30 22:11:02.502764')
    if not isinstance(value, datetime | np.datetime64):
        return str(value)
    stamp = pd.Timestamp(value)
    return f"{stamp:%Y-%m-%d}" if stamp == stamp.normalize() else f"{stamp:%Y-%m-%d %H:%M}"


def auto(value: float | None) -> str:
    """A figure of unknown scale at three significant digits, never in exponent form:
    -365.286 → '-365', 0.98531 → '0.985', 2257.4 → '2,257', 3.0 → '3'."""
    value = finite(value)
    if value is None:
        return MISSING
    if value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.{_significant(value, 3) if abs(value) < 100 else 0}f}"


# A canary check's units: (scale, format spec, suffix) of its figures; money is apart.
_UNITS = {
    "pp": (1.0, ".1f", " pp"),
    "ms": (1.0, ",.0f", " ms"),
    "share": (100.0, ".1f", "%"),
    "ratio": (1.0, ".2f", "×"),
    "count": (1.0, ",.0f", ""),
}


def _unit_style(unit: str) -> tuple[float, str, str]:
    return _UNITS.get(unit, (1.0, ".3g", f" {unit}" if unit else ""))


def in_unit(value: float | None, unit: str, signed: bool = False) -> str:
    """A figure in a canary check's unit: '+0.1 pp', '+312 ms', '25.0%', '0.96×', '3',
    'USD 0.00151'; ``signed`` for a canary-minus-control difference."""
    value = finite(value)
    if value is None:
        return MISSING
    if unit == "usd":
        return money(value, "USD")
    scale, spec, suffix = _unit_style(unit)
    return f"{value * scale:{'+' if signed else ''}{spec}}{suffix}"


def unit_interval(
    estimate: float | None, low: float | None, high: float | None, unit: str, signed: bool = False
) -> str:
    """'+312 ms (+268 to +355 ms)', 'USD 0.00151 (0.00149 to 0.00153)': the estimate and its
    bounds at one precision, the unit written once."""
    text = in_unit(estimate, unit, signed)
    lo, hi = finite(low), finite(high)
    if lo is None or hi is None:
        return text
    if unit == "usd":
        places = _money_places(finite(estimate) or hi)
        return f"{text} ({lo:,.{places}f} to {hi:,.{places}f})"
    scale, spec, suffix = _unit_style(unit)
    sign = "+" if signed else ""
    return f"{text} ({lo * scale:{sign}{spec}} to {hi * scale:{sign}{spec}}{suffix})"


def _money_places(value: float) -> int:
    """Whole units from 100, cents from 0.1, else three significant digits."""
    if abs(value) >= 100:
        return 0
    return 2 if abs(value) >= 0.1 or value == 0 else _significant(value, 3)


def _significant(value: float, digits: int) -> int:
    """Decimals that show ``digits`` significant digits of a small amount."""
    return max(0, digits - 1 - math.floor(math.log10(abs(value))))
