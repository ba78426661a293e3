-- PostgreSQL variant of 015_canary_review.sql.
-- SME review of canary traffic. A draw is a `sample` row (params.traffic = 'canary', run_a =
-- the migration's source run, run_b NULL: one response on screen, its arm never shown) whose
-- sample_item rows name requests (item_id = request_id); SMEs get them through `assignment`,
-- their usual queue. Labels live in canary_label, not `label`, so no golden-set figure reads
-- them. Written only by core.store.writes_canary_review.

-- Every request a draw considered, drawn or not: each request is considered once, with the
-- Bernoulli inclusion probability of its (arm, pool) at the time, so the SME-corrected pass
-- rate can weight each label by 1 / inclusion_prob (Horvitz-Thompson) over the whole frame.
CREATE TABLE canary_review_frame (
    migration_id   VARCHAR NOT NULL,
    request_id     VARCHAR NOT NULL,
    sample_id      VARCHAR NOT NULL REFERENCES sample (sample_id),
    arm            VARCHAR NOT NULL CHECK (arm IN ('control', 'canary')),
    pool           VARCHAR NOT NULL CHECK (pool IN ('fail', 'pass')),  -- the judges' verdict then
    inclusion_prob DOUBLE PRECISION NOT NULL CHECK (inclusion_prob > 0 AND inclusion_prob <= 1),
    drawn          BOOLEAN NOT NULL,
    PRIMARY KEY (migration_id, request_id)
);

-- An SME's label of one canary request (one response, blind to its arm).
CREATE TABLE canary_label (
    migration_id  VARCHAR NOT NULL,
    sample_id     VARCHAR NOT NULL REFERENCES sample (sample_id),
    request_id    VARCHAR NOT NULL,
    reviewer      VARCHAR NOT NULL,
    score         INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    passed        BOOLEAN NOT NULL,
    failure_modes VARCHAR[] NOT NULL DEFAULT '{}',
    safety_flag   BOOLEAN NOT NULL DEFAULT false,
    notes         VARCHAR,
    created_at    TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    updated_at    TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    PRIMARY KEY (sample_id, request_id, reviewer)
);
