"""The Runs page's parts: the model form, the judge and Bedrock evaluation forms (each queues
a job) and the prompt-version panel."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from core.catalog import runs
from core.formatting import count, money
from core.jobs import kinds
from core.llm import batch, bedrock_eval, judges, prompts, runner
from core.store import settings
from core.types import DEFAULT_REGION, PROVIDERS
from ui import present
from ui.errors import plainly

ENDPOINT_HELP = "Endpoint URL (optional for Bedrock; the base URL for OpenAI-compatible)"


def model_form(versions: list, version_label: Callable) -> tuple[runner.ModelConfig, dict]:
    """The run configuration and the form's other answers (name, role, which button)."""
    with st.form("runs.new"):
        a, b = st.columns(2)
        model_id = a.text_input("Model id", "amazon.nova-pro-v1:0", key="runs.model")
        provider = b.selectbox("Provider", PROVIDERS, key="runs.provider")
        endpoint = a.text_input(ENDPOINT_HELP, key="runs.endpoint")
        region = b.text_input("Region", DEFAULT_REGION, key="runs.region")
        temperature = a.number_input("Temperature", 0.0, 1.0, 0.0, 0.1, key="runs.temperature")
        top_p = b.number_input("top_p", 0.01, 1.0, 0.9, 0.05, key="runs.top_p")
        max_tokens = a.number_input("Max tokens", 1, 64_000, 512, key="runs.max_tokens")
        concurrency = b.number_input(
            "Concurrency", 1, 256, int(settings.get("run_concurrency")), key="runs.concurrency"
        )
        version = a.selectbox(
            "Prompt version", versions, format_func=version_label, key="runs.version"
        )
        role = b.selectbox("Role", ["candidate", "target", "source"], key="runs.role")
        name = a.text_input("Run name (optional)", key="runs.name")
        timeout = b.number_input("Timeout per call (s)", 1.0, 600.0, 60.0, key="runs.timeout")
        answers = {
            "estimate": st.form_submit_button("Estimate (dry run)"),
            "start": st.form_submit_button("Run", type="primary"),
            "name": name.strip() or None,
            "role": role,
        }
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
    return config, answers


def show_estimate(guess: dict) -> None:
    cost = (
        money(guess["cost"], guess["currency"])
        if guess["cost"] is not None
        else "unknown (no price for this model: add one on the Compare page)"
    )
    st.info(
        f"{count(guess['items'], 'item')}, about {guess['input_tokens']:,} input and "
        f"{guess['output_tokens']:,} output tokens: {cost}. Nothing was called."
    )


def queue_run(con, run_id: str, config: runner.ModelConfig, actor: str) -> None:
    """Hand the run to a worker: it goes on when this page closes."""
    with plainly("Queuing the run"):
        job_id = kinds.enqueue_run(con, run_id, config, actor=actor)
        st.success(f"Run {run_id} queued as job {job_id}; its progress shows under Jobs.")


def judge_form(con, dataset_id: str, actor: str) -> None:
    names = {r["run_id"]: f"{r['name']} ({r['role']})" for r in runs.list_runs(con, dataset_id)}
    with st.form("runs.judge"):
        judged_run = st.selectbox("Run", list(names), format_func=names.get, key="runs.j_run")
        metrics = st.multiselect(
            "Metrics",
            list(judges.METRICS),
            ["ragas_faithfulness", "deepeval_geval_correctness"],
            format_func=lambda m: f"{m} — {judges.METRICS[m]}",
            key="runs.j_metrics",
        )
        a, b = st.columns(2)
        model = a.text_input("Judge model", judges.JudgeConfig.model_id, key="runs.j_model")
        endpoint = b.text_input(ENDPOINT_HELP, key="runs.j_endpoint")
        provider = a.selectbox("Judge provider", PROVIDERS, key="runs.j_provider")
        threshold = a.number_input("Pass threshold", 0.0, 1.0, 0.5, 0.05, key="runs.j_threshold")
        pattern = b.text_input("Pattern (pattern match)", key="runs.j_pattern")
        rubric = st.text_area(
            "GEval correctness rubric", judges.DEFAULT_RUBRIC, key="runs.j_rubric"
        )
        if not st.form_submit_button("Score"):
            return
    config = judges.JudgeConfig(
        model_id=model.strip(),
        provider=provider,
        endpoint_url=endpoint.strip() or None,
        threshold=threshold,
        rubric=rubric,
        pattern=pattern or None,
        concurrency=int(settings.get("run_concurrency")),
    )
    with plainly("Queuing the scoring"):
        job_id = kinds.enqueue_judge(con, judged_run, metrics, config, actor=actor)
        st.success(f"Scoring queued as job {job_id}; its progress shows under Jobs.")


def bedrock_eval_form(con, dataset_id: str, actor: str) -> None:
    """An Amazon Bedrock evaluation job over a run's outputs; its scores attach to the run."""
    names = {r["run_id"]: f"{r['name']} ({r['role']})" for r in runs.list_runs(con, dataset_id)}
    with st.form("runs.bedrock_eval"):
        run_id = st.selectbox("Run", list(names), format_func=names.get, key="runs.be_run")
        metrics = st.multiselect(
            "Metrics",
            [*bedrock_eval.JUDGE_METRICS, *bedrock_eval.AUTOMATED_METRICS],
            ["Builtin.Correctness", "Builtin.Faithfulness"],
            key="runs.be_metrics",
        )
        a, b = st.columns(2)
        s3_prefix = a.text_input("S3 prefix (s3://BUCKET/PREFIX)", key="runs.be_s3")
        role = b.text_input("IAM role ARN Bedrock assumes", key="runs.be_role")
        judge = a.text_input("Evaluator model", judges.JudgeConfig.model_id, key="runs.be_judge")
        region = b.text_input("Region", DEFAULT_REGION, key="runs.be_region")
        if not st.form_submit_button("Evaluate"):
            return
    with plainly("Queuing the evaluation"):
        job_id = kinds.enqueue_bedrock_eval(
            con,
            run_id,
            s3_prefix=s3_prefix.strip(),
            role_arn=role.strip(),
            metrics=metrics,
            judge_model=judge.strip() or None,
            region=region.strip() or None,
            actor=actor,
        )
        st.success(f"Evaluation queued as job {job_id}; its scores attach to the run.")


def prompt_panel(
    con, migration_id: str, versions: pd.DataFrame, version_label: Callable, actor: str
) -> None:
    """Runs by prompt version, the versions, a new one by hand, Bedrock Prompt Optimization
    or a metaprompt, and a diff."""
    st.markdown("**Runs by prompt version** (quality, latency, cost)")
    st.dataframe(
        prompts.runs_by_version_shown(prompts.runs_by_version(con, migration_id)),
        hide_index=True,
    )
    st.dataframe(present.shown(versions.drop(columns=["text"])), hide_index=True)
    ids = versions["prompt_version_id"].tolist()
    with st.form("runs.prompt"):
        text = st.text_area("New prompt version", key="runs.prompt_text", height=160)
        a, b = st.columns(2)
        target_model = a.text_input("For model", "amazon.nova-pro-v1:0", key="runs.pv_model")
        parent = b.selectbox(
            "Derived from", [None, *ids], format_func=version_label, key="runs.pv_parent"
        )
        note = st.text_input("Note (what changed, why)", key="runs.pv_note")
        if st.form_submit_button("Save version"):
            with plainly("Saving the version"):
                prompts.create(
                    con,
                    migration_id,
                    target_model.strip(),
                    text,
                    actor=actor,
                    parent_id=parent,
                    note=note or None,
                )
                st.rerun()
    if ids:
        _rewrite(con, migration_id, ids, target_model.strip(), actor)
    if len(ids) >= 2:
        a, b = st.columns(2)
        old = a.selectbox("Diff from", ids, key="runs.d_old")
        new = b.selectbox("to", ids, index=len(ids) - 1, key="runs.d_new")
        st.code(prompts.diff(con, old, new) or "(identical)", language="diff")


def _rewrite(con, migration_id: str, ids: list, target_model: str, actor: str) -> None:
    """A new version from an existing one: Bedrock Prompt Optimization or a metaprompt."""
    a, b = st.columns(2)
    base = a.selectbox("Optimize or rewrite", ids, key="runs.pv_base")
    rewriter = b.text_input(
        "Judge model (metaprompt)", judges.JudgeConfig.model_id, key="runs.pv_judge"
    )
    left, right = st.columns(2)
    with plainly("Rewriting the prompt"):  # boto3 failures arrive as ServiceError
        if left.button("Bedrock Prompt Optimization", key="runs.optimize"):
            made, analysis = prompts.optimize(con, migration_id, base, target_model, actor=actor)
            st.success(f"Saved {made}. " + " ".join(analysis))
        if right.button("Rewrite with a metaprompt", key="runs.metaprompt"):
            made = prompts.metaprompt(
                con, migration_id, base, target_model, rewriter.strip(), actor=actor
            )
            st.success(f"Saved {made}.")


def batch_form(con, dataset_id: str, actor: str) -> None:
    """A Bedrock batch inference job over the whole dataset, at the batch price; TTFT and
    latency are not measured by it (`python -m core run --batch --online-sample N` does)."""
    with st.form("runs.batch"):
        a, b = st.columns(2)
        model_id = a.text_input("Model id", "amazon.nova-pro-v1:0", key="runs.b_model")
        region = b.text_input("Region", DEFAULT_REGION, key="runs.b_region")
        s3_prefix = a.text_input("S3 prefix (s3://BUCKET/PREFIX)", key="runs.b_s3")
        role_arn = b.text_input("IAM role ARN Bedrock assumes", key="runs.b_role")
        name = a.text_input("Run name (optional)", key="runs.b_name")
        role = b.selectbox("Role", ["candidate", "target", "source"], key="runs.b_run_role")
        if not st.form_submit_button("Start batch job"):
            return
    with plainly("Queuing the batch job"):
        config = runner.ModelConfig(model_id.strip(), region=region.strip())
        job_id = kinds.enqueue_batch(
            con,
            dataset_id,
            config,
            batch.BatchSpec(s3_prefix.strip(), role_arn.strip()),
            actor=actor,
            name=name.strip() or None,
            role=role,
        )
        st.success(f"Batch job queued as job {job_id}; its run appears when Bedrock is done.")
