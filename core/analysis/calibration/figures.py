"""Judge vs SMEs on pass/fail and on 1-5 scores: pure arithmetic over a run's evidence.

A pair is one SME label and the judge's verdict on the same output (three SMEs on an item
give three pairs). Weighted figures count each pair 1 / (inclusion probability × labels on
its item), so each item counts 1 / pi; the unweighted figures say what the sample shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Literal

import numpy as np
import pandas as pd

from core.analysis import agreement, stratified
from core.analysis.calibration.evidence import Evidence
from core.analysis.calibration.notes import MIN_FAILS_FOR_RECALL, design_warning, recall_withheld
from core.errors import InputError
from core.types import KAPPA_FLOOR, RESAMPLES, Interval, finite

TARGET_WIDTH = 0.2  # the kappa interval width the label advice aims at
Design = Literal["sample", "convenience"]
NO_INTERVAL = Interval(math.nan, math.nan, math.nan)


def _json(value: object) -> object:
    """A figure as JSON: intervals and figures as dicts, NaN as None, tuples as lists."""
    if isinstance(value, Interval | Figures):
        return value.to_dict()
    if isinstance(value, float):
        return finite(value)
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    return value


@dataclass(frozen=True)
class Figures:
    """Judge vs SMEs on pass/fail; 'fail' is the positive class the judge should catch."""

    pairs: int
    agreement: Interval
    kappa: Interval
    ac1: Interval
    precision: Interval  # P(SME failed | judge failed)
    recall: Interval  # P(judge failed | SME failed)
    f1: Interval
    confusion: tuple[tuple[float, ...], ...]  # rows: judge fail/pass; columns: SME fail/pass

    def to_dict(self) -> dict:
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class MetricReport:
    """Every calibration figure for one judge metric on one run."""

    metric: str
    run_id: str
    threshold: float | None
    unweighted: Figures
    weighted: Figures | None
    spearman: Interval
    kappa_linear: Interval
    kappa_quadratic: Interval
    sme_pass_rate: Interval | None  # design-weighted, population
    judge_pass_rate: float | None  # over every scored item of the run
    recall_reported: bool
    advice: tuple[str, ...] = ()
    design: Design = "sample"  # "convenience": no label was drawn by a Switchyard sample
    convenience_labels: int = 0  # labels (pairs) from outside a sample
    sme_pass_rate_unweighted: Interval | None = None  # share of the labels that pass
    warning: str | None = None  # said wherever the figures are shown
    recall_note: str | None = None  # why recall and F1 are withheld, in the advice's words

    def to_dict(self) -> dict:
        """JSON-safe, field by field (NaN as None); withheld recall and F1 null, with why."""
        out: dict = {f.name: _json(getattr(self, f.name)) for f in fields(self)}
        withheld = Interval(math.nan, math.nan, math.nan, note=self.recall_note).to_dict()
        for block in () if self.recall_reported else (out["unweighted"], out["weighted"]):
            if block:
                block["recall"] = block["f1"] = dict(withheld)
        return out


def codes(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of each pair's item and design stratum (hashing beats sorting strings)."""
    units = pd.factorize(frame["item_id"])[0]
    strata = pd.factorize(frame["design_stratum"].fillna(frame["stratum"]))[0]
    return units, strata


def figures(
    judge_fail: np.ndarray,
    sme_fail: np.ndarray,
    weights: np.ndarray | None,
    units: np.ndarray,
    strata: np.ndarray,
    seed: int,
    resamples: int,
    design: tuple[np.ndarray, dict] | None = None,
) -> Figures:
    """Agreement, κ, AC1, precision, recall and F1 with intervals; ``weights`` None: unweighted.

    Weighted, agreement is a stratified proportion and precision and recall domain (ratio)
    estimates over the sample's strata, per item (core.analysis.stratified); ``design`` is
    each pair's stratum name ("<stratum>/<pool>") and N_h per stratum; without it a stratum
    is the items of one ``strata`` code that share a weight, N_h the sum of their weights.
    """
    w = np.ones(len(judge_fail)) if weights is None else weights
    # Index 0 is "fail", the class the judge should catch.
    cells = agreement.cells_of((~judge_fail).astype(int), (~sme_fail).astype(int), 2, w)
    table = cells.sum(axis=0).reshape(2, 2)
    # One set of resampled tables serves kappa, AC1 and F1.
    tables = agreement.resampled_tables(cells, units, strata, resamples, seed)

    def boot(statistic):
        return agreement.table_interval(statistic, cells, units, tables)

    kish = w.sum() ** 2 / (w**2).sum() if len(w) else 0.0  # Kish's effective sample size

    def proportion(hits: float, total: float, n_raw: int) -> Interval:
        if total <= 0 or n_raw == 0:
            return agreement.too_few(n_raw, math.nan, "a proportion needs at least one")
        n_eff = n_raw if weights is None else min(n_raw, kish * total / w.sum())
        return agreement.wilson(hits / total * n_eff, n_eff)

    correct = table[0, 0] + table[1, 1]
    if weights is None:
        agreed = proportion(correct, table.sum(), len(judge_fail))
        precision = proportion(table[0, 0], table[0].sum(), int(judge_fail.sum()))
        recall = proportion(table[0, 0], table[:, 0].sum(), int(sme_fail.sum()))
    else:
        names, sizes = design or _strata_of_weights(strata, w, units)
        agreed, precision, recall = by_design(judge_fail, sme_fail, units, names, sizes)
    return Figures(
        pairs=len(judge_fail),
        agreement=agreed,
        kappa=boot(agreement.kappa_of_tables(2)),
        ac1=boot(agreement.ac1_of_tables),
        precision=precision,
        recall=recall,
        f1=boot(agreement.f1_of_tables),
        confusion=tuple(tuple(row) for row in table.round(3).tolist()),
    )


def _strata_of_weights(
    strata: np.ndarray, w: np.ndarray, units: np.ndarray
) -> tuple[np.ndarray, dict]:
    """Design strata without names: the items of a stratum code that share an inclusion
    probability (an item's weights sum to 1 / π), named "<code>/<1 / π>"; N_h the sum of
    their weights."""
    inverse = np.unique(units, return_inverse=True)[1]
    per_item = np.bincount(inverse, w)[inverse]
    names = np.char.add(np.char.add(np.asarray(strata).astype(str), "/"),
                        np.round(per_item, 6).astype(str))  # fmt: skip
    return names, {h: float(w[names == h].sum()) for h in np.unique(names)}


def by_design(
    judge_fail: np.ndarray, sme_fail: np.ndarray, units: np.ndarray, names: np.ndarray,
    sizes: dict,
) -> tuple[Interval, Interval, Interval]:  # fmt: skip
    """Agreement, precision and recall over the items (an item's value: the share of its
    labels), as Cochran's stratified proportion and two domain ratios; ``sizes``: N_h of
    every design stratum of the population, labelled or not (thin ones join their pool)."""
    items, first, inverse = np.unique(units, return_index=True, return_inverse=True)
    labels = np.bincount(inverse, minlength=len(items))

    def per_item(values: np.ndarray) -> np.ndarray:
        return np.bincount(inverse, values.astype(float), minlength=len(items)) / labels

    judge = per_item(judge_fail)
    sme = per_item(sme_fail)
    both = per_item(judge_fail & sme_fail)
    agreed = per_item(judge_fail == sme_fail)
    strata = np.asarray(names)[first]
    return (
        stratified.proportion(agreed, strata, sizes).interval,
        stratified.ratio(both, judge, strata, sizes, union=True).interval,
        stratified.ratio(both, sme, strata, sizes).interval,
    )


def on_five_point_scale(scores: np.ndarray) -> np.ndarray:
    """A 0-1 judge score on the SMEs' 1-5 scale: 1 + 4·s, halves rounded up as label files'
    scales are (np.rint rounds them to even, so 0.375 and 0.875 fell a bin low)."""
    return np.clip(np.floor(1 + 4 * np.asarray(scores, dtype=float) + 0.5), 1, 5).astype(int)


def score_figures(
    frame: pd.DataFrame, units: np.ndarray, strata: np.ndarray, seed: int, resamples: int
) -> tuple[Interval, Interval, Interval]:
    """Spearman's ρ and linear and quadratic weighted κ of the 1-5 scores (judge's 0-1 score
    mapped to 1-5), over the pairs where both scored."""
    scored = frame["sme_score"].notna().to_numpy() & frame["judge_score"].notna().to_numpy()
    rows = np.flatnonzero(scored)
    if not len(rows):
        none = agreement.too_few(0, math.nan, "no pair holds both scores")
        return none, none, none
    sme_scores = frame["sme_score"].to_numpy()[scored].astype(int)
    judge_scores = frame["judge_score"].to_numpy()[scored].astype(float)
    judge_5 = on_five_point_scale(judge_scores)
    sub_units, sub_strata = units[rows], strata[rows]
    spearman = agreement.spearman_interval(
        judge_scores, sme_scores, sub_units, sub_strata, resamples, seed
    )
    five = agreement.cells_of(judge_5 - 1, sme_scores - 1, 5)
    five_tables = agreement.resampled_tables(five, sub_units, sub_strata, resamples, seed)

    def weighted_kappa(kind):
        statistic = agreement.kappa_of_tables(5, kind)
        return agreement.table_interval(statistic, five, sub_units, five_tables)

    return spearman, weighted_kappa("linear"), weighted_kappa("quadratic")


def sme_pass_rate(designed: pd.DataFrame, population: dict | None = None) -> Interval | None:
    """The population's SME pass rate, stratified by the sample design (one value per item).

    ``population``: N_h of every design stratum of the samples, labelled or not; a stratum
    with fewer than 2 labels joins its pool (``stratified.collapse_thin``, as Compare's), and
    the interval's note names it."""
    if designed.empty:
        return None
    items = designed.groupby("item_id").agg(
        passed=("sme_pass", "mean"), stratum=("design_stratum", "first")
    )
    sizes = designed.groupby("design_stratum")["stratum_size"].first().to_dict()
    sizes = {**(population or {}), **sizes}
    return stratified.proportion(
        items["passed"].to_numpy(), items["stratum"].to_numpy(), sizes
    ).interval


def _population(strata: dict[str, int], designed: pd.DataFrame) -> dict[str, int]:
    """The samples' design strata within the dataset strata the labels come from (a page may
    show one dataset stratum: the others are then not part of its population)."""
    labelled = {str(h).rsplit("/", 1)[0] for h in designed["design_stratum"].dropna()}
    return {h: n for h, n in strata.items() if h.rsplit("/", 1)[0] in labelled}


def calibrate(
    evidence: Evidence,
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
    floor: float = KAPPA_FLOOR,
    scores: bool = True,
) -> MetricReport:
    """Every figure for one judge metric on one run, weighted and unweighted, with intervals.

    ``scores=False`` leaves out the 1-5 figures (ρ, weighted κ): sign-off needs only the
    pass/fail ones, and ρ's bootstrap is the slowest part.
    """
    frame = evidence.pairs
    if frame.empty:
        raise InputError(
            "calibration",
            f"no SME label meets a {evidence.metric!r} judge score on run "
            f"{evidence.run_id}: label a sample of this run first",
        )
    judge_fail = ~frame["judge_pass"].to_numpy(dtype=bool)
    sme_fail = ~frame["sme_pass"].to_numpy(dtype=bool)
    units, strata = codes(frame)
    unweighted = figures(judge_fail, sme_fail, None, units, strata, seed, resamples)
    designed = frame["weight"].notna().to_numpy()
    weighted = None
    if designed.any():
        weight = frame["weight"].to_numpy()[designed]
        names = frame["design_stratum"].to_numpy()[designed]
        sizes = frame[designed].groupby("design_stratum")["stratum_size"].first().to_dict()
        sizes = {**_population(evidence.strata, frame[designed]), **sizes}  # unlabelled too
        weighted = figures(
            judge_fail[designed], sme_fail[designed], weight,
            units[designed], strata[designed], seed, resamples, (names, sizes),
        )  # fmt: skip
    by_score = frame if scores else frame.iloc[:0]
    spearman, linear, quadratic = score_figures(by_score, units, strata, seed, resamples)
    fails_in_pass = int((sme_fail & ~judge_fail).sum())  # this metric's passes, not the pool
    threshold = frame["threshold"].dropna()
    outside = int((~designed).sum())
    result = MetricReport(
        evidence.metric,
        evidence.run_id,
        float(threshold.iloc[0]) if len(threshold) else None,
        unweighted,
        weighted,
        spearman,
        linear,
        quadratic,
        sme_pass_rate(frame[designed], _population(evidence.strata, frame[designed])),
        evidence.judge_pass_rate,
        fails_in_pass >= MIN_FAILS_FOR_RECALL,
        design="sample" if designed.any() else "convenience",
        convenience_labels=outside,
        sme_pass_rate_unweighted=agreement.wilson(int((~sme_fail).sum()), len(sme_fail)),
        warning=design_warning(outside, len(frame)),
        recall_note=f"not reported: {recall_withheld(fails_in_pass)}",
    )
    return replace(result, advice=advice(result, frame, fails_in_pass, floor))


def advice(
    result: MetricReport, frame: pd.DataFrame, fails_in_pass: int, floor: float
) -> tuple[str, ...]:
    """What to do next, in words an evaluation owner can act on."""
    notes = []
    kappa = (result.weighted or result.unweighted).kappa
    items = frame["item_id"].nunique()
    if math.isnan(kappa.low):
        reason = f" ({kappa.note})" if kappa.note else ""
        more = max(agreement.MIN_UNITS - items, 0)
        notes.append(
            f"κ has no interval yet from {items} labelled items{reason}: label "
            f"{f'at least {more} more' if more else 'more'} items of run {result.run_id}, "
            "including ones where judge and SMEs can differ."
        )
    elif kappa.low < floor:
        notes.append(
            f"Do not trust {result.metric!r} yet: κ's lower bound {kappa.low:.2f} is under the "
            f"floor {floor:.2f}. {labels_plan(result, frame)}"
        )
    else:
        notes.append(
            f"{result.metric!r} can be trusted at the floor {floor:.2f}: κ's lower "
            f"bound is {kappa.low:.2f}."
        )
    if not result.recall_reported:
        remedy = (
            "Top up the 'pass' strata."
            if result.design == "sample"
            else "Draw a sample (its 'pass' strata) and review it."
        )
        notes.append(
            f"Judge recall is not reported, nor F1: {recall_withheld(fails_in_pass)}. {remedy}"
        )
    return tuple(notes)


def labels_plan(result: MetricReport, frame: pd.DataFrame) -> str:
    """How many more labelled items bring κ's interval to ±TARGET_WIDTH / 2: the asymptotic
    variance of κ at the current table (Fleiss, Cohen & Everitt 1969), times a design effect
    (Kish's of the weights, or the bootstrap interval's against the formula, the larger),
    n0 = deff·z²·n·Var(κ) / h², with Cochran's finite-population correction n0 / (1 + n0 / N)
    when the sample has a design."""
    figures = result.weighted or result.unweighted
    per_pair = agreement.kappa_variance(np.array(figures.confusion))
    if not (per_pair > 0):  # NaN or 0: this table cannot plan a width
        return (
            "These labels cannot plan its interval (judge or SMEs give one verdict only): "
            "label items where they can differ."
        )
    weights = frame["weight"].dropna().to_numpy()
    deff = len(weights) * (weights**2).sum() / weights.sum() ** 2 if len(weights) else 1.0
    # The bootstrap sees strata and clustering the formula does not: plan on the wider.
    now = (figures.kappa.high - figures.kappa.low) / 2 / agreement.Z95
    deff = max(deff, len(frame) * now**2 / per_pair)
    half = TARGET_WIDTH / 2
    n0 = deff * agreement.Z95**2 * per_pair / half**2
    sizes = frame.dropna(subset=["design_stratum"]).groupby("design_stratum")["stratum_size"]
    population = float(sizes.first().sum()) if result.design == "sample" else math.inf
    pairs_needed = n0 / (1 + n0 / population)
    items = frame["item_id"].nunique()
    needed = max(math.ceil(pairs_needed * items / len(frame)) - items, 0)
    strata = max(1, frame["design_stratum"].nunique())
    if needed == 0:  # the bootstrap is wider than the asymptotics predict: too few to plan
        return (
            f"Its interval is wider than κ's asymptotic variance predicts at {items} items: "
            "label more items before planning from it."
        )
    return (
        f"About {needed} more labelled items (~{math.ceil(needed / strata)} per stratum) "
        f"narrow its interval to ±{half:.2f} if κ stays near {figures.kappa.estimate:.2f} "
        "(Fleiss-Cohen-Everitt variance); raise the review rate (top up the sample)."
    )
