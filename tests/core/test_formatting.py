"""core.formatting: one way to show a number. Expected strings are the format's definition
(issue 16: one decimal for percent, 'pp' for points, the currency code, ms or s by size,
'84.6% (82.4–86.5%)', a dash for anything missing)."""

import math

import numpy as np
import pandas as pd
import pytest

from core import formatting
from core.types import Interval


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.8462, "84.6%"), (1.0, "100.0%"), (0.0, "0.0%"), (None, "—"), (math.nan, "—")],
)
def test_percent_has_one_decimal(value, shown):
    assert formatting.pct(value) == shown


def test_a_difference_of_proportions_is_in_points():
    assert formatting.points(-0.0131) == "-1.3 pp"
    assert formatting.points(0.081) == "+8.1 pp"
    assert formatting.points(None) == "—"
    assert formatting.points_interval(Interval(-0.013, -0.040, 0.013)) == "-1.3 pp (-4.0 to +1.3)"


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        (4.7, "USD", "USD 4.70"),
        (0.006582, "USD", "USD 0.00658"),  # per query: three significant digits
        (14230.4, "USD", "USD 14,230"),  # a month: whole units
        (11600, "EUR", "EUR 11,600"),
        (None, "USD", "—"),
        (math.inf, "USD", "—"),
    ],
)
def test_money_carries_its_currency(value, currency, shown):
    assert formatting.money(value, currency) == shown


def test_money_interval_keeps_one_precision():
    saving = Interval(0.00474, 0.00453, 0.00497)
    assert formatting.money_interval(saving, "USD") == "USD 0.00474 (0.00453 to 0.00497)"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(393.2, "393 ms"), (999.4, "999 ms"), (1256, "1.26 s"), (84_000, "84 s"), (None, "—")],
)
def test_milliseconds_read_ms_or_s_by_size(value, shown):
    assert formatting.ms(value) == shown


def test_a_change_carries_its_sign():
    # The sign-off's TTFT evidence: an increase in ms (or s) and relative to the source.
    assert formatting.ms(548, signed=True) == "+548 ms"
    assert formatting.ms(-389.4, signed=True) == "-389 ms"
    assert formatting.ms(1250, signed=True) == "+1.25 s"
    assert formatting.ms(-0.2, signed=True) == "+0 ms"
    assert formatting.pct(0.874, signed=True) == "+87.4%"
    assert formatting.pct(-0.387, signed=True) == "-38.7%"


def test_a_count_has_thousands_separators():
    assert formatting.count(2030, "paired item") == "2,030 paired items"
    assert formatting.count(1, "reviewer") == "1 reviewer"


def test_duration_interval_in_the_estimates_unit():
    assert formatting.ms_interval(Interval(393, 380, 410)) == "393 ms (380 to 410 ms)"
    assert formatting.ms_interval(Interval(1393, 1380, 1410)) == "1.39 s (1.38 to 1.41 s)"


def test_percent_interval_reads_as_in_the_issue():
    assert formatting.pct_interval(Interval(0.846, 0.824, 0.865)) == "84.6% (82.4–86.5%)"
    assert formatting.percent(Interval(0.846, 0.824, 0.865)) == "84.6% (82.4–86.5%)"
    assert formatting.pct_interval(Interval(0.846, math.nan, math.nan)) == "84.6%"
    assert formatting.pct_interval(None) == "—"


def test_an_interval_without_an_estimate_shows_its_note():
    thin = Interval(math.nan, math.nan, math.nan, note="not enough labels: 6 items")
    assert formatting.pct_interval(thin) == "not enough labels: 6 items"


@pytest.mark.parametrize(
    ("raw", "heading"),
    [
        ("frozen_by", "Frozen by"),
        ("prompt_version_id", "Prompt version"),
        ("p50_ms", "p50"),
        ("target_error", "Target error"),
        ("some_new_column", "Some new column"),
    ],
)
def test_column_names_become_headings(raw, heading):
    assert formatting.label(raw) == heading


@pytest.mark.parametrize(
    ("value", "shown"),
    [(-365.286, "-365"), (-2257.4053, "-2,257"), (0.98531, "0.985"), (3.0, "3"), (4.7, "4.70")],
)
def test_a_figure_of_unknown_scale_has_three_significant_digits(value, shown):
    assert formatting.auto(value) == shown


def test_a_table_never_shows_none_or_nan():
    raw = pd.DataFrame(
        {
            "frozen_by": ["ana", None],
            "p50_ms": [1.23456, np.nan],
            "outputs": [3, 4],
            "frozen_at": [pd.Timestamp("2026-11-01"), pd.NaT],
        }
    )
    shown = formatting.table(raw)
    assert list(shown.columns) == ["Frozen by", "p50", "Outputs", "Frozen at"]
    assert shown["Frozen by"].tolist() == ["ana", "—"]
    assert shown["p50"].tolist() == ["1.23", "—"]
    assert shown["Outputs"].tolist() == [3, 4]
    assert shown["Frozen at"].iloc[1] == "—"
    text = shown.to_string()
    assert "None" not in text and "nan" not in text.lower() and "NaT" not in text


def test_canary_figures_carry_their_unit_once():
    # differences signed, the unit written once after the interval
    assert formatting.unit_interval(312.4, 268.0, 355.2, "ms", signed=True) == (
        "+312 ms (+268 to +355 ms)"
    )
    assert formatting.unit_interval(0.1462, -1.642, 1.756, "pp", signed=True) == (
        "+0.1 pp (-1.6 to +1.8 pp)"
    )
    assert formatting.unit_interval(0.2502, 0.242, 0.258, "share") == "25.0% (24.2 to 25.8%)"
    assert formatting.unit_interval(0.96, 0.74, 1.28, "ratio") == "0.96× (0.74 to 1.28×)"
    assert formatting.unit_interval(0.0015049, 0.001485, 0.001525, "usd") == (
        "USD 0.00150 (0.00148 to 0.00153)"
    )
    assert formatting.unit_interval(2.0, None, None, "count") == "2"
    assert formatting.in_unit(float("nan"), "ms") == formatting.MISSING


def test_a_value_that_rounds_to_zero_shows_no_minus():
    # The calibration page read "κ -0.00" for a weighted κ of about -0.001.
    assert formatting.number(-0.001, ".2f") == "0.00"
    assert formatting.pct(-0.00001) == "0.0%"
    assert formatting.points(-0.00001) == "+0.0 pp"
    assert formatting.points(-0.00001, signed=False) == "0.0 pp"
    assert formatting.number(-0.006, ".2f") == "-0.01" and formatting.points(-0.02) == "-2.0 pp"
