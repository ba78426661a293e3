"""Writes the canary part of the bad-input corpus beside it (run by hand: ``python
tests/data/bad/make_bad_canary.py``), following make_bad.py's convention: each file is one
way canary traffic goes wrong, made from the real-shaped logs in tests/data/real/canary so
that only the fault differs. ``canary_manifest.csv`` lists the files ``canary ingest`` must
refuse: the CLI command (``{file}`` and ``{migration}`` filled in by the test, a migration
created 2026-11-01 whose source runs the Claude model and target the Nova model), a setting
in force, and the fragments of the message, separated by `` | ``. ``canary_accepted.csv``
lists files that must ingest. The files are committed; tests never regenerate them.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

HERE = Path(__file__).parent
REAL = HERE.parent / "real" / "canary"
CONTROL = "anthropic.claude-3-5-sonnet-20241022-v2:0"
CANARY = "amazon.nova-pro-v1:0"
INGEST = "canary ingest {file} --migration {migration}"
BEDROCK = INGEST + " --format bedrock"

HEAD = "request_id,ts,model_id,latency_ms,input_tokens,output_tokens"
ROW1 = f"r1,2026-11-02T10:00:00Z,{CONTROL},120,10,20"
ROW2 = f"r2,2026-11-02T10:00:01Z,{CANARY},130,11,21"
NATIVE = f"{HEAD}\n{ROW1}\n{ROW2}\n"
OTLP = (REAL / "otel_genai_spans.jsonl").read_text(encoding="utf-8")
GZ = next((REAL / "bedrock").rglob("*.json.gz"))
BEDROCK_LINES = gzip.decompress(GZ.read_bytes()).decode("utf-8").splitlines(keepends=True)


def jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def native_json(**changes) -> str:
    rows = [
        {"request_id": "r1", "ts": "2026-11-02T10:00:00Z", "model_id": CONTROL, "latency_ms": 120},
        {"request_id": "r2", "ts": "2026-11-02T10:00:01Z", "model_id": CANARY, "latency_ms": 130},
    ]
    rows[1].update(changes)
    return jsonl(rows)


def gz(lines: list[str]) -> bytes:
    return gzip.compress("".join(lines).encode("utf-8"), mtime=0)


def bedrock(number: int, old: str, new: str) -> bytes:
    """The real Bedrock log with ``old`` replaced once on line ``number`` (1-based)."""
    lines = list(BEDROCK_LINES)
    assert old in lines[number - 1], (number, old)
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    return gz(lines)


def otlp(number: int, old: str, new: str) -> str:
    lines = OTLP.splitlines(keepends=True)
    assert old in lines[number - 1], (number, old)
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    return "".join(lines)


# (file, command, setting, content, fragments of the message)
REFUSED: list[tuple[str, str, str, str | bytes, list[str]]] = [
    # --- the native table ---
    ("canary_unknown_model.csv", INGEST, "", NATIVE.replace(CANARY, "meta.llama3-70b-instruct-v1:0"),
     ["row 2", "column 'model_id'", "unknown model id", f"canary: {CANARY}", f"control: {CONTROL}"]),
    ("canary_before_window.csv", INGEST, "", NATIVE.replace("2026-11-02T10:00:01Z", "2026-10-30T10:00:01Z"),
     ["row 2", "column 'ts'", "before the canary's window", "2026-11-01 00:00:00"]),
    ("canary_future.csv", INGEST, "", NATIVE.replace("2026-11-02T10:00:01Z", "2099-11-02T10:00:01Z"),
     ["row 2", "column 'ts'", "in the future", "minutes ahead of this machine's clock"]),
    ("canary_duplicate_ids.csv", INGEST, "", NATIVE.replace("r2,", "r1,"),
     ["row 2", "column 'request_id'", "duplicate request id 'r1' (first on row 1)"]),
    ("canary_nul.csv", INGEST, "", NATIVE.replace("r2,", "r\x002,"),
     ["row 2", "column 'request_id'", "NUL character"]),
    ("canary_nan_latency.jsonl", INGEST, "", native_json(latency_ms=float("nan")),
     ["line 2", "column 'latency_ms'", "NaN"]),
    ("canary_negative_tokens.jsonl", INGEST, "", native_json(input_tokens=-5),
     ["line 2", "column 'input_tokens'", "at least 0"]),
    ("canary_duplicate_key.jsonl", INGEST, "",
     native_json().replace('"latency_ms": 130', '"latency_ms": 130, "latency_ms": 5'),
     ["line 2", "duplicate key 'latency_ms'"]),
    ("canary_bad_time.csv", INGEST, "", NATIVE.replace("2026-11-02T10:00:01Z", "02/11/2026 10:00"),
     ["row 2", "column 'ts'", "expected a timestamp"]),
    # --- OpenTelemetry GenAI spans ---
    ("canary_otlp_future.jsonl", INGEST, "",
     otlp(2, '"startTimeUnixNano":"1793613603000000000","endTimeUnixNano":"1793613603900000000"',
          '"startTimeUnixNano":"4102444800000000000","endTimeUnixNano":"4102444800900000000"'),
     ["line 2", "column 'ts'", "in the future"]),
    ("canary_otlp_unknown_model.jsonl", INGEST, "",
     otlp(2, f'"stringValue":"{CANARY}"', '"stringValue":"gpt-4"').replace(
         f'"gen_ai.response.model","value":{{"stringValue":"{CANARY}"}}',
         '"gen_ai.response.model","value":{"stringValue":"gpt-4-0613"}'),
     ["line 2", "unknown model id", "gpt-4"]),
    ("canary_otlp_nan_ttft.jsonl", INGEST, "",
     otlp(2, '"doubleValue":0.42', '"doubleValue":"NaN"'),
     ["line 2", "gen_ai.response.time_to_first_chunk", "finite"]),
    ("canary_otlp_ends_before_start.jsonl", INGEST, "",
     otlp(2, '"endTimeUnixNano":"1793613603900000000"', '"endTimeUnixNano":"1793613602900000000"'),
     ["line 2", "ends before it starts"]),
    ("canary_otlp_broken.jsonl", INGEST, "", otlp(3, '"spans":[', '"spans":[['),
     ["line 3", "not valid JSON"]),
    ("canary_otlp_orphan_score.jsonl", INGEST, "",
     otlp(4, '"spanId":"b7ad6b7169203331"', '"spanId":"ffffffffffffffff"'),
     ["line 4", "evaluation result", "neither in this file nor ingested before"]),
    ("canary_otlp_not_otlp.jsonl", INGEST + " --format otlp", "", native_json(),
     ["line 1", "resourceSpans or resourceLogs"]),
    # --- Amazon Bedrock invocation logs ---
    ("canary_bedrock_cut.json.gz", BEDROCK, "", gz(BEDROCK_LINES)[:-40],
     ["gzip stream is cut short", "line"]),
    ("canary_bedrock_unknown_model.json.gz", BEDROCK, "",
     bedrock(1, f'"modelId": "{CONTROL}"', '"modelId": "meta.llama3-70b-instruct-v1:0"'),
     ["line 1", "unknown model id", "meta.llama3-70b-instruct-v1:0"]),
    ("canary_bedrock_infinity.json.gz", BEDROCK, "",
     bedrock(2, '"inputTokenCount": 15', '"inputTokenCount": Infinity'),
     ["line 2", "input.inputTokenCount", "finite"]),
    ("canary_bedrock_not_a_log.json.gz", BEDROCK, "",
     bedrock(3, '"schemaType": "ModelInvocationLog"', '"schemaType": "CloudTrailEvent"'),
     ["line 3", "expected a Bedrock invocation log record"]),
    ("canary_bedrock_no_request_id.json.gz", BEDROCK, "",
     bedrock(2, '"requestId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", ', ""),
     ["line 2", "column 'request_id'", "a value is required"]),
    ("canary_bedrock_future.json.gz", BEDROCK, "",
     bedrock(3, '"timestamp": "2026-11-02T10:06:01Z"', '"timestamp": "2099-01-01T00:00:00Z"'),
     ["line 3", "column 'ts'", "in the future"]),
    ("canary_bedrock_bomb.json.gz", BEDROCK, "SWITCHYARD_MAX_FILE_MB=0.001", bedrock(1, "{", "{"),
     ["more than the", "limit per file", "SWITCHYARD_MAX_FILE_MB"]),
]

# (file, command, content): must ingest.
ACCEPTED: list[tuple[str, str, str | bytes]] = [
    ("canary_bom.csv", INGEST, "\ufeff" + NATIVE),
    ("canary_bom.jsonl", INGEST, "\ufeff" + native_json()),
    ("canary_crlf.csv", INGEST, NATIVE.replace("\n", "\r\n")),
]


def write(name: str, content: str | bytes) -> None:
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    (HERE / name).write_bytes(data)


def main() -> None:
    for old in HERE.glob("canary_*"):
        old.unlink()
    with (HERE / "canary_manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["file", "kind", "command", "setting", "expect"])
        for name, command, setting, content, expect in REFUSED:
            write(name, content)
            out.writerow([name, "canary", command, setting, " | ".join(expect)])
    with (HERE / "canary_accepted.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["file", "kind", "command"])
        for name, command, content in ACCEPTED:
            write(name, content)
            out.writerow([name, "canary", command])


if __name__ == "__main__":
    main()
