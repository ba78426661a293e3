-- PostgreSQL variant of 014_session_grant.sql.
-- Single-use grants that turn a password sign-in into the HttpOnly session cookie: the page
-- script that checked the password creates one, the browser brings it to /session/start (a
-- route of serve.py's server), which sets the cookie. Only the grant's sha256 is kept, and a
-- grant is good once, for a minute (core.catalog.sessions).
CREATE TABLE session_grant (
    grant_hash  VARCHAR PRIMARY KEY,          -- sha256 hex of the grant
    session_id  VARCHAR NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
