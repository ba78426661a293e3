-- PostgreSQL variant of 012_canary.sql.
-- Canary: production traffic of a migration's two arms (control = the source model, canary =
-- the target), the files it came from, and the judge scores on it. Written only by
-- core.store.writes_canary, one transaction per ingested file.

-- Which model id in the logs belongs to which arm. Seeded from the migration's source and
-- target runs on the first ingest ('migration'), or set by hand ('configured') when the logs
-- name the models differently (an inference profile, an ARN, a provider's own spelling).
CREATE TABLE canary_arm (
    migration_id VARCHAR NOT NULL REFERENCES migration (migration_id),
    model_id     VARCHAR NOT NULL,             -- as the logs spell it
    arm          VARCHAR NOT NULL CHECK (arm IN ('control', 'canary')),
    priced_as    VARCHAR NOT NULL,             -- the catalog model whose model_price applies
    origin       VARCHAR NOT NULL CHECK (origin IN ('migration', 'configured')),
    created_at   TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    created_by   VARCHAR NOT NULL,
    PRIMARY KEY (migration_id, model_id)
);

-- Every file ingested, by content: the same bytes again are skipped, whatever their name.
CREATE TABLE canary_file (
    migration_id VARCHAR NOT NULL REFERENCES migration (migration_id),
    sha256       VARCHAR NOT NULL,             -- of the file's bytes as read (a .gz: compressed)
    source       VARCHAR NOT NULL,             -- the path or s3:// URI it was read from
    format       VARCHAR NOT NULL CHECK (format IN ('otlp', 'bedrock', 'native')),
    rows         BIGINT NOT NULL,              -- requests written from it
    scores       BIGINT NOT NULL DEFAULT 0,    -- judge scores written from it
    ingested_at  TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    ingested_by  VARCHAR NOT NULL,
    PRIMARY KEY (migration_id, sha256)
);

-- One production request. No foreign key: the importer checks the migration, the arm and
-- the file before writing, and a key per row would slow a ten-million-row load.
CREATE TABLE canary_request (
    migration_id  VARCHAR NOT NULL,
    request_id    VARCHAR NOT NULL,            -- Bedrock requestId, OTel gen_ai.response.id
    arm           VARCHAR NOT NULL CHECK (arm IN ('control', 'canary')),
    ts            TIMESTAMP NOT NULL,          -- UTC; when the request started
    model_id      VARCHAR NOT NULL,            -- as the logs spell it (a canary_arm row)
    prompt        VARCHAR,
    response      VARCHAR,
    ttft_ms       DOUBLE PRECISION,
    latency_ms    DOUBLE PRECISION,
    input_tokens  BIGINT,
    output_tokens BIGINT,
    cost_usd      DOUBLE PRECISION,            -- from prices_in_force(ts); NULL: tokens or price unknown
    error         VARCHAR,                     -- NULL: the request succeeded
    stratum       VARCHAR,
    file_sha256   VARCHAR NOT NULL,            -- the canary_file it came from
    PRIMARY KEY (migration_id, request_id)
);

-- A judge's score of one request (OTel gen_ai.evaluation.result events, score.* columns).
CREATE TABLE canary_score (
    migration_id VARCHAR NOT NULL,
    request_id   VARCHAR NOT NULL,
    metric       VARCHAR NOT NULL,
    evaluator    VARCHAR NOT NULL,             -- who scored: the file's judge, or 'file'
    score        DOUBLE PRECISION,
    label        VARCHAR,                      -- the evaluator's own word: 'pass', 'relevant'
    explanation  VARCHAR,
    file_sha256  VARCHAR NOT NULL,
    PRIMARY KEY (migration_id, request_id, metric, evaluator)
);
