"""Calibration's tables and figures as text: what the Calibration page shows, formatted by the
one formatter (core.formatting), so the page only renders. No Streamlit here."""

from __future__ import annotations

import pandas as pd

from core import formatting
from core.analysis.calibration import (
    MetricReport,
    PairwiseAgreement,
    SmeAgreement,
    disagreements,
)
from core.analysis.pairwise import Tournament
from core.types import Interval, finite

FIGURES = (  # attribute, row label, shown as a percentage
    ("agreement", "Agreement", True),
    ("kappa", "Cohen's κ", False),
    ("ac1", "Gwet's AC1", False),
    ("precision", "Precision (fail)", True),
    ("recall", "Recall (fail)", True),
    ("f1", "F1 (fail)", False),
)
SCORE_FIGURES = (
    ("kappa_linear", "Linear weighted κ (1–5)"),
    ("kappa_quadratic", "Quadratic weighted κ (1–5)"),
    ("spearman", "Spearman ρ (score)"),
)


def text(bounds: Interval | None, percent: bool = True) -> str:
    """'86.6% (78.1%–92.2%)' or '0.61 (0.40–0.78)'; an em dash when there is nothing."""
    return formatting.percent(bounds) if percent else formatting.interval(bounds, ".2f", sep="–")


def figures_table(result: MetricReport) -> pd.DataFrame:
    """One row per figure: weighted (population) beside unweighted (sample)."""
    # Convenience labels are no sample: their unweighted figures describe them only.
    plain = "unweighted (sample)" if result.design == "sample" else "unweighted (these labels)"
    rows = []
    for attr, label, percent in FIGURES:
        weighted = getattr(result.weighted, attr) if result.weighted else None
        unweighted = getattr(result.unweighted, attr)
        if attr in ("recall", "f1") and not result.recall_reported:  # F1 is recall's too
            weighted = unweighted = None
        rows.append(
            {
                "figure": label,
                "weighted (dataset)": text(weighted, percent),
                plain: text(unweighted, percent),
            }
        )
    for attr, label in SCORE_FIGURES:
        value = text(getattr(result, attr), percent=False)
        rows.append({"figure": label, "weighted (dataset)": "—", plain: value})
    rows.append(
        {
            "figure": "Pairs",
            "weighted (dataset)": str(result.weighted.pairs) if result.weighted else "0",
            plain: str(result.unweighted.pairs),
        }
    )
    return pd.DataFrame(rows)


def pass_rates(result: MetricReport) -> tuple[tuple[str, str], tuple[str, str]]:
    """(label, value) of the SME pass rate (weighted when the labels have a design) and of
    the judge's pass rate over every item."""
    if result.design == "sample":
        sme = ("SME pass rate (weighted)", text(result.sme_pass_rate))
    else:
        sme = ("SME pass rate (these labels only)", text(result.sme_pass_rate_unweighted))
    rate = result.judge_pass_rate
    judge = ("Judge pass rate (all items)", formatting.pct(rate))
    return sme, judge


def threshold_line(result: MetricReport, best: Interval) -> str:
    """The recommended threshold beside the current one (Markdown)."""
    current = result.threshold if result.threshold is not None else "—"
    if finite(best.estimate) is None:
        return f"No recommended threshold: {best.note or 'no labelled pair'} (current {current})"
    return (
        f"Recommended threshold: **{text(best, percent=False)}** (maximises κ; current {current})"
    )


TEXT_COLUMNS = ("explanation", "notes", "failure_modes")


def disagreements_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Where judge and SME disagree (core's order), a missing text as an empty cell, not
    'None'."""
    rows = disagreements(frame)
    texts = [c for c in TEXT_COLUMNS if c in rows]
    rows[texts] = rows[texts].astype(object).where(rows[texts].notna(), "")
    return rows


def disagreements_shown(rows: pd.DataFrame) -> pd.DataFrame:
    """``disagreements_table`` as the page shows it: verdicts as pass/fail, failure modes as
    words, headings humanised and scores rounded (the CSV export keeps the raw columns)."""
    shown = rows.copy()
    for column in ("judge_pass", "sme_pass"):
        shown[column] = shown[column].map({True: "pass", False: "fail"}).fillna(formatting.MISSING)
    shown["failure_modes"] = shown["failure_modes"].map(
        lambda modes: modes if isinstance(modes, str) else ", ".join(map(str, modes))
    )
    return formatting.table(shown)


def pairwise_table(result: PairwiseAgreement) -> pd.DataFrame:
    """The pairwise agreement as rows a page can show: with ties, and ties left out."""
    rows = [
        ("ties counted as an answer", result.pairs, result.with_ties),
        ("pairs with a tie left out", result.pairs_without_ties, result.without_ties),
    ]
    return pd.DataFrame(
        [{"agreement": label, "pairs": n, "figure": text(bounds)} for label, n, bounds in rows]
    )


def tournament_table(result: Tournament) -> pd.DataFrame:
    """One row per comparison (a judge vs the reviewers, reviewer vs reviewer), run pair (all
    pairs first, by run name) and tie rule: the agreement with its 95% interval, the vote
    pairs compared and the items they sit on."""
    rows = []
    for comparison in result.comparisons:
        for figure in (comparison.pooled, *comparison.pairs, *comparison.turns):
            for rule, rate in (
                ("with ties", figure.with_ties),
                ("without ties", figure.without_ties),
            ):
                rows.append(
                    {
                        "comparison": comparison.title,
                        "runs": figure.label,
                        "agreement": rule,
                        "pairs": rate.compared,
                        "items": rate.items,
                        "figure": text(rate.rate),
                    }
                )
    return pd.DataFrame(rows)


def tournament_caption(result: Tournament) -> str:
    """What the table covers: the metric, its votes, runs, judges and reviewers."""
    counts = (
        (len(result.runs), "run"),
        (len(result.judges), "judge"),
        (len(result.reviewers), "reviewer"),
    )
    who = ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts)
    return (
        f"{result.metric}: {result.votes} votes on {result.items} items of {result.dataset_id},"
        f" {who} (runs: {', '.join(result.runs)}). Agreement as Zheng et al. 2023 (MT-Bench)"
        " count it: per item, run pair"
        " and turn, each reviewer's vote against each judge's (or another reviewer's); without"
        " ties leaves out every comparison where either side tied. Pairs: the vote pairs"
        " compared. Intervals are 95%, from resampling items."
    )


def sme_table(result: SmeAgreement) -> pd.DataFrame:
    """The SME-vs-SME rows: who (pooled, a stratum, a reviewer pair, one reviewer), the
    figure, its estimate with the 95% interval (or why there is none) and the items."""
    return pd.DataFrame(
        [
            {
                "reviewers": row.pair,
                "figure": row.figure,
                "estimate (95% interval)": text(row.value, row.percent),
                "items": row.items,
            }
            for row in result.rows
        ]
    )


def run_label(run: dict) -> str:
    return f"{run['name']} ({run['role']})"
