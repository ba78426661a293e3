"""The only writers of shared tables: labels, assignments, samples, approvals, stakeholders,
safety resolutions, pairwise tournament votes, sign-in sessions, jobs and the audit trail.

Every INSERT and UPDATE on these tables lives in this module's siblings (writes_review,
writes_signoff, writes_sessions; writes_common holds ``audit``), each re-exported here so
callers keep writing ``from core.store import writes; writes.X``. tests/core/store/
test_writes.py reads the sources to hold it, so a second backend (PostgreSQL with row locks)
replaces these modules only. Writers never open a transaction: the caller's unit of work
(``db.transaction``) holds them and its audit entry together. Values are always bound; the
bulk writers take a relation the caller built from quoted names (core.store.sql.quote) and
columns checked against the table's.
"""

from __future__ import annotations

from core.store.writes_canary_review import (
    FRAME_COLUMNS,
    ITEM_COLUMNS,
    CanaryLabelRow,
    insert_drawn_items,
    insert_review_frame,
    upsert_canary_label,
)
from core.store.writes_common import audit, lock_key, on_postgres, refresh_statistics
from core.store.writes_jobs import (
    add_job_log,
    claim_job,
    finish_job,
    heartbeat,
    insert_job,
    reap_cancelled,
    release_job,
    request_cancel,
    save_state,
)
from core.store.writes_review import (
    LABEL_COLUMNS,
    LabelRow,
    SampleItemRow,
    attach_labels,
    insert_assignments,
    insert_labels,
    insert_labels_from,
    insert_pairwise_votes_from,
    insert_sample,
    insert_sample_items,
    mark_done,
    mark_done_from,
    set_inclusion_prob,
    skip_assignment,
    upsert_labels,
)
from core.store.writes_sessions import insert_grant, insert_session, update_session, use_grant
from core.store.writes_signoff import (
    add_stakeholder,
    insert_approval,
    remove_stakeholder,
    resolve_safety_flag,
)

__all__ = [
    "FRAME_COLUMNS",
    "ITEM_COLUMNS",
    "LABEL_COLUMNS",
    "CanaryLabelRow",
    "LabelRow",
    "SampleItemRow",
    "add_job_log",
    "add_stakeholder",
    "attach_labels",
    "audit",
    "claim_job",
    "finish_job",
    "heartbeat",
    "insert_approval",
    "insert_assignments",
    "insert_drawn_items",
    "insert_grant",
    "insert_job",
    "insert_labels",
    "insert_labels_from",
    "insert_pairwise_votes_from",
    "insert_review_frame",
    "insert_sample",
    "insert_sample_items",
    "insert_session",
    "lock_key",
    "mark_done",
    "mark_done_from",
    "on_postgres",
    "reap_cancelled",
    "refresh_statistics",
    "release_job",
    "remove_stakeholder",
    "request_cancel",
    "resolve_safety_flag",
    "save_state",
    "set_inclusion_prob",
    "skip_assignment",
    "update_session",
    "upsert_canary_label",
    "upsert_labels",
    "use_grant",
]
