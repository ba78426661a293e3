"""Amazon Bedrock evaluation-job output (``*_output.jsonl``), one JSON record per line.

Model evaluations (automated and LLM-as-judge)::

    {"automatedEvaluationResult": {"scores": [{"metricName": "Builtin.Correctness",
        "result": 1.0, "evaluatorDetails": [{"modelIdentifier": "...", "explanation": "..."}]}]},
     "inputRecord": {"prompt": "...", "referenceResponse": "...", "category": "..."},
     "modelResponses": [{"response": "...", "modelIdentifier": "..."}]}

RAG evaluations: ``{"conversationTurns": [{"inputRecord": {...}, "output": {"text": ...},
"results": [<same shape as scores>]}]}``; the last turn is the one scored here.

A ``result`` of null means the metric did not apply: no score row is written, so it never
enters a mean.

One job is one run. A job's output lands at
``<prefix>/<job-name>/<job-id>/models/<model>/taskTypes/<task>/datasets/<dataset>/<uuid>_output.jsonl``
(RAG jobs: ``.../<job-id>/inference_configs/0/datasets/...``). Files are grouped by job and
model from that path and by the records' ``modelIdentifier``; a folder or prefix holding
several jobs or models is refused with their list, and ``--job`` or ``--model`` picks one.
Records carry no item id: within a job they match items by prompt; a prompt written twice is
refused with its line numbers unless the input record carries an ``item_id`` (or ``id``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from core.catalog.models import resolve_model_id
from core.errors import InputError
from core.importers import json_input
from core.importers.file_checks import check_text_file
from core.importers.formats import Converted

ID_KEYS = ("item_id", "id")


def looks_like(first_record: dict) -> bool:
    return "automatedEvaluationResult" in first_record or "conversationTurns" in first_record


def _text(value: object) -> object:
    """Prompts come as strings or as {"content": [{"text": ...}]}; other values pass through
    (so a JSON value where text belongs is caught by validation)."""
    if isinstance(value, dict) and isinstance(value.get("content"), list):
        parts = [c.get("text") for c in value["content"] if isinstance(c, dict)]
        texts = [p for p in parts if isinstance(p, str)]
        if len(texts) == len(parts):
            return "\n".join(texts)
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
        slug = str(score["metricName"]).strip()
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
    source = _object(record.get("inputRecord") or {}, "inputRecord", file, line)
    responses = record.get("modelResponses") or source.get("modelResponses")
    responses = responses if isinstance(responses, list) else []
    chosen = next(
        (r for r in responses if isinstance(r, dict) and r.get("modelIdentifier") == model_id), None
    )
    chosen = chosen or (responses[0] if responses and isinstance(responses[0], dict) else {})
    row = {"prompt": _text(source.get("prompt")), "output": chosen.get("response")}
    _item_id(row, record.get("inputRecord"))
    _scores(row, result.get("scores") or [], file, line)
    model = chosen.get("modelIdentifier")
    if model is not None and not isinstance(model, str):
        raise InputError(
            file,
            f"expected a model id (text), got {model!r}",
            row=line,
            column="modelIdentifier",
            row_word="line",
        )
    return row, model


def _object(value: object, key: str, file: str, line: int) -> dict:
    if not isinstance(value, dict):
        raise InputError(
            file, f"expected a JSON object, got {value!r}", row=line, column=key, row_word="line"
        )
    return value


def _item_id(row: dict, input_record: object) -> None:
    """An id the dataset's input line carried (Bedrock copies the input record)."""
    if isinstance(input_record, dict):
        for key in ID_KEYS:
            if isinstance(input_record.get(key), str | int) and str(input_record[key]).strip():
                row["item_id"] = str(input_record[key]).strip()
                return


def read_records(path: Path) -> list[tuple[int, dict]]:
    check_text_file(path, "jsonl")
    records = []
    with path.open(encoding="utf-8-sig") as fh:
        for line, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            record = json_input.loads(text, str(path), row=line)
            if not isinstance(record, dict):
                raise InputError(str(path), "expected a JSON object", row=line, row_word="line")
            records.append((line, record))
    if not records:
        raise InputError(str(path), "the file has no records")
    return records


@dataclass
class Job:
    """The output files of one evaluation job for one model."""

    name: str  # "<job-name>/<job-id>", or the folder or file when not in the job layout
    model: str | None  # the model folder of the layout, else the records' modelIdentifier
    files: list[Path] = field(default_factory=list)
    records: list[tuple[Path, int, dict, str | None]] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"job {self.name}, model {self.model or 'not named'}: {len(self.records)} records"
            f" in {len(self.files)} file{'s' * (len(self.files) != 1)}"
        )


def _place(path: Path, root: Path) -> tuple[str, str | None]:
    """(job, model folder) from a file's place in the job layout below ``root``."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        parts = path.parts
    for marker in ("models", "inference_configs", "datasets"):
        if marker in parts[:-1]:
            at = parts.index(marker)
            job = "/".join(parts[max(0, at - 2) : at]) or root.name
            model = parts[at + 1] if marker == "models" and at + 1 < len(parts) - 1 else None
            return job, model
    return str(Path(*parts[:-1])) if len(parts) > 1 else path.name, None


def jobs(paths: list[Path], root: Path, model_id: str | None = None) -> list[Job]:
    """Group output files by job and model (the path's, else each record's)."""
    found: dict[tuple[str, str | None], Job] = {}
    for path in paths:
        name, folder = _place(path, root)
        for line, record in read_records(path):
            row, model = parse_line(record, str(path), line, model_id)
            key = (name, folder or model)
            job = found.setdefault(key, Job(name, folder or model))
            if path not in job.files:
                job.files.append(path)
            job.records.append((path, line, row, model))
    return sorted(found.values(), key=lambda j: (j.name, j.model or ""))


def pick(found: list[Job], source: str, job: str | None, model_id: str | None) -> Job:
    """The one job to import: the only one, or the one ``--job``/``--model`` names."""
    chosen = found
    if job:
        chosen = [j for j in chosen if job in (j.name, *j.name.split("/")) or job in j.name]
    if model_id and len(chosen) > 1:
        by_model = [
            j
            for j in chosen
            if model_id in (j.model, resolve_model_id(j.model or ""))
            or any(model_id in (m, resolve_model_id(m or "")) for *_, m in j.records)
        ]
        chosen = by_model or chosen
    if len(chosen) == 1:
        return chosen[0]
    listing = "; ".join(j.describe() for j in (chosen or found))
    if not chosen:
        raise InputError(source, f"no job matches --job {job!r}; found: {listing}")
    raise InputError(
        source,
        f"holds {len(chosen)} evaluation jobs or models, and one job is one run: pick one with"
        f" --job NAME (or --model ID). Found: {listing}",
    )


def convert(
    paths: list[Path],
    model_id: str | None = None,
    *,
    root: Path | None = None,
    job: str | None = None,
    source: str | None = None,
) -> Converted:
    """One job's output files as one row per record; several files of the job (one per
    dataset or metric) are merged record by record on the prompt."""
    root = root or paths[0].parent
    chosen = pick(jobs(paths, root, model_id), source or str(root), job, model_id)
    rows: list[dict] = []
    by_key: dict[str, dict] = {}
    first_line: dict[tuple[Path, str], int] = {}
    models: set[str] = set()
    for path, line, row, model in chosen.records:
        if model:
            models.add(model)
        key = row.get("item_id") or json.dumps(row.get("prompt"), sort_keys=True)
        seen = first_line.get((path, key))
        if seen is not None:
            raise InputError(
                str(path),
                f"lines {seen} and {line} hold the same prompt, and Bedrock output carries no"
                " item id to tell them apart: drop the duplicate, or add an item_id key to the"
                " dataset's input lines (Bedrock copies them into inputRecord)",
                row=line,
                row_word="line",
            )
        first_line[(path, key)] = line
        if key in by_key:
            # The same record in another file of this job: add its scores.
            by_key[key].update(
                {
                    k: v
                    for k, v in row.items()
                    if k.startswith(("score.", "explanation.", "judge_version."))
                }
            )
        else:
            by_key[key] = {"_row": line, **row}
            rows.append(by_key[key])
    if any("item_id" in r for r in rows) and not all("item_id" in r for r in rows):
        for r in rows:
            r.pop("item_id", None)  # ids on some records only: match every one by prompt
    resolved = {resolve_model_id(m) for m in models}
    found = model_id or (resolved.pop() if len(resolved) == 1 else None)
    if found is None and chosen.model:
        found = resolve_model_id(chosen.model)
    notes = [chosen.describe()]
    if model_id is None and models and found not in models:
        notes.append(f"model {', '.join(sorted(models))} read as {found}")
    row_word = "line"
    if len(chosen.files) > 1:
        # Line numbers repeat across files: number the merged records instead.
        for number, record in enumerate(rows, start=1):
            record["_row"] = number
        notes.append(f"merged {len(chosen.files)} output files of the job by prompt")
        row_word = "record"
    return Converted(rows, row_word, model_id=found, judge="bedrock", notes=tuple(notes))
