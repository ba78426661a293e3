"""How large an input may be: file size, text field size and JSON nesting depth.

Each limit is a setting (``core.store.settings``) with a default that fits real evaluation files
with room to spare, checked before the file is parsed, and named in its error so that a
team with bigger files knows which variable to raise. A field's size is checked when the
staged rows are validated (core.importers.checks), before anything is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import InputError, SwitchyardError
from core.store import settings

_CHUNK = 16 * 1024 * 1024
# A JSON string literal on one line (JSON strings hold no raw newline).
_STRING = re.compile(rb'"[^"\\\n]*(?:\\.[^"\\\n]*)*"')
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_OPEN = frozenset(b"[{")


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    field_bytes: int
    json_depth: int


def current() -> Limits:
    """The limits in force (read from the environment at each call)."""
    return Limits(
        file_bytes=int(_positive("max_file_mb") * 1024 * 1024),
        field_bytes=int(_positive("max_field_kb") * 1024),
        json_depth=int(_positive("max_json_depth")),
    )


def _positive(name: str) -> float:
    text = settings.get(name)
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not number > 0 or number == float("inf"):
        env = settings.SETTINGS[name].env
        raise SwitchyardError(
            f"{env}={text!r} is not a positive number; unset it for the default"
            f" ({settings.SETTINGS[name].default})"
        )
    return number


def env(name: str) -> str:
    """The variable that sets a limit, for error messages."""
    return settings.SETTINGS[name].env


def size(n: int) -> str:
    """A byte count as people read it: 512 bytes, 3.2 KB, 50.0 MB."""
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def check_file_size(path: str | Path, file: str | None = None) -> None:
    """A file over the size limit is an InputError naming the limit and its setting."""
    limit = current().file_bytes
    found = Path(path).stat().st_size
    if found > limit:
        raise InputError(
            file or str(path),
            f"the file is {size(found)}, over the {size(limit)} limit on input files;"
            f" split it, or raise {env('max_file_mb')}",
        )


def check_parquet(path: str | Path, file: str | None = None) -> None:
    """A Parquet file is measured from its footer before a byte of data is read: a few KB
    on disk can decompress to gigabytes. A column chunk larger than its rows could hold at
    the field limit, or a file larger once decompressed than the file limit, is refused; a
    file without a readable footer (truncated, or not Parquet) too."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    check_file_size(path, file)
    file = file or str(path)
    try:
        meta = pq.ParquetFile(path).metadata
    except (pa.ArrowException, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            file,
            f"not a readable Parquet file ({first}); the file may be truncated: export it again",
        ) from None
    limit, total, first_row = current().field_bytes, 0, 1
    for group in (meta.row_group(g) for g in range(meta.num_row_groups)):
        rows = group.num_rows
        for chunk in (group.column(c) for c in range(group.num_columns)):
            total += chunk.total_uncompressed_size
            text = chunk.physical_type == "BYTE_ARRAY" and "." not in chunk.path_in_schema
            # Each value carries a 4-byte length; pages add headers: allow for both.
            if text and chunk.total_uncompressed_size - 64 * rows - 4096 > limit * rows:
                raise InputError(
                    file,
                    _chunk_problem(chunk.total_uncompressed_size, rows, first_row),
                    row=first_row if rows == 1 else None,
                    column=chunk.path_in_schema,
                )
        first_row += rows
    if total > current().file_bytes:
        raise InputError(
            file,
            f"the file expands to {size(total)} when decompressed, over the"
            f" {size(current().file_bytes)} limit on input files; split it, or raise"
            f" {env('max_file_mb')}",
        )


def _chunk_problem(found: int, rows: int, first_row: int) -> str:
    limit, setting = size(current().field_bytes), env("max_field_kb")
    source = "read from the Parquet metadata, before the data"
    if rows == 1:
        return (
            f"the text is {size(found)} once decompressed, over the {limit} limit per text"
            f" field ({source}); shorten it, or raise {setting}"
        )
    return (
        f"rows {first_row} to {first_row + rows - 1} hold {size(found)} of text once"
        f" decompressed, more than {rows} values at the {limit} limit per text field can"
        f" ({source}); shorten them, or raise {setting}"
    )


def field_too_large(length: int) -> str:
    """The message for a text field over the limit."""
    limit = current().field_bytes
    return (
        f"the text is {size(length)}, over the {size(limit)} limit per text field;"
        f" shorten it, or raise {env('max_field_kb')}"
    )


def depth_problem(depth: int) -> str:
    limit = current().json_depth
    return (
        f"JSON nested {depth} levels deep, deeper than the limit of {limit};"
        f" flatten it, or raise {env('max_json_depth')}"
    )


def _bracket_depths(text: bytes, start: int) -> tuple[int, int]:
    """(deepest level reached, level at the end) of the brackets outside strings in ``text``,
    starting at level ``start``."""
    brackets = _STRING.sub(b"", text).translate(None, _NOT_BRACKET)
    if not brackets:
        return start, start
    steps = np.frombuffer(brackets, dtype=np.uint8)
    moves = np.where(np.isin(steps, list(_OPEN)), 1, -1).astype(np.int32)
    levels = start + np.cumsum(moves)
    return max(start, int(levels.max())), int(levels[-1])


def json_depth(text: str | bytes) -> int:
    """How deep arrays and objects nest in one JSON text (without parsing it)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return _bracket_depths(data, 0)[0]


def check_json_depth(path: str | Path, kind: str, file: str | None = None) -> None:
    """A JSON or JSONL file nested deeper than the limit is an InputError naming the line,
    found by scanning the bytes (strings skipped), so no parser recurses into it."""
    limit = current().json_depth
    path = Path(path)
    level, line_base = 0, 0
    with path.open("rb") as fh:
        rest = b""
        while chunk := fh.read(_CHUNK):
            text = rest + chunk
            cut = text.rfind(b"\n") + 1  # strings never span lines: scan whole lines
            if cut == 0 and len(chunk) == _CHUNK:
                rest = text
                continue
            text, rest = (text[:cut], text[cut:]) if cut else (text, b"")
            deepest, end = _bracket_depths(text, level)
            if deepest > limit:
                line, found = deep_line(text, level, limit, kind)
                raise InputError(
                    file or str(path),
                    depth_problem(found),
                    row=line_base + line,
                    row_word="line",
                )
            level = 0 if kind == "jsonl" else end
            line_base += text.count(b"\n")
        if rest:
            deepest, _ = _bracket_depths(rest, level)
            if deepest > limit:
                line, found = deep_line(rest, level, limit, kind)
                raise InputError(
                    file or str(path), depth_problem(found), row=line_base + line, row_word="line"
                )


def deep_line(text: bytes, level: int, limit: int, kind: str) -> tuple[int, int]:
    """(1-based line in ``text`` where nesting first passes the limit, the depth there)."""
    for number, line in enumerate(text.split(b"\n"), start=1):
        if kind == "jsonl":
            level = 0
        deepest, level = _bracket_depths(line, level)
        if deepest > limit:
            return number, deepest
    return 1, limit + 1
