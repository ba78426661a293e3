"""Validating staged canary requests and writing them: the one path every format ends in.

A parser (native table, OTLP spans, Bedrock logs) stages its rows as the native columns;
``validate`` scans them once for every problem (checks.first_error) and refuses the file at
its first bad row, naming the file, line or row, and column; ``write`` inserts the requests
(cost from the prices in force on each request's day) and scores. Nothing is written unless
every check passed, and the caller holds one transaction per file.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from core.errors import InputError
from core.importers import checks
from core.importers.canary import arms as arm_map
from core.importers.checks import Checks, Column, Field
from core.importers.staging import Staged
from core.importers.values import native, present, raw, typed
from core.store import sql, writes_canary
from core.store.sql import Sql, literal, quote

# Numbers from logs must be finite: NaN is refused, not read as blank (nan_is_blank=False).
FIELDS = [
    Field("request_id", required=True, nonempty=True, aliases=("requestId", "id")),
    Field("ts", required=True, nonempty=True, aliases=("timestamp", "time")),
    Field("model_id", required=True, nonempty=True, aliases=("modelId", "model")),
    Field("arm"),
    Field("prompt"),
    Field("response", aliases=("output",)),
    Field("ttft_ms", "number", minimum=0, nan_is_blank=False),
    Field("latency_ms", "number", minimum=0, nan_is_blank=False),
    Field("input_tokens", "integer", minimum=0, nan_is_blank=False),
    Field("output_tokens", "integer", minimum=0, nan_is_blank=False),
    Field("error"),
    Field("stratum"),
]
SCORE_PREFIX = "score."
# An explicit offset after a time of day: 'Z', '+02:00', '-0500'.
_OFFSET = r"[0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?\s*(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$"
_TIMESTAMPS = ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATETIME")


@dataclass(frozen=True)
class Bound:
    """A staged file's columns bound to the native fields, and its score columns."""

    staged: Staged
    cols: dict[str, Column]
    scores: dict[str, Column]  # metric -> its score.<metric> column


def bind(con: duckdb.DuckDBPyConnection, staged: Staged) -> Bound:
    cols = checks.bind(con, staged, FIELDS)
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {staged.table}").fetchall()}
    scores = {}
    for name in staged.columns:
        if name.lower().startswith(SCORE_PREFIX) and len(name) > len(SCORE_PREFIX):
            field = Field(name, "number", nan_is_blank=False)
            scores[name[len(SCORE_PREFIX) :]] = Column(field, name, staged, types[name])
    return Bound(staged, cols, scores)


def expr(bound: Bound, name: str) -> str:
    """SQL for a field's clean value (NULL when the file lacks the column)."""
    col = bound.cols.get(name)
    if col is None:
        return "NULL"
    if name == "ts":
        return ts(col)
    if name in ("request_id", "model_id", "arm", "stratum"):
        return f"NULLIF(trim({raw(col)}), '')"
    return checks.value(col)


def ts(col: Column) -> str:
    """The timestamp in UTC: a typed column as it is (with its zone: converted), text in ISO
    8601 with its offset honoured, or read as UTC when it has none."""
    name = quote(col.source)
    kind = col.source_type.split("(")[0]
    if native(col) and kind in _TIMESTAMPS:
        return f"CAST({name} AS TIMESTAMP)"
    if native(col) and kind == "TIMESTAMP WITH TIME ZONE":
        return f"timezone('UTC', {name})"
    text = f"trim({raw(col)})"
    return (
        f"(CASE WHEN regexp_matches({text}, '{_OFFSET}')"
        f" THEN timezone('UTC', TRY_CAST({text} AS TIMESTAMPTZ))"
        f" ELSE TRY_CAST({text} AS TIMESTAMP) END)"
    )


def validate(
    con: duckdb.DuckDBPyConnection,
    bound: Bound,
    migration_id: str,
    known: dict[str, str],
    window: arm_map.Window,
) -> None:
    """Refuse the file at its first bad row: values, arms and model ids, the time window.
    Repeated request ids are left to canary_request's key (see ``explain_duplicate``)."""
    staged = bound.staged
    found = Checks()
    for col in [*bound.cols.values(), *bound.scores.values()]:
        checks.add_field_checks(found, col)
    _add_window_checks(found, bound.cols["ts"], migration_id, window)
    _add_arm_checks(con, found, bound, migration_id, known)
    checks.first_error(con, staged, found)


def explain_duplicate(con: duckdb.DuckDBPyConnection, bound: Bound, migration_id: str) -> None:
    """After canary_request's key refused the insert (and the transaction rolled back): the
    request id repeated in the file, or ingested before from another file, with its rows.
    The key finds repeats at no extra cost; this query runs only when it did."""
    checks.check_unique(
        con,
        bound.staged,
        expr(bound, "request_id"),
        bound.cols["request_id"].source,
        "request id",
    )
    _check_not_ingested(con, bound, migration_id)


def _add_window_checks(
    found: Checks, col: Column, migration_id: str, window: arm_map.Window
) -> None:
    """A timestamp that parses, inside the canary's window, and not from the future."""
    when, shown = ts(col), f"CAST({ts(col)} AS VARCHAR)"
    found.add(
        f"{present(col)} AND {when} IS NULL",
        "expected a timestamp in ISO 8601 (such as 2026-11-30T12:00:00Z)",
        col.source,
        raw(col),
    )
    start, latest = window.start.isoformat(sep=" "), window.latest.isoformat(sep=" ")
    found.add(
        f"{when} < CAST({literal(start)} AS TIMESTAMP)",
        f"before the canary's window, which opens when {window.opened}"
        f" ({window.start.isoformat(sep=' ', timespec='seconds')} UTC, migration"
        f" {migration_id}); traffic from before it is not this canary's",
        col.source,
        shown,
    )
    if window.end is not None:
        archived = window.end.isoformat(sep=" ", timespec="seconds")
        after = f"after the migration was archived ({archived} UTC)"
    else:
        after = (
            f"in the future: more than {int(arm_map.CLOCK_SKEW.total_seconds() // 60)} minutes"
            f" ahead of this machine's clock ({window.now.isoformat(sep=' ', timespec='seconds')}"
            " UTC); check the logging host's clock and time zone"
        )
    found.add(f"{when} > CAST({literal(latest)} AS TIMESTAMP)", after, col.source, shown)


def _add_arm_checks(
    con: duckdb.DuckDBPyConnection,
    found: Checks,
    bound: Bound,
    migration_id: str,
    known: dict[str, str],
) -> None:
    """A known model id (the known ones listed), and an arm, where given, that agrees."""
    table = bound.staged.table
    # Column names of their own: in the correlated subquery below, "model_id" is the file's.
    frame = pd.DataFrame(
        {"arm_model": list(known), "arm_name": list(known.values())}, dtype="string"
    )
    con.execute("SELECT 1").fetchall()  # closes an open result: DuckDB refuses register() else
    con.register(f"{table}_known", frame)
    try:
        con.execute(f"CREATE TEMP TABLE {table}_arms AS SELECT * FROM {table}_known")  # noqa: S608 - generated temp table name
    finally:
        con.unregister(f"{table}_known")
    model = expr(bound, "model_id")
    found.add(
        f"{model} NOT IN (SELECT arm_model FROM {table}_arms)",  # noqa: S608 - generated temp table
        f"unknown model id for migration {migration_id}; the known ones are"
        f" {arm_map.listed(known)} (map another with `python -m core canary arm`)",
        bound.cols["model_id"].source,
        model,
    )
    if "arm" not in bound.cols:
        return
    arm, col = expr(bound, "arm"), bound.cols["arm"]
    found.add(
        f"{arm} IS NOT NULL AND {arm} NOT IN ('control', 'canary')",
        "expected the arm control or canary",
        col.source,
        raw(col),
    )
    if len(set(known.values())) == 2:
        found.add(
            f"{arm} <> (SELECT arm_name FROM {table}_arms WHERE arm_model = {model})",  # noqa: S608 - generated temp table
            "the arm contradicts the model id's arm (control and canary run different"
            f" models: {arm_map.listed(known)})",
            col.source,
            raw(col),
        )


def _check_not_ingested(con: duckdb.DuckDBPyConnection, bound: Bound, migration_id: str) -> None:
    """A request id already stored for the migration (from another file) is refused."""
    staged = bound.staged
    hit = con.execute(
        sql.compose(
            "SELECT s._row, r.request_id, f.source FROM (SELECT _row, {request} AS rid"
            " FROM {staged}) s JOIN canary_request r"
            " ON r.migration_id = ? AND r.request_id = s.rid"
            " LEFT JOIN canary_file f ON f.migration_id = r.migration_id"
            " AND f.sha256 = r.file_sha256 ORDER BY s._row LIMIT 1",
            request=Sql(expr(bound, "request_id")),  # quote()d columns
            staged=sql.name(staged.table),
        ).text,
        [migration_id],
    ).fetchone()
    if hit:
        row, request_id, source = hit
        raise InputError(
            staged.file,
            f"request id {request_id!r} was already ingested for {migration_id} from"
            f" {source or 'another file'}; a request is counted once",
            row=row,
            column=bound.cols["request_id"].source,
            row_word=staged.row_word,
        )


def warnings(con: duckdb.DuckDBPyConnection, bound: Bound) -> list[str]:
    """What is accepted but worth saying: requests without token counts have no cost.

    Accepted rather than refused: a failed or throttled call, and many streamed ones, carry
    no usage, and refusing them would drop the very errors the error-rate check counts and
    the latencies the speed checks need. Their cost_usd stays NULL; the cost check uses the
    costed requests, and this note says how many are not.
    """
    staged = bound.staged
    missing = f"{expr(bound, 'input_tokens')} IS NULL OR {expr(bound, 'output_tokens')} IS NULL"
    count, first = con.execute(
        f"SELECT count(*), min(_row) FROM {staged.table} WHERE {missing}"  # noqa: S608 - generated temp table; quote()d columns
    ).fetchone() or (0, None)
    if not count:
        return []
    return [
        f"{staged.file}: {count} request(s) without input or output token counts (first on"
        f" {staged.row_word} {first}): their cost is unknown and the cost check leaves them out"
    ]


def write(
    con: duckdb.DuckDBPyConnection, bound: Bound, migration_id: str, sha: str
) -> tuple[int, int]:
    """Insert the validated requests and their score.* columns; (requests, scores) added."""
    staged = bound.staged
    fields = sql.join(
        ", ",
        (sql.compose("{e} AS {n}", e=Sql(expr(bound, f.name)), n=sql.name(f.name)) for f in FIELDS),
    )
    # Prices by (model, day): the latest effective on or before the day, among equal dates
    # the latest recorded (as prices_in_force); joined per day, not per request.
    select = sql.compose(
        "WITH s AS (SELECT {fields} FROM {staged}),"
        " a AS (SELECT model_id, arm AS mapped, priced_as FROM canary_arm WHERE migration_id = ?),"
        " p AS (SELECT DISTINCT ON (model_id, effective_date) model_id, effective_date,"
        "  input_per_1k, output_per_1k, currency FROM model_price"
        "  ORDER BY model_id, effective_date, recorded_at DESC),"
        " d AS (SELECT DISTINCT a.priced_as, CAST(s.ts AS DATE) AS day"
        "  FROM s JOIN a USING (model_id)),"
        " dp AS (SELECT d.priced_as, d.day, p.input_per_1k, p.output_per_1k, p.currency FROM d"
        "  ASOF LEFT JOIN p ON d.priced_as = p.model_id AND d.day >= p.effective_date)"
        " SELECT ?, s.request_id, coalesce(s.arm, a.mapped), s.ts, s.model_id, s.prompt,"
        " s.response, s.ttft_ms, s.latency_ms, s.input_tokens, s.output_tokens,"
        " CASE WHEN dp.currency = 'USD' THEN s.input_tokens / 1000.0 * dp.input_per_1k"
        "  + s.output_tokens / 1000.0 * dp.output_per_1k END,"
        " s.error, s.stratum, ? FROM s JOIN a USING (model_id)"
        " LEFT JOIN dp ON dp.priced_as = a.priced_as AND dp.day = CAST(s.ts AS DATE)"
        " ORDER BY s.ts, s.request_id",  # stored in arrival order: status reads it unsorted
        fields=fields,
        staged=sql.name(staged.table),
    )
    requests = writes_canary.insert_requests_from(con, select, [migration_id, migration_id, sha])
    scores = 0
    for metric, col in bound.scores.items():
        scores += writes_canary.insert_scores_from(
            con,
            sql.compose(
                "SELECT ?, {request}, ?, 'file', {score}, NULL, NULL, ? FROM {staged}"
                " WHERE {score} IS NOT NULL",
                request=Sql(expr(bound, "request_id")),  # quote()d columns
                score=typed(col),
                staged=sql.name(staged.table),
            ),
            [migration_id, metric, sha],
        )
    return requests, scores
