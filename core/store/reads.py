"""Analyses over millions of rows run in DuckDB on either backend.

A per-item pivot of a million items' judge scores takes PostgreSQL several times as long as
DuckDB, and reading the rows it needs as Arrow costs less than the pivot there. ``frame`` runs
an analysis statement on the DuckDB file itself, or, on PostgreSQL, in an in-process DuckDB
over just the rows and columns the statement reads (``Read``), fetched through ADBC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def frame(con: Any, sql: str, params: Sequence[Any], reads: Mapping[str, Read]) -> pd.DataFrame:
    """``sql`` (DuckDB's dialect) as a DataFrame: on the DuckDB file ``con``, or over
    ``reads`` (table name -> its rows) in an in-process DuckDB when ``con`` is PostgreSQL."""
    if not on_postgres(con):
        return con.execute(sql, list(params)).df()
    local = duckdb.connect(":memory:")
    try:
        for name, read in reads.items():
            local.register(name, con.execute(read.sql, list(read.params)).arrow())
        return local.execute(sql, list(params)).df()
    finally:
        local.close()
