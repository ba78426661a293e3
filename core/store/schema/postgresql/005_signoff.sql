-- PostgreSQL variant of 005_signoff.sql.
-- Sign-off: who must approve a migration, their decisions (each bound to the evidence it was
-- given on), and SME safety flags that have been looked into.

CREATE TABLE stakeholder (
    migration_id VARCHAR NOT NULL REFERENCES migration (migration_id),
    role         VARCHAR NOT NULL,   -- 'Product owner', 'SRE', ...
    person       VARCHAR,            -- who is expected to sign, free text
    PRIMARY KEY (migration_id, role)
);

INSERT INTO stakeholder (migration_id, role)
SELECT m.migration_id, r.role FROM migration m,
    (VALUES ('Product owner'), ('SME lead'), ('Privacy officer'), ('Legal / procurement'),
            ('SRE')) r(role);

CREATE SEQUENCE approval_seq START 1;

-- Append-only: a new decision is a new row; the latest per stakeholder and run counts.
CREATE TABLE approval (
    approval_id     BIGINT PRIMARY KEY DEFAULT nextval('approval_seq'),
    migration_id    VARCHAR NOT NULL REFERENCES migration (migration_id),
    run_id          VARCHAR NOT NULL REFERENCES run (run_id),   -- the target approved
    stakeholder     VARCHAR NOT NULL,
    decision        VARCHAR NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment         VARCHAR,
    checklist       TEXT NOT NULL DEFAULT '{}',  -- JSON
    snapshot        TEXT NOT NULL,               -- JSON, hashed: its text is kept exactly
    snapshot_sha256 VARCHAR NOT NULL,
    decided_by      VARCHAR NOT NULL,
    decided_at      TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

CREATE TABLE safety_resolution (
    label_id    BIGINT PRIMARY KEY,
    note        VARCHAR NOT NULL,
    resolved_by VARCHAR NOT NULL,
    resolved_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
