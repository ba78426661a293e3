"""Home: each migration, where it stands and its next step; owners start new ones here."""

import streamlit as st

from core import formatting
from core.analysis import signoff
from core.catalog import migrations as migration
from core.catalog import progress
from core.errors import SwitchyardError
from ui import auth, migration_forms, navigation, signoff_view, store

user = auth.require(*navigation.DECIDERS)
con = store.cursor()
st.title("Switchyard")
st.caption("Prove and decide a switch of the LLM behind your product.")

if navigation.OWNERS & set(user.roles):
    with st.expander("New migration", icon=":material/add:"):
        migration_forms.new_migration(con, user.username)

migrations = migration.list_migrations(con)
if not migrations:
    st.info(
        "No migration yet. Import a golden dataset and two runs on the **Data** page, then"
        " start one under **New migration** above (or `python -m core migration create`);"
        " `python -m core demo` loads a synthetic one."
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
        status = progress.progress(con, m["migration_id"])
        try:
            report = signoff.evaluate(con, m["migration_id"])
            signoff_view.status_badge(report.decision)
            reasons = report.reasons
        except SwitchyardError as exc:
            st.badge("cannot be decided yet", icon=":material/help:", color="gray")
            reasons = [str(exc)]
        st.markdown(f"**Next step:** {status.next_step}")
        for reason in reasons[:3]:
            st.caption(f"· {reason}")
        if len(reasons) > 3:
            st.caption(f"· and {len(reasons) - 3} more on the Sign-off page")
        st.caption(f"{m['migration_id']} · created {formatting.when(m['created_at'])}")
