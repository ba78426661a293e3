"""What the log parsers (OTLP, Bedrock) hand on: their requests staged as the native columns,
the scores they found, and notes for the summary; plus the strict number reading they share."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pandas as pd

from core.errors import InputError
from core.importers.staging import Staged, stage_records

COLUMNS = (
    "request_id",
    "ts",
    "model_id",
    "arm",
    "prompt",
    "response",
    "ttft_ms",
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "error",
    "stratum",
)


@dataclass(frozen=True)
class Parsed:
    staged: Staged
    scores: pd.DataFrame | None
    notes: tuple[str, ...] = ()


def stage(con: duckdb.DuckDBPyConnection, rows: list[dict], file: str, what: str) -> Staged:
    """Stage request records (each with its source ``_row``) as JSON columns, so the same
    checks as for a native JSONL file apply."""
    if not rows:
        raise InputError(file, f"the file holds no {what}")
    return stage_records(
        con, [{k: r.get(k) for k in ("_row", *COLUMNS)} for r in rows], file, "line"
    )


def number(value: object, file: str, line: int, name: str) -> float | None:
    """A finite number from a log (JSON number or numeric text); None when absent."""
    if value is None:
        return None
    try:
        found = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(
            file, f"expected a number, got {value!r}", row=line, column=name, row_word="line"
        ) from None
    if isinstance(value, bool) or not math.isfinite(found):
        raise InputError(
            file, f"expected a finite number, got {value!r}", row=line, column=name, row_word="line"
        )
    return found


def iso_from_nanos(nanos: int) -> str:
    """Unix nanoseconds as an ISO 8601 UTC timestamp (microseconds kept)."""
    seconds, rest = divmod(nanos, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest // 1000)
    return stamp.isoformat().replace("+00:00", "Z")


def pick_model(candidates: list[str | None], known: dict[str, str]) -> str | None:
    """The first candidate the arm map knows, else the first given (refused later, listed)."""
    given = [c for c in candidates if c]
    return next((c for c in given if c in known), given[0] if given else None)
