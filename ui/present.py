"""The tables the pages show: dataset versions and runs, and the figures of ``compare`` and
``signoff``, one row per figure with intervals written out, so the pages only render."""

from __future__ import annotations

import pandas as pd

from core import formatting, render
from core.analysis import compare, signoff
from core.analysis.signoff.charts import pass_rates, ttft  # noqa: F401  (the pages use them here)
from core.formatting import (
    MISSING,
    days,
    interval,
    money,
    money_interval,
    ms,
    ms_interval,
    number,
    pct_interval,
    points_interval,
    table,
)
from core.types import finite

DATASET_COLUMNS = [
    "dataset_id",
    "items",
    "holdout",
    "strata",
    "frozen",
    "frozen_by",
    "sha256",
    "runs",
    "synthetic",
]
RUN_COLUMNS = [
    "run_id",
    "name",
    "role",
    "model_id",
    "dataset_id",
    "prompt_version_id",
    "config",
    "outputs",
    "metrics",
    "origin",
    "synthetic",
]


def dataset_versions(versions: list[dict]) -> pd.DataFrame:
    """``datasets.list_datasets`` as a table, frozen date and strata written out."""
    rows = pd.DataFrame(versions)
    if rows.empty:
        return rows
    rows["frozen"] = rows["frozen_at"].map(lambda t: MISSING if pd.isna(t) else f"{t:%Y-%m-%d}")
    rows["strata"] = rows["strata"].map(lambda s: ", ".join(s or []))
    return shown(rows[DATASET_COLUMNS])


def run_list(run_rows: list[dict]) -> pd.DataFrame:
    """``runs.list_runs`` as a table, metrics written out."""
    rows = pd.DataFrame(run_rows)
    if rows.empty:
        return rows
    rows["metrics"] = rows["metrics"].map(lambda m: ", ".join(m or []))
    return shown(rows[RUN_COLUMNS])


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """Any table as the pages show it: headings humanised, missing cells a dash, floats
    rounded (``core.formatting.table``)."""
    return table(frame)


def quality(figures: compare.Figures, comparison: compare.Comparison) -> pd.DataFrame:
    """Every judge metric: pass rates, differences, McNemar and non-inferiority."""
    rows = []
    for metric, q in figures.quality.items():
        ni, mc = q.non_inferiority, q.mcnemar  # none on no items
        rows.append(
            {
                "metric": metric + (" (gating)" if metric in comparison.gating else ""),
                "source pass": pct_interval(q.source_pass_rate),
                "target pass": pct_interval(q.target_pass_rate),
                "difference": points_interval(q.pass_rate_difference),
                "mean score difference": interval(q.mean_score_difference, ".3f"),
                "regressions / improvements (McNemar p)": f"{mc.regressions} / "
                f"{mc.improvements} (p {mc.p_value:.2g})"
                if mc
                else MISSING,
                "target/source (95% lower bound)": f"{number(ni.ratio, '.3f')} "
                f"(≥ {number(ni.ratio_lower, '.3f')})"
                if ni
                else MISSING,
            }
        )
    return pd.DataFrame(rows)


def sme_corrected(figures: compare.Figures) -> pd.DataFrame:
    """Stratified prediction-powered pass rates per metric, beside the SME-only stratified
    estimate, and what the labels are worth with its arithmetic."""
    rows = []
    for metric, corrected in figures.sme_corrected.items():
        for key in ("source", "target", "difference"):
            value = getattr(corrected, key)
            show = points_interval if key == "difference" else pct_interval
            rows.append(
                {
                    "metric": metric,
                    "what": key,
                    "StratPPI": show(value and value.interval),
                    "SME-only": show(value and value.sme_only),
                    # A withheld figure (too few labels) still had labels: never "0".
                    "SME labels": value.labelled
                    if value
                    else (corrected.labelled_pairs if key == "difference" else MISSING),
                    "worth (labels)": MISSING
                    if value is None or finite(value.effective_labels) is None
                    else f"{value.effective_labels:,.0f}",
                    "worth = labels × k per stratum (≤ N_h)": worth_arithmetic(value),
                }
            )
    return pd.DataFrame(rows)


def sme_corrected_notes(figures: compare.Figures) -> str:
    """The metrics' notes, each once with the metrics it holds for (three metrics on one
    sample share their thin strata, and the caption said so three times)."""
    metrics_by_note: dict[str, list[str]] = {}
    for metric, corrected in figures.sme_corrected.items():
        if corrected.note:
            metrics_by_note.setdefault(corrected.note.rstrip(". "), []).append(metric)
    if len(figures.sme_corrected) == 1:
        return " ".join(f"{note}." for note in metrics_by_note)
    return " ".join(f"{', '.join(m)}: {note}." for note, m in metrics_by_note.items())


def worth_arithmetic(value) -> str:
    """'200 × 1.14 (≤ N_h) = 228: var 1.32e-03 → 1.16e-03': the sum behind 'worth'."""
    if value is None or finite(value.effective_labels) is None:
        return MISSING
    return (
        f"{value.labelled} × {value.scale:.2f} (≤ N_h) = {value.effective_labels:,.0f}:"
        f" var {value.sme_only_variance:.3g} → {value.variance:.3g}"
    )


def by_stratum(figures: compare.Figures, metric: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stratum": r.stratum,
            "items": r.items,
            "source pass": pct_interval(r.source_pass_rate),
            "target pass": pct_interval(r.target_pass_rate),
            "difference": points_interval(r.pass_rate_difference),
            "regressions": r.mcnemar.regressions if r.mcnemar else MISSING,
            "improvements": r.mcnemar.improvements if r.mcnemar else MISSING,
        }
        for r in figures.by_stratum.get(metric, [])
    )


def not_measured(
    speed: compare.SpeedResult | None = None, cost: compare.CostResult | None = None
) -> list[str]:
    """One sentence per figure of ``compare.speed`` / ``compare.cost`` a run lacks the measure
    for: what, which run, how to measure it."""
    lines = [
        f"{compare.MEASURE_NAMES[measure]}: NOT MEASURED — {status.next_step}"
        for measure, status in (speed.measures if speed else {}).items()
        if status.status == compare.NOT_MEASURED
    ]
    if cost and cost.status == compare.NOT_MEASURED:
        lines.append(f"Cost: NOT MEASURED — {cost.next_step}")
    return lines


def percentiles(speed: compare.SpeedResult, measure: str) -> pd.DataFrame:
    """p50/p90/p99 of 'ttft' or 'latency' for both runs and the increase."""
    return pd.DataFrame(
        {
            "percentile": r.percentile,
            "source": ms_interval(r.source_ms),
            "target": ms_interval(r.target_ms),
            "increase": ms_interval(r.increase_ms),
            "increase %": interval(r.increase_pct, unit="%"),
            "increase, 95% upper bound": ms(r.increase_ms.upper_one_sided),
        }
        for r in speed.rows(measure)
    )


def failure_rates(speed: compare.SpeedResult) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": side,
            "error rate": pct_interval(speed.error_rates[side]),
            "timeout rate": pct_interval(speed.timeout_rates[side]),
        }
        for side in compare.SIDES
    )


def latencies(items: pd.DataFrame, sample: int = 1500) -> pd.DataFrame:
    """TTFT and latency per run in long form with each value's ECDF share, at most
    ``sample`` points per run and measure (enough for a chart)."""
    long = pd.concat(
        pd.DataFrame({"run": side, "measure": m, "ms": items[f"{side}_{m}"].to_numpy(float)})
        for side in compare.SIDES
        for m in ("ttft", "latency")
    ).dropna()
    if long.empty:
        return long.assign(share=[])
    long["share"] = long.groupby(["run", "measure"])["ms"].rank(method="max", pct=True)
    # A seeded shuffle, then the first ``sample`` of each group (keeps the group columns,
    # which groupby().apply drops in pandas 3).
    shuffled = long.sample(frac=1.0, random_state=0)
    return shuffled.groupby(["run", "measure"]).head(sample).sort_values("ms")


def cost_lines(cost: compare.CostResult, items: int, monthly_queries: int) -> list[str]:
    """One sentence per run: per query, per successful answer, total, per month."""
    lines = []
    for side in compare.SIDES:
        c = cost.run(side)
        if c is None:
            continue
        if c.per_query is None:
            what = "NOT MEASURED" if c.status == compare.NOT_MEASURED else "no items"
            lines.append(f"**{side}** {c.model_id}: cost {what}")
            continue
        per_success = c.per_successful_answer
        lines.append(
            f"**{side}** {c.model_id}: {money(c.per_query, c.currency)} per query, "
            + (
                "no successful answer"
                if per_success is None
                else f"{money(per_success, c.currency)} per successful answer"
            )
            + f", {money(c.total, c.currency)} for these {items:,} items, "
            f"{money(c.monthly, c.currency)} a month at {monthly_queries:,} queries"
        )
    return lines


def selection_scope(items: pd.DataFrame, split: str) -> str:
    """'all 1,200 items' or 'the 281 holdout items': what a Compare figure was computed on."""
    return f"all {len(items):,} items" if split == "all" else f"the {len(items):,} {split} items"


def break_even(cost: compare.CostResult, roi: compare.Roi, scope: str) -> tuple[str, str, str]:
    """The ROI as the page's metric: value, its help, and a caption with the saving per query
    and the items it was computed on (Sign-off computes it on the holdout only, so the two
    pages differ unless the selection is the holdout)."""
    currency = cost.source.currency if cost.source else None
    return (
        "never" if roi.break_even_days is None else days(roi.break_even_days),
        f"one-off {money(roi.one_off_cost, currency)} against a monthly saving of "
        f"{money(roi.monthly_saving, currency)}",
        f"Saving per query: {money_interval(roi.saving_per_query, currency)}, on {scope}. "
        "Sign-off's break-even is computed on the holdout split only.",
    )


# --- sign-off ---------------------------------------------------------------------------------


def criteria(report: signoff.SignoffReport) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "criterion": c.name,
            "status": c.status,
            "evidence": " · ".join(c.evidence),
            "rule": c.rule,
            "what would settle it": c.settle or "",
        }
        for c in report.criteria
    )


def unmeasured_criteria(report: signoff.SignoffReport) -> list[str]:
    """One sentence per criterion NOT MEASURED: which, and how to measure it."""
    return [
        f"{c.name}: NOT MEASURED — {c.next_step or c.settle}"
        for c in report.criteria
        if c.status == signoff.NOT_MEASURED
    ]


def banner(report: signoff.SignoffReport) -> str:
    """The decision and every reason for it, one per line, for the page's banner."""
    reasons = "".join(f"\n- {render.inert(r)}" for r in report.reasons)
    return f"**{report.decision}**" + (f" — because:{reasons}" if reasons else "")


def safety_flags(report: signoff.SignoffReport) -> pd.DataFrame:
    return shown(pd.DataFrame([f.to_dict() for f in report.open_safety_flags]))


def approvals(report: signoff.SignoffReport) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stakeholder": a.role,
            "person": a.person or MISSING,
            "decision": (a.decision or "open") + (" (stale)" if a.stale else ""),
            "by": a.decided_by or MISSING,
            "when": formatting.when(a.decided_at) if a.decided_at else MISSING,
            "comment": a.comment or MISSING,
        }
        for a in report.approvals
    )


def approval_groups(report: signoff.SignoffReport) -> dict[str, list[str]]:
    """Stakeholders by where they stand: approved (current), stale, rejected, not decided."""
    groups: dict[str, list[str]] = {"approved": [], "stale": [], "rejected": [], "open": []}
    for a in report.approvals:
        if a.stale:
            groups["stale"].append(a.role)
        elif a.decision == "approve":
            groups["approved"].append(a.role)
        elif a.decision == "reject":
            groups["rejected"].append(a.role)
        else:
            groups["open"].append(a.role)
    return groups


def canary(report: signoff.SignoffReport) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stage": s.stage,
            "traffic": f"{s.traffic_pct:g}%",
            "duration": s.duration,
            "success": " · ".join(s.success),
        }
        for s in report.canary
    )
