"""OpenTelemetry GenAI spans as OTLP JSON lines: each line one ExportTraceServiceRequest
(``resourceSpans`` -> ``scopeSpans`` -> ``spans``) or ExportLogsServiceRequest
(``resourceLogs`` -> ``scopeLogs`` -> ``logRecords``), as the OTel Collector's file exporter
writes them.

Attribute names are the GenAI semantic conventions' (open-telemetry/semantic-conventions,
docs/gen-ai/gen-ai-spans.md and gen-ai-events.md, model/gen-ai/registry.yaml):
``gen_ai.operation.name``, ``gen_ai.request.model``, ``gen_ai.response.model``,
``gen_ai.response.id``, ``gen_ai.usage.input_tokens``, ``gen_ai.usage.output_tokens``,
``gen_ai.response.time_to_first_chunk`` (seconds, streaming only), ``error.type``, and the
opt-in ``gen_ai.input.messages`` / ``gen_ai.output.messages``. Latency is the span's end
minus its start. Judge scores are ``gen_ai.evaluation.result`` events (a span event, or a
log record with that ``eventName``): ``gen_ai.evaluation.name``,
``gen_ai.evaluation.score.value``, ``gen_ai.evaluation.score.label``,
``gen_ai.evaluation.explanation``, tied to their span or to ``gen_ai.response.id``.

A request's id is its ``gen_ai.response.id``, else ``<traceId>/<spanId>``. Spans of other
operations (HTTP, tools, agents, embeddings) are skipped and counted.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import duckdb

from core.errors import InputError
from core.importers.canary import records, scores, sources

INFERENCE = ("chat", "text_completion", "generate_content")
EVALUATION = "gen_ai.evaluation.result"
STATUS_ERROR = 2  # Status.StatusCode STATUS_CODE_ERROR


def value(any_value: object) -> object:
    """An OTLP AnyValue in its JSON encoding, as Python (int64 arrives as a string)."""
    if not isinstance(any_value, dict):
        return None
    if "stringValue" in any_value:
        return any_value["stringValue"]
    if "intValue" in any_value:
        return int(any_value["intValue"])
    if "doubleValue" in any_value:
        return any_value["doubleValue"]  # may be 'NaN' or 'Infinity' text: checked by the reader
    if "boolValue" in any_value:
        return bool(any_value["boolValue"])
    if "arrayValue" in any_value:
        return [value(v) for v in (any_value["arrayValue"] or {}).get("values", [])]
    if "kvlistValue" in any_value:
        return attributes((any_value["kvlistValue"] or {}).get("values", []))
    if "bytesValue" in any_value:
        return base64.b64decode(any_value["bytesValue"])
    return None


def attributes(items: object) -> dict:
    if not isinstance(items, list):
        return {}
    return {a["key"]: value(a.get("value")) for a in items if isinstance(a, dict) and "key" in a}


def texts(messages: object) -> str | None:
    """The text parts of GenAI messages (a JSON string or a decoded list), joined."""
    if isinstance(messages, str):
        text = messages
        try:
            messages = json.loads(text)
        except ValueError:
            return text
    if not isinstance(messages, list):
        return None
    parts = [
        str(p["content"])
        for m in messages
        if isinstance(m, dict) and m.get("role") != "system"
        for p in m.get("parts", [])
        if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("content"), str)
    ]
    return "\n\n".join(parts) if parts else None


class _Reader:
    def __init__(self, file: str, known: dict[str, str], arm_key: str | None, stratum_key: str):
        self.file, self.known, self.arm_key, self.stratum_key = file, known, arm_key, stratum_key
        self.rows: list[dict] = []
        self.scores: list[dict] = []
        self.by_span: dict[tuple[str, str], str] = {}
        self.pending: list[tuple[int, dict, tuple[str, str] | None]] = []
        self.skipped = 0

    def line(self, line: int, record: object) -> None:
        if not isinstance(record, dict) or not ({"resourceSpans", "resourceLogs"} & set(record)):
            raise InputError(
                self.file,
                "expected an OTLP JSON object with resourceSpans or resourceLogs on each line",
                row=line,
                row_word="line",
            )
        for resource in record.get("resourceSpans") or []:
            shared = attributes((resource.get("resource") or {}).get("attributes"))
            for scope in resource.get("scopeSpans") or []:
                for span in scope.get("spans") or []:
                    self.span(line, span, shared)
        for resource in record.get("resourceLogs") or []:
            for scope in resource.get("scopeLogs") or []:
                for log in scope.get("logRecords") or []:
                    if log.get("eventName") == EVALUATION:
                        key = (log.get("traceId") or "", log.get("spanId") or "")
                        self.pending.append((line, attributes(log.get("attributes")), key))

    def span(self, line: int, span: dict, shared: dict) -> None:
        attrs = {**shared, **attributes(span.get("attributes"))}
        operation = attrs.get("gen_ai.operation.name")
        model = attrs.get("gen_ai.request.model") or attrs.get("gen_ai.response.model")
        if not model or (operation is not None and operation not in INFERENCE):
            self.skipped += 1
            return
        key = (str(span.get("traceId") or ""), str(span.get("spanId") or ""))
        request_id = attrs.get("gen_ai.response.id") or "/".join(key)
        start, end = (
            self._nanos(span, "startTimeUnixNano", line),
            self._nanos(span, "endTimeUnixNano", line),
        )
        if end < start:
            raise InputError(
                self.file,
                "a span that ends before it starts (endTimeUnixNano < startTimeUnixNano)",
                row=line,
                column="endTimeUnixNano",
                row_word="line",
            )
        ttft = records.number(
            attrs.get("gen_ai.response.time_to_first_chunk"),
            self.file,
            line,
            "gen_ai.response.time_to_first_chunk",
        )
        status = span.get("status") or {}
        error = attrs.get("error.type")
        if error is None and status.get("code") in (STATUS_ERROR, "STATUS_CODE_ERROR"):
            error = status.get("message") or "error"
        self.by_span[key] = str(request_id)
        self.rows.append(
            {
                "_row": line,
                "request_id": str(request_id),
                "ts": records.iso_from_nanos(start),
                "model_id": records.pick_model(
                    [attrs.get("gen_ai.request.model"), attrs.get("gen_ai.response.model")],
                    self.known,
                ),
                "arm": attrs.get(self.arm_key) if self.arm_key else None,
                "prompt": texts(attrs.get("gen_ai.input.messages")),
                "response": texts(attrs.get("gen_ai.output.messages")),
                "ttft_ms": None if ttft is None else ttft * 1000.0,
                "latency_ms": (end - start) / 1e6,
                "input_tokens": self._count(attrs, "gen_ai.usage.input_tokens", line),
                "output_tokens": self._count(attrs, "gen_ai.usage.output_tokens", line),
                "error": None if error is None else str(error),
                "stratum": attrs.get(self.stratum_key),
            }
        )
        for event in span.get("events") or []:
            if event.get("name") == EVALUATION:
                self.pending.append((line, attributes(event.get("attributes")), key))

    def _count(self, attrs: dict, name: str, line: int) -> object:
        """A token count as given (the table's checks want a whole number); NaN refused."""
        found = attrs.get(name)
        records.number(found, self.file, line, name)
        return found

    def _nanos(self, span: dict, name: str, line: int) -> int:
        try:
            return int(span[name])
        except (KeyError, TypeError, ValueError):
            raise InputError(
                self.file,
                f"a GenAI span without a valid {name}",
                row=line,
                column=name,
                row_word="line",
            ) from None

    def resolve(self) -> None:
        """Evaluation events to scores, tied to their span, else to gen_ai.response.id."""
        for line, attrs, key in self.pending:
            metric = attrs.get("gen_ai.evaluation.name")
            if not metric:
                raise InputError(
                    self.file,
                    f"a {EVALUATION} event without gen_ai.evaluation.name (required)",
                    row=line,
                    row_word="line",
                )
            request_id = attrs.get("gen_ai.response.id") or (self.by_span.get(key) if key else None)
            if request_id is None:
                request_id = "/".join(key) if key and all(key) else None
            if request_id is None:
                raise InputError(
                    self.file,
                    f"a {EVALUATION} event tied to no span and without gen_ai.response.id",
                    row=line,
                    row_word="line",
                )
            score = records.number(
                attrs.get("gen_ai.evaluation.score.value"),
                self.file,
                line,
                "gen_ai.evaluation.score.value",
            )
            label = attrs.get("gen_ai.evaluation.score.label")
            self.scores.append(
                {
                    "_row": line,
                    "request_id": str(request_id),
                    "metric": str(metric),
                    "evaluator": "otel",
                    "score": score,
                    "label": None if label is None else str(label),
                    "explanation": attrs.get("gen_ai.evaluation.explanation"),
                }
            )


def parse(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    file: str,
    known: dict[str, str],
    arm_key: str | None,
    stratum_key: str,
) -> records.Parsed:
    reader = _Reader(file, known, arm_key, stratum_key)
    for line, record in sources.json_lines(path, file):
        reader.line(line, record)
    reader.resolve()
    notes = []
    if reader.skipped:
        notes.append(
            f"{file}: {reader.skipped} span(s) of other operations skipped (not inference)"
        )
    staged = records.stage(con, reader.rows, file, "GenAI inference spans (gen_ai.request.model)")
    return records.Parsed(staged, scores.frame(reader.scores), tuple(notes))
