"""One judge, one vote per item and unordered pair (issue 11, a statistician's second reading,
item 2): a pairwise judge asked in both orders (A vs B, then B vs A) landed twice in
pairwise_verdict and counted twice in agreement.

The key is FastChat's (llm_judge/compute_agreement.py, get_mt_bench_votes_data): the question,
the two models in sorted order (the winner reverted when stored the other way round), the turn
and the judge. MT-Bench combines a judge's two orders (llm_judge/common.py,
load_pairwise_model_judgments): the same winner both times is the winner, different winners
are "inconsistent", counted as a tie.
"""

from __future__ import annotations

import pandas as pd
import pytest

from core.analysis import pairwise as agreement
from core.errors import InputError
from core.importers import pairwise, tournament
from core.store import db
from tests.core.analysis.test_pairwise_tournament import build


def write(tmp_path, data: list[dict], name: str) -> str:
    path = tmp_path / name
    pd.DataFrame(data).to_csv(path, index=False)
    return str(path)


def test_a_judges_verdicts_in_both_orders_are_refused_naming_the_file_and_row(tmp_path):
    con = build(tmp_path)
    run = dict(con.execute("SELECT name, run_id FROM run").fetchall())
    first = write(tmp_path, [{"item_id": "81", "winner": "run", "judge": "j"}], "ab.csv")
    pairwise.import_verdicts(con, first, run["gpt-4"], run["claude-v1"], actor="t")
    before = db.row_counts(con)
    rows = [{"item_id": "82", "winner": "tie", "judge": "j"},
            {"item_id": "81", "winner": "baseline", "judge": "j"}]  # fmt: skip
    swapped = write(tmp_path, rows, "ba.csv")
    with pytest.raises(InputError, match=r"ba\.csv, row 2, column 'winner': a verdict") as e:
        pairwise.import_verdicts(con, swapped, run["claude-v1"], run["gpt-4"], actor="t")
    assert "either way round" in str(e.value) and "MT-Bench" in str(e.value)
    assert db.row_counts(con) == before  # nothing of the file written
    # Another judge's verdict in the other order is another vote: it lands.
    other = write(tmp_path, [{"item_id": "81", "winner": "baseline", "judge": "k"}], "k.csv")
    assert pairwise.import_verdicts(con, other, run["claude-v1"], run["gpt-4"], actor="t").verdicts


def test_a_tournament_file_with_a_judges_both_orders_names_both_rows(tmp_path):
    con = build(tmp_path)
    votes = [
        {"question_id": 81, "model_a": "gpt-4", "model_b": "claude-v1", "winner": "model_a"},
        {"question_id": 82, "model_a": "gpt-4", "model_b": "claude-v1", "winner": "tie"},
        {"question_id": 81, "model_a": "claude-v1", "model_b": "gpt-4", "winner": "model_a"},
    ]
    path = write(tmp_path, [{**v, "judge": "gpt4_pair", "turn": 1} for v in votes], "t.csv")
    with pytest.raises(InputError, match=r"t\.csv, row 3, column 'judge': duplicate vote") as e:
        tournament.import_votes(con, path, actor="t")
    text = str(e.value)
    assert "'gpt4_pair' voted on this item, pair and turn in both orders (first on row 1)" in text
    assert db.row_counts(con)["pairwise_vote"] == 0


def fastchat_agreement(judge: dict, humans: list[tuple], ban: tuple = ()) -> tuple[int, int]:
    """FastChat's get_mt_bench_agreement (judge vs human) written out: for each key the
    judge's one vote against each human vote, skipping banned ('tie') votes."""
    agree = total = 0
    for key, vote in humans:
        if key not in judge or judge[key] in ban or vote in ban:
            continue
        total += 1
        agree += judge[key] == vote
    return agree, total


def test_votes_stored_in_both_orders_count_once_the_mt_bench_way(tmp_path):
    # Verdicts a store took in both orders before the import refused them: item 81 the same
    # winner both times (gpt-4), item 82 different winners (inconsistent: a tie), item 83 one
    # order only. A reviewer voted on each.
    con = build(tmp_path)
    run = dict(con.execute("SELECT name, run_id FROM run").fetchall())
    gpt4, claude = run["gpt-4"], run["claude-v1"]
    stored = [  # (run, baseline, item, winner): the winner said against the run
        (gpt4, claude, "81", "run"), (claude, gpt4, "81", "baseline"),
        (gpt4, claude, "82", "run"), (claude, gpt4, "82", "run"),
        (gpt4, claude, "83", "tie"),
    ]  # fmt: skip
    for r, b, item, winner in stored:
        con.execute(
            "INSERT INTO pairwise_verdict (run_id, baseline_run_id, item_id, metric, winner,"
            " judge) VALUES (?, ?, ?, 'preference', ?, 'j')",
            [r, b, item, winner],
        )
    reviewer = [
        {"question_id": q, "model_a": "gpt-4", "model_b": "claude-v1", "winner": w}
        for q, w in ((81, "model_a"), (82, "tie"), (83, "model_b"))
    ]
    path = write(tmp_path, [{**v, "reviewer": "expert_0"} for v in reviewer], "r.csv")
    tournament.import_votes(con, path, actor="t")
    (votes,) = agreement.load(con, gpt4)
    judged = votes.frame[votes.frame["kind"] == "judge"]
    assert len(judged) == 3  # one vote per item, not five
    # Stored with run_a < run_b: 'a' is gpt-4 when its run id sorts first.
    gpt4_is_a = gpt4 < claude
    win = "a" if gpt4_is_a else "b"
    assert dict(zip(judged["item_id"], judged["winner"], strict=True)) == {
        "81": win,
        "82": "tie",
        "83": "tie",
    }
    judge = {"81": "model_a", "82": "tie", "83": "tie"}  # combined, said against gpt-4 first
    humans = [(str(v["question_id"]), v["winner"]) for v in reviewer]
    (comparison,) = [
        c for c in agreement.tournament(votes, resamples=50).comparisons if c.judge == "j"
    ]
    agree, total = fastchat_agreement(judge, humans)  # (2, 3): 81 and 82 agree
    assert (comparison.pooled.with_ties.agree, comparison.pooled.with_ties.compared) == (
        agree,
        total,
    )
    agree, total = fastchat_agreement(judge, humans, ban=("tie",))  # (1, 1): 81 only
    assert (comparison.pooled.without_ties.agree, comparison.pooled.without_ties.compared) == (
        agree,
        total,
    )
