"""Source against target, item by item: quality, speed and cost, with intervals.

``load`` reads both runs of a migration into one frame, one row per item; the figures are
computed on it (or on a stratum or split of it), so filters never touch SQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from core.analysis.agreement import wilson
from core.analysis.paired import (
    RESAMPLES,
    Bootstrap,
    Bounds,
    mcnemar,
    non_inferiority,
    ppi_mean,
    resampled_mean,
    resampled_quantiles,
)
from core.catalog import metrics as metrics_catalog
from core.catalog import migrations
from core.catalog.pricing import price_history, prices  # noqa: F401 - re-exported
from core.errors import InputError
from core.store.sql import literal, quote

SIDES = ("source", "target")
PERCENTILES = (0.5, 0.9, 0.99)
# A measure a run does not carry (Ragas, DeepEval and Bedrock files hold no TTFT and often no
# latency or tokens) is NOT MEASURED, never a zero and never a pass.
MEASURED, NOT_MEASURED = "MEASURED", "NOT MEASURED"
MEASURE_NAMES = {"ttft": "TTFT", "latency": "Total latency"}
MEASURE_COLUMNS = {"ttft": "ttft_ms", "latency": "latency_ms"}
TIMEOUT_PATTERN = r"(?i)time.?out|timed out"
SAFETY_TAG = "safety"  # items tagged so (or in a stratum so named) must pass on the target


@dataclass
class Comparison:
    """Both runs of a migration side by side: ``items`` has one row per item."""

    migration_id: str
    runs: dict[str, str]  # side -> run_id
    metrics: list[str]  # judge metrics scored on both runs
    gating: list[str]
    items: pd.DataFrame
    criteria: dict
    labels: pd.DataFrame | None = None  # SME labels, read on first use (sme_labels)


def load(con: duckdb.DuckDBPyConnection, migration_id: str, target_run_id: str) -> Comparison:
    """Every item of the migration's dataset with both runs' outputs and verdicts.

    A missing output or an error counts as a failure on every metric; scores stay empty.
    Verdicts honour thresholds applied on the Calibration page. ``items.attrs["runs"]`` names
    each side's run, model and dataset (pandas keeps it through selections), so a figure
    computed on any selection can say which run lacks a measure and how to measure it.
    """
    criteria = migrations.criteria(con, migration_id)
    source_run_id = migrations.source_run(con, migration_id)
    dataset_id = con.execute(
        "SELECT dataset_id FROM migration WHERE migration_id = ?", [migration_id]
    ).fetchone()[0]
    if target_run_id not in migrations.target_runs(con, migration_id):
        raise InputError("compare", f"run {target_run_id!r} is not a target of {migration_id}")
    runs = {"source": source_run_id, "target": target_run_id}
    metrics = [
        m
        for (m,) in con.execute(
            "SELECT metric FROM judge_score WHERE run_id IN (?, ?) GROUP BY metric"
            " HAVING count(DISTINCT run_id) = 2 ORDER BY 1",
            [source_run_id, target_run_id],
        ).fetchall()
    ]
    gating = [
        m for m in (criteria.get("gating_metrics") or gating_by_default(con, runs)) if m in metrics
    ]
    columns = []
    for side in SIDES:
        p = side[0]
        columns.append(
            f"{p}.ttft_ms AS {side}_ttft, {p}.latency_ms AS {side}_latency,"
            f" {p}.input_tokens AS {side}_input_tokens,"
            f" {p}.output_tokens AS {side}_output_tokens,"
            f" coalesce({p}.retrieval_cost, 0) AS {side}_retrieval_cost,"
            f" {p}.error AS {side}_error, {p}.item_id IS NULL AS {side}_missing"
        )
        for index, metric in enumerate(metrics):
            columns.append(
                f"j.s{index}_{p} AS {quote(f'{side}_score.{metric}')},"
                f" coalesce(j.v{index}_{p}, false) AND {p}.error IS NULL"
                f" AS {quote(f'{side}_pass.{metric}')}"
            )
    pivots = ", ".join(
        f"max(score) FILTER (WHERE metric = ${i + 4} AND run_id = $2) AS s{i}_s,"
        f" bool_and(verdict) FILTER (WHERE metric = ${i + 4} AND run_id = $2) AS v{i}_s,"
        f" max(score) FILTER (WHERE metric = ${i + 4} AND run_id = $3) AS s{i}_t,"
        f" bool_and(verdict) FILTER (WHERE metric = ${i + 4} AND run_id = $3) AS v{i}_t"
        for i in range(len(metrics))
    )
    judged = (
        f"""(SELECT j.item_id, {pivots} FROM (
                SELECT j.item_id, j.run_id, j.metric, j.score,
                       {metrics_catalog.VERDICT_SQL} AS verdict
                FROM judge_score j
                LEFT JOIN (SELECT DISTINCT ON (metric, run_id) metric, run_id, threshold
                           FROM judge_threshold ORDER BY metric, run_id, set_at DESC) t
                  ON t.metric = j.metric AND t.run_id = j.run_id
                {metrics_catalog.RUN_METRIC_JOIN}
                WHERE j.run_id IN ($2, $3)) j
             GROUP BY j.item_id)"""  # noqa: S608 - metric names bound ($4...)
        if metrics
        else "(SELECT NULL AS item_id)"
    )
    sql = f"""
        SELECT i.item_id, i.stratum, i.split,
               list_contains(i.tags, {literal(SAFETY_TAG)}) OR i.stratum = {literal(SAFETY_TAG)}
                   AS safety,
               {", ".join(columns)}
        FROM item i
        LEFT JOIN output s ON s.run_id = $2 AND s.item_id = i.item_id
        LEFT JOIN output t ON t.run_id = $3 AND t.item_id = i.item_id
        LEFT JOIN {judged} j ON j.item_id = i.item_id
        WHERE i.dataset_id = $1
        ORDER BY i.item_id
    """  # noqa: S608 - aliases quote()d; values bound
    items = con.execute(sql, [dataset_id, source_run_id, target_run_id, *metrics]).df()
    for side in SIDES:
        failed = items[f"{side}_error"].notna() | items[f"{side}_missing"]
        items[f"{side}_ok"] = ~failed
        items[f"{side}_pass"] = ~failed
        for metric in gating:
            items[f"{side}_pass"] &= items[f"{side}_pass.{metric}"]
    models = dict(
        con.execute(
            "SELECT run_id, model_id FROM run WHERE run_id IN (?, ?)",
            [source_run_id, target_run_id],
        ).fetchall()
    )
    items.attrs["runs"] = {
        side: {"run_id": run_id, "model_id": models[run_id], "dataset_id": dataset_id}
        for side, run_id in runs.items()
    }
    return Comparison(migration_id, runs, metrics, gating, items, criteria)


def gating_by_default(con: duckdb.DuckDBPyConnection, runs: dict[str, str]) -> list[str]:
    """Metrics that gate when the criteria name none: scored on both runs, in the metric
    catalog on both, read in the same direction. Unmapped metrics never gate silently."""
    read = metrics_catalog.run_directions(con, list(runs.values()))
    shared = con.execute(
        "SELECT metric FROM judge_score WHERE run_id IN (?, ?) GROUP BY metric"
        " HAVING count(DISTINCT run_id) = 2 ORDER BY 1",
        [runs["source"], runs["target"]],
    ).fetchall()
    gating = []
    for (metric,) in shared:
        # Runs scored by Switchyard's own judges (or the demo) have no run_metric rows.
        sides = [read.get((runs[side], metric)) for side in SIDES]
        if any(s is not None and not s["mapped"] for s in sides):
            continue
        directions = {s["direction"] for s in sides if s is not None}
        if len(directions) <= 1:
            gating.append(metric)
    return gating


def ungated(con: duckdb.DuckDBPyConnection, comparison: Comparison) -> list[dict]:
    """Metrics on both runs that do not gate, and why (for the pages and reports)."""
    read = metrics_catalog.run_directions(con, list(comparison.runs.values()))
    out = []
    for metric in comparison.metrics:
        if metric in comparison.gating:
            continue
        sides = [read.get((comparison.runs[side], metric)) for side in SIDES]
        if any(s is not None and not s["mapped"] for s in sides):
            why = "not in the metric catalog (python -m core metric map NAME --to METRIC)"
        elif len({s["direction"] for s in sides if s is not None}) > 1:
            why = "read in opposite directions on the two runs"
        else:
            why = "not among the migration's gating metrics"
        out.append({"metric": metric, "why": why})
    return out


def select(
    comparison: Comparison, stratum: str | None = None, split: str | None = None
) -> pd.DataFrame:
    """The items of one stratum and/or split (None: all)."""
    items = comparison.items
    if stratum:
        items = items[items["stratum"] == stratum]
    if split:
        items = items[items["split"] == split]
    return items


def decision_items(comparison: Comparison) -> tuple[pd.DataFrame, str]:
    """The items sign-off decides on: the holdout split where it exists, else all."""
    holdout = comparison.items[comparison.items["split"] == "holdout"]
    if len(holdout):
        return holdout, "holdout"
    return comparison.items, "all items"


# --- quality --------------------------------------------------------------------------------


def quality(
    items: pd.DataFrame,
    metric: str,
    margin: float,
    boot: Bootstrap | None = None,
    seed: int = 0,
) -> dict:
    """Pass rates and mean scores of both runs on one metric, paired: the difference with a
    paired-bootstrap interval, McNemar's test, and the non-inferiority test at ``margin``."""
    boot = boot or Bootstrap(len(items), RESAMPLES, seed)
    src = items[f"source_pass.{metric}"].to_numpy(dtype=float)
    tgt = items[f"target_pass.{metric}"].to_numpy(dtype=float)
    s_score = items[f"source_score.{metric}"].to_numpy(dtype=float)
    t_score = items[f"target_score.{metric}"].to_numpy(dtype=float)
    both = np.isfinite(s_score) & np.isfinite(t_score)
    n = len(items)
    out = {"metric": metric, "items": n}
    if n == 0:
        return out
    diff = tgt - src
    score_diff = np.where(both, t_score - s_score, np.nan)
    out["source_pass_rate"] = wilson(src.sum(), n)._asdict()
    out["target_pass_rate"] = wilson(tgt.sum(), n)._asdict()
    out["pass_rate_difference"] = boot.bounds(resampled_mean(diff), diff.mean()).as_dict()
    out["scored_pairs"] = int(both.sum())
    out["source_mean_score"] = _mean(s_score[both])
    out["target_mean_score"] = _mean(t_score[both])
    out["mean_score_difference"] = boot.bounds(
        resampled_mean(score_diff), _mean(score_diff[both]) or math.nan
    ).as_dict()
    out["mcnemar"] = mcnemar(
        int(((src == 1) & (tgt == 0)).sum()), int(((src == 0) & (tgt == 1)).sum())
    )
    out["non_inferiority"] = non_inferiority(tgt, src, margin)
    return out


def _mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if len(values) else None


def quality_by_stratum(
    items: pd.DataFrame, metric: str, margin: float, seed: int = 0
) -> list[dict]:
    return [
        {"stratum": stratum, **quality(group, metric, margin, seed=seed)}
        for stratum, group in items.groupby("stratum", sort=True)
    ]


def sme_labels(con: duckdb.DuckDBPyConnection, comparison: Comparison) -> pd.DataFrame:
    """One row per SME-labelled item of the migration's samples: each run's SME verdict (its
    SMEs' pass share) and the item's inclusion probability. Read once per comparison."""
    if comparison.labels is None:
        comparison.labels = con.execute(
            """
            SELECT l.item_id,
                   avg(coalesce(l.passed, l.score >= 3)::DOUBLE)
                       FILTER (WHERE l.run_id = $2) AS source,
                   avg(coalesce(l.passed, l.score >= 3)::DOUBLE)
                       FILTER (WHERE l.run_id = $3) AS target,
                   any_value(si.inclusion_prob) AS p
            FROM label l
            JOIN sample s ON s.sample_id = l.sample_id AND s.migration_id = $1
            JOIN sample_item si ON si.sample_id = l.sample_id AND si.item_id = l.item_id
            WHERE l.run_id IN ($2, $3) AND (l.passed IS NOT NULL OR l.score IS NOT NULL)
            GROUP BY l.item_id
            """,
            [comparison.migration_id, comparison.runs["source"], comparison.runs["target"]],
        ).df()
    return comparison.labels


MIN_CORRECTION_LABELS = 10


def sme_corrected(con, comparison: Comparison, metric: str, items: pd.DataFrame) -> dict:
    """Prediction-powered pass rates of both runs and of their difference on ``items``: the
    judge's verdict on every item, corrected by the SME labels of the migration's samples
    (each labelled item weighted by 1 / inclusion probability; its SMEs' verdicts averaged).
    """
    labels = sme_labels(con, comparison)
    # Positions of the labelled items among ``items`` (-1: not in this selection).
    index = pd.Index(items["item_id"].to_numpy(dtype=object))
    where = index.get_indexer(labels["item_id"].to_numpy(dtype=object))
    labels = labels[where >= 0]
    where = where[where >= 0]
    judge = {side: items[f"{side}_pass.{metric}"].to_numpy(dtype=float) for side in SIDES}
    weights = 1 / labels["p"].to_numpy(dtype=float)
    out: dict = {}
    for side in SIDES:
        has = labels[side].notna().to_numpy()
        if has.sum() < 2:
            out[side] = None
            continue
        y = labels[side].to_numpy(dtype=float)[has]
        out[side] = ppi_mean(y, judge[side][where[has]], judge[side], weights[has]).as_dict()
    both = (labels["source"].notna() & labels["target"].notna()).to_numpy()
    out["difference"] = None
    out["labelled_pairs"] = int(both.sum())
    if both.sum() < MIN_CORRECTION_LABELS:
        # A normal-theory interval on a handful of labels is noise that reads as a figure.
        out["note"] = (
            f"{int(both.sum())} items carry SME labels of both runs; an SME-corrected"
            f" difference needs at least {MIN_CORRECTION_LABELS}: review more of the sample"
        )
        return out
    if both.sum() >= 2:
        y = (labels["target"] - labels["source"]).to_numpy(dtype=float)[both]
        gap = judge["target"] - judge["source"]
        out["difference"] = ppi_mean(y, gap[where[both]], gap, weights[both]).as_dict()
    return out


# --- speed ----------------------------------------------------------------------------------


def run_name(items: pd.DataFrame, side: str) -> str:
    """'the target run r-1 (model)', or 'the target run' when the frame does not say."""
    run = items.attrs.get("runs", {}).get(side)
    return f"the {side} run {run['run_id']} ({run['model_id']})" if run else f"the {side} run"


def _run_command(items: pd.DataFrame, side: str) -> str:
    run = items.attrs.get("runs", {}).get(side)
    dataset, model = (run["dataset_id"], run["model_id"]) if run else ("DATASET", "MODEL")
    return f"`python -m core run --dataset {dataset} --model {model} --role {side}`"


def coverage(items: pd.DataFrame, measure: str) -> dict:
    """Whether both runs carry ``measure`` ('ttft' or 'latency') on these items: MEASURED or
    NOT MEASURED, the items each run measured, the items measured on both, the runs without
    it and, when one lacks it, the next step that would measure it."""
    has = {side: items[f"{side}_{measure}"].notna().to_numpy() for side in SIDES}
    unmeasured = [side for side in SIDES if not has[side].any()]
    out = {
        "status": NOT_MEASURED if unmeasured else MEASURED,
        "items": {side: int(has[side].sum()) for side in SIDES},
        "paired": int((has["source"] & has["target"]).sum()),
        "unmeasured": unmeasured,
        "runs_without": [run_name(items, side) for side in unmeasured],
        "next_step": None,
    }
    if unmeasured:
        name, column = MEASURE_NAMES[measure], MEASURE_COLUMNS[measure]
        out["next_step"] = (
            "; ".join(
                f"{name} is not recorded on {run_name(items, side)}: run the model with "
                f"Switchyard's runner, which measures TTFT and latency per call "
                f"({_run_command(items, side)}), then judge it and compare it in a migration, "
                f"or import the run again from a file with a {column} column"
                for side in unmeasured
            )
            if len(items)
            else "no item in this selection: choose another stratum or split"
        )
    return out


def speed(items: pd.DataFrame, boot: Bootstrap | None = None, seed: int = 0) -> dict:
    """TTFT and total latency of both runs: p50/p90/p99 with paired-bootstrap intervals, the
    increase in ms and % with its one-sided upper bound; error and timeout rates.

    ``measures`` says per measure whether both runs carry it (see ``coverage``); a run
    without it leaves its own figures and the increase empty (None), never zero, while the
    other run's figures still appear."""
    boot = boot or Bootstrap(len(items), RESAMPLES, seed)
    out: dict = {"items": len(items), "measures": {}}
    for measure in ("ttft", "latency"):
        out["measures"][measure] = coverage(items, measure)
        values = {side: items[f"{side}_{measure}"].to_numpy(dtype=float) for side in SIDES}
        stat = {side: resampled_quantiles(values[side], PERCENTILES) for side in SIDES}
        rows = []
        cache: dict = {}

        def draws(side: str, idx: np.ndarray, counts: np.ndarray, cache=cache, stat=stat):
            # All three percentiles come from one pass; the cache holds ``counts`` itself,
            # so its id cannot be reused by another array while the entry lives.
            key = (side, id(counts))
            if key not in cache:
                cache[key] = (counts, stat[side](idx, counts))
            return cache[key][1]

        for k, q in enumerate(PERCENTILES):
            point = {
                side: float(np.quantile(v[np.isfinite(v)], q)) if np.isfinite(v).any() else math.nan
                for side, v in values.items()
            }
            src_b = boot.bounds(lambda i, c, k=k: draws("source", i, c)[k], point["source"])
            tgt_b = boot.bounds(lambda i, c, k=k: draws("target", i, c)[k], point["target"])
            inc = boot.bounds(
                lambda i, c, k=k: draws("target", i, c)[k] - draws("source", i, c)[k],
                point["target"] - point["source"],
            )
            pct = boot.bounds(
                lambda i, c, k=k: 100 * (draws("target", i, c)[k] / draws("source", i, c)[k] - 1),
                100 * (point["target"] / point["source"] - 1) if point["source"] else math.nan,
            )
            rows.append(
                {
                    "percentile": f"p{round(q * 100)}",
                    "source_ms": src_b.as_dict(),
                    "target_ms": tgt_b.as_dict(),
                    "increase_ms": inc.as_dict(),
                    "increase_pct": pct.as_dict(),
                }
            )
        out[measure] = rows
    for side in SIDES:
        errors = items[f"{side}_error"].notna() | items[f"{side}_missing"]
        timeouts = items[f"{side}_error"].fillna("").str.contains(TIMEOUT_PATTERN, regex=True)
        out[f"{side}_error_rate"] = wilson(int(errors.sum()), len(items))._asdict()
        out[f"{side}_timeout_rate"] = wilson(int(timeouts.sum()), len(items))._asdict()
    return out


def call_breakdown(
    con: duckdb.DuckDBPyConnection, comparison: Comparison, items: pd.DataFrame
) -> pd.DataFrame:
    """Per-call latency (retrieval, generation, agent steps) of both runs on ``items``:
    p50 and p90 (numpy's linear method, as DuckDB's quantile_cont)."""
    frames = []
    for side in SIDES:
        frames.append(
            con.execute(
                """
                SELECT ? AS run, coalesce(c ->> 'name', 'call') AS call, count(*) AS calls,
                       round(quantile_cont((c ->> 'latency_ms')::DOUBLE, 0.5), 1) AS p50_ms,
                       round(quantile_cont((c ->> 'latency_ms')::DOUBLE, 0.9), 1) AS p90_ms
                FROM (SELECT unnest(calls::JSON[]) AS c FROM output
                      WHERE run_id = ? AND calls IS NOT NULL
                        AND item_id IN (SELECT unnest(?)))
                WHERE (c ->> 'latency_ms') IS NOT NULL
                GROUP BY ALL ORDER BY call
                """,
                [side, comparison.runs[side], items["item_id"].tolist()],
            ).df()
        )
    return pd.concat(frames, ignore_index=True).sort_values(["call", "run"], ignore_index=True)


# --- cost -----------------------------------------------------------------------------------


def cost(
    con: duckdb.DuckDBPyConnection,
    comparison: Comparison,
    items: pd.DataFrame,
    boot: Bootstrap | None = None,
    seed: int = 0,
) -> dict:
    """Per-query cost of both runs (tokens × price + retrieval), cost per successful answer,
    totals, the monthly projection at the stated volume, and the ROI of the migration.

    A run without token counts, or whose model has no price, leaves its cost NOT MEASURED
    (``status``, ``unmeasured``, ``next_step``; its figures None, never zero) and no ROI."""
    boot = boot or Bootstrap(len(items), RESAMPLES, seed)
    models = dict(
        con.execute(
            "SELECT run_id, model_id FROM run WHERE run_id IN (?, ?)",
            [comparison.runs["source"], comparison.runs["target"]],
        ).fetchall()
    )
    catalog = prices(con).set_index("model_id")
    criteria = comparison.criteria
    out: dict = {
        "items": len(items),
        "missing_prices": [],
        "status": MEASURED,
        "unmeasured": [],
        "next_step": None,
    }
    unmeasured: dict[str, str] = {}  # side -> what would measure its cost
    per_query = {}
    for side in SIDES:
        model_id = models[comparison.runs[side]]
        run = f"the {side} run {comparison.runs[side]} ({model_id})"
        if model_id not in catalog.index:
            out["missing_prices"].append(model_id)
            unmeasured[side] = (
                f"{model_id} has no price: add one with `python -m core price {model_id} "
                "--input X --output Y` (per 1K tokens) or on the Compare page"
            )
            continue
        price = catalog.loc[model_id]
        lacking = [
            column
            for column in ("input_tokens", "output_tokens")
            if len(items) and items[f"{side}_{column}"].isna().all()
        ]
        out[side] = {
            "model_id": model_id,
            "currency": price.currency,
            "input_per_1k": float(price.input_per_1k),
            "output_per_1k": float(price.output_per_1k),
            "price_effective": str(price.effective_date)[:10],
            "status": NOT_MEASURED if lacking else MEASURED,
        }
        if lacking:
            unmeasured[side] = (
                f"{run} has no token counts ({', '.join(lacking)}): run the model with "
                f"Switchyard's runner, which records them ({_run_command(comparison.items, side)}),"
                " or import the run again from a file with input_tokens and output_tokens columns"
            )
            out[side].update(
                per_query=None,
                total=None,
                successful_answers=int(items[f"{side}_pass"].sum()),
                per_successful_answer=None,
                monthly=None,
            )
            continue
        spend = (
            items[f"{side}_input_tokens"].fillna(0).to_numpy(dtype=float) * price.input_per_1k
            + items[f"{side}_output_tokens"].fillna(0).to_numpy(dtype=float) * price.output_per_1k
        ) / 1000 + items[f"{side}_retrieval_cost"].to_numpy(dtype=float)
        per_query[side] = spend
        successes = int(items[f"{side}_pass"].sum())
        out[side].update(
            per_query=float(spend.mean()) if len(spend) else None,
            total=float(spend.sum()),
            successful_answers=successes,
            per_successful_answer=float(spend.sum() / successes) if successes else None,
            monthly=float(spend.mean() * criteria["monthly_queries"]) if len(spend) else None,
        )
    if unmeasured:
        out["status"] = NOT_MEASURED
        out["unmeasured"] = list(unmeasured)
        out["next_step"] = "; ".join(unmeasured.values())
    if len(per_query) < 2 or len(items) == 0:
        out["roi"] = None
        return out
    currencies = {out["source"]["currency"], out["target"]["currency"]}
    if len(currencies) > 1:
        out["roi"] = {"error": f"prices are in different currencies: {sorted(currencies)}"}
        return out
    saving = per_query["source"] - per_query["target"]
    per_query_saving = boot.bounds(resampled_mean(saving), float(saving.mean()))
    monthly = per_query_saving.estimate * criteria["monthly_queries"]
    one_off = (
        criteria["engineering_days"] * criteria["engineering_day_rate"]
        + criteria["sme_hours"] * criteria["sme_hour_rate"]
    )
    if monthly > 0:
        days = one_off / (monthly / 30)
    else:
        days = 0.0 if one_off == 0 and monthly == 0 else math.inf
    out["roi"] = {
        "saving_per_query": per_query_saving.as_dict(),
        "monthly_queries": criteria["monthly_queries"],
        "monthly_saving": monthly,
        "one_off_cost": one_off,
        "break_even_days": None if math.isinf(days) else days,
        "inputs_entered": bool(criteria.get("cost_inputs_entered")),
    }
    return out


BEHIND = (
    "regressions (source passed, target failed)",
    "improvements (source failed, target passed)",
    "both failed",
    "target errors",
    "largest TTFT increase",
)


def items_behind(items: pd.DataFrame, kind: str, metric: str | None = None) -> pd.DataFrame:
    """The items behind a figure: a pass/fail cell of one metric (None: all gating metrics),
    the target's errors, or the largest TTFT increases."""
    col = f"pass.{metric}" if metric else "pass"
    src, tgt = items[f"source_{col}"], items[f"target_{col}"]
    if kind == BEHIND[0]:
        picked = items[src & ~tgt]
    elif kind == BEHIND[1]:
        picked = items[~src & tgt]
    elif kind == BEHIND[2]:
        picked = items[~src & ~tgt]
    elif kind == BEHIND[3]:
        picked = items[items["target_error"].notna() | items["target_missing"]]
    elif kind == BEHIND[4]:
        increase = items["target_ttft"] - items["source_ttft"]
        picked = items.assign(_inc=increase).dropna(subset=["_inc"]).nlargest(50, "_inc")
    else:
        raise ValueError(f"unknown kind {kind!r}")
    shown = picked.assign(ttft_increase_ms=(picked["target_ttft"] - picked["source_ttft"]).round(1))
    columns = [
        "item_id",
        "stratum",
        "split",
        "source_ttft",
        "target_ttft",
        "ttft_increase_ms",
        "target_error",
    ]
    if metric:
        columns[3:3] = [f"source_score.{metric}", f"target_score.{metric}"]
    return shown[columns].reset_index(drop=True)


def item_detail(con: duckdb.DuckDBPyConnection, comparison: Comparison, item_id: str) -> dict:
    """One item's prompt, context, reference and both runs' outputs, verdicts and SME labels."""
    row = con.execute(
        "SELECT i.prompt, i.context, i.ground_truth FROM item i JOIN migration m"
        " ON m.dataset_id = i.dataset_id WHERE m.migration_id = ? AND i.item_id = ?",
        [comparison.migration_id, item_id],
    ).fetchone()
    if row is None:
        raise InputError("compare", f"no item {item_id!r} in this migration's dataset")
    detail = {"item_id": item_id, "prompt": row[0], "context": row[1], "ground_truth": row[2]}
    for side in SIDES:
        run_id = comparison.runs[side]
        out = con.execute(
            "SELECT text, error, ttft_ms, latency_ms FROM output WHERE run_id = ? AND item_id = ?",
            [run_id, item_id],
        ).fetchone()
        scores = con.execute(
            "SELECT metric, score, passed, explanation FROM judge_score WHERE run_id = ?"
            " AND item_id = ? ORDER BY metric",
            [run_id, item_id],
        ).df()
        labels = con.execute(
            "SELECT reviewer, score, passed, failure_modes, safety_flag, notes FROM label"
            " WHERE run_id = ? AND item_id = ? ORDER BY reviewer",
            [run_id, item_id],
        ).df()
        detail[side] = {
            "run_id": run_id,
            "text": out[0] if out else None,
            "error": out[1] if out else "no output",
            "ttft_ms": out[2] if out else None,
            "latency_ms": out[3] if out else None,
            "scores": scores,
            "labels": labels,
        }
    return detail


def bootstrap_for(items: pd.DataFrame, seed: int = 0) -> Bootstrap:
    return Bootstrap(len(items), RESAMPLES, seed)


def interval_text(bounds: dict | Bounds | None, unit: str = "", scale: float = 1.0) -> str:
    """'12.3 (10.1 to 14.2)' with a unit; an em dash when there is nothing."""
    if isinstance(bounds, Bounds):
        bounds = bounds.as_dict()
    if not bounds or bounds.get("estimate") is None:
        return "—"
    low, high = bounds.get("low"), bounds.get("high")
    text = f"{bounds['estimate'] * scale:.1f}{unit}"
    if low is not None and high is not None:
        text += f" ({low * scale:.1f} to {high * scale:.1f})"
    return text
