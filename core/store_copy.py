"""Moving a database: every table from a DuckDB file to PostgreSQL, or back, verified.

The target is brought to the current schema and must hold no data; tables are copied parents
first (the order the migrations create them) in one transaction, sequences are moved past the
highest key copied, and then the copy is checked: every table's row count and an
order-independent fingerprint of its rows read back from the target, and every frozen dataset
version's content hash recomputed from the target's items. Anything that differs rolls the
copy back (PostgreSQL) or removes the new file (DuckDB): nothing half-copied is left behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from core.catalog import datasets
from core.errors import InputError
from core.store import db, pg, sql

_CREATE = re.compile(r"^\s*CREATE TABLE (\w+)", re.IGNORECASE | re.MULTILINE)
_NEXTVAL = re.compile(r"nextval\('(\w+)'")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    sequence: tuple[str, str] | None = None  # (sequence, column) when a key comes from one


@dataclass
class CopyResult:
    source: str
    target: str
    rows: dict[str, int] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)  # dataset_id -> sha256, verified
    fingerprints: dict[str, int] = field(default_factory=dict)  # table -> digest of its rows

    def summary(self) -> str:
        total = sum(self.rows.values())
        hashes = (
            "the content hash of 1 dataset version was recomputed from the copy and matches"
            if len(self.hashes) == 1
            else f"the content hashes of {len(self.hashes):,} dataset versions were recomputed"
            " from the copy and match"
        )
        return (
            f"copied {total:,} rows in {len(self.rows)} tables from {self.source} to"
            f" {self.target}; row counts and row fingerprints match, and {hashes}"
        )


def tables() -> list[Table]:
    """Every data table with its columns in schema order, parents first."""
    ordered = [m for _n, _name, sql in db.migrations() for m in _CREATE.findall(sql)]
    con = duckdb.connect(":memory:")
    try:
        db.migrate(con)
        found = []
        for name in ordered:
            cols = con.execute(
                "SELECT column_name, column_default FROM information_schema.columns"
                " WHERE table_name = ? ORDER BY ordinal_position",
                [name],
            ).fetchall()
            sequence = next(((m[1], c) for c, d in cols if d and (m := _NEXTVAL.search(d))), None)
            found.append(Table(name, tuple(c for c, _d in cols), sequence))
        return found
    finally:
        con.close()


# --- one end of the copy: a DuckDB file or a PostgreSQL database -------------------------------


class DuckEnd:
    def __init__(self, path: str) -> None:
        self.label, self.path = Path(path).name, path
        self.con = db.connect(path)

    def batches(self, table: Table) -> Iterator[list[tuple]]:
        cursor = self.con.execute(select_all(table))
        while rows := cursor.fetchmany(10_000):
            yield rows

    def write(self, table: Table, rows: list[tuple]) -> None:
        import pyarrow as pa  # DuckDB inserts an Arrow batch at once, not row by row

        values = zip(*rows, strict=True)
        batch = pa.table({c: pa.array(list(v)) for c, v in zip(table.columns, values, strict=True)})
        self.con.register("copy_batch", batch)
        try:
            self.con.execute(_insert(table)).fetchall()  # read to the end: it closes
        finally:
            self.con.unregister("copy_batch")

    def begin(self) -> None:
        self.con.execute("BEGIN TRANSACTION")

    def commit(self) -> None:
        self.con.execute("COMMIT")

    def rollback(self) -> None:
        self.con.execute("ROLLBACK")

    def move_sequence(self, sequence: str, value: int) -> None:
        self.con.execute("SELECT setval(?, ?)", [sequence, value]).fetchall()

    def query(self, statement: str, params: list[Any]) -> list[tuple]:
        return self.con.execute(statement, params).fetchall()

    def close(self) -> None:
        self.con.close()


class PgEnd:
    def __init__(self, url: str) -> None:
        from psycopg.types.json import set_json_loads

        self.label = pg.shown(url)
        self.con = pg.connect(url)
        # JSON is copied as its text, byte for byte: parsed and dumped again it could differ.
        set_json_loads(
            lambda data: data if isinstance(data, str) else bytes(data).decode(), self.con
        )

    def batches(self, table: Table) -> Iterator[list[tuple]]:
        with self.con.cursor(name=f"copy_{table.name}") as cursor:  # server-side: streamed
            cursor.execute(select_all(table).encode())
            while rows := cursor.fetchmany(10_000):
                yield rows

    def write(self, table: Table, rows: list[tuple]) -> None:
        with self.con.cursor().copy(copy_in(table)) as out:
            for row in rows:
                out.write_row(row)

    def begin(self) -> None:
        pass  # psycopg opens a transaction with the first statement

    def commit(self) -> None:
        self.con.commit()
        # Planner statistics for the copied rows: without them the first queries over a
        # million rows are planned as if the tables were empty (minutes instead of seconds).
        # VACUUM too: it sets the rows' visibility once, here, instead of autovacuum and the
        # first readers doing it under the app's first sign-offs (18-19 s instead of 14.6 s).
        # The copy is in by now: a failure here costs only speed (autovacuum comes by later).
        self.con.autocommit = True
        try:
            self.con.execute("VACUUM (ANALYZE)")
        except Exception as exc:  # the copy is committed: say so, do not fail it
            logging.getLogger(__name__).warning(
                "the copy is complete, but VACUUM (ANALYZE) after it failed (%s); autovacuum"
                " will come by, or run it on %s",
                str(exc).strip(),
                self.label,
            )
        finally:
            self.con.autocommit = False

    def rollback(self) -> None:
        self.con.rollback()

    def move_sequence(self, sequence: str, value: int) -> None:
        self.con.execute("SELECT setval(%s, %s)", [sequence, value])

    def query(self, statement: str, params: list[Any]) -> list[tuple]:
        cursor = self.con.execute(statement.replace("?", "%s").encode(), params)
        return cursor.fetchall() if cursor.description else []  # a DELETE returns no rows

    def close(self) -> None:
        self.con.close()


def _json_text(data: str | bytes) -> str:
    return data if isinstance(data, str) else bytes(data).decode()


def _columns(table: Table) -> sql.Sql:
    return sql.join(", ", [sql.name(c) for c in table.columns])


def select_all(table: Table) -> str:
    return str(sql.compose("SELECT {cols} FROM {t}", cols=_columns(table), t=sql.name(table.name)))


def _insert(table: Table) -> str:
    return str(
        sql.compose(
            "INSERT INTO {t} ({cols}) SELECT {cols} FROM copy_batch",
            t=sql.name(table.name),
            cols=_columns(table),
        )
    )


def copy_in(table: Table) -> bytes:
    statement = sql.compose(
        "COPY {t} ({cols}) FROM STDIN", t=sql.name(table.name), cols=_columns(table)
    )
    return str(statement).encode()


def open_end(where: str) -> DuckEnd | PgEnd:
    return PgEnd(where) if pg.is_url(where) else DuckEnd(where)


# --- the copy --------------------------------------------------------------------------------


def _fingerprint(rows: list[tuple]) -> int:
    """An order-independent digest of rows: the sum of each row's sha256, mod 2**256."""
    total = 0
    for row in rows:
        text = json.dumps([_canonical(v) for v in row], ensure_ascii=False, default=str)
        total += int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
    return total % (1 << 256)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _is_empty(end: DuckEnd | PgEnd, schema: list[Table]) -> list[str]:
    """The tables of ``end`` that hold rows (metrics seeded on connect are not data)."""
    held = []
    for table in schema:
        if table.name in ("metric", "metric_alias"):
            continue
        statement = sql.compose("SELECT count(*) FROM {t}", t=sql.name(table.name))
        if end.query(str(statement), [])[0][0]:
            held.append(table.name)
    return held


def copy(source: str, target: str, *, progress: Progress | None = None) -> CopyResult:
    """Copy every table of ``source`` into the empty ``target`` and verify the copy."""
    if source == target:
        raise InputError("store copy", "--from and --to name the same database")
    if not pg.is_url(source) and not Path(source).is_file():
        raise InputError("store copy", f"--from {source}: no such database file")
    schema = tables()
    src = open_end(source)
    created = not pg.is_url(target) and not Path(target).exists()
    try:
        dst = open_end(target)
    except BaseException:
        src.close()
        raise
    result = CopyResult(src.label, dst.label)
    try:
        held = _is_empty(dst, schema)
        if held:
            raise InputError(
                "store copy",
                f"{dst.label} already holds data (in {', '.join(held[:5])}); copy into a new"
                " database so nothing is mixed or overwritten",
            )
        dst.begin()
        try:
            _copy_tables(src, dst, schema, result, progress)
            _verify(dst, schema, result, progress)
            dst.commit()
        except BaseException:
            dst.rollback()
            raise
    except BaseException:
        dst.close()
        src.close()
        if created:  # nothing half-copied is left behind
            for leftover in (Path(target), Path(target + ".wal")):
                leftover.unlink(missing_ok=True)
        raise
    dst.close()
    src.close()
    return result


SEEDED = ("metric_alias", "metric")  # filled on connect; replaced by the source's own rows


def _copy_tables(
    src: DuckEnd | PgEnd,
    dst: DuckEnd | PgEnd,
    schema: list[Table],
    result: CopyResult,
    progress: Progress | None,
) -> None:
    for name in SEEDED:
        dst.query(str(sql.compose("DELETE FROM {t}", t=sql.name(name))), [])
    for table in schema:
        count, digest = 0, 0
        for rows in src.batches(table):
            dst.write(table, rows)
            count += len(rows)
            digest = (digest + _fingerprint(rows)) % (1 << 256)
        result.rows[table.name] = count
        result.fingerprints[table.name] = digest
        if table.sequence and count:
            sequence, column = table.sequence
            top = sql.compose(
                "SELECT max({c}) FROM {t}", c=sql.name(column), t=sql.name(table.name)
            )
            dst.move_sequence(sequence, int(dst.query(str(top), [])[0][0]))
        if progress:
            progress(f"{table.name}: {count:,} rows")


def _verify(
    dst: DuckEnd | PgEnd, schema: list[Table], result: CopyResult, progress: Progress | None
) -> None:
    """Read the copy back: the same rows in every table, and each dataset's content hash."""
    for table in schema:
        count, digest = 0, 0
        for rows in dst.batches(table):
            count += len(rows)
            digest = (digest + _fingerprint(rows)) % (1 << 256)
        if (count, digest) != (result.rows[table.name], result.fingerprints[table.name]):
            raise InputError(
                "store copy",
                f"{table.name} differs after the copy ({count:,} rows read back of"
                f" {result.rows[table.name]:,}, or their values changed); nothing was kept",
            )
    for dataset_id, stored in dst.query("SELECT dataset_id, sha256 FROM dataset", []):
        items = dst.query(
            "SELECT item_id, prompt, context, ground_truth, stratum, split, tags FROM item"
            " WHERE dataset_id = ?",
            [dataset_id],
        )
        found = datasets.content_hash([tuple(r) for r in items])
        if found != stored:
            raise InputError(
                "store copy",
                f"dataset {dataset_id}: its items hash to {found} on the copy, but its recorded"
                f" sha256 is {stored}; nothing was kept",
            )
        result.hashes[dataset_id] = found
    if progress:
        progress(f"verified {len(schema)} tables and {len(result.hashes)} dataset content hashes")
