"""Validating staged rows with SQL: the checks a field's declaration implies, one scan for all.

``first_error`` scans the staged table once for every check and raises an InputError for the
earliest offending row, naming the file, row, column, what was expected and the value found.
The field declarations and value expressions live in core.importers.values; importers read
them from here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from core.errors import InputError
from core.importers import limits
from core.importers.staging import Staged
from core.importers.values import (
    BIGINT_LIMIT,
    FALSE,
    TRUE,
    Column,
    Field,
    double,
    is_json,
    is_numeric_type,
    json_args,
    json_type,
    native,
    nested,
    number,
    present,
    raw,
    value,
    widened,
)
from core.store import db
from core.store.sql import quote

__all__ = [
    "Checks",
    "Column",
    "Field",
    "add_field_checks",
    "bind",
    "check_unique",
    "first_error",
    "number",
    "raw",
    "value",
]

_TEXTS = ("text", "texts", "tags", "config", "json")
# The JSON types a JSON-typed column may hold for each kind (None: any).
_JSON_TYPES = {
    "text": "('VARCHAR', 'NULL')",
    "number": "('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR', 'NULL')",
    "integer": "('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR', 'NULL')",
    "bool": "('BOOLEAN', 'BIGINT', 'UBIGINT', 'VARCHAR', 'NULL')",
    "texts": "('VARCHAR', 'ARRAY', 'NULL')",
    "tags": "('VARCHAR', 'ARRAY', 'NULL')",
    "json": None,
    "config": None,
}


@dataclass
class Checks:
    """Conditions (SQL, true on a bad row) with the message each one gives."""

    items: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # cond, problem, col, shown

    def add(self, condition: str, problem: str, column: str, shown: str) -> None:
        self.items.append((condition, problem, column, shown))


def bind(con: duckdb.DuckDBPyConnection, staged: Staged, fields: list[Field]) -> dict[str, Column]:
    """Match fields to the staged columns by name or alias (case-insensitive).

    A missing required field is an InputError listing the columns found.
    """
    by_lower = {c.strip().lower(): c for c in staged.columns}
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {staged.table}").fetchall()}
    bound: dict[str, Column] = {}
    for f in fields:
        for candidate in (f.name, *f.aliases):
            source = by_lower.get(candidate.lower())
            if source is not None:
                bound[f.name] = Column(f, source, staged, types.get(source, "VARCHAR"))
                break
        else:
            if f.required:
                also = f" (also accepted: {', '.join(f.aliases)})" if f.aliases else ""
                found = ", ".join(staged.columns[:30])
                raise InputError(
                    staged.file,
                    f"missing required column {f.name!r}{also}; the file has: {found}",
                    column=f.name,
                )
    return bound


def add_field_checks(checks: Checks, col: Column) -> None:
    """The checks that follow from a field's declaration."""
    f = col.field
    shown = raw(col)
    if f.kind in _TEXTS:
        limit = limits.current().field_bytes
        checks.add(
            f"strlen({shown}) > {limit}",
            f"a text longer than the {limits.size(limit)} limit per text field (shorten it,"
            f" or raise {limits.env('max_field_kb')})",
            col.source,
            f"strlen({shown}) || ' bytes'",
        )
    if f.kind in _TEXTS and f.kind != "json":
        checks.add(
            f"contains({shown}, chr(0))",
            "a NUL character (\\x00) in the text, which usually means a binary or UTF-16"
            " file; save the file as UTF-8 text",
            col.source,
            shown,
        )
    if f.required or f.nonempty:
        checks.add(
            f"NOT ({present(col)})",
            "a value is required here, the cell is empty",
            col.source,
            shown,
        )
    if is_json(col):
        _add_json_type_check(checks, col)
    elif f.kind in ("text", "number", "integer", "bool") and nested(col):
        checks.add(
            f"{quote(col.source)} IS NOT NULL",
            f"expected {'text' if f.kind == 'text' else 'a ' + f.kind}, "
            f"got a nested value ({col.source_type})",
            col.source,
            shown,
        )
        return
    if f.kind in ("number", "integer"):
        _add_number_checks(checks, col)
    elif f.kind == "bool":
        checks.add(
            f"{present(col)} AND {value(col)} IS NULL",
            f"expected true/false (also {', '.join(TRUE[2:])} / {', '.join(FALSE[2:])})",
            col.source,
            shown,
        )
    elif f.kind == "json" and is_json(col):
        checks.add(
            f"{json_type(col)} = 'VARCHAR' AND NOT json_valid({raw(col)})",
            "expected JSON (a list or object, or text holding one)",
            col.source,
            shown,
        )
    elif f.kind == "json" and not nested(col):
        checks.add(
            f"{present(col)} AND NOT json_valid(trim({raw(col)}))",
            "expected JSON text",
            col.source,
            shown,
        )


def _add_json_type_check(checks: Checks, col: Column) -> None:
    """A JSON-typed column's values are of the JSON types its kind accepts."""
    allowed = _JSON_TYPES[col.field.kind]
    if not allowed:
        return
    jt = json_type(col)
    expected = {
        "text": "text",
        "texts": "text or a list of texts",
        "tags": "text or a list of texts",
    }.get(col.field.kind, f"a {col.field.kind}")
    checks.add(
        f"{jt} IS NOT NULL AND {jt} NOT IN {allowed}",
        f"expected {expected}, not a JSON object, number or flag",
        col.source,
        f"CAST(json_extract({json_args(col)}) AS VARCHAR)",
    )


def _add_number_checks(checks: Checks, col: Column) -> None:
    """A number: parses, is finite (NaN refused when declared so), whole for an integer, and
    within the declared bounds (widened by the field's tolerance)."""
    f, shown, num = col.field, raw(col), number(col)

    def add(condition: str, problem: str) -> None:
        checks.add(condition, problem, col.source, shown)

    if not (native(col) and is_numeric_type(col.source_type)):
        add(f"{present(col)} AND TRY_CAST(trim({raw(col)}) AS DOUBLE) IS NULL", "expected a number")
    if not f.nan_is_blank:
        add(
            f"isnan({double(col)})",
            "expected a number, not NaN; leave the cell empty when there is no value",
        )
    add(f"{num} IS NOT NULL AND NOT isfinite({num})", "expected a finite number")
    if f.kind == "integer":
        add(f"isfinite({num}) AND {num} <> floor({num})", "expected a whole number")
        add(
            f"isfinite({num}) AND abs({num}) >= {BIGINT_LIMIT!r}",
            f"expected a whole number below {BIGINT_LIMIT:.2g}",
        )
    low, high = widened(f.minimum, f.tolerance, -1), widened(f.maximum, f.tolerance, 1)
    if f.minimum is not None and f.maximum is not None:
        add(
            f"{num} NOT BETWEEN {low!r} AND {high!r}",
            f"expected a value between {f.minimum:g} and {f.maximum:g}",
        )
    elif f.minimum is not None:
        what = "a count" if f.kind == "integer" else "a duration or amount"
        add(f"{num} < {low!r}", f"expected {what} of at least {f.minimum:g}, not a negative one")


def first_error(con: duckdb.DuckDBPyConnection, staged: Staged, checks: Checks) -> None:
    """Scan once for all checks; raise for the earliest bad row (ties: first check listed)."""
    if not checks.items:
        return
    select = ", ".join(f"min(CASE WHEN {cond} THEN _row END)" for cond, *_ in checks.items)
    firsts = con.execute(f"SELECT {select} FROM {staged.table}").fetchone() or ()  # noqa: S608 - generated table; conditions over quote()d columns
    hits = [(row, i) for i, row in enumerate(firsts) if row is not None]
    if not hits:
        return
    row, i = min(hits)
    _, problem, column, shown = checks.items[i]
    found = db.scalar(con, f"SELECT {shown} FROM {staged.table} WHERE _row = ?", [row])  # noqa: S608 - generated table; conditions over quote()d columns
    got = "" if found is None else f", got {_clip(found)!r}"
    raise InputError(staged.file, problem + got, row=row, column=column, row_word=staged.row_word)


def check_unique(
    con: duckdb.DuckDBPyConnection, staged: Staged, expr: str, column: str, what: str = "id"
) -> None:
    """Duplicate keys: name the value and both rows."""
    keys = f"(SELECT {expr} AS k, _row FROM {staged.table}) WHERE k IS NOT NULL"  # noqa: S608 - generated table; conditions over quote()d columns
    # Cheap test first: counting distinct keys needs no per-key lists.
    counts = f"SELECT count(k), count(DISTINCT k) FROM {keys}"  # noqa: S608 - generated table; conditions over quote()d columns
    total, distinct = con.execute(counts).fetchone() or (0, 0)
    if total == distinct:
        return
    dup = con.execute(
        f"SELECT k, min(_row), list_sort(list(_row))[2] FROM {keys} GROUP BY k"  # noqa: S608 - generated table; conditions over quote()d columns
        " HAVING count(*) > 1 ORDER BY 3 LIMIT 1"
    ).fetchone()
    if dup:
        key, first, second = dup
        raise InputError(
            staged.file,
            f"duplicate {what} {_clip(_shown(key))!r} (first on "
            f"{staged.row_word} {first}); each {what} may appear once",
            row=second,
            column=column,
            row_word=staged.row_word,
        )


def _shown(key: object) -> object:
    """A compound key as people read it: its parts were joined by the unit separator."""
    return key.replace("\x1f", " / ") if isinstance(key, str) else key


def _clip(value: object, limit: int = 80) -> object:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "…"
    return value
