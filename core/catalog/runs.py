"""Evaluation runs: one model (with prompt version and config) over one dataset version.

The native layout has one row per item: ``item_id`` (or ``prompt`` to match by text),
``output``, ``ttft_ms``, ``latency_ms``, ``input_tokens``, ``output_tokens``,
``retrieval_cost``, ``error``, ``calls`` (a JSON list), and per judge metric M the columns
``score.M`` (required for M to exist), ``threshold.M``, ``passed.M``, ``judge.M``,
``explanation.M``, ``judge_version.M``. Other formats (core.formats) convert to it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace

import duckdb

from core.catalog import metrics, models
from core.errors import InputError, NotFoundError
from core.importers.checks import (
    Checks,
    Column,
    Field,
    add_field_checks,
    bind,
    check_unique,
    first_error,
    value,
)
from core.importers.staging import Staged
from core.store import db

Range = tuple[float, float]
DEFAULT_RANGE: Range = (0.0, 1.0)
DEFAULT_THRESHOLD = 0.5
METRIC_PARTS = ("score", "threshold", "passed", "judge", "explanation", "judge_version")
ROLES = ("source", "target", "candidate")

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
class RunSpec:
    """What the file does not say about a run: the importer's options."""

    dataset_id: str
    model_id: str | None = None
    name: str | None = None
    role: str = "candidate"
    prompt_version_id: str | None = None
    config: dict = field(default_factory=dict)
    judge: str = "imported"
    judge_version: str | None = None
    default_threshold: float | None = None  # None: the metric catalog's
    score_ranges: dict[str, Range] = field(default_factory=dict)  # "*" for every metric
    allow_unmatched: bool = False
    origin: str = "native"
    synthetic: bool = False

    def range_of(self, metric: str) -> Range:
        return self.score_ranges.get(metric, self.score_ranges.get("*", DEFAULT_RANGE))


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
            f" {len(self.metrics)} metrics ({', '.join(self.metrics) or 'none'})"
        )


def dataset_exists(con: duckdb.DuckDBPyConnection, dataset_id: str) -> int:
    """The dataset's item count; NotFoundError when it does not exist."""
    row = con.execute(
        "SELECT item_count FROM dataset WHERE dataset_id = ?", [dataset_id]
    ).fetchone()
    if row is None:
        known = [r[0] for r in con.execute("SELECT dataset_id FROM dataset ORDER BY 1").fetchall()]
        raise NotFoundError(
            f"no dataset {dataset_id!r}; known: {', '.join(known) or 'none'}"
            " (import one with import-dataset)"
        )
    return row[0]


def metric_names(staged: Staged) -> list[str]:
    """Metrics present as ``score.<metric>`` columns, by the name the file gives them."""
    return sorted(
        c.split(".", 1)[1]
        for c in staged.columns
        if c.lower().startswith("score.") and len(c) > len("score.")
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
    plans = []
    for raw in raw_names:
        found = resolved[raw]
        entry = found.entry
        declared = spec.score_ranges.get(raw) or spec.score_ranges.get(found.metric)
        declared = declared or spec.score_ranges.get("*")
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
        plans.append(
            MetricPlan(
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
        )
    return plans


def file_direction(con, source: str, plan: MetricPlan) -> str | None:
    """The direction a file's own verdicts show (``passed`` against score and threshold):
    'higher' or 'lower' when every telling row agrees with one of them only, else None."""
    if "passed" not in plan.parts or "threshold" not in plan.parts:
        return None
    score, threshold = value(plan.parts["score"]), value(plan.parts["threshold"])
    passed = value(plan.parts["passed"])
    higher, lower, telling = con.execute(
        f"SELECT count(*) FILTER (WHERE {passed} = ({score} >= {threshold})),"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        f" count(*) FILTER (WHERE {passed} = ({score} <= {threshold})), count(*)"
        f" FROM {source} WHERE {passed} IS NOT NULL AND {score} IS NOT NULL"
        f" AND {threshold} IS NOT NULL AND {score} <> {threshold}"
    ).fetchone()
    if telling and higher == telling and lower == 0:
        return "higher"
    if telling and lower == telling and higher == 0:
        return "lower"
    return None


def read_directions(con, source: str, plans: list[MetricPlan]) -> tuple[list[MetricPlan], list]:
    """Where a file states verdicts, its direction wins over the catalog's (said in a note)."""
    out, notes = [], []
    for plan in plans:
        found = file_direction(con, source, plan)
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
    if spec.role not in ROLES:
        raise InputError(staged.file, f"role {spec.role!r} is not one of {', '.join(ROLES)}")
    if not spec.model_id:
        raise InputError(
            staged.file,
            "no model id: the file does not name the model; "
            "pass --model (e.g. anthropic.claude-3-5-sonnet-20241022-v2:0)",
        )
    dataset_exists(con, spec.dataset_id)
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
    match_sql, unmatched = match_items(con, staged, cols, spec)
    plans, notes = read_directions(con, staged.table, plans)

    with db.unordered_writes(con), db.transaction(con):
        run_id = create_run(con, spec, staged.file, actor)
        matched = write_outputs(con, run_id, match_sql, cols)
        scores, clipped = write_scores(con, run_id, match_sql, plans, spec)
        notes += metric_notes(plans, clipped)
        db.audit(
            con,
            actor,
            "import_run",
            "run",
            run_id,
            after={
                "file": staged.file,
                "dataset_id": spec.dataset_id,
                "model_id": spec.model_id,
                "outputs": matched,
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
        matched,
        unmatched,
        tuple(p.metric for p in plans),
        scores,
        tuple(notes),
    )


def create_run(
    con: duckdb.DuckDBPyConnection, spec: RunSpec, source_file: str | None, actor: str
) -> str:
    """Register the run's model and the run itself (inside the caller's transaction)."""
    run_id = f"run-{uuid.uuid4().hex[:10]}"
    models.ensure(con, spec.model_id)
    con.execute(
        "INSERT INTO run (run_id, name, dataset_id, model_id, prompt_version_id, config, role,"
        " origin, source_file, synthetic, created_by) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            run_id,
            spec.name or f"{spec.model_id} on {spec.dataset_id}",
            spec.dataset_id,
            spec.model_id,
            spec.prompt_version_id,
            json.dumps(spec.config),
            spec.role,
            spec.origin,
            source_file,
            spec.synthetic,
            actor,
        ],
    )
    return run_id


def match_items(
    con,
    staged: Staged,
    cols: dict[str, Column],
    spec: RunSpec,
    unique: bool = True,
    can_skip: bool = True,
) -> tuple[str, list[str]]:
    """Resolve each staged row to a dataset item: by id, else by prompt text.

    ``can_skip``: the caller offers --allow-unmatched, so the error may suggest it.

    Returns a FROM clause exposing the staged columns plus ``_item_id`` for matched rows.
    """
    table = staged.table
    # The dataset's items in a helper table (dropped with the staged one): the dataset id is
    # bound once, and the statements that read the matched rows need no parameter for it.
    items = f"{table}_items"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {items} AS SELECT item_id, trim(prompt) AS prompt"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        " FROM item WHERE dataset_id = ?",
        [spec.dataset_id],
    )
    if "item_id" in cols:
        checks = Checks()
        add_field_checks(
            checks,
            Column(
                Field("item_id", required=True),
                cols["item_id"].source,
                staged,
                cols["item_id"].source_type,
            ),
        )
        first_error(con, staged, checks)
        keyed = f"(SELECT *, {value(cols['item_id'])} AS _key FROM {table})"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        if unique:
            check_unique(con, staged, value(cols["item_id"]), cols["item_id"].source)
        column, what = cols["item_id"].source, "id"
    else:
        keyed = f"(SELECT *, trim({value(cols['prompt'])}) AS _key FROM {table})"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        ambiguous = con.execute(
            f"SELECT min(k._row), count(DISTINCT i.item_id) FROM {keyed} k JOIN {items} i"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
            " ON i.prompt = k._key GROUP BY k._key"
            " HAVING count(DISTINCT i.item_id) > 1 ORDER BY 1 LIMIT 1"
        ).fetchone()
        if ambiguous:
            raise InputError(
                staged.file,
                f"the prompt matches {ambiguous[1]} items of "
                f"{spec.dataset_id}; add an item_id column to say which",
                row=ambiguous[0],
                column=cols["prompt"].source,
                row_word=staged.row_word,
            )
        column, what = cols["prompt"].source, "prompt"
    # Prompts map to item ids; ids map to themselves.
    on = "i.prompt = k._key" if what == "prompt" else "i.item_id = k._key"
    source = f"(SELECT k.*, i.item_id AS _item_id FROM {keyed} k JOIN {items} i ON {on})"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
    if what == "prompt" and unique:
        dup = con.execute(
            f"SELECT _item_id, list_sort(list(_row)) AS r FROM {source} GROUP BY _item_id"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
            " HAVING count(*) > 1 ORDER BY r[2] LIMIT 1"
        ).fetchone()
        if dup:
            raise InputError(
                staged.file,
                f"matches item {dup[0]!r} again (first on "
                f"{staged.row_word} {dup[1][0]}); each item may appear once",
                row=dup[1][1],
                column=column,
                row_word=staged.row_word,
            )
    misses = con.execute(
        f"SELECT k._row, k._key FROM {keyed} k ANTI JOIN {items} i ON {on} ORDER BY k._row"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
    ).fetchall()
    described = [f"{staged.row_word} {row}: {_short(text)!r}" for row, text in misses]
    if misses and not spec.allow_unmatched:
        more = f" ({len(misses)} rows do not match; first ones: {'; '.join(described[:5])})"
        skip = ", or skip unmatched rows (--allow-unmatched)" if can_skip else ""
        raise InputError(
            staged.file,
            f"{what} {_short(misses[0][1])!r} is not in dataset "
            f"{spec.dataset_id}{more}; fix the file or import it against the right "
            f"dataset version{skip}",
            row=misses[0][0],
            column=column,
            row_word=staged.row_word,
        )
    if len(misses) == staged.rows:
        raise InputError(staged.file, f"no row matches an item of {spec.dataset_id}")
    if what == "id" and not misses:
        # Every id is known: the key is the item id, no join needed to write.
        source = f"(SELECT *, _key AS _item_id FROM {keyed})"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
    return source, described


def write_outputs(con, run_id: str, source: str, cols: dict[str, Column]) -> int:
    def pick(name: str) -> str:
        return value(cols[name]) if name in cols else "NULL"

    con.execute(
        "INSERT INTO output (run_id, item_id, text, ttft_ms, latency_ms, input_tokens,"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        " output_tokens, retrieval_cost, error, calls)"
        f" SELECT ?, _item_id, {pick('output')}, {pick('ttft_ms')}, {pick('latency_ms')},"
        f" {pick('input_tokens')}, {pick('output_tokens')}, {pick('retrieval_cost')},"
        f" {pick('error')}, {pick('calls')} FROM {source}",
        [run_id],
    )
    return con.fetchone()[0]  # INSERT answers with the number of rows it wrote


def write_scores(
    con, run_id: str, source: str, plans: list[MetricPlan], spec: RunSpec
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
        raw_score = value(plan.parts["score"])
        score = raw_score
        if plan.low is not None:
            score = f"greatest({score}, {float(plan.low)!r})"
        if plan.high is not None:
            score = f"least({score}, {float(plan.high)!r})"
        clipped[plan.metric] = con.execute(
            f"SELECT count(*) FROM {source} WHERE {raw_score} <> {score}"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        ).fetchone()[0]
        # A float's repr is a SQL literal; no value from the file is spliced here.
        default = "CAST(NULL AS DOUBLE)" if plan.threshold is None else repr(float(plan.threshold))
        threshold = default
        if "threshold" in plan.parts:
            threshold = f"coalesce({value(plan.parts['threshold'])}, {default})"
        derived = "NULL"
        if plan.direction:
            op = "<=" if plan.direction == "lower" else ">="
            derived = f"({score} {op} {threshold})"
        passed = (
            f"coalesce({value(plan.parts['passed'])}, {derived})"
            if "passed" in plan.parts
            else derived
        )
        judge = f"coalesce({value(plan.parts['judge'])}, ?)" if "judge" in plan.parts else "?"
        explanation = value(plan.parts["explanation"]) if "explanation" in plan.parts else "NULL"
        version = (
            f"coalesce({value(plan.parts['judge_version'])}, ?)"
            if "judge_version" in plan.parts
            else "?"
        )
        selects.append(
            f"SELECT ?, _item_id, ?, {judge}, {score}, {threshold}, {passed}, {explanation},"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
            f" {version} FROM {source} WHERE {raw_score} IS NOT NULL"
        )
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


def _short(text: object, limit: int = 60) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def list_runs(con: duckdb.DuckDBPyConnection, dataset_id: str | None = None) -> list[dict]:
    """Runs with their model, prompt version, config, output count and metrics present."""
    rows = con.execute(
        "SELECT r.run_id, r.name, r.dataset_id, r.model_id, r.prompt_version_id, r.config,"
        " r.role, r.origin, r.synthetic, r.created_at,"
        " (SELECT count(*) FROM output o WHERE o.run_id = r.run_id) AS outputs,"
        " (SELECT list(DISTINCT metric ORDER BY metric) FROM judge_score j"
        "   WHERE j.run_id = r.run_id) AS metrics"
        " FROM run r WHERE ? IS NULL OR r.dataset_id = ? ORDER BY r.created_at, r.run_id",
        [dataset_id, dataset_id],
    ).fetchall()
    keys = (
        "run_id",
        "name",
        "dataset_id",
        "model_id",
        "prompt_version_id",
        "config",
        "role",
        "origin",
        "synthetic",
        "created_at",
        "outputs",
        "metrics",
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]
