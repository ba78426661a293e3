"""One connection pool per PostgreSQL database per process, its connections configured so
values come back as DuckDB gives them (numbers as int or float) and lists bind as text[]."""

from __future__ import annotations

import threading
from typing import Any

from core.store import pg_sql

# UTC, as DuckDB's timestamps; no JIT: compiling took longer than it saved on every query
# measured (sign-off at 1,000,000 items about 0.4 s faster without it, PostgreSQL 15).
SESSION_OPTIONS = "-c TimeZone=UTC -c jit=off"

_pools: dict[str, Any] = {}
_pools_lock = threading.Lock()


def pool(url: str):
    """The process's pool for ``url``, made on first use."""
    from psycopg import ClientCursor
    from psycopg_pool import ConnectionPool

    with _pools_lock:
        found = _pools.get(url)
        if found is None:
            found = ConnectionPool(
                url,
                min_size=1,
                max_size=16,
                # Values are bound on the client, as literals, so `? IS NULL` and a text for a
                # timestamp column are typed by the statement, as DuckDB types them.
                kwargs={
                    "autocommit": True,
                    "options": SESSION_OPTIONS,
                    "cursor_factory": ClientCursor,
                },
                configure=_configure,
                open=True,
            )
            _pools[url] = found
        return found


def close_pools() -> None:
    from core.store.pg_types import close_arrow_connections

    close_arrow_connections()
    with _pools_lock:
        for found in _pools.values():
            found.close()
        _pools.clear()


def _configure(connection) -> None:
    from psycopg.adapt import Loader

    class Number(Loader):
        # sum(integer) is numeric in PostgreSQL and an integer in DuckDB; avg is a float in both.
        def load(self, data):
            text = bytes(data).decode()
            return float(text) if "." in text or "e" in text.lower() else int(text)

    connection.adapters.register_loader("numeric", Number)
    # JSON comes back as its text, as DuckDB gives it (json_extract(...) = 'true', not True).
    from psycopg.types.string import TextLoader

    connection.adapters.register_loader("json", TextLoader)
    connection.adapters.register_loader("jsonb", TextLoader)
    # A list of str is a text[] (so unnest(?) and = ANY(?) know the type); a lone str stays
    # an untyped literal, typed by the statement as DuckDB types it.
    from psycopg.types.string import StrDumper

    connection.adapters.register_dumper(str, StrDumper)
    # An empty list has no element type to say: text[] (lists bound here are of names).
    from psycopg.adapt import Dumper

    class EmptyListDumper(Dumper):
        oid = connection.adapters.types["text[]"].oid

        def dump(self, obj):
            return b"{}"

        def quote(self, obj):
            return b"'{}'::text[]"

    connection.adapters.register_dumper(pg_sql.EmptyList, EmptyListDumper)
