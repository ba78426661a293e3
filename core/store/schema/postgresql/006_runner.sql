-- PostgreSQL variant of 006_runner.sql.
-- Runs made by Switchyard itself: what the service said about each call, and prompt
-- versions kept per migration.

ALTER TABLE output ADD COLUMN stop_reason VARCHAR;
ALTER TABLE output ADD COLUMN service_latency_ms DOUBLE PRECISION;  -- Bedrock's metrics.latencyMs
ALTER TABLE output ADD COLUMN attempts INTEGER;             -- 1 + retries after throttling

ALTER TABLE prompt_version ADD COLUMN migration_id VARCHAR;
ALTER TABLE prompt_version ADD COLUMN note VARCHAR;
