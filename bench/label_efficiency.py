"""Label efficiency and coverage of stratified prediction-powered inference, by simulation.

A population (bench/population.py: SME truth per item for a source and a target run, a judge
at Cohen's κ with a continuous score) is sampled the way Switchyard samples (10% of the
judge's failures, 2% of its passes, per "<stratum>/<pool>"), and the pass rate and the
paired target-minus-source difference are estimated by ``core.analysis.ppi.stratified_ppi``
(StratPPI) beside Cochran's SME-only stratified estimate. Per configuration it reports:

- coverage: the share of 95% intervals holding the population's true value (its finite
  mean), for StratPPI and SME-only, over ``draws`` samples from each of ``populations``
  populations; and whether any interval left the range ([0, 1], [−1, 1]);
- labels saved: n_equiv / n (StratifiedPPI.effective_labels, fpc counted) per draw: how many
  times its labels StratPPI is worth against the SME-only estimator at the same allocation.

    python bench/label_efficiency.py                  # coverage and efficiency (~15 min)
    python bench/label_efficiency.py --smoke          # a small size, under a minute (CI)

``coverage(n_items, kappa, ...)`` is the function a test or another bench calls.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.population import SIDES, population, stratified_draw  # noqa: E402
from bench.smoke import check  # noqa: E402
from core.analysis.ppi import DIFFERENCE, PROPORTION, Range, stratified_ppi  # noqa: E402

SIZES = (2_000, 10_000, 100_000)
KAPPAS = (0.4, 0.8)
EFFICIENCY_KAPPAS = (0.4, 0.6, 0.8)
FIGURES = ("source", "target", "difference")


def _strata(pop: pd.DataFrame, side: str) -> np.ndarray:
    pool = np.where(pop[f"judge_pass_{side}"].to_numpy(dtype=bool), "pass", "fail")
    return (pop["stratum"].to_numpy(dtype=str).astype(object) + "/" + pool).astype(str)


def _fit(y, f, strata, labelled, bounds: Range):
    rest = np.ones(len(f), dtype=bool)
    rest[labelled] = False
    return stratified_ppi(y, f[labelled], strata[labelled], f[rest], strata[rest], bounds)


def one_draw(
    pop: pd.DataFrame, strata: dict, seed: int, index: pd.Index | None = None, **design
) -> dict[str, dict]:
    """Each figure's StratPPI and SME-only fit on one stratified sample per side (the
    difference on the target side's sample; SMEs label both runs' outputs of a sampled item).
    ``index``: pop's item ids as an index, built once per population."""
    index = pd.Index(pop["item_id"]) if index is None else index
    out = {}
    for side in SIDES:
        chosen = stratified_draw(pop, side=side, seed=seed + (side == "target"), **design)
        where = index.get_indexer(chosen["item_id"])
        y = {s: pop[f"sme_pass_{s}"].to_numpy(dtype=float) for s in SIDES}
        f = {s: pop[f"judge_score_{s}"].to_numpy(dtype=float) for s in SIDES}
        out[side] = _fit(y[side][where], f[side], strata[side], where, PROPORTION)
        if side == "target":
            gap = y["target"] - y["source"]
            out["difference"] = _fit(
                gap[where], f["target"] - f["source"], strata[side], where, DIFFERENCE
            )
    return out


def truths(pop: pd.DataFrame) -> dict[str, float]:
    rates = {s: float(pop[f"sme_pass_{s}"].mean()) for s in SIDES}
    return rates | {"difference": rates["target"] - rates["source"]}


def coverage(
    n_items: int,
    kappa: float,
    populations: int = 10,
    draws: int = 100,
    seed: int = 0,
    **design,
) -> dict:
    """Coverage of StratPPI's and SME-only's 95% intervals and the labels saved, over
    ``populations`` × ``draws`` stratified samples of populations of ``n_items`` at ``kappa``.
    ``design`` goes to ``stratified_draw`` (fail_rate, pass_rate, minimum)."""
    hits = {f: {"stratppi": 0, "sme_only": 0} for f in FIGURES}
    outside = 0
    saved: dict[str, list[float]] = {f: [] for f in FIGURES}
    widths: dict[str, list[float]] = {f: [] for f in FIGURES}
    labels = []
    for p in range(populations):
        pop = population(n_items, kappa, seed * 1_000 + p)
        strata = {side: _strata(pop, side) for side in SIDES}
        truth = truths(pop)
        index = pd.Index(pop["item_id"])
        for d in range(draws):
            fits = one_draw(pop, strata, seed * 1_000_000 + p * 1_000 + 2 * d, index, **design)
            labels.append(fits["target"].labelled)
            for figure, fit in fits.items():
                lo, hi = DIFFERENCE if figure == "difference" else PROPORTION
                t = truth[figure]
                hits[figure]["stratppi"] += fit.low <= t <= fit.high
                hits[figure]["sme_only"] += fit.sme_only.low <= t <= fit.sme_only.high
                outside += not (lo <= fit.low and fit.high <= hi)
                outside += not (lo <= fit.sme_only.low and fit.sme_only.high <= hi)
                saved[figure].append(fit.effective_labels / fit.labelled)
                widths[figure].append(fit.high - fit.low)
    total = populations * draws
    return {
        "items": n_items,
        "kappa": kappa,
        "samples": total,
        "labels_median": statistics.median(labels),
        "coverage": {
            f: {k: round(v / total, 4) for k, v in hit.items()} for f, hit in hits.items()
        },
        "outside_range": outside,
        "labels_saved_median": {f: round(statistics.median(v), 3) for f, v in saved.items()},
        "width_median": {f: round(statistics.median(v), 4) for f, v in widths.items()},
    }


def machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" numpy {np.__version__}, pandas {pd.__version__}"
    )


def run(sizes, kappas, efficiency_kappas, populations: int, draws: int, large: int) -> dict:
    """``large``: populations of 100,000 items or more (each draw costs ~10× a small one)."""
    start = time.perf_counter()
    result = {
        "machine": machine(),
        "coverage": [
            coverage(n, k, large if n >= 100_000 else populations, draws)
            for n in sizes
            for k in kappas
        ],
        "efficiency": [
            coverage(sizes[0], k, populations, draws, seed=1) for k in efficiency_kappas
        ],
    }
    result["seconds"] = round(time.perf_counter() - start, 1)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a small size, under a minute")
    parser.add_argument("--populations", type=int, default=10)
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--large", type=int, default=5, help="populations of 100,000 items")
    args = parser.parse_args(argv)
    if args.smoke:
        result = run((2_000,), (0.8,), (0.6,), populations=2, draws=10, large=1)
        check(result, "seconds")
    else:
        result = run(SIZES, KAPPAS, EFFICIENCY_KAPPAS, args.populations, args.draws, args.large)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
