-- PostgreSQL variant of 009_prices_in_force.sql.
-- The price of each model in force on a date: the latest effective on or before it, and
-- among equal dates the latest recorded. DuckDB's table macro becomes a set-returning SQL
-- function, read the same way: `SELECT * FROM prices_in_force(%s)` with the date bound.
-- The argument is a TIMESTAMP so a date, a timestamp or a bound string all resolve (a date
-- is midnight), comparing as DuckDB's untyped macro does; ORDER BY ... COLLATE "C" keeps
-- DuckDB's byte order of model ids whatever the database's collation.
CREATE OR REPLACE FUNCTION prices_in_force(on_date TIMESTAMP)
RETURNS TABLE (
    model_id       VARCHAR,
    effective_date DATE,
    input_per_1k   DOUBLE PRECISION,
    output_per_1k  DOUBLE PRECISION,
    currency       VARCHAR
)
LANGUAGE sql STABLE
AS $$
    SELECT DISTINCT ON (p.model_id COLLATE "C")
        p.model_id, p.effective_date, p.input_per_1k, p.output_per_1k, p.currency
    FROM model_price p
    WHERE p.effective_date <= on_date
    ORDER BY p.model_id COLLATE "C", p.effective_date DESC, p.recorded_at DESC;
$$;
