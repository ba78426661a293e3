"""A fake Amazon Bedrock runtime on 127.0.0.1, for a real boto3 client to talk to.

``ConverseStream`` and ``OptimizePrompt`` answer ``application/vnd.amazon.eventstream``:
each event is one binary message (prelude with total and header lengths and their CRC32,
string headers, JSON payload, CRC32 of the whole message) sent as its own HTTP chunk, with
real delays, so the time to first token a client measures is real. ``Converse`` answers
JSON (the judges use it). Behaviour is set per server: the delays, the text, how many
requests to throttle (HTTP 429 ``ThrottlingException``) and which prompts fail mid-stream
with ``modelStreamErrorException``. Every request is recorded.
"""

from __future__ import annotations

import binascii
import json
import re
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return (
        struct.pack("B", len(raw_name))
        + raw_name
        + b"\x07"  # 7: string
        + struct.pack(">H", len(raw_value))
        + raw_value
    )


def event_message(headers: dict[str, str], payload: dict) -> bytes:
    """One eventstream message, as botocore's EventStreamBuffer decodes it."""
    head = b"".join(_header(k, v) for k, v in headers.items())
    body = json.dumps(payload).encode()
    total = 12 + len(head) + len(body) + 4
    prelude = struct.pack(">II", total, len(head))
    prelude += struct.pack(">I", binascii.crc32(prelude))
    message = prelude + head + body
    return message + struct.pack(">I", binascii.crc32(message))


def event(kind: str, payload: dict) -> bytes:
    return event_message(
        {":event-type": kind, ":content-type": "application/json", ":message-type": "event"},
        payload,
    )


def exception(kind: str, message: str) -> bytes:
    return event_message(
        {
            ":exception-type": kind,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        {"message": message},
    )


def hash_text(text: str) -> int:
    import hashlib

    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def embedding(text: str) -> list[float]:
    """A deterministic 16-dimensional vector per text: equal texts, equal vectors."""
    return [((hash_text(text) >> (i * 4)) & 15) / 15 + 0.01 for i in range(16)]


def judge_reply(request: dict) -> str:
    """What a judge model answers the prompts Ragas and DeepEval send: the JSON each asks for,
    recognised by the keys of its instructions and examples. Every claim is supported and
    every statement relevant, except that an answer containing 'WRONG' is contradicted."""
    prompt = request["messages"][-1]["content"][0]["text"]
    tail = prompt[prompt.rfind("Now perform the same") :] if "Now perform" in prompt else prompt
    wrong = "WRONG" in tail
    if '"noncommittal"' in prompt:  # Ragas answer relevancy: the question the answer fits
        question = re.search(r'"response": "(.*?)"', tail)
        return json.dumps({"question": question.group(1) if question else "", "noncommittal": 0})
    if '"verdict"' in prompt and '"statements"' in prompt:  # Ragas NLI
        verdict = 0 if wrong else 1
        return json.dumps(
            {
                "statements": [
                    {"statement": "The answer's claim.", "reason": "checked", "verdict": verdict}
                ]
            }
        )
    # Claims extracted from a wrong answer carry the mark, so the next step sees it.
    claim = "WRONG: the answer's claim." if wrong else "The answer's claim."
    if '"claims"' in prompt and "Example" in prompt and '"verdict"' not in prompt:
        return json.dumps({"claims": [claim]})  # Ragas claim decomposition
    if '"statements"' in prompt and "Example" in prompt:
        return json.dumps({"statements": [claim]})  # Ragas statements
    # DeepEval
    if '"truths"' in prompt:
        return json.dumps({"truths": ["The context's fact."]})
    if '"claims"' in prompt:
        return json.dumps(
            {
                "claims": [
                    "WRONG: the answer's claim." if "WRONG" in prompt else "The answer's claim."
                ]
            }
        )
    if '"statements"' in prompt:
        return json.dumps({"statements": ["The answer's claim."]})
    if '"verdicts"' in prompt:
        verdict = "no" if "WRONG" in prompt else "yes"
        return json.dumps({"verdicts": [{"verdict": verdict, "reason": "checked"}]})
    if '"steps"' in prompt:
        return json.dumps({"steps": ["Compare the facts with the expected output."]})
    if '"score"' in prompt:
        return json.dumps({"score": 2 if "WRONG" in prompt else 9, "reason": "graded"})
    if '"reason"' in prompt:
        return json.dumps({"reason": "The score follows from the verdicts."})
    return "{}"


def default_text(request: dict) -> str:
    prompt = request["messages"][-1]["content"][0]["text"]
    return f"Answer to: {prompt[-60:]}"


class QuietServer(ThreadingHTTPServer):
    """Clients hang up mid-stream on purpose (a failed call stops reading). socketserver
    would print a traceback, and Python 3.11.7 builds its carets with ast.parse, which
    races with Streamlit's ast.parse in AppTest (SystemError: AST constructor recursion
    depth mismatch). Keep the errors instead."""

    errors: list = []  # noqa: RUF012 - one list per server, set in __init__

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.errors = []

    def handle_error(self, request, client_address) -> None:
        import sys

        self.errors.append(sys.exc_info()[1])


@dataclass
class Behaviour:
    ttft_s: float = 0.05  # from the request to the first content delta
    total_s: float = 0.2  # from the request to the end of the stream
    deltas: int = 4
    text: Callable[[dict], str] = default_text
    throttle_first: int = 0  # answer the first N ConverseStream requests with HTTP 429
    fail_when: str | None = None  # prompts containing this fail mid-stream
    judge: Callable[[dict], str] | None = None  # Converse: the judge's reply to a request
    optimized: str = "You are a precise financial analyst. Answer only from the context."


@dataclass
class Recorded:
    path: str
    body: dict
    at: float


@dataclass
class FakeBedrock:
    behaviour: Behaviour = field(default_factory=Behaviour)
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._throttled = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else small chunks wait ~40 ms for an ACK

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                path = unquote(self.path)
                with fake._lock:
                    fake.requests.append(Recorded(path, body, time.perf_counter()))
                if path.endswith("/invoke"):
                    fake._invoke(self, body, path)
                elif path.endswith("/converse-stream"):
                    fake._converse_stream(self, body)
                elif path.endswith("/converse"):
                    fake._converse(self, body)
                elif path == "/optimize-prompt":
                    fake._optimize(self, body)
                elif path.endswith("/chat/completions") and not body.get("stream"):
                    fake._chat_json(self, body)
                elif path.endswith("/chat/completions"):
                    fake._chat_completions(self, body)
                elif path.endswith("/embeddings"):
                    fake._json(self, {"data": [{"embedding": embedding(body["input"])}]})
                else:
                    self.send_error(404)

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- handlers ---

    def _start_stream(self, handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/vnd.amazon.eventstream")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.send_header("x-amzn-RequestId", "fake-request")
        handler.end_headers()

    @staticmethod
    def _chunk(handler, data: bytes) -> None:
        handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        handler.wfile.flush()

    @staticmethod
    def _end(handler) -> None:
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()

    def _converse_stream(self, handler, body: dict) -> None:
        started = time.perf_counter()
        b = self.behaviour
        with self._lock:
            throttle = self._throttled < b.throttle_first
            self._throttled += throttle
        if throttle:
            payload = json.dumps({"message": "Too many requests, please wait."}).encode()
            handler.send_response(429)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("x-amzn-ErrorType", "ThrottlingException")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        text = b.text(body)
        prompt = body["messages"][-1]["content"][0]["text"]
        self._start_stream(handler)
        self._chunk(handler, event("messageStart", {"role": "assistant"}))
        n = b.deltas
        pieces = [text[len(text) * i // n : len(text) * (i + 1) // n] for i in range(n)]
        gap = max(0.0, b.total_s - b.ttft_s) / max(1, b.deltas)
        for index, piece in enumerate(pieces):
            due = started + b.ttft_s + index * gap
            time.sleep(max(0.0, due - time.perf_counter()))
            if b.fail_when and b.fail_when in prompt and index == 1:
                self._chunk(
                    handler,
                    exception("modelStreamErrorException", "The model stopped unexpectedly."),
                )
                self._end(handler)
                return
            self._chunk(
                handler,
                event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}}),
            )
        time.sleep(max(0.0, started + b.total_s - time.perf_counter()))
        self._chunk(handler, event("contentBlockStop", {"contentBlockIndex": 0}))
        self._chunk(handler, event("messageStop", {"stopReason": "end_turn"}))
        tokens_in = max(1, len(prompt) // 4)
        tokens_out = max(1, len(text) // 4)
        self._chunk(
            handler,
            event(
                "metadata",
                {
                    "usage": {
                        "inputTokens": tokens_in,
                        "outputTokens": tokens_out,
                        "totalTokens": tokens_in + tokens_out,
                    },
                    "metrics": {"latencyMs": round(b.total_s * 1000)},
                },
            ),
        )
        self._end(handler)

    def _converse(self, handler, body: dict) -> None:
        text = (self.behaviour.judge or default_text)(body)
        payload = json.dumps(
            {
                "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 10, "outputTokens": 10, "totalTokens": 20},
                "metrics": {"latencyMs": 5},
            }
        ).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    @staticmethod
    def _json(handler, data: dict) -> None:
        payload = json.dumps(data).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _invoke(self, handler, body: dict, path: str) -> None:
        """InvokeModel for a Titan text embedding."""
        text = body.get("inputText", "")
        self._json(handler, {"embedding": embedding(text), "inputTextTokenCount": len(text) // 4})

    def _chat_json(self, handler, body: dict) -> None:
        """An OpenAI-compatible chat completion, not streamed (what judges ask for)."""
        prompt = body["messages"][-1]["content"]
        reply = (self.behaviour.judge or default_text)(
            {"messages": [{"content": [{"text": prompt}]}]}
        )
        self._json(
            handler,
            {
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": reply},
                    }
                ]
            },
        )

    def _chat_completions(self, handler, body: dict) -> None:
        """An OpenAI-compatible streamed chat completion (server-sent events)."""
        started = time.perf_counter()
        b = self.behaviour
        prompt = body["messages"][-1]["content"]
        text = b.text({"messages": [{"content": [{"text": prompt}]}]})
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        n = b.deltas
        for index in range(n):
            time.sleep(
                max(
                    0.0,
                    started + b.ttft_s + index * (b.total_s - b.ttft_s) / n - time.perf_counter(),
                )
            )
            piece = text[len(text) * index // n : len(text) * (index + 1) // n]
            chunk = {"choices": [{"index": 0, "delta": {"content": piece}}]}
            self._chunk(handler, f"data: {json.dumps(chunk)}\n\n".encode())
        done = {
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": len(text) // 4},
        }
        self._chunk(handler, f"data: {json.dumps(done)}\n\n".encode())
        self._chunk(handler, b"data: [DONE]\n\n")
        self._end(handler)

    def _optimize(self, handler, body: dict) -> None:
        self._start_stream(handler)
        self._chunk(
            handler, event("analyzePromptEvent", {"message": "The prompt lacks an output format."})
        )
        time.sleep(0.02)
        self._chunk(
            handler,
            event(
                "optimizedPromptEvent",
                {"optimizedPrompt": {"textPrompt": {"text": self.behaviour.optimized}}},
            ),
        )
        self._end(handler)
