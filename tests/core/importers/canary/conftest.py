"""A migration to ingest canary traffic into: fin@1's source run (SOURCE_MODEL, control) and
a target run (TARGET_MODEL, canary), created on 2026-11-01 so that the real-shaped sample
files (November 2026) fall inside its window."""

from __future__ import annotations

import pytest

from core.catalog import migrations
from tests.conftest import DATA, TARGET_MODEL, import_run

CREATED = "2026-11-01 00:00:00"


@pytest.fixture
def migration(con, golden):
    target = import_run(con, DATA / "run_native.csv", model_id=TARGET_MODEL, role="target")
    mig = migrations.create(con, "canary", golden.source_run.run_id, [target.run_id], actor="t")
    # Backdated: the migration (and so the canary's window) opens before the sample files.
    con.execute("UPDATE migration SET created_at = ? WHERE migration_id = ?", [CREATED, mig])
    return mig
