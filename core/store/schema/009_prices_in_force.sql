-- The price of each model in force on a date: the latest effective on or before it, and
-- among equal dates the latest recorded. A table macro, so every query that needs prices
-- reads `prices_in_force(?)` with the date bound, instead of splicing a SQL constant in.
CREATE OR REPLACE MACRO prices_in_force(on_date) AS TABLE
    SELECT DISTINCT ON (model_id) model_id, effective_date, input_per_1k, output_per_1k, currency
    FROM model_price
    WHERE effective_date <= on_date
    ORDER BY model_id, effective_date DESC, recorded_at DESC;
