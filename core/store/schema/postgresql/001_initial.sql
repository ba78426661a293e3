-- PostgreSQL variant of 001_initial.sql: golden datasets, models and prices, prompt
-- versions, runs with their outputs and judge scores, migrations, labels and the audit trail.
-- A landed migration is never edited: change the schema in a new numbered file (and its
-- variant here).
--
-- Translation rules, kept by every variant:
--   DOUBLE -> DOUBLE PRECISION; VARCHAR[] stays, DEFAULT [] -> DEFAULT '{}'.
--   DEFAULT current_timestamp on a TIMESTAMP -> (now() AT TIME ZONE 'UTC'): DuckDB stores
--   the UTC wall clock (its TimeZone is UTC here), so both backends store UTC.
--   JSON -> TEXT: the text is kept byte for byte (approval snapshots are hashed, datasets must
--   survive DuckDB -> PostgreSQL -> DuckDB), psycopg hands it back as str as DuckDB does, and
--   PostgreSQL's json parser refuses text DuckDB's accepts (NaN, trailing commas), which
--   would make a copy fail. Query it with col::json.

CREATE TABLE dataset (
    dataset_id   VARCHAR PRIMARY KEY,          -- "<name>@<version>"
    name         VARCHAR NOT NULL,
    version      INTEGER NOT NULL,
    sha256       VARCHAR NOT NULL,             -- over the canonical form of its items
    item_count   INTEGER NOT NULL,
    source_file  VARCHAR,
    synthetic    BOOLEAN NOT NULL DEFAULT false,
    created_at   TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    created_by   VARCHAR NOT NULL,
    frozen_at    TIMESTAMP,
    frozen_by    VARCHAR,
    UNIQUE (name, version)
);

CREATE TABLE item (
    dataset_id   VARCHAR NOT NULL REFERENCES dataset (dataset_id),
    item_id      VARCHAR NOT NULL,
    prompt       VARCHAR NOT NULL,
    context      VARCHAR,
    ground_truth VARCHAR,
    stratum      VARCHAR NOT NULL DEFAULT 'all',
    split        VARCHAR NOT NULL DEFAULT 'dev' CHECK (split IN ('dev', 'holdout')),
    tags         VARCHAR[] NOT NULL DEFAULT '{}',
    notes        VARCHAR,                      -- not part of the content hash
    PRIMARY KEY (dataset_id, item_id)
);

CREATE TABLE model (
    model_id     VARCHAR PRIMARY KEY,
    provider     VARCHAR NOT NULL DEFAULT 'bedrock',
    display_name VARCHAR
);

-- Price history: a new price is a new row; nothing is updated in place.
CREATE TABLE model_price (
    model_id          VARCHAR NOT NULL REFERENCES model (model_id),
    effective_date    DATE NOT NULL,
    input_per_1k      DOUBLE PRECISION NOT NULL CHECK (input_per_1k >= 0),
    output_per_1k     DOUBLE PRECISION NOT NULL CHECK (output_per_1k >= 0),
    currency          VARCHAR NOT NULL DEFAULT 'USD',
    source            VARCHAR,
    recorded_at       TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    recorded_by       VARCHAR NOT NULL,
    PRIMARY KEY (model_id, effective_date, recorded_at)
);

CREATE TABLE prompt_version (
    prompt_version_id VARCHAR PRIMARY KEY,
    model_id          VARCHAR REFERENCES model (model_id),
    text              VARCHAR NOT NULL,
    parent_id         VARCHAR,
    origin            VARCHAR NOT NULL DEFAULT 'manual'
                      CHECK (origin IN ('manual', 'optimizer', 'metaprompt', 'imported')),
    created_at        TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    created_by        VARCHAR NOT NULL
);

CREATE TABLE run (
    run_id            VARCHAR PRIMARY KEY,
    name              VARCHAR NOT NULL,
    dataset_id        VARCHAR NOT NULL REFERENCES dataset (dataset_id),
    model_id          VARCHAR NOT NULL REFERENCES model (model_id),
    prompt_version_id VARCHAR REFERENCES prompt_version (prompt_version_id),
    config            TEXT NOT NULL DEFAULT '{}',   -- JSON: temperature, top_p, max_tokens, ...
    role              VARCHAR NOT NULL DEFAULT 'candidate'
                      CHECK (role IN ('source', 'target', 'candidate')),
    origin            VARCHAR NOT NULL,             -- import format, 'bedrock' or 'demo'
    source_file       VARCHAR,
    synthetic         BOOLEAN NOT NULL DEFAULT false,
    created_at        TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    created_by        VARCHAR NOT NULL
);

-- No declared key on the two big tables: importers check uniqueness before writing,
-- and an index would double the cost of loading a million rows.
CREATE TABLE output (
    run_id         VARCHAR NOT NULL,
    item_id        VARCHAR NOT NULL,
    text           VARCHAR,
    ttft_ms        DOUBLE PRECISION,
    latency_ms     DOUBLE PRECISION,
    input_tokens   BIGINT,
    output_tokens  BIGINT,
    retrieval_cost DOUBLE PRECISION,
    error          VARCHAR,
    calls          TEXT                         -- JSON: per-call breakdown, a list of objects
);

CREATE TABLE judge_score (
    run_id        VARCHAR NOT NULL,
    item_id       VARCHAR NOT NULL,
    metric        VARCHAR NOT NULL,
    judge         VARCHAR NOT NULL,
    score         DOUBLE PRECISION,
    threshold     DOUBLE PRECISION,
    passed        BOOLEAN,
    explanation   VARCHAR,
    judge_version VARCHAR
);

CREATE TABLE migration (
    migration_id   VARCHAR PRIMARY KEY,
    name           VARCHAR NOT NULL,
    dataset_id     VARCHAR NOT NULL REFERENCES dataset (dataset_id),
    source_run_id  VARCHAR NOT NULL REFERENCES run (run_id),
    criteria       TEXT NOT NULL DEFAULT '{}',  -- JSON
    synthetic      BOOLEAN NOT NULL DEFAULT false,
    created_at     TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    created_by     VARCHAR NOT NULL
);

CREATE TABLE migration_run (
    migration_id VARCHAR NOT NULL REFERENCES migration (migration_id),
    run_id       VARCHAR NOT NULL REFERENCES run (run_id),
    PRIMARY KEY (migration_id, run_id)
);

CREATE SEQUENCE label_seq START 1;

CREATE TABLE label (
    label_id      BIGINT PRIMARY KEY DEFAULT nextval('label_seq'),
    dataset_id    VARCHAR NOT NULL,
    item_id       VARCHAR NOT NULL,
    run_id        VARCHAR NOT NULL,            -- the run graded (Response A's run in a pair)
    pair_run_id   VARCHAR,                     -- the other run, for side-by-side labels
    reviewer      VARCHAR NOT NULL,
    score         INTEGER CHECK (score BETWEEN 1 AND 5),
    passed        BOOLEAN,
    failure_modes VARCHAR[] NOT NULL DEFAULT '{}',
    safety_flag   BOOLEAN NOT NULL DEFAULT false,
    preference    VARCHAR CHECK (preference IN ('A', 'B', 'tie')),
    shown_side    VARCHAR,                     -- where run_id was shown: 'A' or 'B'
    notes         VARCHAR,
    origin        VARCHAR NOT NULL DEFAULT 'app' CHECK (origin IN ('app', 'import', 'synthetic')),
    created_at    TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    updated_at    TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

CREATE SEQUENCE audit_seq START 1;

-- Append-only: nothing in core updates or deletes a row here.
CREATE TABLE audit (
    seq        BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
    at_time    TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    actor      VARCHAR NOT NULL,
    action     VARCHAR NOT NULL,
    entity     VARCHAR NOT NULL,
    entity_id  VARCHAR NOT NULL,
    before     TEXT,                           -- JSON
    after      TEXT                            -- JSON
);
