"""Writes the real-shaped canary logs beside it (run by hand: ``python
tests/data/real/canary/make_canary.py``); tests read the committed files and never regenerate
them. SOURCES.md says where each shape comes from."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
CONTROL = "anthropic.claude-3-5-sonnet-20241022-v2:0"
CANARY = "amazon.nova-pro-v1:0"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"  # the semantic conventions' example trace id


def nanos(text: str) -> str:
    """OTLP JSON writes fixed64 times as decimal strings."""
    stamp = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return str(int(stamp.timestamp()) * 1_000_000_000 + stamp.microsecond * 1000)


def attr(key: str, value) -> dict:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}  # int64 as a string
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    if isinstance(value, list):
        return {
            "key": key,
            "value": {"arrayValue": {"values": [{"stringValue": v} for v in value]}},
        }
    return {"key": key, "value": {"stringValue": value}}


def messages(role: str, text: str, finish: str | None = None) -> str:
    message = {"role": role, "parts": [{"type": "text", "content": text}]}
    if finish:
        message["finish_reason"] = finish
    return json.dumps([message])


def chat_span(span_id: str, model: str, start: str, end: str, attrs: dict, **extra) -> dict:
    base = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "aws.bedrock",
        "gen_ai.request.model": model,
        "gen_ai.request.max_tokens": 200,
        "gen_ai.request.top_p": 1.0,
    }
    return {
        "traceId": TRACE,
        "spanId": span_id,
        "name": f"chat {model}",
        "kind": 3,  # SPAN_KIND_CLIENT
        "startTimeUnixNano": nanos(start),
        "endTimeUnixNano": nanos(end),
        "attributes": [attr(k, v) for k, v in {**base, **attrs}.items()],
        **extra,
    }


def traces(spans: list[dict], scope: str = "opentelemetry.instrumentation.botocore") -> dict:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [attr("service.name", "support-assistant")]},
                "scopeSpans": [{"scope": {"name": scope, "version": "0.52b0"}, "spans": spans}],
            }
        ]
    }


def otlp_lines() -> list[dict]:
    control = chat_span(
        "00f067aa0ba902b7",
        CONTROL,
        "2026-11-02T10:00:00.000",
        "2026-11-02T10:00:01.250",
        {
            "gen_ai.response.id": "msg_bdrk_01XFDUDYJgAACzvnptvVoYEL",
            "gen_ai.response.model": CONTROL,
            "gen_ai.usage.input_tokens": 52,
            "gen_ai.usage.output_tokens": 47,
            "gen_ai.response.finish_reasons": ["stop"],
            "gen_ai.input.messages": messages("user", "Tell me a joke about OpenTelemetry"),
            "gen_ai.output.messages": messages(
                "assistant",
                "Why did the developer bring OpenTelemetry to the party? Because it always"
                " knows how to trace the fun!",
                "stop",
            ),
            "stratum": "smalltalk",
        },
        events=[
            {
                "timeUnixNano": nanos("2026-11-02T10:00:02.000"),
                "name": "gen_ai.evaluation.result",
                "attributes": [
                    attr("gen_ai.evaluation.name", "Relevance"),
                    attr("gen_ai.evaluation.score.value", 4.0),
                    attr("gen_ai.evaluation.score.label", "relevant"),
                    attr(
                        "gen_ai.evaluation.explanation",
                        "The response is on topic but lacks detail.",
                    ),
                ],
            }
        ],
    )
    streamed = chat_span(
        "b7ad6b7169203331",
        CANARY,
        "2026-11-02T10:00:03.000",
        "2026-11-02T10:00:03.900",
        {
            "gen_ai.request.stream": True,
            "gen_ai.response.time_to_first_chunk": 0.42,
            "gen_ai.response.id": "nova-resp-7f3c2a",
            "gen_ai.response.model": CANARY,
            "gen_ai.usage.input_tokens": 52,
            "gen_ai.usage.output_tokens": 31,
            "stratum": "smalltalk",
        },
    )
    failed = chat_span(
        "3c1f9a2e4d5b6a70",
        CANARY,
        "2026-11-02T10:00:05.000",
        "2026-11-02T10:00:35.000",
        {"error.type": "timeout", "stratum": "billing"},
        status={"code": 2, "message": "Read timed out"},
    )
    http = {  # opentelemetry-proto examples/trace.json's server span: not an inference
        "traceId": TRACE,
        "spanId": "eee19b7ec3c1b174",
        "name": "POST /chat",
        "kind": 2,
        "startTimeUnixNano": nanos("2026-11-02T10:00:00.000"),
        "endTimeUnixNano": nanos("2026-11-02T10:00:36.000"),
        "attributes": [attr("http.request.method", "POST")],
    }
    judged = {
        "resourceLogs": [
            {
                "resource": {"attributes": [attr("service.name", "support-assistant")]},
                "scopeLogs": [
                    {
                        "scope": {"name": "online-evaluator"},
                        "logRecords": [
                            {
                                "timeUnixNano": nanos("2026-11-02T10:01:00.000"),
                                "eventName": "gen_ai.evaluation.result",
                                "traceId": TRACE,
                                "spanId": "b7ad6b7169203331",
                                "attributes": [
                                    attr("gen_ai.evaluation.name", "Relevance"),
                                    attr("gen_ai.evaluation.score.value", 2.0),
                                    attr("gen_ai.evaluation.score.label", "not_relevant"),
                                ],
                            }
                        ],
                    }
                ],
            }
        ]
    }
    return [traces([control, http]), traces([streamed]), traces([failed]), judged]


def bedrock_records() -> list[dict]:
    base = {
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "accountId": "123456789012",
        "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/support-app/session"},
        "region": "us-east-1",
    }
    converse = {
        **base,
        "timestamp": "2026-11-02T10:05:12Z",
        "requestId": "915a6a04-3f83-4c70-a277-7fbf7ea546b3",
        "operation": "Converse",
        "modelId": CONTROL,
        "input": {
            "inputContentType": "application/json",
            "inputBodyJson": {
                "messages": [{"role": "user", "content": [{"text": "Why is the sky blue?"}]}]
            },
            "inputTokenCount": 35,
        },
        "output": {
            "outputContentType": "application/json",
            "outputBodyJson": {
                "output": {
                    "message": {
                        "role": "assistant",
                        "content": [{"text": "Air molecules scatter blue light more than red."}],
                    }
                },
                "stopReason": "end_turn",
                "metrics": {"latencyMs": 3640},
                "usage": {"inputTokens": 35, "outputTokens": 446, "totalTokens": 481},
            },
            "outputTokenCount": 446,
        },
        "requestMetadata": {
            "stratum": "science",
            "traceId": "b956002a-fd01-47ba-9da7-07e4c9b1a6b6",
        },
    }
    invoke = {
        **base,
        "timestamp": "2026-11-02T10:05:40Z",
        "requestId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
        "operation": "InvokeModel",
        "modelId": f"arn:aws:bedrock:us-east-1::foundation-model/{CANARY}",
        "input": {
            "inputContentType": "application/json",
            "inputBodyJson": {
                "messages": [
                    {"role": "user", "content": [{"text": "What is the capital of Sudan?"}]}
                ]
            },
            "inputTokenCount": 15,
        },
        "output": {
            "outputContentType": "application/json",
            "outputBodyJson": {
                "output": {"message": {"role": "assistant", "content": [{"text": "Khartoum."}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 15, "outputTokens": 12},
            },
            "outputTokenCount": 12,
        },
        "requestMetadata": {"stratum": "geography"},
    }
    throttled = {
        **base,
        "timestamp": "2026-11-02T10:06:01Z",
        "requestId": "c0ffee00-1111-2222-3333-444455556666",
        "operation": "Converse",
        "modelId": CANARY,
        "errorCode": "ThrottlingException",
        "input": {"inputContentType": "application/json", "inputTokenCount": 20},
        "requestMetadata": {"stratum": "geography"},
    }
    return [converse, invoke, throttled]


BEDROCK_KEY = (
    "AWSLogs/123456789012/BedrockModelInvocationLogs/us-east-1/2026/11/02/10/"
    "20261102T100612Z_0f9a7c3e5b1d2468.json.gz"
)


def main() -> None:
    with (HERE / "otel_genai_spans.jsonl").open("w", encoding="utf-8") as fh:
        for line in otlp_lines():
            fh.write(json.dumps(line, separators=(",", ":")) + "\n")
    path = HERE / "bedrock" / BEDROCK_KEY
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r) + "\n" for r in bedrock_records())
    # mtime=0: the same bytes (and content hash) every time the script runs
    path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))


if __name__ == "__main__":
    main()
