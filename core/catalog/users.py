"""Users, roles and the sign-in configuration (bcrypt hashes only, audited changes).

The sign-in configuration (cookie name and key; the first users) is read from
``SWITCHYARD_AUTH_FILE``, else ``config/auth.yaml``, else the shipped example with the demo
users. Users are copied into the database on first start; after that the Users page manages
them. The cookie key is ``SWITCHYARD_COOKIE_KEY``, else the file's ``cookie.key``, else one
generated at random on first start and kept next to the database (owner-only, git-ignored);
the shipped example's published key is never used, and refused when configured unless the
demo is on.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import duckdb
import yaml

from core.errors import InputError, NotFoundError, SwitchyardError
from core.store import db, pg, settings, writes
from core.store.settings import ROOT
from core.types import ROLES

EXAMPLE_FILE = ROOT / "config" / "auth.example.yaml"
LOCAL_FILE = ROOT / "config" / "auth.yaml"
EXAMPLE_COOKIE_KEY = "example-cookie-key-replace-me"
KEY_FILE = ".switchyard_cookie_key"  # next to the database, mode 0600, git-ignored
MIN_PASSWORD = 10  # characters; long passphrases beat complexity rules
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,31}$")


@dataclass(frozen=True)
class AuthConfig:
    path: Path
    cookie_name: str
    cookie_key: str
    session_hours: float  # the SWITCHYARD_SESSION_HOURS setting; the file's expiry_days is unused
    users: dict  # username -> {name, email, password (bcrypt hash), roles}

    @property
    def example_key(self) -> bool:
        return self.cookie_key == EXAMPLE_COOKIE_KEY


@dataclass(frozen=True)
class User:
    username: str
    name: str
    email: str | None
    roles: tuple[str, ...]
    disabled: bool
    origin: str


def config_path() -> Path:
    configured = settings.get("auth_file")
    if configured:
        return Path(configured)
    return LOCAL_FILE if LOCAL_FILE.exists() else EXAMPLE_FILE


def load_config(path: Path | None = None) -> AuthConfig:
    """Read the sign-in configuration; a missing or malformed file is a clear error."""
    path = path or config_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        cookie = data["cookie"]
        users = data.get("credentials", {}).get("usernames", {}) or {}
    except FileNotFoundError:
        raise SwitchyardError(
            f"sign-in configuration {path} not found; copy {EXAMPLE_FILE.name} to config/auth.yaml"
        ) from None
    except (yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise SwitchyardError(
            f"sign-in configuration {path} is malformed ({exc}); expected"
            " cookie: {name, key} and credentials: usernames:"
        ) from None
    example = path.resolve() == EXAMPLE_FILE.resolve()
    configured = settings.get("cookie_key") or ("" if example else str(cookie.get("key") or ""))
    hours = session_hours()
    return AuthConfig(path, str(cookie["name"]), signing_key(configured), hours, users)


def session_hours() -> float:
    raw = settings.get("session_hours")
    try:
        hours = float(raw)
    except ValueError:
        hours = float("nan")
    if not 0 < hours <= 24 * 366:
        raise SwitchyardError(f"SWITCHYARD_SESSION_HOURS must be hours above 0, got {raw!r}")
    return hours


def signing_key(configured: str) -> str:
    """The key that signs sign-in cookies: ``configured``, else this install's generated one.

    The published example key signs cookies anyone can forge: refused unless the demo is on.
    """
    if configured == EXAMPLE_COOKIE_KEY and settings.get("demo_on_empty") != "1":
        raise SwitchyardError(
            "the cookie key is the published example key, so anyone could forge a sign-in:"
            " set SWITCHYARD_COOKIE_KEY to a long random secret, or delete cookie.key from the"
            " sign-in configuration to have one generated"
        )
    return configured or generated_key(settings.db_path())


_KEY_LOCK = threading.Lock()


def generated_key(db_path: str) -> str:
    """``<database dir>/.switchyard_cookie_key``, created at random (mode 0600) on first use;
    a ``:memory:`` database gets a key for this process."""
    with _KEY_LOCK:
        if db_path not in _KEYS:
            _KEYS[db_path] = _read_or_create_key(db_path)
        return _KEYS[db_path]


_KEYS: dict[str, str] = {}


def _read_or_create_key(db_path: str) -> str:
    if db_path == ":memory:" or not db_path:
        return secrets.token_urlsafe(32)
    if pg.is_url(db_path):
        # Several app processes share one PostgreSQL database: a key made by one would sign
        # cookies the others refuse, so the team sets one key for all of them.
        raise SwitchyardError(
            "with SWITCHYARD_DB on PostgreSQL every app process must sign cookies with the"
            " same key: set SWITCHYARD_COOKIE_KEY to one long random secret for all of them"
            ' (python -c "import secrets; print(secrets.token_urlsafe(32))")'
        )
    path = Path(db_path).resolve().parent / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole to a private draft, then linked into place: another process never reads
    # a half-written key, and of two first starts one key wins (link refuses an existing name).
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=KEY_FILE + ".")
    try:
        with os.fdopen(fd, "w") as fh:  # mkstemp: mode 0600
            fh.write(secrets.token_urlsafe(32))
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(draft)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # owner-only, even if copied in with looser permissions
    key = path.read_text().strip()
    if len(key) < 32:
        raise SwitchyardError(f"{path} holds no usable cookie key: delete it to generate one")
    return key


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError("password", f"must be at least {MIN_PASSWORD} characters")
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def _is_bcrypt(text: str) -> bool:
    return bool(re.match(r"^\$2[aby]\$\d{2}\$.{53}$", text or ""))


def seed(con: duckdb.DuckDBPyConnection, config: AuthConfig) -> int:
    """Copy the configured users into an empty user table; returns how many were added."""
    if db.scalar(con, "SELECT count(*) FROM app_user"):
        return 0
    origin = "example" if config.path.resolve() == EXAMPLE_FILE.resolve() else "config"
    with db.transaction(con):
        for username, entry in config.users.items():
            password = str(entry.get("password", ""))
            if not _is_bcrypt(password):
                raise SwitchyardError(
                    f"{config.path}: user {username!r} has no bcrypt password "
                    "hash; store hashes only (see the README)"
                )
            roles = [r for r in entry.get("roles", []) if r in ROLES]
            con.execute(
                "INSERT INTO app_user (username, name, email, password_hash, roles, origin)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    username,
                    entry.get("name", username),
                    entry.get("email"),
                    password,
                    roles,
                    origin,
                ],
            )
        writes.audit(
            con,
            "system",
            "seed_users",
            "app_user",
            str(config.path),
            after={"users": sorted(config.users), "origin": origin},
        )
    return len(config.users)


def credentials(con: duckdb.DuckDBPyConnection) -> dict:
    """The enabled users in streamlit-authenticator's credentials shape."""
    rows = con.execute(
        "SELECT username, name, email, password_hash, roles FROM app_user"
        " WHERE NOT disabled ORDER BY username"
    ).fetchall()
    return {
        "usernames": {
            u: {
                "name": n,
                "email": e or "",
                "password": h,
                "roles": list(r),
                "logged_in": False,
                "failed_login_attempts": 0,
            }
            for u, n, e, h, r in rows
        }
    }


_USER_COLUMNS = "username, name, email, roles, disabled, origin"


def _user(row: tuple) -> User:
    username, name, email, roles, disabled, origin = row
    return User(username, name, email, tuple(roles), disabled, origin)


def list_users(con: duckdb.DuckDBPyConnection) -> list[User]:
    rows = con.execute(f"SELECT {_USER_COLUMNS} FROM app_user ORDER BY username").fetchall()  # noqa: S608 - constant columns
    return [_user(row) for row in rows]


def get(con: duckdb.DuckDBPyConnection, username: str) -> User:
    """One user by name (every page run asks: a keyed lookup, not a scan of the list)."""
    row = con.execute(
        f"SELECT {_USER_COLUMNS} FROM app_user WHERE username = ?",  # noqa: S608 - constant columns
        [username],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no user {username!r}")
    return _user(row)


def demo_users_enabled(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Shipped demo users still enabled: the UI warns while there are any."""
    return [
        u
        for (u,) in con.execute(
            "SELECT username FROM app_user WHERE origin = 'example' AND NOT disabled ORDER BY 1"
        ).fetchall()
    ]


def _check_roles(roles: list[str]) -> list[str]:
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise InputError("roles", f"expected one or more of {', '.join(ROLES)}, got {roles!r}")
    return sorted(set(roles))


def add(
    con: duckdb.DuckDBPyConnection,
    username: str,
    name: str,
    password: str,
    roles: list[str],
    *,
    actor: str,
    email: str | None = None,
) -> None:
    """Add a user (stores the bcrypt hash only)."""
    if not _USERNAME.match(username or ""):
        raise InputError("username", "use 2-32 lowercase letters, digits, '.', '_' or '-'")
    roles = _check_roles(roles)
    if con.execute("SELECT 1 FROM app_user WHERE username = ?", [username]).fetchone():
        raise InputError("username", f"{username!r} already exists")
    hashed = hash_password(password)
    with db.transaction(con):
        con.execute(
            "INSERT INTO app_user (username, name, email, password_hash, roles)"
            " VALUES (?, ?, ?, ?, ?)",
            [username, name or username, email, hashed, roles],
        )
        writes.audit(
            con,
            actor,
            "add_user",
            "app_user",
            username,
            after={"name": name, "email": email, "roles": roles},
        )


def update(
    con: duckdb.DuckDBPyConnection,
    username: str,
    *,
    actor: str,
    roles: list[str] | None = None,
    disabled: bool | None = None,
    password: str | None = None,
) -> None:
    """Change a user's roles, enabled state or password; an admin cannot lock themselves out."""
    before = get(con, username)
    if username == actor and (disabled or (roles is not None and "admin" not in roles)):
        raise InputError("user", "you cannot disable yourself or drop your own admin role")
    new_roles = _check_roles(roles) if roles is not None else list(before.roles)
    new_disabled = before.disabled if disabled is None else disabled
    hashed = hash_password(password) if password else None
    ended = _why_sessions_end(before, new_roles, new_disabled, bool(password))
    with db.transaction(con):
        con.execute(
            "UPDATE app_user SET roles = ?, disabled = ?, password_hash ="
            " coalesce(?, password_hash), updated_at = current_timestamp"
            " WHERE username = ?",
            [new_roles, new_disabled, hashed, username],
        )
        if ended:  # signed-in browsers are signed out at their next click
            writes.update_session(con, username, None, ended)
        writes.audit(
            con,
            actor,
            "update_user",
            "app_user",
            username,
            before={"roles": list(before.roles), "disabled": before.disabled},
            after={
                "roles": new_roles,
                "disabled": new_disabled,
                "password_changed": bool(password),
                "sessions_ended": ended,
            },
        )


def _why_sessions_end(before: User, roles: list[str], disabled: bool, password: bool) -> str:
    """Why a change ends the user's sessions ('' when it does not)."""
    if disabled and not before.disabled:
        return "disabled"
    if password:
        return "password"
    return "roles" if sorted(roles) != sorted(before.roles) else ""


def reviewers(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Enabled users with the SME role, for assignment."""
    return [u.username for u in list_users(con) if "sme" in u.roles and not u.disabled]


def check_reviewers(con: duckdb.DuckDBPyConnection, names: list[str] | tuple[str, ...]) -> str:
    """Refuse reviewers who are not SMEs of this database; a note ('' when all are known).

    A database the app has never opened holds no users yet (they are copied in from the auth
    config at startup), so its names cannot be checked: the note says so."""
    known = reviewers(con)
    if not known:
        return "note: this database knows no SME users yet, so the reviewer names are not checked"
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(
            "--reviewers",
            f"{', '.join(unknown)} {'is not an SME' if len(unknown) == 1 else 'are not SMEs'}"
            f" of this database; known SMEs: {', '.join(sorted(known))}",
        )
    return ""
