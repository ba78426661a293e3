"""Enterprise sign-in: who an identity provider's ID-token claims say a user is, and which
roles their groups give them.

Streamlit's ``st.login`` runs the OpenID Connect exchange and keeps the claims in a cookie the
server sets (HttpOnly, signed); this module only decides. The roles come from one claim that
lists the user's groups (``groups`` for Okta and Entra ID, ``cognito:groups`` for Cognito),
mapped group by group in the ``[identity]`` section of ``.streamlit/secrets.toml``. A user
none of whose groups is mapped is refused: nobody gets a role by default.

An admitted user is a local account too (``link``): the ``app_user`` row with their e-mail or
username, else one created for them, holding the roles their groups give. Assignments, labels
and the Sampling page's reviewer list are keyed by that account, so an SME who signs in
through the provider gets review work, and an admin can disable them on the Users page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from core.errors import InputError
from core.store import db, writes
from core.types import ROLES, Role

SECTION = "secrets.toml [identity]"  # where the mapping lives, as errors name it
DEFAULT_CLAIM = "groups"
SIGN_IN = "sign_in_oidc"
REFUSED = "refuse_oidc"
SIGN_OUT = "sign_out_oidc"
LINK = "link_user"
UNUSABLE_HASH = "!oidc"  # the password_hash of a provider's user: bcrypt matches no password to it


@dataclass(frozen=True)
class RoleMap:
    """Which claim lists a user's groups, and the roles each mapped group gives."""

    claim: str
    roles: Mapping[str, tuple[Role, ...]]


@dataclass(frozen=True)
class Identity:
    """A signed-in user: ``roles`` is never empty."""

    username: str
    name: str
    roles: tuple[Role, ...]
    groups: tuple[str, ...]
    issuer: str
    sign_in_id: str  # the ID token's subject and issue time: one sign-in, however many sessions
    email: str = ""


@dataclass(frozen=True)
class Refusal:
    """A user the provider vouched for but Switchyard does not admit; ``message`` says why."""

    username: str
    groups: tuple[str, ...]
    issuer: str
    sign_in_id: str
    message: str


def role_map(section: Mapping[str, object] | None) -> RoleMap:
    """The ``[identity]`` settings: ``groups_claim`` (default "groups") and a ``roles`` table
    of group = role (or a list of roles). Raises InputError naming the bad key."""
    section = section or {}
    claim = section.get("groups_claim", DEFAULT_CLAIM)
    if not isinstance(claim, str) or not claim.strip():
        raise InputError(SECTION, f"expected a claim name, got {claim!r}", column="groups_claim")
    table = section.get("roles", {})
    if not isinstance(table, Mapping):
        raise InputError(SECTION, "expected a table of group = role", column="roles")
    roles: dict[str, tuple[Role, ...]] = {}
    for group, value in table.items():
        given = [value] if isinstance(value, str) else value
        if not isinstance(given, list) or not given or not all(r in ROLES for r in given):
            raise InputError(
                SECTION,
                f"group {group!r}: expected one or more of {', '.join(ROLES)}, got {value!r}",
                column="roles",
            )
        roles[str(group)] = tuple(r for r in ROLES if r in given)
    return RoleMap(claim.strip(), roles)


def _text(claims: Mapping[str, object], *names: str) -> str:
    """The first of ``names`` that holds a non-empty string."""
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _groups(value: object) -> tuple[str, ...]:
    """A groups claim as a tuple: providers send a list, a few a single string."""
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list | tuple):
        return tuple(str(g) for g in value)
    return ()


def resolve(claims: Mapping[str, object], mapping: RoleMap) -> Identity | Refusal:
    """The user the claims describe, with the roles of every mapped group they are in, or a
    Refusal when none of their groups is mapped (or the claim is missing).

    The username is the e-mail, else ``preferred_username``, else the subject.
    """
    subject = _text(claims, "sub")
    username = _text(claims, "email", "preferred_username") or subject
    issuer = _text(claims, "iss")
    sign_in_id = f"{subject}@{claims.get('iat', '')}"
    groups = _groups(claims.get(mapping.claim))
    given = {role for group in groups for role in mapping.roles.get(group, ())}
    roles = tuple(r for r in ROLES if r in given)
    if roles:
        name = _text(claims, "name") or username
        email = _text(claims, "email") if claims.get("email_verified") is not False else ""
        return Identity(username, name, roles, groups, issuer, sign_in_id, email)
    if mapping.claim not in claims:
        why = (
            f"your sign-in carries no {mapping.claim!r} claim, so Switchyard cannot tell "
            "your role. Ask your identity provider's administrator to add it to the ID token."
        )
    elif not groups:
        why = "you are in no group. Ask an administrator to add you to a Switchyard group."
    else:
        why = (
            f"none of your groups ({', '.join(groups)}) has a role in Switchyard. Ask an "
            "administrator to map one of them to a role, or to add you to a mapped group."
        )
    return Refusal(username, groups, issuer, sign_in_id, f"{username or 'This account'}: {why}")


def _recorded(con: duckdb.DuckDBPyConnection, action: str, sign_in_id: str) -> bool:
    count = db.scalar(
        con,
        "SELECT count(*) FROM audit"
        " WHERE action = ? AND json_extract_string(after, '$.sign_in') = ?",
        [action, sign_in_id],
    )
    return bool(count)


def record(con: duckdb.DuckDBPyConnection, outcome: Identity | Refusal) -> bool:
    """Audit a sign-in or a refusal once per ID token (Streamlit hands the same claims to every
    new browser session until the cookie expires). True when it wrote an entry."""
    action = SIGN_IN if isinstance(outcome, Identity) else REFUSED
    after: dict[str, object] = {
        "sign_in": outcome.sign_in_id,
        "issuer": outcome.issuer,
        "groups": list(outcome.groups),
    }
    if isinstance(outcome, Identity):
        after["roles"] = list(outcome.roles)
    with db.transaction(con):
        if _recorded(con, action, outcome.sign_in_id):
            return False
        writes.audit(con, outcome.username, action, "app_user", outcome.username, after=after)
    return True


def record_sign_out(con: duckdb.DuckDBPyConnection, user: Identity) -> None:
    """Audit a sign-out of a user the identity provider signed in."""
    with db.transaction(con):
        writes.audit(
            con,
            user.username,
            SIGN_OUT,
            "app_user",
            user.username,
            after={"sign_in": user.sign_in_id},
        )


def link(con: duckdb.DuckDBPyConnection, user: Identity) -> Identity | None:
    """``user`` as the local account the review work is keyed by; None when that account is
    disabled (an admin turned the user away).

    The account is the ``app_user`` row named ``user.username``, else the one holding their
    verified e-mail (case aside), else a new row (origin 'oidc', no usable password). Its roles
    follow the groups claim at every sign-in; creating it, or changing its roles or name, is
    audited as ``link_user``.
    """
    row = con.execute(
        "SELECT username, name, roles, disabled FROM app_user"
        " WHERE username = $1 OR ($2 <> '' AND lower(email) = lower($2))"
        " ORDER BY username = $1 DESC, username LIMIT 1",
        [user.username, user.email],
    ).fetchone()
    roles = list(user.roles)
    with db.transaction(con):
        if row is None:
            con.execute(
                "INSERT INTO app_user (username, name, email, password_hash, roles, origin)"
                " VALUES (?, ?, ?, ?, ?, 'oidc')",
                [user.username, user.name, user.email or None, UNUSABLE_HASH, roles],
            )
            after = {"via": "oidc", "created": True, "roles": roles, "issuer": user.issuer}
            writes.audit(con, user.username, LINK, "app_user", user.username, after=after)
            return user
        username, name, before, disabled = row
        if disabled:
            return None
        if sorted(before) != sorted(roles) or name != user.name:
            con.execute(
                "UPDATE app_user SET roles = ?, name = ?, updated_at = current_timestamp"
                " WHERE username = ?",
                [roles, user.name, username],
            )
            writes.audit(
                con,
                user.username,
                LINK,
                "app_user",
                username,
                before={"roles": list(before), "name": name},
                after={"via": "oidc", "created": False, "roles": roles, "issuer": user.issuer},
            )
    return dataclasses.replace(user, username=username)
