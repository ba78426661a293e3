"""The files of a Bedrock batch job: the input JSONL Switchyard writes and the ``.jsonl.out``
records Bedrock writes back.

Input: one line per item, ``{"recordId": "REC00000001", "modelInput": {...}}``. Record ids
are the item's place in the frozen dataset (items sorted by id), eleven letters and digits
as AWS's examples use them, because item ids may hold characters a record id should not.

Output: Bedrock writes ``<output prefix>/<job id>/<input file name>.out``; each record has
``recordId``, ``modelInput`` and either ``modelOutput`` or ``error`` (``errorCode``,
``errorMessage``), in no guaranteed order. Records are matched by ``recordId``; a record
Switchyard did not send, a record sent twice, a line that is not JSON or an answer that
breaks a limit every import keeps (file size, field size, JSON depth) refuses the whole
import, naming the file and line, so nothing half-read is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from core.errors import InputError
from core.importers import json_input, limits, s3
from core.llm import batch_bodies, clients
from core.llm.batch_bodies import Family
from core.llm.converse import Call, user_message

if TYPE_CHECKING:
    from core.llm.runner import ModelConfig

OUTPUT_SUFFIX = ".jsonl.out"


def record_id(index: int) -> str:
    return f"REC{index:08d}"


def input_lines(
    items: Iterable[tuple], kind: Family, config: ModelConfig, system: str | None
) -> tuple[bytes, dict[str, str]]:
    """The job's input file, and record id -> item id. ``items``: (item_id, prompt, context)
    in item order."""
    lines, ids = [], {}
    for index, (item_id, prompt, context) in enumerate(items, start=1):
        rid = record_id(index)
        ids[rid] = item_id
        body = batch_bodies.request(kind, config, system, user_message(prompt, context))
        lines.append(json.dumps({"recordId": rid, "modelInput": body}, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8"), ids


def output_keys(client, uri: str) -> list[str]:
    """Every ``*.jsonl.out`` under ``uri`` (the job's output folder), sorted; one over the
    input file size limit is refused before it is read."""
    bucket, prefix = s3.split(uri)
    found: list[tuple[str, int]] = []
    with clients.mapped(f"listing {uri}"):
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found += [
                (o["Key"], o.get("Size", 0))
                for o in page.get("Contents", [])
                if o["Key"].endswith(OUTPUT_SUFFIX)
            ]
    limit = limits.current().file_bytes
    for key, size in found:
        if size > limit:
            raise InputError(
                f"s3://{bucket}/{key}",
                f"the file is {limits.size(size)}, over the {limits.size(limit)} limit on input"
                f" files; raise {limits.env('max_file_mb')}",
            )
    return sorted(key for key, _ in found)


def read_text(client, bucket: str, key: str) -> str:
    with clients.mapped(f"reading s3://{bucket}/{key}"):
        return client.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")


def refused(name: str, line: int, problem: str) -> InputError:
    return InputError(name, problem, row=line, row_word="line")


def parse(text: str, name: str) -> list[tuple[int, dict]]:
    """(line, record) of every line of a ``.jsonl.out``, read strictly (``json_input``:
    duplicate keys and deep nesting are refused); blank lines are skipped."""
    found = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        record = json_input.loads(raw, name, row=line)
        if not isinstance(record, dict) or not isinstance(record.get("recordId"), str):
            raise refused(name, line, "expected an object with a recordId")
        found.append((line, record))
    return found


def calls(
    files: list[tuple[str, str]], ids: dict[str, str], kind: Family, job_id: str
) -> list[Call]:
    """One Call per record of the ``(name, text)`` files, matched to items by record id: the
    answer, or the record's error. Items without a record are not in the list."""
    seen: dict[str, str] = {}
    found: list[Call] = []
    for name, text in files:
        for line, record in parse(text, name):
            rid = record["recordId"]
            if rid not in ids:
                raise refused(name, line, f"recordId {rid!r} was not sent by the job {job_id}")
            if rid in seen:
                raise refused(name, line, f"recordId {rid!r} appears twice (also {seen[rid]})")
            seen[rid] = f"{name} line {line}"
            try:
                found.append(_call(ids[rid], record, kind))
            except ValueError as exc:
                raise refused(name, line, str(exc)) from None
    return found


def _text_problem(text: str) -> str | None:
    """Why an answer cannot be stored as it is (the rules every import applies), or None."""
    if "\x00" in text:
        return "the answer holds a NUL character, which no text column stores"
    if not json_input.encodable(text):
        return json_input.SURROGATE_PROBLEM
    size = len(text.encode("utf-8"))
    return limits.field_too_large(size) if size > limits.current().field_bytes else None


def _call(item_id: str, record: dict, kind: Family) -> Call:
    """A record as the runner stores a call; TTFT and latency stay None (not measured)."""
    call = Call(item_id)
    if "error" in record and "modelOutput" not in record:
        error = record["error"] if isinstance(record["error"], dict) else {}
        code = error.get("errorCode", "?")
        call.error = f"batch record error {code}: {error.get('errorMessage') or record['error']}"
        return call
    got = batch_bodies.answer(kind, record.get("modelOutput"))
    problem = _text_problem(got.text)
    if problem:
        raise ValueError(problem)
    call.text, call.input_tokens, call.output_tokens, call.stop_reason = got
    return call
