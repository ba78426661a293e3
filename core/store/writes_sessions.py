"""Writers of the sign-in session table (see core.store.writes, which re-exports every name
here)."""

from __future__ import annotations

import duckdb


def insert_session(con: duckdb.DuckDBPyConnection, sid: str, username: str, hours: float) -> None:
    """Record a sign-in's server-side session (its id is a claim in the cookie)."""
    insert = "INSERT INTO session (session_id, username, expires_at) VALUES (?, ?, "
    con.execute(insert + "current_timestamp + to_seconds(? * 3600))", [sid, username, hours])


def update_session(con: duckdb.DuckDBPyConnection, user: str, sid: str | None, ended=None) -> None:
    """Note a page run of ``sid``, or end it for ``ended`` (all ``user``'s if ``sid`` is None)."""
    con.execute(
        "UPDATE session SET last_seen = if($1 IS NULL, current_timestamp, last_seen),"
        " ended_at = if($1 IS NULL, NULL, current_timestamp), ended_why = $1"
        " WHERE username = $2 AND ended_at IS NULL AND ($3 IS NULL OR session_id = $3)",
        [ended, user, sid],
    )


def insert_grant(con: duckdb.DuckDBPyConnection, digest: str, sid: str, seconds: float) -> None:
    """Record a single-use grant (its sha256 only) that sets ``sid``'s cookie."""
    insert = "INSERT INTO session_grant (grant_hash, session_id, expires_at) VALUES (?, ?, "
    con.execute(insert + "current_timestamp + to_seconds(?))", [digest, sid, seconds])


def use_grant(con: duckdb.DuckDBPyConnection, digest: str) -> str | None:
    """Spend an unused, unexpired grant: its session id, else None (used, expired, unknown)."""
    row = con.execute(
        "UPDATE session_grant SET used_at = current_timestamp WHERE grant_hash = ?"
        " AND used_at IS NULL AND expires_at > current_timestamp::TIMESTAMP"
        " RETURNING session_id",
        [digest],
    ).fetchone()
    return None if row is None else str(row[0])
