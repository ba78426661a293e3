"""Ragas and DeepEval judges on plain boto3, against the fake Bedrock runtime."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import cli
from core.errors import InputError
from core.llm import judges
from core.store import db
from tests.conftest import app_page, plain, run_jobs
from tests.fake_bedrock import judge_reply

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def fake(fake_bedrock):
    return fake_bedrock(judge=judge_reply)


@pytest.fixture
def con(demo_con):
    return demo_con(8)


def target(con) -> str:
    return con.execute("SELECT run_id FROM run WHERE role = 'target'").fetchone()[0]


def plain_score(metric: str, output: str, reference: str, pattern: str | None = None) -> float:
    config = judges.JudgeConfig(pattern=pattern)
    scorer = judges._scorers([metric], config, client=None)[metric]
    item = {"prompt": "q", "context": None, "ground_truth": reference, "output": output}
    return scorer(item).score


def test_non_llm_metrics_match_hand_computed_values():
    assert plain_score("ragas_exact_match", "42 million", "42 million") == 1.0
    assert plain_score("ragas_exact_match", "42 million", "42 millions") == 0.0
    assert plain_score("deepeval_exact_match", "42", "42") == 1.0
    # Levenshtein("kitten", "sitting") = 3 edits over the longer length 7: 1 - 3/7.
    assert plain_score("ragas_string_similarity", "kitten", "sitting") == pytest.approx(4 / 7)
    # ROUGE-L: LCS("the cat sat", "the cat sat down") = 3 words; P = 3/3, R = 3/4;
    # F1 = 2PR / (P + R) = 6/7.
    assert plain_score("ragas_rouge", "the cat sat", "the cat sat down") == pytest.approx(6 / 7)
    # BLEU of a sentence against itself is 1 (sacrebleu's 100, scaled to 0-1).
    sentence = "revenue rose eight percent to four billion dollars in the year"
    assert plain_score("ragas_bleu", sentence, sentence) == pytest.approx(1.0)
    assert plain_score("deepeval_pattern_match", "FY2023", "x", pattern=r"FY\d{4}") == 1.0
    assert plain_score("deepeval_pattern_match", "fiscal 23", "x", pattern=r"FY\d{4}") == 0.0


def test_every_metric_scores_a_run_through_the_judge_model(con, fake):
    run_id = target(con)
    config = judges.JudgeConfig(endpoint_url=fake.url)
    counts = judges.score_run(con, run_id, list(judges.METRICS), config, actor="owner")
    answered = con.execute(
        "SELECT count(*) FROM output WHERE run_id = ? AND error IS NULL", [run_id]
    ).fetchone()[0]
    assert counts == {m: answered for m in judges.METRICS}
    rows = con.execute(
        "SELECT metric, judge, judge_version, count(score), min(threshold) FROM judge_score"
        " WHERE run_id = ? AND judge IN ('ragas', 'deepeval') GROUP BY ALL",
        [run_id],
    ).fetchall()
    assert len(rows) == len(judges.METRICS)
    for metric, judge, version, scored, threshold in rows:
        assert metric.startswith(judge) and scored == answered and threshold == 0.5
        if metric in judges.LLM_METRICS:
            assert version.endswith(config.model_id)
    # The prompts really went through the judge model: each LLM metric asked it something
    # about the answers it scored.
    asked = [r for r in fake.requests if r.path.endswith("/converse")]
    texts = " ".join(r.body["messages"][0]["content"][0]["text"] for r in asked)
    first_output = con.execute(
        "SELECT text FROM output WHERE run_id = ? AND error IS NULL ORDER BY item_id LIMIT 1",
        [run_id],
    ).fetchone()[0]
    assert first_output[:40] in texts
    assert {r.path for r in asked} == {f"/model/{config.model_id}/converse"}
    assert any(r.path.endswith("/invoke") for r in fake.requests)  # embeddings
    explanations = con.execute(
        "SELECT explanation FROM judge_score WHERE run_id = ? AND metric ="
        " 'deepeval_faithfulness' LIMIT 1",
        [run_id],
    ).fetchone()[0]
    assert explanations


def test_the_judge_can_fail_an_answer(con, fake):
    run_id = target(con)
    item_id = con.execute(
        "SELECT item_id FROM output WHERE run_id = ? AND error IS NULL ORDER BY item_id LIMIT 1",
        [run_id],
    ).fetchone()[0]
    con.execute(
        "UPDATE output SET text = 'WRONG: revenue fell' WHERE run_id = ? AND item_id = ?",
        [run_id, item_id],
    )
    metrics = ["ragas_faithfulness", "deepeval_faithfulness", "deepeval_geval_correctness"]
    judges.score_run(con, run_id, metrics, judges.JudgeConfig(endpoint_url=fake.url), actor="owner")
    scores = dict(
        con.execute(
            "SELECT metric, passed FROM judge_score WHERE run_id = ? AND item_id = ?"
            " AND judge <> 'demo-judge'",
            [run_id, item_id],
        ).fetchall()
    )
    assert scores == {m: False for m in metrics}


def test_rescoring_replaces_and_is_audited(con, fake):
    run_id = target(con)
    config = judges.JudgeConfig(endpoint_url=fake.url)
    judges.score_run(con, run_id, ["ragas_exact_match"], config, actor="owner")
    judges.score_run(con, run_id, ["ragas_exact_match"], config, actor="owner")
    rows = con.execute(
        "SELECT count(*), count(DISTINCT item_id) FROM judge_score WHERE run_id = ?"
        " AND metric = 'ragas_exact_match'",
        [run_id],
    ).fetchone()
    assert rows[0] == rows[1]
    audits = con.execute("SELECT count(*) FROM audit WHERE action = 'score_run'").fetchone()
    assert audits[0] == 2


def test_bad_requests_are_refused_before_any_call(con, fake):
    before = db.row_counts(con)
    with pytest.raises(InputError, match="unknown metrics"):
        judges.score_run(con, target(con), ["ragas_vibes"], judges.JudgeConfig(), actor="o")
    with pytest.raises(InputError, match="not valid"):
        judges.score_run(
            con,
            target(con),
            ["deepeval_pattern_match"],
            judges.JudgeConfig(pattern="(unclosed"),
            actor="o",
        )
    assert db.row_counts(con) == before and fake.requests == []


def test_judge_libraries_load_only_when_judging():
    code = (
        "import sys, cli, core.analysis.compare, core.analysis.signoff, core.llm.runner,"
        " core.llm.judges;"
        "print(sorted(m for m in ('ragas', 'deepeval') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_cli_judge(demo_copy, fake, capsys):
    path = demo_copy(8, "cli.duckdb")
    con = db.connect(str(path))
    run_id = target(con)
    con.close()
    code = cli.main(
        [
            "--db",
            str(path),
            "judge",
            "--run",
            run_id,
            "--metrics",
            "ragas_rouge,deepeval_geval_correctness",
            "--endpoint-url",
            fake.url,
            "--rubric",
            "Is the number right?",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "ragas_rouge" in out and "deepeval_geval_correctness" in out
    rubric_seen = [r for r in fake.requests if "Is the number right?" in json.dumps(r.body)]
    assert rubric_seen


def test_runs_page_scores_a_run(demo_page_db, fake):
    path = demo_page_db(8)
    at = app_page("pages/runs.py", "owner", "eval_owner")
    at.multiselect(key="runs.j_metrics").set_value(["ragas_rouge", "deepeval_faithfulness"])
    at.text_input(key="runs.j_endpoint").input(fake.url)
    next(b for b in at.button if b.label == "Score").click().run()
    assert not at.exception
    assert any("Scoring queued as job" in s.value for s in at.success)
    assert len(run_jobs(path)) == 1
    at.run()
    assert any(
        "ragas_rouge" in plain(s.value) and "deepeval_faithfulness" in plain(s.value)
        for s in at.success
    )


def test_an_openai_compatible_judge(con, fake, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-judge")
    run_id = target(con)
    config = judges.JudgeConfig(
        model_id="gpt-judge",
        embedding_model_id="embed-small",
        provider="openai",
        endpoint_url=fake.url + "/v1",
    )
    metrics = ["ragas_faithfulness", "ragas_answer_relevancy", "deepeval_geval_correctness"]
    counts = judges.score_run(con, run_id, metrics, config, actor="owner")
    assert all(n > 0 for n in counts.values())
    paths = {r.path for r in fake.requests}
    assert paths == {"/v1/chat/completions", "/v1/embeddings"}
    assert not any("/model/" in p for p in paths)  # nothing went to Bedrock


def test_items_are_judged_concurrently_up_to_the_limit(con, fake):
    import threading
    import time

    in_flight, peak, lock = [0], [0], threading.Lock()

    def slow_judge(body):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1
        return judge_reply(body)

    fake.behaviour.judge = slow_judge
    config = judges.JudgeConfig(endpoint_url=fake.url, concurrency=3)
    counts = judges.score_run(
        con, target(con), ["deepeval_geval_correctness"], config, actor="owner"
    )
    assert counts["deepeval_geval_correctness"] > 3
    assert peak[0] == 3  # never more than asked for, and more than one at a time
