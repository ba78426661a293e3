"""DuckDB's SQL dialect turned into PostgreSQL's, once per statement text.

The code writes one dialect (DuckDB's); on PostgreSQL each statement is translated by sqlglot
and cached, so a hot statement is parsed once per process. Placeholders (``?`` in order,
``$1`` by number) become psycopg's ``%s`` with the parameters put in the order they appear,
and a literal ``%`` is doubled so psycopg does not read it as a placeholder.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from core.store.sql import Native

__all__ = ["Native", "Translated", "translate"]

_MARK = re.compile(r"__sy_p(\w+?)__")


@dataclass(frozen=True)
class Translated:
    """One PostgreSQL statement and, for each of its ``%s``, which given parameter it takes."""

    text: str
    order: tuple[int | str, ...]  # positions in a list, or names in a dict
    kind: str  # the statement's first keyword, upper case: SELECT, INSERT, CREATE, ...

    def bind(self, parameters: Sequence[Any] | None) -> list[Any] | None:
        if not self.order:
            return None
        if isinstance(parameters, dict):
            return [parameters[str(k)] for k in self.order]
        given = list(parameters or ())
        return [given[int(k)] for k in self.order]


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> tuple[Translated, ...]:
    """``sql`` (DuckDB's dialect, one or more statements) as PostgreSQL statements."""
    out = []
    for tree in sqlglot.parse(sql, read="duckdb"):
        if tree is None:
            continue
        positional = 0

        def mark(node: exp.Expression) -> exp.Expression:
            nonlocal positional
            if isinstance(node, exp.Placeholder) and node.name in ("", "?"):
                positional += 1
                return exp.var(f"__sy_p{positional - 1}__")
            if isinstance(node, exp.Placeholder | exp.Parameter) and node.name.isdigit():
                return exp.var(f"__sy_p{int(node.name) - 1}__")
            if isinstance(node, exp.Placeholder | exp.Parameter) and node.name:
                return exp.var(f"__sy_p{node.name}__")
            return node

        tree = _adapt(tree.transform(mark))
        text = tree.sql(dialect="postgres").replace("%", "%%")
        order = tuple(int(m) if m.isdigit() else m for m in _MARK.findall(text))
        text = _MARK.sub("%s", text)
        out.append(Translated(text, order, text.split(None, 1)[0].upper()))
    return tuple(out)


def _adapt(tree: exp.Expression) -> exp.Expression:
    """What sqlglot leaves in DuckDB's terms, in PostgreSQL's."""

    def fix(node: exp.Expression) -> exp.Expression:
        # DuckDB's epoch_ms(timestamp) is milliseconds since 1970; sqlglot reads it the other
        # way round (a number to a timestamp).
        if isinstance(node, exp.UnixToTime) and not node.this.is_number:
            seconds = exp.Extract(this=exp.var("epoch"), expression=node.this)
            return exp.cast(exp.Mul(this=seconds, expression=exp.Literal.number(1000)), "BIGINT")
        # quantile(x, q) is DuckDB's discrete quantile.
        if isinstance(node, exp.Quantile):
            column, q = node.this, node.args["quantile"]
            return exp.WithinGroup(
                this=exp.PercentileDisc(this=q),
                expression=exp.Order(expressions=[exp.Ordered(this=column)]),
            )
        # DuckDB casts a boolean to a number; PostgreSQL only to an integer.
        if isinstance(node, exp.Cast) and node.to.this in _NUMBERS and _is_boolean(node.this):
            return exp.cast(exp.cast(node.this, "INT"), node.to)
        return node

    return tree.transform(fix)


_NUMBERS = {exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT, exp.DataType.Type.DECIMAL}
_PREDICATES = (exp.Predicate, exp.Not, exp.And, exp.Or, exp.Boolean, exp.Is, exp.In, exp.Between)
# Boolean columns of the schema that appear in casts to a number.
_BOOLEAN_COLUMNS = {"passed", "safety_flag", "mapped", "synthetic", "disabled", "drawn"}


def _is_boolean(node: exp.Expression) -> bool:
    """Whether ``node`` is certainly a boolean (a predicate, or a known boolean column)."""
    if isinstance(node, exp.Paren):
        return _is_boolean(node.this)
    if isinstance(node, _PREDICATES):
        return True
    if isinstance(node, exp.Column):
        return node.name.lower() in _BOOLEAN_COLUMNS
    if isinstance(node, exp.Coalesce):
        return any(_is_boolean(n) for n in [node.this, *node.expressions])
    if isinstance(node, exp.Case):
        return any(_is_boolean(i.args.get("true")) for i in node.args.get("ifs", []))
    return False
