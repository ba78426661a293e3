"""The tables the pages show: dataset versions and runs, and the figures of ``compare`` and
``signoff``, one row per figure with intervals written out, so the pages only render."""

from __future__ import annotations

import duckdb
import pandas as pd

from core.analysis import compare
from core.analysis.compare import interval_text as fmt

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


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def quality(comparison: compare.Comparison, items: pd.DataFrame, boot) -> pd.DataFrame:
    """Every judge metric: pass rates, differences, McNemar and non-inferiority."""
    margin = comparison.criteria["quality_margin"]
    rows = []
    for metric in comparison.metrics:
        q = compare.quality(items, metric, margin, boot)
        ni, mc = q.get("non_inferiority") or {}, q.get("mcnemar")  # none on no items
        rows.append(
            {
                "metric": metric + (" (gating)" if metric in comparison.gating else ""),
                "source pass": fmt(q.get("source_pass_rate"), "%", 100),
                "target pass": fmt(q.get("target_pass_rate"), "%", 100),
                "difference (points)": fmt(q.get("pass_rate_difference"), "", 100),
                "mean score difference": fmt(q.get("mean_score_difference"), "", 100),
                "McNemar b / c, p": f"{mc['regressions']} / {mc['improvements']}, "
                f"{mc['p_value']:.3g}"
                if mc
                else "—",
                "target/source (lower bound)": f"{_ratio(ni.get('ratio'))} "
                f"({_ratio(ni.get('ratio_lower'))})",
            }
        )
    return pd.DataFrame(rows)


def sme_corrected(
    con: duckdb.DuckDBPyConnection, comparison: compare.Comparison, items: pd.DataFrame
) -> pd.DataFrame:
    """Prediction-powered pass rates per metric, beside the SME-only estimate."""
    rows = []
    for metric in comparison.metrics:
        corrected = compare.sme_corrected(con, comparison, metric, items)
        for key in ("source", "target", "difference"):
            value = corrected.get(key) or {}
            worth = value.get("effective_labels")
            rows.append(
                {
                    "metric": metric,
                    "what": key,
                    "PPI estimate": fmt(value, "%", 100),
                    "SME labels": value.get("labelled", 0),
                    "worth (labels)": None if worth is None else round(worth),
                    "SME-only": fmt(value.get("sme_only"), "%", 100),
                }
            )
    return pd.DataFrame(rows)


def by_stratum(items: pd.DataFrame, metric: str, margin: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stratum": r["stratum"],
            "items": r["items"],
            "source pass": fmt(r["source_pass_rate"], "%", 100),
            "target pass": fmt(r["target_pass_rate"], "%", 100),
            "difference (points)": fmt(r["pass_rate_difference"], "", 100),
            "regressions": r["mcnemar"]["regressions"],
            "improvements": r["mcnemar"]["improvements"],
        }
        for r in compare.quality_by_stratum(items, metric, margin)
    )


def not_measured(speed: dict | None = None, cost: dict | None = None) -> list[str]:
    """One sentence per figure of ``compare.speed`` / ``compare.cost`` a run lacks the measure
    for: what, which run, how to measure it."""
    speed, cost = speed or {}, cost or {}
    lines = [
        f"{compare.MEASURE_NAMES[measure]}: NOT MEASURED — {status['next_step']}"
        for measure, status in speed.get("measures", {}).items()
        if status["status"] == compare.NOT_MEASURED
    ]
    if cost.get("status") == compare.NOT_MEASURED:
        lines.append(f"Cost: NOT MEASURED — {cost['next_step']}")
    return lines


def percentiles(speed: dict, measure: str) -> pd.DataFrame:
    """p50/p90/p99 of 'ttft' or 'latency' for both runs and the increase."""
    return pd.DataFrame(
        {
            "percentile": r["percentile"],
            "source": fmt(r["source_ms"]),
            "target": fmt(r["target_ms"]),
            "increase ms": fmt(r["increase_ms"]),
            "increase %": fmt(r["increase_pct"], "%"),
            "upper bound ms (one-sided)": r["increase_ms"]["upper_one_sided"],
        }
        for r in speed[measure]
    )


def failure_rates(speed: dict) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": side,
            "error rate": fmt(speed[f"{side}_error_rate"], "%", 100),
            "timeout rate": fmt(speed[f"{side}_timeout_rate"], "%", 100),
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


def cost_lines(cost: dict, items: int, monthly_queries: int) -> list[str]:
    """One sentence per run: per query, per successful answer, total, per month."""
    lines = []
    for side in compare.SIDES:
        if side in cost and cost[side]["per_query"] is None:
            c = cost[side]
            what = "NOT MEASURED" if c.get("status") == compare.NOT_MEASURED else "no items"
            lines.append(f"**{side}** {c['model_id']}: cost {what}")
        elif side in cost:
            c = cost[side]
            per_success = c["per_successful_answer"]
            lines.append(
                f"**{side}** {c['model_id']}: {c['per_query']:.5f} {c['currency']} per query, "
                + (
                    "no successful answer"
                    if per_success is None
                    else f"{per_success:.5f} per successful answer"
                )
                + f", {c['total']:.2f} for these {items} items, "
                f"{c['monthly']:,.0f} a month at {monthly_queries:,} queries"
            )
    return lines


# --- sign-off ---------------------------------------------------------------------------------


def criteria(report: dict) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "criterion": c["name"],
            "status": c["status"],
            "evidence": " · ".join(c["evidence"]),
            "rule": c["rule"],
            "what would settle it": c["settle"] or "",
        }
        for c in report["criteria"]
    )


def unmeasured_criteria(report: dict) -> list[str]:
    """One sentence per criterion NOT MEASURED: which, and how to measure it."""
    return [
        f"{c['name']}: NOT MEASURED — {c.get('next_step') or c['settle']}"
        for c in report["criteria"]
        if c["status"] == compare.NOT_MEASURED
    ]


def pass_rates(report: dict) -> pd.DataFrame:
    """Both runs' judge pass rate per gating metric with its interval (for a chart)."""
    return pd.DataFrame(
        [
            {
                "metric": metric,
                "run": side,
                "pass rate": q[f"{side}_pass_rate"]["estimate"],
                "low": q[f"{side}_pass_rate"]["low"],
                "high": q[f"{side}_pass_rate"]["high"],
            }
            for metric, q in report["quality"].items()
            if q.get("items")
            for side in compare.SIDES
        ]
    )


def ttft(report: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"percentile": row["percentile"], "run": side, "ms": row[f"{side}_ms"]["estimate"]}
            for row in report["speed"].get("ttft", [])
            for side in compare.SIDES
        ]
    )


def approvals(report: dict) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stakeholder": a["role"],
            "person": a.get("person") or "",
            "decision": (a["decision"] or "open") + (" (stale)" if a["stale"] else ""),
            "by": a.get("decided_by") or "",
            "when": a.get("decided_at") or "",
            "comment": a.get("comment") or "",
        }
        for a in report["approvals"]
    )


def approval_groups(report: dict) -> dict[str, list[str]]:
    """Stakeholders by where they stand: approved (current), stale, rejected, not decided."""
    groups: dict[str, list[str]] = {"approved": [], "stale": [], "rejected": [], "open": []}
    for a in report["approvals"]:
        if a["stale"]:
            groups["stale"].append(a["role"])
        elif a["decision"] == "approve":
            groups["approved"].append(a["role"])
        elif a["decision"] == "reject":
            groups["rejected"].append(a["role"])
        else:
            groups["open"].append(a["role"])
    return groups


def canary(report: dict) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stage": s["stage"],
            "traffic": f"{s['traffic_pct']:g}%",
            "duration": s["duration"],
            "success": " · ".join(s["success"]),
        }
        for s in report["canary"]
    )
