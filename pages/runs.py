"""Runs: run a model over the migration's frozen dataset (Bedrock or an OpenAI-compatible
endpoint), resume an interrupted run, keep prompt versions and see runs by version."""

import streamlit as st

from core import judges, prompts, runner, runs, settings
from core.errors import SwitchyardError
from ui import auth, choosers, store

user = auth.require("eval_owner", "admin")
con = store.cursor()
st.title("Runs")

chosen = choosers.migration_or_stop(con, "runs.migration")
migration_id, dataset_id = chosen["migration_id"], chosen["dataset_id"]
versions = prompts.versions(con, migration_id)
version_ids = [None, *versions["prompt_version_id"].tolist()]


def version_label(version_id: str | None) -> str:
    if version_id is None:
        return "(no system prompt)"
    row = versions[versions["prompt_version_id"] == version_id].iloc[0]
    return f"{version_id} · {row['origin']} · {row['model_id']}"


run_tab, resume_tab, judge_tab, prompt_tab = st.tabs(
    ["Run a model", "Resume a run", "Score a run", "Prompt versions"]
)

with run_tab:
    with st.form("runs.new"):
        a, b = st.columns(2)
        model_id = a.text_input("Model id", "amazon.nova-pro-v1:0", key="runs.model")
        provider = b.selectbox("Provider", ["bedrock", "openai"], key="runs.provider")
        endpoint = a.text_input(
            "Endpoint URL (optional for Bedrock; the base URL for OpenAI-compatible)",
            key="runs.endpoint",
        )
        region = b.text_input("Region", "us-east-1", key="runs.region")
        temperature = a.number_input("Temperature", 0.0, 1.0, 0.0, 0.1, key="runs.temperature")
        top_p = b.number_input("top_p", 0.01, 1.0, 0.9, 0.05, key="runs.top_p")
        max_tokens = a.number_input("Max tokens", 1, 64_000, 512, key="runs.max_tokens")
        concurrency = b.number_input(
            "Concurrency", 1, 256, int(settings.get("run_concurrency")), key="runs.concurrency"
        )
        version = a.selectbox(
            "Prompt version", version_ids, format_func=version_label, key="runs.version"
        )
        role = b.selectbox("Role", ["candidate", "target", "source"], key="runs.role")
        name = a.text_input("Run name (optional)", key="runs.name")
        timeout = b.number_input("Timeout per call (s)", 1.0, 600.0, 60.0, key="runs.timeout")
        estimate = st.form_submit_button("Estimate (dry run)")
        start = st.form_submit_button("Run", type="primary")
    config = runner.ModelConfig(
        model_id.strip(),
        provider=provider,
        region=region.strip(),
        temperature=temperature,
        top_p=top_p,
        max_tokens=int(max_tokens),
        prompt_version_id=version,
        endpoint_url=endpoint.strip() or None,
        concurrency=int(concurrency),
        timeout_s=timeout,
    )
    try:
        if estimate:
            guess = runner.dry_run(con, dataset_id, config)
            cost = (
                f"{guess['cost']:.4f} {guess['currency']}"
                if guess["cost"] is not None
                else "unknown (no price for this model: add one on the Compare page)"
            )
            st.info(
                f"{guess['items']} items, about {guess['input_tokens']:,} input and "
                f"{guess['output_tokens']:,} output tokens: {cost}. Nothing was called."
            )
        if start:
            run_id = runner.create(
                con, dataset_id, config, actor=user.username, name=name.strip() or None, role=role
            )
            bar = st.progress(0.0, "starting")
            result = runner.execute(con, run_id, config, progress=lambda f, m: bar.progress(f, m))
            (st.success if not result.failed else st.warning)(result.summary())
            for line in result.errors[:10]:
                st.caption(line)
    except SwitchyardError as exc:
        st.error(str(exc))

with resume_tab:
    unfinished = runner.unfinished(con, dataset_id)
    if unfinished.empty:
        st.info("Every run of this dataset is complete.")
    else:
        st.dataframe(unfinished, hide_index=True)
        run_id = st.selectbox("Run", unfinished["run_id"].tolist(), key="runs.resume_id")
        if st.button("Resume", key="runs.resume"):
            try:
                config = runner.config_of(con, run_id)
                bar = st.progress(0.0, "resuming")
                result = runner.execute(
                    con, run_id, config, progress=lambda f, m: bar.progress(f, m)
                )
                (st.success if not result.failed else st.warning)(result.summary())
            except SwitchyardError as exc:
                st.error(str(exc))

with judge_tab:
    dataset_runs = runs.list_runs(con, dataset_id)
    with st.form("runs.judge"):
        names = {r["run_id"]: f"{r['name']} ({r['role']})" for r in dataset_runs}
        judged_run = st.selectbox("Run", list(names), format_func=names.get, key="runs.j_run")
        chosen_metrics = st.multiselect(
            "Metrics",
            list(judges.METRICS),
            ["ragas_faithfulness", "deepeval_geval_correctness"],
            format_func=lambda m: f"{m} — {judges.METRICS[m]}",
            key="runs.j_metrics",
        )
        a, b = st.columns(2)
        judge_model = a.text_input("Judge model", judges.JudgeConfig.model_id, key="runs.j_model")
        judge_endpoint = b.text_input(
            "Endpoint URL (optional for Bedrock; the base URL for OpenAI-compatible)",
            key="runs.j_endpoint",
        )
        judge_provider = a.selectbox("Judge provider", ["bedrock", "openai"], key="runs.j_provider")
        threshold = a.number_input("Pass threshold", 0.0, 1.0, 0.5, 0.05, key="runs.j_threshold")
        pattern = b.text_input("Pattern (pattern match)", key="runs.j_pattern")
        rubric = st.text_area(
            "GEval correctness rubric", judges.DEFAULT_RUBRIC, key="runs.j_rubric"
        )
        score = st.form_submit_button("Score")
    if score:
        config = judges.JudgeConfig(
            model_id=judge_model.strip(),
            endpoint_url=judge_endpoint.strip() or None,
            threshold=threshold,
            rubric=rubric,
            pattern=pattern or None,
        )
        bar = st.progress(0.0, "starting")
        try:
            counts = judges.score_run(
                con,
                judged_run,
                chosen_metrics,
                config,
                actor=user.username,
                progress=lambda f, m: bar.progress(f, m),
            )
            st.success("Scored: " + ", ".join(f"{m} ({n} items)" for m, n in counts.items()))
        except SwitchyardError as exc:
            st.error(str(exc))
        except Exception as exc:  # boto3: no credentials, no access, no network
            st.error(f"The judge call failed: {type(exc).__name__}: {exc}")

with prompt_tab:
    st.markdown("**Runs by prompt version** (quality, latency, cost)")
    st.dataframe(
        prompts.runs_by_version(con, migration_id).drop(columns=["run_id"]), hide_index=True
    )
    st.dataframe(versions.drop(columns=["text"]), hide_index=True)
    with st.form("runs.prompt"):
        text = st.text_area("New prompt version", key="runs.prompt_text", height=160)
        a, b = st.columns(2)
        target_model = a.text_input("For model", "amazon.nova-pro-v1:0", key="runs.pv_model")
        parent = b.selectbox(
            "Derived from", version_ids, format_func=version_label, key="runs.pv_parent"
        )
        note = st.text_input("Note (what changed, why)", key="runs.pv_note")
        if st.form_submit_button("Save version"):
            try:
                made = prompts.create(
                    con,
                    migration_id,
                    target_model.strip(),
                    text,
                    actor=user.username,
                    parent_id=parent,
                    note=note or None,
                )
                st.success(f"Saved {made}.")
                st.rerun()
            except SwitchyardError as exc:
                st.error(str(exc))
    if len(versions):
        a, b = st.columns(2)
        base = a.selectbox(
            "Optimize or rewrite", versions["prompt_version_id"].tolist(), key="runs.pv_base"
        )
        judge_model = b.text_input(
            "Judge model (metaprompt)",
            "anthropic.claude-3-5-sonnet-20241022-v2:0",
            key="runs.pv_judge",
        )
        left, right = st.columns(2)
        try:
            if left.button("Bedrock Prompt Optimization", key="runs.optimize"):
                made, analysis = prompts.optimize(
                    con, migration_id, base, target_model.strip(), actor=user.username
                )
                st.success(f"Saved {made}. " + " ".join(analysis))
            if right.button("Rewrite with a metaprompt", key="runs.metaprompt"):
                made = prompts.metaprompt(
                    con,
                    migration_id,
                    base,
                    target_model.strip(),
                    judge_model.strip(),
                    actor=user.username,
                )
                st.success(f"Saved {made}.")
        except SwitchyardError as exc:
            st.error(str(exc))
        except Exception as exc:  # boto3: no credentials, no access, no network
            st.error(f"The Bedrock call failed: {type(exc).__name__}: {exc}")
    if len(versions) >= 2:
        a, b = st.columns(2)
        old = a.selectbox("Diff from", versions["prompt_version_id"].tolist(), key="runs.d_old")
        new = b.selectbox(
            "to", versions["prompt_version_id"].tolist(), index=len(versions) - 1, key="runs.d_new"
        )
        st.code(prompts.diff(con, old, new) or "(identical)", language="diff")
