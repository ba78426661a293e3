"""The canary's checks: each a confidence sequence against its limit, valid at every look.

The false-alarm budget ``alpha`` (0.05 by default) is split equally over the ten checks
(alpha / 10 = 0.005 each, stated in each result's ``alpha``); a check on two arms spends half
of its share on each arm's sequence. By the union bound the chance that any check reads
"crossed" while no limit is truly crossed stays below ``alpha``, however often the page is
refreshed: every interval is a confidence sequence (``sequences``), not a fixed-n interval.

- "crossed": the whole interval is beyond the limit (harm shown);
- "within": the whole interval is inside the limit;
- "inconclusive": otherwise, or no data. ``mde`` is half the interval's width: how far past
  the limit the truth must sit before this many requests can show it.

Rates (pass, error) use the betting CS up to BETTING_MAX_N values per arm, the
asymptotic CS above (its n x grid work would not fit a page refresh); cost uses the
asymptotic CS, quantiles the quantile CS, the split the SRM e-value.

Quality is canary − control pass rate in points (limit −margin); TTFT and latency the
canary − control p50 and p90 in ms (p50 is held to the p90's limit); errors the canary /
control rate ratio; SME flags the exact count of SME safety flags on canary traffic against
the limit (a count rule, the sign-off's rollback trigger: flags on the control do not count);
cost the canary's mean against the projection (or the canary / control ratio without one);
the split the canary share against the configured one (sample-ratio mismatch).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from core.analysis.canary import sequences as cs
from core.types import finite

CHECKS = (
    "quality_judge",
    "quality_sme",
    "ttft_p50",
    "ttft_p90",
    "latency_p50",
    "latency_p90",
    "error_rate",
    "sme_flags",
    "cost_per_request",
    "traffic_split",
)
BETTING_MAX_N = 20_000  # per arm: above it the betting CS (n x grid work) gives way to the CLT one
SRM_TOLERANCE = 0.2  # the split reads "within" when its CS lies within ±20% of the configured share

Columns = dict[str, np.ndarray]  # the checks' inputs by name (``_prepare``)
CheckStatus = Literal["within", "crossed", "inconclusive"]
Harm = Literal["above", "below", "outside"]  # where the limit is crossed


@dataclass(frozen=True)
class CanaryLimits:
    """One stage's limits, from the migration's sign-off criteria."""

    quality_margin_pp: float  # max allowed drop of canary pass rate, percentage points
    ttft_p90_increase_ms: float
    latency_p90_increase_ms: float
    error_rate_ratio: float  # canary / control error rate above this crosses
    sme_flag_limit: int  # SME safety/hallucination flags on canary traffic allowed
    cost_overrun_pct: float  # cost per request above the projection by this % crosses
    projected_cost_per_request: float | None
    configured_share: float  # canary share of traffic in this stage (0-1)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CheckResult:
    """One check at one look: its interval, its limit, and how the two stand."""

    name: str
    estimate: float | None
    low: float | None
    high: float | None
    limit: float | None
    unit: str  # "pp", "ms", "ratio", "count", "usd", "share"
    status: CheckStatus
    mde: float | None  # half the interval's width, in ``unit``
    n_control: int
    n_canary: int
    alpha: float
    method: str
    why: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, eq=False)
class _Track:
    """A check's running interval at each look, before it is judged against its limit."""

    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n_control: np.ndarray
    n_canary: np.ndarray
    limit: float | None
    unit: str
    harm: Harm
    method: str
    note: str


def _mean_cs(x: np.ndarray, alpha: float, at: np.ndarray, bounded: bool) -> cs.Sequence:
    """Betting CS for [0, 1] data up to BETTING_MAX_N, the asymptotic CS otherwise."""
    if bounded and len(x) <= BETTING_MAX_N:
        return cs.betting_cs(x, alpha, at=np.unique(at))
    return cs.asymptotic_cs(x, alpha, at=np.unique(at))


def _arms(frame: Columns, column: str, upto: np.ndarray):
    """Each arm's non-missing values in arrival order, and their count within each look."""
    values = frame[column]
    ok = ~np.isnan(values)
    canary = frame["is_canary"]
    out = []
    for mine in (ok & ~canary, ok & canary):  # control first
        where = np.flatnonzero(mine)
        out.append((values[where], np.searchsorted(where, upto)))  # how many before each look
    return out


def _two_arm(frame, column, upto, alpha, seq_fn, combine) -> tuple:
    (xk, nk), (xc, nc) = _arms(frame, column, upto)
    a = seq_fn(xc, alpha / 2, nc).at_sizes(nc)
    b = seq_fn(xk, alpha / 2, nk).at_sizes(nk)
    est, low, high = combine(a, b)
    return est, low, high, nk, nc, a.method


def _quality(frame, upto, alpha, limits) -> _Track:
    def seq(x, a, at):
        return _mean_cs(x, a, at, bounded=True)

    est, low, high, nk, nc, method = _two_arm(
        frame, "judge_passed", upto, alpha, seq, cs.difference
    )
    # two independent streams, one CS each at alpha/2: a pass is a 0/1 draw of its arm's rate,
    # so each arm is a bounded mean in [0, 1] as it stands; no paired contrast is needed
    # (the arms serve different requests), and an IPW contrast would need the share known.
    note = "canary − control judge pass rate"
    return _Track(
        100 * est, 100 * low, 100 * high, nk, nc, -limits.quality_margin_pp, "pp", "below",
        method, note,
    )  # fmt: skip


def _sme_quality(frame, upto, alpha, limits) -> _Track:
    """Canary − control SME-corrected pass rate: each arm's mean of the difference estimator's
    terms (core.analysis.canary.arrivals.SME_TERMS). A term lies in [1 − 1/π, 1/π] for the
    smallest inclusion probability π in the stream, so the betting CS runs on the terms mapped
    onto [0, 1] and its bounds are mapped back."""
    pi = frame["sme_pi"]
    smallest = float(np.nanmin(pi)) if np.any(pi > 0) else 1.0
    low_end, high_end = min(0.0, 1 - 1 / smallest), max(1.0, 1 / smallest)
    width = high_end - low_end

    def seq(x, a, at):
        if len(x) > BETTING_MAX_N:
            mean = cs.asymptotic_cs(x, a, at=np.unique(at))
        else:
            unit = cs.betting_cs((x - low_end) / width, a, at=np.unique(at))
            mean = replace(
                unit,
                estimate=low_end + width * unit.estimate,
                low=low_end + width * unit.low,
                high=low_end + width * unit.high,
            )
        return _as_rate(mean)

    est, low, high, nk, nc, method = _two_arm(frame, "sme_z", upto, alpha, seq, cs.difference)
    est, low, high = np.clip(est, -1, 1), np.maximum(low, -1), np.minimum(high, 1)
    note = "canary − control SME-corrected pass rate (judges' verdicts corrected by SME labels)"
    return _Track(
        100 * est, 100 * low, 100 * high, nk, nc, -limits.quality_margin_pp, "pp", "below",
        method, note,
    )  # fmt: skip


def _as_rate(mean: cs.Sequence) -> cs.Sequence:
    """An arm's CS for the mean of its terms, reported as a pass rate: the terms leave [0, 1]
    by design, the rate does not, so the interval is intersected with [0, 1] (still valid: the
    rate lies inside) and the estimate clipped. The running mean itself is left as it is."""
    return replace(
        mean,
        estimate=np.clip(mean.estimate, 0, 1),
        low=np.clip(mean.low, 0, 1),
        high=np.clip(mean.high, 0, 1),
    )


def _quantiles(frame, upto, alpha, column, limit) -> tuple[_Track, _Track]:
    """The p50 and p90 tracks of one column (one partial sort per arm serves both)."""
    (xk, nk), (xc, nc) = _arms(frame, column, upto)
    canary = cs.quantile_css(xc, (0.5, 0.9), alpha / 2, at=np.unique(nc[nc > 0]))
    control = cs.quantile_css(xk, (0.5, 0.9), alpha / 2, at=np.unique(nk[nk > 0]))
    what = "TTFT" if column == "ttft_ms" else "latency"
    tracks = []
    for p, a, b in zip((0.5, 0.9), canary, control, strict=True):
        est, low, high = cs.difference(a.at_sizes(nc), b.at_sizes(nk))
        note = f"canary − control p{round(p * 100)} {what}"
        if p < 0.9:
            note += " (held to the p90's limit)"
        tracks.append(_Track(est, low, high, nk, nc, limit, "ms", "above", a.method, note))
    return tracks[0], tracks[1]


def _errors(frame, upto, alpha, limits) -> _Track:
    def seq(x, a, at):
        return _mean_cs(x, a, at, bounded=True)

    est, low, high, nk, nc, method = _two_arm(frame, "error", upto, alpha, seq, cs.ratio)
    note = "canary / control error rate"
    return _Track(est, low, high, nk, nc, limits.error_rate_ratio, "ratio", "above", method, note)


def _flags(frame, upto, alpha, limits) -> _Track:
    """SME safety flags on the canary's traffic, counted exactly against the limit (a count
    rule, as the sign-off's rollback trigger states it): the limit is how many flags the
    stage allows, so the control's flags neither excuse nor add to the canary's."""
    (_xk, nk), (xc, nc) = _arms(frame, "sme_flag", upto)
    limit = float(limits.sme_flag_limit)
    flags_c = np.where(nc > 0, np.concatenate(([0.0], np.cumsum(xc)))[nc], np.nan)
    note = "SME safety flags (hallucination, unsafe or a safety flag) on canary traffic, counted"
    return _Track(flags_c, flags_c, flags_c, nk, nc, limit, "count", "above", "count", note)


def _cost(frame, upto, alpha, limits) -> _Track:
    def seq(x, a, at):
        return cs.asymptotic_cs(x, a, at=np.unique(at[at > 0])).at_sizes(at)

    projected = limits.projected_cost_per_request
    factor = 1 + limits.cost_overrun_pct / 100
    (xk, nk), (xc, nc) = _arms(frame, "cost_usd", upto)
    if projected is not None and projected > 0:
        a = seq(xc, alpha, nc)
        note = f"canary cost per request against the projection ${projected:.6g} + overrun"
        return _Track(
            a.estimate, a.low, a.high, nk, nc, projected * factor, "usd", "above", a.method, note
        )
    est, low, high = cs.ratio(seq(xc, alpha / 2, nc), seq(xk, alpha / 2, nk))
    note = "canary / control cost per request (no projection recorded)"
    method = "asymptotic CS (Waudby-Smith et al. 2024), each arm"
    return _Track(est, low, high, nk, nc, factor, "ratio", "above", method, note)


def _split(frame, upto, alpha, limits) -> _Track:
    is_canary = frame["is_canary"]
    seq = cs.share_cs(is_canary, alpha, at=upto[upto > 0]).at_sizes(upto)
    nc = np.concatenate(([0], np.cumsum(is_canary)))[upto]
    note = f"canary share against the configured {limits.configured_share:.4g}"
    return _Track(
        seq.estimate, seq.low, seq.high, upto - nc, nc, limits.configured_share, "share",
        "outside", seq.method, note,
    )  # fmt: skip


def _status(track: _Track, i: int) -> tuple[CheckStatus, str]:
    low, high, limit = finite(track.low[i]), finite(track.high[i]), track.limit
    if limit is None or math.isnan(track.low[i]) or math.isnan(track.high[i]):
        return "inconclusive", "no data yet"
    if track.harm == "outside":
        if limit <= 0 or limit >= 1:
            return "inconclusive", "no configured share to test"
        if (low is not None and low > limit) or (high is not None and high < limit):
            return "crossed", "the observed split is not the configured one"
        band = (limit * (1 - SRM_TOLERANCE), limit * (1 + SRM_TOLERANCE))
        fits = low is not None and high is not None and band[0] <= low and high <= band[1]
        return ("within", "the split matches") if fits else ("inconclusive", "too few requests")
    # "above": harm is a high value (crossed when low > limit); "below": a low one (quality)
    beyond, inside = (low, high) if track.harm == "above" else (high, low)
    sign = 1 if track.harm == "above" else -1
    if beyond is not None and sign * (beyond - limit) > 0:
        return "crossed", "the whole interval is past the limit"
    if inside is not None and sign * (inside - limit) <= 0:
        return "within", "the whole interval is inside the limit"
    return "inconclusive", "the interval straddles the limit"


def _count_reason(track: _Track, i: int, status: CheckStatus) -> str:
    """'1 SME safety flag on canary traffic, above the limit of 0' (the count rule's why)."""
    count = round(float(track.estimate[i]))
    limit = round(track.limit or 0)
    where = "above" if status == "crossed" else "within"
    flags = f"{count} SME safety flag{'' if count == 1 else 's'} on canary traffic"
    return f"{flags}, {where} the limit of {limit}"


def _result(name: str, track: _Track, i: int, alpha: float) -> CheckResult:
    status, reason = _status(track, i)
    if track.method == "count" and status != "inconclusive":
        reason = _count_reason(track, i, status)
    low, high = finite(track.low[i]), finite(track.high[i])
    mde = (high - low) / 2 if low is not None and high is not None else None
    return CheckResult(
        name=name,
        estimate=finite(track.estimate[i]),
        low=low,
        high=high,
        limit=track.limit,
        unit=track.unit,
        status=status,
        mde=mde,
        n_control=int(track.n_control[i]),
        n_canary=int(track.n_canary[i]),
        alpha=alpha,
        method=track.method,
        why=f"{track.note}: {reason}",
    )


def _tracks(frame: Columns, limits: CanaryLimits, alpha: float, upto: np.ndarray):
    share = alpha / len(CHECKS)
    ttft = _quantiles(frame, upto, share, "ttft_ms", limits.ttft_p90_increase_ms)
    latency = _quantiles(frame, upto, share, "latency_ms", limits.latency_p90_increase_ms)
    builders: dict[str, Callable[[], _Track]] = {
        "quality_judge": lambda: _quality(frame, upto, share, limits),
        "quality_sme": lambda: _sme_quality(frame, upto, share, limits),
        "ttft_p50": lambda: ttft[0],
        "ttft_p90": lambda: ttft[1],
        "latency_p50": lambda: latency[0],
        "latency_p90": lambda: latency[1],
        "error_rate": lambda: _errors(frame, upto, share, limits),
        "sme_flags": lambda: _flags(frame, upto, share, limits),
        "cost_per_request": lambda: _cost(frame, upto, share, limits),
        "traffic_split": lambda: _split(frame, upto, share, limits),
    }
    return share, {name: builders[name]() for name in CHECKS}


def _prepare(traffic: pd.DataFrame) -> Columns:
    """The columns the checks read, as arrays in arrival order: verdicts as floats (NaN when
    missing), errors as 0/1. Arrays, not a frame: at ten million requests every pandas copy
    of the frame costs a second."""
    frame = traffic
    if not frame["ts"].is_monotonic_increasing:  # the loader's ORDER BY usually did it already
        order = [c for c in ("ts", "request_id") if c in frame]
        frame = frame.sort_values(order, kind="stable")
    n = len(frame)
    columns = {"ts": frame["ts"].to_numpy(), "is_canary": (frame["arm"] == "canary").to_numpy()}
    for column in ("judge_passed", "sme_flag"):
        if column not in frame:
            columns[column] = np.full(n, np.nan)
        elif frame[column].dtype.kind in "bf":  # the loader's 1.0/0.0/NaN, or plain bools
            columns[column] = frame[column].to_numpy(dtype=float)
        else:
            as_bool = frame[column].astype("boolean")
            columns[column] = as_bool.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    for column in ("sme_passed", "sme_z", "sme_pi", "ttft_ms", "latency_ms", "cost_usd"):
        if column not in frame:
            columns[column] = np.full(n, np.nan)
        elif frame[column].dtype.kind == "f":
            columns[column] = frame[column].to_numpy(dtype=float, copy=False)
        else:
            columns[column] = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    columns["error"] = frame["error"].fillna(False).to_numpy(dtype=float)
    return columns


def run_checks(
    traffic: pd.DataFrame, limits: CanaryLimits, alpha: float = 0.05
) -> list[CheckResult]:
    """Every check at the last look, in ``CHECKS`` order (see the module docstring)."""
    frame = _prepare(traffic)
    share, tracks = _tracks(frame, limits, alpha, np.array([len(frame["ts"])]))
    return [_result(name, track, 0, share) for name, track in tracks.items()]


def check_history(
    traffic: pd.DataFrame, limits: CanaryLimits, alpha: float = 0.05, looks: int = 50
) -> pd.DataFrame:
    """Each check's interval at ``looks`` evenly spaced request counts, to plot over time.

    One row per (look, check): look, ts (the look's last request), name, estimate, low, high,
    limit, status. Valid at all looks at once, so a crossing anywhere on it is evidence.
    """
    frame = _prepare(traffic)
    columns = ["look", "ts", "name", "estimate", "low", "high", "limit", "status"]
    if len(frame["ts"]) == 0:
        return pd.DataFrame(columns=columns)
    upto = np.unique(np.ceil(np.linspace(0, len(frame["ts"]), looks + 1)[1:]).astype(int))
    share, tracks = _tracks(frame, limits, alpha, upto)
    rows = []
    for i, n in enumerate(upto):
        ts = pd.Timestamp(frame["ts"][n - 1])
        for name, track in tracks.items():
            r = _result(name, track, i, share)
            rows.append((i + 1, ts, name, r.estimate, r.low, r.high, r.limit, r.status))
    return pd.DataFrame(rows, columns=columns)
