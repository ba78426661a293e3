"""Every Altair chart the pages draw: one function per chart, data in, chart out."""

from __future__ import annotations

import altair as alt  # noqa: F401  (each chart function below uses it)
import pandas as pd


def threshold_sweep(table: pd.DataFrame) -> alt.Chart:
    """Calibration: κ, precision and recall against the judge's pass threshold."""
    return (
        alt.Chart(table.melt("threshold", var_name="figure", value_name="value"))
        .mark_line(point=True)
        .encode(
            x="threshold:Q",
            y=alt.Y("value:Q", scale=alt.Scale(domain=[-0.2, 1])),
            color="figure:N",
        )
    )
