"""Selectors several pages share; each owns the session key its page gives it."""

from __future__ import annotations

import streamlit as st

from core.catalog import migrations as migration


def migration_or_stop(con, key: str) -> dict:
    """The chosen migration; with none in the database, say what to do and stop the page."""
    migrations = migration.list_migrations(con)
    if not migrations:
        st.info(
            "No migration yet. Import a golden dataset and two runs on the **Data** page, then"
            " start a migration on **Home** (New migration), or run"
            " `python -m core migration create --name N --source RUN --target RUN`."
        )
        st.stop()
    return st.selectbox("Migration", migrations, key=key, format_func=lambda m: m["name"])


def target_run(con, migration_id: str, key: str) -> str:
    """A target or candidate run of the migration, the role 'target' first."""
    names = run_labels(migration.target_run_list(con, migration_id))
    return st.selectbox("Target run", list(names), key=key, format_func=names.get)


def run_labels(runs: list[dict]) -> dict[str, str]:
    """Each run's label, "name (role)"; runs sharing one (two tools' runs of one model) also
    show their run id, so the choice is never between identical lines."""
    plain = [f"{r['name']} ({r['role']})" for r in runs]
    return {
        r["run_id"]: label if plain.count(label) == 1 else f"{label[:-1]}, {r['run_id']})"
        for r, label in zip(runs, plain, strict=True)
    }
