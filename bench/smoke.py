"""``--smoke``: each benchmark at a tiny size, so CI runs it and it cannot rot.

A smoke run works in a temporary folder (never bench/out, never RESULTS.md), prints its JSON
like a full run and fails unless that JSON holds figures, all of them finite.
"""

from __future__ import annotations

import math
from collections.abc import Iterator


def numbers(value: object) -> Iterator[float]:
    """Every number in a JSON-like value, depth first."""
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield float(value)
    elif isinstance(value, dict):
        for v in value.values():
            yield from numbers(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from numbers(v)


def check(result: dict, *timings: str) -> None:
    """Fail unless the result has figures, all finite, and each named timing is positive."""
    found = list(numbers(result))
    assert found, f"the smoke run produced no figures: {result!r}"
    assert all(math.isfinite(n) for n in found), f"a figure is not finite: {result!r}"
    for key in timings:
        value = result
        for part in key.split("."):
            value = value[part]
        assert isinstance(value, int | float) and value > 0, f"{key} = {value!r}"
