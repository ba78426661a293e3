"""Converters from other tools' result files to the native run layout (see core.importers.runs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Converted:
    """A converted file: rows in the native layout, plus what the file says about the run."""

    records: list[dict]  # native columns and ``_row`` (the source's row/line/test case number)
    row_word: str
    model_id: str | None = None
    judge: str = "imported"
    notes: tuple[str, ...] = ()  # things skipped, said in the import report
