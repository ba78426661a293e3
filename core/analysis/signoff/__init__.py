"""Sign-off: each criterion decided with its evidence, approvals bound to that evidence, and
the canary plan that follows from the criteria.

A criterion reads PASS, FAIL, NOT ENOUGH EVIDENCE or NOT MEASURED (a run lacks the measure
it needs: TTFT, token counts, a price), never a bare number: each comes with the rule, the
figures and, when undecided, what would settle it (for NOT MEASURED, ``next_step``: how to
measure it). The migration is GO when every criterion passes and every stakeholder has
approved the current evidence; NO-GO when a criterion fails or a stakeholder rejects; NOT
YET otherwise, so a criterion NOT MEASURED never counts as a pass.

``evidence.load_evidence`` reads everything once; ``criteria``, ``canary`` and
``decision.decide_on`` compute on it; ``approvals`` keeps stakeholders, approvals and safety
flags; ``export`` writes JSON and HTML.
"""

from core.analysis.signoff.canary import CanaryStage, canary_plan
from core.analysis.signoff.criteria import (
    FAIL,
    NOT_MEASURED,
    OPEN,
    PASS,
    Criterion,
    cost_criterion,
    judge_trust_criterion,
    quality_criterion,
    safety_criterion,
    ttft_criterion,
)
from core.analysis.signoff.decision import (
    EXIT_CODES,
    GO,
    NO_GO,
    NOT_YET,
    SignoffReport,
    decide,
    decide_on,
    evaluate,
)
from core.analysis.signoff.evidence import SignoffEvidence, default_target, load_evidence
from core.analysis.signoff.export import plain, to_html, to_json
from core.catalog.approvals import (
    CHECKLIST,
    Approval,
    SafetyFlag,
    Stakeholder,
    add_stakeholder,
    approvals,
    checklist_open,
    open_flags,
    record_approval,
    remove_stakeholder,
    resolve_flag,
    snapshot,
    snapshot_hash,
    stakeholders,
)

__all__ = [
    "CHECKLIST",
    "EXIT_CODES",
    "FAIL",
    "GO",
    "NOT_MEASURED",
    "NOT_YET",
    "NO_GO",
    "OPEN",
    "PASS",
    "Approval",
    "CanaryStage",
    "Criterion",
    "SafetyFlag",
    "SignoffEvidence",
    "SignoffReport",
    "Stakeholder",
    "add_stakeholder",
    "approvals",
    "canary_plan",
    "checklist_open",
    "cost_criterion",
    "decide",
    "decide_on",
    "default_target",
    "evaluate",
    "judge_trust_criterion",
    "load_evidence",
    "open_flags",
    "plain",
    "quality_criterion",
    "record_approval",
    "remove_stakeholder",
    "resolve_flag",
    "safety_criterion",
    "snapshot",
    "snapshot_hash",
    "stakeholders",
    "to_html",
    "to_json",
    "ttft_criterion",
]
