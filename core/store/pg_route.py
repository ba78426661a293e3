"""Which engine runs a statement when PostgreSQL is the system of record.

Importers stage a file with DuckDB's readers (read_csv, read_parquet, json_transform) into
temporary tables and check it with SQL before writing. On PostgreSQL those temporary objects
live in an in-process DuckDB beside the server connection: a statement that makes or reads
one runs there, with the server tables it names read in as Arrow; a write into a server
table from one copies the staged rows to a temporary table on the server first. Everything
else runs on the server. This module only reads statements; core.store.pg_connection acts.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from core.store import pg_sql

# DuckDB table functions and functions with no PostgreSQL translation: such a statement
# runs in DuckDB.
_DUCKDB_ONLY = {
    "read_csv",
    "read_csv_auto",
    "read_parquet",
    "read_json",
    "read_json_auto",
    "json_transform",
    "json_structure",
}


@dataclass(frozen=True)
class Shape:
    """What one statement makes, names and writes."""

    kind: str  # SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, DESCRIBE, OTHER
    names: frozenset[str]  # tables and views it reads or writes (lower case, no CTE names)
    creates: str | None  # the temporary table or view it makes
    temporary: bool  # whether what it creates is temporary
    drops: str | None  # the table or view it drops
    target: str | None  # the table INSERT, UPDATE or DELETE writes
    duckdb_only: bool  # uses a DuckDB reader or function
    is_view: bool


@functools.lru_cache(maxsize=4096)
def shape(sql: str) -> Shape:
    """The shape of ``sql`` (one statement, DuckDB's dialect)."""
    try:
        tree = sqlglot.parse_one(pg_sql.parseable(sql), read="duckdb")
    except sqlglot.errors.ParseError:
        return Shape("OTHER", frozenset(), None, False, None, None, True, False)
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    names = frozenset(
        t.name.lower()
        for t in tree.find_all(exp.Table)
        if isinstance(t.this, exp.Identifier) and t.name.lower() not in ctes
    )
    functions = {
        (f.name if isinstance(f, exp.Anonymous) else f.key).lower() for f in tree.find_all(exp.Func)
    }
    readers = {f for f in functions if f.startswith("read")}
    duckdb_only = bool(
        readers
        or _DUCKDB_ONLY & functions
        or any(f.startswith("duckdb_") for f in functions)
        # ASOF joins and ORDER BY ALL have no PostgreSQL form
        or any(j.args.get("method") == "ASOF" for j in tree.find_all(exp.Join))
        or any(
            isinstance(o.this, exp.Var) and o.this.name.upper() == "ALL"
            for o in tree.find_all(exp.Ordered)
        )
    )
    kind, creates, temporary, drops, target, is_view = "OTHER", None, False, None, None, False
    if isinstance(tree, exp.Create):
        kind = "CREATE"
        creates = tree.this.find(exp.Table).name.lower() if tree.this.find(exp.Table) else None
        props = tree.args.get("properties")
        temporary = bool(props and props.find(exp.TemporaryProperty))
        is_view = (tree.args.get("kind") or "").upper() == "VIEW"
    elif isinstance(tree, exp.Drop):
        kind = "DROP"
        dropped = tree.find(exp.Table)
        drops = dropped.name.lower() if dropped is not None else None
    elif isinstance(tree, exp.Insert | exp.Update | exp.Delete):
        kind = tree.key.upper()
        table = tree.this.find(exp.Table) if not isinstance(tree.this, exp.Table) else tree.this
        target = table.name.lower() if table is not None else None
    elif isinstance(tree, exp.Query):
        kind = "SELECT"
    elif isinstance(tree, exp.Describe):
        kind = "DESCRIBE"
    return Shape(kind, names, creates, temporary, drops, target, duckdb_only, is_view)


@dataclass(frozen=True)
class LocalInsert:
    """An INSERT ... SELECT whose rows DuckDB computes (they read staged objects, or use
    what PostgreSQL lacks); the server then inserts them, typed as its own columns."""

    target: str
    columns: tuple[str, ...] | None  # None: every column of the target, in order
    select: str  # the rows, in DuckDB's dialect, with every placeholder of the statement


_INSERT_HEAD = re.compile(
    r"\s*INSERT\s+INTO\s+(\w+)\s*(?:\(([^()]*)\))?\s*(?=SELECT|WITH|\()", re.I
)


@functools.lru_cache(maxsize=1024)
def local_insert(sql: str) -> LocalInsert | None:
    """``sql`` split into its target and its rows' SELECT, or None when the statement says
    more than that (ON CONFLICT, RETURNING, OR REPLACE, BY NAME, VALUES)."""
    try:
        tree = sqlglot.parse_one(pg_sql.parseable(sql), read="duckdb")
    except sqlglot.errors.ParseError:
        return None
    head = _INSERT_HEAD.match(sql)
    extra = ("conflict", "returning", "alternative", "by_name", "overwrite", "ignore")
    if (
        head is None
        or not isinstance(tree, exp.Insert)
        or not isinstance(tree.expression, exp.Query)
        or any(tree.args.get(key) for key in extra)
    ):
        return None
    columns = (
        tuple(c.strip().strip('"') for c in head.group(2).split(",")) if head.group(2) else None
    )
    return LocalInsert(head.group(1).lower(), columns, sql[head.end() :])
