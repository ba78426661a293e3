-- PostgreSQL variant of 007_metric_catalog.sql.
-- The metric catalog: one canonical name per metric with its range, direction and default
-- pass threshold, and the names each tool writes for it. Built-in entries are seeded by
-- core.metrics at connect time; an owner's changes replace them (audited).
-- Also: migrations can be archived (they leave the choosers, their evidence stays).

CREATE TABLE metric (
    metric            VARCHAR PRIMARY KEY,        -- canonical name, e.g. 'faithfulness'
    display_name      VARCHAR NOT NULL,
    low               DOUBLE PRECISION,           -- NULL: unbounded below
    high              DOUBLE PRECISION,           -- NULL: unbounded above
    direction         VARCHAR NOT NULL CHECK (direction IN ('higher', 'lower')),
    default_threshold DOUBLE PRECISION,
    source            VARCHAR,                    -- where the range and direction come from
    origin            VARCHAR NOT NULL DEFAULT 'builtin' CHECK (origin IN ('builtin', 'owner'))
);

-- A name a tool writes (normalised: lower case, 'builtin.' dropped, runs of other characters
-- as '_') and the canonical metric it means.
CREATE TABLE metric_alias (
    alias   VARCHAR PRIMARY KEY,
    metric  VARCHAR NOT NULL,
    tool    VARCHAR,                              -- ragas, deepeval, bedrock, golden, owner
    origin  VARCHAR NOT NULL DEFAULT 'builtin' CHECK (origin IN ('builtin', 'owner'))
);

-- How each metric of a run was read: the name as the file wrote it, the canonical metric,
-- and the direction, range and threshold applied (from the catalog, or the file's own
-- verdicts where it states them). Verdicts re-derived later use this direction.
CREATE TABLE run_metric (
    run_id            VARCHAR NOT NULL REFERENCES run (run_id),
    metric            VARCHAR NOT NULL,
    raw_name          VARCHAR NOT NULL,
    mapped            BOOLEAN NOT NULL,           -- false: unknown to the catalog, never gates
    direction         VARCHAR CHECK (direction IN ('higher', 'lower')),
    direction_source  VARCHAR,                    -- 'catalog' or 'file' (the file's verdicts)
    low               DOUBLE PRECISION,
    high              DOUBLE PRECISION,
    clipped           INTEGER NOT NULL DEFAULT 0, -- scores just outside the range, clipped
    PRIMARY KEY (run_id, metric)
);

ALTER TABLE migration ADD COLUMN archived_at TIMESTAMP;
ALTER TABLE migration ADD COLUMN archived_by VARCHAR;
