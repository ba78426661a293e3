"""Runs: run a model over the migration's frozen dataset (Bedrock or an OpenAI-compatible
endpoint), resume an interrupted run, score runs with judges, keep prompt versions."""

import streamlit as st

from core.errors import SwitchyardError
from core.llm import prompts, runner
from ui import auth, choosers, present, run_forms, store

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


run_tab, resume_tab, judge_tab, prompt_tab = st.tabs(
    ["Run a model", "Resume a run", "Score a run", "Prompt versions"]
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
            run_forms.execute(con, run_id, config, "starting")
    except SwitchyardError as exc:
        st.error(str(exc))

with resume_tab:
    unfinished = runner.unfinished(con, dataset_id)
    if unfinished.empty:
        st.info("Every run of this dataset is complete.")
    else:
        st.dataframe(present.shown(unfinished), hide_index=True)
        run_id = st.selectbox("Run", unfinished["run_id"].tolist(), key="runs.resume_id")
        if st.button("Resume", key="runs.resume"):
            try:
                run_forms.execute(con, run_id, runner.config_of(con, run_id), "resuming")
            except SwitchyardError as exc:
                st.error(str(exc))

with judge_tab:
    run_forms.judge_form(con, dataset_id, user.username)

with prompt_tab:
    run_forms.prompt_panel(con, migration_id, versions, version_label, user.username)
