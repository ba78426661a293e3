"""The one place SQL text is made from names: identifiers quoted, literals for constants only.

Values from files or users are always bound as parameters. What cannot be bound is an
identifier (a column a file names, an alias carrying a metric name): ``quote`` makes any text
one identifier, so a name holding ``"``, ``;`` or ``--`` stays a name. ``literal`` is for
code constants and the one statement DuckDB cannot prepare (a view's definition); it is not
a way around binding a value.
"""

from __future__ import annotations


def quote(identifier: str) -> str:
    """``name`` as one SQL identifier: wrapped in double quotes, inner quotes doubled."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """``text`` as a SQL string literal (single quotes doubled); see the module's rule."""
    return "'" + text.replace("'", "''") + "'"
