-- PostgreSQL variant of 002_review.sql.
-- Review: users, samples drawn for SMEs, their assignments, and labels bound to samples.

CREATE TABLE app_user (
    username      VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    email         VARCHAR,
    password_hash VARCHAR NOT NULL,           -- bcrypt; plain passwords are never stored
    roles         VARCHAR[] NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT false,
    origin        VARCHAR NOT NULL DEFAULT 'admin',  -- 'example' for the shipped demo users
    created_at    TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    updated_at    TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

CREATE TABLE sample (
    sample_id     VARCHAR PRIMARY KEY,
    migration_id  VARCHAR NOT NULL REFERENCES migration (migration_id),
    name          VARCHAR NOT NULL,
    run_a         VARCHAR NOT NULL REFERENCES run (run_id),   -- the source (or the only) run
    run_b         VARCHAR REFERENCES run (run_id),            -- the target; NULL: single-output
    params        TEXT NOT NULL,                              -- JSON
    seed          BIGINT NOT NULL,
    synthetic     BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    created_by    VARCHAR NOT NULL
);

-- One row per sampled item. inclusion_prob is the design probability n_h / N_h of its
-- stratum; a top-up raises it for every item of that stratum.
CREATE TABLE sample_item (
    sample_id        VARCHAR NOT NULL REFERENCES sample (sample_id),
    item_id          VARCHAR NOT NULL,
    stratum          VARCHAR NOT NULL,        -- the dataset's stratum
    pool             VARCHAR NOT NULL CHECK (pool IN ('fail', 'pass', 'regression')),
    stratum_size     INTEGER NOT NULL,        -- N_h: items of the frame in (stratum, pool)
    inclusion_prob   DOUBLE PRECISION NOT NULL CHECK (inclusion_prob > 0 AND inclusion_prob <= 1),
    reviewers_wanted INTEGER NOT NULL DEFAULT 1,
    round            INTEGER NOT NULL DEFAULT 1,  -- 1: first draw; 2, 3, ...: top-ups
    PRIMARY KEY (sample_id, item_id)
);

CREATE TABLE assignment (
    sample_id   VARCHAR NOT NULL REFERENCES sample (sample_id),
    item_id     VARCHAR NOT NULL,
    reviewer    VARCHAR NOT NULL,
    position    INTEGER NOT NULL,             -- queue order for this reviewer
    status      VARCHAR NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'skipped')),
    assigned_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    done_at     TIMESTAMP,
    PRIMARY KEY (sample_id, item_id, reviewer)
);

ALTER TABLE label ADD COLUMN sample_id VARCHAR;

-- A reviewer has one label per (sample, item, run): re-submitting updates it.
-- NULLs stay distinct, as in DuckDB (PostgreSQL 15's default).
CREATE UNIQUE INDEX label_once ON label (sample_id, item_id, run_id, reviewer);
