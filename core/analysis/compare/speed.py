"""Speed, paired item by item: TTFT and total latency percentiles with bootstrap intervals,
error and timeout rates. A measure a run does not carry (Ragas, DeepEval and Bedrock files
hold no TTFT and often no latency) is NOT MEASURED, never a zero and never a pass."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.analysis.agreement import wilson
from core.analysis.compare.evidence import SIDES
from core.analysis.compare.results import (
    MEASURED,
    NOT_MEASURED,
    Coverage,
    PercentileRow,
    SpeedResult,
)
from core.analysis.paired import Bootstrap, Statistic, resampled_quantiles
from core.types import BATCH_ORIGIN, RESAMPLES, Interval

PERCENTILES = (0.5, 0.9, 0.99)
MEASURE_NAMES = {"ttft": "TTFT", "latency": "Total latency"}
MEASURE_COLUMNS = {"ttft": "ttft_ms", "latency": "latency_ms"}
TIMEOUT_PATTERN = r"(?i)time.?out|timed out"


def run_name(items: pd.DataFrame, side: str) -> str:
    """'the target run r-1 (model)', or 'the target run' when the frame does not say."""
    run = items.attrs.get("runs", {}).get(side)
    return f"the {side} run {run['run_id']} ({run['model_id']})" if run else f"the {side} run"


def run_command(items: pd.DataFrame, side: str) -> str:
    """The command that runs this side's model on the dataset (and so measures it)."""
    run = items.attrs.get("runs", {}).get(side)
    dataset, model = (run["dataset_id"], run["model_id"]) if run else ("DATASET", "MODEL")
    return f"`python -m core run --dataset {dataset} --model {model} --role {side}`"


def _how_to_measure(items: pd.DataFrame, side: str, name: str, column: str) -> str:
    run = items.attrs.get("runs", {}).get(side) or {}
    if run.get("origin") == BATCH_ORIGIN:
        return (
            f"{name} is not recorded on {run_name(items, side)}: a batch job does not time"
            f" its calls; stream a stratified sample of its items"
            f" (`python -m core run --resume {run['run_id']} --online-sample 200`)"
        )
    return (
        f"{name} is not recorded on {run_name(items, side)}: run the model with "
        f"Switchyard's runner, which measures TTFT and latency per call "
        f"({run_command(items, side)}), then judge it and compare it in a migration, "
        f"or import the run again from a file with a {column} column"
    )


def coverage(items: pd.DataFrame, measure: str) -> Coverage:
    """Whether both runs carry ``measure`` ('ttft' or 'latency') on these items."""
    has = {side: items[f"{side}_{measure}"].notna().to_numpy() for side in SIDES}
    unmeasured = [side for side in SIDES if not has[side].any()]
    next_step = None
    if unmeasured:
        name, column = MEASURE_NAMES[measure], MEASURE_COLUMNS[measure]
        next_step = (
            "; ".join(_how_to_measure(items, side, name, column) for side in unmeasured)
            if len(items)
            else "no item in this selection: choose another stratum or split"
        )
    return Coverage(
        status=NOT_MEASURED if unmeasured else MEASURED,
        items={side: int(has[side].sum()) for side in SIDES},
        paired=int((has["source"] & has["target"]).sum()),
        unmeasured=unmeasured,
        runs_without=[run_name(items, side) for side in unmeasured],
        next_step=next_step,
    )


def speed(items: pd.DataFrame, boot: Bootstrap | None = None, seed: int = 0) -> SpeedResult:
    """TTFT and total latency of both runs: p50/p90/p99 with paired-bootstrap intervals, the
    increase in ms and % with its one-sided upper bound; error and timeout rates.

    ``measures`` says per measure whether both runs carry it (see ``coverage``); a run
    without it leaves its own figures and the increase empty (NaN), never zero, while the
    other run's figures still appear."""
    boot = boot or Bootstrap(len(items), RESAMPLES, seed)
    errors, timeouts = {}, {}
    for side in SIDES:
        failed = items[f"{side}_error"].notna() | items[f"{side}_missing"]
        timed_out = items[f"{side}_error"].fillna("").str.contains(TIMEOUT_PATTERN, regex=True)
        errors[side] = Interval(*wilson(int(failed.sum()), len(items)))
        timeouts[side] = Interval(*wilson(int(timed_out.sum()), len(items)))
    return SpeedResult(
        items=len(items),
        measures={m: coverage(items, m) for m in ("ttft", "latency")},
        ttft=percentile_rows(items, "ttft", boot),
        latency=percentile_rows(items, "latency", boot),
        error_rates=errors,
        timeout_rates=timeouts,
    )


def percentile_rows(items: pd.DataFrame, measure: str, boot: Bootstrap) -> list[PercentileRow]:
    """p50/p90/p99 of one measure for both runs, with the increase in ms and %."""
    values = {side: items[f"{side}_{measure}"].to_numpy(dtype=float) for side in SIDES}
    stat = {side: resampled_quantiles(values[side], PERCENTILES) for side in SIDES}
    cache: dict = {}

    def draws(side: str, idx: np.ndarray, counts: np.ndarray):
        # All three percentiles come from one pass; the cache holds ``counts`` itself,
        # so its id cannot be reused by another array while the entry lives.
        key = (side, id(counts))
        if key not in cache:
            cache[key] = (counts, stat[side](idx, counts))
        return cache[key][1]

    def at(side: str, k: int) -> Statistic:
        return lambda i, c: draws(side, i, c)[k]

    def increase(k: int, relative: bool) -> Statistic:
        def statistic(i: np.ndarray, c: np.ndarray) -> np.ndarray:
            src, tgt = draws("source", i, c)[k], draws("target", i, c)[k]
            return 100 * (tgt / src - 1) if relative else tgt - src

        return statistic

    rows = []
    for k, q in enumerate(PERCENTILES):
        point = {
            side: float(np.quantile(v[np.isfinite(v)], q)) if np.isfinite(v).any() else math.nan
            for side, v in values.items()
        }
        src_b = boot.bounds(at("source", k), point["source"])
        tgt_b = boot.bounds(at("target", k), point["target"])
        inc = boot.bounds(increase(k, False), point["target"] - point["source"])
        pct = boot.bounds(
            increase(k, True),
            100 * (point["target"] / point["source"] - 1) if point["source"] else math.nan,
        )
        rows.append(PercentileRow(f"p{round(q * 100)}", src_b, tgt_b, inc, pct))
    return rows
