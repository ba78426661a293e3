-- PostgreSQL variant of 004_pairwise.sql.
-- A pairwise judge's verdict on one item: is the run's output better than the baseline
-- run's, worse, or a tie? Calibration compares these with the SMEs' side-by-side preferences.

CREATE TABLE pairwise_verdict (
    run_id          VARCHAR NOT NULL REFERENCES run (run_id),
    baseline_run_id VARCHAR NOT NULL REFERENCES run (run_id),
    item_id         VARCHAR NOT NULL,
    metric          VARCHAR NOT NULL,
    winner          VARCHAR NOT NULL CHECK (winner IN ('run', 'baseline', 'tie')),
    judge           VARCHAR,
    explanation     VARCHAR,
    imported_at     TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    PRIMARY KEY (run_id, baseline_run_id, item_id, metric)
);
