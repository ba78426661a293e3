"""Checks on a file's bytes, and what to say when DuckDB's reader refuses a file.

Staging reads with DuckDB's own readers; only when one fails does the code here scan the file
in Python, to name the line, field or byte that is wrong and what to do about it.
"""

from __future__ import annotations

import codecs
import csv
import json
import sys
from pathlib import Path

import duckdb

from core.errors import InputError
from core.importers import json_input, limits

_CHUNK = 16 * 1024 * 1024
BOM = b"\xef\xbb\xbf"
# DuckDB's readers refuse a CSV line over 2 MB and a JSON record over 16 MB by default; these
# allow a row of this many text fields at the field limit, so that the limit speaks instead.
FIELDS_PER_ROW = 16


def explain_read_error(path: Path, kind: str, exc: duckdb.Error) -> None:
    """Raise the InputError that says why DuckDB could not read ``path`` as ``kind``."""
    file = str(path)
    if kind in ("csv", "jsonl"):
        check_text_file(path, kind)  # raises for bad bytes or a truncated last line
    if kind == "csv" and "max_line_size" in str(exc):
        _explain_long_csv_row(path, row_bytes(path))
    if kind == "jsonl" and "maximum_object_size" in str(exc):
        _explain_long_json_line(path, row_bytes(path))
    if kind == "jsonl":
        line, problem = _first_bad_json_line(path)
        if line:
            raise InputError(file, problem, row=line, row_word="line") from None
    first_line = str(exc).strip().splitlines()[0]
    raise InputError(file, f"cannot be read as {kind.upper()}: {first_line}") from None


def check_text_file(path: str | Path, kind: str) -> None:
    """Empty file, bytes that are not UTF-8, a truncated last JSON line: each is an InputError."""
    path = Path(path)
    if not path.exists():
        raise InputError(str(path), "no such file")
    if path.stat().st_size == 0:
        raise InputError(str(path), "the file is empty; expected a header or records")
    limits.check_file_size(path)
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines_before = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            try:
                decoder.decode(chunk, final=len(chunk) < _CHUNK)
            except UnicodeDecodeError as exc:
                line = lines_before + chunk.count(b"\n", 0, exc.start) + 1
                raise InputError(
                    str(path),
                    f"byte 0x{chunk[exc.start]:02x} is not valid UTF-8; save the file as UTF-8",
                    row=line,
                    row_word="line",
                ) from None
            lines_before += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InputError(
                str(path),
                "the file ends inside a UTF-8 character; save it as UTF-8",
                row=lines_before + 1,
                row_word="line",
            ) from None
    if kind == "jsonl":
        _check_last_json_line(path)


def _check_last_json_line(path: Path) -> None:
    """A JSONL file cut off mid-write ends in a line that does not parse."""
    last = _last_line(path).removeprefix(BOM).strip()
    if not last:
        return
    total_lines = _count_lines(path)
    depth = limits.json_depth(last)
    if depth > limits.current().json_depth:
        raise InputError(str(path), limits.depth_problem(depth), row=total_lines, row_word="line")
    try:
        # As text: given bytes, json guesses UTF-16 or -32 from NUL bytes and fails otherwise.
        json.loads(last.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        # Cut off mid-write, a line ends inside a string or before its closing brace;
        # an error earlier in the line is a bad line, not a truncated file.
        cut_off = exc.pos >= len(last.rstrip()) or exc.msg.startswith("Unterminated")
        problem = (
            f"the last line is not complete JSON ({exc.msg}); the file looks truncated:"
            " export it again"
            if cut_off
            else f"not valid JSON ({exc.msg} at character {exc.pos + 1})"
        )
        raise InputError(str(path), problem, row=total_lines, row_word="line") from None


def _last_line(path: Path) -> bytes:
    """The file's last non-empty line, however long (read back from the end in chunks)."""
    with path.open("rb") as fh:
        end = fh.seek(0, 2)
        tail = b""
        while end > 0:
            start = max(0, end - _CHUNK)
            fh.seek(start)
            tail = fh.read(end - start) + tail
            end = start
            body = tail.rstrip(b"\r\n")
            if b"\n" in body:
                return body.rsplit(b"\n", 1)[1]
        return tail.rstrip(b"\r\n")


def _count_lines(path: Path) -> int:
    count, last = 0, b"\n"
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _first_bad_json_line(path: Path) -> tuple[int, str]:
    with path.open(encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                return number, f"not valid JSON ({exc.msg} at character {exc.pos + 1})"
            except RecursionError:
                return number, limits.depth_problem(limits.json_depth(line))
            if not isinstance(value, dict):
                return number, f"expected a JSON object, got {type(value).__name__}"
            if not json_input.encodable(value):
                return number, json_input.SURROGATE_PROBLEM
    return 0, "not valid JSON"


def row_bytes(path: Path) -> int:
    """The longest CSV line or JSON record DuckDB is asked to read."""
    longest = max(2 * 1024 * 1024, FIELDS_PER_ROW * limits.current().field_bytes)
    return min(longest, path.stat().st_size + 1)


def _explain_long_csv_row(path: Path, longest: int) -> None:
    """DuckDB refused a line as too long: name the field over the limit, else the row."""
    field_limit = limits.current().field_bytes
    before = csv.field_size_limit(sys.maxsize)  # Python's reader stops at 128 KB by default
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, [])
            for number, row in enumerate(reader, start=1):
                sizes = [len(cell.encode("utf-8")) for cell in row]
                for column, cell_size in zip(header, sizes, strict=False):
                    if cell_size > field_limit:
                        raise InputError(
                            str(path), limits.field_too_large(cell_size), row=number, column=column
                        )
                if sum(sizes) > longest:
                    raise InputError(
                        str(path),
                        f"the row is {limits.size(sum(sizes))}, over the {limits.size(longest)}"
                        f" a row may hold ({FIELDS_PER_ROW} text fields at the"
                        f" {limits.env('max_field_kb')} limit)",
                        row=number,
                    )
    finally:
        csv.field_size_limit(before)


def _explain_long_json_line(path: Path, longest: int) -> None:
    """DuckDB refused a JSONL record as too long: name the field over the limit, else the line."""
    field_limit = limits.current().field_bytes
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if len(line) <= longest:
                continue
            record = json_input.loads(line, str(path), row=number)
            if isinstance(record, dict):
                for key, value in record.items():
                    length = len(value.encode("utf-8")) if isinstance(value, str) else 0
                    if length > field_limit:
                        raise InputError(
                            str(path),
                            limits.field_too_large(length),
                            row=number,
                            column=key,
                            row_word="line",
                        )
            raise InputError(
                str(path),
                f"the record is {limits.size(len(line))}, over the {limits.size(longest)}"
                f" a record may hold ({FIELDS_PER_ROW} text fields at the"
                f" {limits.env('max_field_kb')} limit)",
                row=number,
                row_word="line",
            )


def explain_ragged_csv(path: Path) -> None:
    """DuckDB reads a CSV whose rows disagree with the header as one column: say which row."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        for number, row in enumerate(reader, start=1):
            if len(row) != len(header):
                raise InputError(
                    str(path),
                    f"expected {len(header)} fields like the header, "
                    f"found {len(row)}; quote values that contain commas",
                    row=number,
                )
    raise InputError(str(path), "the delimiter could not be detected; use commas")
