"""Every table on every page reads as text for people: headings, not column names; a dash,
not 'None'; times to the minute; figures rounded.

Seen in the browser walk (stop 22): 'judge_score 0.8333333' and 'sme_pass True' on
Calibration's disagreements, 'decided_at 2026-11-30 22:11:02.502764' and 'NaT' on Canary,
'prompt_version_id', 'ttft_p50_ms' and 'cost_per_query 0.006498' on Runs, 'N_h' on Sampling.
"""

import re
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import signed_in

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))
EVERY_ROLE = ("admin", "eval_owner", "manager", "sme")

RAW_NAME = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")  # snake_case: a column name, not a heading
MISSING_WORDS = {"None", "nan", "NaN", "NaT", "<NA>", "null"}
RAW_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d")  # seconds or microseconds shown
FLOAT = re.compile(r"-?\d[\d,]*\.(\d+)")


def significant(text: str) -> int:
    """Significant digits of a decimal written in ``text`` ('0.00320' → 3, '59.37' → 4)."""
    match = FLOAT.fullmatch(text.strip())
    if match is None:
        return 0
    digits = text.strip().lstrip("-").replace(",", "").replace(".", "").lstrip("0")
    return len(digits)


def problems(frame: pd.DataFrame) -> list[str]:
    found = [f"heading {c!r}" for c in frame.columns if RAW_NAME.match(str(c))]
    for column in frame.columns:
        for value in frame[column]:
            if isinstance(value, float) and value == value and significant(repr(value)) > 4:
                found.append(f"{column}: unrounded {value!r}")
            if value is None or value is pd.NaT:
                found.append(f"{column}: empty cell shown as None")
                continue
            text = str(value)
            if text in MISSING_WORDS:
                found.append(f"{column}: {text!r}")
            elif RAW_TIME.search(text):
                found.append(f"{column}: raw time {text!r}")
            elif significant(text) > 4:
                found.append(f"{column}: unrounded {text!r}")
    return found


def test_the_checks_catch_what_was_seen():
    seen = pd.DataFrame(
        {
            "judge_score": [0.8333333],
            "Decided at": ["2026-11-30 22:11:02.502764"],
            "Ended": [pd.NaT],
            "Origin": [None],
            "Cost": ["0.006498"],
        }
    )
    assert len(problems(seen)) == 6  # the heading, the score, the time, NaT, None, the cost
    fine = pd.DataFrame({"Rate (%)": ["59.37"], "Price": ["0.000800"], "When": ["2026-11-30"]})
    assert problems(fine) == []


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_every_table_on_the_page_reads_as_text(page, demo_page_db):
    demo_page_db(300)
    at = signed_in(f"pages/{page}", "admin", EVERY_ROLE, 180).run()
    assert not at.exception, at.exception
    tables = [d.value for d in at.dataframe] + [t.value for t in at.table]
    found = [p for t in tables if isinstance(t, pd.DataFrame) for p in problems(t)]
    assert found == [], found
