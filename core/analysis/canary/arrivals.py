"""Both arms' requests in arrival order, with their judge verdicts and SME review terms, as
the canary's checks take them (``load``).

Arrival order is (ts, rowid): the time, then the order the requests were ingested. The base
columns come from one scan without a sort or a join, the verdicts and SME terms (a sample of
the requests) from two small queries placed by rowid: at ten million requests a sorted,
joined query took most of ``canary status``'s time.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from core.catalog.canary_verdict import VERDICT_SQL

ARMS = ("control", "canary")  # the arm column's categories, in code order
COLUMNS = (
    "ts",
    "arm",
    "request_id",
    "ttft_ms",
    "latency_ms",
    "error",
    "judge_passed",
    "sme_passed",
    "sme_flag",
    "sme_z",
    "sme_pi",
    "cost_usd",
    "stratum",
)
IDS = ("request_id", "stratum")

# Each request a review draw considered gets the difference estimator's term
#   z = judge + drawn·(sme − judge) / π_eff
# (Särndal, Swensson & Wretman 1992, Model Assisted Survey Sampling, §6.3: the judges' verdict
# is the model prediction, the SME's the study variable). Under Bernoulli draws its mean is the
# SME pass rate, and z is a bounded i.i.d. stream per arm, so the canary's confidence
# sequences apply. π_eff is the pool's rate times the share of its drawn requests labelled so
# far (as n_h/N_h in the golden design), so labels still owed do not count as agreement.
SME_TERMS = """
        label_of AS (
            SELECT request_id, avg(passed::INTEGER) AS sme_pass,
                   bool_or(safety_flag OR list_has_any(failure_modes, ['hallucination', 'unsafe']))
                       AS flagged
            FROM canary_label WHERE migration_id = $1 GROUP BY request_id
        ),
        frame AS (
            SELECT f.*, l.sme_pass, l.flagged,
                   count(*) FILTER (WHERE f.drawn) OVER pool_of AS drawn_n,
                   count(l.sme_pass) OVER pool_of AS labelled_n
            FROM canary_review_frame f LEFT JOIN label_of l USING (request_id)
            WHERE f.migration_id = $1
            WINDOW pool_of AS (PARTITION BY f.sample_id, f.arm, f.pool)
        ),
        sme_terms AS (
            SELECT request_id, sme_pass AS sme_passed, flagged AS sme_flag,
                   pi AS sme_pi,
                   CASE WHEN pool = 'pass' THEN 1.0 ELSE 0.0 END
                     + CASE WHEN sme_pass IS NULL THEN 0.0
                            ELSE (sme_pass - CASE WHEN pool = 'pass' THEN 1.0 ELSE 0.0 END)
                                 / pi END AS sme_z
            FROM (SELECT *, CASE WHEN drawn_n = 0 THEN inclusion_prob
                                 ELSE inclusion_prob * labelled_n / drawn_n END AS pi
                  FROM frame) frame_pi
            WHERE drawn_n = 0 OR labelled_n > 0
        )"""

BASE_SQL = """
    SELECT r.rowid AS _rowid, r.ts, (r.arm = 'canary')::UTINYINT AS arm, r.ttft_ms,
           r.latency_ms, r.error IS NOT NULL AS error, r.cost_usd {ids}
    FROM canary_request r WHERE r.migration_id = $1 AND r.ts >= $2
"""
IDS_SQL = ", r.request_id, coalesce(r.stratum, 'all') AS stratum"
VERDICTS_SQL = f"""
    WITH verdict AS ({VERDICT_SQL})
    SELECT r.rowid AS _rowid, v.judge_passed::DOUBLE AS judge_passed
    FROM verdict v JOIN canary_request r ON r.migration_id = $1 AND r.request_id = v.request_id
"""  # noqa: S608 - code constants only; values are bound
SME_SQL = f"""
    WITH {SME_TERMS}
    SELECT r.rowid AS _rowid, z.sme_passed, z.sme_flag::DOUBLE AS sme_flag, z.sme_z, z.sme_pi
    FROM sme_terms z JOIN canary_request r ON r.migration_id = $1 AND r.request_id = z.request_id
"""  # noqa: S608 - code constants only; values are bound


def load(
    con: duckdb.DuckDBPyConnection,
    migration_id: str,
    gating: list[str],
    since: datetime | None = None,
    *,
    ids: bool = True,
) -> pd.DataFrame:
    """The requests from ``since`` in arrival order: ``arm`` categorical, verdicts and flags
    1.0, 0.0 or NaN (unknown). Without ``ids`` the request id and stratum are left out: the
    checks do not read them, and at ten million requests their text is most of the time.

    SME columns come from canary review draws (canary_review_frame, canary_label): ``sme_passed``
    (the reviewers' pass share) and ``sme_flag`` on labelled requests; ``sme_z`` on every request
    a draw considered (``SME_TERMS``), and ``sme_pi`` its inclusion probability. A (draw, arm,
    pool) with drawn requests but no label yet is left out (NaN) until its first label: it
    would count only the judges' verdicts."""
    start = since or datetime(1970, 1, 1)
    base = _arrays(con.execute(BASE_SQL.format(ids=IDS_SQL if ids else ""), [migration_id, start]))
    rowids = base["_rowid"]
    n = len(rowids)
    unknown = np.full(n, np.nan)  # shared by every column no request has a value in (read-only)
    unknown.flags.writeable = False
    for query, params in ((VERDICTS_SQL, [migration_id, gating]), (SME_SQL, [migration_id])):
        part = _arrays(con.execute(query, params))
        at, found = _place(rowids, part.pop("_rowid"))
        for name, values in part.items():
            column = unknown
            if len(at):
                column = np.full(n, np.nan)
                column[at] = values[found]
            base[name] = column
    order = _arrival_order(base["ts"], rowids)
    del base["_rowid"]
    if order is not None:
        base = {k: v if v is unknown else v[order] for k, v in base.items()}
    base["arm"] = pd.Categorical.from_codes(base["arm"], categories=list(ARMS))
    kept = [c for c in COLUMNS if ids or c not in IDS]
    # Arrays into a frame without copying or consolidating them (2.5 s at ten million rows).
    return pd.DataFrame({c: base[c] for c in kept}, copy=False)


def _arrays(result: duckdb.DuckDBPyConnection) -> dict[str, np.ndarray]:
    """A result's columns as arrays; a masked array's NULLs become NaN."""
    return {
        name: values.filled(np.nan) if isinstance(values, np.ma.MaskedArray) else values
        for name, values in result.fetchnumpy().items()
    }


def _arrival_order(ts: np.ndarray, rowid: np.ndarray) -> np.ndarray | None:
    """The permutation into (ts, rowid) order; None when the scan already gave it."""
    if len(ts) < 2:
        return None
    by_rowid = bool(np.all(rowid[1:] > rowid[:-1]))  # the scan's usual order
    if by_rowid and bool(np.all(ts[1:] >= ts[:-1])):
        return None
    if by_rowid:  # a stable sort by ts keeps rowid order within a time
        return np.argsort(ts, kind="stable")  # (timsort, quick on logs' nearly sorted times)
    return np.lexsort((rowid, ts))


def _place(rowids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each wanted rowid sits among the scan's ``rowids``, and which are there at all
    (a request before ``since`` is not)."""
    if len(wanted) == 0 or len(rowids) == 0:
        return np.array([], dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    if bool(np.all(rowids[1:] > rowids[:-1])):  # the scan's usual order: a binary search
        at = np.minimum(np.searchsorted(rowids, wanted), len(rowids) - 1)
        found = rowids[at] == wanted
        return at[found], found
    by_rowid = np.argsort(rowids)
    at = np.minimum(np.searchsorted(rowids, wanted, sorter=by_rowid), len(rowids) - 1)
    found = rowids[by_rowid[at]] == wanted
    return by_rowid[at[found]], found
