"""Home: the migrations in this database, each with its dataset and models."""

import streamlit as st

from core import migration
from ui import auth, store

auth.require("eval_owner", "manager", "admin")
st.title("Switchyard")
st.caption("Prove and decide a switch of the LLM behind your product.")

migrations = migration.list_migrations(store.cursor())
if not migrations:
    st.info(
        "No migration yet. Import a golden dataset and runs on the **Data** page, "
        "or load the demo with `python -m core demo`."
    )
    st.stop()

for m in migrations:
    with st.container(border=True):
        st.subheader(m["name"])
        if m["synthetic"]:
            st.warning(
                "Synthetic demo data: generated from a seed, not real model outputs.",
                icon=":material/science:",
            )
        frozen = "frozen" if m["frozen"] else "not frozen"
        st.markdown(
            f"**Dataset:** {m['dataset_id']} ({m['items']} items, {frozen})  \n"
            f"**Source model:** {m['source_model']}  \n"
            f"**Target and candidates:** {', '.join(m['target_models'] or [])}"
        )
        st.caption(f"{m['migration_id']} · created {m['created_at']:%Y-%m-%d %H:%M}")
