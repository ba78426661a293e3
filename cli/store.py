"""Store commands: ``store copy`` moves a database between a DuckDB file and PostgreSQL."""

from __future__ import annotations

import argparse
import sys

import duckdb

from core import store_copy as copy


def cmd_store(args: argparse.Namespace, _con: duckdb.DuckDBPyConnection | None) -> int:
    """Copy every table into an empty database and verify the copy (see core.store.copy)."""
    result = copy.copy(args.source, args.target, progress=lambda line: print(line, file=sys.stderr))
    for dataset_id, sha in sorted(result.hashes.items()):
        print(f"  {dataset_id}: sha256 {sha} (recomputed from the copy)", file=sys.stderr)
    print(result.summary())
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    st = sub.add_parser(
        "store", help="copy a database: DuckDB file to PostgreSQL (postgresql://...) or back"
    )
    st.add_argument("action", choices=["copy"])
    st.add_argument("--from", dest="source", required=True, help="DuckDB file or postgresql:// URL")
    st.add_argument("--to", dest="target", required=True, help="an empty or new database")


COMMANDS = {"store": cmd_store}
# Commands that name their own databases: the default database is not opened for them.
OWN_DATABASES = {"store"}
