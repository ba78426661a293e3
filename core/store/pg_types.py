"""Moving values between PostgreSQL and the rest: Arrow types of results, staged tables
copied to the server, and psycopg's errors as the DuckDB exceptions of the same meaning."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

# PostgreSQL type oids -> Arrow types, for results (so an empty result keeps its types).
ARROW = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    700: pa.float32(),
    701: pa.float64(),
    1700: pa.float64(),
    25: pa.string(),
    1043: pa.string(),
    1042: pa.string(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
}


def pg_type(kind: pa.DataType) -> str:
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    if pa.types.is_integer(kind):
        return "BIGINT"
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "DOUBLE PRECISION"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMPTZ" if kind.tz else "TIMESTAMP"
    if pa.types.is_date(kind):
        return "DATE"
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return pg_type(kind.value_type) + "[]"
    return "VARCHAR"  # as the schema's columns: varchar[] and text[] have no = between them


def copy_into_temp(con, name: str, table: pa.Table) -> None:
    """``table`` as a new temporary table ``name`` (replacing one of that name)."""
    from psycopg import sql as pgsql

    columns = pgsql.SQL(", ").join(
        pgsql.SQL("{} {}").format(pgsql.Identifier(f.name), pgsql.SQL(pg_type(f.type)))
        for f in table.schema
    )
    con.execute(pgsql.SQL("DROP TABLE IF EXISTS {}").format(pgsql.Identifier(name)))
    con.execute(pgsql.SQL("CREATE TEMP TABLE {} ({})").format(pgsql.Identifier(name), columns))
    copy = pgsql.SQL("COPY {} FROM STDIN").format(pgsql.Identifier(name))
    with con.cursor() as cur, cur.copy(copy) as out:
        for row in zip(*(c.to_pylist() for c in table.columns), strict=True):
            out.write_row(row)


def insert_rows(con, target: str, columns: tuple[str, ...] | None, rows: pa.Table):
    """Insert ``rows`` into the server table ``target`` (into ``columns``, else all of its
    columns in order). They are staged with the types DuckDB computed (a column of NULLs
    with the target's type), then cast to the target's types as DuckDB's INSERT would: a
    DOUBLE into a BIGINT rounds, text into a JSON column parses. Answers the INSERT's cursor."""
    from psycopg import sql as pgsql

    types = dict(
        con.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            [target],
        ).fetchall()
    )
    names = [c.lower() for c in columns] if columns else list(types)  # unquoted: folded
    staged = [
        types[name] if pa.types.is_null(field.type) else pg_type(field.type)
        for name, field in zip(names, rows.schema, strict=True)
    ]
    staging, table = pgsql.Identifier("_switchyard_rows"), pgsql.Identifier(target)
    con.execute(pgsql.SQL("DROP TABLE IF EXISTS {}").format(staging))
    con.execute(
        pgsql.SQL("CREATE TEMP TABLE {} ({})").format(
            staging,
            pgsql.SQL(", ").join(
                pgsql.SQL("{} {}").format(pgsql.Identifier(n), pgsql.SQL(t))
                for n, t in zip(names, staged, strict=True)
            ),
        )
    )
    with con.cursor() as cur, cur.copy(pgsql.SQL("COPY {} FROM STDIN").format(staging)) as out:
        for row in zip(*(c.to_pylist() for c in rows.columns), strict=True):
            out.write_row(row)
    cast = pgsql.SQL(", ").join(
        pgsql.SQL("CAST({} AS {})").format(pgsql.Identifier(n), pgsql.SQL(types[n])) for n in names
    )
    listed = pgsql.SQL(", ").join(map(pgsql.Identifier, names))
    cur = con.cursor()
    cur.execute(
        pgsql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(table, listed, cast, staging)
    )
    con.execute(pgsql.SQL("DROP TABLE {}").format(staging))
    return cur


def arrow_table(data: Any) -> pa.Table:
    return data.read_all() if isinstance(data, pa.RecordBatchReader) else data


def plain_row(row: tuple) -> tuple:
    if any(isinstance(v, Decimal) for v in row):
        return tuple(float(v) if isinstance(v, Decimal) else v for v in row)
    return row


def as_duckdb(exc: Exception) -> Exception:
    """The DuckDB exception that means what ``exc`` (from psycopg) means."""
    import psycopg
    from psycopg import errors

    message = str(exc).strip()
    if isinstance(exc, errors.SerializationFailure | errors.DeadlockDetected):
        return duckdb.TransactionException(f"Conflict on PostgreSQL: {message}")
    if isinstance(exc, errors.InFailedSqlTransaction):
        return duckdb.TransactionException(message)
    if isinstance(exc, psycopg.IntegrityError):
        return duckdb.ConstraintException(f"Constraint Error: {message}")
    if isinstance(exc, psycopg.DataError):
        return duckdb.InvalidInputException(message)
    if isinstance(exc, psycopg.OperationalError):
        return duckdb.IOException(message)
    if isinstance(exc, psycopg.Error):
        return duckdb.Error(message)
    return exc


_adbc: dict[str, list[Any]] = {}  # idle ADBC connections per database
_adbc_lock = threading.Lock()


def read_arrow(url: str, text: str) -> pa.Table:
    """The result of ``text`` (values already in it) as Arrow, read by ADBC's PostgreSQL
    driver in the binary protocol; numeric columns as float64, as DuckDB's double."""
    import adbc_driver_postgresql.dbapi as adbc

    with _adbc_lock:
        idle = _adbc.setdefault(url, [])
        con = idle.pop() if idle else None
    if con is None:
        con = adbc.connect(url)
        with con.cursor() as cur:
            cur.execute("SET jit = off")  # as the pool's sessions (pg_pool.SESSION_OPTIONS)
        con.commit()
    try:
        with con.cursor() as cur:
            cur.execute(text)
            table = cur.fetch_arrow_table()
        con.rollback()  # end the read's transaction (ADBC's DB-API opens one)
    except Exception as exc:
        con.close()
        raise duckdb.Error(str(exc).strip()) from exc
    with _adbc_lock:
        _adbc.setdefault(url, []).append(con)
    return _plain_types(table)


def _plain_types(table: pa.Table) -> pa.Table:
    """PostgreSQL's opaque types (numeric, json, interval) as plain Arrow columns."""
    columns, fields = [], []
    for field, column in zip(table.schema, table.columns, strict=True):
        if isinstance(field.type, pa.ExtensionType) or type(field.type).__name__ == "OpaqueType":
            storage = pa.chunked_array(
                [c.storage for c in column.chunks], type=field.type.storage_type
            )
            meta = field.metadata or {}
            column = (
                storage.cast(pa.float64())
                if meta.get(b"POSTGRESQL:type") == b"numeric"
                else storage
            )
        columns.append(column)
        fields.append(pa.field(field.name, column.type))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def close_arrow_connections() -> None:
    with _adbc_lock:
        for idle in _adbc.values():
            for con in idle:
                con.close()
        _adbc.clear()
