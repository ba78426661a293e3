"""What a comparison reads from the database: both runs of a migration, item by item.

``load`` is the one loader of the figures' evidence: every item of the migration's dataset
with both runs' outputs and verdicts, the SME labels of its samples, the prices in force and
how each run's metrics were read. Everything in ``quality``, ``speed`` and ``cost`` computes
on what it returns and never opens a query. ``call_breakdown`` and ``item_detail`` read
per-call latencies and one item's texts on demand, as only the page's detail views need them.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from core.catalog import metrics as metrics_catalog
from core.catalog import migrations, pricing
from core.catalog.approvals import one_row
from core.errors import InputError
from core.store import reads
from core.store.sql import literal
from core.types import PASS_SCORE

SIDES = ("source", "target")
SAFETY_TAG = "safety"  # items tagged so (or in a stratum so named) must pass on the target


@dataclass(frozen=True)
class Comparison:
    """Both runs of a migration side by side: ``items`` has one row per item.

    ``labels`` has one row per SME-labelled item of the migration's samples (each run's SME
    pass share, the item's inclusion probability and design stratum); ``prices`` the prices
    in force today of the two runs' models; ``directions`` how each (run, metric) was read
    (``run_metric``).
    """

    migration_id: str
    runs: dict[str, str]  # side -> run_id
    models: dict[str, str]  # side -> model_id
    dataset_id: str
    metrics: list[str]  # judge metrics scored on both runs
    gating: list[str]
    items: pd.DataFrame
    criteria: dict
    labels: pd.DataFrame
    prices: pd.DataFrame
    directions: dict[tuple, dict]
    # (run_id, metric) -> the judge's stored pass rate over every item it scored
    judge_pass_rates: dict[tuple[str, str], float | None]


def load(con: duckdb.DuckDBPyConnection, migration_id: str, target_run_id: str) -> Comparison:
    """Every item of the migration's dataset with both runs' outputs and verdicts.

    A missing output or an error counts as a failure on every metric; scores stay empty.
    Verdicts honour thresholds applied on the Calibration page. ``items.attrs["runs"]`` names
    each side's run, model and dataset (pandas keeps it through selections), so a figure
    computed on any selection can say which run lacks a measure and how to measure it.
    """
    criteria = migrations.criteria(con, migration_id)
    source_run_id = migrations.source_run(con, migration_id)
    dataset_id, frozen = one_row(
        con,
        "SELECT dataset_id, CASE WHEN frozen_at IS NOT NULL THEN sha256 END FROM migration"
        " JOIN dataset USING (dataset_id) WHERE migration_id = ?",
        [migration_id],
    )
    if target_run_id not in migrations.target_runs(con, migration_id):
        raise InputError("compare", f"run {target_run_id!r} is not a target of {migration_id}")
    runs = {"source": source_run_id, "target": target_run_id}
    pair = [source_run_id, target_run_id]
    with reads.Local(con, _item_reads(dataset_id, frozen, pair)) as local:
        metrics = [
            m
            for (m,) in local.execute(
                "SELECT metric FROM judge_score WHERE run_id IN (?, ?) GROUP BY metric"
                " HAVING count(DISTINCT run_id) = 2 ORDER BY 1",
                [source_run_id, target_run_id],
            ).fetchall()
        ]
        items = _items(local, dataset_id, runs, metrics)
        rates = local.execute(
            "SELECT run_id, metric, avg(CASE WHEN passed THEN 1.0 ELSE 0.0 END)"
            " FROM judge_score WHERE run_id IN (?, ?) GROUP BY run_id, metric",
            [source_run_id, target_run_id],
        ).fetchall()
    directions = metrics_catalog.run_directions(con, list(runs.values()))
    named = criteria.get("gating_metrics") or gating_by_default(metrics, runs, directions)
    gating = [m for m in named if m in metrics]
    for side in SIDES:
        failed = items[f"{side}_error"].notna() | items[f"{side}_missing"]
        items[f"{side}_ok"] = ~failed
        items[f"{side}_pass"] = ~failed
        for metric in gating:
            items[f"{side}_pass"] &= items[f"{side}_pass.{metric}"]
    items.attrs["runs"] = _run_attrs(con, runs, dataset_id)
    models = {side: run["model_id"] for side, run in items.attrs["runs"].items()}
    prices = pricing.prices(con)
    return Comparison(
        migration_id,
        runs,
        models,
        dataset_id,
        metrics,
        gating,
        items,
        criteria,
        _labels(con, migration_id, runs),
        prices[prices["model_id"].isin(set(models.values()))].reset_index(drop=True),
        directions,
        {(run, metric): None if rate is None else float(rate) for run, metric, rate in rates},
    )


def _run_attrs(con: duckdb.DuckDBPyConnection, runs: dict[str, str], dataset_id: str) -> dict:
    """side -> the run's id, model, dataset and origin (what the next-step texts name)."""
    rows = {
        run_id: (model_id, origin)
        for run_id, model_id, origin in con.execute(
            "SELECT run_id, model_id, origin FROM run WHERE run_id IN (?, ?)",
            [runs["source"], runs["target"]],
        ).fetchall()
    }
    return {
        side: {
            "run_id": run_id,
            "model_id": rows[run_id][0],
            "dataset_id": dataset_id,
            "origin": rows[run_id][1],
        }
        for side, run_id in runs.items()
    }


def _items(
    local: reads.Local, dataset_id: str, runs: dict[str, str], metrics: list[str]
) -> pd.DataFrame:
    """One row per item: both runs' measures, errors, and each metric's score and verdict
    (over ``local``: the rows of ``_item_reads``)."""
    columns, names = [], {}
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
            # named by position, then by metric: a name may outgrow an identifier's 63 bytes
            columns.append(
                f"j.s{index}_{p} AS score_{index}_{p},"
                f" coalesce(j.v{index}_{p}, false) AND {p}.error IS NULL AS pass_{index}_{p}"
            )
            names[f"score_{index}_{p}"] = f"{side}_score.{metric}"
            names[f"pass_{index}_{p}"] = f"{side}_pass.{metric}"
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
    """  # noqa: S608 - aliases by position; values bound
    pair = [runs["source"], runs["target"]]
    rows = local.execute(sql, [dataset_id, *pair, *metrics]).df()
    return rows.rename(columns=names)


def _item_reads(dataset_id: str, frozen: str | None, pair: list[str]) -> dict[str, reads.Read]:
    """The rows the metric list and _items read (on PostgreSQL, all DuckDB is given);
    ``frozen``: the dataset's hash once frozen (its items are then kept, never read again)."""
    return {
        "item": reads.Read(
            "SELECT dataset_id, item_id, stratum, split, tags FROM item WHERE dataset_id = ?",
            [dataset_id],
            kept_as=("item", dataset_id, frozen) if frozen else None,
        ),
        "output": reads.Read(
            "SELECT run_id, item_id, ttft_ms, latency_ms, input_tokens, output_tokens,"
            " retrieval_cost, error FROM output WHERE run_id IN (?, ?)",
            pair,
        ),
        "judge_score": reads.Read(
            "SELECT run_id, item_id, metric, score, passed FROM judge_score WHERE run_id IN (?, ?)",
            pair,
        ),
        "judge_threshold": reads.Read("SELECT * FROM judge_threshold"),
        "run_metric": reads.Read("SELECT * FROM run_metric"),
    }


def _labels(
    con: duckdb.DuckDBPyConnection, migration_id: str, runs: dict[str, str]
) -> pd.DataFrame:
    """One row per SME-labelled item of the migration's samples: each run's SME verdict (its
    SMEs' pass share), the item's inclusion probability, its design stratum
    ("<stratum>/<pool>") and the target run its sample's pools were drawn against."""
    return con.execute(
        """
        SELECT l.item_id,
               avg(coalesce(l.passed, l.score >= $4)::DOUBLE)
                   FILTER (WHERE l.run_id = $2) AS source,
               avg(coalesce(l.passed, l.score >= $4)::DOUBLE)
                   FILTER (WHERE l.run_id = $3) AS target,
               any_value(si.inclusion_prob) AS p,
               any_value(si.stratum || '/' || si.pool) AS design_stratum,
               any_value(s.run_b) AS sampled_target
        FROM label l
        JOIN sample s ON s.sample_id = l.sample_id AND s.migration_id = $1
        JOIN sample_item si ON si.sample_id = l.sample_id AND si.item_id = l.item_id
        WHERE l.run_id IN ($2, $3) AND (l.passed IS NOT NULL OR l.score IS NOT NULL)
        GROUP BY l.item_id
        """,
        [migration_id, runs["source"], runs["target"], PASS_SCORE],
    ).df()


def sme_labels(_con, comparison: Comparison) -> pd.DataFrame:
    """The comparison's SME labels (read by ``load``; the connection is not used)."""
    return comparison.labels


def gating_by_default(
    metrics: list[str], runs: dict[str, str], directions: dict[tuple, dict]
) -> list[str]:
    """Metrics that gate when the criteria name none: scored on both runs, in the metric
    catalog on both, read in the same direction. Unmapped metrics never gate silently."""
    return [metric for metric in metrics if why_not_gating(metric, runs, directions) is None]


def why_not_gating(metric: str, runs: dict[str, str], directions: dict[tuple, dict]) -> str | None:
    """Why a metric on both runs cannot gate by default (None: it can)."""
    # Runs scored by Switchyard's own judges (or the demo) have no run_metric rows.
    sides = [directions.get((runs[side], metric)) for side in SIDES]
    if any(s is not None and not s["mapped"] for s in sides):
        return "not in the metric catalog (python -m core metric map NAME --to METRIC)"
    if len({s["direction"] for s in sides if s is not None}) > 1:
        return "read in opposite directions on the two runs"
    return None


def call_breakdown(
    con: duckdb.DuckDBPyConnection, comparison: Comparison, items: pd.DataFrame
) -> pd.DataFrame:
    """Per-call latency (retrieval, generation, agent steps) of both runs on ``items``:
    p50 and p90 (numpy's linear method, as DuckDB's quantile_cont). Aggregated in DuckDB:
    a run's calls can number several per item."""
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


@dataclass(frozen=True)
class ItemOutput:
    """One run's answer to an item: text or error, timings, judge scores and SME labels."""

    run_id: str
    text: str | None
    error: str | None
    ttft_ms: float | None
    latency_ms: float | None
    scores: pd.DataFrame
    labels: pd.DataFrame


@dataclass(frozen=True)
class ItemDetail:
    item_id: str
    prompt: str
    context: str | None
    ground_truth: str | None
    source: ItemOutput
    target: ItemOutput

    def side(self, side: str) -> ItemOutput:
        return self.source if side == "source" else self.target


def item_detail(con: duckdb.DuckDBPyConnection, comparison: Comparison, item_id: str) -> ItemDetail:
    """One item's prompt, context, reference and both runs' outputs, verdicts and SME labels."""
    row = con.execute(
        "SELECT i.prompt, i.context, i.ground_truth FROM item i JOIN migration m"
        " ON m.dataset_id = i.dataset_id WHERE m.migration_id = ? AND i.item_id = ?",
        [comparison.migration_id, item_id],
    ).fetchone()
    if row is None:
        raise InputError("compare", f"no item {item_id!r} in this migration's dataset")
    outputs = {}
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
        text, error, ttft, latency = out if out else (None, "no output", None, None)
        outputs[side] = ItemOutput(run_id, text, error, ttft, latency, scores, labels)
    return ItemDetail(item_id, row[0], row[1], row[2], outputs["source"], outputs["target"])
