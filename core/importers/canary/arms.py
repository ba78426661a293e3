"""Which arm a request belongs to, and the time window a migration's canary traffic may fall in.

Arms: control is the migration's source model and canary its target model (the run whose
role is 'target', else its only run), as ``canary_arm`` maps the model ids the logs carry.
The first ingest stores that map from the runs; a team whose logs spell the models otherwise
(an inference profile, an ARN) adds its ids with ``configure``. An id not in the map is
refused with the known ones listed: a guess would put traffic in the wrong arm.

Window: from the canary's start, which is the first stage's recorded start (canary_stage,
possibly set in the past: "we routed 5% from Monday"), or, before any stage is recorded, the
migration's creation (the canary of a migration cannot start before the migration that plans
it exists); to the migration's archiving, or to now plus ``CLOCK_SKEW``. A record later than
now by more than that is a clock problem, said so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from core.catalog import migrations
from core.errors import InputError, NotFoundError
from core.store import db, writes_canary

ARMS = ("control", "canary")
# How far ahead of this machine's clock a log's timestamp may be: NTP keeps hosts within
# milliseconds, so minutes mean a wrong clock or a wrong time zone, not drift.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Window:
    """The span canary records of a migration must fall in (UTC, naive)."""

    start: datetime
    end: datetime | None  # archived_at; None while the migration is open
    now: datetime
    opened: str = "the migration was created"  # what the start is, for messages

    @property
    def latest(self) -> datetime:
        """The latest timestamp accepted: the archive time, or now plus the clock skew."""
        return self.end if self.end is not None else self.now + CLOCK_SKEW

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "latest": self.latest}


def window(
    con: duckdb.DuckDBPyConnection, migration_id: str, now: datetime | None = None
) -> Window:
    row = con.execute(
        "SELECT created_at, archived_at, (SELECT min(started_at) FROM canary_stage s"
        " WHERE s.migration_id = m.migration_id) FROM migration m WHERE migration_id = ?",
        [migration_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no migration {migration_id!r} (see `python -m core migration list`)")
    now = now or datetime.now(UTC).replace(tzinfo=None)
    if row[2] is not None:
        return Window(start=row[2], end=row[1], now=now, opened="stage 1 started")
    return Window(start=row[0], end=row[1], now=now)


def known(con: duckdb.DuckDBPyConnection, migration_id: str) -> dict[str, str]:
    """model id as the logs spell it -> arm."""
    return dict(
        con.execute(
            "SELECT model_id, arm FROM canary_arm WHERE migration_id = ? ORDER BY arm, model_id",
            [migration_id],
        ).fetchall()
    )


def listed(arms: dict[str, str]) -> str:
    """'control: a, b; canary: c' for error messages."""
    parts = []
    for arm in ARMS:
        ids = sorted(m for m, a in arms.items() if a == arm)
        parts.append(f"{arm}: {', '.join(ids) if ids else '(none)'}")
    return "; ".join(parts)


def planned(
    con: duckdb.DuckDBPyConnection, migration_id: str, *, arm_in_records: bool = False
) -> tuple[dict[str, str], bool]:
    """(the arm map, whether it still has to be stored): the stored map, else the one the
    migration's source and target models imply (stored with the first file ingested, in its
    transaction, so a refused file leaves no trace).

    When the records carry their own arm (an ``arm`` column, or ``--arm-key``), control and
    canary may run one model (a prompt migration): it is mapped once, as control.
    """
    arms = known(con, migration_id)
    if arms:
        return arms, False
    control = db.scalar(
        con,
        "SELECT r.model_id FROM migration m JOIN run r ON r.run_id = m.source_run_id"
        " WHERE m.migration_id = ?",
        [migration_id],
    )
    runs = migrations.target_run_list(con, migration_id)
    targets = [r for r in runs if r["role"] == "target"] or runs
    models = {r["model_id"] for r in targets}
    if len(models) != 1:
        raise InputError(
            migration_id,
            f"the migration's target runs use {len(models)} models ({', '.join(sorted(models))});"
            " say which is the canary: python -m core canary arm --migration ID --model MODEL"
            " --arm canary",
        )
    canary = models.pop()
    if canary == control and not arm_in_records:
        raise InputError(
            migration_id,
            f"control and canary both run {control}, so the model id cannot tell the arms"
            " apart; name the request metadata key that carries the arm (--arm-key)",
        )
    return dict(((canary, "canary"), (control, "control"))), True


def store(
    con: duckdb.DuckDBPyConnection, migration_id: str, arms: dict[str, str], *, actor: str
) -> None:
    """Store the arm map the migration's runs imply (inside the caller's transaction)."""
    for model, arm in arms.items():
        writes_canary.add_arm(
            con, migration_id, model, arm, priced_as=model, origin="migration", actor=actor
        )


def configure(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    model_id: str,
    arm: str,
    *,
    actor: str,
    priced_as: str | None = None,
) -> None:
    """Map another model id (as the logs spell it) to an arm; prices follow ``priced_as``
    (default: the arm's model from the migration's runs)."""
    if arm not in ARMS:
        raise InputError("arm", f"expected control or canary, got {arm!r}")
    arms, unstored = planned(con, migration_id, arm_in_records=True)
    if model_id in arms:
        raise InputError(model_id, f"is already mapped to the {arms[model_id]} arm")
    if priced_as is None:  # the arm's model from the migration's runs
        stored = db.scalar(
            con,
            "SELECT min(priced_as) FROM canary_arm WHERE migration_id = ? AND arm = ?"
            " AND origin = 'migration'",
            [migration_id, arm],
        )
        priced_as = stored or next((m for m, a in arms.items() if a == arm), model_id)
    with db.transaction(con):
        if unstored:
            store(con, migration_id, arms, actor=actor)
        writes_canary.add_arm(
            con,
            migration_id,
            model_id,
            arm,
            priced_as=priced_as or model_id,
            origin="configured",
            actor=actor,
        )
