-- PostgreSQL variant of 013_canary_stages.sql.
-- The canary's course: when each stage started, rollbacks, every verdict with the hash of the
-- inputs it was reached on, and rollback drills. Append-only: a verdict or drill result is a
-- new row, and every row has its audit entry (core.store.writes_canary_verdicts).

CREATE TABLE canary_stage (
    migration_id VARCHAR NOT NULL REFERENCES migration (migration_id),
    stage        INTEGER NOT NULL,             -- 1-based, as in the criteria's canary_stages
    share_pct    DOUBLE PRECISION NOT NULL,    -- the traffic % routed to the target in it
    started_at   TIMESTAMP NOT NULL,           -- UTC
    started_by   VARCHAR NOT NULL
);  -- a stage started again after a rollback is a new row; the latest start counts

CREATE SEQUENCE canary_rollback_seq START 1;

CREATE TABLE canary_rollback (
    rollback_id  BIGINT PRIMARY KEY DEFAULT nextval('canary_rollback_seq'),
    migration_id VARCHAR NOT NULL REFERENCES migration (migration_id),
    stage        INTEGER NOT NULL,
    recorded_at  TIMESTAMP NOT NULL,           -- UTC: when traffic was routed back
    recorded_by  VARCHAR NOT NULL,
    reason       VARCHAR
);

CREATE SEQUENCE canary_verdict_seq START 1;

CREATE TABLE canary_verdict (
    verdict_id   BIGINT PRIMARY KEY DEFAULT nextval('canary_verdict_seq'),
    migration_id VARCHAR NOT NULL REFERENCES migration (migration_id),
    stage        INTEGER NOT NULL,
    decided_at   TIMESTAMP NOT NULL,           -- UTC
    verdict      VARCHAR NOT NULL CHECK (verdict IN ('PROMOTE', 'HOLD', 'ROLL BACK')),
    reasons      TEXT NOT NULL,                -- JSON
    inputs_hash  VARCHAR NOT NULL,             -- sha256 of the traffic, limits and stage timing
    checks       TEXT NOT NULL,                -- JSON
    decided_by   VARCHAR NOT NULL
);

CREATE SEQUENCE canary_drill_seq START 1;

CREATE TABLE canary_drill (
    drill_id       BIGINT PRIMARY KEY DEFAULT nextval('canary_drill_seq'),
    migration_id   VARCHAR NOT NULL REFERENCES migration (migration_id),
    rollback_id    BIGINT NOT NULL,
    checked_at     TIMESTAMP NOT NULL,         -- UTC
    status         VARCHAR NOT NULL CHECK (status IN ('passed', 'failed', 'pending')),
    window_minutes DOUBLE PRECISION NOT NULL,
    evidence       TEXT NOT NULL,              -- JSON
    checked_by     VARCHAR NOT NULL
);
