"""Analyses over millions of rows run in DuckDB on either backend.

A per-item pivot of a million items' judge scores takes PostgreSQL several times as long as
DuckDB, and reading the rows it needs as Arrow costs less than the pivot there. ``frame`` runs
an analysis statement on the DuckDB file itself, or, on PostgreSQL, in an in-process DuckDB
over just the rows and columns the statement reads (``Read``), fetched through ADBC;
``Local`` runs several over the same rows, read once. Rows that cannot change (a frozen
dataset version's items) are kept per process once read (``Read.kept_as``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from core.store.writes_common import on_postgres


@dataclass(frozen=True)
class Read:
    """The rows of one table an analysis needs: a SELECT on the server and its values. It must
    keep every column and row the statement reads (on a DuckDB file it is not used)."""

    sql: str
    params: Sequence[Any] = ()
    # Set only for rows that cannot change, named by what fixes them (a frozen dataset
    # version's id and content hash): read once per process, database and statement, then kept.
    kept_as: tuple | None = None


# A million items' ids, strata, splits and tags take about 60 MB as Arrow: keep a few.
_KEEP = 2
_kept: OrderedDict[tuple, Any] = OrderedDict()
_kept_lock = threading.Lock()


class Local:
    """Several analysis statements over the same rows: on the DuckDB file they run on it; on
    PostgreSQL every ``Read`` is fetched once, on entry, into an in-process DuckDB that they
    all run in. Use as a context manager; ``execute`` answers a DuckDB cursor."""

    def __init__(self, con: Any, reads: Mapping[str, Read]):
        self._con, self._reads = con, reads
        self._local: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> Local:
        if on_postgres(self._con):
            self._local = duckdb.connect(":memory:")
            try:
                # at once, each on its own connection: the server encodes one table's rows
                # while this process decodes another's
                with ThreadPoolExecutor(max_workers=min(len(self._reads), 3) or 1) as pool:
                    fetched = pool.map(self._fetch, self._reads.values())
                    for name, rows in zip(self._reads, fetched, strict=True):
                        self._local.register(name, rows)
            except BaseException:
                self.__exit__()
                raise
        return self

    def _fetch(self, read: Read) -> Any:
        key = (
            None if read.kept_as is None else (self._con.url, read.sql, *read.params, *read.kept_as)
        )
        if key is not None:
            with _kept_lock:
                if key in _kept:
                    _kept.move_to_end(key)
                    return _kept[key]
        con = self._con.cursor()
        try:
            rows = con.execute(read.sql, list(read.params)).arrow()
        finally:
            con.close()
        if key is not None:
            with _kept_lock:
                _kept[key] = rows
                while len(_kept) > _KEEP:
                    _kept.popitem(last=False)
        return rows

    def __exit__(self, *_: object) -> None:
        if self._local is not None:
            self._local.close()
            self._local = None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return (self._local or self._con).execute(sql, list(params))


def frame(con: Any, sql: str, params: Sequence[Any], reads: Mapping[str, Read]) -> pd.DataFrame:
    """``sql`` (DuckDB's dialect) as a DataFrame: on the DuckDB file ``con``, or over
    ``reads`` (table name -> its rows) in an in-process DuckDB when ``con`` is PostgreSQL."""
    with Local(con, reads) as local:
        return local.execute(sql, params).df()
