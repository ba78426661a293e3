"""The canary's checks under simulation: false ROLL BACKs on A/A traffic, power on regressions.

Each simulated canary is ``--looks`` batches of requests (BATCH per regression, ``--aa-batch``
for A/A), half on each arm (the control and the canary), every request judged, 10% of them
reviewed by an SME. After every
batch all ten checks of ``core.analysis.canary.checks`` are read (``check_history``, one look
per batch); a canary is ROLLED BACK at the first look where any check reads "crossed".

The limits sit on the no-harm line (quality margin 0 pp, +0 ms, error ratio 1, 0% cost
overrun, 0 SME safety flags): A/A traffic lies exactly on it, the hardest case for false
alarms, and each injected regression is the issue's size measured from that line.
Beside the checks, a naive rule on the same data: at each look, fixed-n 95% intervals
(normal for means and proportions, order-statistic for quantiles) read against the same limits.

    python bench/canary_power.py [--canaries 500] [--power-canaries 100] [--only aa|power]
    python bench/canary_power.py --smoke     # 10 A/A canaries, 1 per regression (CI, < 60 s)
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
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

from bench.smoke import check  # noqa: E402
from core.analysis.canary import checks  # noqa: E402

LIMITS = checks.CanaryLimits(
    quality_margin_pp=0.0,
    ttft_p90_increase_ms=0.0,
    latency_p90_increase_ms=0.0,
    error_rate_ratio=1.0,
    sme_flag_limit=0,
    cost_overrun_pct=0.0,
    projected_cost_per_request=None,
    configured_share=0.5,
)
# No SME safety flags at baseline: sme_flags is a count with limit 0 (any flag on the canary
# rolls back, the sign-off's trigger), so a baseline flag rate on the target is itself harm.
PASS_RATE, ERROR_RATE, FLAG_RATE, SME_SHARE = 0.85, 0.02, 0.0, 0.10
# TTFT lognormal(6.2, 0.5): median 493 ms, p90 935 ms; +250 ms at p90 is a 1.267x stretch.
TTFT_STRETCH = (math.exp(6.2 + 0.5 * 1.2816) + 250) / math.exp(6.2 + 0.5 * 1.2816)
EFFECTS = {
    "quality -3 pp": "quality_judge",
    "TTFT p90 +250 ms": "ttft_p90",
    "errors x2": "error_rate",
    "cost +20%": "cost_per_request",
    "SME flag burst": "sme_flags",
}
# Requests per look for each regression: about where it is caught within 50 looks.
BATCH = {
    "quality -3 pp": 1000,
    "TTFT p90 +250 ms": 200,
    "errors x2": 800,
    "cost +20%": 100,
    "SME flag burst": 200,
}
BURST = (0.2, 0.6, 0.30)  # SME flags: from 20% to 60% of the looks, 30% of reviewed canaries


def simulate(rng: np.random.Generator, looks: int, batch: int, effect: str | None) -> pd.DataFrame:
    """One canary's traffic in arrival order; ``effect`` is a key of EFFECTS or None (A/A)."""
    n = looks * batch
    canary = rng.random(n) < LIMITS.configured_share
    at = np.arange(n) / n
    passed = PASS_RATE - (0.03 if effect == "quality -3 pp" else 0.0) * canary
    errors = ERROR_RATE * (2.0 if effect == "errors x2" else 1.0) ** canary
    ttft = (
        rng.lognormal(6.2, 0.5, n)
        * (TTFT_STRETCH if effect == "TTFT p90 +250 ms" else 1.0) ** canary
    )
    cost = rng.lognormal(-6.0, 0.5, n) * (1.2 if effect == "cost +20%" else 1.0) ** canary
    flag_rate = np.full(n, FLAG_RATE)
    if effect == "SME flag burst":
        burst = (at >= BURST[0]) & (at < BURST[1]) & canary
        flag_rate[burst] = BURST[2]
    reviewed = rng.random(n) < SME_SHARE
    judge = rng.random(n) < passed
    sme = np.where(reviewed, judge, None)
    flag = np.where(reviewed, rng.random(n) < flag_rate, None)
    return pd.DataFrame(
        {
            "ts": pd.Timestamp("2026-11-01") + pd.to_timedelta(np.arange(n), unit="s"),
            "arm": np.where(canary, "canary", "control"),
            "request_id": np.arange(n).astype(str),
            "ttft_ms": ttft,
            "latency_ms": ttft + rng.lognormal(7.0, 0.4, n),
            "error": rng.random(n) < errors,
            "judge_passed": judge,
            "sme_passed": pd.array(sme, dtype="boolean"),
            "sme_flag": pd.array(flag, dtype="boolean"),
            "cost_usd": cost,
        }
    )


def naive_crossings(frame: pd.DataFrame, looks: int) -> np.ndarray:
    """Per look: does any fixed-n 95% interval lie past its (no-harm) limit?"""
    z = stats.norm.ppf(0.975)
    is_c = (frame["arm"] == "canary").to_numpy()
    n = len(frame)
    crossed = np.zeros(looks, dtype=bool)
    for i, upto in enumerate(np.linspace(n / looks, n, looks).astype(int)):
        c, k = is_c[:upto], ~is_c[:upto]
        for column in ("judge_passed", "error", "cost_usd"):
            x = frame[column].to_numpy(dtype=float)[:upto]
            diff = x[c].mean() - x[k].mean()
            se = math.sqrt(x[c].var() / c.sum() + x[k].var() / k.sum())
            harm = -diff if column == "judge_passed" else diff
            crossed[i] |= harm - z * se > 0
        for column in ("ttft_ms", "latency_ms"):
            x = frame[column].to_numpy()[:upto]
            for p in (0.5, 0.9):
                (qc, sc), (qk, sk) = (_quantile_se(x[m], p) for m in (c, k))
                crossed[i] |= (qc - qk) - z * math.hypot(sc, sk) > 0
    return crossed


def _quantile_se(x: np.ndarray, p: float) -> tuple[float, float]:
    """Sample p-quantile and its standard error from the 95% order-statistic interval."""
    n, xs = len(x), np.sort(x)
    lo = max(int(stats.binom.ppf(0.025, n, p)), 1)
    hi = min(int(stats.binom.ppf(0.975, n, p)) + 1, n)
    return float(np.quantile(x, p)), (xs[hi - 1] - xs[lo - 1]) / (2 * 1.96)


def one_canary(seed: int, looks: int, batch: int, effect: str | None) -> dict:
    rng = np.random.default_rng(seed)
    frame = simulate(rng, looks, batch, effect)
    history = checks.check_history(frame, LIMITS, looks=looks)
    crossed = history[history.status == "crossed"]
    first = int(crossed.look.min()) if len(crossed) else None
    target = crossed[crossed.name == EFFECTS[effect]] if effect else crossed.iloc[:0]
    naive = naive_crossings(frame, looks) if effect is None else np.zeros(1, dtype=bool)
    return {
        "rolled_back": first is not None,
        "first_look": first,
        "caught_by_target": len(target) > 0,
        "target_look": int(target.look.min()) if len(target) else None,
        "checks_crossed": sorted(set(crossed.name)),
        "naive_rolled_back": bool(naive.any()),
    }


def scenario(canaries: int, looks: int, batch: int, effect: str | None, seed: int) -> dict:
    start = time.perf_counter()
    rows = [one_canary(seed + i, looks, batch, effect) for i in range(canaries)]
    rate = float(np.mean([r["rolled_back"] for r in rows]))
    out: dict = {"canaries": canaries, "looks": looks, "requests_per_look": batch}
    if effect is None:
        naive = float(np.mean([r["naive_rolled_back"] for r in rows]))
        out |= {"false_roll_back": rate, "naive_false_roll_back": naive}
        out["false_roll_back_95"] = _clopper_pearson(round(rate * canaries), canaries)
        out["checks_crossed"] = sorted({n for r in rows for n in r["checks_crossed"]})
    else:
        hits = [r["target_look"] for r in rows if r["caught_by_target"]]
        out |= {"power": len(hits) / canaries, "roll_back_any_check": rate}
        out["power_95"] = _clopper_pearson(len(hits), canaries)
        out["median_looks_to_detect"] = float(np.median(hits)) if hits else None
        out["median_requests_to_detect"] = float(np.median(hits)) * batch if hits else None
    out["seconds"] = time.perf_counter() - start
    return out


def _clopper_pearson(k: int, n: int) -> list[float]:
    """Exact 95% interval of a rate of k in n (Clopper & Pearson 1934)."""
    low = stats.beta.ppf(0.025, k, n - k + 1) if k > 0 else 0.0
    high = stats.beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    return [float(low), float(high)]


def run(canaries, power_canaries, looks, aa_batch, seed, only, batch_scale=1.0) -> dict:
    """A/A (false roll backs, naive beside) and each regression (power, delay at BATCH)."""
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    result: dict = {
        "machine": f"{machine}, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "limits": LIMITS.to_dict(),
    }
    if only in ("all", "aa"):
        result["aa"] = scenario(canaries, looks, aa_batch, None, seed)
    if only in ("all", "power"):
        for k, effect in enumerate(EFFECTS):
            batch = max(1, round(BATCH[effect] * batch_scale))
            result[effect] = scenario(power_canaries, looks, batch, effect, seed + 10**5 * (k + 1))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--canaries", type=int, default=500)
    parser.add_argument("--power-canaries", type=int, default=100)
    parser.add_argument("--looks", type=int, default=50)
    parser.add_argument("--aa-batch", type=int, default=40, help="requests per look, A/A")
    parser.add_argument("--only", choices=("all", "aa", "power"), default="all")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--smoke", action="store_true", help="tiny size for CI")
    args = parser.parse_args()
    if args.smoke:
        result = run(10, 1, 20, 40, args.seed, "all", batch_scale=0.2)
        check(result, "aa.seconds")
        print(json.dumps(result, indent=2))
        return
    result = run(
        args.canaries, args.power_canaries, args.looks, args.aa_batch, args.seed, args.only
    )
    OUT.mkdir(exist_ok=True)
    text = json.dumps(result, indent=2)
    (OUT / f"canary-power-{args.only}-latest.json").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
