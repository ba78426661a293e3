"""Pairwise agreement as Zheng et al. 2023 define it (MT-Bench; FastChat's compute_agreement).

A vote says which of two runs' outputs for an item (and conversation turn) is better, or a
tie. Votes are keyed by (item, unordered run pair, turn): a vote given with the runs the other
way round has its winner swapped. On each key every reviewer's vote is compared with each
judge's vote (judge vs reviewer), and every two reviewers' votes with each other (reviewer vs
reviewer). "With ties" counts a tie as an answer (two ties agree); "without ties" drops every
comparison in which either side tied. The rate is agreeing comparisons over comparisons,
pooled over every pair and per pair. FastChat reports each turn on its own (``turns`` here,
when there are several); the pooled figure counts every (item, pair, turn) comparison as its
per-turn figures do, over all turns, and its interval resamples items, so two turns of one
item never count as independent evidence. One voter has one vote per key (``one_vote_each``).

Comparisons on one item are not independent (the same outputs, often the same reviewers), so
the intervals come from a cluster bootstrap that resamples items, each with all its pairs,
turns and votes (percentile interval), never from a binomial count of votes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

from core.analysis.tables import percentile_interval
from core.importers.tournament import VOTES
from core.types import RESAMPLES, Interval

Between = Literal["judge_vs_reviewer", "reviewer_vs_reviewer"]
KEY = ["item_id", "turn", "run_a", "run_b"]


@dataclass(frozen=True)
class Votes:
    """One metric's votes on one dataset version: ``frame`` has item_id, turn, run_a, run_b
    (run_a < run_b), voter, kind ('judge' or 'reviewer'), winner ('a', 'b' or 'tie')."""

    dataset_id: str
    metric: str
    frame: pd.DataFrame
    names: dict[str, str]  # run id -> run name


def load(con: duckdb.DuckDBPyConnection, run_id: str) -> list[Votes]:
    """Every metric's votes on the dataset version ``run_id`` answers (all its runs' pairs,
    whichever run was the baseline): tournament votes, pairwise verdicts, SME preferences."""
    row = con.execute("SELECT dataset_id FROM run WHERE run_id = ?", [run_id]).fetchone()
    if row is None:
        return []
    frame = con.execute(
        f"SELECT item_id, turn, run_a, run_b, metric, voter, kind, winner FROM ({VOTES})"  # noqa: S608 - a constant query
        " WHERE dataset_id = ? ORDER BY metric, item_id, turn, run_a, run_b, voter",
        [row[0]],
    ).df()
    frame = one_vote_each(frame)
    names = _distinct_names(
        con.execute("SELECT run_id, name FROM run WHERE dataset_id = ?", [row[0]]).fetchall()
    )
    return [
        Votes(row[0], str(metric), part.drop(columns="metric").reset_index(drop=True), names)
        for metric, part in frame.groupby("metric", sort=True)
    ]


def one_vote_each(frame: pd.DataFrame) -> pd.DataFrame:
    """One vote per voter and key (metric, item, turn, unordered pair). A voter stored twice
    on a key (a pairwise judge's verdicts imported in both orders, before the importers
    refused that) counts once, as MT-Bench combines a judge's two orders (FastChat,
    llm_judge/common.py, load_pairwise_model_judgments: the same winner both times is the
    winner; different winners are "inconsistent", which its results count as a tie)."""
    keys = ["metric", *KEY, "voter", "kind"]
    votes = frame.groupby(keys, sort=True)["winner"].agg(["first", "nunique"])
    votes["winner"] = np.where(votes["nunique"] == 1, votes["first"], "tie")
    return votes.drop(columns=["first", "nunique"]).reset_index()[frame.columns]


def _distinct_names(rows: list[tuple[str, str]]) -> dict[str, str]:
    """Run id -> name; a name several runs share (an unnamed run is "model on dataset") gets
    the run id, so three runs of one model read apart."""
    shared = Counter(name for _, name in rows)
    return {run: f"{name} ({run})" if shared[name] > 1 else name for run, name in rows}


@dataclass(frozen=True)
class Rate:
    """Agreeing comparisons of ``compared``, over ``items`` items; ``rate`` with its 95%
    cluster-bootstrap interval (NaN when nothing was compared)."""

    agree: int
    compared: int
    items: int
    rate: Interval

    def to_dict(self) -> dict:
        return {
            "agree": self.agree,
            "compared": self.compared,
            "items": self.items,
            "rate": self.rate.to_dict(),
        }


@dataclass(frozen=True)
class PairFigure:
    """With and without ties for one run pair, or pooled (``run_a`` None)."""

    label: str  # "all pairs" or "<name a> vs <name b>"
    with_ties: Rate
    without_ties: Rate
    run_a: str | None = None
    run_b: str | None = None

    def to_dict(self) -> dict:
        return {
            "pair": self.label,
            "run_a": self.run_a,
            "run_b": self.run_b,
            "with_ties": self.with_ties.to_dict(),
            "without_ties": self.without_ties.to_dict(),
        }


@dataclass(frozen=True)
class Comparison:
    """One judge against the reviewers, or the reviewers against each other."""

    between: Between
    judge: str | None
    pooled: PairFigure
    pairs: tuple[PairFigure, ...]
    turns: tuple[PairFigure, ...] = ()  # per conversation turn, when there are several

    @property
    def title(self) -> str:
        return f"{self.judge} vs reviewers" if self.judge else "reviewer vs reviewer"

    def to_dict(self) -> dict:
        return {
            "between": self.between,
            "judge": self.judge,
            "pooled": self.pooled.to_dict(),
            "pairs": [p.to_dict() for p in self.pairs],
            "turns": [t.to_dict() for t in self.turns],
        }


@dataclass(frozen=True)
class Tournament:
    """Agreement on one metric's votes: each judge vs the reviewers, reviewer vs reviewer."""

    dataset_id: str
    metric: str
    votes: int
    items: int
    runs: tuple[str, ...]  # run names, in run id order
    judges: tuple[str, ...]
    reviewers: tuple[str, ...]
    comparisons: tuple[Comparison, ...]
    advice: str | None = None  # what to do when nothing could be compared

    def to_dict(self) -> dict:
        return {
            "dataset_id": self.dataset_id,
            "metric": self.metric,
            "votes": self.votes,
            "items": self.items,
            "runs": list(self.runs),
            "judges": list(self.judges),
            "reviewers": list(self.reviewers),
            "comparisons": [c.to_dict() for c in self.comparisons],
            "advice": self.advice,
        }


NOTHING_COMPARED = (
    "No item has two votes on the same pair to compare: have reviewers vote on the pairs a"
    " judge voted on (or two reviewers on the same pairs)."
)


def tournament(votes: Votes, *, seed: int = 0, resamples: int = RESAMPLES) -> Tournament:
    """Judge-vs-reviewer agreement for each judge and reviewer-vs-reviewer agreement, pooled,
    per pair and per turn, each with and without ties."""
    frame = votes.frame
    judges = tuple(sorted(frame.loc[frame["kind"] == "judge", "voter"].unique()))
    reviewers = tuple(sorted(frame.loc[frame["kind"] == "reviewer", "voter"].unique()))
    plan: list[tuple[Between, str | None]] = [("judge_vs_reviewer", j) for j in judges]
    plan.append(("reviewer_vs_reviewer", None))
    found = [(compared(frame, between, judge), between, judge) for between, judge in plan]
    comparisons = tuple(
        _comparison(rows, between, judge, votes.names, seed, resamples)
        for rows, between, judge in found
        if not rows.empty
    )
    run_ids = sorted(set(frame["run_a"]) | set(frame["run_b"]))
    return Tournament(
        dataset_id=votes.dataset_id,
        metric=votes.metric,
        votes=len(frame),
        items=int(frame["item_id"].nunique()),
        runs=tuple(votes.names.get(r, r) for r in run_ids),
        judges=judges,
        reviewers=reviewers,
        comparisons=comparisons,
        advice=None if comparisons else NOTHING_COMPARED,
    )


def compared(frame: pd.DataFrame, between: Between, judge: str | None = None) -> pd.DataFrame:
    """One row per compared pair of votes on a key: item_id, turn, run_a, run_b, agree, tied."""
    reviewers = frame[frame["kind"] == "reviewer"]
    if between == "judge_vs_reviewer":
        left = frame[(frame["kind"] == "judge") & (frame["voter"] == judge)]
        rows = left.merge(reviewers, on=KEY, suffixes=("_x", "_y"))
    else:
        rows = reviewers.merge(reviewers, on=KEY, suffixes=("_x", "_y"))
        rows = rows[rows["voter_x"] < rows["voter_y"]]
    x, y = rows["winner_x"], rows["winner_y"]
    return pd.DataFrame(
        {
            **{k: rows[k].to_numpy() for k in KEY},
            "agree": (x == y).to_numpy(),
            "tied": ((x == "tie") | (y == "tie")).to_numpy(),
        }
    )


def _comparison(
    rows: pd.DataFrame,
    between: Between,
    judge: str | None,
    names: dict[str, str],
    seed: int,
    resamples: int,
) -> Comparison:
    def figure(part: pd.DataFrame, label: str, a=None, b=None) -> PairFigure:
        with_ties = rate(part["item_id"], part["agree"], seed=seed, resamples=resamples)
        kept = part[~part["tied"]]
        without = rate(kept["item_id"], kept["agree"], seed=seed, resamples=resamples)
        return PairFigure(label, with_ties, without, a, b)

    pairs = tuple(
        figure(part, f"{names.get(a, a)} vs {names.get(b, b)}", a, b)
        for (a, b), part in rows.groupby(["run_a", "run_b"], sort=True)
    )
    turns: tuple[PairFigure, ...] = ()
    if rows["turn"].nunique() > 1:
        turns = tuple(figure(part, f"turn {t}") for t, part in rows.groupby("turn", sort=True))
    return Comparison(between, judge, figure(rows, "all pairs"), pairs, turns)


def rate(
    items: Sequence | pd.Series,
    agree: Sequence | pd.Series,
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> Rate:
    """The share of agreeing comparisons, its interval from resampling items (clusters)."""
    codes, uniques = pd.factorize(pd.Series(list(items)), sort=True)
    hits = np.bincount(codes, weights=np.asarray(agree, dtype=float), minlength=len(uniques))
    totals = np.bincount(codes, minlength=len(uniques)).astype(float)
    return Rate(
        agree=int(hits.sum()),
        compared=int(totals.sum()),
        items=len(uniques),
        rate=cluster_ratio(hits, totals, seed=seed, resamples=resamples),
    )


def cluster_ratio(
    hits: np.ndarray, totals: np.ndarray, *, seed: int = 0, resamples: int = RESAMPLES
) -> Interval:
    """sum(hits) / sum(totals) over clusters, with the percentile interval of a bootstrap
    that draws clusters with replacement (a draw with no comparison is dropped)."""
    n = len(totals)
    if n == 0 or totals.sum() == 0:
        return Interval(math.nan, math.nan, math.nan)
    estimate = float(hits.sum() / totals.sum())
    counts = np.random.default_rng(seed).multinomial(n, np.full(n, 1 / n), size=resamples)
    with np.errstate(invalid="ignore", divide="ignore"):
        draws = (counts @ hits) / (counts @ totals)
    return percentile_interval(estimate, draws)


# --- a pairwise judge against SME preferences on one run pair (the Calibration page's
# first pairwise view): the same comparison on one pair, ties counted or left out.


@dataclass(frozen=True)
class PairwiseAgreement:
    """A pairwise judge's preferences ('A'/'B'/'tie') against the SMEs' on the same pairs."""

    pairs: int
    with_ties: Interval  # a tie counted as its own answer
    without_ties: Interval  # every pair holding a tie left out
    pairs_without_ties: int

    def to_dict(self) -> dict:
        return {
            "pairs": self.pairs,
            "with_ties": self.with_ties.to_dict(),
            "without_ties": self.without_ties.to_dict(),
            "pairs_without_ties": self.pairs_without_ties,
        }


def pairwise(
    judge: Sequence[str],
    sme: Sequence[str],
    items: Sequence | None = None,
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> PairwiseAgreement:
    """Agreement of a pairwise judge's preferences with SME preferences: ties counted as their
    own answer, and with every pair holding a tie left out. ``items`` names each pair's item:
    the interval resamples items (several SMEs on one item are one cluster); without it every
    pair is its own cluster."""
    rows = pd.DataFrame(
        {
            "item_id": list(items) if items is not None else range(len(judge)),
            "judge": list(judge),
            "sme": list(sme),
        }
    )
    rows = rows[rows["judge"].astype(bool) & rows["sme"].astype(bool)]
    rows = rows[rows["judge"].notna() & rows["sme"].notna()]
    agree = rows["judge"] == rows["sme"]
    decided = (rows["judge"] != "tie") & (rows["sme"] != "tie")
    with_ties = rate(rows["item_id"], agree, seed=seed, resamples=resamples)
    without = rate(rows["item_id"][decided], agree[decided], seed=seed, resamples=resamples)
    return PairwiseAgreement(
        pairs=with_ties.compared,
        with_ties=with_ties.rate,
        without_ties=without.rate,
        pairs_without_ties=without.compared,
    )
