"""Writes the assembled batch-job output folders next to this file (see README.md).

Run from the repository root:
    PYTHONPATH=. python tests/data/real/bedrock/batch/make_batch_outputs.py
The inputs are the items of tests/data/golden.csv, written as `run --batch` writes them
(max_tokens 512, temperature 0, top_p 0.9, no system prompt); the answers, token counts and
error messages are invented, in the response bodies the AWS documentation gives.
"""

import csv
import json
from pathlib import Path

from core.llm import batch_records
from core.llm.runner import ModelConfig

HERE = Path(__file__).parent
GOLDEN = HERE.parents[2] / "golden.csv"
ANSWERS = {f"q{n}": f"The batch answer to q{n}." for n in range(1, 7)}


def claude(text: str, tokens_in: int, tokens_out: int, n: int) -> dict:
    return {
        "id": f"msg_bdrk_01{n:022d}",
        "type": "message",
        "role": "assistant",
        "model": "claude-3-5-sonnet-20241022",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
    }


def nova(text: str, tokens_in: int, tokens_out: int, n: int) -> dict:
    return {
        "output": {"message": {"content": [{"text": text}], "role": "assistant"}},
        "stopReason": "end_turn",
        "usage": {
            "inputTokens": tokens_in,
            "outputTokens": tokens_out,
            "totalTokens": tokens_in + tokens_out,
        },
    }


def write(folder: str, model: str, make, errors: dict, left_out: set, order: list[int]) -> None:
    with GOLDEN.open(newline="", encoding="utf-8") as fh:
        items = [(r["id"], r["source_prompt"], r["input_context"]) for r in csv.DictReader(fh)]
    items.sort()
    family = "anthropic" if model.startswith("anthropic") else "nova"
    body, ids = batch_records.input_lines(items, family, ModelConfig(model), None)
    inputs = [json.loads(line) for line in body.decode().splitlines()]
    lines, counts = [], {"in": 0, "out": 0}
    for n in order:
        record = inputs[n - 1]
        rid = record["recordId"]
        if rid in left_out:
            continue
        if rid in errors:
            record = {**record, "error": {"errorCode": 400, "errorMessage": errors[rid]}}
        else:
            tokens_in = 40 + 3 * n
            tokens_out = len(ANSWERS[ids[rid]]) // 4 + 1
            counts["in"] += tokens_in
            counts["out"] += tokens_out
            record = {**record, "modelOutput": make(ANSWERS[ids[rid]], tokens_in, tokens_out, n)}
        lines.append(json.dumps(record, ensure_ascii=False))
    out = HERE / folder
    out.mkdir(parents=True, exist_ok=True)
    (out / "input.jsonl.out").write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = len(lines)
    manifest = {
        "totalRecordCount": len(inputs),
        "processedRecordCount": done,
        "successRecordCount": done - len(errors),
        "errorRecordCount": len(errors),
        "inputTokenCount": counts["in"],
        "outputTokenCount": counts["out"],
    }
    (out / "manifest.json.out").write_text(json.dumps(manifest) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write(
        "claude/k3v8q2m0x7ab",
        "anthropic.claude-3-5-sonnet-20241022-v2:0",
        claude,
        {"REC00000004": "messages.0.content.0.text: text content blocks must be non-empty"},
        set(),
        [3, 1, 6, 4, 2, 5],
    )
    write(
        "nova/p5t1n9c4r2de",
        "amazon.nova-pro-v1:0",
        nova,
        {"REC00000002": "Malformed input request, please reformat your input and try again."},
        {"REC00000006"},
        [5, 2, 1, 6, 4, 3],
    )
