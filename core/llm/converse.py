"""One call to a model: Bedrock ``ConverseStream`` (the runner, with TTFT), Bedrock
``Converse`` (judges and the metaprompt), or an OpenAI-compatible streamed chat completion.

TTFT is the time from sending the request to the first content delta; latency runs to the
end of the stream. A throttled call is retried with exponential backoff and jitter; any
other failure is recorded on its item.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.llm import clients
from core.llm.clients import Throttled

if TYPE_CHECKING:
    from core.llm.runner import ModelConfig

# Error codes worth a retry (mid-stream events spell them in camel case).
THROTTLED = {"throttlingexception", "toomanyrequestsexception", "serviceunavailableexception"}


@dataclass
class Call:
    """One item's answer, or its error."""

    item_id: str
    text: str | None = None
    ttft_ms: float | None = None
    latency_ms: float | None = None
    service_latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: str | None = None
    error: str | None = None
    attempts: int = 1
    breakdown: list[dict] | None = None  # the output's per-call details (its `calls` column)


def runtime_client(config: ModelConfig):
    """A bedrock-runtime client with botocore's own retries off (ours count attempts)."""
    return clients.bedrock_runtime(
        config.region,
        config.endpoint_url,
        retries={"total_max_attempts": 1},
        read_timeout=config.timeout_s,
        connect_timeout=min(10.0, config.timeout_s),
        max_pool_connections=max(10, config.concurrency),
    )


def user_message(prompt: str, context: str | None) -> str:
    if context:
        return f"Context:\n{context}\n\nQuestion: {prompt}"
    return prompt


def converse_text(client, model_id: str, prompt: str, max_tokens: int = 2048) -> str:
    """One Converse call at temperature 0; the reply's text."""
    response = client.converse(
        modelId=model_id,
        messages=[{"role": "user", "content": [{"text": prompt}]}],
        inferenceConfig={"temperature": 0.0, "maxTokens": max_tokens},
    )
    return "".join(p.get("text", "") for p in response["output"]["message"]["content"])


def converse_stream(client, config: ModelConfig, system: str | None, message: str, call: Call):
    """One ConverseStream call: text, TTFT, latency, usage and stop reason into ``call``."""
    request = {
        "modelId": config.model_id,
        "messages": [{"role": "user", "content": [{"text": message}]}],
        "inferenceConfig": {
            "temperature": config.temperature,
            "topP": config.top_p,
            "maxTokens": config.max_tokens,
        },
    }
    if system:
        request["system"] = [{"text": system}]
    started = time.perf_counter()
    response = client.converse_stream(**request)
    parts = []
    for event in response["stream"]:
        if "contentBlockDelta" in event:
            text = event["contentBlockDelta"]["delta"].get("text")
            if text:
                if call.ttft_ms is None:
                    call.ttft_ms = (time.perf_counter() - started) * 1000
                parts.append(text)
        elif "messageStop" in event:
            call.stop_reason = event["messageStop"].get("stopReason")
        elif "metadata" in event:
            usage = event["metadata"].get("usage", {})
            call.input_tokens = usage.get("inputTokens")
            call.output_tokens = usage.get("outputTokens")
            call.service_latency_ms = event["metadata"].get("metrics", {}).get("latencyMs")
        if time.perf_counter() - started > config.timeout_s:
            raise TimeoutError(f"timed out after {config.timeout_s:g} s")
    call.latency_ms = (time.perf_counter() - started) * 1000
    call.text = "".join(parts)


def openai_stream(config: ModelConfig, system: str | None, message: str, call: Call) -> None:
    """One streamed chat completion from an OpenAI-compatible endpoint (server-sent events)."""
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": message}
    ]
    body = {
        "model": config.model_id,
        "messages": messages,
        "temperature": config.temperature,
        "top_p": config.top_p,
        "max_tokens": config.max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    started = time.perf_counter()
    parts = []
    response = clients.openai_open(
        config.endpoint_url, "/chat/completions", body, config.api_key_env, config.timeout_s
    )
    with response:
        for chunk in clients.openai_events(response):
            for choice in chunk.get("choices") or []:
                text = (choice.get("delta") or {}).get("content")
                if text:
                    if call.ttft_ms is None:
                        call.ttft_ms = (time.perf_counter() - started) * 1000
                    parts.append(text)
                if choice.get("finish_reason"):
                    call.stop_reason = choice["finish_reason"]
            usage = chunk.get("usage")
            if usage:
                call.input_tokens = usage.get("prompt_tokens")
                call.output_tokens = usage.get("completion_tokens")
    call.latency_ms = (time.perf_counter() - started) * 1000
    call.text = "".join(parts)


def throttled(exc: Exception) -> bool:
    if isinstance(exc, Throttled):
        return True
    response = getattr(exc, "response", None)
    code = response.get("Error", {}).get("Code", "") if isinstance(response, dict) else ""
    return code.lower() in THROTTLED


def answer(client, config: ModelConfig, system: str | None, item: tuple) -> Call:
    """Call the model for one item, retrying throttled calls; never raises."""
    item_id, prompt, context = item
    message = user_message(prompt, context)
    for attempt in range(1, config.max_attempts + 1):
        call = Call(item_id, attempts=attempt)
        try:
            if config.provider == "openai":
                openai_stream(config, system, message, call)
            else:
                converse_stream(client, config, system, message, call)
            return call
        except Exception as exc:
            if throttled(exc) and attempt < config.max_attempts:
                # Exponential backoff with full jitter (AWS Architecture Blog, 2015).
                time.sleep(random.uniform(0, min(20.0, 0.2 * 2**attempt)))  # noqa: S311 - backoff jitter, not a secret
                continue
            call.error = error_text(exc)
            call.text = None
            return call
    raise AssertionError("unreachable")


def error_text(exc: Exception) -> str:
    """What is stored on a failed item: the error's type and message, and what to do when
    the user can fix it (credentials, permissions, network); the model's own errors as sent."""
    code = getattr(exc, "response", None) or {}
    code = code.get("Error", {}).get("Code") if isinstance(code, dict) else None
    advice = clients.explain(exc) if code is None or code in clients.ADVICE else None
    return f"{type(exc).__name__}: {advice or exc}"[:500]
