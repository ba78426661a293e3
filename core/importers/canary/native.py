"""The project's own canary table: CSV, JSONL or Parquet with canary_request's columns.

Columns: request_id, ts, model_id (required); arm, prompt, response, ttft_ms, latency_ms,
input_tokens, output_tokens, error, stratum (optional); and score.<metric> columns for judge
scores. Read with the same staging and checks as every import (byte-order mark, file and
field limits, NUL bytes, duplicate JSON keys, non-finite numbers); a Parquet file is read in
place, so ten million rows load at close to DuckDB's own speed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from core.importers.staging import Staged, kind_of, stage_file


def stage(con: duckdb.DuckDBPyConnection, path: Path, file: str) -> Staged:
    staged = stage_file(con, path, kind_of(path))
    return Staged(staged.table, file, staged.columns, staged.row_word, staged.rows)
