"""Which canary requests the judges score: a Bernoulli sample of both arms at one rate.

A request is in the frame when it has a prompt and a response and no error. Its coin is the
first 52 bits of md5('<seed>:<request_id>') read as a fraction of 1; it is in the sample when
the coin is below ``share``. The same rate applies to both arms because the canary's judge
check compares the arms' pass rates: a sample that favoured one arm would bias that
difference. The coin is stable, so with the same seed a later pass meets the requests it
judged before (already scored, left out) and judges only new traffic, and a request whose
judge call failed is tried again.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

COIN_DIGITS = 13  # hex digits of md5 read as the coin: 52 bits, exact in a double


# SQL: the request's coin is below the threshold (parameters: seed, threshold).
COIN_BELOW = f"('0x' || substr(md5(? || ':' || r.request_id), 1, {COIN_DIGITS}))::UBIGINT < ?"
# SQL: the request can be judged (parameters: migration_id, since).
FRAME = (
    "r.migration_id = ? AND r.error IS NULL AND length(trim(coalesce(r.prompt, ''))) > 0"
    " AND length(trim(coalesce(r.response, ''))) > 0 AND r.ts >= ?"
)


def pending(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    share: float,
    seed: str,
    evaluators: dict[str, str],
    since: datetime | None = None,
    limit: int | None = None,
) -> list[tuple]:
    """(request_id, arm, prompt, response, [metrics to score]) of the sampled requests some
    wanted metric has no score on from its evaluator yet, lowest coin first."""
    query = f"""
        SELECT r.request_id, r.arm, r.prompt, r.response, list(w.metric ORDER BY w.metric)
        FROM canary_request r,
             (SELECT unnest(?::VARCHAR[]) AS metric, unnest(?::VARCHAR[]) AS evaluator) w
        WHERE {FRAME} AND {COIN_BELOW} AND NOT EXISTS (
            SELECT 1 FROM canary_score c WHERE c.migration_id = r.migration_id
              AND c.request_id = r.request_id AND c.metric = w.metric
              AND c.evaluator = w.evaluator)
        GROUP BY r.request_id, r.arm, r.prompt, r.response
        ORDER BY min(md5(? || ':' || r.request_id)), r.request_id
        LIMIT ?
    """  # noqa: S608 - FRAME and the coin are constants; values are bound
    params = [
        list(evaluators),
        list(evaluators.values()),
        migration_id,
        since or datetime(1970, 1, 1),
        seed,
        _threshold(share),
        seed,
        limit,
    ]
    return [tuple(r) for r in con.execute(query, params).fetchall()]


def _threshold(share: float) -> int:
    """The coin's integer bound: share 1 takes every request (the largest coin is 16**13 - 1)."""
    return round(share * 16**COIN_DIGITS)


def counts(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    share: float,
    seed: str,
    since: datetime | None = None,
) -> dict[str, tuple[int, int]]:
    """arm -> (requests in the frame, of them in the sample)."""
    rows = con.execute(
        "SELECT r.arm, count(*), count(*) FILTER (WHERE " + COIN_BELOW + ")"  # noqa: S608 - code constants only; values bound
        " FROM canary_request r WHERE " + FRAME + " GROUP BY r.arm",
        [seed, _threshold(share), migration_id, since or datetime(1970, 1, 1)],
    ).fetchall()
    found = {arm: (int(n), int(k)) for arm, n, k in rows}
    return {arm: found.get(arm, (0, 0)) for arm in ("control", "canary")}
