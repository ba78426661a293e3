"""Prompt versions: by hand, by Bedrock Prompt Optimization, by metaprompt; the Runs page."""

import boto3
import pytest

import cli
from core.errors import InputError, NotFoundError
from core.llm import prompts, runner
from core.store import db
from tests.conftest import app_page, run_jobs

TARGET = "amazon.nova-pro-v1:0"
SOURCE_PROMPT = "You answer questions about 10-K filings.\nBe brief."


@pytest.fixture
def fake(fake_bedrock):
    return fake_bedrock(ttft_s=0.01, total_s=0.03)


@pytest.fixture
def con(demo_con):
    return demo_con(30)


def migration_id(con) -> str:
    return con.execute("SELECT migration_id FROM migration").fetchone()[0]


def test_versions_keep_their_parent_and_diff_line_by_line(con):
    mid = migration_id(con)
    first = prompts.create(
        con, mid, "anthropic.claude-3-5-sonnet-20241022-v2:0", SOURCE_PROMPT, actor="owner"
    )
    second = prompts.create(
        con,
        mid,
        TARGET,
        SOURCE_PROMPT.replace("brief", "brief; cite"),
        actor="owner",
        parent_id=first,
        note="ask for citations",
    )
    assert prompts.get(con, second)["parent_id"] == first
    diff = prompts.diff(con, first, second)
    assert "-Be brief." in diff and "+Be brief; cite" in diff
    table = prompts.versions(con, mid)
    assert table["prompt_version_id"].tolist() == [first, second]
    with pytest.raises(InputError, match="empty"):
        prompts.create(con, mid, TARGET, "   ", actor="owner")
    with pytest.raises(NotFoundError):
        prompts.create(con, mid, TARGET, "x", actor="owner", parent_id="pv-nope")


def test_prompt_optimization_stream_is_read_end_to_end(con, fake):
    mid = migration_id(con)
    source = prompts.create(
        con, mid, "anthropic.claude-3-5-sonnet-20241022-v2:0", SOURCE_PROMPT, actor="owner"
    )
    client = boto3.client("bedrock-agent-runtime", region_name="us-east-1", endpoint_url=fake.url)
    made, analysis = prompts.optimize(con, mid, source, TARGET, actor="owner", client=client)
    assert analysis == ["The prompt lacks an output format."]
    version = prompts.get(con, made)
    assert version["origin"] == "optimizer" and version["parent_id"] == source
    assert version["text"] == fake.behaviour.optimized
    (request,) = [r for r in fake.requests if r.path == "/optimize-prompt"]
    assert request.body == {
        "input": {"textPrompt": {"text": SOURCE_PROMPT}},
        "targetModelId": TARGET,
    }


def test_metaprompt_goes_through_the_judge_model(con, fake):
    fake.behaviour.judge = lambda body: "Answer only from the filing. Reply in one sentence."
    mid = migration_id(con)
    source = prompts.create(
        con, mid, "anthropic.claude-3-5-sonnet-20241022-v2:0", SOURCE_PROMPT, actor="owner"
    )
    client = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=fake.url)
    made = prompts.metaprompt(con, mid, source, TARGET, "judge-model", actor="owner", client=client)
    assert prompts.get(con, made)["text"].startswith("Answer only from the filing")
    (request,) = [r for r in fake.requests if r.path.endswith("/converse")]
    assert request.path == "/model/judge-model/converse"
    assert SOURCE_PROMPT in request.body["messages"][0]["content"][0]["text"]


def test_runs_by_prompt_version_show_quality_latency_and_cost(con, fake):
    mid = migration_id(con)
    version = prompts.create(con, mid, TARGET, "Be exact.", actor="owner")
    config = runner.ModelConfig(TARGET, endpoint_url=fake.url, prompt_version_id=version)
    run_id = runner.create(
        con, con.execute("SELECT dataset_id FROM dataset").fetchone()[0], config, actor="owner"
    )
    runner.execute(con, run_id, config)
    system = [r.body.get("system") for r in fake.requests if r.path.endswith("converse-stream")]
    assert system[0] == [{"text": "Be exact."}]
    table = prompts.runs_by_version(con, mid).set_index("run_id")
    assert table.loc[run_id, "prompt_version"] == version
    assert table.loc[run_id, "outputs"] == 30 and table.loc[run_id, "cost_per_query"] > 0
    assert table.loc[run_id, "ttft_p50_ms"] >= 10
    demo_runs = table[table["prompt_version"] == "(none)"]
    assert len(demo_runs) == 3 and demo_runs["judge_pass_rates"].str.contains("correctness").all()
    shown = prompts.runs_by_version_shown(table.reset_index())
    assert "Run" in shown and "Currency" not in shown and "TTFT p50 (ms)" in shown
    assert shown["Cost per query"].str.startswith("USD ").all()


def test_cli_prompt_commands(demo_copy, tmp_path, fake, capsys):
    path = demo_copy(30, "cli.duckdb")
    con = db.connect(str(path))
    mid = migration_id(con)
    con.close()
    base = ["--db", str(path), "prompt"]
    assert cli.main([*base, "add", "--migration", mid, "--model", TARGET, "--text", "v1"]) == 0
    first = capsys.readouterr().out.strip()
    assert (
        cli.main(
            [
                *base,
                "optimize",
                "--migration",
                mid,
                "--parent",
                first,
                "--model",
                TARGET,
                "--endpoint-url",
                fake.url,
            ]
        )
        == 0
    )
    second = capsys.readouterr().out.strip()
    assert second.startswith("pv-") and second != first
    assert cli.main([*base, "diff", "--parent", first, "--other", second]) == 0
    assert "+You are a precise financial analyst" in capsys.readouterr().out
    assert cli.main([*base, "list", "--migration", mid]) == 0
    listed = capsys.readouterr().out
    assert "Prompt version" in listed and "Cost per query" in listed and "USD 0.0" in listed


# --- the Runs page ----------------------------------------------------------------------------


@pytest.fixture
def page_db(demo_copy, tmp_path, monkeypatch):
    copy = demo_copy(30, "page.duckdb")
    monkeypatch.setenv("SWITCHYARD_DB", str(copy))
    return copy


def owner_page():
    return app_page("pages/runs.py", "owner", "eval_owner")


def test_runs_page_estimates_runs_and_resumes(page_db, fake):
    at = owner_page()
    assert not at.exception
    at.text_input(key="runs.endpoint").input(fake.url)
    next(b for b in at.button if b.label == "Estimate (dry run)").click().run()
    assert any("30 items" in i.value and "Nothing was called" in i.value for i in at.info)
    assert fake.requests == []
    fake.behaviour.fail_when = "the"  # most demo prompts: those items fail mid-stream
    at.text_input(key="runs.endpoint").input(fake.url)
    next(b for b in at.button if b.label == "Run").click().run()
    assert not at.exception
    assert any("queued as job" in s.value for s in at.success)
    assert len(run_jobs(page_db)) == 1  # the app's worker thread, here run by the test
    at.run()
    assert any("failed" in w.value for w in at.warning)  # the job's outcome, under Jobs
    fake.behaviour.fail_when = None
    at.button(key="runs.resume").click().run()
    assert not at.exception
    run_jobs(page_db)
    at.run()
    assert any("0 failed" in s.value for s in at.success)


def test_runs_page_saves_a_prompt_version_and_diffs(page_db):
    at = owner_page()
    at.text_area(key="runs.prompt_text").input("Answer from the filing only.")
    next(b for b in at.button if b.label == "Save version").click().run()
    assert not at.exception
    at.text_area(key="runs.prompt_text").input("Answer from the filing only.\nCite it.")
    next(b for b in at.button if b.label == "Save version").click().run()
    assert not at.exception
    assert "+Cite it." in at.code[0].value


def test_runs_page_creates_a_version_through_prompt_optimization(page_db, fake, monkeypatch):
    # boto3 reads a service's endpoint from AWS_ENDPOINT_URL_<SERVICE>, as in production
    # behind a VPC endpoint; here it is the fake.
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME", fake.url)
    at = owner_page()
    at.text_area(key="runs.prompt_text").input(SOURCE_PROMPT)
    next(b for b in at.button if b.label == "Save version").click().run()
    at.button(key="runs.optimize").click().run()
    assert not at.exception
    assert any("The prompt lacks an output format." in s.value for s in at.success)
    assert [r.path for r in fake.requests] == ["/optimize-prompt"]
    at.run()
    table = next(
        d.value for d in at.dataframe if "Origin" in d.value.columns and "Parent" in d.value.columns
    )
    assert table["Origin"].tolist() == ["manual", "optimizer"]
