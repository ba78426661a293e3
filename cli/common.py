"""What every command group shares: the acting user, argument types, progress output."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import UTC, datetime

import duckdb

from core.catalog import datasets, users
from core.errors import InputError
from core.store import settings


def actor() -> str:
    """The user recorded in the audit log: the `user` setting, else the login name."""
    return settings.get("user") or getpass.getuser()


def utc_time(option: str, text: str) -> datetime:
    """An ISO time given on the command line as a naive UTC datetime (one with an offset is
    converted), as the store keeps times."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            option, f"expected an ISO time such as 2026-11-30T12:00, got {text!r}"
        ) from None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def score_range(text: str) -> tuple[str, tuple[float, float]]:
    """'0:1' (every metric) or 'faithfulness=0:1'."""
    metric, _, bounds = text.rpartition("=")
    low, _, high = bounds.partition(":")
    try:
        return metric or "*", (float(low), float(high))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected LOW:HIGH or METRIC=LOW:HIGH, got {text!r}"
        ) from None


def model_config(text: str) -> dict:
    """A run's model config from --config: JSON or key=value, ..."""
    try:
        return datasets.parse_config(text)
    except (ValueError, json.JSONDecodeError) as exc:
        raise argparse.ArgumentTypeError(f"--config: {exc}") from None


def progress(fraction: float, message: str) -> None:
    print(f"\r{fraction:6.1%} {message}", end="", file=sys.stderr, flush=True)


def number(value: float | None) -> str:
    """A catalog bound or threshold as typed ('-' when unset)."""
    return "-" if value is None else f"{value:g}"


def reviewer_names(con: duckdb.DuckDBPyConnection, text: str | None) -> tuple[list[str], str]:
    """--reviewers as names, refused when the database knows other SMEs; with a note to print
    once the draw is made when it knows none (a database the app has not opened yet)."""
    names = [r.strip() for r in (text or "").split(",") if r.strip()]
    return names, users.check_reviewers(con, names) if names else ""


# The values an item column takes on a run's dataset; fixed statements, one per option.
ITEM_VALUES = {
    "stratum": "SELECT DISTINCT i.stratum FROM item i JOIN run r USING (dataset_id)"
    " WHERE r.run_id = ? ORDER BY 1",
    "split": "SELECT DISTINCT i.split FROM item i JOIN run r USING (dataset_id)"
    " WHERE r.run_id = ? ORDER BY 1",
}


def check_item_value(
    con: duckdb.DuckDBPyConnection, run_id: str, option: str, value: str | None
) -> None:
    """Refuse a --stratum or --split the run's dataset does not have (it would select no
    item, and every figure would be empty), naming the ones it has."""
    if value is None:
        return
    known = [row[0] for row in con.execute(ITEM_VALUES[option], [run_id]).fetchall()]
    if value not in known:
        plural = "strata" if option == "stratum" else "splits"
        raise InputError(
            f"--{option}",
            f"the dataset has no {option} {value!r}; its {plural}: {', '.join(known) or 'none'}",
        )
