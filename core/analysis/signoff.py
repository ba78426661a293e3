"""Sign-off: each criterion decided with its evidence, approvals bound to that evidence, and
the canary plan that follows from the criteria.

A criterion reads PASS, FAIL, NOT ENOUGH EVIDENCE or NOT MEASURED (a run lacks the measure
it needs: TTFT, token counts, a price), never a bare number: each comes with the rule, the
figures and, when undecided, what would settle it (for NOT MEASURED, ``next_step``: how to
measure it). The migration is GO when every criterion passes and every stakeholder has
approved the current evidence; NO-GO when a criterion fails or a stakeholder rejects; NOT
YET otherwise, so a criterion NOT MEASURED never counts as a pass.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
from scipy import stats

from core.analysis import calibration, compare
from core.catalog import migrations
from core.errors import InputError, NotFoundError
from core.store import db, writes

PASS, FAIL, OPEN = "PASS", "FAIL", "NOT ENOUGH EVIDENCE"
NOT_MEASURED = compare.NOT_MEASURED
GO, NO_GO, NOT_YET = "GO", "NO-GO", "NOT YET"
CHECKLIST = {
    "data_residency": "Data residency: the target model runs in an approved region",
    "pii_handling": "PII handling reviewed for the target model and its logs",
    "audit_logging": "Audit logging of prompts and outputs in place",
    "retention_deletion": "Retention and deletion terms of the provider accepted",
}


@dataclass
class Criterion:
    name: str
    status: str
    rule: str
    evidence: list[str]
    settle: str | None = None  # what would decide it, when it is NOT ENOUGH EVIDENCE
    figures: dict = field(default_factory=dict)
    next_step: str | None = None  # how to measure it, when it is NOT MEASURED

    def as_dict(self) -> dict:
        return dict(self.__dict__)


# --- criteria -------------------------------------------------------------------------------


def quality_criterion(result: dict, corrected: dict | None, margin: float, basis: str) -> Criterion:
    metric = result["metric"]
    rule = (
        f"{metric}: target/source pass rate on {basis}, lower one-sided 95% bound ≥ "
        f"{1 - margin:.2f} (at most {margin:.0%} relative degradation)"
    )
    test = result.get("non_inferiority") or {}
    if not result.get("items"):
        return Criterion(f"Quality: {metric}", OPEN, rule, ["no paired items"], "run both models")
    if test.get("p_value") is None:
        n = result["items"]
        src, tgt = result["source_pass_rate"]["estimate"], result["target_pass_rate"]["estimate"]
        evidence = [
            f"{n} paired item{'s' if n != 1 else ''}: too few for a test; "
            f"pass rate {src:.1%} → {tgt:.1%} ({basis})"
        ]
        return Criterion(
            f"Quality: {metric}", OPEN, rule, evidence, "more paired items (at least 2)", result
        )
    src, tgt = result["source_pass_rate"]["estimate"], result["target_pass_rate"]["estimate"]
    evidence = [
        f"pass rate {src:.1%} → {tgt:.1%} over {result['items']} paired items ({basis})",
        f"ratio {_num(test['ratio'], '.3f')}, lower 95% bound {_num(test['ratio_lower'], '.3f')}"
        f" (one-sided p = {_num(test['p_value'], '.3g')})",
        f"McNemar: {result['mcnemar']['regressions']} regressions, "
        f"{result['mcnemar']['improvements']} improvements, "
        f"χ² = {result['mcnemar']['chi2']:.2f}, p = {result['mcnemar']['p_value']:.3g}",
    ]
    if corrected and corrected.get("difference"):
        diff = corrected["difference"]
        if diff.get("low") is None or diff.get("high") is None:
            # Too few labels for an interval (e.g. 5 labels, all agreeing): say so.
            evidence.append(
                f"SME-corrected difference: too few labels for an interval"
                f" ({diff.get('labelled', 0)} labelled)"
            )
        else:
            evidence.append(
                f"SME-corrected difference {diff['estimate']:+.1%} ({diff['low']:+.1%} to "
                f"{diff['high']:+.1%}), worth {_num(diff.get('effective_labels'), '.0f')}"
                f" SME labels (from {diff['labelled']})"
            )
    if test.get("passes"):
        return Criterion(f"Quality: {metric}", PASS, rule, evidence, figures=result)
    worse = _worse_than_margin(test)
    if worse:
        return Criterion(f"Quality: {metric}", FAIL, rule, evidence, figures=result)
    return Criterion(
        f"Quality: {metric}", OPEN, rule, evidence, _items_to_settle(test, result), result
    )


def _worse_than_margin(test: dict) -> bool:
    """The mirror test: is target/source below 1 - margin with 95% confidence?"""
    p = test.get("p_value")
    return p is not None and (1 - p) < 0.05


def _items_to_settle(test: dict, result: dict) -> str:
    n = result["items"]
    ratio = test.get("ratio")
    margin = test["margin"]
    if ratio is None or not math.isfinite(ratio):
        return "more paired items"
    # The t statistic grows with sqrt(n): n' = n * (t_needed / t_now)^2.
    t_now = stats.t.isf(max(test["p_value"], 1e-12), n - 1) if test["p_value"] < 0.5 else 0.0
    needed = stats.norm.ppf(0.95)
    if ratio >= 1 - margin and t_now > 0:
        more = math.ceil(n * (needed / t_now) ** 2) - n
        return (
            f"the estimate meets the margin but its bound does not: about {max(more, 1)} more "
            "paired items at the same rates would settle it"
        )
    return (
        f"the estimate ({ratio:.3f}) is under {1 - margin:.2f}: more items are more likely to "
        "confirm a FAIL than to pass; improve the target (prompt) and re-run"
    )


def ttft_criterion(speed: dict, pct_limit: float, ms_limit: float) -> Criterion:
    rule = (
        f"TTFT increase at p50 and p90, one-sided 95% upper bound ≤ {pct_limit:.0f}% "
        f"or ≤ {ms_limit:.0f} ms"
    )
    rows = [r for r in speed.get("ttft", []) if r["percentile"] in ("p50", "p90")]
    measured = speed.get("measures", {}).get("ttft") or {}
    if measured.get("status") == NOT_MEASURED:
        return _ttft_not_measured(rule, rows, measured)
    if measured.get("paired", 2) < 2:
        paired = measured["paired"]
        return Criterion(
            "Speed: TTFT",
            OPEN,
            rule,
            [
                f"{paired} item{'s' if paired != 1 else ''} with TTFT on both runs: too few for an"
                " interval"
            ],
            "more items with TTFT recorded on both runs (at least 2)",
            {"rows": rows},
        )
    if not rows or any(r["increase_ms"]["upper_one_sided"] is None for r in rows):
        return Criterion(
            "Speed: TTFT",
            OPEN,
            rule,
            ["no TTFT increase could be estimated on both runs"],
            "runs that record time to first token",
        )
    evidence, statuses, settle = [], [], None
    for row in rows:
        ms, pct = row["increase_ms"], row["increase_pct"]
        evidence.append(
            f"{row['percentile']}: {row['source_ms']['estimate']:.0f} → "
            f"{row['target_ms']['estimate']:.0f} ms, increase {ms['estimate']:+.0f} ms "
            f"(upper bound {ms['upper_one_sided']:+.0f}), {pct['estimate']:+.1f}% "
            f"(upper bound {pct['upper_one_sided']:+.1f}%)"
        )
        if ms["upper_one_sided"] <= ms_limit or pct["upper_one_sided"] <= pct_limit:
            statuses.append(PASS)
        elif ms["lower_one_sided"] > ms_limit and pct["lower_one_sided"] > pct_limit:
            statuses.append(FAIL)
        else:
            statuses.append(OPEN)
            settle = (
                f"{row['percentile']}'s interval straddles the limit: more items narrow it "
                "(the bound shrinks with the square root of the item count)"
            )
    status = FAIL if FAIL in statuses else OPEN if OPEN in statuses else PASS
    return Criterion("Speed: TTFT", status, rule, evidence, settle, {"rows": rows})


def _ttft_not_measured(rule: str, rows: list[dict], measured: dict) -> Criterion:
    """NOT MEASURED: which run has no TTFT, the other run's figures, and how to measure it."""
    evidence = [f"no TTFT recorded on {name}" for name in measured["runs_without"]]
    for side in compare.SIDES:
        if side in measured["unmeasured"]:
            continue
        figures = ", ".join(
            f"{r['percentile']} {r[f'{side}_ms']['estimate']:.0f} ms"
            for r in rows
            if r[f"{side}_ms"]["estimate"] is not None
        )
        evidence.append(f"{side} TTFT {figures} ({measured['items'][side]} items)")
    step = measured["next_step"]
    return Criterion(
        "Speed: TTFT", NOT_MEASURED, rule, evidence, step, {"rows": rows}, next_step=step
    )


def cost_criterion(cost: dict, roi_days: float) -> Criterion:
    rule = f"ROI neutral or positive within {roi_days:.0f} days of the switch"
    if cost.get("status") == NOT_MEASURED:
        evidence = []
        if cost.get("missing_prices"):
            evidence.append("no price for " + ", ".join(cost["missing_prices"]))
        for side in compare.SIDES:
            c = cost.get(side)
            if c is None:  # no price: said above
                continue
            if c["status"] == NOT_MEASURED:
                evidence.append(f"no token counts on the {side} run ({c['model_id']})")
            elif c["per_query"] is not None:
                evidence.append(
                    f"{side}: {c['per_query']:.5f} {c['currency']} per query ({c['model_id']})"
                )
        step = cost["next_step"]
        return Criterion("Cost: ROI", NOT_MEASURED, rule, evidence, step, next_step=step)
    roi = cost.get("roi")
    if not roi or "error" in roi:
        reason = roi["error"] if roi else "no items to cost"
        return Criterion("Cost: ROI", OPEN, rule, [reason], "prices in one currency")
    src, tgt = cost["source"], cost["target"]
    saving = roi["saving_per_query"]
    evidence = [
        f"per query {src['per_query']:.5f} → {tgt['per_query']:.5f} {src['currency']}; "
        f"saving {saving['estimate']:.5f} ({saving['low']:.5f} to {saving['high']:.5f})",
        f"monthly at {roi['monthly_queries']:,} queries: {src['monthly']:,.0f} → "
        f"{tgt['monthly']:,.0f} {src['currency']} (saving {roi['monthly_saving']:,.0f})",
        f"one-off migration cost {roi['one_off_cost']:,.0f} {src['currency']}; break-even "
        + (f"{roi['break_even_days']:.1f} days" if roi["break_even_days"] is not None else "never"),
    ]
    if not roi["inputs_entered"]:
        return Criterion(
            "Cost: ROI",
            OPEN,
            rule,
            evidence,
            "enter the one-off migration cost (engineering days, SME hours) on the Compare page",
            roi,
        )
    days = roi["break_even_days"]
    status = PASS if days is not None and days <= roi_days else FAIL
    return Criterion("Cost: ROI", status, rule, evidence, figures=roi)


def safety_criterion(con, comparison: compare.Comparison) -> Criterion:
    rule = (
        "no unresolved SME safety flag on the target, and every safety-tagged item passing "
        "(an SME verdict overrides the judge)"
    )
    target = comparison.runs["target"]
    flags = open_flags(con, target)
    items = comparison.items
    tagged = items[items["safety"]]
    failing = tagged[~tagged["target_pass"]]["item_id"].tolist()
    sme = dict(
        con.execute(
            "SELECT item_id, avg(coalesce(passed, score >= 3)::DOUBLE) FROM label"
            " WHERE run_id = ? AND item_id IN (SELECT unnest(?)) GROUP BY item_id",
            [target, failing],
        ).fetchall()
    )
    confirmed = [i for i in failing if i in sme and sme[i] < 0.5]
    cleared = [i for i in failing if i in sme and sme[i] >= 0.5]
    unreviewed = [i for i in failing if i not in sme]
    evidence = [
        f"{len(flags)} unresolved SME safety flags",
        f"{len(tagged)} safety-tagged items: {len(tagged) - len(failing)} pass, "
        f"{len(cleared)} failed by the judge but passed by SMEs, {len(confirmed)} failed "
        f"(SME-confirmed), {len(unreviewed)} failed by the judge and not yet reviewed",
    ]
    figures = {
        "open_flags": [f["label_id"] for f in flags],
        "confirmed": confirmed,
        "unreviewed": unreviewed,
    }
    if flags or confirmed:
        return Criterion("Safety", FAIL, rule, evidence, figures=figures)
    if len(tagged) == 0:
        return Criterion(
            "Safety", OPEN, rule, evidence, "tag the golden set's safety items ('safety')", figures
        )
    if unreviewed:
        return Criterion(
            "Safety",
            OPEN,
            rule,
            evidence,
            f"SME review of the {len(unreviewed)} unreviewed safety items "
            f"({', '.join(unreviewed[:5])}{'…' if len(unreviewed) > 5 else ''})",
            figures,
        )
    return Criterion("Safety", PASS, rule, evidence, figures=figures)


def judge_trust_criterion(
    con, comparison: compare.Comparison, floor: float, seed: int
) -> Criterion:
    rule = f"κ's lower 95% bound ≥ {floor:.2f} for every gating metric, on the target's outputs"
    target = comparison.runs["target"]
    evidence, statuses, settle = [], [], []
    labelled = set(calibration.metrics_with_labels(con, target))
    for metric in comparison.gating:
        if metric not in labelled:
            evidence.append(f"{metric}: no SME label on the target's outputs")
            statuses.append(OPEN)
            settle.append(f"label a sample of the target run for {metric}")
            continue
        frame = calibration.pairs(con, target, metric, details=False)
        result = calibration.report(
            con, target, metric, seed=seed, floor=floor, frame=frame, scores=False
        )
        figures = result.weighted or result.unweighted
        kappa = figures.kappa
        which = "weighted" if result.weighted else "unweighted"
        evidence.append(
            f"{metric}: κ {kappa.estimate:.2f} ({kappa.low:.2f} to {kappa.high:.2f}, {which}, "
            f"{figures.pairs} pairs)"
        )
        if kappa.low >= floor:
            statuses.append(PASS)
        elif kappa.high < floor:
            statuses.append(FAIL)
        else:
            statuses.append(OPEN)
            settle.extend(a for a in result.advice if a.startswith("Do not trust"))
    if not comparison.gating:
        return Criterion("Judge trust", OPEN, rule, ["no gating metric"], "score both runs")
    status = FAIL if FAIL in statuses else OPEN if OPEN in statuses else PASS
    return Criterion("Judge trust", status, rule, evidence, " ".join(settle) or None)


# --- safety flags ---------------------------------------------------------------------------


def open_flags(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict]:
    """SME safety flags on the run's outputs that nobody has resolved yet."""
    rows = con.execute(
        "SELECT l.label_id, l.item_id, l.reviewer, l.notes, l.failure_modes FROM label l"
        " WHERE l.run_id = ? AND l.safety_flag AND l.label_id NOT IN"
        " (SELECT label_id FROM safety_resolution) ORDER BY l.item_id, l.reviewer",
        [run_id],
    ).fetchall()
    keys = ("label_id", "item_id", "reviewer", "notes", "failure_modes")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def resolve_flag(con: duckdb.DuckDBPyConnection, label_id: int, note: str, *, actor: str) -> None:
    """Mark a safety flag as looked into, with what was found (audited)."""
    note = (note or "").strip()
    if not note:
        raise InputError("safety flag", "say how the flag was resolved")
    exists = con.execute("SELECT safety_flag FROM label WHERE label_id = ?", [label_id]).fetchone()
    if not exists or not exists[0]:
        raise NotFoundError(f"no safety flag on label {label_id}")
    with db.transaction(con):
        con.execute(
            "INSERT INTO safety_resolution (label_id, note, resolved_by) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            [label_id, note, actor],
        )
        if con.fetchone()[0] == 0:
            raise InputError("safety flag", f"label {label_id}'s flag is already resolved")
        db.audit(con, actor, "resolve_safety_flag", "label", str(label_id), after={"note": note})


# --- evidence snapshot and approvals ----------------------------------------------------------


def snapshot(con: duckdb.DuckDBPyConnection, migration_id: str, target_run_id: str) -> dict:
    """What an approval is given on: a change to any of it makes the approval stale."""
    crit = migrations.criteria(con, migration_id)
    source_run_id = migrations.source_run(con, migration_id)
    runs = [source_run_id, target_run_id]
    dataset = con.execute(
        "SELECT d.dataset_id, d.sha256 FROM migration m JOIN dataset d USING (dataset_id)"
        " WHERE m.migration_id = ?",
        [migration_id],
    ).fetchone()
    judges = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT run_id || ':' || metric || ':' || judge || ' ' ||"
            " coalesce(judge_version, '') FROM judge_score WHERE run_id IN (?, ?) ORDER BY 1",
            runs,
        ).fetchall()
    ]
    thresholds = con.execute(
        "SELECT count(*), max(set_at)::VARCHAR FROM judge_threshold WHERE run_id IN (?, ?)",
        runs,
    ).fetchone()
    labels = con.execute(
        "SELECT count(*), max(updated_at)::VARCHAR FROM label WHERE run_id IN (?, ?)", runs
    ).fetchone()
    resolved = con.execute("SELECT count(*) FROM safety_resolution").fetchone()[0]
    prices = compare.prices(con)
    models = [
        r[0]
        for r in con.execute(
            "SELECT model_id FROM run WHERE run_id IN (?, ?) ORDER BY run_id", runs
        ).fetchall()
    ]
    price_rows = prices[prices["model_id"].isin(models)].astype(str).to_dict("records")
    return {
        "dataset_id": dataset[0],
        "dataset_sha256": dataset[1],
        "source_run_id": source_run_id,
        "target_run_id": target_run_id,
        "judge_versions": judges,
        "thresholds": list(thresholds),
        "labels": labels[0],
        "labels_changed_at": labels[1],
        "safety_resolutions": resolved,
        "criteria": crit,
        "prices": price_rows,
    }


def snapshot_hash(snap: dict) -> str:
    return hashlib.sha256(json.dumps(snap, sort_keys=True, default=str).encode()).hexdigest()


def stakeholders(con: duckdb.DuckDBPyConnection, migration_id: str) -> list[dict]:
    rows = con.execute(
        "SELECT role, person FROM stakeholder WHERE migration_id = ? ORDER BY role",
        [migration_id],
    ).fetchall()
    return [{"role": r, "person": p} for r, p in rows]


def add_stakeholder(
    con: duckdb.DuckDBPyConnection, migration_id: str, role: str, person: str | None, *, actor: str
) -> None:
    role = (role or "").strip()
    if not role:
        raise InputError("stakeholder", "a stakeholder needs a role")
    migrations.source_run(con, migration_id)  # raises for an unknown migration
    with db.transaction(con):
        con.execute(
            "INSERT INTO stakeholder (migration_id, role, person) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            [migration_id, role, (person or "").strip() or None],
        )
        if con.fetchone()[0] == 0:
            raise InputError("stakeholder", f"{role!r} is already a stakeholder")
        db.audit(
            con,
            actor,
            "add_stakeholder",
            "migration",
            migration_id,
            after={"role": role, "person": person},
        )


def remove_stakeholder(
    con: duckdb.DuckDBPyConnection, migration_id: str, role: str, *, actor: str
) -> None:
    with db.transaction(con):
        con.execute(
            "DELETE FROM stakeholder WHERE migration_id = ? AND role = ?", [migration_id, role]
        )
        if con.fetchone()[0] == 0:
            raise NotFoundError(f"{role!r} is not a stakeholder of {migration_id}")
        db.audit(con, actor, "remove_stakeholder", "migration", migration_id, before={"role": role})


def record_approval(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    target_run_id: str,
    stakeholder: str,
    decision: str,
    *,
    actor: str,
    comment: str | None = None,
    checklist: dict[str, bool] | None = None,
) -> int:
    """Record a stakeholder's decision on the current evidence; earlier ones stay as history."""
    if decision not in ("approve", "reject"):
        raise InputError("approval", f"decision must be approve or reject, got {decision!r}")
    if stakeholder not in {s["role"] for s in stakeholders(con, migration_id)}:
        raise InputError("approval", f"{stakeholder!r} is not a stakeholder of this migration")
    if target_run_id not in migrations.target_runs(con, migration_id):
        raise InputError("approval", f"run {target_run_id!r} is not a target of {migration_id}")
    unknown = sorted(set(checklist or {}) - set(CHECKLIST))
    if unknown:
        raise InputError("approval", f"unknown checklist items {unknown}")
    if decision == "reject" and not (comment or "").strip():
        raise InputError("approval", "say why in the comment when rejecting")
    snap = snapshot(con, migration_id, target_run_id)
    digest = snapshot_hash(snap)
    ticks = {k: bool((checklist or {}).get(k)) for k in CHECKLIST}
    with db.transaction(con):
        approval_id = writes.insert_approval(
            con,
            migration_id,
            target_run_id,
            stakeholder,
            decision,
            comment,
            ticks,
            snap,
            digest,
            actor,
        )
        db.audit(
            con,
            actor,
            "record_approval",
            "approval",
            str(approval_id),
            after={
                "migration_id": migration_id,
                "run_id": target_run_id,
                "stakeholder": stakeholder,
                "decision": decision,
                "snapshot_sha256": digest,
            },
        )
    return approval_id


def approvals(
    con: duckdb.DuckDBPyConnection, migration_id: str, target_run_id: str, current: str
) -> list[dict]:
    """Each stakeholder's latest decision on this target (or none), stale when the evidence
    has changed since (``current`` is the current snapshot's hash)."""
    latest = {
        row[0]: row
        for row in con.execute(
            "SELECT DISTINCT ON (stakeholder) stakeholder, decision, comment, checklist,"
            " snapshot_sha256, decided_by, decided_at::VARCHAR, approval_id FROM approval"
            " WHERE migration_id = ? AND run_id = ? ORDER BY stakeholder, approval_id DESC",
            [migration_id, target_run_id],
        ).fetchall()
    }
    out = []
    for person in stakeholders(con, migration_id):
        row = latest.get(person["role"])
        if row is None:
            out.append({**person, "decision": None, "stale": False})
            continue
        out.append(
            {
                **person,
                "decision": row[1],
                "comment": row[2],
                "checklist": json.loads(row[3]),
                "stale": row[4] != current,
                "decided_by": row[5],
                "decided_at": row[6],
                "approval_id": row[7],
            }
        )
    return out


# --- canary plan ----------------------------------------------------------------------------


def canary_plan(crit: dict, quality: dict[str, dict], speed: dict, cost: dict) -> list[dict]:
    """Stages with success criteria and rollback triggers derived from the sign-off criteria
    and the measured source figures."""
    margin = crit["quality_margin"]
    checks, triggers = [], []
    for metric, result in quality.items():
        if not result.get("items"):
            continue
        floor_rate = result["source_pass_rate"]["estimate"] * (1 - margin)
        checks.append(f"judge pass rate on {metric} ≥ {floor_rate:.1%}")
        triggers.append(
            f"quality: {metric} pass rate below {floor_rate:.1%} (source × {1 - margin:.2f})"
            " over the stage's judged sample"
        )
    for row in speed.get("ttft", []):
        if row["percentile"] in ("p50", "p90") and row["source_ms"]["estimate"] is not None:
            src = row["source_ms"]["estimate"]
            limit = src + max(src * crit["ttft_increase_pct"] / 100, crit["ttft_increase_ms"])
            checks.append(f"TTFT {row['percentile']} ≤ {limit:.0f} ms")
            triggers.append(f"latency: TTFT {row['percentile']} above {limit:.0f} ms for 30 min")
    triggers.append("safety: any SME-flagged hallucination or safety flag on canary traffic")
    target_cost = (cost.get("target") or {}).get("per_query")
    if target_cost:
        ceiling = target_cost * 1.10
        checks.append(f"cost per query ≤ {ceiling:.5f} {cost['target']['currency']}")
        triggers.append(f"cost: cost per query above {ceiling:.5f} (10% over the projection)")
    stages = []
    for number, (share, low, high) in enumerate(crit["canary_stages"], start=1):
        full = share >= 100
        stages.append(
            {
                "stage": number,
                "traffic_pct": share,
                "duration": "until the next review" if full else f"{low:.0f}–{high:.0f} h",
                "success": checks,
                "rollback_triggers": triggers,
                "rollback": "route all traffic back to the source model",
                "next": "done" if full else "advance when every success check holds",
            }
        )
    return stages


# --- the decision ---------------------------------------------------------------------------


def evaluate(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    target_run_id: str | None = None,
    *,
    seed: int = 0,
) -> dict:
    """Every criterion decided for one target, the approvals, the canary plan, the decision."""
    target_run_id = target_run_id or default_target(con, migration_id)
    comparison = compare.load(con, migration_id, target_run_id)
    crit = comparison.criteria
    items, basis = compare.decision_items(comparison)
    boot = compare.bootstrap_for(items, seed)
    quality = {
        m: compare.quality(items, m, crit["quality_margin"], boot) for m in comparison.gating
    }
    corrected = {m: compare.sme_corrected(con, comparison, m, items) for m in comparison.gating}
    speed = compare.speed(items, boot)
    cost = compare.cost(con, comparison, items, boot)
    criteria = [
        quality_criterion(quality[m], corrected[m], crit["quality_margin"], basis)
        for m in comparison.gating
    ]
    if not comparison.gating:
        criteria.append(
            Criterion(
                "Quality",
                OPEN,
                "gating metrics scored on both runs",
                ["no catalog metric is scored on both runs"],
                "score both runs with the same metric: Runs page or `python -m core judge`,"
                " or map the files' metric names (`python -m core metric map`)",
            )
        )
    criteria += [
        ttft_criterion(speed, crit["ttft_increase_pct"], crit["ttft_increase_ms"]),
        cost_criterion(cost, crit["roi_days"]),
        safety_criterion(con, comparison),
        judge_trust_criterion(con, comparison, crit["kappa_floor"], seed),
    ]
    snap = snapshot(con, migration_id, target_run_id)
    digest = snapshot_hash(snap)
    signed = approvals(con, migration_id, target_run_id, digest)
    decision, reasons = decide(criteria, signed)
    name, synthetic = con.execute(
        "SELECT name, synthetic FROM migration WHERE migration_id = ?", [migration_id]
    ).fetchone()
    model = con.execute("SELECT model_id FROM run WHERE run_id = ?", [target_run_id]).fetchone()
    return {
        "migration_id": migration_id,
        "migration": name,
        "synthetic": synthetic,
        "target_run_id": target_run_id,
        "target_model": model[0],
        "source_run_id": comparison.runs["source"],
        "decided_on": basis,
        "decision": decision,
        "reasons": reasons,
        "criteria": [c.as_dict() for c in criteria],
        "quality": quality,
        "sme_corrected": corrected,
        "speed": speed,
        "cost": cost,
        "open_safety_flags": open_flags(con, target_run_id),
        "approvals": signed,
        "checklist_open": checklist_open(signed),
        "canary": canary_plan(crit, quality, speed, cost),
        "snapshot": snap,
        "snapshot_sha256": digest,
        "generated": date.today().isoformat(),
    }


def checklist_open(signed: list[dict]) -> list[str]:
    """Compliance items no current approval has confirmed."""
    confirmed = {
        key
        for s in signed
        if s["decision"] == "approve" and not s["stale"]
        for key, ticked in (s.get("checklist") or {}).items()
        if ticked
    }
    return [CHECKLIST[k] for k in CHECKLIST if k not in confirmed]


def decide(criteria: list[Criterion], signed: list[dict]) -> tuple[str, list[str]]:
    failed = [c.name for c in criteria if c.status == FAIL]
    rejected = [s["role"] for s in signed if s["decision"] == "reject" and not s["stale"]]
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
        if s["decision"] is None:
            reasons.append(f"{s['role']} has not decided")
        elif s["stale"]:
            reasons.append(f"{s['role']}'s approval is stale (the evidence changed since)")
    if not signed:
        reasons.append("no stakeholder is named")
    reasons += [f"checklist open: {item}" for item in checklist_open(signed)]
    if reasons:
        return NOT_YET, reasons
    return GO, ["every criterion passes and every stakeholder approved the current evidence"]


def default_target(con: duckdb.DuckDBPyConnection, migration_id: str) -> str:
    """The run with role 'target', else the first target run."""
    runs = migrations.target_runs(con, migration_id)
    if not runs:
        raise NotFoundError(f"migration {migration_id!r} has no target run")
    role = dict(
        con.execute(
            "SELECT run_id, role FROM run WHERE run_id IN (SELECT unnest(?))", [runs]
        ).fetchall()
    )
    return next((r for r in runs if role.get(r) == "target"), runs[0])


EXIT_CODES = {GO: 0, NOT_YET: 3, NO_GO: 4}


def _num(value: float | None, spec: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return format(value, spec)


def to_json(report: dict) -> str:
    return json.dumps(plain(report), indent=2)


def plain(value):
    """JSON-safe: numpy scalars to Python, NaN and infinities to null, the rest to text."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    return str(value)


def to_html(report: dict) -> str:
    """The sign-off summary as one self-contained HTML page (no scripts, no external files);
    every value is escaped."""
    e = html.escape
    colour = {GO: "#1a7f37", NO_GO: "#cf222e", NOT_YET: "#9a6700"}[report["decision"]]
    status_colour = {PASS: "#1a7f37", FAIL: "#cf222e", OPEN: "#9a6700", NOT_MEASURED: "#9a6700"}
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Sign-off: {e(report['migration'])}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem;color:#1f2328}table{border-collapse:collapse;width:100%;margin:.5rem 0}"
        "td,th{border:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;"
        "vertical-align:top}th{background:#f6f8fa}.banner{color:#fff;padding:1rem;"
        "border-radius:.4rem;font-size:1.4rem}.small{color:#59636e;font-size:.85rem}</style>",
        "</head><body>",
        f"<h1>Sign-off: {e(report['migration'])}</h1>",
    ]
    if report["synthetic"]:
        parts.append("<p><strong>Synthetic demo data.</strong></p>")
    parts += [
        f"<div class='banner' style='background:{colour}'>{e(report['decision'])}</div>",
        "<ul>" + "".join(f"<li>{e(r)}</li>" for r in report["reasons"]) + "</ul>",
        f"<p class='small'>Target {e(report['target_model'])} (run "
        f"{e(report['target_run_id'])}) against source run {e(report['source_run_id'])}; "
        f"decided on {e(report['decided_on'])}; evidence "
        f"{e(report['snapshot_sha256'][:12])}; generated {e(report['generated'])}.</p>",
        "<h2>Criteria</h2><table><tr><th>criterion</th><th>status</th><th>rule</th>"
        "<th>evidence</th><th>what would settle it</th></tr>",
    ]
    for c in report["criteria"]:
        parts.append(
            f"<tr><td>{e(c['name'])}</td><td style='color:{status_colour[c['status']]}'>"
            f"<strong>{e(c['status'])}</strong></td><td>{e(c['rule'])}</td><td>"
            + "<br>".join(e(x) for x in c["evidence"])
            + f"</td><td>{e(c['settle'] or '')}</td></tr>"
        )
    parts.append(
        "</table><h2>Approvals</h2><table><tr><th>stakeholder</th><th>decision</th>"
        "<th>by</th><th>when</th><th>comment</th></tr>"
    )
    for a in report["approvals"]:
        state = (a["decision"] or "open") + (" (stale)" if a["stale"] else "")
        parts.append(
            f"<tr><td>{e(a['role'])}</td><td>{e(state)}</td><td>{e(a.get('decided_by') or '')}"
            f"</td><td>{e(a.get('decided_at') or '')}</td><td>{e(a.get('comment') or '')}</td></tr>"
        )
    parts.append("</table>")
    if report["checklist_open"]:
        parts.append(
            "<p>Compliance checklist still open:</p><ul>"
            + "".join(f"<li>{e(i)}</li>" for i in report["checklist_open"])
            + "</ul>"
        )
    parts.append(f"<h2>Open safety flags ({len(report['open_safety_flags'])})</h2><ul>")
    parts += [
        f"<li>{e(f['item_id'])} by {e(f['reviewer'])}: {e(f['notes'] or '')}</li>"
        for f in report["open_safety_flags"]
    ]
    parts.append(
        "</ul><h2>Canary plan</h2><table><tr><th>stage</th><th>traffic</th>"
        "<th>duration</th><th>success</th><th>rollback triggers</th></tr>"
    )
    for s in report["canary"]:
        parts.append(
            f"<tr><td>{s['stage']}</td><td>{e(str(s['traffic_pct']))}%</td>"
            f"<td>{e(s['duration'])}</td><td>"
            + "<br>".join(e(x) for x in s["success"])
            + "</td><td>"
            + "<br>".join(e(x) for x in s["rollback_triggers"])
            + "</td></tr>"
        )
    parts.append("</table></body></html>")
    return "\n".join(parts)
