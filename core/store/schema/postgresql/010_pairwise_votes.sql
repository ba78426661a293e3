-- PostgreSQL variant of 010_pairwise_votes.sql.
-- Pairwise tournaments: on one item (and conversation turn), which of two runs' outputs is
-- better, by one judge or one reviewer. Many runs, every pair, several judges and reviewers
-- per pair, so a reviewer may compare one run's answer against several opponents on the
-- same item (a label holds one preference per item, run and reviewer).
-- The pair is unordered and stored in one order, run_a < run_b, as FastChat's
-- compute_agreement keys it; the winner is said against that order. Verdicts already in
-- pairwise_verdict and side-by-side label preferences stay where they are and are read
-- beside these (core.importers.tournament.VOTES).
-- run_a < run_b compares bytes (COLLATE "C"), as DuckDB does, whatever the database's
-- collation: the order Python's sorted() gives the importer.

CREATE TABLE pairwise_vote (
    dataset_id  VARCHAR NOT NULL,
    item_id     VARCHAR NOT NULL,
    run_a       VARCHAR NOT NULL REFERENCES run (run_id),
    run_b       VARCHAR NOT NULL REFERENCES run (run_id),
    turn        INTEGER NOT NULL DEFAULT 1 CHECK (turn >= 1),  -- 1 when the file has none
    metric      VARCHAR NOT NULL DEFAULT 'preference',
    voter       VARCHAR NOT NULL,                               -- the judge or reviewer
    voter_kind  VARCHAR NOT NULL CHECK (voter_kind IN ('judge', 'reviewer')),
    winner      VARCHAR NOT NULL CHECK (winner IN ('a', 'b', 'tie')),
    explanation VARCHAR,
    source_file VARCHAR,
    imported_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    CHECK (run_a < run_b COLLATE "C"),
    PRIMARY KEY (dataset_id, item_id, run_a, run_b, turn, metric, voter)
);
