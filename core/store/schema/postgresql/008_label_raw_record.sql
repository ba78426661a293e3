-- PostgreSQL variant of 008_label_raw_record.sql.
-- Labels made outside the app keep what came in: a Bedrock worker's every answer on the
-- response (all metrics, with their rating methods), a label file's row as it was written,
-- an export row's columns. NULL for labels entered in the app.

ALTER TABLE label ADD COLUMN raw_record TEXT;  -- JSON, kept as text (see 001)
