"""The sign-off register: stakeholders, their approvals bound to a snapshot of the evidence,
and the resolution of SME safety flags.

An approval records the hash of what it was given on (``snapshot``): the dataset, the judges,
thresholds, labels, safety resolutions, criteria and prices. Any change to these makes it
stale. Every write goes through ``core.store.writes``; the sign-off analysis
(core.analysis.signoff) reads this register and never writes it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from core.catalog import migrations, pricing
from core.errors import InputError, NotFoundError
from core.store import db, writes
from core.store.sql import Native
from core.store.writes_common import on_postgres

CHECKLIST = {
    "data_residency": "Data residency: the target model runs in an approved region",
    "pii_handling": "PII handling reviewed for the target model and its logs",
    "audit_logging": "Audit logging of prompts and outputs in place",
    "retention_deletion": "Retention and deletion terms of the provider accepted",
}
DECISIONS = ("approve", "reject")


@dataclass(frozen=True)
class Stakeholder:
    role: str
    person: str | None = None


@dataclass(frozen=True)
class Approval:
    """A stakeholder's latest decision on a target (``decision`` None: not decided yet);
    ``stale`` when the evidence changed since it was given."""

    role: str
    decision: str | None = None
    stale: bool = False
    person: str | None = None
    comment: str | None = None
    checklist: dict[str, bool] = field(default_factory=dict)
    decided_by: str | None = None
    decided_at: str | None = None
    approval_id: int | None = None

    def to_dict(self) -> dict:
        out = {"role": self.role, "person": self.person, "decision": self.decision}
        if self.decision is None:
            return out | {"stale": False}
        return out | {
            "comment": self.comment,
            "checklist": dict(self.checklist),
            "stale": self.stale,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at,
            "approval_id": self.approval_id,
        }


@dataclass(frozen=True)
class SafetyFlag:
    label_id: int
    item_id: str
    reviewer: str
    notes: str | None
    failure_modes: list | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def one_row(con: duckdb.DuckDBPyConnection, query: str, params: list) -> tuple:
    """The row of a query that always returns one (a lookup of a known id, an aggregate)."""
    row = con.execute(query, params).fetchone()
    if row is None:
        raise LookupError(f"expected a row from {query!r}")
    return row


# --- safety flags ---------------------------------------------------------------------------


def open_flags(con: duckdb.DuckDBPyConnection, run_id: str) -> list[SafetyFlag]:
    """SME safety flags on the run's outputs that nobody has resolved yet."""
    rows = con.execute(
        "SELECT l.label_id, l.item_id, l.reviewer, l.notes, l.failure_modes FROM label l"
        " WHERE l.run_id = ? AND l.safety_flag AND l.label_id NOT IN"
        " (SELECT label_id FROM safety_resolution) ORDER BY l.item_id, l.reviewer",
        [run_id],
    ).fetchall()
    return [SafetyFlag(*row) for row in rows]


def resolve_flag(con: duckdb.DuckDBPyConnection, label_id: int, note: str, *, actor: str) -> None:
    """Mark a safety flag as looked into, with what was found (audited)."""
    note = (note or "").strip()
    if not note:
        raise InputError("safety flag", "say how the flag was resolved")
    exists = con.execute("SELECT safety_flag FROM label WHERE label_id = ?", [label_id]).fetchone()
    if not exists or not exists[0]:
        raise NotFoundError(f"no safety flag on label {label_id}")
    with db.transaction(con):
        if not writes.resolve_safety_flag(con, label_id, note, actor):
            raise InputError("safety flag", f"label {label_id}'s flag is already resolved")
        writes.audit(
            con, actor, "resolve_safety_flag", "label", str(label_id), after={"note": note}
        )


# --- the evidence snapshot ------------------------------------------------------------------


def snapshot_facts(con: duckdb.DuckDBPyConnection, migration_id: str, runs: list[str]) -> dict:
    """The parts of the snapshot the comparison does not read: dataset hash, judge versions,
    thresholds, labels and safety resolutions."""
    dataset = one_row(
        con,
        "SELECT d.dataset_id, d.sha256 FROM migration m JOIN dataset d USING (dataset_id)"
        " WHERE m.migration_id = ?",
        [migration_id],
    )
    # Joined and sorted here: PostgreSQL sorts text by its collation (Python, as DuckDB, by
    # code point).
    judges = sorted(
        {
            f"{run}:{metric}:{judge} {version or ''}"
            for run, metric, judge, version in _judges(con, runs)
        }
    )
    thresholds = one_row(
        con,
        "SELECT count(*), max(set_at)::VARCHAR FROM judge_threshold WHERE run_id IN (?, ?)",
        runs,
    )
    labels = one_row(
        con, "SELECT count(*), max(updated_at)::VARCHAR FROM label WHERE run_id IN (?, ?)", runs
    )
    resolved = one_row(con, "SELECT count(*) FROM safety_resolution", [])[0]
    return {
        "dataset_id": dataset[0],
        "dataset_sha256": dataset[1],
        "source_run_id": runs[0],
        "target_run_id": runs[1],
        "judge_versions": judges,
        "thresholds": list(thresholds),
        "labels": labels[0],
        "labels_changed_at": labels[1],
        "safety_resolutions": resolved,
    }


# On PostgreSQL, each run's (metric, judge, version) found by skipping through the index
# judge_score_judges: a few probes instead of grouping millions of scores (1.1 s at 4,000,000).
_JUDGES_PG = Native("""
    WITH RECURSIVE seen AS (
        SELECT f.* FROM unnest(%s::text[]) r (run_id) CROSS JOIN LATERAL (
            SELECT j.run_id, j.metric, j.judge, coalesce(j.judge_version, '') AS version
            FROM judge_score j WHERE j.run_id = r.run_id
            ORDER BY j.run_id, j.metric, j.judge, coalesce(j.judge_version, '') LIMIT 1) f
        UNION ALL
        SELECT n.* FROM seen s CROSS JOIN LATERAL (
            SELECT j.run_id, j.metric, j.judge, coalesce(j.judge_version, '') AS version
            FROM judge_score j WHERE j.run_id = s.run_id
              AND (j.metric, j.judge, coalesce(j.judge_version, ''))
                  > (s.metric, s.judge, s.version)
            ORDER BY j.run_id, j.metric, j.judge, coalesce(j.judge_version, '') LIMIT 1) n)
    SELECT run_id, metric, judge, version FROM seen
""")


def _judges(con: duckdb.DuckDBPyConnection, runs: list[str]) -> list[tuple]:
    """(run, metric, judge, version) of every judge that scored the runs."""
    if on_postgres(con):
        server: Any = con  # core.store.pg_connection: takes statements written for it
        return server.execute(_JUDGES_PG, [list(runs)]).fetchall()
    return con.execute(
        "SELECT run_id, metric, judge, judge_version FROM judge_score"
        " WHERE run_id IN (?, ?) GROUP BY ALL",
        runs,
    ).fetchall()


def build_snapshot(facts: dict, criteria: dict, prices: pd.DataFrame) -> dict:
    """What an approval is given on; ``prices``: the two runs' models' prices in force."""
    return {**facts, "criteria": criteria, "prices": prices.astype(str).to_dict("records")}


def snapshot(con: duckdb.DuckDBPyConnection, migration_id: str, target_run_id: str) -> dict:
    """What an approval is given on: a change to any of it makes the approval stale."""
    runs = [migrations.source_run(con, migration_id), target_run_id]
    models = [
        r[0]
        for r in con.execute("SELECT model_id FROM run WHERE run_id IN (?, ?)", runs).fetchall()
    ]
    prices = pricing.prices(con)
    return build_snapshot(
        snapshot_facts(con, migration_id, runs),
        migrations.criteria(con, migration_id),
        prices[prices["model_id"].isin(models)],
    )


def snapshot_hash(snap: dict) -> str:
    return hashlib.sha256(json.dumps(snap, sort_keys=True, default=str).encode()).hexdigest()


# --- stakeholders and approvals -------------------------------------------------------------


def stakeholders(con: duckdb.DuckDBPyConnection, migration_id: str) -> list[Stakeholder]:
    rows = con.execute(
        "SELECT role, person FROM stakeholder WHERE migration_id = ? ORDER BY role",
        [migration_id],
    ).fetchall()
    return [Stakeholder(role, person) for role, person in rows]


def add_stakeholder(
    con: duckdb.DuckDBPyConnection, migration_id: str, role: str, person: str | None, *, actor: str
) -> None:
    role = (role or "").strip()
    if not role:
        raise InputError("stakeholder", "a stakeholder needs a role")
    migrations.source_run(con, migration_id)  # raises for an unknown migration
    with db.transaction(con):
        if not writes.add_stakeholder(con, migration_id, role, (person or "").strip() or None):
            raise InputError("stakeholder", f"{role!r} is already a stakeholder")
        after = {"role": role, "person": person}
        writes.audit(con, actor, "add_stakeholder", "migration", migration_id, after=after)


def remove_stakeholder(
    con: duckdb.DuckDBPyConnection, migration_id: str, role: str, *, actor: str
) -> None:
    with db.transaction(con):
        if not writes.remove_stakeholder(con, migration_id, role):
            raise NotFoundError(f"{role!r} is not a stakeholder of {migration_id}")
        before = {"role": role}
        writes.audit(con, actor, "remove_stakeholder", "migration", migration_id, before=before)


def record_approval(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    target_run_id: str,
    stakeholder: str,
    decision: str,
    *,
    actor: str,
    comment: str | None = None,
    checklist: dict[str, bool] | None = None,
) -> int:
    """Record a stakeholder's decision on the current evidence; earlier ones stay as history."""
    if decision not in DECISIONS:
        raise InputError("approval", f"decision must be approve or reject, got {decision!r}")
    if stakeholder not in {s.role for s in stakeholders(con, migration_id)}:
        raise InputError("approval", f"{stakeholder!r} is not a stakeholder of this migration")
    if target_run_id not in migrations.target_runs(con, migration_id):
        raise InputError("approval", f"run {target_run_id!r} is not a target of {migration_id}")
    unknown = sorted(set(checklist or {}) - set(CHECKLIST))
    if unknown:
        raise InputError("approval", f"unknown checklist items {unknown}")
    if decision == "reject" and not (comment or "").strip():
        raise InputError("approval", "say why in the comment when rejecting")
    snap = snapshot(con, migration_id, target_run_id)
    digest = snapshot_hash(snap)
    ticks = {k: bool((checklist or {}).get(k)) for k in CHECKLIST}
    with db.transaction(con):
        approval_id = writes.insert_approval(
            con,
            migration_id,
            target_run_id,
            stakeholder,
            decision,
            comment,
            ticks,
            snap,
            digest,
            actor,
        )
        writes.audit(
            con,
            actor,
            "record_approval",
            "approval",
            str(approval_id),
            after={
                "migration_id": migration_id,
                "run_id": target_run_id,
                "stakeholder": stakeholder,
                "decision": decision,
                "snapshot_sha256": digest,
            },
        )
    return approval_id


def approvals(
    con: duckdb.DuckDBPyConnection, migration_id: str, target_run_id: str, current: str
) -> list[Approval]:
    """Each stakeholder's latest decision on this target (or none), stale when the evidence
    has changed since (``current`` is the current snapshot's hash)."""
    latest = {
        row[0]: row
        for row in con.execute(
            "SELECT DISTINCT ON (stakeholder) stakeholder, decision, comment, checklist,"
            " snapshot_sha256, decided_by, decided_at::VARCHAR, approval_id FROM approval"
            " WHERE migration_id = ? AND run_id = ? ORDER BY stakeholder, approval_id DESC",
            [migration_id, target_run_id],
        ).fetchall()
    }
    out = []
    for person in stakeholders(con, migration_id):
        row = latest.get(person.role)
        if row is None:
            out.append(Approval(person.role, person=person.person))
            continue
        _, decision, comment, ticks, digest, decided_by, decided_at, approval_id = row
        out.append(
            Approval(
                person.role,
                decision,
                digest != current,
                person.person,
                comment,
                json.loads(ticks),
                decided_by,
                decided_at,
                approval_id,
            )
        )
    return out


def checklist_open(signed: list[Approval]) -> list[str]:
    """Compliance items no current approval has confirmed."""
    confirmed = {
        key
        for s in signed
        if s.decision == "approve" and not s.stale
        for key, ticked in (s.checklist or {}).items()
        if ticked
    }
    return [CHECKLIST[k] for k in CHECKLIST if k not in confirmed]
