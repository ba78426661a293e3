"""A simulated migration population and Switchyard's own stratified draw from it.

Benchmarks and tests that measure coverage or label efficiency import these two functions:

    from bench.population import population, stratified_draw

``population`` makes one row per item with the hidden SME truth for a source and a target
run (paired: the same item tends to pass or fail on both) and a judge whose verdict agrees
with that truth at Cohen's κ ≈ ``kappa``. ``stratified_draw`` draws the review sample the
app draws (core.review.design: n_h = min(N_h, max(minimum, ceil(rate × N_h))) per
"<stratum>/<pool>" stratum, simple random sampling within it, the same generator calls as
``design.draw``), and returns the sampled rows with N_h and the inclusion probability.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.review.design import stratum_take  # noqa: E402

SIDES = ("source", "target")
PAIRED_CORRELATION = 0.7  # latent correlation of an item's source and target truth
STRATUM_SPREAD = 0.04  # strata's pass rates spread ± this around the population's


def _shares(count: int) -> np.ndarray:
    """Unequal stratum sizes: shares proportional to count, count - 1, ..., 1."""
    raw = np.arange(count, 0, -1, dtype=float)
    return raw / raw.sum()


def _stratum_rates(rate: float, shares: np.ndarray) -> np.ndarray:
    """Per-stratum pass rates spread around ``rate`` whose size-weighted mean is ``rate``."""
    offsets = np.linspace(STRATUM_SPREAD, -STRATUM_SPREAD, len(shares))
    offsets -= (shares * offsets).sum()
    return np.clip(rate + offsets, 0.001, 0.999)


def _judge(
    truth: np.ndarray, kappa: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A judge at Cohen's κ ≈ kappa against ``truth``, and a 0-1 score (pass iff >= 0.5).

    With probability κ the judge copies the truth, otherwise it draws a verdict independently
    at the truth's pass rate p. Its marginal is then p too, and its expected agreement is
    κ + (1 - κ)(p² + (1 - p)²), which is Cohen's κ = kappa exactly in expectation. The score
    is confident (near 0 or 1) more often when the verdict is right, so it carries more than
    the verdict (what prediction-powered inference can use).
    """
    n = len(truth)
    p = float(truth.mean())
    verdict = np.where(rng.random(n) < kappa, truth, rng.random(n) < p)
    right = verdict == truth
    confidence = np.where(right, rng.beta(3.0, 1.5, n), rng.beta(1.5, 3.0, n))
    confidence = np.clip(confidence, 1e-6, 1.0)
    score = np.where(verdict, 0.5 + 0.5 * confidence, 0.5 - 0.5 * confidence)
    return verdict.astype(bool), score


def population(
    n_items: int,
    kappa: float,
    seed: int,
    *,
    strata: tuple[str, ...] = ("billing", "returns", "account"),
    pass_rate_source: float = 0.85,
    pass_rate_target: float = 0.82,
) -> pd.DataFrame:
    """``n_items`` items with hidden SME truth and a judge's verdict and score per run side.

    Columns: item_id, stratum, and for side in ("source", "target"): sme_pass_<side> (the
    truth), judge_pass_<side> (Cohen's κ against the truth ≈ ``kappa``), judge_score_<side>
    (0-1, judge_pass iff score >= 0.5). Strata have unequal sizes (shares k : k-1 : ... : 1)
    and pass rates spread ±0.04 around the side's rate (its expected population value).
    An item's source and target truth are correlated (a Gaussian copula, latent ρ = 0.7).
    """
    if not 0 <= kappa <= 1:
        raise ValueError(f"population: kappa must be in [0, 1], got {kappa!r}")
    rng = np.random.default_rng(seed)
    shares = _shares(len(strata))
    stratum = rng.choice(len(strata), size=n_items, p=shares)
    latent = rng.multivariate_normal(
        [0.0, 0.0], [[1.0, PAIRED_CORRELATION], [PAIRED_CORRELATION, 1.0]], size=n_items
    )
    frame = pd.DataFrame(
        {
            "item_id": [f"it-{i:06d}" for i in range(n_items)],
            "stratum": np.asarray(strata, dtype=object)[stratum],
        }
    )
    for column, (side, rate) in enumerate(
        zip(SIDES, (pass_rate_source, pass_rate_target), strict=True)
    ):
        rates = _stratum_rates(rate, shares)[stratum]
        truth = latent[:, column] < norm.ppf(rates)
        verdict, score = _judge(truth, kappa, rng)
        frame[f"sme_pass_{side}"] = truth
        frame[f"judge_pass_{side}"] = verdict
        frame[f"judge_score_{side}"] = score
    return frame


def stratified_draw(
    pop: pd.DataFrame,
    *,
    side: str = "source",
    fail_rate: float = 0.10,
    pass_rate: float = 0.02,
    minimum: int = 2,
    seed: int | np.random.Generator,
) -> pd.DataFrame:
    """The app's stratified sample of ``pop`` by that side's judge verdict.

    Returns the sampled rows (all of ``pop``'s columns) plus design_stratum
    ("<stratum>/<pool>", pool "fail" or "pass" by judge_pass_<side>), stratum_size (N_h),
    p (the inclusion probability n_h / N_h) and weight (1 / p). Strata are taken in sorted
    order and items in ``pop``'s order within each, with the generator calls of
    ``core.review.design.draw``, so the same seed draws the same items as the app would.
    """
    if side not in SIDES:
        raise ValueError(f"stratified_draw: side must be one of {SIDES}, got {side!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    fails = ~pop[f"judge_pass_{side}"].to_numpy(dtype=bool)
    stratum_codes, stratum_names = pd.factorize(pop["stratum"], sort=True)
    codes = 2 * stratum_codes + np.where(fails, 0, 1)  # sorted as (stratum, "fail" < "pass")
    names = [f"{s}/{pool}" for s in stratum_names for pool in ("fail", "pass")]
    counts = np.bincount(codes, minlength=len(names))
    members_of = np.split(np.argsort(codes, kind="stable"), np.cumsum(counts)[:-1])
    order = [code for code in range(len(names)) if counts[code]]
    rows, labels, sizes, takes = [], [], [], []
    for code in order:
        members = members_of[code]
        name = names[code]
        take = stratum_take(len(members), fail_rate if name.endswith("/fail") else pass_rate,
                            minimum)  # fmt: skip
        picks = np.sort(rng.choice(len(members), size=take, replace=False))
        rows.append(members[picks])
        labels += [name] * take
        sizes += [len(members)] * take
        takes += [take] * take
    chosen = pop.iloc[np.concatenate(rows)].reset_index(drop=True)
    chosen["design_stratum"] = labels
    chosen["stratum_size"] = np.asarray(sizes, dtype=int)
    chosen["p"] = np.asarray(takes) / chosen["stratum_size"].to_numpy()
    chosen["weight"] = 1.0 / chosen["p"]
    return chosen
