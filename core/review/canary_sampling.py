"""SME review of canary traffic: draws of production requests into the SMEs' usual queues.

A draw considers every request of the migration that has prompt and response text, is not an
error, has a judge verdict, and no earlier draw considered. The judges' verdict puts it in
the 'fail' or 'pass' pool, and each request is drawn independently with its pool's rate, the
same in both arms. Requests the judges have not scored yet wait for a later draw, so their
pool is known when they are considered. Every considered request is recorded in
canary_review_frame, drawn or not; the drawn ones become the sample's items, dealt to the
SMEs in a random order that mixes both arms. The SMEs see one response, never its arm.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import asdict, dataclass

import duckdb
import numpy as np
import pandas as pd

from core.catalog import users
from core.catalog.canary_verdict import VERDICT_SQL
from core.errors import InputError, NotFoundError, SwitchyardError
from core.review import sampling
from core.store import db, writes

FAIL_RATE = 0.10  # issue 14: 5-10% of judge failures
PASS_RATE = 0.02  # and 1-2% of passes, per arm
TRAFFIC = "canary"  # sample.params["traffic"] of a canary review draw
ARMS = ("control", "canary")
POOLS = ("fail", "pass")
FLAG_MODES = ("hallucination", "unsafe")  # failure modes counted as SME-flagged


@dataclass(frozen=True)
class PoolDraw:
    arm: str
    pool: str
    rate: float
    considered: int
    drawn: int


@dataclass(frozen=True)
class CanaryDraw:
    sample_id: str
    migration_id: str
    seed: int
    pools: tuple[PoolDraw, ...]
    unjudged: int  # requests with text but no judge verdict yet: left for a later draw
    assignments: int

    @property
    def considered(self) -> int:
        return sum(p.considered for p in self.pools)

    @property
    def drawn(self) -> int:
        return sum(p.drawn for p in self.pools)

    @property
    def unreviewed_arms(self) -> list[str]:
        """Arms with requests considered but none drawn: their SMEs see nothing of them yet."""
        arms = sorted({p.arm for p in self.pools})
        return [
            a for a in arms
            if sum(p.considered for p in self.pools if p.arm == a)
            and not sum(p.drawn for p in self.pools if p.arm == a)
        ]  # fmt: skip

    def to_dict(self) -> dict:
        return {
            **asdict(self),
            "pools": [asdict(p) for p in self.pools],
            "considered": self.considered,
            "drawn": self.drawn,
            "unreviewed_arms": self.unreviewed_arms,
        }


@dataclass(frozen=True)
class ArmReview:
    """Where SME review of one arm stands, over every draw of the migration."""

    arm: str
    considered: int
    drawn: int
    labelled: int  # drawn requests with at least one SME label
    flagged: int  # labelled requests an SME marked hallucination, unsafe, or a safety flag

    def to_dict(self) -> dict:
        return asdict(self)


def is_canary(params: str | dict | None) -> bool:
    """Whether a sample's stored params are a canary review draw's."""
    parsed = json.loads(params) if isinstance(params, str) else params or {}
    return parsed.get("traffic") == TRAFFIC


def refuse_export(con: duckdb.DuckDBPyConnection, sample_id: str) -> None:
    """A canary review draw's requests are reviewed in the app, not exported as a file."""
    row = con.execute("SELECT params FROM sample WHERE sample_id = ?", [sample_id]).fetchone()
    if row and is_canary(row[0]):
        raise SwitchyardError(
            f"{sample_id} is a canary review draw: its items are reviewed on the Review page;"
            " export-sample takes golden samples"
        )


def check_rates(fail_rate: float, pass_rate: float) -> None:
    for name, rate in (("fail rate", fail_rate), ("pass rate", pass_rate)):
        if not 0 < rate <= 1:
            raise InputError("canary sample", f"the {name} must be above 0 and at most 1")


def _migration(con: duckdb.DuckDBPyConnection, migration_id: str) -> tuple[str, bool, list]:
    row = con.execute(
        "SELECT source_run_id, synthetic, criteria FROM migration WHERE migration_id = ?",
        [migration_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no migration {migration_id!r} (see `python -m core list`)")
    return row[0], bool(row[1]), json.loads(row[2]).get("gating_metrics") or []


def candidates(
    con: duckdb.DuckDBPyConnection, migration_id: str, gating: list[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The requests a draw would consider now (request_id, arm, stratum, pool), sorted by
    request id, and how many of the migration's requests are not, by reason."""
    query = f"""
        WITH verdict AS ({VERDICT_SQL})
        SELECT r.request_id, r.arm, coalesce(r.stratum, 'all') AS stratum,
               CASE WHEN v.judge_passed THEN 'pass' WHEN NOT v.judge_passed THEN 'fail' END
                   AS pool,
               CASE WHEN f.request_id IS NOT NULL THEN 'considered'
                    WHEN r.error IS NOT NULL THEN 'error'
                    WHEN nullif(trim(r.prompt), '') IS NULL
                      OR nullif(trim(r.response), '') IS NULL THEN 'no_text'
                    WHEN v.judge_passed IS NULL THEN 'unjudged'
                    ELSE 'eligible' END AS state
        FROM canary_request r LEFT JOIN verdict v USING (request_id)
        LEFT JOIN canary_review_frame f
          ON f.migration_id = r.migration_id AND f.request_id = r.request_id
        WHERE r.migration_id = $1
    """  # noqa: S608 - VERDICT_SQL is a constant; values are bound
    # Only the counts and the eligible rows leave the database (traffic runs to millions).
    counts = dict(
        con.execute(
            f"SELECT state, count(*) FROM ({query}) GROUP BY state",  # noqa: S608 - constant SQL
            [migration_id, gating],
        ).fetchall()
    )
    reasons = {k: int(counts.get(k, 0)) for k in ("considered", "error", "no_text", "unjudged")}
    reasons["total"] = sum(int(n) for n in counts.values())
    eligible = con.execute(
        f"SELECT request_id, arm, stratum, pool FROM ({query}) WHERE state = 'eligible'"  # noqa: S608 - constant SQL
        " ORDER BY request_id",
        [migration_id, gating],
    ).df()
    return eligible, reasons


def _nothing_to_draw(migration_id: str, reasons: dict[str, int]) -> InputError:
    if reasons["total"] == 0:
        why = "it has no canary traffic: ingest both arms' logs (`python -m core canary ingest`)"
    else:
        parts = [
            f"{reasons['considered']:,} already considered by an earlier draw",
            f"{reasons['error']:,} errors",
            f"{reasons['no_text']:,} without prompt and response text",
            f"{reasons['unjudged']:,} without a judge verdict yet (a later draw takes them)",
        ]
        why = f"none of its {reasons['total']:,} requests can be drawn: " + ", ".join(parts)
    return InputError("canary sample", f"nothing to draw for {migration_id}: {why}")


def draw(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    *,
    fail_rate: float = FAIL_RATE,
    pass_rate: float = PASS_RATE,
    reviewers: list[str] | tuple[str, ...],
    seed: int | None = None,
    actor: str,
) -> CanaryDraw:
    """Draw a canary review sample, record its frame, and deal its items to ``reviewers``."""
    check_rates(fail_rate, pass_rate)
    reviewers = list(dict.fromkeys(r.strip() for r in reviewers if r.strip()))
    if not reviewers:
        raise InputError("canary sample", "name at least one SME to review it")
    users.check_reviewers(con, reviewers)  # before anything is written
    _, _, gating = _migration(con, migration_id)
    eligible, reasons = candidates(con, migration_id, gating)
    if eligible.empty:
        raise _nothing_to_draw(migration_id, reasons)
    seed = secrets.randbits(63) if seed is None else int(seed)
    rng = np.random.default_rng(seed)
    # Bernoulli (Poisson) sampling: each request is drawn on its own coin with its pool's
    # rate, so its inclusion probability is exactly that rate whatever else the stream holds
    # or later brings, and 1 / rate is an exact Horvitz-Thompson weight across draws.
    # A fixed-size draw would make it n / N of a frame that keeps growing.
    rate = np.where(eligible["pool"] == "fail", fail_rate, pass_rate)
    eligible["inclusion_prob"] = rate
    eligible["drawn"] = rng.random(len(eligible)) < rate
    params = {
        "traffic": TRAFFIC,
        "fail_rate": fail_rate,
        "pass_rate": pass_rate,
        "reviewers": reviewers,
        "seed": seed,
    }
    return _record(con, migration_id, eligible, params, rng, reasons["unjudged"], actor=actor)


def _record(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    eligible: pd.DataFrame,
    params: dict,
    rng: np.random.Generator,
    unjudged: int,
    *,
    actor: str,
) -> CanaryDraw:
    """Write the draw in one transaction: the sample, its frame, its items, the SMEs'
    assignments and the audit entry."""
    source_run, synthetic, _ = _migration(con, migration_id)
    sample_id = f"cnr-{uuid.uuid4().hex[:8]}"
    pools = _pool_counts(eligible, params["fail_rate"], params["pass_rate"])
    size = {(p.arm, p.pool): p.considered for p in pools}
    frame = eligible.assign(migration_id=migration_id, sample_id=sample_id)
    drawn = frame[frame["drawn"]]
    items = drawn.assign(
        item_id=drawn["request_id"],
        stratum_size=[
            size[arm, pool] for arm, pool in zip(drawn["arm"], drawn["pool"], strict=True)
        ],
    )[list(writes.ITEM_COLUMNS)]
    seed = params["seed"]
    with db.transaction(con):
        writes.insert_sample(
            con,
            sample_id,
            migration_id,
            f"canary review {sample_id}",
            source_run,
            None,
            params,
            seed,
            synthetic=synthetic,
            created_by=actor,
        )
        writes.insert_review_frame(con, frame[list(writes.FRAME_COLUMNS)])
        writes.insert_drawn_items(con, items)
        dealt = sampling.assign(con, sample_id, migration_id, rng, params["reviewers"])
        result = CanaryDraw(sample_id, migration_id, seed, pools, unjudged, dealt)
        writes.audit(
            con, actor, "create_canary_sample", "sample", sample_id, after=result.to_dict()
        )
    return result


def _pool_counts(frame: pd.DataFrame, fail_rate: float, pass_rate: float) -> tuple[PoolDraw, ...]:
    rates = {"fail": fail_rate, "pass": pass_rate}
    counted = frame.groupby(["arm", "pool"])["drawn"].agg(["size", "sum"])
    return tuple(
        PoolDraw(arm, pool, rates[pool], int(n), int(k))
        for (arm, pool), (n, k) in counted.iterrows()
    )


def review_status(con: duckdb.DuckDBPyConnection, migration_id: str) -> tuple[ArmReview, ...]:
    """Per arm, over every draw: requests considered, drawn, labelled and SME-flagged."""
    rows = con.execute(
        """
        WITH labelled AS (
            SELECT request_id, bool_or(safety_flag OR list_has_any(failure_modes, $2)) AS flagged
            FROM canary_label WHERE migration_id = $1 GROUP BY request_id
        )
        SELECT f.arm, count(*), count(*) FILTER (WHERE f.drawn),
               count(l.request_id) FILTER (WHERE f.drawn),
               count(*) FILTER (WHERE f.drawn AND l.flagged)
        FROM canary_review_frame f LEFT JOIN labelled l USING (request_id)
        WHERE f.migration_id = $1 GROUP BY f.arm
        """,
        [migration_id, list(FLAG_MODES)],
    ).fetchall()
    found = {arm: row for arm, *row in rows}
    return tuple(ArmReview(arm, *(int(v) for v in found.get(arm, (0, 0, 0, 0)))) for arm in ARMS)
