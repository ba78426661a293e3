-- PostgreSQL variant of 011_sessions.sql.
-- Server-side sign-in sessions: the cookie carries the session id, and every page run checks
-- its row here, so sign-out, a password or role change and disabling a user end it at once.
-- Failed sign-ins and locks are counted from the audit trail (core.catalog.sessions).
CREATE TABLE session (
    session_id  VARCHAR PRIMARY KEY,          -- secrets.token_urlsafe; a claim in the cookie
    username    VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    expires_at  TIMESTAMP NOT NULL,
    last_seen   TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    ended_at    TIMESTAMP,
    ended_why   VARCHAR                       -- sign_out, password, roles, disabled
);
