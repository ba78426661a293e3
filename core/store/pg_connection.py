"""A PostgreSQL connection that answers the calls the code makes of a DuckDB connection.

``execute`` takes DuckDB's dialect (translated once per statement text, core.store.pg_sql) and
returns the connection, whose ``fetchone``, ``fetchall``, ``df`` and ``arrow`` read the result,
as DuckDB's do. ``cursor()`` is another connection from the process's pool, as DuckDB's cursor
is another connection to the same database. Errors come back as the DuckDB exception of the
same meaning, so callers catch one family.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from core.store import pg_route, pg_sql
from core.store.pg_pool import pool
from core.store.pg_types import (
    ARROW,
    as_duckdb,
    copy_into_temp,
    insert_rows,
    plain_row,
    read_arrow,
)
from core.store.sql import quote


class _Deferred:
    """A read not yet sent: its statement and bound values."""

    def __init__(self, text: str, bound: list[Any] | None) -> None:
        self.text, self.bound = text, bound


class PgConnection:
    """One pooled PostgreSQL connection with DuckDB's connection methods (see the module)."""

    backend = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool = pool(url)
        self._con = self._pool.getconn()
        self._result: Any = None  # a psycopg cursor, or the in-process DuckDB
        self._temps: set[str] = set()  # staged tables copied to the server
        self._local: duckdb.DuckDBPyConnection | None = None
        self._local_names: set[str] = set()  # staged tables, views and frames in DuckDB
        self._deps: dict[str, frozenset[str]] = {}  # what each staged view reads
        self._pulled: dict[str, int] = {}  # server tables read in, at which generation
        self._generation = 0  # counts this connection's writes on the server
        self._tables: set[str] | None = None

    # -- statements ------------------------------------------------------------------------

    def execute(self, sql: Any, parameters: Sequence[Any] | None = None) -> PgConnection:
        if isinstance(sql, pg_sql.Native):
            order = tuple(range(len(parameters or ())))
            self._server(
                pg_sql.Translated(sql.text, order, sql.text.split(None, 1)[0].upper()), parameters
            )
            return self
        text = str(sql)
        statements = pg_sql.translate(text) if ";" in text.strip().rstrip(";") else None
        if statements is not None and len(statements) > 1:  # a script: the server's alone
            for statement in statements:
                self._server(statement, parameters)
            return self
        insert = self._insert_computed_here(text)
        if insert is not None:
            with warnings.catch_warnings():  # the copy it warns of is the one wanted here
                warnings.simplefilter("ignore", UserWarning)
                rows = self._settled_local().execute(insert.select, parameters).to_arrow_table()
            try:
                self._result = insert_rows(self._con, insert.target, insert.columns, rows)
            except Exception as exc:
                raise as_duckdb(exc) from exc
            self._generation += 1
            return self
        if self._local_for(text):
            self._result = self._settled_local().execute(text, parameters)
            return self
        for statement in pg_sql.translate(text):
            self._server(statement, parameters)
        return self

    def executemany(self, sql: Any, rows: Iterable[Sequence[Any]]) -> PgConnection:
        text = str(sql)
        if self._local_for(text):
            self._result = self._settled_local().executemany(text, list(rows))
            return self
        (statement,) = pg_sql.translate(text)
        cur = self._con.cursor()
        try:
            cur.executemany(statement.text.encode(), [statement.bind(r) for r in rows])
        except Exception as exc:
            raise as_duckdb(exc) from exc
        self._generation += 1
        self._result = cur
        return self

    def sql(self, sql: Any, params: Sequence[Any] | None = None) -> PgConnection:
        return self.execute(sql, params)

    def _server(self, statement: pg_sql.Translated, parameters: Sequence[Any] | None) -> None:
        if statement.kind in ("SET", "RESET", "CHECKPOINT", "PRAGMA"):
            return  # DuckDB's own settings: nothing to do on PostgreSQL
        reading = statement.kind in ("SELECT", "WITH")
        if reading and not self._in_transaction():
            # Run when read: as rows (psycopg), or as Arrow (ADBC, for analyses: a million
            # rows in seconds, not tens of seconds).
            self._result = _Deferred(statement.text, statement.bind(parameters))
            return
        self._result = self._run(statement.text, statement.bind(parameters))
        if not reading:
            self._generation += 1

    def _run(self, text: str, bound: list[Any] | None):
        cur = self._con.cursor()
        try:
            cur.execute(text.encode(), bound, prepare=False)
        except Exception as exc:
            raise as_duckdb(exc) from exc
        return cur

    def _in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self._con.info.transaction_status != TransactionStatus.IDLE

    def _rows(self) -> Any:
        """The current result, a deferred read run now as rows."""
        if isinstance(self._result, _Deferred):
            self._result = self._run(self._result.text, self._result.bound)
        return self._result

    def _insert_computed_here(self, text: str) -> pg_route.LocalInsert | None:
        """An insert into a server table of rows from staged objects (or by what only
        DuckDB does), with the server tables its rows read made available here."""
        shape = pg_route.shape(text)
        refs = shape.names & self._local_names
        if shape.kind != "INSERT" or shape.target in self._local_names:
            return None
        if not (refs or shape.duckdb_only):
            return None
        insert = pg_route.local_insert(text)
        if insert is not None:
            self._pull(
                (shape.names - self._local_names) | {d for r in refs for d in self._deps.get(r, ())}
            )
        return insert

    def _local_for(self, text: str) -> bool:
        """Whether ``text`` runs in the in-process DuckDB (core.store.pg_route), after
        making what it needs from the other side available there."""
        shape = pg_route.shape(text)
        local = self._local_names
        refs = shape.names & local
        if shape.kind == "DROP":
            if shape.drops is not None and (
                shape.drops in local or shape.drops not in self._server_tables()
            ):
                local.discard(shape.drops)
                self._deps.pop(shape.drops, None)
                if shape.drops in self._temps:
                    self.unregister(shape.drops)
                return True
            return False
        writes_server = shape.target is not None and shape.target not in local
        if writes_server and refs:
            for name in refs:  # staged rows go to the server for the write
                rows = self._settled_local().sql(f"SELECT * FROM {quote(name)}").to_arrow_table()  # noqa: S608 - a staged table's name, quoted
                copy_into_temp(self._con, name, rows)
                self._temps.add(name)
            return False
        if (shape.kind == "CREATE" and shape.temporary) or refs or shape.duckdb_only:
            deps = (shape.names - local) | {d for r in refs for d in self._deps.get(r, ())}
            self._pull(deps)
            if shape.kind == "CREATE" and shape.creates:
                local.add(shape.creates)
                self._deps[shape.creates] = frozenset(deps)
            return True
        return False

    def _pull(self, names: Iterable[str]) -> None:
        """Server tables read in as Arrow under their own names, again after a write."""
        server = self._server_tables()
        for name in names:
            if name in server and self._pulled.get(name) != self._generation:
                cur = self._con.cursor()
                cur.execute(f"SELECT * FROM {quote(name)}".encode())  # noqa: S608 - a table of the schema, quoted
                self._result = cur
                self._settled_local().register(name, self.arrow())
                self._pulled[name] = self._generation

    def _server_tables(self) -> set[str]:
        if self._tables is None:
            rows = self._con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchall()
            self._tables = {r[0] for r in rows}
        return self._tables

    def _settled_local(self) -> duckdb.DuckDBPyConnection:
        # DuckDB refuses register() while an earlier result is unread; the caller moved on.
        local = self._local_con()
        local.abort()
        return local

    def _local_con(self) -> duckdb.DuckDBPyConnection:
        if self._local is None:
            self._local = duckdb.connect(":memory:")
        return self._local

    # -- results ---------------------------------------------------------------------------

    @property
    def description(self):
        return self._rows().description if self._result is not None else None

    def fetchone(self):
        self._rows()
        if isinstance(self._result, duckdb.DuckDBPyConnection):
            return self._result.fetchone()
        if not self._has_rows():
            return self._count()
        row = self._result.fetchone()
        return None if row is None else plain_row(row)

    def fetchall(self) -> list[tuple]:
        self._rows()
        if isinstance(self._result, duckdb.DuckDBPyConnection):
            return self._result.fetchall()
        if not self._has_rows():
            count = self._count()
            return [count] if count else []
        return [plain_row(r) for r in self._result.fetchall()]

    def _count(self) -> tuple[int] | None:
        """A write answers with the number of rows it wrote, as DuckDB's does (once)."""
        cur, self._result = self._result, None
        if cur is None or cur.rowcount is None or cur.rowcount < 0:
            return None
        return (cur.rowcount,)

    def fetchmany(self, size: int = 1) -> list[tuple]:
        self._rows()
        if isinstance(self._result, duckdb.DuckDBPyConnection):
            return self._result.fetchmany(size)
        return [plain_row(r) for r in self._result.fetchmany(size)] if self._has_rows() else []

    def arrow(self) -> pa.Table:
        if isinstance(self._result, duckdb.DuckDBPyConnection):
            with warnings.catch_warnings():  # the copy it warns of is the one wanted here
                warnings.simplefilter("ignore", UserWarning)
                return self._result.to_arrow_table()
        if isinstance(self._result, _Deferred):
            deferred, self._result = self._result, None
            text = self._con.cursor().mogrify(deferred.text, deferred.bound)
            return read_arrow(self.url, text)
        description = self.description or []
        rows = self.fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(description)
        arrays, names = [], []
        for column, values in zip(description, columns, strict=True):
            kind = ARROW.get(column.type_code)
            arrays.append(pa.array(list(values), type=kind) if kind else pa.array(list(values)))
            names.append(column.name)
        return pa.Table.from_arrays(arrays, names=names)

    fetch_arrow_table = arrow

    def fetchnumpy(self) -> dict:
        if isinstance(self._result, duckdb.DuckDBPyConnection):
            return self._result.fetchnumpy()
        table = self.arrow()
        return {
            n: c.to_numpy(zero_copy_only=False)
            for n, c in zip(table.column_names, table.columns, strict=True)
        }

    def df(self):
        if isinstance(self._result, duckdb.DuckDBPyConnection):
            return self._result.df()
        return self.arrow().to_pandas()

    fetchdf = df

    def _has_rows(self) -> bool:
        return self._result is not None and self._result.description is not None

    # -- data frames as tables -------------------------------------------------------------

    def register(self, name: str, frame: Any) -> PgConnection:
        """``frame`` (pandas or Arrow) as a table ``name`` in the in-process DuckDB."""
        self._settled_local().register(name, frame)
        self._local_names.add(name.lower())
        return self

    def unregister(self, name: str) -> PgConnection:
        if name.lower() in self._local_names and self._local is not None:
            self._settled_local().unregister(name)
            self._local_names.discard(name.lower())
        if name in self._temps:
            from psycopg import sql as pgsql

            self._con.execute(pgsql.SQL("DROP TABLE IF EXISTS {}").format(pgsql.Identifier(name)))
            self._temps.discard(name)
        return self

    def from_df(self, frame: Any):
        return self._local_con().from_df(frame)

    # -- connections and transactions -----------------------------------------------------

    def cursor(self) -> PgConnection:
        return PgConnection(self.url)

    def begin(self) -> None:
        self.execute("BEGIN")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        self.execute("ROLLBACK")

    def close(self) -> None:
        if self._con is None:
            return
        con, self._con = self._con, None
        for name in list(self._temps):
            self._temps.discard(name)
            try:
                from psycopg import sql as pgsql

                con.execute(pgsql.SQL("DROP TABLE IF EXISTS {}").format(pgsql.Identifier(name)))
            except Exception:
                break
        if self._local is not None:
            self._local.close()
            self._local = None
        self._pool.putconn(con)

    def __del__(self) -> None:
        # Pages drop their cursor at the end of a script run without closing it (a DuckDB
        # cursor needs no closing): give the server connection back to the pool then.
        # At interpreter exit the pool (and modules such as contextlib) may be gone already.
        try:  # noqa: SIM105
            self.close()
        except Exception:  # noqa: S110 - nothing to report to at interpreter exit
            pass

    def __enter__(self) -> PgConnection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
