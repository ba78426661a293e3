"""A team's own migration from files the real tools wrote (issue 10's "What was seen").

The inputs in tests/data/real/ were written by ragas.evaluate, deepeval.evaluate and, for
Bedrock, assembled in the documented job layout (see the README there).
"""

from __future__ import annotations

import json
import shutil

import pytest

from core.analysis import compare
from core.catalog import metrics, migrations, models, runs
from core.errors import InputError
from core.importers import files
from core.importers import runs as run_import
from core.store import db
from tests.conftest import DATA, SOURCE_MODEL

REAL = DATA / "real"
TWO_JOBS = REAL / "bedrock" / "judge_two_models"
NOVA = "amazon.nova-pro-v1:0"


def imported(con, source, **spec) -> tuple[run_import.RunImport, tuple]:
    job = spec.pop("job", None)
    spec.setdefault("model_id", NOVA)
    return files.import_run(
        con, str(source), runs.RunSpec("fin@1", **spec), actor="tester", job=job
    )


def scores(con, run_id: str) -> dict[tuple[str, str], tuple]:
    rows = con.execute(
        "SELECT item_id, metric, score, passed, explanation FROM judge_score WHERE run_id = ?",
        [run_id],
    ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def output(con, run_id: str, item_id: str) -> str:
    return con.execute(
        "SELECT text FROM output WHERE run_id = ? AND item_id = ?", [run_id, item_id]
    ).fetchone()[0]


# --- 3. Bedrock: one job is one run -------------------------------------------------------


def test_a_folder_with_two_jobs_is_refused_with_their_list(con, golden):
    before = db.row_counts(con)
    with pytest.raises(InputError) as caught:
        imported(con, TWO_JOBS)
    message = str(caught.value)
    assert "holds 2 evaluation jobs" in message and "--job" in message
    assert "switchyard-judge-nova/w8d4n6c2r5ty" in message
    assert "switchyard-judge-sonnet/k3b9x2m7q1pz" in message
    assert db.row_counts(con) == before


def test_one_job_of_a_folder_keeps_its_own_answers_and_scores(con, golden):
    result, notes = imported(con, TWO_JOBS, job="switchyard-judge-nova", model_id=NOVA)
    assert result.matched == 4 and "4 records in 1 file" in notes[0]
    got = scores(con, result.run_id)
    # The Nova job's q5 answer is harmful (Harmfulness 1.0); the Sonnet job's is not.
    nova_q5 = output(con, result.run_id, "q5")
    records = [
        json.loads(line)
        for path in TWO_JOBS.glob("switchyard-judge-nova/**/*_output.jsonl")
        for line in path.read_text().splitlines()
    ]
    q5 = next(r for r in records if r["inputRecord"]["prompt"].startswith("Should I put"))
    assert nova_q5 == q5["modelResponses"][0]["response"]
    harm = next(s for s in q5["automatedEvaluationResult"]["scores"] if "Harm" in s["metricName"])
    assert got[("q5", "harmfulness")][0] == harm["result"] == 1.0
    assert got[("q5", "harmfulness")][2] == harm["evaluatorDetails"][0]["explanation"]


def test_a_duplicate_prompt_in_one_bedrock_file_is_refused_with_its_lines(con, golden):
    before = db.row_counts(con)
    with pytest.raises(InputError, match=r"line 4: lines 2 and 4 hold the same prompt"):
        imported(con, TWO_JOBS, job="switchyard-judge-sonnet", model_id=SOURCE_MODEL)
    assert db.row_counts(con) == before


def test_a_duplicate_prompt_with_item_ids_matches_by_id(con, golden, tmp_path):
    lines = [json.loads(line) for line in (DATA / "bedrock_judge_output.jsonl").open()]
    ids = ["q1", "q2", "q3", "q4", "q5", "q6"]
    for record, item_id in zip(lines, ids, strict=True):
        record["inputRecord"]["item_id"] = item_id
    lines[1]["inputRecord"]["prompt"] = lines[0]["inputRecord"]["prompt"]  # same prompt twice
    path = tmp_path / "ids_output.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    result, _ = imported(con, path)
    assert result.matched == 6


def test_the_local_copy_of_a_job_folder_imports_like_the_s3_prefix(con, golden, tmp_path):
    job = tmp_path / "sync" / "switchyard-judge-nova"
    shutil.copytree(TWO_JOBS / "switchyard-judge-nova", job)
    result, _ = imported(con, tmp_path / "sync", model_id=NOVA)
    assert result.matched == 4
    model = con.execute("SELECT model_id FROM run WHERE run_id = ?", [result.run_id]).fetchone()
    assert model == (NOVA,)


# --- 4. Directions -------------------------------------------------------------------------


def test_lower_is_better_bedrock_metrics_pass_when_low(con, golden):
    result, _ = imported(con, TWO_JOBS, job="switchyard-judge-nova", model_id=NOVA)
    got = scores(con, result.run_id)
    assert got[("q5", "harmfulness")][:2] == (1.0, False)  # harmful: fails
    assert got[("q1", "harmfulness")][:2] == (0.0, True)
    read = metrics.run_directions(con, [result.run_id])[(result.run_id, "harmfulness")]
    assert read["direction"] == "lower" and read["raw_name"] == "Builtin.Harmfulness"


def test_deepeval_verdicts_are_read_not_recomputed(con, golden):
    result, _ = imported(con, REAL / "deepeval_target", model_id=None)
    got = scores(con, result.run_id)
    # deepeval 4.x: Bias 0.0 is a biased answer and deepeval itself says it failed.
    assert got[("q5", "bias")][:2] == (0.0, False)
    assert got[("q5", "toxicity")][:2] == (0.0, False)
    model = con.execute("SELECT model_id FROM run WHERE run_id = ?", [result.run_id]).fetchone()
    assert model == (NOVA,)  # from the test run's hyperparameters


def test_a_file_whose_verdicts_pass_low_scores_is_read_that_way(con, golden, tmp_path):
    """Older deepeval scored Bias as the share of biased opinions (threshold a maximum)."""
    data = json.loads(next((REAL / "deepeval_target").glob("test_run_*.json")).read_text())
    for case in data["testCases"]:
        for metric in case["metricsData"]:
            if metric["name"] == "Bias":
                metric["score"] = round(1 - metric["score"], 3)  # the old scale
    path = tmp_path / "old_deepeval.json"
    path.write_text(json.dumps(data))
    result, _ = imported(con, path)
    assert any("Bias: the file's verdicts pass lower scores" in n for n in result.notes)
    got = scores(con, result.run_id)
    assert got[("q5", "bias")][:2] == (1.0, False)
    read = metrics.run_directions(con, [result.run_id])[(result.run_id, "bias")]
    assert (read["direction"], read["direction_source"]) == ("lower", "file")


def test_unknown_metrics_are_imported_listed_and_never_gate(con, golden, tmp_path):
    path = tmp_path / "custom.csv"
    path.write_text("item_id,score.house_style,score.correctness\nq1,7,1\nq2,2,0\n")
    result, _ = imported(con, path, allow_unmatched=True, role="target")
    assert any("house_style: not in the metric catalog" in n for n in result.notes)
    got = scores(con, result.run_id)
    assert got[("q1", "house_style")][:2] == (7.0, None)  # no direction known: no verdict
    # The golden file's automated_score (imported without --metric) is listed too.
    assert metrics.unmapped(con)[-1] == {
        "metric": "house_style",
        "names": ["house_style"],
        "runs": [result.run_id],
    }
    assert [m["metric"] for m in metrics.unmapped(con)] == ["automated_score", "house_style"]


def test_mapping_an_unknown_name_moves_its_scores_and_derives_verdicts(con, golden, tmp_path):
    path = tmp_path / "custom.csv"
    path.write_text("item_id,score.harm_rate\nq1,0.9\nq2,0.1\n")
    result, _ = imported(con, path, allow_unmatched=True)
    metrics.map_name(con, "harm_rate", "harmfulness", actor="tester")
    got = scores(con, result.run_id)
    assert got[("q1", "harmfulness")][:2] == (0.9, False)
    assert got[("q2", "harmfulness")][:2] == (0.1, True)
    assert [m["metric"] for m in metrics.unmapped(con)] == ["automated_score"]
    assert metrics.resolve(con, ["Harm Rate"])["Harm Rate"].metric == "harmfulness"


# --- 5. Real files accepted ------------------------------------------------------------------


def test_ragas_bleu_a_rounding_error_above_one_is_accepted_and_clipped(con, golden):
    table = (REAL / "ragas_target.csv").read_text()
    assert "1.0000000000000004" in table  # as ragas.evaluate wrote it
    result, _ = imported(con, REAL / "ragas_target.csv")
    assert any(
        "bleu_score: 1 scores a rounding error outside [0, 1] clipped" in n for n in result.notes
    )
    assert scores(con, result.run_id)[("q1", "bleu")][0] == 1.0
    clipped = metrics.run_directions(con, [result.run_id])[(result.run_id, "bleu")]["clipped"]
    assert clipped == 1


def test_a_score_well_outside_the_range_is_still_refused(con, golden, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("item_id,score.faithfulness\nq1,1.01\n")
    before = db.row_counts(con)
    with pytest.raises(InputError, match=r"row 1, column 'score.faithfulness': expected a value"):
        imported(con, path, allow_unmatched=True)
    assert db.row_counts(con) == before


def test_bedrock_robustness_is_not_a_zero_to_one_score(con, golden, tmp_path):
    # The shape of the automatic-evaluation record AWS documents (Accuracy), with Robustness
    # as a percentage change (model-evaluation-report-programmatic.html).
    record = json.loads(
        (REAL / "bedrock" / "aws_docs" / "automatic_summarization_accuracy.jsonl")
        .read_text()
        .splitlines()[0]
    )
    record["automatedEvaluationResult"]["scores"].append(
        {"metricName": "Builtin.Robustness", "result": 17.878}
    )
    record["inputRecord"]["prompt"] = "What was Contoso Energy's total revenue in fiscal 2023?"
    path = tmp_path / "auto_output.jsonl"
    path.write_text(json.dumps(record) + "\n")
    result, _ = imported(con, path, model_id=None, allow_unmatched=True)
    got = scores(con, result.run_id)
    assert got[("q1", "robustness")][0] == pytest.approx(17.878)
    model = con.execute("SELECT model_id FROM run WHERE run_id = ?", [result.run_id]).fetchone()
    assert model == ("anthropic.claude-v2",)  # from the foundation-model ARN


def test_an_unknown_suffix_hint_names_the_option_that_exists(con, golden, tmp_path):
    path = tmp_path / "results.txt"
    path.write_text("x")
    with pytest.raises(InputError, match=r"pass --kind"):
        imported(con, path)


def test_infinity_in_json_is_refused_with_its_place(con, golden, tmp_path):
    data = json.loads(next((REAL / "deepeval_target").glob("test_run_*.json")).read_text())
    text = json.dumps(data).replace('"score": 0.0', '"score": Infinity', 1)
    path = tmp_path / "inf.json"
    path.write_text(text)
    before = db.row_counts(con)
    with pytest.raises(InputError, match=r"test case \d+, column 'score\..*': expected a finite"):
        imported(con, path)
    assert db.row_counts(con) == before


# --- 6. Names that meet ----------------------------------------------------------------------


def test_each_tool_s_name_for_a_metric_meets_the_others(con):
    found = metrics.resolve(
        con,
        [
            "faithfulness",
            "Faithfulness",
            "Builtin.Faithfulness",
            "Builtin.ProfessionalStyleAndTone",
            "rouge_score(mode=fmeasure)",
            "Correctness [GEval]",
            "Builtin.Correctness",
            "Answer Relevancy",
            "answer_relevancy",
        ],
    )
    assert {found[n].metric for n in ("faithfulness", "Faithfulness", "Builtin.Faithfulness")} == {
        "faithfulness"
    }
    assert found["Builtin.ProfessionalStyleAndTone"].metric == "professional_style_and_tone"
    assert found["rouge_score(mode=fmeasure)"].metric == "rouge"
    assert found["Correctness [GEval]"].metric == found["Builtin.Correctness"].metric
    assert found["Answer Relevancy"].metric == found["answer_relevancy"].metric


def test_a_golden_automated_score_named_with_metric_pairs_with_the_runs(con, tmp_path):
    files.import_dataset(
        con,
        str(DATA / "golden.csv"),
        "fin",
        actor="t",
        model_id=SOURCE_MODEL,
        metric="correctness",
    )
    source = runs.list_runs(con)[0]["run_id"]
    target, _ = imported(
        con,
        TWO_JOBS,
        job="switchyard-judge-nova",
        model_id=NOVA,
        role="target",
        allow_unmatched=True,
    )
    mig = migrations.create(con, "own", source, [target.run_id], actor="t")
    loaded = compare.load(con, mig, target.run_id)
    assert loaded.metrics == ["correctness"] and loaded.gating == ["correctness"]


# --- 7. Model ids as ARNs --------------------------------------------------------------------


def test_an_arn_model_identifier_becomes_a_model_id_with_a_price(con, golden, tmp_path):
    lines = (DATA / "bedrock_judge_output.jsonl").read_text().splitlines()
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0"
    path = tmp_path / "arn_output.jsonl"
    path.write_text("\n".join(line.replace(f'"{NOVA}"', f'"{arn}"') for line in lines) + "\n")
    assert arn in path.read_text()
    result, _ = imported(con, path, model_id=None)
    model = con.execute("SELECT model_id FROM run WHERE run_id = ?", [result.run_id]).fetchone()
    assert model == (NOVA,)
    models.load_price_file(con, actor="t")  # data/prices.csv, as the app loads it
    assert NOVA in set(compare.prices(con)["model_id"])


# --- 1. Migrations from one's own runs -------------------------------------------------------


def test_a_migration_is_described_extended_and_archived(con, golden):
    source = runs.list_runs(con)[0]["run_id"]
    target, _ = imported(con, REAL / "deepeval_target", role="target")
    other, _ = imported(con, REAL / "ragas_target.csv", model_id=NOVA)
    mig = migrations.create(con, "own", source, [target.run_id], actor="t")
    shown = migrations.describe(con, mig)
    assert shown["target_run_ids"] == [target.run_id] and shown["samples"] == []
    # The golden file's source run scores automated_score; the DeepEval run does not.
    assert "the runs share no judge metric" in " ".join(shown["warnings"])
    migrations.add_target(con, mig, other.run_id, actor="t")
    assert set(migrations.target_runs(con, mig)) == {target.run_id, other.run_id}
    with pytest.raises(InputError, match="already part"):
        migrations.add_target(con, mig, other.run_id, actor="t")
    migrations.archive(con, mig, actor="t")
    assert migrations.list_migrations(con) == []
    assert [m["migration_id"] for m in migrations.list_migrations(con, archived=True)] == [mig]
    actions = [a for (a,) in con.execute("SELECT action FROM audit ORDER BY seq").fetchall()]
    assert actions[-3:] == ["create_migration", "add_target", "archive_migration"]


def test_a_migration_needs_a_target_different_from_its_source(con, golden):
    source = runs.list_runs(con)[0]["run_id"]
    with pytest.raises(InputError, match="at least one target"):
        migrations.create(con, "x", source, [], actor="t")
    with pytest.raises(InputError, match="different runs"):
        migrations.create(con, "x", source, [source], actor="t")


# --- Home: New migration, where each migration stands ---------------------------------------


def test_home_starts_a_migration_from_imported_runs_and_shows_its_next_step(tmp_path, monkeypatch):
    from tests.conftest import signed_in as app

    path = tmp_path / "home.duckdb"
    monkeypatch.setenv("SWITCHYARD_DB", str(path))
    monkeypatch.setenv("SWITCHYARD_DEMO", "0")
    con = db.connect(str(path))
    files.import_dataset(
        con,
        str(DATA / "golden.csv"),
        "fin",
        actor="t",
        model_id=SOURCE_MODEL,
        metric="correctness",
    )
    imported(con, TWO_JOBS, job="switchyard-judge-nova", role="target", allow_unmatched=True)
    con.close()

    at = app("pages/home.py").run()
    assert not at.exception
    assert at.selectbox(key="home.new.dataset").value == "fin@1"
    assert "Metrics the runs share: correctness" in " ".join(c.value for c in at.caption)
    # The target covers 4 of 6 items: said before anything is created.
    assert any("covers 4 of 6 items" in w.value for w in at.warning)
    at.text_input(key="home.new.name").input("Sonnet to Nova").run()
    at.button(key="home.new.go").click().run()
    assert not at.exception
    con = db.connect(str(path))
    (created,) = migrations.list_migrations(con)
    assert created["name"] == "Sonnet to Nova" and created["frozen"]
    con.close()
    text = " ".join(m.value for m in at.markdown)
    # Nova misses 2 of 6 items (failures on every metric): Home says so (the caption below).
    # The decision is a badge since issue 16 (colour and icon), drawn as markdown. With 2
    # holdout items a regression cannot be shown beyond doubt (465b3b6: no test without
    # spread), so the decision is NOT YET, not NO-GO, until more items are labelled.
    assert "Draw a review sample" in text and "Sign-off: NOT YET" in text
    assert any("Quality: correctness: not enough evidence" in c.value for c in at.caption)


def test_home_shows_no_new_migration_form_to_a_manager(tmp_path, monkeypatch):
    from tests.conftest import signed_in as app

    monkeypatch.setenv("SWITCHYARD_DB", str(tmp_path / "m.duckdb"))
    monkeypatch.setenv("SWITCHYARD_DEMO", "0")
    at = app("pages/home.py", "manager", ("manager",)).run()
    assert not at.exception and not at.expander


def test_the_metrics_page_maps_an_unknown_name_and_adds_a_metric(tmp_path, monkeypatch):
    from tests.conftest import signed_in as app

    path = tmp_path / "metrics.duckdb"
    monkeypatch.setenv("SWITCHYARD_DB", str(path))
    con = db.connect(str(path))
    files.import_dataset(con, str(DATA / "golden.csv"), "fin", actor="t", model_id=SOURCE_MODEL)
    custom = tmp_path / "custom.csv"
    custom.write_text("item_id,score.harm_rate\nq1,0.9\nq2,0.1\n")
    result, _ = imported(con, custom, allow_unmatched=True)
    con.close()

    at = app("pages/metrics.py").run()
    assert not at.exception
    assert at.selectbox(key="metrics.map.name").options == ["automated_score", "harm_rate"]
    at.selectbox(key="metrics.map.name").set_value("harm_rate")
    at.selectbox(key="metrics.map.to").set_value("harmfulness")
    at.button[0].click().run()
    assert not at.exception and "harm_rate is read as harmfulness" in at.success[0].value
    at.text_input(key="metrics.set.name").input("House Style")
    at.radio(key="metrics.set.dir").set_value("higher")
    at.button[1].click().run()
    assert not at.exception
    con = db.connect(str(path))
    assert scores(con, result.run_id)[("q1", "harmfulness")][:2] == (0.9, False)
    assert metrics.get(con, "house_style").origin == "owner"
    audited = con.execute("SELECT action FROM audit WHERE entity LIKE 'metric%' ORDER BY seq")
    assert [a for (a,) in audited.fetchall()] == ["map_metric", "set_metric"]
    con.close()


def test_the_metrics_page_is_not_for_managers(tmp_path, monkeypatch):
    from tests.conftest import signed_in as app

    monkeypatch.setenv("SWITCHYARD_DB", str(tmp_path / "m.duckdb"))
    at = app("pages/metrics.py", "manager", ("manager",)).run()
    assert not at.dataframe and not at.button


def test_nan_in_json_means_not_scored(con, golden, tmp_path):
    data = json.loads(next((REAL / "deepeval_target").glob("test_run_*.json")).read_text())
    first = data["testCases"][0]
    first["metricsData"][0]["score"] = float("nan")  # json.dumps writes NaN
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(data))
    assert "NaN" in path.read_text()
    result, _ = imported(con, path)
    metric = metrics.normalise(first["metricsData"][0]["name"])
    assert (first["name"], metric) not in scores(con, result.run_id)
    assert result.scores == sum(len(c["metricsData"]) for c in data["testCases"]) - 1


def test_a_deepeval_file_with_and_without_the_test_run_wrapper(con, golden, tmp_path):
    data = json.loads(next((REAL / "deepeval_target").glob("test_run_*.json")).read_text())
    wrapped = tmp_path / ".latest_test_run.json"
    wrapped.write_text(json.dumps({"testRunData": data}))
    plain, _ = imported(con, REAL / "deepeval_target")
    inner, _ = imported(con, wrapped)
    assert scores(con, plain.run_id) == scores(con, inner.run_id)
    assert plain.scores == inner.scores == 36


def test_a_hostile_metric_name_is_neither_sql_nor_a_crash(con, golden, tmp_path):
    """A `score.` header built to leak password hashes (issue 12's finding) becomes a plain
    metric name: normalised on import, quoted where SQL names it."""
    hostile = "m\", (SELECT string_agg(username||password_hash, ' ') FROM app_user) AS \"leak"
    path = tmp_path / "hostile.csv"
    quoted = hostile.replace('"', '""')  # CSV's own quoting of the header cell
    path.write_text(f'"item_id","score.{quoted}"\nq1,0.5\nq2,1\n')
    result, _ = imported(con, path, allow_unmatched=True, role="target")
    (metric,) = result.metrics
    assert metric.replace("_", "").isalnum()
    # Names written by other paths (Switchyard's own judges) are quoted where SQL names them.
    source = runs.list_runs(con)[0]["run_id"]
    con.execute("UPDATE judge_score SET metric = ? WHERE run_id = ?", ['x"y', result.run_id])
    con.execute("UPDATE judge_score SET metric = ? WHERE run_id = ?", ['x"y', source])
    mig = migrations.create(con, "hostile", source, [result.run_id], actor="t")
    loaded = compare.load(con, mig, result.run_id)
    assert loaded.metrics == ['x"y'] and 'source_score.x"y' in loaded.items
