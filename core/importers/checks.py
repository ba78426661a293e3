"""Validating staged rows with SQL, and the expressions that turn them into typed values.

A ``Field`` declares one column an importer reads: its kind, whether it is required,
the names it is also known by, and its bounds. ``first_error`` scans the staged table once
for every check and raises an InputError for the earliest offending row, naming the file,
row, column, what was expected and the value found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import duckdb

from core.errors import InputError
from core.importers import limits
from core.importers.staging import Staged
from core.store.sql import literal, quote

Kind = Literal["text", "texts", "number", "integer", "bool", "json", "tags", "config"]
_TRUE = ("true", "t", "yes", "y", "1", "pass", "passed")
_FALSE = ("false", "f", "no", "n", "0", "fail", "failed")
_NESTED = ("STRUCT", "MAP", "UNION")


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    nonempty: bool = False  # a required value may not be blank
    tolerance: float = 0.0  # relative slack on the bounds, for floating-point rounding
    nan_is_blank: bool = True  # NaN reads as no value (Ragas' "could not score"); else refused


@dataclass(frozen=True)
class Column:
    """A field bound to the staged column that carries it."""

    field: Field
    source: str  # the column's name in the file
    staged: Staged
    source_type: str = "VARCHAR"  # DuckDB type of the staged column

    @property
    def name(self) -> str:
        return self.field.name


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


def _is_json(col: Column) -> bool:
    """A JSON-typed column (JSONL whose types must be checked, converted records)."""
    return col.source_type == "JSON"


def _jargs(col: Column) -> str:
    """Arguments of json_type/json_extract for the column's value."""
    return f"{quote(col.source)}, '$'"


def raw(col: Column) -> str:
    """The column's value as text (NULL when absent)."""
    if _is_json(col):
        return f"json_extract_string({_jargs(col)})"
    if col.source_type == "VARCHAR":
        return quote(col.source)
    return f"CAST({quote(col.source)} AS VARCHAR)"


def _json_type(col: Column) -> str:
    return f"json_type({_jargs(col)})"


def _native(col: Column) -> bool:
    """A typed (non-text, non-JSON) column, as Parquet and typed JSONL give."""
    return not _is_json(col) and col.source_type != "VARCHAR"


def _nested(col: Column) -> bool:
    return _native(col) and (
        col.source_type.split("(")[0] in _NESTED or _is_list_type(col.source_type)
    )


def _present(col: Column) -> str:
    if _native(col):
        return f"{quote(col.source)} IS NOT NULL"
    return f"NULLIF(trim({raw(col)}), '') IS NOT NULL"


def _is_numeric_type(type_name: str) -> bool:
    return type_name.split("(")[0] in {
        "DOUBLE",
        "FLOAT",
        "REAL",
        "BIGINT",
        "INTEGER",
        "SMALLINT",
        "TINYINT",
        "HUGEINT",
        "UBIGINT",
        "UINTEGER",
        "USMALLINT",
        "UTINYINT",
        "DECIMAL",
    }


def _is_list_type(type_name: str) -> bool:
    return type_name.endswith("[]")


def _double(col: Column) -> str:
    """The value as DOUBLE, NaN kept (NULL when blank or not a number)."""
    if _native(col) and _is_numeric_type(col.source_type):
        return f"CAST({quote(col.source)} AS DOUBLE)"
    return f"TRY_CAST(NULLIF(trim({raw(col)}), '') AS DOUBLE)"


def number(col: Column) -> str:
    """The value as DOUBLE; NaN (Ragas' 'could not score') becomes NULL."""
    expr = _double(col)
    return f"(CASE WHEN isnan({expr}) THEN NULL ELSE {expr} END)"


# The largest whole number a BIGINT column takes, as a DOUBLE compares it (2^63 - 1 rounds up).
_BIGINT_LIMIT = 9.2e18


def value(col: Column) -> str:
    """SQL for the column's clean, typed value (valid only after ``first_error`` passed)."""
    kind = col.field.kind
    if kind == "config":
        return raw(col)
    if kind == "text":
        return raw(col)
    if kind == "number":
        return number(col)
    if kind == "integer":
        # Guarded so that the checks' single scan never fails on a value it is about to refuse.
        num = number(col)
        return f"CAST(CASE WHEN abs({num}) < {_BIGINT_LIMIT!r} THEN {num} END AS BIGINT)"
    if kind == "bool":
        if _native(col) and col.source_type == "BOOLEAN":
            return quote(col.source)
        text = f"lower(trim({raw(col)}))"
        return (
            f"(CASE WHEN {text} IN ({_in(_TRUE)}) THEN true"
            f" WHEN {text} IN ({_in(_FALSE)}) THEN false END)"
        )
    if kind == "json":
        if _is_json(col):
            # A JSON list, or a string holding one (as a CSV export would write it).
            args = _jargs(col)
            return (
                f"(CASE WHEN json_type({args}) = 'VARCHAR' THEN"
                f" CAST(json_extract_string({args}) AS JSON) ELSE json_extract({args}) END)"
            )
        if _nested(col):
            return f"to_json({quote(col.source)})"
        return f"CAST(NULLIF(trim({raw(col)}), '') AS JSON)"
    if kind in ("texts", "tags"):
        if _is_json(col):
            args = _jargs(col)
            strings = f"from_json(json_extract({args}), '[\"VARCHAR\"]')"
            other = _split_tags(raw(col)) if kind == "tags" else raw(col)
            joined = f"array_to_string({strings}, chr(10) || chr(10))"
            listed = strings if kind == "tags" else joined
            return f"(CASE WHEN json_type({args}) = 'ARRAY' THEN {listed} ELSE {other} END)"
        if _is_list_type(col.source_type):
            if kind == "tags":
                return f"CAST({quote(col.source)} AS VARCHAR[])"
            return f"array_to_string({quote(col.source)}, chr(10) || chr(10))"
        return _split_tags(raw(col)) if kind == "tags" else raw(col)
    raise ValueError(f"unknown field kind {kind!r}")


def _slack(bound: float | None, tolerance: float, sign: int) -> float | None:
    """A bound widened by a relative tolerance (outward)."""
    if bound is None:
        return None
    return float(bound) + sign * tolerance * max(1.0, abs(float(bound)))


def _split_tags(text: str) -> str:
    return (
        f"coalesce(list_filter(list_transform(regexp_split_to_array(coalesce({text}, ''),"
        f" '[,;|]'), lambda t: lower(trim(t))), lambda t: t <> ''), [])"
    )


def _in(words: tuple[str, ...]) -> str:
    return ", ".join(literal(w) for w in words)


_TEXTS = ("text", "texts", "tags", "config", "json")


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
            f"NOT ({_present(col)})",
            "a value is required here, the cell is empty",
            col.source,
            shown,
        )
    if _is_json(col):
        jt = _json_type(col)
        allowed = {
            "text": "('VARCHAR', 'NULL')",
            "number": "('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR', 'NULL')",
            "integer": "('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR', 'NULL')",
            "bool": "('BOOLEAN', 'BIGINT', 'UBIGINT', 'VARCHAR', 'NULL')",
            "texts": "('VARCHAR', 'ARRAY', 'NULL')",
            "tags": "('VARCHAR', 'ARRAY', 'NULL')",
            "json": None,
            "config": None,
        }[f.kind]
        if allowed:
            expected = {
                "text": "text",
                "texts": "text or a list of texts",
                "tags": "text or a list of texts",
            }.get(f.kind, f"a {f.kind}")
            checks.add(
                f"{jt} IS NOT NULL AND {jt} NOT IN {allowed}",
                f"expected {expected}, not a JSON object, number or flag",
                col.source,
                f"CAST(json_extract({_jargs(col)}) AS VARCHAR)",
            )
    elif f.kind in ("text", "number", "integer", "bool") and _nested(col):
        checks.add(
            f"{quote(col.source)} IS NOT NULL",
            f"expected {'text' if f.kind == 'text' else 'a ' + f.kind}, "
            f"got a nested value ({col.source_type})",
            col.source,
            shown,
        )
        return
    if f.kind in ("number", "integer"):
        if not (_native(col) and _is_numeric_type(col.source_type)):
            checks.add(
                f"{_present(col)} AND TRY_CAST(trim({raw(col)}) AS DOUBLE) IS NULL",
                "expected a number",
                col.source,
                shown,
            )
        num = number(col)
        if not f.nan_is_blank:
            checks.add(
                f"isnan({_double(col)})",
                "expected a number, not NaN; leave the cell empty when there is no value",
                col.source,
                shown,
            )
        checks.add(
            f"{num} IS NOT NULL AND NOT isfinite({num})",
            "expected a finite number",
            col.source,
            shown,
        )
        if f.kind == "integer":
            checks.add(
                f"isfinite({num}) AND {num} <> floor({num})",
                "expected a whole number",
                col.source,
                shown,
            )
            checks.add(
                f"isfinite({num}) AND abs({num}) >= {_BIGINT_LIMIT!r}",
                f"expected a whole number below {_BIGINT_LIMIT:.2g}",
                col.source,
                shown,
            )
        low, high = _slack(f.minimum, f.tolerance, -1), _slack(f.maximum, f.tolerance, 1)
        if f.minimum is not None and f.maximum is not None:
            checks.add(
                f"{num} NOT BETWEEN {low!r} AND {high!r}",
                f"expected a value between {f.minimum:g} and {f.maximum:g}",
                col.source,
                shown,
            )
        elif f.minimum is not None:
            what = "a count" if f.kind == "integer" else "a duration or amount"
            checks.add(
                f"{num} < {low!r}",
                f"expected {what} of at least {f.minimum:g}, not a negative one",
                col.source,
                shown,
            )
    elif f.kind == "bool":
        checks.add(
            f"{_present(col)} AND {value(col)} IS NULL",
            f"expected true/false (also {', '.join(_TRUE[2:])} / {', '.join(_FALSE[2:])})",
            col.source,
            shown,
        )
    elif f.kind == "json" and _is_json(col):
        checks.add(
            f"{_json_type(col)} = 'VARCHAR' AND NOT json_valid({raw(col)})",
            "expected JSON (a list or object, or text holding one)",
            col.source,
            shown,
        )
    elif f.kind == "json" and not _nested(col):
        checks.add(
            f"{_present(col)} AND NOT json_valid(trim({raw(col)}))",
            "expected JSON text",
            col.source,
            shown,
        )


def first_error(con: duckdb.DuckDBPyConnection, staged: Staged, checks: Checks) -> None:
    """Scan once for all checks; raise for the earliest bad row (ties: first check listed)."""
    if not checks.items:
        return
    select = ", ".join(f"min(CASE WHEN {cond} THEN _row END)" for cond, *_ in checks.items)
    firsts = con.execute(f"SELECT {select} FROM {staged.table}").fetchone()  # noqa: S608 - generated table; conditions over quote()d columns
    hits = [(row, i) for i, row in enumerate(firsts) if row is not None]
    if not hits:
        return
    row, i = min(hits)
    _, problem, column, shown = checks.items[i]
    found = con.execute(f"SELECT {shown} FROM {staged.table} WHERE _row = ?", [row]).fetchone()[0]  # noqa: S608 - generated table; conditions over quote()d columns
    got = "" if found is None else f", got {_clip(found)!r}"
    raise InputError(staged.file, problem + got, row=row, column=column, row_word=staged.row_word)


def check_unique(
    con: duckdb.DuckDBPyConnection, staged: Staged, expr: str, column: str, what: str = "id"
) -> None:
    """Duplicate keys: name the value and both rows."""
    keys = f"(SELECT {expr} AS k, _row FROM {staged.table}) WHERE k IS NOT NULL"  # noqa: S608 - generated table; conditions over quote()d columns
    # Cheap test first: counting distinct keys needs no per-key lists.
    total, distinct = con.execute(f"SELECT count(k), count(DISTINCT k) FROM {keys}").fetchone()  # noqa: S608 - generated table; conditions over quote()d columns
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
            f"duplicate {what} {_clip(key)!r} (first on "
            f"{staged.row_word} {first}); each {what} may appear once",
            row=second,
            column=column,
            row_word=staged.row_word,
        )


def _clip(value: object, limit: int = 80) -> object:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "…"
    return value
