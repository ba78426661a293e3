"""Amazon Bedrock evaluation-job output (``*_output.jsonl``), one JSON record per line.

Model evaluations (automated and LLM-as-judge)::

    {"automatedEvaluationResult": {"scores": [{"metricName": "Builtin.Correctness",
        "result": 1.0, "evaluatorDetails": [{"modelIdentifier": "...", "explanation": "..."}]}]},
     "inputRecord": {"prompt": "...", "referenceResponse": "...", "category": "..."},
     "modelResponses": [{"response": "...", "modelIdentifier": "..."}]}

RAG evaluations: ``{"conversationTurns": [{"inputRecord": {...}, "output": {"text": ...},
"results": [<same shape as scores>]}]}``; the last turn is the one scored here.

A ``result`` of null means the metric did not apply: no score row is written, so it never
enters a mean. A job writes one file per metric and dataset; the records of several files
are merged by prompt, so one row per item carries every metric.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.errors import InputError
from core.formats import Converted, metric_slug
from core.staging import check_text_file


def looks_like(first_record: dict) -> bool:
    return "automatedEvaluationResult" in first_record or "conversationTurns" in first_record


def _text(value: object) -> object:
    """Prompts come as strings or as {"content": [{"text": ...}]}; other values pass through
    (so a JSON value where text belongs is caught by validation)."""
    if isinstance(value, dict) and isinstance(value.get("content"), list):
        parts = [c.get("text") for c in value["content"] if isinstance(c, dict)]
        if all(isinstance(p, str) for p in parts):
            return "\n".join(parts)
    return value


def _scores(row: dict, scores: list, file: str, line: int) -> None:
    for score in scores:
        if not isinstance(score, dict) or "metricName" not in score:
            raise InputError(
                file,
                "expected each score to be an object with metricName",
                row=line,
                row_word="line",
            )
        slug = metric_slug(str(score["metricName"]))
        row[f"score.{slug}"] = score.get("result")
        details = score.get("evaluatorDetails") or []
        if details and isinstance(details[0], dict):
            row[f"explanation.{slug}"] = details[0].get("explanation")
            row[f"judge_version.{slug}"] = details[0].get("modelIdentifier")


def parse_line(record: dict, file: str, line: int, model_id: str | None) -> tuple[dict, str | None]:
    """One output line as a native row (without _row) and the model it answers for."""
    if "conversationTurns" in record:
        turns = record["conversationTurns"]
        if not isinstance(turns, list) or not turns or not isinstance(turns[-1], dict):
            raise InputError(
                file, "expected conversationTurns to be a non-empty list", row=line, row_word="line"
            )
        turn = turns[-1]
        output = turn.get("output") or {}
        row = {
            "prompt": _text((turn.get("inputRecord") or {}).get("prompt")),
            "output": output.get("text") if isinstance(output, dict) else output,
        }
        model = (
            output.get("modelIdentifier") or output.get("knowledgeBaseIdentifier")
            if isinstance(output, dict)
            else None
        )
        _scores(row, turn.get("results") or [], file, line)
        return row, model
    result = record.get("automatedEvaluationResult")
    if not isinstance(result, dict):
        raise InputError(
            file,
            "expected automatedEvaluationResult or conversationTurns",
            row=line,
            row_word="line",
        )
    responses = (
        record.get("modelResponses")
        or (record.get("inputRecord") or {}).get("modelResponses")
        or []
    )
    chosen = next(
        (r for r in responses if isinstance(r, dict) and r.get("modelIdentifier") == model_id), None
    )
    chosen = chosen or (responses[0] if responses and isinstance(responses[0], dict) else {})
    row = {
        "prompt": _text((record.get("inputRecord") or {}).get("prompt")),
        "output": chosen.get("response"),
    }
    _scores(row, result.get("scores") or [], file, line)
    return row, chosen.get("modelIdentifier")


def read_records(path: Path) -> list[tuple[int, dict]]:
    check_text_file(path, "jsonl")
    records = []
    with path.open(encoding="utf-8") as fh:
        for line, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(
                    str(path), f"not valid JSON ({exc.msg})", row=line, row_word="line"
                ) from None
            if not isinstance(record, dict):
                raise InputError(str(path), "expected a JSON object", row=line, row_word="line")
            records.append((line, record))
    if not records:
        raise InputError(str(path), "the file has no records")
    return records


def convert(paths: list[Path], model_id: str | None = None) -> Converted:
    """Merge the output files of one job into one row per prompt."""
    merged: dict[str, dict] = {}
    models: set[str] = set()
    for path in paths:
        for line, record in read_records(path):
            row, model = parse_line(record, str(path), line, model_id)
            if model:
                models.add(model)
            key = json.dumps(row.get("prompt"), sort_keys=True)
            if key in merged:
                # Same item seen in another metric's file: add its scores.
                merged[key].update(
                    {
                        k: v
                        for k, v in row.items()
                        if k.startswith(("score.", "explanation.", "judge_version."))
                    }
                )
            else:
                merged[key] = {"_row": line, **row}
    found = model_id or (models.pop() if len(models) == 1 else None)
    records, notes, row_word = list(merged.values()), (), "line"
    if len(paths) > 1:
        # Line numbers repeat across files: number the merged records instead.
        for number, record in enumerate(records, start=1):
            record["_row"] = number
        notes, row_word = (f"merged {len(paths)} output files by prompt",), "record"
    return Converted(records, row_word, model_id=found, judge="bedrock", notes=notes)
