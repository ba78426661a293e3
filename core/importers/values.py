"""SQL for a staged column's value: the declared field, the column bound to it, its typed value.

A ``Field`` declares one column an importer reads: its kind, whether it is required, the names
it is also known by, and its bounds. A ``Column`` is a field bound to the staged column that
carries it; ``value`` is the SQL for its clean, typed value whatever the file's own type (text
from CSV, JSON from converted records, native types from Parquet).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.importers.staging import Staged
from core.store.sql import Sql, literal, quote

Kind = Literal["text", "texts", "number", "integer", "bool", "json", "tags", "config"]
TRUE = ("true", "t", "yes", "y", "1", "pass", "passed")
FALSE = ("false", "f", "no", "n", "0", "fail", "failed")
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


def is_json(col: Column) -> bool:
    """A JSON-typed column (JSONL whose types must be checked, converted records)."""
    return col.source_type == "JSON"


def json_args(col: Column) -> str:
    """Arguments of json_type/json_extract for the column's value."""
    return f"{quote(col.source)}, '$'"


def raw(col: Column) -> str:
    """The column's value as text (NULL when absent)."""
    if is_json(col):
        return f"json_extract_string({json_args(col)})"
    if col.source_type == "VARCHAR":
        return quote(col.source)
    return f"CAST({quote(col.source)} AS VARCHAR)"


def json_type(col: Column) -> str:
    return f"json_type({json_args(col)})"


def native(col: Column) -> bool:
    """A typed (non-text, non-JSON) column, as Parquet and typed JSONL give."""
    return not is_json(col) and col.source_type != "VARCHAR"


def nested(col: Column) -> bool:
    return native(col) and (
        col.source_type.split("(")[0] in _NESTED or _is_list_type(col.source_type)
    )


def present(col: Column) -> str:
    if native(col):
        return f"{quote(col.source)} IS NOT NULL"
    return f"NULLIF(trim({raw(col)}), '') IS NOT NULL"


def is_numeric_type(type_name: str) -> bool:
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


def double(col: Column) -> str:
    """The value as DOUBLE, NaN kept (NULL when blank or not a number)."""
    if native(col) and is_numeric_type(col.source_type):
        return f"CAST({quote(col.source)} AS DOUBLE)"
    return f"TRY_CAST(NULLIF(trim({raw(col)}), '') AS DOUBLE)"


def number(col: Column) -> str:
    """The value as DOUBLE; NaN (Ragas' 'could not score') becomes NULL."""
    expr = double(col)
    return f"(CASE WHEN isnan({expr}) THEN NULL ELSE {expr} END)"


# The largest whole number a BIGINT column takes, as a DOUBLE compares it (2^63 - 1 rounds up).
BIGINT_LIMIT = 9.2e18


def typed(col: Column) -> Sql:
    """``value(col)`` as Sql for ``core.store.sql.compose``: built from quote()d names only."""
    return Sql(value(col))


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
        return f"CAST(CASE WHEN abs({num}) < {BIGINT_LIMIT!r} THEN {num} END AS BIGINT)"
    if kind == "bool":
        if native(col) and col.source_type == "BOOLEAN":
            return quote(col.source)
        text = f"lower(trim({raw(col)}))"
        return (
            f"(CASE WHEN {text} IN ({_in(TRUE)}) THEN true"
            f" WHEN {text} IN ({_in(FALSE)}) THEN false END)"
        )
    if kind == "json":
        if is_json(col):
            # A JSON list, or a string holding one (as a CSV export would write it).
            args = json_args(col)
            return (
                f"(CASE WHEN json_type({args}) = 'VARCHAR' THEN"
                f" CAST(json_extract_string({args}) AS JSON) ELSE json_extract({args}) END)"
            )
        if nested(col):
            return f"to_json({quote(col.source)})"
        return f"CAST(NULLIF(trim({raw(col)}), '') AS JSON)"
    if kind in ("texts", "tags"):
        if is_json(col):
            args = json_args(col)
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


def widened(bound: float | None, tolerance: float, sign: int) -> float | None:
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
