"""The rollback drill: after a rollback is recorded, does the canary's share of the logged
traffic fall to about zero within the stated window? A rollback that was never seen to work
is not a tested rollback.

The drill reads the requests logged after the window closes: PASSED when at least
``MIN_REQUESTS`` of them are in and at most ``ZERO_SHARE`` go to the canary; FAILED when the
canary still takes more than that; PENDING while the window is open or too few requests are
in. Pure: the caller passes the traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import pandas as pd

DrillStatus = Literal["passed", "failed", "pending"]
WINDOW_MINUTES = 15.0  # a router config reload and in-flight requests take minutes, not hours
ZERO_SHARE = 0.01  # "about zero": stragglers (retries, pinned sessions) up to 1%
MIN_REQUESTS = 50  # after the window, before the share can be read as zero


@dataclass(frozen=True)
class DrillResult:
    status: DrillStatus
    rolled_back_at: datetime
    window_minutes: float
    requests_after: int  # logged after the window closed
    canary_after: int
    share_after: float | None
    last_canary_at: datetime | None  # the last canary request after the rollback
    why: str

    def evidence(self) -> dict:
        """What is stored and audited with the status."""
        return {k: v for k, v in self.__dict__.items() if k != "status"}

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def drill(
    traffic: pd.DataFrame,
    rolled_back_at: datetime,
    now: datetime,
    window_minutes: float = WINDOW_MINUTES,
) -> DrillResult:
    """The drill's result on the requests (``ts``, ``arm``) logged after the rollback."""
    closes = rolled_back_at + timedelta(minutes=window_minutes)
    after_rollback = traffic[traffic["ts"] >= rolled_back_at]
    canary_since = after_rollback[after_rollback["arm"] == "canary"]["ts"]
    last = canary_since.max() if len(canary_since) else None
    last = None if last is None or pd.isna(last) else pd.Timestamp(last).to_pydatetime()
    after = after_rollback[after_rollback["ts"] >= closes]
    n, canary = len(after), int((after["arm"] == "canary").sum())
    share = canary / n if n else None
    status: DrillStatus
    if share is not None and n >= MIN_REQUESTS:
        status = "passed" if share <= ZERO_SHARE else "failed"
    elif share is not None and canary > ZERO_SHARE * MIN_REQUESTS:
        status = "failed"  # more canary requests than a passing drill could ever hold
    else:
        status = "pending"
    why = _why(status, n, canary, share, now < closes, window_minutes, last, rolled_back_at)
    return DrillResult(status, rolled_back_at, window_minutes, n, canary, share, last, why)


def _why(
    status: DrillStatus,
    n: int,
    canary: int,
    share: float | None,
    open_: bool,
    window: float,
    last: datetime | None,
    at: datetime,
) -> str:
    tail = (
        f"; the last canary request came {(last - at).total_seconds() / 60:.1f} min after it"
        if last
        else "; no canary request since"
    )
    if status == "pending":
        if open_ and not n:
            return f"the {window:.0f}-minute window after the rollback is still open" + tail
        return (
            f"{n} of the {MIN_REQUESTS} requests needed after the {window:.0f}-minute window "
            "are logged: ingest more traffic" + tail
        )
    verb = "fell to" if status == "passed" else "is still"
    return (
        f"the canary's share {verb} {share:.1%} ({canary} of {n} requests) after the "
        f"{window:.0f}-minute window (about zero: at most {ZERO_SHARE:.0%})" + tail
    )
