"""Every Altair chart the pages draw: one function per chart, data in, chart out."""

from __future__ import annotations

import altair as alt  # noqa: F401  (each chart function below uses it)
