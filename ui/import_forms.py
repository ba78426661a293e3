"""The Data page's four import forms: golden dataset, evaluation run, labels, pairwise verdicts.

Each form owns its ``data.<form>.*`` keys and hands the import to ``ui.imports.run_import``.
"""

from __future__ import annotations

import streamlit as st

from core.catalog import metrics, runs
from core.importers import files, labels, pairwise, tournament
from core.types import RUN_ROLES
from ui import imports

_FILE_KINDS = ["csv", "jsonl", "parquet"]


def golden(con, actor: str) -> None:
    """Import a golden file as a dataset version (its source run and human scores too)."""
    with st.form("data.golden"):
        path, label = imports.source_input("golden", _FILE_KINDS)
        name = st.text_input("Dataset name", key="data.golden.name")
        model = st.text_input(
            "Source model id (if the file has no model_id column)", key="data.golden.model"
        )
        score_metric = st.selectbox(
            "The metric its automated_score is (so it meets the runs' scores)",
            [None, *sorted(metrics.catalog(con))],
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
                actor=actor,
                label=label,
                model_id=model.strip() or None,
                metric=score_metric,
                progress=progress,
            ).summary()
        ],
        "golden",
    )


def run(con, actor: str, dataset_ids: list[str]) -> None:
    """Import an evaluation run (native, Ragas, DeepEval or Bedrock output) on a version."""
    if not dataset_ids:
        st.info("Import a golden dataset first: a run belongs to a dataset version.")
        return
    with st.form("data.run"):
        path, label = imports.source_input("run", [*_FILE_KINDS, "json"])
        dataset_id = st.selectbox("Dataset version", dataset_ids, key="data.run.dataset")
        model = st.text_input("Model id (Bedrock output names it itself)", key="data.run.model")
        fmt = st.selectbox("Format", ["detect", *files.FORMATS], key="data.run.format")
        role = st.selectbox("Role", RUN_ROLES, index=2, key="data.run.role")
        job = st.text_input("Bedrock job (when the prefix holds several jobs)", key="data.run.job")
        allow = st.checkbox("Skip rows that match no item (they are listed)", key="data.run.allow")
        submitted = st.form_submit_button("Import run")
    spec = runs.RunSpec(dataset_id, model.strip() or None, role=role, allow_unmatched=allow)

    def lines(progress) -> list[str]:
        result, notes = files.import_run(
            con,
            path,
            spec,
            actor=actor,
            label=label,
            fmt=None if fmt == "detect" else fmt,
            progress=progress,
            job=job.strip() or None,
        )
        return [result.summary(), *notes, *result.notes, *result.unmatched[:20]]

    imports.run_import(submitted, path, lines, "run")


def label_file(con, actor: str, dataset_ids: list[str]) -> None:
    """Import labels made elsewhere: the label file, Bedrock human evaluation, a sample export."""
    if not dataset_ids:
        st.info("Import a golden dataset first: labels grade outputs of its runs.")
        return
    with st.form("data.labels"):
        path, label = imports.source_input("labels", _FILE_KINDS)
        dataset_id = st.selectbox("Dataset version", dataset_ids, key="data.labels.dataset")
        run_ids = st.text_input(
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
            actor=actor,
            run_id=[r for r in run_ids.split(",") if r.strip()],
            label=label,
            sample_id=sample.strip() or None,
            score_metric=score_m,
            verdict_metric=verdict_m,
            preference_metric=pref_m,
        ).lines(),
        "labels",
    )


def pairwise_verdicts(con, actor: str, run_rows: list[dict]) -> None:
    """Import a pairwise judge's verdicts between two runs, or a tournament file whose rows
    name their runs and voters."""
    if len(run_rows) < 2:
        st.info("Import two runs of one dataset first: a pairwise judge compares their outputs.")
        return
    with st.form("data.pairwise"):
        path, label = imports.source_input("pairwise", _FILE_KINDS)
        votes = st.toggle(
            "Tournament file: each row names its two runs and its judge or reviewer",
            key="data.pw.tournament",
            help="Columns run_a, run_b (or MT-Bench's model_a, model_b: a run id or name),"
            " winner (a, b or tie; model_a, model_b), judge or reviewer, optional turn.",
        )
        ids = [r["run_id"] for r in run_rows]
        names = {r["run_id"]: f"{r['name']} ({r['run_id']})" for r in run_rows}
        judged = st.selectbox("Run judged", ids, 1, format_func=names.get, key="data.pw.run")
        base = st.selectbox("Baseline run", ids, 0, format_func=names.get, key="data.pw.base")
        st.caption(
            "Verdict file: winner per item: run, baseline or tie (A = baseline, B = run). "
            "A tournament file names its runs on each row; the two choices above are not used."
        )
        submitted = st.form_submit_button("Import verdicts")

    def do(progress) -> list[str]:
        if votes:
            return [tournament.import_votes(con, path, actor=actor, label=label).summary()]
        return [
            pairwise.import_verdicts(con, path, judged, base, actor=actor, label=label).summary()
        ]

    imports.run_import(submitted, path, do, "pairwise")
