"""Pairwise tournaments: many runs, every pair, judges and reviewers; agreement as Zheng et al.
2023 (MT-Bench) compute it, with intervals that resample items."""

from __future__ import annotations

import itertools
import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.analysis import calibration
from core.analysis import pairwise as agreement
from core.catalog import runs
from core.importers import files, tournament
from core.store import db

# MT-Bench's six models (Zheng et al. 2023), here the names of six runs of one dataset.
MODELS = ["gpt-4", "gpt-3.5-turbo", "claude-v1", "vicuna-13b-v1.2", "alpaca-13b", "llama-13b"]
QUESTIONS = list(range(81, 101))  # 20 items, ids as MT-Bench numbers them
JUDGE = "gpt4_pair"
REVIEWERS = {"expert_0": 9, "expert_1": 8, "expert_2": 6}  # agrees with the judge on n of 10 keys
OTHER = {"model_a": "model_b", "model_b": "tie", "tie": "model_a"}  # a disagreeing vote


def build(tmp_path) -> duckdb.DuckDBPyConnection:
    """An in-memory store with one dataset of 20 items and the six runs' outputs."""
    con = db.connect(":memory:")
    golden = tmp_path / "golden.csv"
    pd.DataFrame(
        {
            "id": [str(q) for q in QUESTIONS],
            "source_prompt": [f"MT-Bench question {q}" for q in QUESTIONS],
            "ground_truth": ["-"] * len(QUESTIONS),
        }
    ).to_csv(golden, index=False)
    files.import_dataset(con, str(golden), "mtbench", actor="t")
    for model in MODELS:
        path = tmp_path / f"{model}.csv"
        pd.DataFrame(
            {"item_id": [str(q) for q in QUESTIONS], "output": [f"{model} answer"] * 20}
        ).to_csv(path, index=False)
        spec = runs.RunSpec("mtbench@1", model_id=model, name=model)
        files.import_run(con, str(path), spec, actor="t")
    return con


def votes(seed: int = 7) -> list[dict]:
    """Every pair of the six models on every item and both turns: one judge vote each, and each
    reviewer's vote, equal to the judge's on exactly ``REVIEWERS[r]`` of every 10 keys. Half
    the rows name the pair the other way round (winner swapped), some ties are 'tie (bothbad)'."""
    rng = np.random.default_rng(seed)
    rows = []
    keys = itertools.product(QUESTIONS, (1, 2), itertools.combinations(MODELS, 2))
    for index, (question, turn, (a, b)) in enumerate(keys):
        judged = str(rng.choice(["model_a", "model_b", "tie"], p=[0.4, 0.4, 0.2]))
        voted = {JUDGE: judged}
        for reviewer, agree in REVIEWERS.items():
            voted[reviewer] = judged if index % 10 < agree else OTHER[judged]
        for voter, winner in voted.items():
            row = {"question_id": question, "model_a": a, "model_b": b, "winner": winner}
            if rng.random() < 0.5:
                row.update(model_a=b, model_b=a, winner=revert(winner))
            if row["winner"] == "tie" and rng.random() < 0.5:
                row["winner"] = "tie (bothbad)"
            rows.append({**row, "judge": voter, "turn": turn})
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


# --- an independent re-implementation of FastChat's fastchat/llm_judge/compute_agreement.py
# (get_mt_bench_votes_data, get_mt_bench_agreement; Apache-2.0), written from its logic.


def revert(vote: str) -> str:
    return {"model_a": "model_b", "model_b": "model_a"}.get(vote, vote)


def by_key(rows: list[dict]) -> dict[tuple, dict[str, list[str]]]:
    data: dict[tuple, dict[str, list[str]]] = {}
    for vote in rows:
        if vote["model_a"] < vote["model_b"]:
            key = (vote["turn"], vote["question_id"], vote["model_a"], vote["model_b"])
            winner = vote["winner"]
        else:
            key = (vote["turn"], vote["question_id"], vote["model_b"], vote["model_a"])
            winner = revert(vote["winner"])
        judge = "human" if vote["judge"].startswith("expert") else vote["judge"]
        data.setdefault(key, {}).setdefault(judge, []).append(winner)
    return data


def banned(vote: str, ban: list[str]) -> bool:
    return ("tie" if "tie" in vote else vote) in ban


def equal(v1: str, v2: str) -> bool:
    return ("tie" in v1 and "tie" in v2) or v1 == v2


def fastchat(rows, first: str, ban: list[str], pair=None, turn=None, question=None):
    """(agree, total) as get_mt_bench_agreement counts them, over the keys of one pair/turn."""
    agree = total = 0
    for (t, q, a, b), votes_ in by_key(rows).items():
        if (pair and {a, b} != set(pair)) or (turn and t != turn) or (question and q != question):
            continue
        humans = votes_.get("human", [])
        if first == "human":
            for i, j in itertools.combinations(range(len(humans)), 2):
                if banned(humans[i], ban) or banned(humans[j], ban):
                    continue
                total += 1
                agree += equal(humans[i], humans[j])
        elif first in votes_ and humans:
            assert len(votes_[first]) == 1
            if banned(votes_[first][0], ban):
                continue
            for v in humans:
                if banned(v, ban):
                    continue
                total += 1
                agree += equal(votes_[first][0], v)
    return agree, total


def write(tmp_path, rows: list[dict], fmt: str) -> str:
    frame = pd.DataFrame(rows)
    path = tmp_path / f"votes.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        frame.to_parquet(path, index=False)
    return str(path)


def project_layout(rows: list[dict]) -> list[dict]:
    """The same votes in Switchyard's own columns: item_id, run_a, run_b, winner a/b/tie,
    reviewer or judge."""
    out = []
    for r in rows:
        side = {"model_a": "a", "model_b": "b"}.get(r["winner"], r["winner"])
        voter = {"reviewer": r["judge"]} if r["judge"].startswith("expert") else {"judge": JUDGE}
        out.append(
            {
                "item_id": str(r["question_id"]),
                "run_a": r["model_a"],
                "run_b": r["model_b"],
                "winner": side,
                "turn": r["turn"],
                **{"judge": None, "reviewer": None, **voter},
            }
        )
    return out


@pytest.mark.parametrize(
    ("fmt", "layout"), [("jsonl", "mt-bench"), ("csv", "project"), ("parquet", "project")]
)
def test_a_tournament_imports_and_reproduces_fastchat_agreement(tmp_path, fmt, layout):
    con = build(tmp_path)
    rows = votes()
    shaped = rows if layout == "mt-bench" else project_layout(rows)
    result = tournament.import_votes(con, write(tmp_path, shaped, fmt), actor="t")
    assert (result.votes, result.runs, result.judges, result.reviewers) == (2400, 6, 1, 3)
    run_id = con.execute("SELECT run_id FROM run WHERE name = 'llama-13b'").fetchone()[0]
    (loaded,) = agreement.load(con, run_id)
    found = agreement.tournament(loaded, resamples=200)
    judged, among = found.comparisons
    assert (judged.between, judged.judge, among.between) == (
        "judge_vs_reviewer",
        JUDGE,
        "reviewer_vs_reviewer",
    )
    # Known by construction: each reviewer agrees with the judge on 9, 8 and 6 keys in 10.
    assert judged.pooled.with_ties.rate.estimate == pytest.approx((9 + 8 + 6) / 30)
    for comparison, first in ((judged, JUDGE), (among, "human")):
        for figure, ban in (("with_ties", []), ("without_ties", ["tie"])):
            pooled = getattr(comparison.pooled, figure)
            assert (pooled.agree, pooled.compared) == fastchat(rows, first, ban)
            assert pooled.items == len(QUESTIONS)
            assert len(comparison.pairs) == 15
            for pair in comparison.pairs:
                got = getattr(pair, figure)
                assert (got.agree, got.compared) == fastchat(
                    rows, first, ban, pair=pair.label.split(" vs ")
                )
                bounded = got.rate.low <= got.rate.estimate <= got.rate.high
                assert bounded or got.rate.note  # a note: every resample gives one value
            for turn in comparison.turns:
                got = getattr(turn, figure)
                number = int(turn.label.split()[-1])
                assert (got.agree, got.compared) == fastchat(rows, first, ban, turn=number)


def test_the_pooled_interval_resamples_items_as_scipy_does(tmp_path):
    con = build(tmp_path)
    rows = votes()
    tournament.import_votes(con, write(tmp_path, rows, "jsonl"), actor="t")
    run_id = con.execute("SELECT run_id FROM run WHERE name = 'gpt-4'").fetchone()[0]
    (loaded,) = agreement.load(con, run_id)
    judged = agreement.tournament(loaded, resamples=4000).comparisons[0]
    # Reference: scipy's percentile bootstrap of sum(agree) / sum(compared) over items, the
    # per-item counts from the FastChat re-implementation above.
    counts = np.array([fastchat(rows, JUDGE, ["tie"], question=q) for q in QUESTIONS], float)
    reference = stats.bootstrap(
        (counts[:, 0], counts[:, 1]),
        lambda hits, totals, axis: hits.sum(axis) / totals.sum(axis),
        paired=True,
        vectorized=True,
        method="percentile",
        n_resamples=20000,
        random_state=1,
    ).confidence_interval
    got = judged.pooled.without_ties.rate
    assert got.low == pytest.approx(reference.low, abs=0.01)
    assert got.high == pytest.approx(reference.high, abs=0.01)


def test_agreement_interval_resamples_items_not_votes():
    # Issue 11, item 4: Wilson intervals treated the votes of several SMEs on one item as
    # independent. Three SMEs who always vote alike tell no more than one: the interval of the
    # tripled votes is the one of one vote per item, and that one is scipy's percentile
    # bootstrap over items.
    rng = np.random.default_rng(3)
    judge = rng.choice(["run", "baseline", "tie"], 60)
    sme = np.where(rng.random(60) < 0.7, judge, "tie")
    one = calibration.pairwise(judge, sme, items=range(60), resamples=4000)
    tripled = calibration.pairwise(
        np.repeat(judge, 3), np.repeat(sme, 3), items=np.repeat(np.arange(60), 3), resamples=4000
    )
    assert tripled.pairs == 180
    assert (tripled.with_ties.low, tripled.with_ties.high) == (
        one.with_ties.low,
        one.with_ties.high,
    )
    reference = stats.bootstrap(
        ((judge == sme).astype(float),),
        np.mean,
        method="percentile",
        n_resamples=20000,
        random_state=1,
    ).confidence_interval
    assert tripled.with_ties.low == pytest.approx(reference.low, abs=0.01)
    assert tripled.with_ties.high == pytest.approx(reference.high, abs=0.01)


def test_runs_of_one_model_with_the_default_name_read_apart(tmp_path):
    # Three unnamed runs of one model are each named "model on dataset"; the tournament's
    # runs and pair labels add the run id so they can be told apart.
    con = build(tmp_path)
    model = "amazon.nova-pro-v1:0"
    path = tmp_path / "nova.csv"
    pd.DataFrame({"item_id": [str(q) for q in QUESTIONS], "output": ["nova"] * 20}).to_csv(
        path, index=False
    )
    ids = [
        files.import_run(con, str(path), runs.RunSpec("mtbench@1", model_id=model), actor="t")[
            0
        ].run_id
        for _ in range(3)
    ]
    data = [
        {"item_id": "81", "run_a": a, "run_b": b, "winner": "a", "reviewer": reviewer}
        for a, b in itertools.combinations(ids, 2)
        for reviewer in ("ana", "ben")
    ]
    tournament.import_votes(con, write_csv(tmp_path, data), actor="t")
    (votes_,) = agreement.load(con, ids[0])
    result = agreement.tournament(votes_, resamples=20)
    shown = sorted(f"{model} on mtbench@1 ({r})" for r in ids)
    assert sorted(result.runs) == shown
    labels = [p.label for p in result.comparisons[0].pairs]
    assert labels == [f"{a} vs {b}" for a, b in itertools.combinations(shown, 2)]
    # A name only one run holds is kept as it is.
    assert (
        agreement.load(con, ids[0])[0].names[
            con.execute("SELECT run_id FROM run WHERE name = 'gpt-4'").fetchone()[0]
        ]
        == "gpt-4"
    )


def write_csv(tmp_path, data: list[dict]) -> str:
    path = tmp_path / "votes.csv"
    pd.DataFrame(data).to_csv(path, index=False)
    return str(path)
