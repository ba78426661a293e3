"""DuckDB's SQL dialect turned into PostgreSQL's, once per statement text.

The code writes one dialect (DuckDB's); on PostgreSQL each statement is translated by sqlglot
and cached, so a hot statement is parsed once per process. Placeholders (``?`` in order,
``$1`` by number) become psycopg's ``%s`` with the parameters put in the order they appear,
and a literal ``%`` is doubled so psycopg does not read it as a placeholder.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel
from sqlglot.tokens import TokenType

from core.store.sql import Native

__all__ = ["Native", "Translated", "translate"]

# Statements sqlglot keeps as they are (RESET of a DuckDB setting) are skipped on the
# server anyway: its warnings about them are noise in the CLI's output.
logging.getLogger("sqlglot").setLevel(logging.ERROR)
_MARK = re.compile(r"__sy_p(\w+?)__")


class EmptyList:
    """An empty list parameter: bound as an empty text[] (an untyped '{}' is ambiguous)."""


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
            values = [parameters[str(k)] for k in self.order]
        else:
            given = list(parameters or ())
            values = [given[int(k)] for k in self.order]
        return [EmptyList() if isinstance(v, list | tuple) and not v else v for v in values]


_DUCKDB = Dialect.get_or_raise("duckdb")
_CAST_PLACEHOLDER = re.compile(r"\?::([A-Za-z_]+(?:\[\])?)")


def parseable(sql: str) -> str:
    """``sql`` as sqlglot reads it: ``?::TYPE`` (which it cannot parse) as ``CAST(? AS TYPE)``,
    and each ``?`` numbered in the order it is written (``$1``, ``$2``...): sqlglot visits a
    statement's parts in its own order (LIMIT before WHERE), not the text's."""
    sql = _CAST_PLACEHOLDER.sub(r"CAST(? AS \1)", sql)
    if "?" not in sql:
        return sql
    tokens = _DUCKDB.tokenize(sql)
    marks = [t for t in tokens if t.token_type == TokenType.PLACEHOLDER and t.text == "?"]
    for number, token in reversed(list(enumerate(marks, start=1))):
        # spaced: "$1,$2" would read as a $-quoted string
        sql = sql[: token.start] + f" ${number} " + sql[token.end + 1 :]
    return sql


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> tuple[Translated, ...]:
    """``sql`` (DuckDB's dialect, one or more statements) as PostgreSQL statements."""
    out = []
    for tree in sqlglot.parse(parseable(sql), read="duckdb"):
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
        # any_value(x) is written with IGNORE NULLS, which the PostgreSQL aggregate of
        # functions/postgresql.sql does anyway: sqlglot's warning about it is noise.
        text = tree.sql(dialect="postgres", unsupported_level=ErrorLevel.IGNORE)
        text = text.replace("%", "%%")
        order = tuple(int(m) if m.isdigit() else m for m in _MARK.findall(text))
        text = _MARK.sub("%s", text)
        out.append(Translated(text, order, text.split(None, 1)[0].upper()))
    return tuple(out)


def _adapt(tree: exp.Expression) -> exp.Expression:
    """What sqlglot leaves in DuckDB's terms, in PostgreSQL's (each rewrite says why)."""
    aliases = iter(range(1, 1_000_000))

    def fix(node: exp.Expression) -> exp.Expression:
        # DuckDB lets a subquery in FROM go without a name; PostgreSQL 15 does not.
        if (
            isinstance(node, exp.Subquery)
            and not node.alias
            and isinstance(node.parent, exp.From | exp.Join)
        ):
            # named in place: a node returned anew would not be visited inside
            node.set("alias", exp.TableAlias(this=exp.to_identifier(f"_sub{next(aliases)}")))
            return node
        for rewrite in _REWRITES:
            changed = rewrite(node)
            if changed is not None:
                return changed
        return node

    return tree.transform(fix)


def _group_by_all(node: exp.Expression) -> exp.Expression | None:
    """GROUP BY ALL: by every projection that is not an aggregate (by position)."""
    if not (isinstance(node, exp.Group) and isinstance(node.parent, exp.Select)):
        return None
    if not node.args.get("all"):
        return None
    projections = node.parent.expressions
    keys = [
        exp.Literal.number(i)
        for i, e in enumerate(projections, start=1)
        if e.find(exp.AggFunc) is None
    ]
    return exp.Group(expressions=keys)


def _rowid(node: exp.Expression) -> exp.Expression | None:
    """DuckDB's rowid (insertion order) as the row's physical position, a number: the same
    row has the same one in every statement of a read, and on a table only appended to the
    order is the insertion order."""
    if not (isinstance(node, exp.Column) and node.name.lower() == "rowid"):
        return None
    ctid = exp.column("ctid", table=node.table or None).sql("postgres")
    return sqlglot.parse_one(  # type: ignore[return-value]
        f"(({ctid}::text::point)[0]::bigint * 65536 + ({ctid}::text::point)[1]::bigint)",
        read="postgres",
    )


def _epoch_ms(node: exp.Expression) -> exp.Expression | None:
    """DuckDB's epoch_ms(timestamp) is milliseconds since 1970; sqlglot reads it the other
    way round (a number to a timestamp)."""
    if not (isinstance(node, exp.UnixToTime) and not node.this.is_number):
        return None
    seconds = exp.Extract(this=exp.var("epoch"), expression=node.this)
    return exp.cast(exp.Mul(this=seconds, expression=exp.Literal.number(1000)), "BIGINT")


def _quantile(node: exp.Expression) -> exp.Expression | None:
    """quantile(x, q) is DuckDB's discrete quantile."""
    if not isinstance(node, exp.Quantile):
        return None
    return exp.WithinGroup(
        this=exp.PercentileDisc(this=node.args["quantile"]),
        expression=exp.Order(expressions=[exp.Ordered(this=node.this)]),
    )


def _text_arrays(node: exp.Expression) -> exp.Expression | None:
    """A VARCHAR[] column against a list of strings (written, or bound): PostgreSQL has no
    operator between varchar[] and text[], so both sides are text[]."""
    if not isinstance(node, exp.ArrayOverlaps | exp.ArrayContainsAll):
        return None
    if all(isinstance(side, exp.Cast) for side in (node.this, node.expression)):
        return None  # already cast (this rule's own output)
    return node.__class__(
        this=exp.cast(node.this, "TEXT[]"), expression=exp.cast(node.expression, "TEXT[]")
    )


def _number_casts(node: exp.Expression) -> exp.Expression | None:
    """Unsigned integers are DuckDB's alone (the next wider signed type); DuckDB casts a
    boolean to any number, PostgreSQL only to an integer."""
    if not isinstance(node, exp.Cast):
        return None
    if node.to.this in _UNSIGNED:
        source = exp.cast(node.this, "INT") if _is_boolean(node.this) else node.this
        return exp.cast(source, exp.DataType.build(_UNSIGNED[node.to.this]))
    if node.to.this in _NUMBERS and _is_boolean(node.this):
        return exp.cast(exp.cast(node.this, "INT"), node.to)
    return None


def _json_object(node: exp.Expression) -> exp.Expression | None:
    """json_object(k, v, ...) is json_build_object on PostgreSQL 15."""
    if not isinstance(node, exp.JSONObject):
        return None
    pairs = [part for kv in node.expressions for part in (kv.this, kv.expression)]
    built = exp.Anonymous(this="json_build_object", expressions=pairs)
    return exp.cast(built, "TEXT")  # JSON comes back as text, as from DuckDB


def _json_list(node: exp.Expression) -> exp.Expression | None:
    """CAST(x AS JSON[]) reads a JSON list as a list of its elements in DuckDB; in
    PostgreSQL it parses an array literal, so the elements are taken out of the JSON."""
    if not (isinstance(node, exp.Cast) and node.to.is_type("json[]")):
        return None
    return sqlglot.parse_one(  # type: ignore[return-value]
        f"ARRAY(SELECT json_array_elements(CAST({node.this.sql('postgres')} AS JSON)))",
        read="postgres",
    )


_REWRITES = (
    _json_list,
    _json_object,
    _group_by_all,
    _rowid,
    _epoch_ms,
    _quantile,
    _text_arrays,
    _number_casts,
)

_UNSIGNED = {
    exp.DataType.Type.UTINYINT: "SMALLINT",
    exp.DataType.Type.USMALLINT: "INT",
    exp.DataType.Type.UINT: "BIGINT",
    exp.DataType.Type.UBIGINT: "DECIMAL(20, 0)",
}
_NUMBERS = {exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT, exp.DataType.Type.DECIMAL}
_PREDICATES = (exp.Predicate, exp.Not, exp.And, exp.Or, exp.Boolean, exp.Is, exp.In, exp.Between)
# Boolean columns of the schema that appear in casts to a number.
_BOOLEAN_COLUMNS = {
    "passed",
    "safety_flag",
    "mapped",
    "synthetic",
    "disabled",
    "drawn",
    "judge_passed",
    "sme_flag",
}


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
