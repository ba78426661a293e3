"""Files people open in a spreadsheet: CSV cells that would run as formulas are neutralised.

A cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM(A1)``).
Model outputs, notes, explanations, strata and reviewer names come from outside, so every
CSV Switchyard writes goes through ``neutralise``: such a cell gets a leading ``'``, which a
spreadsheet shows as text (OWASP, CSV injection). Numbers are left as they are, so ``-0.5``
stays a number. HTML exports escape every value instead (``html.escape``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> object:
    """A text cell a spreadsheet would read as a formula, prefixed with ``'``."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and column name neutralised (numbers unchanged)."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    return safe


def csv_text(frame: pd.DataFrame) -> str:
    """The table as CSV text, safe to open in a spreadsheet (no index column).

    Lines end in CRLF (RFC 4180), which also makes a lone CR inside a cell quoted.
    """
    buffer = io.StringIO()
    neutralise_frame(frame).to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue()


def write_csv(fh: TextIO, columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> None:
    """Write a header and dict rows to an open text file (``newline=""``); None is empty."""
    writer = csv.DictWriter(fh, fieldnames=list(columns))
    writer.writerow({c: neutralise(c) for c in columns})
    for row in rows:
        writer.writerow({k: neutralise("" if v is None else v) for k, v in row.items()})
