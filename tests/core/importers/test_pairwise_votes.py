"""Importing a pairwise tournament: bad rows refused with file, row and column, nothing
written; a reviewer may compare one answer against several opponents; the CLI and the
calibration report carry the agreement."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import cli
from core.analysis import pairwise as agreement
from core.catalog import runs
from core.errors import InputError
from core.importers import files, pairwise, tournament
from core.store import db
from tests.conftest import signed_in
from tests.core.analysis.test_calibration import owner_page, page_db  # noqa: F401 (fixture)
from tests.core.analysis.test_pairwise_tournament import MODELS, build

DATA = Path(__file__).resolve().parents[2] / "data"
GOOD = [
    {"question_id": 81, "model_a": "gpt-4", "model_b": "claude-v1", "winner": "model_a"},
    {"question_id": 82, "model_a": "gpt-4", "model_b": "llama-13b", "winner": "tie"},
]


def rows(*extra: dict) -> list[dict]:
    """Two good votes by the judge and an expert each, then ``extra`` (CSV rows 5, 6, ...)."""
    out = [{**r, "judge": judge, "turn": 1} for judge in ("gpt4_pair", "expert_0") for r in GOOD]
    return out + [{"judge": "expert_1", "turn": 1, **e} for e in extra]


def write(tmp_path, data: list[dict], name: str = "votes.csv") -> str:
    path = tmp_path / name
    pd.DataFrame(data).to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize(
    ("bad", "column", "message"),
    [
        (
            {"question_id": 81, "model_a": "gpt-5", "model_b": "gpt-4", "winner": "tie"},
            "model_a",
            "no run 'gpt-5'",
        ),
        (
            {"question_id": 81, "model_a": "gpt-4", "model_b": "gpt-4", "winner": "tie"},
            "model_b",
            "compared with itself",
        ),
        (
            {"question_id": 81, "model_a": "gpt-4", "model_b": "claude-v1", "winner": "gpt-4"},
            "winner",
            "expected model_a, model_b or tie",
        ),
        (
            {"question_id": 999, "model_a": "gpt-4", "model_b": "claude-v1", "winner": "tie"},
            "question_id",
            "not in dataset mtbench@1",
        ),
        (  # expert_0's vote of row 3 again, the pair named the other way round
            {
                "question_id": 81,
                "model_a": "claude-v1",
                "model_b": "gpt-4",
                "winner": "model_b",
                "judge": "expert_0",
            },
            "judge",
            "duplicate vote",
        ),
        (
            {
                "question_id": 81,
                "model_a": "gpt-4",
                "model_b": "claude-v1",
                "winner": "a",
                "judge": "",
            },
            "judge",
            "a vote needs its voter",
        ),
    ],
)
def test_bad_rows_are_refused_by_file_row_and_column_and_write_nothing(
    tmp_path, bad, column, message
):
    con = build(tmp_path)
    before = db.row_counts(con)
    path = write(tmp_path, rows(bad))
    with pytest.raises(InputError) as caught:
        tournament.import_votes(con, path, actor="t")
    text = str(caught.value)
    assert "votes.csv" in text and "row 5" in text and f"column {column!r}" in text, text
    assert message in text
    assert db.row_counts(con) == before and before["pairwise_vote"] == 0


def test_a_vote_imported_before_is_refused(tmp_path):
    con = build(tmp_path)
    path = write(tmp_path, rows())
    assert tournament.import_votes(con, path, actor="t").votes == 4
    before = db.row_counts(con)
    with pytest.raises(InputError, match="row 1, column 'judge': this voter's vote"):
        tournament.import_votes(con, path, actor="t")
    assert db.row_counts(con) == before == {**before, "pairwise_vote": 4}


def test_a_judge_verdict_already_stored_counts_as_its_vote(tmp_path):
    # The pairwise verdict file of one judge (run against baseline) and a tournament file
    # naming the same judge on the same item and pair hold one vote, not two.
    con = build(tmp_path)
    run = dict(con.execute("SELECT name, run_id FROM run").fetchall())
    verdicts = write(tmp_path, [{"item_id": "81", "winner": "run", "judge": "j"}], "v.csv")
    pairwise.import_verdicts(con, verdicts, run["gpt-4"], run["claude-v1"], actor="t")
    before = db.row_counts(con)
    again = [{**GOOD[0], "judge": "j", "kind": "judge"}]
    with pytest.raises(InputError, match="imported before"):
        tournament.import_votes(con, write(tmp_path, again), actor="t")
    assert db.row_counts(con) == before


def test_a_reviewer_compares_one_answer_against_several_opponents(tmp_path):
    # Issue 11, item 5: labels are unique on (item, run, reviewer), so the second comparison
    # of gpt-4's answer to question 81 by the same reviewer was refused.
    con = build(tmp_path)
    data = [
        {"item_id": "81", "run_a": "gpt-4", "run_b": opponent, "winner": "a", "reviewer": "ana"}
        for opponent in MODELS[1:]
    ]
    result = tournament.import_votes(con, write(tmp_path, data), actor="t")
    assert (result.votes, result.runs, result.reviewers, result.judges) == (5, 6, 1, 0)
    stored = con.execute(
        "SELECT count(*), count(DISTINCT run_a || run_b) FROM pairwise_vote WHERE voter = 'ana'"
    ).fetchone()
    assert stored == (5, 5)


def test_cli_imports_a_tournament_and_the_report_carries_every_pair(demo_copy, tmp_path, capsys):
    copy = demo_copy(1200, "cli.duckdb")
    con = db.connect(str(copy))
    run = dict(con.execute("SELECT role, run_id FROM run").fetchall())
    names = dict(con.execute("SELECT run_id, name FROM run").fetchall())
    unlabelled = "SELECT item_id FROM item WHERE item_id NOT IN (SELECT item_id FROM label)"
    items = [r[0] for r in con.execute(unlabelled + " ORDER BY 1 LIMIT 30").fetchall()]
    con.close()
    # The source run is only ever the baseline in the demo's verdicts; here every pair of the
    # three runs is voted on by a judge and two reviewers.
    pairs = [("source", "target"), ("source", "candidate"), ("target", "candidate")]
    data = [
        {"item_id": item, "run_a": run[a], "run_b": run[b], "winner": winner, voter: name}
        for i, item in enumerate(items)
        for a, b in pairs
        for voter, name, winner in (
            ("judge", "tourney-judge", "a"),
            ("reviewer", "ana", "a" if i % 4 else "tie"),
            ("reviewer", "bo", "a" if i % 5 else "b"),
        )
    ]
    path = write(tmp_path, data, "tournament.csv")
    assert cli.main(["--db", str(copy), "import-pairwise", path]) == 0
    assert "270 pairwise votes imported" in capsys.readouterr().out
    args = ["--db", str(copy), "report", "calibration", "--run", run["source"]]
    assert cli.main([*args, "--resamples", "50", "--metric", "correctness"]) == 0
    report = json.loads(capsys.readouterr().out)["metrics"]
    (entry,) = report["pairwise_tournament"]
    judged = next(c for c in entry["comparisons"] if c["judge"] == "tourney-judge")
    # Per pair: ana ties on items 0, 4, ..., 28 (8 of 30) and agrees on the other 22; bo
    # votes b on items 0, 5, ..., 25 (6 of 30) and agrees on 24. Three pairs.
    pooled = judged["pooled"]
    assert (pooled["with_ties"]["agree"], pooled["with_ties"]["compared"]) == (138, 180)
    assert (pooled["without_ties"]["agree"], pooled["without_ties"]["compared"]) == (138, 156)
    assert pooled["with_ties"]["rate"]["estimate"] == pytest.approx(138 / 180)
    labels = {p["pair"] for p in judged["pairs"]}
    expected = {" vs ".join(names[r] for r in sorted((run[a], run[b]))) for a, b in pairs}
    assert labels == expected


def test_calibration_page_shows_the_tournament_table_by_run_name(page_db):  # noqa: F811
    at = owner_page()
    assert not at.exception
    tables = [d.value for d in at.dataframe if "Comparison" in d.value.columns]
    assert tables, "no pairwise agreement table on the page"
    table = tables[0]
    assert list(table.columns) == ["Comparison", "Runs", "Agreement", "Pairs", "Items", "Figure"]
    assert set(table["Comparison"]) == {
        "demo-pairwise-judge (synthetic) vs reviewers",
        "reviewer vs reviewer",
    }
    assert table["Runs"].iloc[0] == "all pairs" and table["Pairs"].iloc[0] > 100
    named = table["Runs"].iloc[2]
    assert " vs " in named and "run-" not in named  # run names, not run ids


def test_mt_bench_layout_imports_through_the_cli(tmp_path, capsys):
    # tests/data/mt_bench/judgments.jsonl: MT-Bench's field names and spellings, made-up rows
    # (see its README); nested conversation columns are ignored.
    database = tmp_path / "mt.duckdb"
    build(tmp_path).execute(f"ATTACH '{database}' AS disk; COPY FROM DATABASE memory TO disk")
    path = str(DATA / "mt_bench" / "judgments.jsonl")
    assert cli.main(["--db", str(database), "import-pairwise", path]) == 0
    assert "9 pairwise votes imported" in capsys.readouterr().out
    con = db.connect(str(database))
    kinds = dict(
        con.execute("SELECT voter, any_value(voter_kind) FROM pairwise_vote GROUP BY 1").fetchall()
    )
    assert kinds == {
        "expert_0": "reviewer",
        "expert_1": "reviewer",
        "author_2": "reviewer",
        "gpt4_pair": "judge",
    }
    # gpt-4 vs claude-v1 on 81: gpt4_pair says model_b with the pair reversed (gpt-4 wins),
    # expert_0 model_a (gpt-4), expert_1 tie: with ties 1 of 2 agree, without 1 of 1.
    (votes,) = agreement.load(con, con.execute("SELECT min(run_id) FROM run").fetchone()[0])
    judged = agreement.tournament(votes, resamples=50).comparisons[0]
    pair = next(p for p in judged.pairs if set(p.label.split(" vs ")) == {"gpt-4", "claude-v1"})
    assert (pair.with_ties.agree, pair.with_ties.compared) == (1, 2)
    assert (pair.without_ties.agree, pair.without_ties.compared) == (1, 1)


def test_data_page_imports_a_tournament_file(tmp_path, monkeypatch):
    database = tmp_path / "page.duckdb"
    build(tmp_path).execute(f"ATTACH '{database}' AS disk; COPY FROM DATABASE memory TO disk")
    monkeypatch.setenv("SWITCHYARD_DB", str(database))
    monkeypatch.setenv("SWITCHYARD_DEMO", "0")
    at = signed_in("pages/data.py", "owner", ("eval_owner",), 60).run()
    at.text_input(key="data.pairwise.uri").set_value(str(DATA / "mt_bench" / "judgments.jsonl"))
    at.toggle(key="data.pw.tournament").set_value(True)
    next(b for b in at.button if b.label == "Import verdicts").click().run()
    assert not at.exception and not at.error
    assert any("9 pairwise votes imported on mtbench@1" in s.value for s in at.success)


def test_a_verdict_file_refuses_the_judge_vote_a_tournament_holds(tmp_path):
    con = build(tmp_path)
    run = dict(con.execute("SELECT name, run_id FROM run").fetchall())
    tournament.import_votes(con, write(tmp_path, [{**GOOD[0], "judge": "j"}]), actor="t")
    before = db.row_counts(con)
    verdicts = write(tmp_path, [{"item_id": "81", "winner": "baseline", "judge": "j"}], "v.csv")
    with pytest.raises(InputError, match=r"v\.csv, row 1, column 'winner': a verdict"):
        pairwise.import_verdicts(con, verdicts, run["claude-v1"], run["gpt-4"], actor="t")
    assert db.row_counts(con) == before


def test_runs_of_two_dataset_versions_are_refused(tmp_path):
    con = build(tmp_path)
    golden = tmp_path / "other.csv"
    pd.DataFrame(
        {"id": ["81"], "source_prompt": ["another question"], "ground_truth": ["-"]}
    ).to_csv(golden, index=False)
    files.import_dataset(con, str(golden), "other", actor="t")
    answers = tmp_path / "elsewhere.csv"
    pd.DataFrame({"item_id": ["81"], "output": ["an answer"]}).to_csv(answers, index=False)
    files.import_run(
        con, str(answers), runs.RunSpec("other@1", model_id="m", name="elsewhere"), actor="t"
    )
    before = db.row_counts(con)
    path = write(tmp_path, rows({**GOOD[0], "model_b": "elsewhere"}))
    with pytest.raises(
        InputError, match=r"row 5, column 'model_b': run 'elsewhere' answers other@1"
    ):
        tournament.import_votes(con, path, actor="t")
    assert db.row_counts(con) == before


def test_a_repeated_vote_names_the_column_it_came_from(tmp_path):
    # A file with both voter columns: the judge votes in 'judge', the SME in 'reviewer'.
    con = build(tmp_path)
    judged = [{**r, "judge": "gpt4_pair", "reviewer": ""} for r in GOOD]
    by_sme = [{**r, "judge": "", "reviewer": "sme1"} for r in GOOD]
    path = write(tmp_path, judged + by_sme + [by_sme[0]])
    with pytest.raises(InputError, match="row 5, column 'reviewer': duplicate vote"):
        tournament.import_votes(con, path, actor="t")
    path = write(tmp_path, judged + by_sme, "first.csv")
    assert tournament.import_votes(con, path, actor="t").votes == 4
    path = write(tmp_path, by_sme[1:], "again.csv")
    with pytest.raises(InputError, match="row 1, column 'reviewer': this voter's vote"):
        tournament.import_votes(con, path, actor="t")
    path = write(tmp_path, judged, "again.csv")
    with pytest.raises(InputError, match="row 1, column 'judge': this voter's vote"):
        tournament.import_votes(con, path, actor="t")


def test_the_import_summary_counts_in_the_singular_where_one(tmp_path):
    con = build(tmp_path)
    one = [{"item_id": "81", "run_a": "gpt-4", "run_b": "claude-v1", "winner": "a", "judge": "j"}]
    result = tournament.import_votes(con, write(tmp_path, one), actor="t")
    assert result.summary() == (
        "1 pairwise vote imported on mtbench@1: 2 runs, 1 judge, 0 reviewers"
    )
