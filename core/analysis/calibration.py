"""Judge calibration: how far each automated judge agrees with the SMEs, weighted by design.

A pair is one SME label and the judge's verdict on the same output (three SMEs on an item
give three pairs). The sample over-represents judge failures, so every figure that speaks
about the whole dataset weights a pair by 1 / (inclusion probability × the item's number of
labels): each item then counts 1 / pi in total. The unweighted figure, what the sample
shows, stands beside it. Labels from outside a sample (imported without ``--sample``) carry
no design: they are a convenience sample, join only the unweighted figures, and the report
says so in its ``warning`` (``design`` is "convenience" when no label has a design).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

from core.analysis import agreement
from core.analysis.agreement import Interval
from core.catalog import metrics
from core.errors import InputError, NotFoundError
from core.store import db

KAPPA_FLOOR = 0.6  # judge trust: lower bound of kappa at least this
MIN_FAILS_FOR_RECALL = 5  # SME-failed items in the judge-pass pool before recall is reported
Design = Literal["sample", "convenience"]
TARGET_WIDTH = 0.2  # the kappa interval width the label advice aims at
RESAMPLES = 1000


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
    confusion: list[list[float]]  # rows: judge fail/pass; columns: SME fail/pass


@dataclass
class MetricReport:
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
    advice: list[str] = field(default_factory=list)
    design: Design = "sample"  # "convenience": no label was drawn by a Switchyard sample
    convenience_labels: int = 0  # labels (pairs) from outside a sample
    sme_pass_rate_unweighted: Interval | None = None  # share of the labels that pass
    warning: str | None = None  # said wherever the figures are shown

    def as_dict(self) -> dict:
        def clean(value):
            if isinstance(value, Interval):
                return {
                    "estimate": _num(value.estimate),
                    "low": _num(value.low),
                    "high": _num(value.high),
                }
            if isinstance(value, Figures):
                return {k: clean(v) for k, v in value.__dict__.items()}
            if isinstance(value, float):
                return _num(value)
            return value

        return {k: clean(v) for k, v in self.__dict__.items()}


def _num(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def pairs(
    con: duckdb.DuckDBPyConnection, run_id: str, metric: str, details: bool = True
) -> pd.DataFrame:
    """Every SME label of the run's outputs beside the judge's score and verdict.

    ``details`` adds the texts a person reads (notes, failure modes, the judge's
    explanation); the statistics do not need them.
    """
    texts = "l.notes, l.failure_modes, j.explanation," if details else ""
    frame = con.execute(
        f"""
        SELECT l.item_id, l.reviewer, l.score AS sme_score,
               coalesce(l.passed, l.score >= 3) AS sme_pass, {texts}
               l.origin, l.sample_id, j.score AS judge_score,
               {metrics.VERDICT_SQL} AS judge_pass,
               coalesce(rm.direction, 'higher') AS direction,
               coalesce(t.threshold, j.threshold) AS threshold,
               coalesce(j.judge || ' ' || j.judge_version, j.judge) AS judge_version,
               si.inclusion_prob, si.stratum || '/' || si.pool AS design_stratum,
               1 / si.inclusion_prob / count(*) OVER (PARTITION BY l.item_id) AS weight,
               i.stratum
        FROM label l
        JOIN judge_score j ON j.run_id = l.run_id AND j.item_id = l.item_id AND j.metric = ?
        JOIN run r ON r.run_id = l.run_id
        JOIN item i ON i.dataset_id = r.dataset_id AND i.item_id = l.item_id
        LEFT JOIN sample_item si ON si.sample_id = l.sample_id AND si.item_id = l.item_id
        LEFT JOIN (SELECT DISTINCT ON (metric, run_id) metric, run_id, threshold
                   FROM judge_threshold ORDER BY metric, run_id, set_at DESC) t
          ON t.metric = j.metric AND t.run_id = j.run_id
        {metrics.RUN_METRIC_JOIN}
        WHERE l.run_id = ? AND (l.score IS NOT NULL OR l.passed IS NOT NULL)
        ORDER BY l.item_id, l.reviewer, l.sample_id NULLS FIRST, l.label_id
        """,  # noqa: S608 - metrics' SQL constants; values bound
        [metric, run_id],
    ).df()
    return frame


def _codes(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of each pair's item and design stratum (hashing beats sorting strings)."""
    units = pd.factorize(frame["item_id"])[0]
    strata = pd.factorize(frame["design_stratum"].fillna(frame["stratum"]))[0]
    return units, strata


def _figures(
    judge_fail: np.ndarray,
    sme_fail: np.ndarray,
    weights: np.ndarray | None,
    units: np.ndarray,
    strata: np.ndarray,
    seed: int,
    resamples: int,
) -> Figures:
    w = np.ones(len(judge_fail)) if weights is None else weights
    # Index 0 is "fail", the class the judge should catch.
    cells = agreement.cells_of((~judge_fail).astype(int), (~sme_fail).astype(int), 2, w)
    table = cells.sum(axis=0).reshape(2, 2)
    # One set of resampled tables serves kappa, AC1 and F1.
    tables = agreement.resampled_tables(cells, units, strata, resamples, seed)

    def boot(statistic):
        estimate = float(statistic(table.reshape(1, 4))[0])
        return agreement.percentile_interval(estimate, statistic(tables))

    kish = w.sum() ** 2 / (w**2).sum() if len(w) else 0.0  # Kish's effective sample size

    def proportion(hits: float, total: float, n_raw: int) -> Interval:
        if total <= 0 or n_raw == 0:
            return Interval(math.nan, math.nan, math.nan)
        n_eff = n_raw if weights is None else min(n_raw, kish * total / w.sum())
        return agreement.wilson(hits / total * n_eff, n_eff)

    correct = table[0, 0] + table[1, 1]
    return Figures(
        pairs=len(judge_fail),
        agreement=proportion(correct, table.sum(), len(judge_fail)),
        kappa=boot(agreement.kappa_of_tables(2)),
        ac1=boot(agreement.ac1_of_tables),
        precision=proportion(table[0, 0], table[0].sum(), int(judge_fail.sum())),
        recall=proportion(table[0, 0], table[:, 0].sum(), int(sme_fail.sum())),
        f1=boot(agreement.f1_of_tables),
        confusion=table.round(3).tolist(),
    )


def report(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    metric: str,
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
    floor: float = KAPPA_FLOOR,
    frame: pd.DataFrame | None = None,
    scores: bool = True,
) -> MetricReport:
    """Every figure for one judge metric on one run, weighted and unweighted, with intervals.

    ``scores=False`` leaves out the 1-5 figures (ρ, weighted κ): sign-off needs only the
    pass/fail ones, and ρ's bootstrap is the slowest part.
    """
    frame = pairs(con, run_id, metric) if frame is None else frame
    if frame.empty:
        raise InputError(
            "calibration",
            f"no SME label meets a {metric!r} judge score on run "
            f"{run_id}: label a sample of this run first",
        )
    judge_fail = ~frame["judge_pass"].to_numpy(dtype=bool)
    sme_fail = ~frame["sme_pass"].to_numpy(dtype=bool)
    units, strata = _codes(frame)
    unweighted = _figures(judge_fail, sme_fail, None, units, strata, seed, resamples)
    designed = frame["weight"].notna().to_numpy()
    weighted = None
    if designed.any():
        weighted = _figures(
            judge_fail[designed],
            sme_fail[designed],
            frame["weight"].to_numpy()[designed],
            units[designed],
            strata[designed],
            seed,
            resamples,
        )
    scored = frame["sme_score"].notna().to_numpy() & frame["judge_score"].notna().to_numpy()
    scored &= scores
    sme_scores = frame["sme_score"].to_numpy()[scored].astype(int)
    judge_scores = frame["judge_score"].to_numpy()[scored].astype(float)
    judge_5 = np.clip(np.rint(1 + 4 * judge_scores), 1, 5).astype(int)  # 0-1 mapped to 1-5
    rows = np.flatnonzero(scored)
    sub_units, sub_strata = units[rows], strata[rows]
    nan = Interval(math.nan, math.nan, math.nan)
    spearman = (
        agreement.spearman_interval(
            judge_scores, sme_scores, sub_units, sub_strata, resamples, seed
        )
        if len(rows) > 2
        else nan
    )
    five = agreement.cells_of(judge_5 - 1, sme_scores - 1, 5)
    five_tables = (
        agreement.resampled_tables(five, sub_units, sub_strata, resamples, seed)
        if len(rows)
        else None
    )

    def weighted_kappa(kind):
        statistic = agreement.kappa_of_tables(5, kind)
        estimate = float(statistic(five.sum(axis=0)[None, :])[0])
        return agreement.percentile_interval(estimate, statistic(five_tables))

    linear = weighted_kappa("linear") if len(rows) else nan
    quadratic = weighted_kappa("quadratic") if len(rows) else nan
    sme_rate = _sme_pass_rate(con, frame[designed])
    judge_rate = con.execute(
        "SELECT avg(CASE WHEN passed THEN 1.0 ELSE 0.0 END) FROM"
        " judge_score WHERE run_id = ? AND metric = ?",
        [run_id, metric],
    ).fetchone()[0]
    pool = frame["design_stratum"].fillna("").str.endswith("/pass")
    fails_in_pass = int((sme_fail & pool.to_numpy()).sum())
    threshold = frame["threshold"].dropna()
    outside = int((~designed).sum())
    result = MetricReport(
        metric,
        run_id,
        float(threshold.iloc[0]) if len(threshold) else None,
        unweighted,
        weighted,
        spearman,
        linear,
        quadratic,
        sme_rate,
        judge_rate,
        fails_in_pass >= MIN_FAILS_FOR_RECALL,
        design="sample" if designed.any() else "convenience",
        convenience_labels=outside,
        sme_pass_rate_unweighted=agreement.wilson(int((~sme_fail).sum()), len(sme_fail)),
        warning=design_warning(outside, len(frame)),
    )
    result.advice = advice(result, frame, fails_in_pass, floor)
    return result


def design_warning(outside: int, total: int) -> str | None:
    """What labels from outside a sample mean for the figures, and what would weight them."""
    if outside == 0:
        return None
    remedy = (
        "attach them with --sample or draw a sample and review it. Labels attached to a"
        " sample (import-labels FILE --sample SAMPLE) carry their items' inclusion"
        " probabilities, which the weighted (dataset) figures need"
    )
    if outside == total:
        return (
            f"these {outside} labels were not drawn by a Switchyard sample: figures describe"
            f" them only; {remedy}."
        )
    return (
        f"{outside} of these {total} labels were not drawn by a Switchyard sample: they join"
        f" the unweighted figures only; to weight them, {remedy}."
    )


def _sme_pass_rate(con, designed: pd.DataFrame) -> Interval | None:
    """The population's SME pass rate, stratified by the sample design (one value per item)."""
    if designed.empty:
        return None
    items = designed.groupby("item_id").agg(
        passed=("sme_pass", "mean"),
        stratum=("design_stratum", "first"),
        sample_id=("sample_id", "first"),
    )
    sizes = dict(
        con.execute(
            "SELECT stratum || '/' || pool, any_value(stratum_size) FROM sample_item WHERE"
            " sample_id IN (SELECT unnest(?)) GROUP BY 1",
            [sorted(items["sample_id"].unique().tolist())],
        ).fetchall()
    )
    return agreement.stratified_proportion(
        items["passed"].to_numpy(), items["stratum"].to_numpy(), sizes
    )


def advice(
    result: MetricReport, frame: pd.DataFrame, fails_in_pass: int, floor: float
) -> list[str]:
    """What to do next, in words an evaluation owner can act on."""
    notes = []
    kappa = (result.weighted or result.unweighted).kappa
    if math.isnan(kappa.low):
        notes.append("κ has no interval yet: label more items where judge and SMEs can differ.")
    elif kappa.low < floor:
        width = kappa.high - kappa.low
        items = frame["item_id"].nunique()
        needed = math.ceil(items * (width / TARGET_WIDTH) ** 2) - items
        strata = max(1, frame["design_stratum"].nunique())
        notes.append(
            f"Do not trust {result.metric!r} yet: κ's lower bound {kappa.low:.2f} is under the "
            f"floor {floor:.2f}. About {max(needed, 0)} more labelled items "
            f"(~{math.ceil(max(needed, 0) / strata)} per stratum) narrow its interval to "
            f"±{TARGET_WIDTH / 2:.2f}; raise the review rate (top up the sample)."
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
            f"Judge recall is not reported: it needs at least {MIN_FAILS_FOR_RECALL} "
            f"SME-failed items among the judge's passes, found {fails_in_pass}. {remedy}"
        )
    return notes


def sweep(
    frame: pd.DataFrame,
    thresholds: list[float] | None = None,
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> tuple[pd.DataFrame, Interval]:
    """κ, precision and recall (design-weighted where possible) at each pass threshold, and
    the κ-maximising threshold with a stratified-bootstrap interval."""
    frame = frame[frame["judge_score"].notna()]
    thresholds = thresholds or [round(t, 2) for t in np.arange(0.05, 0.96, 0.05)]
    if frame.empty:
        return pd.DataFrame(columns=["threshold", "kappa", "precision", "recall"]), Interval(
            math.nan, math.nan, math.nan
        )
    scores = frame["judge_score"].to_numpy(dtype=float)
    sme_pass = frame["sme_pass"].to_numpy(dtype=bool).astype(int)
    w = frame["weight"].fillna(1.0).to_numpy()
    # One 2 x 2 table per threshold, side by side: (judge fails?, SME fails?) -> cell.
    lower = "direction" in frame and (frame["direction"] == "lower").all()
    grid = np.asarray(thresholds)[None, :]
    # rows x thresholds; a lower-is-better metric passes at or below the threshold
    passes = scores[:, None] <= grid if lower else scores[:, None] >= grid
    columns = 4 * np.arange(len(thresholds))[None, :] + 2 * passes + sme_pass[:, None]
    cells = np.zeros((len(scores), 4 * len(thresholds)))
    cells[np.arange(len(scores))[:, None], columns] = w[:, None]
    kappa = agreement.kappa_of_tables(2)

    def per_threshold(tables: np.ndarray) -> np.ndarray:
        return kappa(tables.reshape(-1, 4)).reshape(len(tables), len(thresholds))

    totals = cells.sum(axis=0)[None, :]
    kappas = per_threshold(totals)[0]
    t4 = totals.reshape(len(thresholds), 2, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = t4[:, 0, 0] / t4[:, 0].sum(axis=1)
        recall = t4[:, 0, 0] / t4[:, :, 0].sum(axis=1)
    table = pd.DataFrame(
        {"threshold": thresholds, "kappa": kappas, "precision": precision, "recall": recall}
    )

    def best(tables: np.ndarray) -> np.ndarray:
        values = np.nan_to_num(per_threshold(tables), nan=-np.inf)
        return np.asarray(thresholds)[values.argmax(axis=1)].astype(float)

    units, strata = _codes(frame)
    chosen = agreement.bootstrap_tables(cells, units, strata, best, resamples, seed)
    return table, chosen


def apply_threshold(
    con: duckdb.DuckDBPyConnection, run_id: str, metric: str, threshold: float, *, actor: str
) -> None:
    """Re-derive the run's verdicts at a new threshold; stored scores stay as they are."""
    if not 0 <= threshold <= 1:
        raise InputError("threshold", f"expected a value between 0 and 1, got {threshold!r}")
    before = con.execute(
        "SELECT any_value(threshold) FROM judge_score WHERE run_id = ? AND metric = ?",
        [run_id, metric],
    ).fetchone()[0]
    if before is None:
        raise NotFoundError(f"run {run_id} has no {metric!r} scores")
    with db.transaction(con):
        con.execute(
            "INSERT INTO judge_threshold (run_id, metric, threshold, set_by) VALUES (?, ?, ?, ?)",
            [run_id, metric, threshold, actor],
        )
        db.audit(
            con,
            actor,
            "apply_threshold",
            "judge_score",
            f"{run_id}/{metric}",
            before={"threshold": before},
            after={"threshold": threshold},
        )


def sme_agreement(
    con: duckdb.DuckDBPyConnection, run_id: str, *, seed: int = 0, resamples: int = RESAMPLES
) -> dict:
    """SME vs SME on items several SMEs labelled: Krippendorff's alpha (nominal pass/fail,
    ordinal scores) and Fleiss' kappa, with intervals; who disagrees most with the rest."""
    frame = con.execute(
        "SELECT l.item_id, l.reviewer, coalesce(l.passed, l.score >= 3) AS passed, l.score,"
        " coalesce(si.stratum, 'all') AS stratum FROM label l LEFT JOIN sample_item si"
        " ON si.sample_id = l.sample_id AND si.item_id = l.item_id WHERE l.run_id = ? AND"
        " l.item_id IN (SELECT item_id FROM label WHERE run_id = ? GROUP BY item_id"
        " HAVING count(DISTINCT reviewer) >= 2)",
        [run_id, run_id],
    ).df()
    if frame.empty:
        return {
            "items": 0,
            "advice": "No item has labels from two SMEs: give a share of the "
            "sample to several SMEs (overlap) to measure SME agreement.",
        }
    passed = frame.pivot_table(
        index="item_id", columns="reviewer", values="passed", aggfunc="first"
    ).astype(float)
    scores = frame.pivot_table(
        index="item_id", columns="reviewer", values="score", aggfunc="first"
    ).astype(float)
    strata_of = frame.groupby("item_id")["stratum"].first().reindex(passed.index).to_numpy()
    units = np.arange(len(passed))

    def alpha(values: np.ndarray, level) -> Interval:
        categories = np.unique(values[~np.isnan(values)])
        cells = agreement.coincidence_cells(values, categories)
        return agreement.bootstrap_tables(
            cells, units, strata_of, agreement.alpha_of_tables(categories, level), resamples, seed
        )

    counts = np.stack(
        [(passed.to_numpy() == 1).sum(axis=1), (passed.to_numpy() == 0).sum(axis=1)], axis=1
    )
    modal = int(np.bincount(counts.sum(axis=1).astype(int)).argmax())
    same = counts.sum(axis=1) == modal
    fleiss = agreement.fleiss_kappa(counts[same]) if same.sum() >= 2 and modal >= 2 else math.nan
    majority = passed.mean(axis=1)
    disagreement = {}
    for reviewer in passed.columns:
        mine = passed[reviewer].dropna()
        others = (majority.loc[mine.index] * passed.loc[mine.index].count(axis=1) - mine) / (
            passed.loc[mine.index].count(axis=1) - 1
        )
        disagreement[reviewer] = float(((others >= 0.5) != (mine == 1)).mean())
    per_stratum = {}
    for stratum in sorted(set(strata_of.tolist())):
        rows = np.flatnonzero(strata_of == stratum)
        if len(rows) > 1:
            values = passed.to_numpy()[rows]
            categories = np.unique(values[~np.isnan(values)])
            cells = agreement.coincidence_cells(values, categories)
            interval = agreement.bootstrap_tables(
                cells,
                units[rows],
                np.zeros(len(rows)),
                agreement.alpha_of_tables(categories, "nominal"),
                resamples,
                seed,
            )
            per_stratum[stratum] = {k: _num(v) for k, v in interval._asdict().items()}
        else:
            per_stratum[stratum] = None
    return {
        "items": len(passed),
        "alpha_nominal": alpha(passed.to_numpy(), "nominal")._asdict(),
        "alpha_ordinal": alpha(scores.to_numpy(), "ordinal")._asdict(),
        "fleiss_kappa": _num(fleiss),
        "fleiss_items": int(same.sum()),
        "alpha_nominal_by_stratum": per_stratum,
        "disagreement_by_reviewer": dict(sorted(disagreement.items(), key=lambda kv: -kv[1])),
    }


def pairwise(judge: list[str], sme: list[str]) -> dict:
    """Agreement of a pairwise judge's preferences ('A'/'B'/'tie') with SME preferences:
    ties counted as their own answer, and with every pair holding a tie left out."""
    both = [(j, s) for j, s in zip(judge, sme, strict=True) if j and s]
    counted = sum(j == s for j, s in both)
    decided = [(j, s) for j, s in both if j != "tie" and s != "tie"]
    return {
        "pairs": len(both),
        "with_ties": agreement.wilson(counted, len(both))._asdict(),
        "without_ties": agreement.wilson(sum(j == s for j, s in decided), len(decided))._asdict(),
        "pairs_without_ties": len(decided),
    }


def pairwise_table(result: dict) -> pd.DataFrame:
    """The pairwise agreement as rows a page can show: with ties, and ties left out."""
    rows = []
    for key, label, n in (
        ("with_ties", "ties counted as an answer", result["pairs"]),
        ("without_ties", "pairs with a tie left out", result["pairs_without_ties"]),
    ):
        rows.append({"agreement": label, "pairs": n, "figure": fmt(Interval(**result[key]))})
    return pd.DataFrame(rows)


def majority(frame: pd.DataFrame) -> pd.DataFrame:
    """One pair per item: the SMEs' majority verdict (a tie counts as a failure) and their
    median score, weighted by the item's inverse inclusion probability."""
    if frame.empty:
        return frame
    grouped = frame.groupby("item_id", sort=False)
    first = grouped.first()
    share = grouped["sme_pass"].mean()
    out = first.assign(
        sme_pass=share > 0.5,
        sme_score=grouped["sme_score"].median().round(),
        reviewer="majority",
        weight=1 / first["inclusion_prob"],
    )
    return out.reset_index()


def select(
    frame: pd.DataFrame, stratum: str | None = None, judge_version: str | None = None
) -> pd.DataFrame:
    """The pairs of one dataset stratum and/or one judge version (None: all)."""
    if stratum:
        frame = frame[frame["stratum"] == stratum]
    if judge_version:
        frame = frame[frame["judge_version"] == judge_version]
    return frame


def disagreements(frame: pd.DataFrame) -> pd.DataFrame:
    """Pairs where the judge and the SME disagree, most confident judge first."""
    rows = frame[frame["judge_pass"] != frame["sme_pass"]].copy()
    rows["confidence"] = (rows["judge_score"] - rows["threshold"]).abs()
    columns = [
        "item_id",
        "stratum",
        "reviewer",
        "judge_score",
        "threshold",
        "judge_pass",
        "sme_score",
        "sme_pass",
        "confidence",
        "explanation",
        "notes",
        "failure_modes",
    ]
    return rows.sort_values("confidence", ascending=False)[columns].reset_index(drop=True)


def metrics_with_labels(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    return [
        m
        for (m,) in con.execute(
            "SELECT DISTINCT j.metric FROM judge_score j JOIN label l ON l.run_id = j.run_id AND"
            " l.item_id = j.item_id WHERE j.run_id = ? ORDER BY 1",
            [run_id],
        ).fetchall()
    ]


def to_json(result: MetricReport, sweep_table: pd.DataFrame, best: Interval, smes: dict) -> str:
    return json.dumps(
        {
            "report": result.as_dict(),
            "threshold_sweep": json.loads(sweep_table.to_json(orient="records")),
            "recommended_threshold": {
                "estimate": _num(best.estimate),
                "low": _num(best.low),
                "high": _num(best.high),
            },
            "sme_vs_sme": smes,
        },
        indent=2,
        default=str,
    )


def fmt(interval: Interval | None, percent: bool = True) -> str:
    """'0.61 (0.40–0.78)' or '86.6% (78.1–92.2)'; an em dash when there is nothing."""
    if interval is None or interval.estimate is None or math.isnan(interval.estimate):
        return "—"
    if percent:
        return f"{interval.estimate:.1%} ({interval.low:.1%}–{interval.high:.1%})"
    return f"{interval.estimate:.2f} ({interval.low:.2f}–{interval.high:.2f})"


def figures_table(result: MetricReport) -> pd.DataFrame:
    """One row per figure: weighted (population) beside unweighted (sample)."""
    names = [
        ("agreement", "Agreement", True),
        ("kappa", "Cohen's κ", False),
        ("ac1", "Gwet's AC1", False),
        ("precision", "Precision (fail)", True),
        ("recall", "Recall (fail)", True),
        ("f1", "F1 (fail)", False),
    ]
    # Convenience labels are no sample: their unweighted figures describe them only.
    plain = "unweighted (sample)" if result.design == "sample" else "unweighted (these labels)"
    rows = []
    for attr, label, percent in names:
        weighted = getattr(result.weighted, attr) if result.weighted else None
        unweighted = getattr(result.unweighted, attr)
        if attr == "recall" and not result.recall_reported:
            weighted = unweighted = None
        rows.append(
            {
                "figure": label,
                "weighted (dataset)": fmt(weighted, percent),
                plain: fmt(unweighted, percent),
            }
        )
    for label, value in (
        ("Linear weighted κ (1–5)", result.kappa_linear),
        ("Quadratic weighted κ (1–5)", result.kappa_quadratic),
        ("Spearman ρ (score)", result.spearman),
    ):
        rows.append(
            {
                "figure": label,
                "weighted (dataset)": "—",
                plain: fmt(value, percent=False),
            }
        )
    rows.append(
        {
            "figure": "Pairs",
            "weighted (dataset)": str(result.weighted.pairs) if result.weighted else "0",
            plain: str(result.unweighted.pairs),
        }
    )
    return pd.DataFrame(rows)


def top_up_passes(con: duckdb.DuckDBPyConnection, sample_id: str, *, actor: str) -> int:
    """Double the rate of every 'pass' stratum of a sample (for judge recall)."""
    from core.review import sampling

    added = 0
    for s in sampling.strata(con, sample_id):
        if s["pool"] == "pass":
            rate = min(1.0, 2 * s["taken"] / s["size"])
            added += sampling.top_up(con, sample_id, s["stratum"], "pass", rate, actor=actor)
    return added
