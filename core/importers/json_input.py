"""JSON from input files, read strictly: what Python's reader lets through silently is refused.

``json.loads`` keeps the last of two equal keys (so one of two scores vanishes), refuses a
byte-order mark (which Windows tools write), and recurses until ``RecursionError`` on deep
nesting. ``loads`` accepts the mark, refuses duplicate keys and nesting deeper than the limit
(``core.importers.limits``), and turns every failure into an InputError naming the file and line.
"""

from __future__ import annotations

import json
import json.scanner
from pathlib import Path

from core.errors import InputError
from core.importers import limits

BOM = "\ufeff"
SURROGATE_PROBLEM = (
    "a lone UTF-16 surrogate escape (such as \\ud800) in the text, which no UTF-8 text can"
    " hold; the exporting tool wrote broken JSON: export it again"
)


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, object]]) -> dict:
    record: dict = {}
    for key, value in pairs:
        if key in record:
            raise _DuplicateKey(key)
        record[key] = value
    return record


def loads(text: str | bytes, file: str, row: int | None = None, row_word: str = "line") -> object:
    """One JSON text (a JSONL line: ``row`` is its number; a whole file: lines are counted).

    Infinity and NaN are read as Python reads them; callers decide what they mean.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    text = text.removeprefix(BOM)
    depth, limit = limits.json_depth(text), limits.current().json_depth
    if depth > limit:
        if row is None:
            row, depth = limits.deep_line(text.encode("utf-8"), 0, limit, "json")
        raise InputError(file, limits.depth_problem(depth), row=row, row_word=row_word)
    try:
        return json.loads(text, object_pairs_hook=_unique)
    except json.JSONDecodeError as exc:
        where: int | None = row if row is not None else exc.lineno
        raise InputError(
            file, f"not valid JSON ({exc.msg})", row=where, row_word=row_word
        ) from None
    except _DuplicateKey as exc:
        where = row if row is not None else _line_of_duplicate(text)
        raise InputError(
            file,
            f"duplicate key {exc.key!r} in one JSON object; each key may appear once"
            " (a JSON reader would silently keep only one of the values)",
            row=where,
            row_word=row_word,
        ) from None
    except RecursionError:  # only when the depth limit is set above what Python can parse
        raise InputError(file, limits.depth_problem(depth), row=row, row_word=row_word) from None


def _line_of_duplicate(text: str) -> int | None:
    """The line where the first object holding a repeated key starts, found by parsing
    again with positions (slower: the error path only)."""
    decoder = json.JSONDecoder()
    plain_object = decoder.parse_object  # type: ignore[attr-defined]

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        pairs, end = plain_object(s_and_end, strict, scan_once, None, list, memo)
        if len({key for key, _ in pairs}) < len(pairs):
            string, start = s_and_end
            raise _Found(string.count("\n", 0, start) + 1)
        return dict(pairs), end

    # The pure-Python scanner calls decoder.parse_object, so the patch takes effect; typeshed
    # declares neither attribute.
    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    try:
        decoder.decode(text)
    except _Found as found:
        return found.line
    except (ValueError, RecursionError):
        return None
    return None


class _Found(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def encodable(value: object) -> bool:
    """Text (anywhere inside) that UTF-8 can hold: Python's JSON reader lets a lone
    surrogate escape through, and DuckDB then refuses the value deep in an import."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, list | tuple):
        return all(encodable(v) for v in value)
    if isinstance(value, dict):
        return all(encodable(k) and encodable(v) for k, v in value.items())
    return True


def first_record(path: Path) -> object:
    """The first line of a JSONL file parsed leniently, to tell formats apart; None when it
    does not parse (the format's reader then names the problem precisely)."""
    with path.open("rb") as fh:
        first = fh.readline().removeprefix(BOM.encode("utf-8"))
    if limits.json_depth(first) > limits.current().json_depth:
        return None
    try:
        return json.loads(first)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
