"""PostgreSQL: opening a server database and applying its numbered schema migrations.

Each DuckDB migration in core/store/schema/ has a PostgreSQL variant of the same number and
name in core/store/schema/postgresql/, applied by the same rule: in order, each in one
transaction with its schema_migrations row. psycopg 3 speaks to the server; values are
always bound.
"""

from __future__ import annotations

import re
from pathlib import Path

from core.store.db import DatabaseError, migrations

PG_SCHEMA_DIR = Path(__file__).parent / "schema" / "postgresql"
FUNCTIONS = Path(__file__).parent / "schema" / "functions" / "postgresql.sql"
_URL = re.compile(r"^postgres(?:ql)?://")


def is_url(target: str | None) -> bool:
    """Whether a database setting names a PostgreSQL server rather than a DuckDB file."""
    return bool(target and _URL.match(target))


def shown(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def connect(url: str):
    """A psycopg connection with the schema brought up to date (autocommit off)."""
    import psycopg  # only where PostgreSQL is used: the app on a DuckDB file never loads it

    try:
        con = psycopg.connect(url, connect_timeout=10)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(
            f"cannot connect to PostgreSQL at {shown(url)}: {first}; check that the server"
            " runs, and the address and credentials in that URL (--db, --to, --from or"
            " SWITCHYARD_DB)"
        ) from None
    migrate(con)
    return con


_migrated: set[str] = set()


def open_store(url: str):
    """A connection to the PostgreSQL database at ``url`` answering as DuckDB's does
    (core.store.pg_connection), its schema brought up to date once per process."""
    from core.store.pg_connection import PgConnection

    if url not in _migrated:
        connect(url).close()
        _migrated.add(url)
    try:
        con = PgConnection(url)
    except Exception as exc:
        raise DatabaseError(f"cannot connect to PostgreSQL at {shown(url)}: {exc}") from None
    return con


def pg_migrations() -> list[tuple[int, str, str]]:
    """The PostgreSQL variants, each checked against its DuckDB migration's number and name."""
    duck = {number: name for number, name, _sql in migrations()}
    found = []
    for path in sorted(PG_SCHEMA_DIR.glob("*.sql")):
        number = int(path.name[:3])
        if duck.get(number) != path.stem:
            raise ValueError(f"{path.name} has no DuckDB migration of the same number and name")
        found.append((number, path.stem, path.read_text()))
    missing = sorted(set(duck) - {n for n, _name, _sql in found})
    if missing:
        raise ValueError(f"migrations {missing} have no PostgreSQL variant in {PG_SCHEMA_DIR}")
    return found


def migrate(con) -> list[str]:
    """Apply pending migrations, each in one transaction with its schema_migrations row.
    An advisory lock keeps two processes starting at once from applying one twice."""
    names = []
    with con.transaction():
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY,"
            " name VARCHAR NOT NULL,"
            " applied_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'))"  # UTC, as DuckDB
        )
    for number, name, sql in pg_migrations():
        with con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(20261201)")
            done = con.execute(
                "SELECT 1 FROM schema_migrations WHERE number = %s", [number]
            ).fetchone()
            if done:
                continue
            con.execute(sql.encode())  # several statements: psycopg sends them as one
            con.execute(
                "INSERT INTO schema_migrations (number, name) VALUES (%s, %s)", [number, name]
            )
        names.append(name)
    with con.transaction():
        con.execute("SELECT pg_advisory_xact_lock(20261201)")
        con.execute(FUNCTIONS.read_text().encode())
    return names
