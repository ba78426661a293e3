"""Sign-in sessions with a server side, and the throttle on failed sign-ins.

A sign-in creates a ``session`` row; its id travels as a claim in the signed cookie, and every
page run checks the row (``check``), so sign-out, a password or role change and disabling the
user end it at once, whatever copies of the cookie exist. The cookie is set by the server
(HttpOnly, so page scripts cannot read it): the page script that checked the password makes a
single-use ``grant`` (a minute, only its hash stored) and sends the browser to a route of
serve.py that ``redeem``s it for the cookie (``cookie_value``, read back by ``read_cookie``).

Failed sign-ins are counted per username from the audit trail, since the last success or
unlock: each failure makes the next attempt wait longer (1, 2, 4, ... seconds, at most
``MAX_WAIT``), and ``LOCK_AFTER`` failures lock the name until an admin unlocks it. Unknown
usernames are counted and answered the same way, so the answers do not tell which users exist.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import secrets
import time
from dataclasses import dataclass

import bcrypt
import duckdb
import jwt

from core.errors import SwitchyardError
from core.store import db, writes

LOCK_AFTER = 10  # failures in a row; lockout stops guessing, 10 spares a clumsy typist
MAX_WAIT = 30  # seconds between attempts at most, before the lock
SEEN_EVERY = 60  # seconds: last_seen is written at most this often, not at every click
MAX_NAME = 64  # characters of a claimed username kept in the audit trail
WRONG = "Username or password is wrong."
GRANT_SECONDS = 60  # from the password check to the cookie route: one redirect
SET_BY = "server"  # the cookie claim a server-set cookie carries (page-set ones lacked it)


class SignInRefused(SwitchyardError):
    """A sign-in that did not happen; the message is safe to show as it is."""


@dataclass(frozen=True)
class Session:
    session_id: str
    username: str


@dataclass(frozen=True)
class Throttle:
    failures: int  # since the last sign-in or unlock
    wait: float  # seconds before the next attempt is checked
    locked: bool


def delay(failures: int) -> float:
    """Seconds the next attempt waits after ``failures`` failures: 0, 1, 2, 4, ... MAX_WAIT."""
    return 0.0 if failures <= 0 else float(min(2 ** (failures - 1), MAX_WAIT))


def throttle(con: duckdb.DuckDBPyConnection, username: str) -> Throttle:
    """Failures of ``username`` since its last sign-in or unlock, and what they cost now."""
    failures, since = con.execute(
        "SELECT count(*), min(date_diff('millisecond', at_time, current_timestamp::TIMESTAMP))"
        " FROM audit WHERE entity = 'app_user' AND entity_id = $1 AND action = 'sign_in_failed'"
        " AND seq > (SELECT coalesce(max(seq), 0) FROM audit WHERE entity = 'app_user'"
        " AND entity_id = $1 AND action IN ('sign_in', 'unlock_user'))",
        [username],
    ).fetchone() or (0, None)
    wait = 0.0 if since is None else max(0.0, delay(failures) - since / 1000)
    return Throttle(failures, wait, failures >= LOCK_AFTER)


def locked_users(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Usernames locked by failed sign-ins, for the Users page and the CLI."""
    rows = con.execute(
        "WITH reset AS (SELECT entity_id, max(seq) AS seq FROM audit WHERE entity = 'app_user'"
        " AND action IN ('sign_in', 'unlock_user') GROUP BY entity_id)"
        " SELECT a.entity_id FROM audit a LEFT JOIN reset r USING (entity_id)"
        " WHERE a.entity = 'app_user' AND a.action = 'sign_in_failed'"
        " AND a.seq > coalesce(r.seq, 0) GROUP BY a.entity_id HAVING count(*) >= ? ORDER BY 1",
        [LOCK_AFTER],
    ).fetchall()
    return [name for (name,) in rows]


def sign_in(con: duckdb.DuckDBPyConnection, username: str, password: str, hours: float) -> Session:
    """Check the password and start a session of ``hours``; else raise SignInRefused.

    Every attempt is audited: sign_in, sign_in_failed (wrong password, unknown or disabled
    user), sign_in_refused (throttled or locked), and lock_user when a failure locks the name.
    """
    name = username.strip()[:MAX_NAME]
    state = throttle(con, name)
    if state.locked or state.wait > 0:
        why = "locked" if state.locked else "throttled"
        with db.transaction(con):
            writes.audit(con, "system", "sign_in_refused", "app_user", name, after={"why": why})
        if state.locked:
            raise SignInRefused(
                f"Sign-in is locked after {LOCK_AFTER} failed attempts: an admin can unlock it"
                " on the Users page."
            )
        raise SignInRefused(
            f"Too many failed sign-ins: wait {math.ceil(state.wait)} s and try again."
        )
    why = _password_problem(con, name, password)
    if why:
        with db.transaction(con):
            writes.audit(con, "system", "sign_in_failed", "app_user", name, after={"why": why})
            if state.failures + 1 >= LOCK_AFTER:
                after = {"failures": state.failures + 1}
                writes.audit(con, "system", "lock_user", "app_user", name, after=after)
        raise SignInRefused(WRONG)
    return start(con, name, hours, via="password")


@functools.cache
def _decoy_hash() -> bytes:
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt())


def _password_problem(con: duckdb.DuckDBPyConnection, username: str, password: str) -> str:
    """'' when ``password`` is the enabled user's; else what is wrong (for the audit)."""
    row = con.execute(
        "SELECT password_hash, disabled FROM app_user WHERE username = ?", [username]
    ).fetchone()
    stored = row[0].encode() if row else _decoy_hash()  # the same bcrypt time either way
    try:
        matches = bcrypt.checkpw(password.encode(), stored)
    except ValueError:  # bcrypt 5 refuses passwords over 72 bytes
        matches = False
    if row is None:
        return "unknown user"
    if not matches:
        return "password"
    return "disabled" if row[1] else ""


def start(con: duckdb.DuckDBPyConnection, username: str, hours: float, *, via: str) -> Session:
    """A new session of ``username`` for ``hours`` (the caller has checked who they are)."""
    session = Session(secrets.token_urlsafe(32), username)
    with db.transaction(con):
        writes.insert_session(con, session.session_id, username, hours)
        after = {"session": session.session_id[:8], "via": via, "hours": hours}
        writes.audit(con, username, "sign_in", "app_user", username, after=after)
    return session


def check(con: duckdb.DuckDBPyConnection, session_id: str, username: str) -> bool:
    """Whether ``session_id`` is an open, unexpired session of ``username``, an enabled user."""
    row = con.execute(
        "SELECT date_diff('second', s.last_seen, current_timestamp::TIMESTAMP) FROM session s"
        " JOIN app_user u USING (username) WHERE s.session_id = ? AND s.username = ?"
        " AND s.ended_at IS NULL AND s.expires_at > current_timestamp::TIMESTAMP"
        " AND NOT u.disabled",
        [session_id, username],
    ).fetchone()
    if row is None:
        return False
    if row[0] >= SEEN_EVERY:
        # another page run of this session writing it just now is as good
        with contextlib.suppress(duckdb.TransactionException):
            writes.update_session(con, username, session_id)
    return True


def sign_out(con: duckdb.DuckDBPyConnection, session_id: str, username: str) -> None:
    """End this session: its cookie, and every copy of it, no longer signs in."""
    with db.transaction(con):
        writes.update_session(con, username, session_id, "sign_out")
        after = {"session": session_id[:8]}
        writes.audit(con, username, "sign_out", "app_user", username, after=after)


def unlock(con: duckdb.DuckDBPyConnection, username: str, *, actor: str) -> bool:
    """Lift the lock (and the failure count) on ``username``; False when it was not locked."""
    state = throttle(con, username)
    with db.transaction(con):
        after = {"failures": state.failures, "locked": state.locked}
        writes.audit(con, actor, "unlock_user", "app_user", username, after=after)
    return state.locked


def grant(con: duckdb.DuckDBPyConnection, session: Session) -> str:
    """A single-use grant (good for GRANT_SECONDS) that the cookie route exchanges for
    ``session``'s cookie; only its sha256 is stored."""
    token = secrets.token_urlsafe(32)
    with db.transaction(con):
        writes.insert_grant(con, _digest(token), session.session_id, GRANT_SECONDS)
    return token


def redeem(con: duckdb.DuckDBPyConnection, token: str) -> Session | None:
    """The open session ``token`` grants, once; None for a used, expired or unknown grant, or
    a session ended meanwhile."""
    with db.transaction(con):
        session_id = writes.use_grant(con, _digest(token))
    if session_id is None:
        return None
    row = con.execute(
        "SELECT username FROM session WHERE session_id = ? AND ended_at IS NULL"
        " AND expires_at > current_timestamp::TIMESTAMP",
        [session_id],
    ).fetchone()
    return None if row is None else Session(session_id, row[0])


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cookie_value(session: Session, key: str, hours: float) -> str:
    """The signed cookie: who, which session, until when, and that the server set it."""
    claims = {"username": session.username, "sid": session.session_id, "set_by": SET_BY}
    return jwt.encode({**claims, "exp_date": time.time() + hours * 3600}, key, algorithm="HS256")


def read_cookie(token: str | None, key: str) -> Session | None:
    """The session a validly signed, unexpired, server-set cookie names; else None. The caller
    still checks the session's row (``check``): the cookie alone proves nothing lasting."""
    if not token:
        return None
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    username, session_id, expires = (
        claims.get("username"),
        claims.get("sid"),
        claims.get("exp_date"),
    )
    if not (isinstance(username, str) and isinstance(session_id, str)):
        return None  # no session id: a cookie from before sessions, or forged
    if claims.get("set_by") != SET_BY:
        return None  # a cookie a page script set (before HttpOnly): sign in again
    if not isinstance(expires, int | float) or expires <= time.time():
        return None
    return Session(session_id, username)
