"""The metric catalog: canonical names, the names each tool writes, ranges and directions.

Tools name one idea differently (Ragas ``faithfulness``, DeepEval ``Faithfulness``, Bedrock
``Builtin.Faithfulness``); a file's metric names are normalised and looked up here so runs
scored by different tools meet. A metric's direction decides what passes: a lower-is-better
metric (harmfulness, stereotyping, refusal, toxicity, noise sensitivity) passes when low.
Built-in entries are seeded into the ``metric`` and ``metric_alias`` tables at connect time;
an owner's changes replace them and go to the audit table. A name the catalog does not know
is imported as it is, listed as unmapped, and never gates a decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from core.catalog.builtin_metrics import BUILTIN
from core.errors import InputError, NotFoundError
from core.store import db, writes

DIRECTIONS = ("higher", "lower")
TOLERANCE = 1e-9  # relative: Ragas' BLEU of identical texts is 1.0000000000000004


@dataclass(frozen=True)
class Metric:
    metric: str
    display_name: str
    low: float | None
    high: float | None
    direction: str
    default_threshold: float | None
    source: str | None = None
    origin: str = "builtin"

    def passes_sql(self, score: str, threshold: str) -> str:
        """SQL for 'score passes at threshold' in this metric's direction."""
        return passes(score, threshold, self.direction)


def passes(score: str, threshold: str, direction: str | None) -> str:
    """SQL for 'score passes at threshold': the one place a direction becomes an operator.

    ``score`` and ``threshold`` are SQL expressions; ``direction`` is 'lower' or 'higher'
    (anything else reads as higher is better, as Switchyard's own judges score)."""
    return f"{score} {'<=' if direction == 'lower' else '>='} {threshold}"


def normalise(name: str) -> str:
    """'Builtin.ProfessionalStyleAndTone' -> 'professional_style_and_tone';
    'rouge_score(mode=fmeasure)' -> 'rouge_score_mode_fmeasure'; 'Answer Relevancy' ->
    'answer_relevancy'."""
    name = re.sub(r"^builtin\.", "", str(name).strip(), flags=re.IGNORECASE)
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)  # split CamelCase
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_") or "metric"


def seed(con: duckdb.DuckDBPyConnection) -> None:
    """Add built-in entries the database lacks; an owner's entries are left as they are."""
    if db.scalar(con, "SELECT count(*) FROM metric WHERE origin = 'builtin'") >= len(BUILTIN):
        return
    with db.transaction(con):
        con.executemany(
            "INSERT INTO metric VALUES (?, ?, ?, ?, ?, ?, ?, 'builtin') ON CONFLICT DO NOTHING",
            [list(entry[:7]) for entry in BUILTIN],
        )
        aliases = {}
        for entry in BUILTIN:
            aliases[normalise(entry[0])] = (entry[0], "switchyard")
            for tool, name in entry[7]:
                aliases.setdefault(normalise(name), (entry[0], tool))
        con.executemany(
            "INSERT INTO metric_alias VALUES (?, ?, ?, 'builtin') ON CONFLICT DO NOTHING",
            [[alias, metric, tool] for alias, (metric, tool) in aliases.items()],
        )


def catalog(con: duckdb.DuckDBPyConnection) -> dict[str, Metric]:
    rows = con.execute(
        "SELECT metric, display_name, low, high, direction, default_threshold, source, origin"
        " FROM metric ORDER BY metric"
    ).fetchall()
    return {r[0]: Metric(*r) for r in rows}


def aliases(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT alias, metric FROM metric_alias").fetchall())


@dataclass(frozen=True)
class Resolved:
    raw_name: str
    metric: str  # canonical, or the normalised raw name when unmapped
    entry: Metric | None  # None: unknown to the catalog


def resolve(con: duckdb.DuckDBPyConnection, raw_names: list[str]) -> dict[str, Resolved]:
    """Each raw name as the catalog reads it."""
    known, names = catalog(con), aliases(con)
    out = {}
    for raw in raw_names:
        key = normalise(raw)
        metric = names.get(key, key)
        out[raw] = Resolved(raw, metric, known.get(metric))
    return out


def get(con: duckdb.DuckDBPyConnection, metric: str) -> Metric:
    entry = catalog(con).get(metric)
    if entry is None:
        raise NotFoundError(
            f"no metric {metric!r} in the catalog (see `python -m core metric list`)"
        )
    return entry


_UPSERT_METRIC = (
    "INSERT INTO metric VALUES (?, ?, ?, ?, ?, ?, ?, 'owner') ON CONFLICT (metric) DO UPDATE"
    " SET display_name = excluded.display_name, low = excluded.low, high = excluded.high,"
    " direction = excluded.direction, default_threshold = excluded.default_threshold,"
    " source = excluded.source, origin = excluded.origin"
)


def set_metric(
    con: duckdb.DuckDBPyConnection,
    metric: str,
    *,
    actor: str,
    display_name: str | None = None,
    low: float | None = None,
    high: float | None = None,
    direction: str | None = None,
    default_threshold: float | None = None,
    source: str | None = None,
) -> Metric:
    """Add a metric or change an entry (audited); unset arguments keep their value."""
    if not str(metric or "").strip():
        raise InputError("metric", "give the metric a name")
    name = normalise(metric)
    before = catalog(con).get(name)
    if direction is not None and direction not in DIRECTIONS:
        raise InputError("metric", f"direction must be 'higher' or 'lower', got {direction!r}")
    if before is None and direction is None:
        raise InputError("metric", f"{name} is new: say its --direction (higher or lower)")
    after = _merged(
        before,
        name,
        display_name=display_name,
        low=low,
        high=high,
        direction=direction,
        default_threshold=default_threshold,
        source=source,
    )
    if after.low is not None and after.high is not None and after.low >= after.high:
        raise InputError("metric", f"the range of {name} must have low < high")
    with db.transaction(con):
        con.execute(
            _UPSERT_METRIC,
            [
                after.metric,
                after.display_name,
                after.low,
                after.high,
                after.direction,
                after.default_threshold,
                after.source,
            ],
        )
        con.execute(
            "INSERT INTO metric_alias VALUES (?, ?, 'owner', 'owner') ON CONFLICT DO NOTHING",
            [name, name],
        )
        writes.audit(
            con,
            actor,
            "set_metric",
            "metric",
            name,
            before=before.__dict__ if before else None,
            after=after.__dict__,
        )
    return after


def _merged(before: Metric | None, name: str, **given) -> Metric:
    """The owner's entry: each argument given, else the value before (None when new)."""

    def pick(key: str):
        if given[key] is not None:
            return given[key]
        return getattr(before, key) if before else None

    direction = given["direction"] or (before.direction if before else None)
    if direction is None:
        raise InputError("metric", f"{name} is new: say its --direction (higher or lower)")
    return Metric(
        name,
        given["display_name"] or (before.display_name if before else name),
        pick("low"),
        pick("high"),
        direction,
        pick("default_threshold"),
        pick("source"),
        "owner",
    )


def map_name(con: duckdb.DuckDBPyConnection, raw_name: str, metric: str, *, actor: str) -> str:
    """Read ``raw_name`` as the catalog metric ``metric`` from now on (audited).

    Scores already imported under the unmapped name move to the metric, and verdicts the
    file did not state are derived in the metric's direction."""
    entry = get(con, metric)
    alias = normalise(raw_name)
    if alias == entry.metric:
        return alias
    before = con.execute("SELECT metric FROM metric_alias WHERE alias = ?", [alias]).fetchone()
    with db.transaction(con):
        con.execute(
            "INSERT INTO metric_alias VALUES (?, ?, 'owner', 'owner') ON CONFLICT (alias) DO"
            " UPDATE SET metric = excluded.metric, tool = excluded.tool, origin = excluded.origin",
            [alias, entry.metric],
        )
        moved = db.scalar(
            con, "SELECT count(*) FROM run_metric WHERE metric = ? AND NOT mapped", [alias]
        )
        if moved:
            clash = con.execute(
                "SELECT a.run_id FROM run_metric a JOIN run_metric b USING (run_id)"
                " WHERE a.metric = ? AND NOT a.mapped AND b.metric = ? LIMIT 1",
                [alias, entry.metric],
            ).fetchone()
            if clash:
                raise InputError(
                    "metric",
                    f"run {clash[0]} already has scores for {entry.metric}; "
                    f"mapping {alias} onto it would mix two metrics",
                )
            con.execute(
                "UPDATE judge_score SET metric = ?, passed = coalesce(passed, "  # noqa: S608 - the direction's operator from code; values bound
                + entry.passes_sql("score", "coalesce(threshold, ?)")
                + "), threshold = coalesce(threshold, ?) WHERE metric = ? AND run_id IN"
                " (SELECT run_id FROM run_metric WHERE metric = ? AND NOT mapped)",
                [entry.metric, entry.default_threshold, entry.default_threshold, alias, alias],
            )
            con.execute(
                "UPDATE run_metric SET metric = ?, mapped = true, direction = ?,"
                " direction_source = 'catalog', low = ?, high = ?"
                " WHERE metric = ? AND NOT mapped",
                [entry.metric, entry.direction, entry.low, entry.high, alias],
            )
        writes.audit(
            con,
            actor,
            "map_metric",
            "metric_alias",
            alias,
            before={"metric": before[0]} if before else None,
            after={"metric": entry.metric, "runs_moved": moved},
        )
    return entry.metric


def unmapped(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Metric names imported without a catalog entry, with the runs that carry them."""
    rows = con.execute(
        "SELECT metric, list(DISTINCT raw_name), list(run_id ORDER BY run_id) FROM run_metric"
        " WHERE NOT mapped GROUP BY metric ORDER BY metric"
    ).fetchall()
    return [{"metric": m, "names": n, "runs": r} for m, n, r in rows]


def run_directions(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> dict[tuple, dict]:
    """(run_id, metric) -> how the metric was read on that run."""
    rows = con.execute(
        "SELECT run_id, metric, raw_name, mapped, direction, direction_source, low, high, clipped"
        " FROM run_metric WHERE run_id IN (SELECT unnest(?))",
        [run_ids],
    ).fetchall()
    keys = ("raw_name", "mapped", "direction", "direction_source", "low", "high", "clipped")
    return {(r[0], r[1]): dict(zip(keys, r[2:], strict=True)) for r in rows}


# A judge verdict after calibration: the score against the latest threshold set on the
# Calibration page, in the metric's direction; else the stored verdict. ``j`` is judge_score,
# ``t`` the latest judge_threshold, ``rm`` run_metric (missing for runs scored by
# Switchyard's own judges and the demo: higher is better there).
VERDICT_SQL = (
    f"coalesce(CASE WHEN rm.direction = 'lower' THEN {passes('j.score', 't.threshold', 'lower')}"
    f" ELSE {passes('j.score', 't.threshold', 'higher')} END, j.passed)"
)
RUN_METRIC_JOIN = "LEFT JOIN run_metric rm ON rm.run_id = j.run_id AND rm.metric = j.metric"
