"""The decision: every criterion for one target, the approvals, the canary plan, and GO, NO-GO
or NOT YET with its reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from core.analysis import compare
from core.analysis.compare.results import plain
from core.analysis.signoff import criteria as rules
from core.analysis.signoff.canary import CanaryStage, canary_plan
from core.analysis.signoff.criteria import FAIL, NOT_MEASURED, OPEN, Criterion
from core.analysis.signoff.evidence import SignoffEvidence, default_target, load_evidence
from core.catalog.approvals import Approval, SafetyFlag, checklist_open
from core.types import Decision

GO: Decision = "GO"
NO_GO: Decision = "NO-GO"
NOT_YET: Decision = "NOT YET"
EXIT_CODES = {GO: 0, NOT_YET: 3, NO_GO: 4}


@dataclass(frozen=True)
class SignoffReport:
    """The sign-off of one target: read by the page, the CLI and the exports."""

    migration_id: str
    migration: str
    synthetic: bool
    target_run_id: str
    target_model: str
    source_run_id: str
    decided_on: str  # 'holdout' or 'all items'
    decision: Decision
    reasons: list[str]
    criteria: list[Criterion]
    quality: dict[str, compare.QualityResult]  # gating metric -> figures
    sme_corrected: dict[str, compare.SmeCorrection]
    speed: compare.SpeedResult
    cost: compare.CostResult
    open_safety_flags: list[SafetyFlag]
    approvals: list[Approval]
    checklist_open: list[str]
    canary: list[CanaryStage]
    snapshot: dict
    snapshot_sha256: str
    generated: str

    def to_dict(self) -> dict:
        return {name: plain(value) for name, value in self.__dict__.items()}


@dataclass(frozen=True)
class Measures:
    """What the decision computes from the comparison alone (no database, no calibration)."""

    basis: str  # 'holdout' or 'all items'
    quality: dict[str, compare.QualityResult]
    corrected: dict[str, compare.SmeCorrection]
    speed: compare.SpeedResult
    cost: compare.CostResult


def evaluate(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    target_run_id: str | None = None,
    *,
    seed: int = 0,
) -> SignoffReport:
    """Every criterion decided for one target, the approvals, the canary plan, the decision."""
    target_run_id = target_run_id or default_target(con, migration_id)
    # the measures are computed while the rest of the evidence is read
    evidence, measures = load_evidence(
        con, migration_id, target_run_id, seed, lambda comparison: measure(comparison, seed)
    )
    return decide_on(evidence, seed, measures)


def measure(comparison: compare.Comparison, seed: int = 0) -> Measures:
    """Quality, SME-corrected quality, speed and cost of the comparison's decision items."""
    items, basis = compare.decision_items(comparison)
    boot = compare.bootstrap_for(items, seed)
    margin = comparison.criteria["quality_margin"]
    return Measures(
        basis,
        {m: compare.quality(items, m, margin, boot) for m in comparison.gating},
        {m: compare.sme_corrected(comparison, m, items) for m in comparison.gating},
        compare.speed(items, boot),
        compare.cost(comparison, items, boot),
    )


def decide_on(
    evidence: SignoffEvidence, seed: int = 0, measures: Measures | None = None
) -> SignoffReport:
    """The report on loaded evidence (no database); ``measures``: already computed on it."""
    comparison = evidence.comparison
    crit = comparison.criteria
    margin = crit["quality_margin"]
    done = measures or measure(comparison, seed)
    quality, corrected, speed, cost = done.quality, done.corrected, done.speed, done.cost
    criteria = [
        rules.quality_criterion(quality[m], corrected[m], margin, done.basis)
        for m in comparison.gating
    ]
    if not comparison.gating:
        criteria.append(rules.no_gating_metric())
    criteria += [
        rules.ttft_criterion(speed, crit["ttft_increase_pct"], crit["ttft_increase_ms"]),
        rules.cost_criterion(cost, crit["roi_days"]),
        rules.safety_criterion(comparison, evidence.flags, evidence.safety_sme),
        rules.judge_trust_criterion(comparison.gating, evidence.trust, crit["kappa_floor"]),
    ]
    decision, reasons = decide(criteria, evidence.approvals)
    return SignoffReport(
        migration_id=comparison.migration_id,
        migration=evidence.migration,
        synthetic=evidence.synthetic,
        target_run_id=comparison.runs["target"],
        target_model=comparison.models["target"],
        source_run_id=comparison.runs["source"],
        decided_on=done.basis,
        decision=decision,
        reasons=reasons,
        criteria=criteria,
        quality=quality,
        sme_corrected=corrected,
        speed=speed,
        cost=cost,
        open_safety_flags=evidence.flags,
        approvals=evidence.approvals,
        checklist_open=checklist_open(evidence.approvals),
        canary=canary_plan(crit, quality, speed, cost, comparison.migration_id),
        snapshot=evidence.snapshot,
        snapshot_sha256=evidence.snapshot_sha256,
        generated=date.today().isoformat(),
    )


def decide(criteria: list[Criterion], signed: list[Approval]) -> tuple[Decision, list[str]]:
    """NO-GO when a criterion fails or a stakeholder rejects; GO when every criterion passes
    and every stakeholder approved the current evidence; NOT YET otherwise (NOT MEASURED is
    never a pass)."""
    failed = [c.name for c in criteria if c.status == FAIL]
    rejected = [s.role for s in signed if s.decision == "reject" and not s.stale]
    if failed or rejected:
        reasons = [f"{name} fails" for name in failed]
        reasons += [f"{role} rejected" for role in rejected]
        return NO_GO, reasons
    reasons = [
        f"{c.name}: NOT MEASURED — {c.next_step or c.settle}"
        for c in criteria
        if c.status == NOT_MEASURED
    ]
    reasons += [f"{c.name}: not enough evidence" for c in criteria if c.status == OPEN]
    for s in signed:
        if s.decision is None:
            reasons.append(f"{s.role} has not decided")
        elif s.stale:
            reasons.append(f"{s.role}'s approval is stale (the evidence changed since)")
    if not signed:
        reasons.append("no stakeholder is named")
    reasons += [f"checklist open: {item}" for item in checklist_open(signed)]
    if reasons:
        return NOT_YET, reasons
    return GO, ["every criterion passes and every stakeholder approved the current evidence"]
