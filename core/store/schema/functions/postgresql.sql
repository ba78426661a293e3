-- DuckDB functions the code's SQL uses, as PostgreSQL functions of the same name and meaning.
-- Applied (CREATE OR REPLACE) each time a process first opens a PostgreSQL database, after the
-- numbered migrations: they hold no data, so they follow the code, not the schema's history.

-- to_seconds(n): an interval of n seconds.
CREATE OR REPLACE FUNCTION to_seconds(double precision) RETURNS interval
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT make_interval(secs => $1) $$;

-- JSON is stored as TEXT (see 001_initial.sql): DuckDB's json functions take text.
CREATE OR REPLACE FUNCTION json_extract_path_text(text, VARIADIC text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT json_extract_path_text($1::json, VARIADIC $2) $$;
CREATE OR REPLACE FUNCTION json_extract_path(text, VARIADIC text[]) RETURNS json
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT json_extract_path($1::json, VARIADIC $2) $$;

-- sha256(text) in DuckDB is the hex digest of the text's UTF-8 bytes.
CREATE OR REPLACE FUNCTION sha256(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex') $$;

-- any_value (built in from PostgreSQL 16): the group's first non-NULL value, as DuckDB's. The
-- step is STRICT, so PostgreSQL keeps the first non-NULL value as the state and skips NULLs;
-- PL/pgSQL, as an SQL function's step costs twice as much a row (0.73 s against 0.35 s for
-- the comparison's labels, 177,064 rows in 44,266 groups).
CREATE OR REPLACE FUNCTION sy_any_value_step(anyelement, anyelement) RETURNS anyelement
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$ BEGIN RETURN $1; END $$;
DO $$ BEGIN
    IF current_setting('server_version_num')::int < 160000 THEN
        CREATE OR REPLACE AGGREGATE any_value(anyelement) (SFUNC = sy_any_value_step, STYPE = anyelement);
    END IF;
END $$;

-- first(x) was defined here and answered NULL; no statement uses it. Dropped where it is
-- ours (its step function is), so another first() (an extension's) is left alone.
DO $$ BEGIN
    IF to_regprocedure('sy_first_step(anyelement, anyelement)') IS NOT NULL THEN
        DROP AGGREGATE IF EXISTS first(anyelement);
        DROP FUNCTION sy_first_step(anyelement, anyelement);
    END IF;
END $$;

-- Floating point tests (PostgreSQL's isfinite takes dates only).
CREATE OR REPLACE FUNCTION is_nan(double precision) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT $1 = 'NaN'::float8 $$;
CREATE OR REPLACE FUNCTION is_inf(double precision) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT $1 IN ('Infinity'::float8, '-Infinity'::float8) $$;
CREATE OR REPLACE FUNCTION isfinite(double precision) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT NOT (is_nan($1) OR is_inf($1)) $$;

-- Lists.
CREATE OR REPLACE FUNCTION array_sort(anyarray) RETURNS anyarray
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT array(SELECT v FROM unnest($1) AS t(v) ORDER BY v) $$;
CREATE OR REPLACE FUNCTION array_distinct(anyarray) RETURNS anyarray
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT array(SELECT DISTINCT v FROM unnest($1) AS t(v) WHERE v IS NOT NULL ORDER BY v) $$;
CREATE OR REPLACE FUNCTION length(anyarray) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(cardinality($1), 0) $$;
CREATE OR REPLACE FUNCTION list_position(anyarray, anyelement) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT array_position($1, $2) $$;

-- json_type(text): DuckDB's names (OBJECT, ARRAY, VARCHAR, BIGINT, DOUBLE, BOOLEAN, NULL).
CREATE OR REPLACE FUNCTION json_type(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE json_typeof($1::json)
        WHEN 'object' THEN 'OBJECT' WHEN 'array' THEN 'ARRAY' WHEN 'string' THEN 'VARCHAR'
        WHEN 'boolean' THEN 'BOOLEAN' WHEN 'null' THEN 'NULL'
        WHEN 'number' THEN CASE WHEN $1 ~ '^\s*-?[0-9]+\s*$' THEN 'BIGINT' ELSE 'DOUBLE' END
    END $$;
-- json_type(text, '$.a.b'): the type at a simple path ($.key.key).
CREATE OR REPLACE FUNCTION json_type(text, text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT json_type(json_extract_path($1::json,
        VARIADIC string_to_array(regexp_replace($2, '^\$\.?', ''), '.'))::text) $$;

-- Lookup indexes DuckDB goes without (its scans are columnar, and an index would slow its
-- million-row imports) but PostgreSQL needs for the review screen's reads of one item's
-- outputs and scores out of millions (a scan there is 65 ms; a lookup 0.1 ms).
CREATE INDEX IF NOT EXISTS output_by_item ON output (item_id, run_id);
CREATE INDEX IF NOT EXISTS judge_score_by_item ON judge_score (item_id, run_id);
-- Sign-off names every judge of a run: this index lets it skip from one (metric, judge,
-- version) to the next instead of grouping millions of scores (27 MB beside the table's
-- 386 MB at 4,000,000 scores: equal keys are stored once).
CREATE INDEX IF NOT EXISTS judge_score_judges
    ON judge_score (run_id, metric, judge, coalesce(judge_version, ''));
