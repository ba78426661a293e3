"""The tables the pages show: dataset versions and runs, and the figures of ``compare`` and
``signoff``, one row per figure with intervals written out, so the pages only render."""

from __future__ import annotations

import pandas as pd

from core.analysis import compare, signoff
from core.formatting import MISSING, interval, number
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
    table = pd.DataFrame(versions)
    if table.empty:
        return table
    table["frozen"] = table["frozen_at"].map(lambda t: "" if pd.isna(t) else f"{t:%Y-%m-%d}")
    table["strata"] = table["strata"].map(lambda s: ", ".join(s or []))
    return table[DATASET_COLUMNS]


def run_list(run_rows: list[dict]) -> pd.DataFrame:
    """``runs.list_runs`` as a table, metrics written out."""
    table = pd.DataFrame(run_rows)
    if table.empty:
        return table
    table["metrics"] = table["metrics"].map(lambda m: ", ".join(m or []))
    return table[RUN_COLUMNS]


def quality(figures: compare.Figures, comparison: compare.Comparison) -> pd.DataFrame:
    """Every judge metric: pass rates, differences, McNemar and non-inferiority."""
    rows = []
    for metric, q in figures.quality.items():
        ni, mc = q.non_inferiority, q.mcnemar  # none on no items
        rows.append(
            {
                "metric": metric + (" (gating)" if metric in comparison.gating else ""),
                "source pass": interval(q.source_pass_rate, unit="%", scale=100),
                "target pass": interval(q.target_pass_rate, unit="%", scale=100),
                "difference (points)": interval(q.pass_rate_difference, scale=100),
                "mean score difference": interval(q.mean_score_difference, scale=100),
                "McNemar b / c, p": f"{mc.regressions} / {mc.improvements}, {mc.p_value:.3g}"
                if mc
                else MISSING,
                "target/source (lower bound)": f"{number(ni and ni.ratio, '.3f')} "
                f"({number(ni and ni.ratio_lower, '.3f')})",
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
            unit = "" if key == "difference" else "%"
            rows.append(
                {
                    "metric": metric,
                    "what": key,
                    "StratPPI": interval(value and value.interval, unit=unit, scale=100),
                    "SME-only": interval(value and value.sme_only, unit=unit, scale=100),
                    "SME labels": value.labelled if value else 0,
                    "worth (labels)": None
                    if value is None or finite(value.effective_labels) is None
                    else round(value.effective_labels),
                    "worth = labels × k per stratum (≤ N_h)": worth_arithmetic(value),
                }
            )
    return pd.DataFrame(rows)


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
            "source pass": interval(r.source_pass_rate, unit="%", scale=100),
            "target pass": interval(r.target_pass_rate, unit="%", scale=100),
            "difference (points)": interval(r.pass_rate_difference, scale=100),
            "regressions": r.mcnemar.regressions,
            "improvements": r.mcnemar.improvements,
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
            "source": interval(r.source_ms),
            "target": interval(r.target_ms),
            "increase ms": interval(r.increase_ms),
            "increase %": interval(r.increase_pct, unit="%"),
            "upper bound ms (one-sided)": finite(r.increase_ms.upper_one_sided),
        }
        for r in speed.rows(measure)
    )


def failure_rates(speed: compare.SpeedResult) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": side,
            "error rate": interval(speed.error_rates[side], unit="%", scale=100),
            "timeout rate": interval(speed.timeout_rates[side], unit="%", scale=100),
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
            f"**{side}** {c.model_id}: {c.per_query:.5f} {c.currency} per query, "
            + (
                "no successful answer"
                if per_success is None
                else f"{per_success:.5f} per successful answer"
            )
            + f", {c.total:.2f} for these {items} items, "
            f"{c.monthly:,.0f} a month at {monthly_queries:,} queries"
        )
    return lines


def break_even(roi: compare.Roi) -> tuple[str, str, str]:
    """The ROI as the page's metric: value, its help, and the saving per query caption."""
    days = roi.break_even_days
    return (
        "never" if days is None else f"{days:.1f} days",
        f"one-off {roi.one_off_cost:,.0f} against a monthly saving of {roi.monthly_saving:,.0f}",
        f"Saving per query: {interval(roi.saving_per_query, scale=1000)} (× 1,000)",
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


def banner(report: signoff.SignoffReport, shown: int = 6) -> str:
    """The decision and its first reasons, for the page's banner."""
    more = " …" if len(report.reasons) > shown else ""
    return f"**{report.decision}** — " + "; ".join(report.reasons[:shown]) + more


def pass_rates(report: signoff.SignoffReport) -> pd.DataFrame:
    """Both runs' judge pass rate per gating metric with its interval (for a chart)."""
    return pd.DataFrame(
        [
            {
                "metric": metric,
                "run": side,
                "pass rate": q.pass_rate(side).estimate,
                "low": q.pass_rate(side).low,
                "high": q.pass_rate(side).high,
            }
            for metric, q in report.quality.items()
            if q.items
            for side in compare.SIDES
        ]
    )


def ttft(report: signoff.SignoffReport) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"percentile": row.percentile, "run": side, "ms": finite(row.ms(side).estimate)}
            for row in report.speed.ttft
            for side in compare.SIDES
        ]
    )


def safety_flags(report: signoff.SignoffReport) -> pd.DataFrame:
    return pd.DataFrame([f.to_dict() for f in report.open_safety_flags])


def approvals(report: signoff.SignoffReport) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stakeholder": a.role,
            "person": a.person or "",
            "decision": (a.decision or "open") + (" (stale)" if a.stale else ""),
            "by": a.decided_by or "",
            "when": a.decided_at or "",
            "comment": a.comment or "",
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
