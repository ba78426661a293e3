"""Stratified review samples: a share of automated failures and of passes, per stratum.

The frame is every item of the migration's dataset (optionally one split), less items
already open for review in another sample of the migration. Each item falls in one design
stratum: (dataset stratum, pool), where the pool is ``fail`` when the judge failed the
source or the target output, ``pass`` otherwise, and ``regression`` (taken whole) when the
target failed where the source passed. Stratum h of N_h items gets
n_h = min(N_h, max(minimum, ceil(rate × N_h))) items by simple random sampling, so each of
its items has inclusion probability n_h / N_h, stored with the item. A top-up draws more of
one stratum from the items not yet taken; the union is again a simple random sample, so the
stratum's probability becomes (n_h + m) / N_h for every item in it.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import asdict

import duckdb
import numpy as np

from core.catalog import users
from core.errors import InputError, NotFoundError
from core.review.design import (  # noqa: F401 - SampleParams, Plan, StratumPlan: sampling's API
    Plan,
    SampleParams,
    StratumPlan,
    draw,
    overlap_items,
    plan_strata,
)
from core.store import db, writes
from core.types import Pool


def _migration(con, migration_id: str) -> tuple[str, str, dict]:
    row = con.execute(
        "SELECT dataset_id, source_run_id, criteria FROM migration WHERE migration_id = ?",
        [migration_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no migration {migration_id!r}")
    return row[0], row[1], json.loads(row[2])


def gating_metrics(con, migration_id: str, runs: list[str], metric: str | None) -> list[str]:
    """The metrics whose failure makes an item a failure: one chosen, the migration's gating
    metrics, or every metric both runs carry."""
    present = {
        m
        for (m,) in con.execute(
            "SELECT metric FROM judge_score WHERE run_id IN (SELECT unnest(?)) GROUP BY metric"
            " HAVING count(DISTINCT run_id) = ?",
            [runs, len(runs)],
        ).fetchall()
    }
    if metric:
        if metric not in present:
            raise InputError(
                "sample",
                f"metric {metric!r} is not scored on every run; "
                f"present: {', '.join(sorted(present)) or 'none'}",
            )
        return [metric]
    gating = _migration(con, migration_id)[2].get("gating_metrics") or sorted(present)
    missing = [m for m in gating if m not in present]
    if missing:
        raise InputError("sample", f"gating metrics {missing} are not scored on every run")
    return list(gating)


def frame(
    con, migration_id: str, run_a: str, run_b: str | None, params: SampleParams
) -> tuple[list[tuple[str, str, Pool]], int]:
    """(item_id, stratum, pool) for every item in the frame, and how many were excluded."""
    dataset_id, _, _ = _migration(con, migration_id)
    runs = [run_a] + ([run_b] if run_b else [])
    metrics = gating_metrics(con, migration_id, runs, params.metric)
    rows = con.execute(
        """
        WITH failed AS (
            SELECT o.run_id, o.item_id,
                   o.error IS NOT NULL OR coalesce(bool_or(NOT j.passed), false) AS failed
            FROM output o LEFT JOIN judge_score j
              ON j.run_id = o.run_id AND j.item_id = o.item_id AND j.metric IN (SELECT unnest($3))
            WHERE o.run_id IN (SELECT unnest($2))
            GROUP BY o.run_id, o.item_id, o.error
        ),
        open_elsewhere AS (
            SELECT DISTINCT a.item_id FROM assignment a JOIN sample s USING (sample_id)
            WHERE s.migration_id = $4 AND a.status = 'open'
        )
        SELECT i.item_id, i.stratum,
               coalesce(fa.failed, true) AS a_failed,
               CASE WHEN $5 IS NULL THEN NULL ELSE coalesce(fb.failed, true) END AS b_failed,
               i.item_id IN (SELECT item_id FROM open_elsewhere) AS excluded
        FROM item i
        LEFT JOIN failed fa ON fa.item_id = i.item_id AND fa.run_id = $6
        LEFT JOIN failed fb ON fb.item_id = i.item_id AND fb.run_id = $5
        WHERE i.dataset_id = $1 AND ($7 IS NULL OR i.split = $7)
        ORDER BY i.item_id
        """,
        [dataset_id, runs, metrics, migration_id, run_b, run_a, params.split],
    ).fetchall()
    items: list[tuple[str, str, Pool]] = []
    excluded = 0
    for item_id, stratum, a_failed, b_failed, is_excluded in rows:
        if is_excluded:
            excluded += 1
            continue
        pool: Pool
        if run_b is not None and params.regressions and b_failed and not a_failed:
            pool = "regression"
        elif a_failed or b_failed:
            pool = "fail"
        else:
            pool = "pass"
        items.append((item_id, stratum, pool))
    return items, excluded


def plan(con, migration_id: str, run_a: str, run_b: str | None, params: SampleParams) -> Plan:
    """Counts per stratum before anything is written (the page's preview)."""
    params.check()
    return plan_strata(*frame(con, migration_id, run_a, run_b, params), params)


def create(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    run_a: str,
    run_b: str | None,
    params: SampleParams,
    *,
    actor: str,
    name: str | None = None,
    synthetic: bool = False,
) -> str:
    """Draw the sample, store each item's inclusion probability, and assign SMEs."""
    params.check()
    if not params.reviewers:
        raise InputError("sample", "name at least one SME to review it")
    if not synthetic:  # the demo's simulated reviewers are not users, by design
        users.check_reviewers(con, params.reviewers)  # before anything is written
    items, excluded = frame(con, migration_id, run_a, run_b, params)
    rng = np.random.default_rng(params.seed)
    chosen = draw(items, plan_strata(items, excluded, params), rng)
    if not chosen:
        raise InputError("sample", "the frame is empty: no item to sample")
    overlap = overlap_items(chosen, params, rng)
    sample_id = f"smp-{uuid.uuid4().hex[:8]}"
    with db.transaction(con):
        writes.insert_sample(
            con,
            sample_id,
            migration_id,
            name or f"sample {sample_id}",
            run_a,
            run_b,
            asdict(params),
            params.seed,
            synthetic=synthetic,
            created_by=actor,
        )
        writes.insert_sample_items(
            con,
            [
                writes.SampleItemRow(
                    sample_id,
                    item_id,
                    s.stratum,
                    s.pool,
                    s.size,
                    s.probability,
                    reviewers_wanted=params.overlap_k if item_id in overlap else 1,
                )
                for item_id, s in chosen
            ],
        )
        _assign(con, sample_id, migration_id, rng, list(params.reviewers))
        writes.audit(
            con,
            actor,
            "create_sample",
            "sample",
            sample_id,
            after={"migration_id": migration_id, "items": len(chosen), "params": asdict(params)},
        )
    return sample_id


def _assign(
    con, sample_id: str, migration_id: str, rng: np.random.Generator, reviewers: list[str]
) -> int:
    """Give each unassigned (item, wanted reviewer) slot to the least-loaded SME who has not
    seen the item in any sample of this migration."""
    load = dict.fromkeys(reviewers, 0)
    position = dict.fromkeys(reviewers, 0)
    for reviewer, open_count, last in con.execute(
        "SELECT a.reviewer, count(*) FILTER (WHERE a.status = 'open'), max(a.position)"
        " FROM assignment a JOIN sample s USING (sample_id) WHERE s.migration_id = ?"
        " GROUP BY a.reviewer",
        [migration_id],
    ).fetchall():
        if reviewer in load:
            load[reviewer], position[reviewer] = open_count, last
    seen: dict[str, set[str]] = {}
    for item_id, reviewer in con.execute(
        "SELECT a.item_id, a.reviewer FROM assignment a JOIN sample s USING (sample_id)"
        " WHERE s.migration_id = ?",
        [migration_id],
    ).fetchall():
        seen.setdefault(item_id, set()).add(reviewer)
    todo = con.execute(
        "SELECT si.item_id, si.reviewers_wanted - count(a.reviewer) FROM sample_item si"
        " LEFT JOIN assignment a USING (sample_id, item_id) WHERE si.sample_id = ?"
        " GROUP BY si.item_id, si.reviewers_wanted HAVING si.reviewers_wanted > count(a.reviewer)"
        " ORDER BY si.item_id",
        [sample_id],
    ).fetchall()
    order = rng.permutation(len(todo))  # queues mix strata instead of running through one
    rows = []
    for index in order:
        item_id, missing = todo[index]
        free = [r for r in reviewers if r not in seen.get(item_id, set())]
        for reviewer in sorted(free, key=lambda r: (load[r], reviewers.index(r)))[:missing]:
            load[reviewer] += 1
            position[reviewer] += 1
            seen.setdefault(item_id, set()).add(reviewer)
            rows.append((sample_id, item_id, reviewer, position[reviewer]))
    return writes.insert_assignments(con, rows)


assign = _assign  # canary review draws (core.review.canary_sampling) deal their items alike


def _stored(con, sample_id: str) -> tuple[str, str, str | None, SampleParams]:
    """A sample's migration, runs and the parameters it was drawn with."""
    info = con.execute(
        "SELECT migration_id, run_a, run_b, params FROM sample WHERE sample_id = ?", [sample_id]
    ).fetchone()
    if info is None:
        raise NotFoundError(f"no sample {sample_id!r}")
    migration_id, run_a, run_b, raw = info
    stored = json.loads(raw)
    if stored.get("traffic") == "canary":
        raise InputError(
            "top-up",
            f"{sample_id} is a canary review draw, drawn at fixed rates from a stream: draw"
            f" again (`python -m core canary sample --migration {migration_id}`) instead",
        )
    stored["reviewers"] = tuple(stored.get("reviewers", ()))
    return migration_id, run_a, run_b, SampleParams(**stored)


def top_up(
    con: duckdb.DuckDBPyConnection,
    sample_id: str,
    stratum: str,
    pool: Pool,
    rate: float,
    *,
    actor: str,
) -> int:
    """Raise one stratum's rate; returns how many items were added."""
    migration_id, run_a, run_b, params = _stored(con, sample_id)
    current = con.execute(
        "SELECT item_id, stratum_size FROM sample_item WHERE sample_id = ? AND stratum = ?"
        " AND pool = ?",
        [sample_id, stratum, pool],
    ).fetchall()
    if not current:
        raise InputError("top-up", f"the sample has no stratum {stratum!r} / {pool!r}")
    size = current[0][1]
    target = min(size, max(len(current), math.ceil(rate * size - 1e-9)))
    taken = {item_id for item_id, _ in current}
    items, _ = frame(con, migration_id, run_a, run_b, params)
    remaining = [i for i, s, p in items if s == stratum and p == pool and i not in taken]
    extra = min(target - len(current), len(remaining))
    if extra <= 0:
        return 0
    rounds = db.scalar(con, "SELECT max(round) FROM sample_item WHERE sample_id = ?", [sample_id])
    rng = np.random.default_rng([params.seed, rounds + 1])
    picks = [remaining[i] for i in sorted(rng.choice(len(remaining), size=extra, replace=False))]
    probability = (len(current) + extra) / size
    with db.transaction(con):
        writes.insert_sample_items(
            con,
            [
                writes.SampleItemRow(
                    sample_id, item_id, stratum, pool, size, probability, round=rounds + 1
                )
                for item_id in picks
            ],
        )
        writes.set_inclusion_prob(con, sample_id, stratum, pool, probability)
        _assign(con, sample_id, migration_id, rng, list(params.reviewers))
        writes.audit(
            con,
            actor,
            "top_up_sample",
            "sample",
            sample_id,
            before={"stratum": stratum, "pool": pool, "n": len(current)},
            after={"n": len(current) + extra, "inclusion_prob": probability, "rate": rate},
        )
    return extra


def list_samples(con: duckdb.DuckDBPyConnection, migration_id: str | None = None) -> list[dict]:
    rows = con.execute(
        "SELECT s.sample_id, s.name, s.migration_id, s.run_b IS NULL, s.created_at, s.synthetic,"
        " (SELECT count(*) FROM sample_item si WHERE si.sample_id = s.sample_id),"
        " (SELECT count(*) FROM assignment a WHERE a.sample_id = s.sample_id),"
        " (SELECT count(*) FROM assignment a WHERE a.sample_id = s.sample_id"
        "   AND a.status = 'done')"
        " FROM sample s WHERE (? IS NULL OR s.migration_id = ?)"
        " AND coalesce(json_extract_string(s.params, '$.traffic'), '') <> 'canary'"  # golden only
        " ORDER BY s.created_at",
        [migration_id, migration_id],
    ).fetchall()
    keys = (
        "sample_id",
        "name",
        "migration_id",
        "single",
        "created_at",
        "synthetic",
        "items",
        "assignments",
        "done",
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]


def strata(con: duckdb.DuckDBPyConnection, sample_id: str) -> list[dict]:
    """A sample's strata with N_h, n_h and the inclusion probability."""
    rows = con.execute(
        "SELECT stratum, pool, any_value(stratum_size), count(*), any_value(inclusion_prob)"
        " FROM sample_item WHERE sample_id = ? GROUP BY stratum, pool ORDER BY 1, 2",
        [sample_id],
    ).fetchall()
    keys = ("stratum", "pool", "size", "taken", "inclusion_prob")
    return [dict(zip(keys, row, strict=True)) for row in rows]
