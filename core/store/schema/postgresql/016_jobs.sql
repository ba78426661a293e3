-- PostgreSQL variant of 016_jobs.sql.
-- Work that outlives a page: a model run, judge scoring, a Bedrock evaluation or batch job is
-- a `job` row that a worker claims. The holder alone updates its row: it renews
-- `heartbeat_at` while it works, and a job whose holder stopped renewing (a worker killed
-- midway) is claimed again by the next worker, whose handler resumes it. Log lines and cancel
-- requests are rows of their own, so a page asking to cancel never races the holder's
-- updates. Written only by core.store.writes_jobs.
CREATE TABLE job (
    job_id       VARCHAR PRIMARY KEY,
    kind         VARCHAR NOT NULL CHECK (kind IN ('run', 'judge', 'bedrock_eval', 'batch')),
    params       VARCHAR NOT NULL,             -- JSON: what the handler needs, no secrets
    subject      VARCHAR,                      -- what it works on (a run id), for the pages
    status       VARCHAR NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    progress     DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
    message      VARCHAR,                      -- the latest progress line, then the outcome
    problems     INTEGER NOT NULL DEFAULT 0,   -- items that failed in a job that finished
    created_by   VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    started_at   TIMESTAMP,
    finished_at  TIMESTAMP,
    worker       VARCHAR,                      -- host:pid:thread of the holder
    heartbeat_at TIMESTAMP,
    attempts     INTEGER NOT NULL DEFAULT 0,   -- claims: above 1 means it was resumed
    state        VARCHAR                       -- JSON the handler saves to resume (a job ARN)
);

CREATE TABLE job_log (
    job_id    VARCHAR NOT NULL,
    seq       INTEGER NOT NULL,
    logged_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    line      VARCHAR NOT NULL,
    PRIMARY KEY (job_id, seq)
);

CREATE TABLE job_cancel (
    job_id       VARCHAR PRIMARY KEY,
    requested_by VARCHAR NOT NULL,
    requested_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
