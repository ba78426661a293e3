"""What every command group shares: the acting user, argument types, progress output."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from core.catalog import datasets
from core.store import settings


def actor() -> str:
    """The user recorded in the audit log: the `user` setting, else the login name."""
    return settings.get("user") or getpass.getuser()


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
