"""Model prices as the analyses read them: the price in force on a day, and the full history."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd


def prices(con: duckdb.DuckDBPyConnection, on: date | None = None) -> pd.DataFrame:
    """The price of each model in force on ``on`` (default today): the latest effective
    date on or before it, and among equal dates the latest recorded."""
    # prices_in_force: a table macro (schema 009), the one definition of "in force".
    return con.execute("SELECT * FROM prices_in_force(?)", [on or date.today()]).df()


def price_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every recorded price, newest first per model."""
    return con.execute(
        "SELECT model_id, effective_date, input_per_1k, output_per_1k, currency, source,"
        " recorded_at, recorded_by FROM model_price ORDER BY model_id, effective_date DESC,"
        " recorded_at DESC"
    ).df()
