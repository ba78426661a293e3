"""Ragas result tables: ``EvaluationResult.to_pandas()`` saved as CSV or Parquet.

Input columns (``user_input``, ``retrieved_contexts``, ``response``, ``reference``; the
0.1 names ``question``, ``contexts``, ``answer``, ``ground_truth``) plus one column per
metric. Ragas has no item ids: rows match dataset items by prompt text unless the table
carries an ``item_id``/``id`` column. A NaN score means Ragas could not score the row.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.errors import InputError
from core.importers import limits
from core.importers.file_checks import check_text_file
from core.importers.formats import Converted

INPUT_COLUMNS = {
    "user_input",
    "retrieved_contexts",
    "reference_contexts",
    "response",
    "multi_responses",
    "reference",
    "rubrics",
    "reference_tool_calls",
    "question",
    "contexts",
    "answer",
    "ground_truth",
    "ground_truths",
    "item_id",
    "id",
}
# Named metric columns are metrics even when a value in them is not a number.
KNOWN_METRICS = {
    "faithfulness",
    "answer_relevancy",
    "response_relevancy",
    "factual_correctness",
    "answer_correctness",
    "answer_similarity",
    "semantic_similarity",
    "context_precision",
    "context_recall",
    "context_entity_recall",
    "noise_sensitivity",
    "bleu_score",
    "rouge_score",
    "exact_match",
    "string_present",
    "non_llm_string_similarity",
    "llm_context_precision_with_reference",
    "llm_context_precision_without_reference",
}


def looks_like(columns: list[str]) -> bool:
    lowered = {c.lower() for c in columns}
    return bool(lowered & {"user_input", "question"}) and bool(lowered & {"response", "answer"})


def read(path: Path, kind: str) -> pd.DataFrame:
    if kind == "csv":
        check_text_file(path, "csv")
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    if kind == "parquet":
        limits.check_parquet(path)
        return pd.read_parquet(path)
    raise InputError(str(path), f"a Ragas table is CSV or Parquet, not {kind}")


def convert(path: Path, kind: str) -> Converted:
    table = read(path, kind)
    if table.empty:
        raise InputError(str(path), "the table has no rows")
    lowered = {c.lower(): c for c in table.columns}
    columns: dict[str, str] = {}  # native name -> table column
    for native, names in (
        ("item_id", ("item_id", "id")),
        ("prompt", ("user_input", "question")),
        ("output", ("response", "answer")),
    ):
        for name in names:
            if name in lowered:
                columns[native] = lowered[name]
                break
    if "prompt" not in columns and "item_id" not in columns:
        raise InputError(
            str(path), "not a Ragas table: no user_input (or question) column", column="user_input"
        )
    skipped = []
    for column in table.columns:
        if column.lower() in INPUT_COLUMNS:
            continue
        values = table[column]
        numeric = pd.to_numeric(values, errors="coerce")
        mostly_numbers = numeric.notna().sum() >= max(1, values.notna().sum() // 2)
        if column.lower() in KNOWN_METRICS or mostly_numbers:
            columns[f"score.{column}"] = column
        else:
            skipped.append(column)
    records = [
        {"_row": number, **{native: row[source] for native, source in columns.items()}}
        for number, row in enumerate(table.to_dict("records"), start=1)
    ]
    notes = (f"ignored non-metric columns: {', '.join(skipped)}",) if skipped else ()
    return Converted(records, "row", judge="ragas", notes=notes)
