"""Runs: run a model over the migration's frozen dataset (Bedrock or an OpenAI-compatible
endpoint), resume an interrupted run, score runs with judges or a Bedrock evaluation, keep
prompt versions. Runs, scoring and evaluations are jobs: they go on when the page closes."""

import streamlit as st

from core.catalog import runs
from core.errors import SwitchyardError
from core.llm import prompts, runner
from ui import auth, choosers, jobs_view, present, run_forms, store

user = auth.require("eval_owner", "admin")
con = store.cursor()
st.title("Runs")

chosen = choosers.migration_or_stop(con, "runs.migration")
migration_id, dataset_id = chosen["migration_id"], chosen["dataset_id"]
versions = prompts.versions(con, migration_id)


def version_label(version_id: str | None) -> str:
    if version_id is None:
        return "(no system prompt)"
    row = versions[versions["prompt_version_id"] == version_id].iloc[0]
    return f"{version_id} · {row['origin']} · {row['model_id']}"


run_names = {r["run_id"]: r["name"] for r in runs.list_runs(con, dataset_id)}
TABS = ["Run a model", "Batch inference", "Resume a run", "Score a run", "Bedrock evaluation"]
run_tab, batch_tab, resume_tab, judge_tab, eval_tab, prompt_tab = st.tabs(
    [*TABS, "Prompt versions"]
)

with run_tab:
    config, asked = run_forms.model_form(
        [None, *versions["prompt_version_id"].tolist()], version_label
    )
    try:
        if asked["estimate"]:
            run_forms.show_estimate(runner.dry_run(con, dataset_id, config))
        if asked["start"]:
            run_id = runner.create(
                con,
                dataset_id,
                config,
                actor=user.username,
                name=asked["name"],
                role=asked["role"],
            )
            run_forms.queue_run(con, run_id, config, user.username)
    except SwitchyardError as exc:
        st.error(str(exc))

with batch_tab:
    run_forms.batch_form(con, dataset_id, user.username)

with resume_tab:
    unfinished = runner.unfinished(con, dataset_id)
    if unfinished.empty:
        st.info("Every run of this dataset is complete.")
    else:
        st.dataframe(present.shown(unfinished), hide_index=True)
        run_id = st.selectbox("Run", unfinished["run_id"].tolist(), key="runs.resume_id")
        if st.button("Resume", key="runs.resume"):
            run_forms.queue_run(con, run_id, runner.config_of(con, run_id), user.username)

with judge_tab:
    run_forms.judge_form(con, dataset_id, user.username)

with eval_tab:
    run_forms.bedrock_eval_form(con, dataset_id, user.username)

with prompt_tab:
    run_forms.prompt_panel(con, migration_id, versions, version_label, user.username)

# Below the forms: a job queued in this run shows at once, and the list starts refreshing.
jobs_view.panel([*run_names, dataset_id], run_names, user.username)
