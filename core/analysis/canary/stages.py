"""The canary's stages and each stage's verdict: PROMOTE, HOLD or ROLL BACK, with why.

The stages come from the migration's criteria (``canary_stages``: traffic %, minimum hours,
maximum hours); when each started is recorded (``canary stage start``). A stage's verdict rests
on the checks of its own traffic (``core.analysis.canary.checks``, confidence sequences, valid
however often it is looked at) and on the time it has run:

- ROLL BACK when any critical check crossed its limit (the checks that count as critical are
  the ``canary_critical_checks`` setting), with each crossing's interval as evidence, or when
  a rollback was recorded;
- PROMOTE when every check is within its limit and the stage's minimum time is met;
- HOLD otherwise, saying what is missing: time, data (an inconclusive check and the effect it
  can detect now), or a non-critical check that crossed.

Everything here is pure: the caller loads the stages and the checks (``status``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, Protocol

from core.formatting import in_unit, unit_interval

Verdict = Literal["PROMOTE", "HOLD", "ROLL BACK"]
PROMOTE: Verdict = "PROMOTE"
HOLD: Verdict = "HOLD"
ROLL_BACK: Verdict = "ROLL BACK"
# As `report signoff --gate`: 0 go on, 3 not yet, 4 stop.
EXIT_CODES: dict[Verdict, int] = {PROMOTE: 0, HOLD: 3, ROLL_BACK: 4}
# Checks on SME labels of canary traffic: without any such label they are named as not
# measured, but do not hold a stage forever (a team may not review production traffic).
SME_CHECKS = frozenset({"quality_sme", "sme_flags"})


class Check(Protocol):
    """What a verdict reads of one check (``checks.CheckResult``)."""

    @property
    def name(self) -> str: ...
    @property
    def estimate(self) -> float | None: ...
    @property
    def low(self) -> float | None: ...
    @property
    def high(self) -> float | None: ...
    @property
    def limit(self) -> float | None: ...
    @property
    def unit(self) -> str: ...
    @property
    def status(self) -> str: ...  # 'within', 'crossed' or 'inconclusive'
    @property
    def mde(self) -> float | None: ...
    @property
    def n_canary(self) -> int: ...
    @property
    def why(self) -> str: ...


@dataclass(frozen=True)
class Stage:
    """One stage of the rollout and, once started, when and by whom."""

    number: int
    share_pct: float
    min_hours: float
    max_hours: float
    started_at: datetime | None = None
    started_by: str | None = None
    ended_at: datetime | None = None  # the next stage's start, or a rollback

    @property
    def final(self) -> bool:
        """The last stage routes all traffic to the target: nothing is left to compare."""
        return self.share_pct >= 100

    def hours(self, now: datetime) -> float:
        """Hours the stage has run (to its end, or to ``now``); 0 before it starts."""
        if self.started_at is None:
            return 0.0
        end = self.ended_at or now
        return max((end - self.started_at).total_seconds() / 3600, 0.0)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class StageVerdict:
    """A stage's verdict, why, and for a ROLL BACK the evidence of each crossing."""

    stage: int
    share_pct: float
    verdict: Verdict
    reasons: list[str]
    evidence: list[str] = field(default_factory=list)
    hours: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def stages_of(
    criteria: dict,
    started: dict[int, tuple[datetime, str]],
    rolled_back_at: datetime | None = None,
) -> list[Stage]:
    """The migration's stages, each with its latest recorded start; a stage ends where the
    next one (in time) starts, the current one at a rollback after its start."""
    stages = [
        Stage(n, float(share), float(low), float(high), *started.get(n, (None, None)))
        for n, (share, low, high) in enumerate(criteria["canary_stages"], start=1)
    ]
    out = []
    for stage in stages:
        end = None
        if stage.started_at is not None:
            later = [
                s.started_at for s in stages if s.started_at and s.started_at > stage.started_at
            ]
            if rolled_back_at is not None and rolled_back_at >= stage.started_at:
                later.append(rolled_back_at)
            end = min(later) if later else None
        out.append(replace(stage, ended_at=end))
    return out


def current(stages: list[Stage]) -> Stage | None:
    """The stage that started last, or None before the canary starts."""
    begun = [s for s in stages if s.started_at is not None]
    return max(begun, key=lambda s: (s.started_at, s.number)) if begun else None


DIFFERENCES = ("pp", "ms")  # units of a canary-minus-control difference, shown signed


def figure(check: Check) -> str:
    """'+312 ms (+268 to +355 ms)': the check's estimate and sequence in its unit (core.formatting);
    signed for differences (pp, ms), plain for ratios, shares, counts and costs."""
    return unit_interval(
        check.estimate, check.low, check.high, check.unit, signed=check.unit in DIFFERENCES
    )


def limit_of(check: Check) -> str:
    """The check's limit in its unit: '250 ms', '-2.4 pp', '1.50×'; for the traffic split, the
    configured share it is tested against: '25.0% configured'."""
    text = in_unit(check.limit, check.unit)
    return f"{text} configured" if check.unit == "share" else text


def bound_of(check: Check) -> str:
    """'limit 250 ms', or 'against 25.0% configured' for the traffic split (not a limit)."""
    return ("against " if check.unit == "share" else "limit ") + limit_of(check)


def crossing(check: Check) -> str:
    """'ttft_p90: +312 ms (+268 to +355 ms) against a limit of 250 ms' and the check's why."""
    against = "against" if check.unit == "share" else "against a limit of"
    text = f"{check.name}: {figure(check)} {against} {limit_of(check)}"
    return f"{text} — {check.why}" if check.why else text


def decide(
    stage: Stage,
    checks: Sequence[Check],
    now: datetime,
    critical: frozenset[str],
    requests: int = 0,
) -> StageVerdict:
    """The stage's verdict on its checks and time; ``requests`` counts its traffic."""
    hours = stage.hours(now)
    crossed = [c for c in checks if c.status == "crossed" and c.name in critical]
    if crossed:
        reasons = [f"{len(crossed)} critical check(s) crossed their limit: route traffic back"]
        evidence = [crossing(c) for c in crossed]
        return StageVerdict(stage.number, stage.share_pct, ROLL_BACK, reasons, evidence, hours)
    if stage.final:
        reasons = [f"stage {stage.number} routes all traffic to the target: the switch is done"]
        return StageVerdict(stage.number, stage.share_pct, PROMOTE, reasons, hours=hours)
    holds = _holds(stage, checks, hours, requests)
    if holds:
        if hours > stage.max_hours > 0:
            holds.append(
                f"past its maximum of {stage.max_hours:.0f} h: decide now to promote, extend "
                "the stage or roll back"
            )
        return StageVerdict(stage.number, stage.share_pct, HOLD, holds, hours=hours)
    reasons = [
        f"every check within its limit and the minimum {stage.min_hours:.0f} h met "
        f"({hours:.1f} h run)"
    ]
    unmeasured = [c.name for c in checks if _unmeasured(c)]
    if unmeasured:
        reasons.append(
            f"not measured: {', '.join(unmeasured)} (no SME labels on canary traffic yet)"
        )
    return StageVerdict(stage.number, stage.share_pct, PROMOTE, reasons, hours=hours)


def _unmeasured(check: Check) -> bool:
    """An SME check without a single SME label on the canary's traffic."""
    return check.name in SME_CHECKS and check.n_canary == 0 and check.status == "inconclusive"


def _holds(stage: Stage, checks: Sequence[Check], hours: float, requests: int) -> list[str]:
    """What keeps the stage from PROMOTE: time, data, a non-critical crossing."""
    holds = []
    if hours < stage.min_hours:
        holds.append(
            f"time: stage {stage.number} has run {hours:.1f} h of its minimum "
            f"{stage.min_hours:.0f} h"
        )
    if not requests or not checks:
        holds.append(f"data: no traffic ingested for stage {stage.number} yet")
        return holds
    for check in checks:
        if _unmeasured(check):
            continue
        if check.status == "inconclusive":
            holds.append(
                f"data: {check.name} is inconclusive ({figure(check)}, {bound_of(check)};"
                f" detectable now: {in_unit(check.mde, check.unit)})"
            )
        elif check.status == "crossed":
            holds.append(
                f"review: {crossing(check)} (not a critical check, so no rollback: promote "
                "only once it is understood)"
            )
    return holds


def rolled_back(stage: Stage, at: datetime, by: str, reason: str | None) -> StageVerdict:
    """The verdict once a rollback is recorded: it stands until a stage starts again."""
    reasons = [
        f"rolled back at {at:%Y-%m-%d %H:%M} UTC by {by}" + (f": {reason}" if reason else "")
    ]
    hours = stage.hours(at)  # how long it ran before traffic went back to the source
    return StageVerdict(stage.number, stage.share_pct, ROLL_BACK, reasons, hours=hours)


def not_started(stages: list[Stage]) -> StageVerdict:
    """HOLD before the first stage starts, saying how to start it."""
    first = stages[0]
    reasons = [
        f"the canary has not started: route {first.share_pct:g}% of traffic to the target and "
        "record stage 1's start (Canary page, or `python -m core canary stage start`)"
    ]
    return StageVerdict(first.number, first.share_pct, HOLD, reasons)
