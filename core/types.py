"""Shared vocabulary: the one interval type, the fixed choices as Literal types, named constants.

A constant lives here when more than one module depends on it agreeing; a number that only one
function uses stays beside that function.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

# A 1-5 SME score of PASS_SCORE or more is a pass when the reviewer did not say pass or fail.
PASS_SCORE = 3
# Bootstrap resamples for every interval that is not closed-form.
RESAMPLES = 1000
# Judge trust: the lower bound of Cohen's kappa must reach this (Landis & Koch's "substantial").
KAPPA_FLOOR = 0.6
# Region for Amazon Bedrock and S3 calls when the user names none.
DEFAULT_REGION = "us-east-1"
# The origin of a run made by a Bedrock batch job (core.llm.batch), which times no call.
BATCH_ORIGIN = "bedrock-batch"

Role = Literal["sme", "eval_owner", "manager", "admin"]  # a user's role
RunRole = Literal["source", "target", "candidate"]  # a run's place in a migration
Split = Literal["dev", "holdout"]
Pool = Literal["fail", "pass", "regression"]  # where a sampled item was drawn from
Provider = Literal["bedrock", "openai"]  # how the runner reaches a model
Decision = Literal["GO", "NO-GO", "NOT YET"]  # the sign-off's answer
Status = Literal["PASS", "FAIL", "NOT ENOUGH EVIDENCE", "NOT MEASURED"]  # one criterion's state

ROLES: tuple[Role, ...] = ("sme", "eval_owner", "manager", "admin")
RUN_ROLES: tuple[RunRole, ...] = ("source", "target", "candidate")
SPLITS: tuple[Split, ...] = ("dev", "holdout")
POOLS: tuple[Pool, ...] = ("fail", "pass", "regression")
PROVIDERS: tuple[Provider, ...] = ("bedrock", "openai")


def finite(value: float | None) -> float | None:
    """None for NaN, infinities and None; the value otherwise (as a Python float)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Interval:
    """An estimate with its two-sided 95% interval; one-sided bounds when the method gives them.

    ``lower_one_sided`` is the 5th percentile (the estimate is above it with 95% confidence),
    ``upper_one_sided`` the 95th. Any figure may be NaN when the data cannot give it.
    """

    estimate: float
    low: float
    high: float
    lower_one_sided: float | None = None
    upper_one_sided: float | None = None
    note: str | None = None  # why there is no interval, e.g. "not enough labels: 6 items"

    def __iter__(self):
        # (estimate, low, high) unpacking, as the statistics code has always used it.
        return iter((self.estimate, self.low, self.high))

    def scaled(self, factor: float) -> Interval:
        def s(v):
            return None if v is None else v * factor

        return Interval(
            self.estimate * factor,
            self.low * factor,
            self.high * factor,
            s(self.lower_one_sided),
            s(self.upper_one_sided),
            self.note,
        )

    def to_dict(self) -> dict:
        """JSON-safe: NaN and infinities become None."""
        out: dict[str, float | str | None] = {
            "estimate": finite(self.estimate),
            "low": finite(self.low),
            "high": finite(self.high),
        }
        if self.lower_one_sided is not None or self.upper_one_sided is not None:
            out["lower_one_sided"] = finite(self.lower_one_sided)
            out["upper_one_sided"] = finite(self.upper_one_sided)
        if self.note:
            out["note"] = self.note
        return out
