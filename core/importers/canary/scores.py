"""Judge scores that arrive apart from their requests (OTel ``gen_ai.evaluation.result``
events): each must name a request of this file or one ingested before, once per metric and
evaluator."""

from __future__ import annotations

import itertools

import duckdb
import pandas as pd

from core.catalog import metrics
from core.errors import InputError
from core.importers.canary import load
from core.importers.staging import Staged
from core.store import sql, writes_canary
from core.store.sql import Sql

COLUMNS = ("_row", "request_id", "metric", "evaluator", "score", "label", "explanation")
_names = itertools.count(1)


def frame(records: list[dict]) -> pd.DataFrame:
    """The scores a parser found, one dict per score with COLUMNS' keys."""
    out = pd.DataFrame(records, columns=list(COLUMNS))
    out["score"] = out["score"].astype("float64")
    for name in ("request_id", "metric", "evaluator", "label", "explanation"):
        out[name] = out[name].astype("string")
    return out


def idle_metrics(
    con: duckdb.DuckDBPyConnection, bound: load.Bound, found: pd.DataFrame | None, file: str
) -> list[str]:
    """A note naming the score metrics that cannot count in the canary's judge check: the judge
    verdict reads a score against its catalog metric's threshold, by the metric's exact name
    (not mapped: a tool's 'Relevance' on 1-5 is not the catalog's 'relevance' on 0-1)."""
    names = set(bound.scores) | (set() if found is None else set(found["metric"].dropna()))
    known = metrics.catalog(con)
    idle = sorted(n for n in names if n not in known or known[n].default_threshold is None)
    if not idle:
        return []
    return [
        f"{file}: scores of {', '.join(map(repr, idle))} are stored but do not count in the"
        " judge check: the metric catalog has no metric of that name with a threshold (add it"
        " with its scale: `python -m core metric set NAME --direction higher --low L --high H"
        " --threshold T`)"
    ]


def validate(
    con: duckdb.DuckDBPyConnection,
    scores: pd.DataFrame,
    staged: Staged,
    bound: load.Bound,
    migration_id: str,
    file: str,
) -> None:
    if scores.empty:
        return
    keys = ["request_id", "metric", "evaluator"]
    repeated = scores[scores.duplicated(keys, keep="first")]
    if not repeated.empty:
        row = repeated.iloc[0]
        raise InputError(
            file,
            f"a second {row['metric']!r} score from {row['evaluator']!r} for request"
            f" {row['request_id']!r}; each evaluator scores a request once per metric",
            row=int(row["_row"]),
            row_word="line",
        )
    name = f"canary_scores_{next(_names)}"
    con.execute("SELECT 1").fetchall()  # closes an open result: DuckDB refuses register() else
    con.register(name, scores)
    try:
        orphans = con.execute(
            str(
                sql.compose(
                    _ORPHANS,
                    scores=sql.name(name),
                    request=Sql(load.expr(bound, "request_id")),  # quote()d columns
                    spans=sql.name(staged.table),
                )
            ),
            [migration_id],
        ).fetchall()  # not fetchone(): an open result would block unregister()
        if orphans:
            orphan = orphans[0]
            raise InputError(
                file,
                f"an evaluation result for request {orphan[1]!r}, which is neither in this file"
                f" nor ingested before for {migration_id}; ingest the spans first",
                row=int(orphan[0]),
                row_word="line",
            )
        repeats = con.execute(
            str(sql.compose(_REPEATS, scores=sql.name(name))),
            [migration_id],
        ).fetchall()
        if repeats:
            again = repeats[0]
            raise InputError(
                file,
                f"the {again[2]!r} score of request {again[1]!r} was ingested before",
                row=int(again[0]),
                row_word="line",
            )
    finally:
        con.unregister(name)


# The first score of a request neither in the file's spans nor ingested before.
_ORPHANS = (
    "SELECT _row, request_id FROM {scores} WHERE request_id NOT IN"
    " (SELECT {request} FROM {spans}) AND request_id NOT IN"
    " (SELECT request_id FROM canary_request WHERE migration_id = ?) ORDER BY _row LIMIT 1"
)

# A file's score of a request, metric and evaluator that was ingested before.
_REPEATS = (
    "SELECT s._row, s.request_id, s.metric FROM {scores} s JOIN canary_score c"
    " ON c.migration_id = ? AND c.request_id = s.request_id"
    " AND c.metric = s.metric AND c.evaluator = s.evaluator ORDER BY s._row LIMIT 1"
)


def write(con: duckdb.DuckDBPyConnection, scores: pd.DataFrame, migration_id: str, sha: str) -> int:
    if scores.empty:
        return 0
    name = f"canary_scores_{next(_names)}"
    con.execute("SELECT 1").fetchall()  # closes an open result: DuckDB refuses register() else
    con.register(name, scores)
    try:
        return writes_canary.insert_scores_from(
            con,
            sql.compose(
                "SELECT ?, request_id, metric, evaluator, score, label, explanation, ?"
                " FROM {scores}",
                scores=sql.name(name),
            ),
            [migration_id, sha],
        )
    finally:
        con.unregister(name)
