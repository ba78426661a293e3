"""Amazon Bedrock model-invocation logs: one JSON record per line (``schemaType``
``ModelInvocationLog``), gzipped as Bedrock delivers them to S3.

Fields read (AWS Bedrock User Guide, "Monitor model invocation using CloudWatch Logs and
Amazon S3"): ``timestamp``, ``requestId``, ``modelId``, ``operation``, ``errorCode``,
``input.inputTokenCount``, ``output.outputTokenCount``, ``input.inputBodyJson`` and
``output.outputBodyJson`` (text when text delivery is on), and ``requestMetadata`` (the
caller's key/value pairs, which may name the arm and the stratum). Latency is the Converse
API's ``metrics.latencyMs`` in the logged response (the last stream event's for
ConverseStream); InvokeModel responses carry none, and no record carries a time to first
token, so those stay empty rather than guessed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from core.errors import InputError
from core.importers.canary import records, sources

SCHEMA_TYPE = "ModelInvocationLog"


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def latency_ms(body: object) -> object:
    """Converse's metrics.latencyMs; in a logged stream, the event that carries it."""
    if isinstance(body, list):
        for event in reversed(body):
            found = latency_ms(_dict(event).get("metadata", event))
            if found is not None:
                return found
        return None
    return _dict(_dict(body).get("metrics")).get("latencyMs")


def prompt_text(body: object) -> str | None:
    """The user's text: Converse messages, or the common InvokeModel prompt fields."""
    body = _dict(body)
    parts = [
        str(c["text"])
        for m in body.get("messages") or []
        if isinstance(m, dict) and m.get("role") == "user"
        for c in (m["content"] if isinstance(m.get("content"), list) else [])
        if isinstance(c, dict) and isinstance(c.get("text"), str)
    ]
    if parts:
        return "\n\n".join(parts)
    for key in ("prompt", "inputText"):
        if isinstance(body.get(key), str):
            return body[key]
    return None


def response_text(body: object) -> str | None:
    """The model's text: Converse output.message, Anthropic content, Llama generation, Titan."""
    if isinstance(body, list):  # a logged stream: its text deltas
        deltas = [
            _dict(_dict(_dict(e).get("contentBlockDelta")).get("delta")).get("text") for e in body
        ]
        joined = "".join(d for d in deltas if isinstance(d, str))
        return joined or None
    body = _dict(body)
    message = _dict(_dict(body.get("output")).get("message"))
    content = message.get("content", body.get("content"))
    if isinstance(content, list):
        parts = [
            str(c["text"])
            for c in content
            if isinstance(c, dict) and isinstance(c.get("text"), str)
        ]
        if parts:
            return "\n\n".join(parts)
    for key in ("generation", "outputText", "completion", "text"):
        if isinstance(body.get(key), str):
            return body[key]
    results = body.get("results")
    if (
        isinstance(results, list)
        and results
        and isinstance(_dict(results[0]).get("outputText"), str)
    ):
        return results[0]["outputText"]
    return None


def _model(record: dict, known: dict[str, str]) -> str | None:
    """modelId as logged; an ARN also tried by its last part (the model or profile id)."""
    model = record.get("modelId")
    if not isinstance(model, str):
        return None
    return records.pick_model([model, model.rsplit("/", 1)[-1]], known)


def row(record: object, line: int, file: str, known: dict[str, str], arm_key, stratum_key) -> dict:
    if not isinstance(record, dict) or record.get("schemaType") != SCHEMA_TYPE:
        raise InputError(
            file,
            f"expected a Bedrock invocation log record (schemaType {SCHEMA_TYPE!r}) on each line",
            row=line,
            row_word="line",
        )
    given, made = _dict(record.get("input")), _dict(record.get("output"))
    metadata = _dict(record.get("requestMetadata"))
    latency = records.number(
        latency_ms(made.get("outputBodyJson")),
        file,
        line,
        "output.outputBodyJson.metrics.latencyMs",
    )
    for name, value in (
        ("input.inputTokenCount", given.get("inputTokenCount")),
        ("output.outputTokenCount", made.get("outputTokenCount")),
    ):
        records.number(value, file, line, name)
    error = record.get("errorCode")
    return {
        "_row": line,
        "request_id": record.get("requestId"),
        "ts": record.get("timestamp"),
        "model_id": _model(record, known),
        "arm": metadata.get(arm_key) if arm_key else None,
        "prompt": prompt_text(given.get("inputBodyJson")),
        "response": response_text(made.get("outputBodyJson")),
        "ttft_ms": None,
        "latency_ms": latency,
        "input_tokens": given.get("inputTokenCount"),
        "output_tokens": made.get("outputTokenCount"),
        "error": None if error is None else str(error),
        "stratum": metadata.get(stratum_key),
    }


def parse(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    file: str,
    known: dict[str, str],
    arm_key: str | None,
    stratum_key: str,
) -> records.Parsed:
    rows = [
        row(rec, line, file, known, arm_key, stratum_key)
        for line, rec in sources.json_lines(path, file)
    ]
    return records.Parsed(records.stage(con, rows, file, "invocation log records"), None)
