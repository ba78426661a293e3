"""Writers of the sign-off tables: approvals, stakeholders and safety-flag resolutions (see
core.store.writes, which re-exports every name here)."""

from __future__ import annotations

import json

import duckdb

from core.store.writes_common import changed, first


def insert_approval(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    run_id: str,
    stakeholder: str,
    decision: str,
    comment: str | None,
    checklist: dict[str, bool],
    snapshot: dict,
    snapshot_sha256: str,
    decided_by: str,
) -> int:
    """Record a stakeholder's decision with the evidence it was given on; returns its id."""
    return first(
        con.execute(
            "INSERT INTO approval (migration_id, run_id, stakeholder, decision, comment,"
            " checklist, snapshot, snapshot_sha256, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?,"
            " ?, ?) RETURNING approval_id",
            [
                migration_id,
                run_id,
                stakeholder,
                decision,
                comment,
                json.dumps(checklist),
                json.dumps(snapshot, default=str),
                snapshot_sha256,
                decided_by,
            ],
        )
    )


def add_stakeholder(
    con: duckdb.DuckDBPyConnection, migration_id: str, role: str, person: str | None
) -> bool:
    """Name a stakeholder of a migration; False when that role is one already."""
    con.execute(
        "INSERT INTO stakeholder (migration_id, role, person) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        [migration_id, role, person],
    )
    return changed(con) > 0


def remove_stakeholder(con: duckdb.DuckDBPyConnection, migration_id: str, role: str) -> bool:
    """False when the role was not a stakeholder of the migration."""
    con.execute("DELETE FROM stakeholder WHERE migration_id = ? AND role = ?", [migration_id, role])
    return changed(con) > 0


def resolve_safety_flag(
    con: duckdb.DuckDBPyConnection, label_id: int, note: str, resolved_by: str
) -> bool:
    """Record how a safety flag was resolved; False when it already was."""
    con.execute(
        "INSERT INTO safety_resolution (label_id, note, resolved_by) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        [label_id, note, resolved_by],
    )
    return changed(con) > 0
