"""Data: dataset versions, runs, and the importers (file upload or s3:// URI)."""

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from core import datasets, importing, label_import, pairwise, runs
from core.errors import SwitchyardError
from ui import auth, store

user = auth.require("eval_owner", "admin", "manager")
can_import = bool({"eval_owner", "admin"} & set(user.roles))
con = store.cursor()
st.title("Data")

st.subheader("Dataset versions")
versions = datasets.list_datasets(con)
if versions:
    table = pd.DataFrame(versions)
    table["frozen"] = table["frozen_at"].map(lambda t: "" if pd.isna(t) else f"{t:%Y-%m-%d}")
    table["strata"] = table["strata"].map(lambda s: ", ".join(s or []))
    st.dataframe(
        table[
            [
                "dataset_id",
                "items",
                "holdout",
                "strata",
                "frozen",
                "frozen_by",
                "sha256",
                "runs",
                "synthetic",
            ]
        ],
        hide_index=True,
    )
else:
    st.info("No dataset yet: import a golden file below.")

st.subheader("Runs")
run_rows = runs.list_runs(con)
if run_rows:
    table = pd.DataFrame(run_rows)
    table["metrics"] = table["metrics"].map(lambda m: ", ".join(m or []))
    st.dataframe(
        table[
            [
                "run_id",
                "name",
                "role",
                "model_id",
                "dataset_id",
                "prompt_version_id",
                "config",
                "outputs",
                "metrics",
                "origin",
                "synthetic",
            ]
        ],
        hide_index=True,
    )
else:
    st.info("No run yet: import one below once a dataset exists.")

if not can_import:
    st.stop()


def source_input(key: str, kinds: list[str]) -> tuple[str | None, str | None]:
    """An uploaded file (saved to a temp path) or an s3:// URI; returns (path, label)."""
    upload = st.file_uploader("File", type=kinds, key=f"data.{key}.upload")
    uri = st.text_input(
        "…or an s3:// URI", key=f"data.{key}.uri", placeholder="s3://bucket/evaluation-job/output/"
    )
    if upload is not None:
        folder = Path(tempfile.mkdtemp(prefix="switchyard-upload-"))
        path = folder / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        return str(path), upload.name
    return (uri.strip(), uri.strip()) if uri.strip() else (None, None)


def run_import(submitted: bool, path: str | None, action) -> None:
    """Run the import a form asked for; ``action`` returns the lines to show."""
    if not submitted:
        return
    if not path:
        st.error("Choose a file or enter an s3:// URI.")
        return
    bar = st.progress(0.0, "starting")
    try:
        summary, *details = action(lambda fraction, message: bar.progress(fraction, message))
    except SwitchyardError as exc:
        st.error(str(exc))
        return
    st.success(summary)
    for line in details:
        st.caption(line)


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
        path, label = source_input("golden", ["csv", "jsonl", "parquet"])
        name = st.text_input("Dataset name", key="data.golden.name")
        model = st.text_input(
            "Source model id (if the file has no model_id column)", key="data.golden.model"
        )
        submitted = st.form_submit_button("Import dataset")
    run_import(
        submitted,
        path,
        lambda progress: [
            importing.import_dataset(
                con,
                path,
                name.strip(),
                actor=user.username,
                label=label,
                model_id=model.strip() or None,
                progress=progress,
            ).summary()
        ],
    )


def _run_lines(path, spec, fmt, label, progress) -> list[str]:
    result, notes = importing.import_run(
        con,
        path,
        spec,
        actor=user.username,
        label=label,
        fmt=None if fmt == "detect" else fmt,
        progress=progress,
    )
    return [result.summary(), *notes, *result.unmatched[:20]]


with run_tab:
    if not versions:
        st.info("Import a golden dataset first: a run belongs to a dataset version.")
    else:
        with st.form("data.run"):
            path, label = source_input("run", ["csv", "jsonl", "parquet", "json"])
            dataset_id = st.selectbox(
                "Dataset version", [v["dataset_id"] for v in versions], key="data.run.dataset"
            )
            model = st.text_input("Model id (Bedrock output names it itself)", key="data.run.model")
            fmt = st.selectbox("Format", ["detect", *importing.FORMATS], key="data.run.format")
            role = st.selectbox("Role", runs.ROLES, index=2, key="data.run.role")
            allow = st.checkbox(
                "Skip rows that match no item (they are listed)", key="data.run.allow"
            )
            submitted = st.form_submit_button("Import run")
        spec = runs.RunSpec(dataset_id, model.strip() or None, role=role, allow_unmatched=allow)
        run_import(submitted, path, lambda progress: _run_lines(path, spec, fmt, label, progress))

with label_tab:
    if not versions:
        st.info("Import a golden dataset first: labels grade outputs of its runs.")
    else:
        with st.form("data.labels"):
            path, label = source_input("labels", ["csv", "jsonl", "parquet"])
            dataset_id = st.selectbox(
                "Dataset version", [v["dataset_id"] for v in versions], key="data.labels.dataset"
            )
            run = st.text_input(
                "Run id (when the file has no run_id or model_id column)", key="data.labels.run"
            )
            submitted = st.form_submit_button("Import labels")
        run_import(
            submitted,
            path,
            lambda progress: [
                label_import.import_labels(
                    con,
                    path,
                    dataset_id,
                    actor=user.username,
                    run_id=run.strip() or None,
                    label=label,
                ).summary()
            ],
        )

with pairwise_tab:
    all_runs = runs.list_runs(con)
    if len(all_runs) < 2:
        st.info("Import two runs of one dataset first: a pairwise judge compares their outputs.")
    else:
        with st.form("data.pairwise"):
            path, label = source_input("pairwise", ["csv", "jsonl", "parquet"])
            ids = [r["run_id"] for r in all_runs]
            names = {r["run_id"]: f"{r['name']} ({r['run_id']})" for r in all_runs}
            run = st.selectbox("Run judged", ids, 1, format_func=names.get, key="data.pw.run")
            base = st.selectbox("Baseline run", ids, 0, format_func=names.get, key="data.pw.base")
            st.caption("winner per item: run, baseline or tie (A = baseline, B = run).")
            submitted = st.form_submit_button("Import verdicts")
        run_import(
            submitted,
            path,
            lambda progress: [
                pairwise.import_verdicts(
                    con, path, run, base, actor=user.username, label=label
                ).summary()
            ],
        )
