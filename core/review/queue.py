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
from core.store import pg, settings
from core.store.writes_common import on_postgres

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
    """The file ``con`` has open, or ':memory:' (a PostgreSQL database: its URL)."""
    if on_postgres(con):
        return con.url  # type: ignore[attr-defined]
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
    if pg.is_url(db_path):
        # Every app process on the database must place responses alike: derived from the
        # cookie key they share (required on PostgreSQL, core.catalog.users).
        shared = settings.get("cookie_key")
        if not shared:
            raise SwitchyardError(
                "with SWITCHYARD_DB on PostgreSQL, set SWITCHYARD_COOKIE_KEY (one secret for"
                " every app process): blind review places responses with a key derived from it"
            )
        return hashlib.sha256(b"switchyard blind placement\0" + shared.encode()).digest()
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


# Canary review draws (sample.params.traffic = 'canary'): the item is a production request,
# shown under a display id (an HMAC of sample and request under the install's key), because a
# request id can give its arm away (each provider spells its ids its own way).
def display_id(key: bytes, sample_id: str, request_id: str) -> str:
    """The id a canary request is shown and addressed under in the review screens, under the
    install's key (``blind_key``)."""
    message = f"canary\x1f{sample_id}\x1f{request_id}".encode()
    return "r-" + hmac.new(key, message, hashlib.sha256).hexdigest()[:12]


def _slots(con: duckdb.DuckDBPyConnection, rows: list) -> list[Slot]:
    key = blind_key(con) if any(row[4] for row in rows) else b""
    return [
        Slot(sample_id, display_id(key, sample_id, item_id) if canary else item_id, status, at)
        for sample_id, item_id, status, at, canary in rows
    ]


def canary_request(
    con: duckdb.DuckDBPyConnection, sample_id: str, item_id: str, reviewer: str
) -> tuple[str, str] | None:
    """(migration_id, request_id) of a canary review item shown as ``item_id``; None for a
    golden-set sample. NotFoundError when the item is not in the reviewer's queue."""
    row = con.execute(
        "SELECT migration_id,"
        " coalesce(json_extract_string(s.params, '$.traffic') = 'canary', false)"
        " FROM sample s WHERE sample_id = ?",
        [sample_id],
    ).fetchone()
    if row is None or not row[1]:
        return None
    key = blind_key(con)
    for (request_id,) in con.execute(
        "SELECT item_id FROM assignment WHERE sample_id = ? AND reviewer = ?",
        [sample_id, reviewer],
    ).fetchall():
        if hmac.compare_digest(display_id(key, sample_id, request_id), item_id):
            return row[0], request_id
    raise NotFoundError(f"item {item_id!r} is not in your queue")


def _load_canary(
    con: duckdb.DuckDBPyConnection, sample_id: str, shown: str, reviewer: str, request_id: str
) -> ReviewItem:
    """One production response, as Response A; never its arm, model, request id or scores."""
    status, prompt, text, error = con.execute(
        "SELECT a.status, r.prompt, r.response, r.error IS NOT NULL FROM assignment a"
        " JOIN sample s USING (sample_id) JOIN canary_request r"
        " ON r.migration_id = s.migration_id AND r.request_id = a.item_id"
        " WHERE a.sample_id = ? AND a.item_id = ? AND a.reviewer = ?",
        [sample_id, request_id, reviewer],
    ).fetchone() or ("open", "", None, True)
    label = con.execute(
        "SELECT score, passed, failure_modes, safety_flag, notes FROM canary_label"
        " WHERE sample_id = ? AND request_id = ? AND reviewer = ?",
        [sample_id, request_id, reviewer],
    ).fetchone()
    existing = None
    if label is not None:
        score, passed, modes, safety, notes = label
        answer = ResponseLabel("A", score, passed, tuple(modes or ()), bool(safety))
        existing = Existing({"A": answer}, None, notes)
    response = Response("A", "", text, bool(error))  # no run: the arm stays unknown
    return ReviewItem(sample_id, shown, prompt or "", None, None, (response,), status, existing)


_QUEUE = (
    "SELECT a.sample_id, a.item_id, a.status, a.position,"
    " coalesce(json_extract_string(s.params, '$.traffic') = 'canary', false) FROM assignment a"
    " JOIN sample s USING (sample_id) WHERE a.reviewer = ?"
)
_QUEUE_ORDER = (
    " ORDER BY CASE a.status WHEN 'open' THEN 0 WHEN 'skipped' THEN 1 ELSE 2 END,"
    " a.position, a.sample_id"
)


def queue(con: duckdb.DuckDBPyConnection, reviewer: str) -> list[Slot]:
    """The reviewer's assignments: open first (in queue order), then skipped, then done."""
    return _slots(con, con.execute(_QUEUE + _QUEUE_ORDER, [reviewer]).fetchall())


def next_slot(
    con: duckdb.DuckDBPyConnection, reviewer: str, after: tuple[str, str] | None = None
) -> Slot | None:
    """The next open (else skipped) assignment, other than ``after``."""
    # ``after`` is one slot, so the first two not done are enough (read on every submit).
    rows = con.execute(
        _QUEUE + " AND a.status <> 'done'" + _QUEUE_ORDER + " LIMIT 2", [reviewer]
    ).fetchall()
    for slot in _slots(con, rows):
        if (slot.sample_id, slot.item_id) != after:
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
        "SELECT a.sample_id, a.item_id, a.status, a.position,"
        " coalesce(json_extract_string(s.params, '$.traffic') = 'canary', false) FROM assignment a"
        " JOIN sample s USING (sample_id) WHERE a.reviewer = ? AND a.status = 'done'"
        " ORDER BY a.done_at DESC, a.position DESC",
        [reviewer],
    ).fetchall()
    return _slots(con, rows)


def load(con: duckdb.DuckDBPyConnection, sample_id: str, item_id: str, reviewer: str) -> ReviewItem:
    """The item as the reviewer may see it; NotFoundError unless it is in their queue."""
    canary = canary_request(con, sample_id, item_id, reviewer)
    if canary is not None:
        return _load_canary(con, sample_id, item_id, reviewer, canary[1])
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
