"""Data: dataset versions, runs, and the importers (file upload or s3:// URI)."""

import streamlit as st

from core.catalog import datasets, metrics, migrations, runs
from core.importers import files, labels, pairwise
from ui import auth, imports, present, store

user = auth.require("eval_owner", "admin", "manager")
can_import = bool({"eval_owner", "admin"} & set(user.roles))
con = store.cursor()
st.title("Data")

st.subheader("Dataset versions")
versions = datasets.list_datasets(con)
if versions:
    st.dataframe(present.dataset_versions(versions), hide_index=True)
else:
    st.info("No dataset yet: import a golden file below.")

st.subheader("Runs")
run_rows = runs.list_runs(con)
if run_rows:
    st.dataframe(present.run_list(run_rows), hide_index=True)
else:
    st.info("No run yet: import one below once a dataset exists.")
# Always one container here, so the tabs below keep their place (and the open tab) when the
# hint appears after an import.
next_step = st.container()
if len(run_rows) > 1 and not migrations.list_migrations(con, archived=True):
    next_step.info("Next: start a migration from these runs on **Home** (New migration).")

if not can_import:
    st.stop()


golden_tab, run_tab, label_tab, pairwise_tab = st.tabs(
    [
        "Import a golden dataset",
        "Import an evaluation run",
        "Import labels",
        "Import pairwise verdicts",
    ]
)
with golden_tab:
    with st.form("data.golden"):
        path, label = imports.source_input("golden", ["csv", "jsonl", "parquet"])
        name = st.text_input("Dataset name", key="data.golden.name")
        model = st.text_input(
            "Source model id (if the file has no model_id column)", key="data.golden.model"
        )
        metric_names = sorted(metrics.catalog(con))
        score_metric = st.selectbox(
            "The metric its automated_score is (so it meets the runs' scores)",
            [None, *metric_names],
            format_func=lambda m: (
                "automated_score (its own metric, never gating)" if m is None else m
            ),
            key="data.golden.metric",
        )
        submitted = st.form_submit_button("Import dataset")
    imports.run_import(
        submitted,
        path,
        lambda progress: [
            files.import_dataset(
                con,
                path,
                name.strip(),
                actor=user.username,
                label=label,
                model_id=model.strip() or None,
                metric=score_metric,
                progress=progress,
            ).summary()
        ],
        "golden",
    )


def _run_lines(path, spec, fmt, label, job, progress) -> list[str]:
    result, notes = files.import_run(
        con,
        path,
        spec,
        actor=user.username,
        label=label,
        fmt=None if fmt == "detect" else fmt,
        progress=progress,
        job=job.strip() or None,
    )
    return [result.summary(), *notes, *result.notes, *result.unmatched[:20]]


with run_tab:
    if not versions:
        st.info("Import a golden dataset first: a run belongs to a dataset version.")
    else:
        with st.form("data.run"):
            path, label = imports.source_input("run", ["csv", "jsonl", "parquet", "json"])
            dataset_id = st.selectbox(
                "Dataset version", [v["dataset_id"] for v in versions], key="data.run.dataset"
            )
            model = st.text_input("Model id (Bedrock output names it itself)", key="data.run.model")
            fmt = st.selectbox("Format", ["detect", *files.FORMATS], key="data.run.format")
            role = st.selectbox("Role", runs.ROLES, index=2, key="data.run.role")
            job = st.text_input(
                "Bedrock job (when the prefix holds several jobs)", key="data.run.job"
            )
            allow = st.checkbox(
                "Skip rows that match no item (they are listed)", key="data.run.allow"
            )
            submitted = st.form_submit_button("Import run")
        spec = runs.RunSpec(dataset_id, model.strip() or None, role=role, allow_unmatched=allow)
        imports.run_import(
            submitted,
            path,
            lambda progress: _run_lines(path, spec, fmt, label, job, progress),
            "run",
        )

with label_tab:
    if not versions:
        st.info("Import a golden dataset first: labels grade outputs of its runs.")
    else:
        with st.form("data.labels"):
            path, label = imports.source_input("labels", ["csv", "jsonl", "parquet"])
            dataset_id = st.selectbox(
                "Dataset version", [v["dataset_id"] for v in versions], key="data.labels.dataset"
            )
            run = st.text_input(
                "Run id (when the file names none), or MODEL=RUN, ... per model",
                key="data.labels.run",
            )
            sample = st.text_input(
                "Sample id: attach the labels to it (its items only; weighted by its design)",
                key="data.labels.sample",
            )
            st.caption("Bedrock human evaluation: the metric each field is read from.")
            score_m, verdict_m, pref_m = (
                column.text_input(name, key=f"data.labels.{key}").strip() or None
                for column, name, key in zip(
                    st.columns(3),
                    ("Score metric (Likert)", "Verdict metric (thumbs)", "Preference metric"),
                    ("score_metric", "verdict_metric", "preference_metric"),
                    strict=True,
                )
            )
            submitted = st.form_submit_button("Import labels")
        imports.run_import(
            submitted,
            path,
            lambda progress: labels.import_labels(
                con,
                path,
                dataset_id,
                actor=user.username,
                run_id=[r for r in run.split(",") if r.strip()],
                label=label,
                sample_id=sample.strip() or None,
                score_metric=score_m,
                verdict_metric=verdict_m,
                preference_metric=pref_m,
            ).lines(),
            "labels",
        )

with pairwise_tab:
    if len(run_rows) < 2:
        st.info("Import two runs of one dataset first: a pairwise judge compares their outputs.")
    else:
        with st.form("data.pairwise"):
            path, label = imports.source_input("pairwise", ["csv", "jsonl", "parquet"])
            ids = [r["run_id"] for r in run_rows]
            names = {r["run_id"]: f"{r['name']} ({r['run_id']})" for r in run_rows}
            run = st.selectbox("Run judged", ids, 1, format_func=names.get, key="data.pw.run")
            base = st.selectbox("Baseline run", ids, 0, format_func=names.get, key="data.pw.base")
            st.caption("winner per item: run, baseline or tie (A = baseline, B = run).")
            submitted = st.form_submit_button("Import verdicts")
        imports.run_import(
            submitted,
            path,
            lambda progress: [
                pairwise.import_verdicts(
                    con, path, run, base, actor=user.username, label=label
                ).summary()
            ],
            "pairwise",
        )
