"""DeepEval test-run JSON: ``testRunData.testCases[].metricsData[]``.

Each test case has ``name, input, actualOutput, expectedOutput, retrievalContext`` and per
metric ``name, score, threshold, success, reason, evaluationModel``. Items match by an id in
``additionalMetadata``/``metadata`` (``item_id`` or ``id``) when every case has one, else by
``input`` text.
"""

from __future__ import annotations

from pathlib import Path

from core.errors import InputError
from core.importers import json_input
from core.importers.file_checks import check_text_file
from core.importers.formats import Converted


def looks_like(data: object) -> bool:
    return isinstance(data, dict) and ("testRunData" in data or "testCases" in data)


def load(path: Path) -> object:
    check_text_file(path, "json")
    return json_input.loads(path.read_bytes(), str(path))


def convert(path: Path) -> Converted:
    data = load(path)
    run = data.get("testRunData", data) if isinstance(data, dict) else None
    if not isinstance(run, dict) or not isinstance(run.get("testCases"), list):
        raise InputError(str(path), "not a DeepEval test run: expected testRunData.testCases")
    rows, notes = [], []
    for number, case in enumerate(run["testCases"], start=1):
        if not isinstance(case, dict):
            raise InputError(
                str(path), "expected a test case object", row=number, row_word="test case"
            )
        meta = case.get("additionalMetadata") or case.get("metadata") or {}
        row = {
            "_row": number,
            "item_id": _text(meta.get("item_id", meta.get("id")))
            if isinstance(meta, dict)
            else None,
            "prompt": case.get("input"),
            "output": case.get("actualOutput"),
        }
        if isinstance(case.get("completionTime"), int | float):
            row["latency_ms"] = case["completionTime"] * 1000  # DeepEval records seconds
        for metric in case.get("metricsData") or []:
            slug = str(metric.get("name") or "metric").strip()
            row[f"score.{slug}"] = metric.get("score")
            row[f"threshold.{slug}"] = metric.get("threshold")
            row[f"passed.{slug}"] = metric.get("success")
            row[f"explanation.{slug}"] = metric.get("reason") or metric.get("error")
            row[f"judge_version.{slug}"] = metric.get("evaluationModel")
        rows.append(row)
    if not rows:
        raise InputError(str(path), "the test run has no test cases")
    if run.get("conversationalTestCases"):
        notes.append(f"skipped {len(run['conversationalTestCases'])} conversational test cases")
    if any(r["item_id"] is None for r in rows):
        # Ids only where some cases carry them: match every case by its input instead.
        if any(r["item_id"] is not None for r in rows):
            notes.append("some test cases carry no item_id: all matched by input text")
        for r in rows:
            del r["item_id"]
    params = run.get("hyperparameters")
    model = params.get("model") if isinstance(params, dict) else None
    model = model if isinstance(model, str) and model.strip() else None
    return Converted(rows, "test case", model_id=model, judge="deepeval", notes=tuple(notes))


def _text(value: object) -> str | None:
    return None if value is None else str(value)
