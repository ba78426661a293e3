-- PostgreSQL variant of 003_judge_threshold.sql.
-- Pass thresholds applied after calibration: verdicts are re-derived from the stored scores
-- (score >= the latest threshold here), which are never changed. History is kept.

CREATE TABLE judge_threshold (
    run_id     VARCHAR NOT NULL REFERENCES run (run_id),
    metric     VARCHAR NOT NULL,
    threshold  DOUBLE PRECISION NOT NULL CHECK (threshold BETWEEN 0 AND 1),
    set_at     TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    set_by     VARCHAR NOT NULL,
    PRIMARY KEY (run_id, metric, set_at)
);
