"""The model's native request and response bodies for Bedrock batch inference.

A batch job's input line is ``{"recordId": ..., "modelInput": BODY}``, where BODY is what
``InvokeModel`` takes for that model; its output line carries the ``InvokeModel`` response
body as ``modelOutput`` (Amazon Bedrock User Guide, "Format and upload your batch inference
data" and "View the results of a batch inference job"). The streaming runner speaks
Converse, which hides these differences; a batch job does not, so each model family is
written out here. Anthropic Claude uses the Messages API body; Amazon Nova its messages body
(the Nova User Guide's "Complete request schema"). Other families are refused by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NamedTuple

from core.catalog import models
from core.errors import InputError

if TYPE_CHECKING:
    from core.llm.runner import ModelConfig

Family = Literal["anthropic", "nova"]
ANTHROPIC_VERSION = "bedrock-2023-05-31"  # the Messages API version Bedrock expects


class Answer(NamedTuple):
    """What one ``modelOutput`` says: the text, the tokens and why the model stopped."""

    text: str
    input_tokens: int | None
    output_tokens: int | None
    stop_reason: str | None


def family(model_id: str) -> Family:
    """Which native body the model takes; an InputError for a family not written here."""
    base = models.resolve_model_id(model_id)
    if base.startswith("anthropic.claude"):
        return "anthropic"
    if base.startswith("amazon.nova"):
        return "nova"
    raise InputError(
        "run --batch",
        f"batch inference is written for Anthropic Claude (anthropic.claude-*) and Amazon "
        f"Nova (amazon.nova-*) request bodies; {model_id!r} takes another body: run it "
        "without --batch (the streaming runner speaks Converse, which every model takes)",
    )


def request(kind: Family, config: ModelConfig, system: str | None, message: str) -> dict:
    """The ``modelInput`` of one record: one user turn, the run's sampling settings."""
    if kind == "anthropic":
        body: dict = {
            "anthropic_version": ANTHROPIC_VERSION,
            "max_tokens": config.max_tokens,
            "temperature": config.temperature,
            "top_p": config.top_p,
            "messages": [{"role": "user", "content": [{"type": "text", "text": message}]}],
        }
        if system:
            body["system"] = system
        return body
    body = {
        "messages": [{"role": "user", "content": [{"text": message}]}],
        "inferenceConfig": {
            "maxTokens": config.max_tokens,
            "temperature": config.temperature,
            "topP": config.top_p,
        },
    }
    if system:
        body["system"] = [{"text": system}]
    return body


def answer(kind: Family, output: object) -> Answer:
    """The text, tokens and stop reason of a ``modelOutput``; ValueError when its shape is not
    the family's response body."""
    if not isinstance(output, dict):
        raise ValueError(f"modelOutput is {type(output).__name__}, not an object")
    if kind == "anthropic":
        blocks = output.get("content")
        usage = output.get("usage") or {}
        tokens = usage.get("input_tokens"), usage.get("output_tokens")
        stop = output.get("stop_reason")
    else:
        message = (output.get("output") or {}).get("message") or {}
        blocks = message.get("content")
        usage = output.get("usage") or {}
        tokens = usage.get("inputTokens"), usage.get("outputTokens")
        stop = output.get("stopReason")
    if not isinstance(blocks, list):
        where = "content" if kind == "anthropic" else "output.message.content"
        raise ValueError(f"modelOutput has no {where} list: not a {kind} response body")
    texts: list[str] = []
    for block in blocks:
        if isinstance(block, dict) and "text" in block:
            if not isinstance(block["text"], str):
                raise ValueError("a text block of modelOutput holds no string")
            texts.append(block["text"])
    if stop is not None and not isinstance(stop, str):
        raise ValueError(f"the stop reason is {stop!r}, not a string")
    return Answer("".join(texts), _count(tokens[0]), _count(tokens[1]), stop)


def _count(value: object) -> int | None:
    """A token count as sent (None when absent); anything but a whole number >= 0 is refused."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ValueError(f"a token count of modelOutput is {value!r}, not a whole number >= 0")
