"""What an SME sees: their own queue, one item at a time, blind.

Nothing here returns model ids, run ids in display form, judge scores or other reviewers'
labels: the review page can only show what these functions return. Source and target are
placed as Response A / B by an HMAC-SHA256 of (sample, item, reviewer) under a per-install
secret key: random across items and reviewers, stable across reloads, not recomputable from
the ids, and stored with each label (a labelled item keeps the placement its label records).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.errors import NotFoundError, SwitchyardError
from core.store import settings

KEY_FILE = ".switchyard_secret"  # next to the database, mode 0600, git-ignored
KEY_BYTES = 32  # HMAC-SHA256's block-size-safe key length

FAILURE_MODES = (
    "hallucination",
    "omission",
    "verbosity",
    "unsafe",
    "formatting",
    "refusal",
    "other",
)


@dataclass(frozen=True)
class Response:
    side: str  # "A" or "B"
    run_id: str  # kept server-side for the label; never rendered
    text: str | None
    error: bool  # the model call failed; the SME sees "no answer"


@dataclass(frozen=True)
class ResponseLabel:
    side: str
    score: int | None
    passed: bool | None
    failure_modes: tuple[str, ...] = ()
    safety_flag: bool = False


@dataclass(frozen=True)
class Existing:
    """The reviewer's own earlier label on this item, to edit it."""

    responses: dict[str, ResponseLabel]  # by side
    preference: str | None
    notes: str | None


@dataclass(frozen=True)
class ReviewItem:
    sample_id: str
    item_id: str
    prompt: str
    context: str | None
    ground_truth: str | None
    responses: tuple[Response, ...]  # one (single-output) or two, in display order A, B
    status: str
    existing: Existing | None


@dataclass(frozen=True)
class Progress:
    done: int
    skipped: int
    assigned: int


@dataclass(frozen=True)
class Slot:
    sample_id: str
    item_id: str
    status: str
    position: int


def blind_key(con: duckdb.DuckDBPyConnection | None = None) -> bytes:
    """This install's secret placement key: ``<database dir>/.switchyard_secret``, created at
    random (owner-only) on first use; a ``:memory:`` database gets a key for this process.

    The database is the one ``con`` has open (the CLI's ``--db`` included), else the
    configured one (``SWITCHYARD_DB``).
    """
    return _key_for(settings.db_path() if con is None else database_file(con))


def database_file(con: duckdb.DuckDBPyConnection) -> str:
    """The file ``con`` has open, or ':memory:'."""
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return row[0] if row and row[0] else ":memory:"


_KEY_LOCK = threading.Lock()


def _key_for(db_path: str) -> bytes:
    with _KEY_LOCK:  # threads of one app (concurrent SMEs) agree on one key
        return _cached_key(db_path)


@functools.cache
def _cached_key(db_path: str) -> bytes:
    if db_path == ":memory:" or not db_path:
        return secrets.token_bytes(KEY_BYTES)
    path = Path(db_path).resolve().parent / KEY_FILE
    # Written whole to a private file, then linked into place: another process never reads a
    # half-written key, and of two first users, one key wins (link refuses an existing name).
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=".switchyard_secret.")
    try:
        with os.fdopen(fd, "wb") as fh:  # mkstemp: mode 0600
            fh.write(secrets.token_bytes(KEY_BYTES))
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(draft)
    key = path.read_bytes()
    if len(key) < KEY_BYTES:
        raise SwitchyardError(
            f"{path} holds {len(key)} bytes, not a {KEY_BYTES}-byte key: restore it"
            " from backup (deleting it re-blinds every unlabelled item)"
        )
    return key


def source_side(sample_id: str, item_id: str, reviewer: str, key: bytes | None = None) -> str:
    """Where the sample's first run (the source) is shown for this reviewer: 'A' or 'B'.

    An HMAC-SHA256 under the install's key (``blind_key``), so nobody can work it out from
    the ids; pass ``key`` to compute it under another one.
    """
    message = f"{sample_id}\x1f{item_id}\x1f{reviewer}".encode()
    digest = hmac.new(key or blind_key(), message, hashlib.sha256).digest()
    return "A" if digest[0] % 2 == 0 else "B"


def placed_source_side(
    con: duckdb.DuckDBPyConnection, sample_id: str, item_id: str, reviewer: str, source_run: str
) -> str:
    """The source's side: as the reviewer's stored label shows it, else ``source_side``."""
    row = con.execute(
        "SELECT shown_side FROM label WHERE sample_id = ? AND item_id = ? AND reviewer = ?"
        " AND run_id = ?",
        [sample_id, item_id, reviewer, source_run],
    ).fetchone()
    return row[0] if row else source_side(sample_id, item_id, reviewer, blind_key(con))


def queue(con: duckdb.DuckDBPyConnection, reviewer: str) -> list[Slot]:
    """The reviewer's assignments: open first (in queue order), then skipped, then done."""
    rows = con.execute(
        "SELECT sample_id, item_id, status, position FROM assignment WHERE reviewer = ?"
        " ORDER BY CASE status WHEN 'open' THEN 0 WHEN 'skipped' THEN 1 ELSE 2 END,"
        " position, sample_id",
        [reviewer],
    ).fetchall()
    return [Slot(*row) for row in rows]


def next_slot(
    con: duckdb.DuckDBPyConnection, reviewer: str, after: tuple[str, str] | None = None
) -> Slot | None:
    """The next open (else skipped) assignment, other than ``after``."""
    for slot in queue(con, reviewer):
        if slot.status != "done" and (slot.sample_id, slot.item_id) != after:
            return slot
    return None


def progress(con: duckdb.DuckDBPyConnection, reviewer: str) -> Progress:
    row = con.execute(
        "SELECT count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status ="
        " 'skipped'), count(*) FROM assignment WHERE reviewer = ?",
        [reviewer],
    ).fetchone()
    done, skipped, total = row if row else (0, 0, 0)  # an aggregate always returns its row
    return Progress(done, skipped, total)


def done_items(con: duckdb.DuckDBPyConnection, reviewer: str) -> list[Slot]:
    """Items the reviewer already labelled, latest first (to go back and change one)."""
    rows = con.execute(
        "SELECT sample_id, item_id, status, position FROM assignment WHERE reviewer = ?"
        " AND status = 'done' ORDER BY done_at DESC, position DESC",
        [reviewer],
    ).fetchall()
    return [Slot(*row) for row in rows]


def load(con: duckdb.DuckDBPyConnection, sample_id: str, item_id: str, reviewer: str) -> ReviewItem:
    """The item as the reviewer may see it; NotFoundError unless it is in their queue."""
    row = con.execute(
        "SELECT a.status, s.run_a, s.run_b, i.prompt, i.context, i.ground_truth"
        " FROM assignment a JOIN sample s USING (sample_id)"
        " JOIN migration m ON m.migration_id = s.migration_id"
        " JOIN item i ON i.dataset_id = m.dataset_id AND i.item_id = a.item_id"
        " WHERE a.sample_id = ? AND a.item_id = ? AND a.reviewer = ?",
        [sample_id, item_id, reviewer],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"item {item_id!r} is not in your queue")
    status, run_a, run_b, prompt, context, truth = row
    outputs = dict(
        (r[0], (r[1], r[2]))
        for r in con.execute(
            "SELECT run_id, text, error IS NOT NULL FROM output WHERE item_id = ?"
            " AND run_id IN (?, ?)",
            [item_id, run_a, run_b or run_a],
        ).fetchall()
    )
    if run_b is None:
        order = [("A", run_a)]
    elif placed_source_side(con, sample_id, item_id, reviewer, run_a) == "A":
        order = [("A", run_a), ("B", run_b)]
    else:
        order = [("A", run_b), ("B", run_a)]
    responses = tuple(Response(side, run, *outputs.get(run, (None, True))) for side, run in order)
    return ReviewItem(
        sample_id,
        item_id,
        prompt,
        context,
        truth,
        responses,
        status,
        _existing(con, sample_id, item_id, reviewer),
    )


def _existing(con, sample_id: str, item_id: str, reviewer: str) -> Existing | None:
    rows = con.execute(
        "SELECT shown_side, score, passed, failure_modes, safety_flag, preference, notes"
        " FROM label WHERE sample_id = ? AND item_id = ? AND reviewer = ?",
        [sample_id, item_id, reviewer],
    ).fetchall()
    if not rows:
        return None
    responses = {
        side: ResponseLabel(side, score, passed, tuple(modes or ()), bool(safety))
        for side, score, passed, modes, safety, _, _ in rows
    }
    return Existing(responses, rows[0][5], rows[0][6])
