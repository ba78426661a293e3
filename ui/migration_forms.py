"""Home's "New migration" form: dataset version, source run, target runs; what they share."""

from __future__ import annotations

import streamlit as st

from core.catalog import coverage, datasets, migrations, runs
from core.errors import SwitchyardError


def new_migration(con, actor: str) -> None:
    """Start a migration from imported runs; shows coverage and warnings before creating."""
    versions = [d["dataset_id"] for d in datasets.list_datasets(con)]
    if not versions:
        st.info(
            "Import a golden dataset and at least two runs on the **Data** page first"
            " (or `python -m core import-dataset` / `import-run`)."
        )
        return
    dataset_id = st.selectbox("Dataset version", versions, key="home.new.dataset")
    run_rows = runs.list_runs(con, dataset_id)
    if len(run_rows) < 2:
        st.info(
            f"{dataset_id} has {len(run_rows)} run(s): a migration compares a source run with"
            " at least one target. Import runs on the **Data** page, or run a model on **Runs**."
        )
        return
    names = {r["run_id"]: f"{r['model_id']} · {r['name']} ({r['run_id']})" for r in run_rows}
    ids = list(names)
    source_at = next((n for n, r in enumerate(run_rows) if r["role"] == "source"), 0)
    source = st.selectbox(
        "Source run (the model in production)",
        ids,
        source_at,
        format_func=names.get,
        key="home.new.source",
    )
    others = [r for r in ids if r != source]
    wanted = [r["run_id"] for r in run_rows if r["role"] == "target" and r["run_id"] != source]
    targets = st.multiselect(
        "Target runs (the model(s) that may replace it)",
        others,
        default=wanted or others[:1],
        format_func=names.get,
        key="home.new.targets",
    )
    name = st.text_input("Name", key="home.new.name", placeholder="Claude 3.5 Sonnet → Nova Pro")
    if not targets:
        st.caption("Choose at least one target run.")
        return
    _show_coverage(con, dataset_id, [source, *targets])
    if st.button("Start migration", type="primary", key="home.new.go"):
        try:
            created = migrations.create(con, name.strip(), source, targets, actor=actor)
        except SwitchyardError as exc:
            st.error(str(exc))
            return
        st.success(f"Migration {created} started; {dataset_id} is frozen.")
        st.rerun()


def _show_coverage(con, dataset_id: str, run_ids: list[str]) -> None:
    """What the chosen runs share, and what starting the migration does."""
    covered = coverage.coverage(con, run_ids)
    st.dataframe(
        [
            {
                "run": r.run_id,
                "model": r.model_id,
                "items covered": r.outputs,
                "of": r.items,
                "metrics": ", ".join(r.metrics),
            }
            for r in covered.runs
        ],
        hide_index=True,
    )
    st.caption(
        "Metrics the runs share: "
        + (", ".join(covered.shared_metrics) or "none")
        + f". Starting the migration freezes {dataset_id}: its items can no longer change."
    )
    for line in covered.warnings:
        st.warning(line)
