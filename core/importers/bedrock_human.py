"""Amazon Bedrock human-evaluation output as label rows, each answer read by its metric's name.

One JSONL line per prompt: the prompt, one or two model responses, and every worker's answers
under ``humanEvaluationResult``. AWS documents two variants of the record, both read here:
Bedrock's (``humanEvaluationResult`` a list, the prompt a string, responses under
``response``) and SageMaker's (an object, ``{"text": ...}`` prompts and responses, a
``comparisonChoice`` result as ``{"modelResponseId": "0"}``). A worker's answers sit under
their rating method: ``individualLikertScale``, ``thumbsUpDown`` (one entry per metric and
response), ``comparisonChoice``, ``comparisonRank``, ``comparisonLikertScale``.

A job may ask several metrics of one rating method, and their meanings differ (on a
"Toxicity" Likert scale 1 may mean "not toxic"), so nothing is read by position: the 1-5
score comes from one IndividualLikertScale metric, the pass/fail verdict from one
ThumbsUpDown metric and the side-by-side preference from one comparison metric. A kind with a
single metric in the file is taken; with several, the import is refused until the owner names
one (``--score-metric``, ``--verdict-metric``, ``--preference-metric``; ``none`` takes none).
Every answer of the worker on the response, whatever its metric, stays in the label's raw
record. Model identifiers (ARNs, inference profiles) are resolved to model ids.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from core.catalog.models import resolve_model_id
from core.errors import InputError
from core.importers import json_input
from core.importers.formats import bedrock

# Keys under evaluationResults and the rating method each one records.
METHODS = {
    "individualLikertScale": "IndividualLikertScale",
    "thumbsUpDown": "ThumbsUpDown",
    "comparisonChoice": "ComparisonChoice",
    "comparisonRank": "ComparisonRank",
    "comparisonLikertScale": "ComparisonLikertScale",
}
PER_RESPONSE = ("individualLikertScale", "thumbsUpDown")
COMPARISONS = ("comparisonChoice", "comparisonRank", "comparisonLikertScale")
# What each label field is read from, and the option that names its metric.
ROLES = {
    "score": (("individualLikertScale",), "--score-metric", "the 1-5 score"),
    "verdict": (("thumbsUpDown",), "--verdict-metric", "the pass/fail verdict"),
    "preference": (COMPARISONS, "--preference-metric", "the side-by-side preference"),
}
NONE = "none"  # an option value that takes no metric for that field
LIKERT = (1, 5)  # Bedrock's individual Likert scale has five points


def is_human_output(path: Path) -> bool:
    """The first line holds ``humanEvaluationResult``."""
    record = json_input.first_record(path)
    return isinstance(record, dict) and "humanEvaluationResult" in record


@dataclass(frozen=True)
class Choice:
    """The metric each label field is read from (None: not read), and the file's metrics."""

    score: str | None
    verdict: str | None
    preference: str | None
    metrics: dict[str, str]  # metric name -> rating method, in order of appearance

    def describe(self) -> list[str]:
        """One line per field, for the import summary."""
        lines = []
        for role, metric in (
            ("score", self.score),
            ("verdict", self.verdict),
            ("preference", self.preference),
        ):
            what = ROLES[role][2]
            if metric is None:
                lines.append(f"{what}: not read (no metric chosen)")
                continue
            lines.append(f"{what}: {metric!r} ({self.metrics[metric]})")
        others = [m for m in self.metrics if m not in (self.score, self.verdict, self.preference)]
        if others:
            lines.append(
                "kept in each label's raw record only: " + ", ".join(_listed(self.metrics, others))
            )
        return lines


@dataclass(frozen=True)
class HumanEval:
    rows: list[dict]
    choice: Choice


def read(
    path: Path,
    *,
    score_metric: str | None = None,
    verdict_metric: str | None = None,
    preference_metric: str | None = None,
    scale: tuple[int, int] = LIKERT,
) -> HumanEval:
    """The file's answers as label rows (one per worker and model response), with the metric
    each field was read from. ``scale`` is the Likert scale the score metric was asked on."""
    file = str(path)
    records = list(bedrock.read_records(path))
    metrics: dict[str, str] = {}
    for line, record in records:
        for _, answers in _answers(record, file, line):
            for key, entries in answers.items():
                for entry in _entries(entries):
                    metrics.setdefault(str(entry.get("metricName")), METHODS[key])
    choice = Choice(
        _choose(file, metrics, "score", score_metric),
        _choose(file, metrics, "verdict", verdict_metric),
        _choose(file, metrics, "preference", preference_metric),
        metrics,
    )
    rows = []
    for line, record in records:
        rows += _rows(record, file, line, choice, scale)
    if not rows:
        raise InputError(file, "no human answers in the file")
    return HumanEval(rows, choice)


def _listed(metrics: dict[str, str], names) -> list[str]:
    return [f"{name} ({metrics[name]})" for name in names]


def _choose(file: str, metrics: dict[str, str], role: str, named: str | None) -> str | None:
    """The metric named for a field, else the file's only metric of its kind."""
    keys, option, what = ROLES[role]
    kinds = {METHODS[k] for k in keys}
    candidates = [m for m, method in metrics.items() if method in kinds]
    listing = "; ".join(_listed(metrics, metrics)) or "none"
    if named is not None:
        if named.lower() == NONE:
            return None
        if named not in candidates:
            raise InputError(
                file,
                f"{option} {named!r} is not a {' or '.join(sorted(kinds))} metric of the"
                f" file; its metrics: {listing}",
            )
        return named
    if len(candidates) > 1:
        raise InputError(
            file,
            f"which metric is {what}? the file has {len(candidates)}: "
            f"{', '.join(candidates)}; name one with {option} NAME (or {option} none). "
            f"The file's metrics: {listing}",
        )
    return candidates[0] if candidates else None


def _entries(value: object) -> list[dict]:
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _answers(record: object, file: str, line: int) -> list[tuple[dict, dict]]:
    """(human answer, its evaluationResults) for every worker's answer on the line."""
    results = record.get("humanEvaluationResult") if isinstance(record, dict) else None
    if isinstance(results, dict):  # the SageMaker variant
        results = [results]
    if not isinstance(results, list):
        raise InputError(
            file,
            "expected humanEvaluationResult to be a list (or one object)",
            row=line,
            row_word="line",
        )
    found = []
    for result in results:
        for answer in (result or {}).get("humanAnswers") or []:
            if isinstance(answer, dict):
                content = answer.get("answerContent") or {}
                evaluation = content.get("evaluationResults") or {}
                found.append((answer, {k: v for k, v in evaluation.items() if k in METHODS}))
    return found


def _text(value: object) -> object:
    if isinstance(value, dict) and "text" in value:
        return value["text"]
    return value


def _models(record: dict) -> dict[str, str]:
    """Model identifier (as written) by response id: from modelResponses, else from the
    humanEvaluationResult's modelResponseIdMap."""
    # Only text is a model id; anything else in these places is ignored like a missing one.
    inputs = _dict(record.get("inputRecord"))
    responses = (
        record.get("modelResponses") or inputs.get("modelResponses") or inputs.get("responses")
    )
    models: dict[str, str] = {}
    results = record.get("humanEvaluationResult")
    for result in [results] if isinstance(results, dict) else _list(results):
        for key, identifier in _dict(_dict(result).get("modelResponseIdMap")).items():
            if isinstance(identifier, str):
                models[str(key)] = identifier
    for i, response in enumerate(_list(responses)):
        if isinstance(identifier := _dict(response).get("modelIdentifier"), str) and identifier:
            models[str(i)] = identifier
    return models


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _rows(record: dict, file: str, line: int, choice: Choice, scale: tuple[int, int]) -> list:
    prompt = _text((record.get("inputRecord") or {}).get("prompt"))
    models = _models(record)
    results = record.get("humanEvaluationResult")
    loop = (results if isinstance(results, dict) else (results or [{}])[0] or {}).get(
        "humanLoopName"
    )
    rows = []
    for answer, found in _answers(record, file, line):
        worker = answer.get("workerId")
        by_response: dict[str, dict] = {}
        answered: dict[str, list] = {}
        for key in PER_RESPONSE:
            for entry in _entries(found.get(key)):
                response_id = str(entry.get("modelResponseId"))
                answered.setdefault(response_id, []).append({"ratingMethod": METHODS[key], **entry})
                name = entry.get("metricName")
                if key == "individualLikertScale" and name == choice.score:
                    by_response.setdefault(response_id, {})["score"] = _likert(
                        entry.get("result"), name, worker, scale, file, line
                    )
                elif key == "thumbsUpDown" and name == choice.verdict:
                    by_response.setdefault(response_id, {})["passed"] = entry.get("result")
        compared = [
            {"ratingMethod": METHODS[key], **entry}
            for key in COMPARISONS
            for entry in _entries(found.get(key))
        ]
        left, right, preference = _preference(found, choice.preference, sorted(models))
        sides = {left: "A", right: "B"} if left is not None and right is not None else {}
        for response_id in sorted(set(by_response) | set(sides)):
            identifier = models.get(response_id)
            rows.append(
                {
                    "_row": line,
                    "prompt": prompt,
                    "reviewer": worker,
                    "model_id": resolve_model_id(identifier)
                    if identifier
                    else f"modelResponseId {response_id}",
                    "shown_side": sides.get(response_id),
                    "preference": preference if response_id in sides else None,
                    **by_response.get(response_id, {}),
                    "_raw": {
                        "source": "bedrock human evaluation",
                        "line": line,
                        "humanLoopName": loop,
                        "workerId": worker,
                        "modelResponseId": response_id,
                        "modelIdentifier": identifier,
                        "answers": answered.get(response_id, []) + compared,
                    },
                }
            )
    return rows


def _likert(value, metric: str | None, worker, scale: tuple[int, int], file: str, line: int):
    """A Likert answer inside the declared scale (mapping onto 1-5 happens on import)."""
    low, high = scale
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value != int(value)
    ):
        raise InputError(
            file,
            f"worker {worker!r} answered {value!r} on {metric!r}; expected a whole number",
            row=line,
            column=metric,
            row_word="line",
        )
    if not low <= value <= high:
        raise InputError(
            file,
            f"worker {worker!r} answered {value!r} on {metric!r}, outside the scale "
            f"{low}-{high}; a scale of another width is declared with --score-scale LOW:HIGH",
            row=line,
            column=metric,
            row_word="line",
        )
    return int(value)


def _preference(
    found: dict, metric: str | None, response_ids: list[str]
) -> tuple[str | None, str | None, str | None]:
    """(left response id, right response id, 'A' / 'B' / 'tie') from the chosen comparison
    metric. The left response is shown as A; where the answer names no sides (SageMaker's
    ComparisonChoice and ComparisonRank), the lower response id is taken as left."""
    if metric is None:
        return None, None, None
    default = [*response_ids, None, None][:2]
    for key in COMPARISONS:
        for entry in _entries(found.get(key)):
            if entry.get("metricName") != metric:
                continue
            left_id = entry.get("leftModelResponseId", default[0])
            right_id = entry.get("rightModelResponseId", default[1])
            if left_id is None or right_id is None:
                return None, None, None  # a comparison needs two responses
            left, right = str(left_id), str(right_id)
            result = entry.get("result")
            if key == "comparisonChoice":
                chosen = result.get("modelResponseId") if isinstance(result, dict) else result
                chosen = str(chosen)
                return left, right, "A" if chosen == left else "B" if chosen == right else "tie"
            if key == "comparisonRank":
                ranks = {
                    str(r.get("modelResponseId")): r.get("rank")
                    for r in _entries(result if isinstance(result, list) else [])
                }
                if {left, right} <= set(ranks):
                    left_rank, right_rank = ranks[left], ranks[right]
                    numbers = int | float
                    if not (isinstance(left_rank, numbers) and isinstance(right_rank, numbers)):
                        return None, None, None  # a rank without a number states no preference
                    if left_rank == right_rank:
                        return left, right, "tie"
                    return left, right, "A" if left_rank < right_rank else "B"
                return None, None, None
            # comparisonLikertScale: below the middle favours the left response.
            if isinstance(result, int | float) and not isinstance(result, bool):
                return left, right, "A" if result < 3 else "B" if result > 3 else "tie"
    return None, None, None
