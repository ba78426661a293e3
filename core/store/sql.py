"""The one place SQL text is made from names: identifiers quoted, literals for constants only.

Values from files or users are always bound as parameters. What cannot be bound is an
identifier (a column a file names, an alias carrying a metric name): ``quote`` makes any text
one identifier, so a name holding ``"``, ``;`` or ``--`` stays a name. ``literal`` is for
code constants and the one statement DuckDB cannot prepare (a view's definition); it is not
a way around binding a value. Statements built from generated expressions are composed of
``Sql`` parts only (``compose``, ``join``), so no statement takes a bare string.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import LiteralString


def quote(identifier: str) -> str:
    """``name`` as one SQL identifier: wrapped in double quotes, inner quotes doubled."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """``text`` as a SQL string literal (single quotes doubled); see the module's rule."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Sql:
    """SQL text made only of quoted names, literals and other Sql: the one thing ``compose``
    puts into a statement. A bare ``str`` (a value from a file or a user) is refused there."""

    text: str

    def __str__(self) -> str:
        return self.text


def name(identifier: str) -> Sql:
    """``identifier`` as one quoted SQL name."""
    return Sql(quote(identifier))


def constant(text: str) -> Sql:
    """A code constant as a SQL string literal (see ``literal``)."""
    return Sql(literal(text))


def compose(template: LiteralString, /, **parts: Sql) -> Sql:
    """``template`` (code, not data) with each ``{part}`` filled by Sql; a str is a TypeError."""
    loose = sorted(k for k, v in parts.items() if not isinstance(v, Sql))
    if loose:
        raise TypeError(f"compose: {', '.join(loose)} must be Sql (name, constant), not str")
    return Sql(template.format_map({k: v.text for k, v in parts.items()}))


def join(separator: LiteralString, parts: Iterable[Sql]) -> Sql:
    """``parts`` joined by ``separator``, each checked as ``compose`` checks its parts."""
    listed = list(parts)
    if not all(isinstance(p, Sql) for p in listed):
        raise TypeError("join: every part must be Sql (name, constant), not str")
    return Sql(separator.join(p.text for p in listed))


def number(value: float) -> Sql:
    """A finite number from code (a threshold constant) as SQL."""
    if not isinstance(value, int | float) or value != value or abs(value) == float("inf"):
        raise TypeError(f"number: expected a finite int or float, got {value!r}")
    return Sql(repr(value))


@dataclass(frozen=True)
class Native:
    """A statement written for PostgreSQL (``%s`` placeholders), sent to it as it is: where
    the server does what DuckDB cannot (``FOR UPDATE SKIP LOCKED``). Never given to DuckDB."""

    text: LiteralString
