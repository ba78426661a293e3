"""Coverage of the design-based 95% intervals on the app's own 10%/2% stratified samples.

For each population size and judge quality κ, ``--populations`` populations are simulated
(bench/population.py) and each is sampled ``--replications / --populations`` times with
the app's design (core.review.design: 10% of judge failures, 2% of passes per stratum, at
least 2). Each sample's SME pass rate (Cochran's stratified proportion) and the judge's
weighted precision and recall (domain ratio estimates, computed by calibration's own
``figures.by_design``) get a 95% interval; coverage is the share of intervals that hold the
population's true value, with its Monte-Carlo error (1.96 √(c (1 − c) / R)). Recall is also
given over the samples where calibration reports it (at least MIN_FAILS_FOR_RECALL SME-failed
labels among the judge's passes). Printed as JSON; the full run also writes
bench/out/coverage-latest.json.

    python bench/coverage.py [--replications 2000] [--populations 10]
    python bench/coverage.py --smoke     # 2,000 items, κ 0.8, 40 samples (CI, < 60 s)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

from bench.population import population, stratified_draw  # noqa: E402
from bench.smoke import check  # noqa: E402
from core.analysis import stratified  # noqa: E402
from core.analysis.calibration.figures import MIN_FAILS_FOR_RECALL, by_design  # noqa: E402
from core.types import finite  # noqa: E402

SIZES = (2_000, 10_000, 100_000)
KAPPAS = (0.4, 0.8)
FIGURES = ("sme_pass_rate", "precision", "recall", "recall_reported")


def truths(pop) -> dict[str, float]:
    """The population's SME pass rate and the judge's precision and recall on failures."""
    sme_fail = ~pop["sme_pass_source"].to_numpy(dtype=bool)
    judge_fail = ~pop["judge_pass_source"].to_numpy(dtype=bool)
    both = (sme_fail & judge_fail).sum()
    recall = both / sme_fail.sum()
    return {
        "sme_pass_rate": 1 - sme_fail.mean(),
        "precision": both / judge_fail.sum(),
        "recall": recall,
        "recall_reported": recall,
    }


def intervals(sample) -> dict:
    """The three intervals calibration reports for one sample (one label per item)."""
    sme_fail = ~sample["sme_pass_source"].to_numpy(dtype=bool)
    judge_fail = ~sample["judge_pass_source"].to_numpy(dtype=bool)
    names = sample["design_stratum"].to_numpy()
    sizes = dict(zip(sample["design_stratum"], sample["stratum_size"], strict=True))
    units = np.arange(len(sample))
    pass_rate = stratified.proportion(~sme_fail, names, sizes).interval
    _, precision, recall = by_design(judge_fail, sme_fail, units, names, sizes)
    fails_in_pass = int((sme_fail & np.char.endswith(names.astype(str), "/pass")).sum())
    reported = recall if fails_in_pass >= MIN_FAILS_FOR_RECALL else None
    return {
        "sme_pass_rate": pass_rate,
        "precision": precision,
        "recall": recall,
        "recall_reported": reported,
    }


def cell(size: int, kappa: float, replications: int, populations: int, seed: int) -> dict:
    """Coverage of each figure's interval for one population size and judge κ."""
    hits: dict[str, list[bool]] = {f: [] for f in FIGURES}
    widths: dict[str, list[float]] = {f: [] for f in FIGURES}
    outside = dict.fromkeys(FIGURES, 0)
    labels = []
    per_population = max(1, replications // populations)
    for p in range(populations):
        pop = population(size, kappa, seed=seed + p)
        truth = truths(pop)
        rng = np.random.default_rng([seed, p])
        for _ in range(per_population):
            sample = stratified_draw(pop, seed=rng)
            labels.append(len(sample))
            for name, interval in intervals(sample).items():
                if interval is None or math.isnan(interval.low):
                    continue
                hits[name].append(interval.low <= truth[name] <= interval.high)
                widths[name].append(interval.high - interval.low)
                outside[name] += not (0 <= interval.low <= interval.high <= 1)
    result: dict = {"size": size, "kappa": kappa, "samples": len(labels),
                    "labels_mean": float(np.mean(labels))}  # fmt: skip
    for name in FIGURES:
        runs = len(hits[name])
        share = float(np.mean(hits[name])) if runs else math.nan
        result[name] = {
            "coverage": share,
            "mc_error": 1.96 * math.sqrt(share * (1 - share) / runs) if runs else math.nan,
            "intervals": runs,
            "outside_0_1": outside[name],
            "mean_width": float(np.mean(widths[name])) if runs else math.nan,
        }
    return result


def run(sizes, kappas, replications: int, populations: int, seed: int) -> dict:
    started = time.perf_counter()
    cells = []
    for size in sizes:
        for kappa in kappas:
            cells.append(cell(size, kappa, replications, populations, seed))
            print(f"{size} items, κ {kappa}: done", file=sys.stderr, flush=True)
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}",
        "replications": replications,
        "populations": populations,
        "cells": cells,
        "seconds": time.perf_counter() - started,
    }


def plain(value: object) -> object:
    """JSON without NaN: a figure that could not be computed is null."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return finite(value) if isinstance(value, float) else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replications", type=int, default=2000)
    parser.add_argument("--populations", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--smoke", action="store_true", help="tiny size for CI")
    args = parser.parse_args()
    if args.smoke:
        result = run((2_000,), (0.8,), 40, 2, args.seed)
        # A smoke's recall_reported may hold no interval (NaN): check the rest.
        check({k: v for k, v in result["cells"][0].items() if k != "recall_reported"}, "size")
        print(json.dumps(plain(result), indent=2))
        return
    result = run(SIZES, KAPPAS, args.replications, args.populations, args.seed)
    OUT.mkdir(exist_ok=True)
    text = json.dumps(plain(result), indent=2)
    (OUT / "coverage-latest.json").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
