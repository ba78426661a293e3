"""Opening the DuckDB store and applying its numbered schema migrations.

One connection per process; each unit of work (a Streamlit script run, a CLI command)
takes its own ``con.cursor()``: a DuckDB connection shared across threads fails.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

from core.errors import DatabaseLockedError, SwitchyardError
from core.store import settings


class DatabaseError(SwitchyardError):
    """The database file cannot be opened or written: the path, permissions or disk."""


SCHEMA_DIR = Path(__file__).parent / "schema"
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


# What to do when another process holds the file: the CLI is usually blocked by the app.
CLI_ADVICE = (
    "is the Switchyard app running? Stop the app and retry, or set SWITCHYARD_DB to another"
    " file. For the app and the command line at once, put the database on PostgreSQL"
    " (README: Running for a team)."
)
# DuckDB names the holder: 'Conflicting lock is held in /usr/bin/python3 (PID 123)'.
_HOLDER = re.compile(r"held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def connect(
    path: str | None = None, *, wait_s: float = 0.0, advice: str = CLI_ADVICE
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database at ``path`` and bring its schema up to date.

    A file another process holds is tried again for ``wait_s`` seconds (a command-line
    import ends soon), then is a DatabaseLockedError naming the holder and ``advice``.
    """
    path = path or settings.db_path()
    if re.match(r"^postgres(ql)?://", path):
        from core.catalog import metrics
        from core.store import pg

        con = pg.open_store(path)
        metrics.seed(con)
        return con
    try:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        con = _open(path, wait_s, advice)
    except OSError as exc:  # a folder that cannot be made, a full or read-only disk
        raise DatabaseError(
            f"cannot open the database {path}: {exc.strerror or exc}; check the path, its"
            " permissions and the free disk space, or set SWITCHYARD_DB to another file"
        ) from None
    con.execute("SET enable_progress_bar = false")  # the CLI prints its own progress
    migrate(con)
    from core.catalog import metrics  # imported here: core.metrics writes through this module

    metrics.seed(con)
    # An open result keeps every later transaction's undo memory alive (ui.store): end it.
    con.execute("SELECT 1").fetchall()
    return con


def _open(path: str, wait_s: float, advice: str) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return duckdb.connect(path)
        except duckdb.IOException as exc:
            message = str(exc)
            if "lock" not in message.lower():
                raise DatabaseError(
                    f"cannot open the database {path}: {message.splitlines()[0]}; check the"
                    " file, its permissions and the free disk space"
                ) from None
            if time.monotonic() >= deadline:
                raise DatabaseLockedError(
                    f"database {path} is in use by another process ({holder(message)}); {advice}"
                ) from None
            time.sleep(0.5)


def holder(message: str) -> str:
    """Who holds the database, from DuckDB's lock error: 'python3.11, PID 123'."""
    found = _HOLDER.search(message)
    if not found:
        return "DuckDB does not say which"
    return f"{Path(found['program']).name}, PID {found['pid']}"


def migrations() -> list[tuple[int, str, str]]:
    """The schema migrations shipped with the code: (number, name, sql), in order."""
    found = []
    for path in sorted(SCHEMA_DIR.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file {path.name!r} must be named NNN_snake_case.sql")
        found.append((int(match.group(1)), path.stem, path.read_text()))
    return found


def applied(con: duckdb.DuckDBPyConnection) -> set[int]:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " number INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    return {row[0] for row in con.execute("SELECT number FROM schema_migrations").fetchall()}


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations, each in one transaction with its schema_migrations record."""
    done = applied(con)
    names = []
    for number, name, sql in migrations():
        if number in done:
            continue
        with transaction(con):
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations (number, name) VALUES (?, ?)", [number, name]
            )
        names.append(name)
    return names


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT, rolling back on any exception. A write the disk refuses (full,
    read-only, over a size limit) is a DatabaseError saying nothing was saved."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except duckdb.IOException as exc:
        _rollback(con)
        raise _unwritable(exc) from None
    except BaseException:
        _rollback(con)
        raise
    try:
        con.execute("COMMIT")
    except (duckdb.IOException, duckdb.TransactionException) as exc:
        if "could not write" not in str(exc).lower() and not isinstance(exc, duckdb.IOException):
            raise
        _rollback(con)
        raise _unwritable(exc) from None


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    # A failed COMMIT has already ended the transaction.
    with contextlib.suppress(duckdb.TransactionException):
        con.execute("ROLLBACK")


def _unwritable(exc: duckdb.Error) -> DatabaseError:
    detail = str(exc).strip().splitlines()[0].split("Failed to commit: ")[-1]
    return DatabaseError(
        f"the database could not be written ({detail}); nothing was saved. Free disk space"
        " (or check the file's permissions and size limits), then retry."
    )


@contextlib.contextmanager
def unordered_writes(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Let DuckDB write rows in any order (much faster bulk INSERTs on 2 cores).

    Only for writes: staging keeps file order, since row numbers in errors depend on it.
    """
    con.execute("SET preserve_insertion_order = false")
    try:
        yield con
    finally:
        con.execute("RESET preserve_insertion_order")


DATA_TABLES = (
    "dataset",
    "item",
    "model",
    "model_price",
    "prompt_version",
    "run",
    "output",
    "judge_score",
    "migration",
    "migration_run",
    "label",
    "audit",
    "app_user",
    "sample",
    "sample_item",
    "assignment",
    "judge_threshold",
    "pairwise_verdict",
    "pairwise_vote",
    "stakeholder",
    "approval",
    "safety_resolution",
    "canary_arm",
    "canary_file",
    "canary_request",
    "canary_score",
    "canary_stage",
    "canary_rollback",
    "canary_verdict",
    "canary_drill",
    "job",
    "job_log",
    "job_cancel",
)


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: Sequence[Any] = ()) -> Any:
    """The first value of the first row, for a query that always returns a row (a count)."""
    row = con.execute(query, list(params)).fetchone()
    if row is None:
        raise LookupError(f"expected a row from {query!r}")
    return row[0]


def row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per table: what tests compare to prove a rejected import wrote nothing."""
    return {t: scalar(con, f"SELECT count(*) FROM {t}") for t in DATA_TABLES}  # noqa: S608 - table names from the DATA_TABLES constant
