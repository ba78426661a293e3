"""Importing a run's file: outputs matched to the dataset's items, judge scores by metric.

The native layout has one row per item: ``item_id`` (or ``prompt`` to match by text),
``output``, ``ttft_ms``, ``latency_ms``, ``input_tokens``, ``output_tokens``,
``retrieval_cost``, ``error``, ``calls`` (a JSON list), and per judge metric M the columns
``score.M`` (required for M to exist), ``threshold.M``, ``passed.M``, ``judge.M``,
``explanation.M``, ``judge_version.M``. Other formats (core.importers.formats) convert to it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb

from core.catalog import metrics, runs
from core.catalog.runs import RunSpec
from core.errors import InputError
from core.formatting import count
from core.importers.checks import Checks, Column, Field, add_field_checks, bind, first_error, value
from core.importers.matching import match_items
from core.importers.staging import Staged
from core.importers.values import typed
from core.store import db, writes
from core.store.sql import Sql, compose, name
from core.types import RUN_ROLES

METRIC_PARTS = ("score", "threshold", "passed", "judge", "explanation", "judge_version")

OUTPUT_FIELDS = [
    Field("item_id", aliases=("id",)),
    Field("prompt", aliases=("user_input", "question", "input", "source_prompt", "query")),
    Field("output", aliases=("response", "actual_output", "source_output", "answer", "text")),
    Field("ttft_ms", "number", minimum=0, aliases=("ttft",)),
    Field("latency_ms", "number", minimum=0, aliases=("latency", "total_latency_ms")),
    Field("input_tokens", "integer", minimum=0, aliases=("prompt_tokens",)),
    Field("output_tokens", "integer", minimum=0, aliases=("completion_tokens",)),
    Field("retrieval_cost", "number", minimum=0),
    Field("error"),
    Field("calls", "json", aliases=("breakdown",)),
]


@dataclass(frozen=True)
class RunImport:
    """What an import did: the run it created and how the file's rows fared."""

    run_id: str
    dataset_id: str
    file: str
    rows: int
    matched: int
    unmatched: list[str]  # "row 7: 'What was ...'" for rows skipped with allow_unmatched
    metrics: tuple[str, ...]
    scores: int
    notes: tuple[str, ...] = ()  # how metrics were read: unmapped names, clipping, directions

    def summary(self) -> str:
        skipped = f", {len(self.unmatched)} unmatched and skipped" if self.unmatched else ""
        return (
            f"run {self.run_id} on {self.dataset_id}: {self.rows} rows read, {self.matched}"
            f" outputs added{skipped}; {self.scores} judge scores over"
            f" {count(len(self.metrics), 'metric')} ({', '.join(self.metrics) or 'none'})"
        )


def metric_names(staged: Staged) -> list[str]:
    """Metrics present as ``score.<metric>`` columns, by the name the file gives them; a
    column without a name (a blank header, as pandas writes over its index) is none."""
    return sorted(
        c.split(".", 1)[1]
        for c in staged.columns
        if c.lower().startswith("score.") and c[len("score.") :].strip()
    )


@dataclass(frozen=True)
class MetricPlan:
    """How one metric of a file is read: its columns, the catalog entry it maps to, and the
    range, threshold and direction that decide its verdicts."""

    raw_name: str  # as the file writes it
    metric: str  # the catalog's name, or the normalised raw name when unmapped
    mapped: bool
    parts: dict[str, Column]
    low: float | None
    high: float | None
    threshold: float | None  # where the file gives none
    direction: str | None  # None: unmapped and the file states no verdicts
    direction_source: str | None


def plan_metrics(con, staged: Staged, spec: RunSpec) -> list[MetricPlan]:
    """Bind each metric's columns and read it through the metric catalog."""
    raw_names = metric_names(staged)
    resolved = metrics.resolve(con, raw_names)
    seen: dict[str, str] = {}
    for raw in raw_names:
        canonical = resolved[raw].metric
        if canonical in seen:
            raise InputError(
                staged.file,
                f"columns 'score.{seen[canonical]}' and 'score.{raw}' are both the metric"
                f" {canonical!r}; keep one, or map one of them to another metric"
                " (python -m core metric map)",
                column=f"score.{raw}",
            )
        seen[canonical] = raw
    return [_plan(con, staged, spec, resolved[raw]) for raw in raw_names]


def _plan(con, staged: Staged, spec: RunSpec, found: metrics.Resolved) -> MetricPlan:
    """One metric's plan: the range the options declare, else the catalog's."""
    raw, entry = found.raw_name, found.entry
    declared = spec.score_ranges.get(raw) or spec.score_ranges.get(found.metric)
    declared = declared or spec.score_ranges.get("*")
    low: float | None
    high: float | None
    if declared:
        low, high = declared
    elif entry:
        low, high = entry.low, entry.high
    else:
        low, high = None, None
    fields = [
        Field(f"score.{raw}", "number", minimum=low, maximum=high, tolerance=metrics.TOLERANCE),
        Field(f"threshold.{raw}", "number"),
        Field(f"passed.{raw}", "bool"),
        Field(f"judge.{raw}"),
        Field(f"explanation.{raw}"),
        Field(f"judge_version.{raw}"),
    ]
    bound = bind(con, staged, fields)
    parts = {part: bound[f"{part}.{raw}"] for part in METRIC_PARTS if f"{part}.{raw}" in bound}
    threshold = spec.default_threshold
    if threshold is None:
        threshold = entry.default_threshold if entry else None
    return MetricPlan(
        raw,
        found.metric,
        entry is not None,
        parts,
        low,
        high,
        threshold,
        entry.direction if entry else None,
        "catalog" if entry else None,
    )


def file_direction(con, table: str, plan: MetricPlan) -> str | None:
    """The direction a file's own verdicts show (``passed`` against score and threshold):
    'higher' or 'lower' when every telling row agrees with one of them only, else None."""
    if "passed" not in plan.parts or "threshold" not in plan.parts:
        return None
    score, threshold = typed(plan.parts["score"]), typed(plan.parts["threshold"])
    passed = typed(plan.parts["passed"])
    # metrics.passes builds its operator from code; its operands are the typed() Sql above.
    higher = Sql(metrics.passes(score.text, threshold.text, "higher"))
    lower = Sql(metrics.passes(score.text, threshold.text, "lower"))
    n_higher, n_lower, telling = con.execute(
        compose(
            "SELECT count(*) FILTER (WHERE {passed} = ({higher})),"
            " count(*) FILTER (WHERE {passed} = ({lower})), count(*)"
            " FROM {table} WHERE {passed} IS NOT NULL AND {score} IS NOT NULL"
            " AND {threshold} IS NOT NULL AND {score} <> {threshold}",
            passed=passed,
            higher=higher,
            lower=lower,
            table=name(table),
            score=score,
            threshold=threshold,
        ).text
    ).fetchone()
    if telling and n_higher == telling and n_lower == 0:
        return "higher"
    if telling and n_lower == telling and n_higher == 0:
        return "lower"
    return None


def read_directions(con, table: str, plans: list[MetricPlan]) -> tuple[list[MetricPlan], list]:
    """Where a file states verdicts, its direction wins over the catalog's (said in a note)."""
    out, notes = [], []
    for plan in plans:
        found = file_direction(con, table, plan)
        if found and found != plan.direction:
            if plan.direction:
                notes.append(
                    f"{plan.raw_name}: the file's verdicts pass {found} scores, the catalog"
                    f" says {plan.direction} is better for {plan.metric}; read as the file says"
                )
            plan = replace(plan, direction=found, direction_source="file")
        out.append(plan)
    return out, notes


def import_staged(
    con: duckdb.DuckDBPyConnection, staged: Staged, spec: RunSpec, actor: str
) -> RunImport:
    """Validate a staged run against the dataset, then write it in one transaction."""
    cols, plans = _validated(con, staged, spec)
    matched, unmatched = match_items(con, staged, cols, spec)
    plans, notes = read_directions(con, staged.table, plans)

    with db.unordered_writes(con), db.transaction(con):
        run_id = runs.create_run(con, spec, staged.file, actor)
        outputs = write_outputs(con, run_id, matched, cols)
        scores, clipped = write_scores(con, run_id, matched, plans, spec)
        writes.refresh_statistics(con, "output")
        writes.refresh_statistics(con, "judge_score")
        notes += metric_notes(plans, clipped)
        writes.audit(
            con,
            actor,
            "import_run",
            "run",
            run_id,
            after={
                "file": staged.file,
                "dataset_id": spec.dataset_id,
                "model_id": spec.model_id,
                "outputs": outputs,
                "scores": scores,
                "metrics": {p.raw_name: p.metric for p in plans},
                "notes": notes,
            },
        )
    return RunImport(
        run_id,
        spec.dataset_id,
        staged.file,
        staged.rows,
        outputs,
        unmatched,
        tuple(p.metric for p in plans),
        scores,
        tuple(notes),
    )


def _validated(con, staged: Staged, spec: RunSpec) -> tuple[dict[str, Column], list[MetricPlan]]:
    """The options and every staged value checked: the bound columns and the metric plans."""
    if spec.role not in RUN_ROLES:
        raise InputError(staged.file, f"role {spec.role!r} is not one of {', '.join(RUN_ROLES)}")
    if not spec.model_id:
        raise InputError(
            staged.file,
            "no model id: the file does not name the model; "
            "pass --model (e.g. anthropic.claude-3-5-sonnet-20241022-v2:0)",
        )
    runs.dataset_exists(con, spec.dataset_id)
    cols = bind(con, staged, OUTPUT_FIELDS)
    if "item_id" not in cols and "prompt" not in cols:
        raise InputError(
            staged.file,
            "missing required column 'item_id' (or 'prompt' to match "
            f"items by their text); the file has: {', '.join(staged.columns[:30])}",
            column="item_id",
        )
    plans = plan_metrics(con, staged, spec)
    checks = Checks()
    for col in cols.values():
        add_field_checks(checks, col)
    for plan in plans:
        for col in plan.parts.values():
            add_field_checks(checks, col)
    first_error(con, staged, checks)
    return cols, plans


def write_outputs(con, run_id: str, matched: str, cols: dict[str, Column]) -> int:
    """One output row per matched row; ``matched`` names the view match_items made."""

    def pick(field: str) -> Sql:
        return typed(cols[field]) if field in cols else compose("NULL")

    con.execute(
        compose(
            "INSERT INTO output (run_id, item_id, text, ttft_ms, latency_ms, input_tokens,"
            " output_tokens, retrieval_cost, error, calls)"
            " SELECT ?, _item_id, {output}, {ttft_ms}, {latency_ms}, {input_tokens},"
            " {output_tokens}, {retrieval_cost}, {error}, {calls} FROM {matched}",
            matched=Sql(matched),  # match_items quote()s its view
            # each output column from its field, or NULL (item_id and prompt are matched)
            **{f.name: pick(f.name) for f in OUTPUT_FIELDS[2:]},
        ).text,
        [run_id],
    )
    return con.fetchone()[0]  # INSERT answers with the number of rows it wrote


def write_scores(
    con, run_id: str, matched: str, plans: list[MetricPlan], spec: RunSpec
) -> tuple[int, dict[str, int]]:
    """One judge_score row per (item, metric) with a score, and one run_metric row per metric.

    A verdict the file states is kept; else the score against the threshold in the metric's
    direction; an unmapped metric without verdicts has none. Scores within rounding of the
    range are clipped to it (counted per metric). One INSERT over a UNION ALL of the metrics,
    so DuckDB reads the staged rows in parallel.
    """
    if not plans:
        return 0, {}
    selects, params, clipped = [], [], {}
    for plan in plans:
        raw_score, score = value(plan.parts["score"]), _clipped_score(plan)
        clipped[plan.metric] = con.execute(
            f"SELECT count(*) FROM {matched} WHERE {raw_score} <> {score}"  # noqa: S608 - generated view; core.checks SQL over quote()d columns
        ).fetchone()[0]
        selects.append(_score_select(plan, matched))
        params += [run_id, plan.metric, spec.judge, spec.judge_version]
    con.execute(
        "INSERT INTO judge_score (run_id, item_id, metric, judge, score, threshold, passed,"
        " explanation, judge_version) " + " UNION ALL ".join(selects),
        params,
    )
    written = con.fetchone()[0]
    con.executemany(
        "INSERT INTO run_metric VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                run_id,
                p.metric,
                p.raw_name,
                p.mapped,
                p.direction,
                p.direction_source,
                p.low,
                p.high,
                clipped[p.metric],
            ]
            for p in plans
        ],
    )
    return written, clipped


def _clipped_score(plan: MetricPlan) -> str:
    """The score clipped to the metric's range (a float's repr is a SQL literal)."""
    score = value(plan.parts["score"])
    if plan.low is not None:
        score = f"greatest({score}, {float(plan.low)!r})"
    if plan.high is not None:
        score = f"least({score}, {float(plan.high)!r})"
    return score


def _score_select(plan: MetricPlan, matched: str) -> str:
    """The SELECT of one metric's judge_score rows; binds run_id, metric, judge, version."""

    def part(name: str, default: str) -> str:
        if name not in plan.parts:
            return default
        return f"coalesce({value(plan.parts[name])}, {default})"

    score = _clipped_score(plan)
    # A float's repr is a SQL literal; no value from the file is spliced here.
    default = "CAST(NULL AS DOUBLE)" if plan.threshold is None else repr(float(plan.threshold))
    threshold = part("threshold", default)
    derived = f"({metrics.passes(score, threshold, plan.direction)})" if plan.direction else "NULL"
    passed = part("passed", derived)
    explanation = value(plan.parts["explanation"]) if "explanation" in plan.parts else "NULL"
    return (
        f"SELECT ?, _item_id, ?, {part('judge', '?')}, {score}, {threshold}, {passed},"  # noqa: S608 - generated view; core.checks SQL over quote()d columns
        f" {explanation}, {part('judge_version', '?')} FROM {matched}"
        f" WHERE {value(plan.parts['score'])} IS NOT NULL"
    )


def metric_notes(plans: list[MetricPlan], clipped: dict[str, int]) -> list[str]:
    """What an owner should know about how the metrics were read."""
    notes = []
    for plan in plans:
        if metrics.normalise(plan.raw_name) != plan.metric and plan.mapped:
            notes.append(f"{plan.raw_name} read as {plan.metric}")
        if not plan.mapped:
            verdicts = "its verdicts as the file states them" if plan.direction else "no verdicts"
            notes.append(
                f"{plan.raw_name}: not in the metric catalog; imported as {plan.metric} with"
                f" {verdicts}, never gating. Map it (python -m core metric map"
                f" {plan.metric!r} --to METRIC) or add it (python -m core metric set)"
            )
        if clipped.get(plan.metric):
            notes.append(
                f"{plan.raw_name}: {clipped[plan.metric]} scores a rounding error outside"
                f" [{_bound(plan.low)}, {_bound(plan.high)}] clipped"
            )
    return notes


def _bound(number: float | None) -> str:
    return "unbounded" if number is None else f"{number:g}"
