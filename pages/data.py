"""Data: dataset versions, runs, and the importers (file upload or s3:// URI)."""

import streamlit as st

from core.catalog import datasets, migrations, runs
from ui import auth, import_forms, navigation, present, store

user = auth.require(*navigation.DECIDERS)
can_import = bool(navigation.OWNERS & set(user.roles))
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

dataset_ids = [v["dataset_id"] for v in versions]
golden_tab, run_tab, label_tab, pairwise_tab = st.tabs(
    [
        "Import a golden dataset",
        "Import an evaluation run",
        "Import labels",
        "Import pairwise verdicts",
    ]
)
with golden_tab:
    import_forms.golden(con, user.username)
with run_tab:
    import_forms.run(con, user.username, dataset_ids)
with label_tab:
    import_forms.label_file(con, user.username, dataset_ids)
with pairwise_tab:
    import_forms.pairwise_verdicts(con, user.username, run_rows)
