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
from dataclasses import dataclass, field

import duckdb

from core import db, models
from core.checks import (
    Checks,
    Column,
    Field,
    add_field_checks,
    bind,
    check_unique,
    first_error,
    value,
)
from core.errors import InputError, NotFoundError
from core.staging import Staged

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
    default_threshold: float = DEFAULT_THRESHOLD
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
    """Metrics present as ``score.<metric>`` columns, by name."""
    return sorted(
        c.split(".", 1)[1]
        for c in staged.columns
        if c.lower().startswith("score.") and len(c) > len("score.")
    )


def metric_columns(con, staged: Staged, spec: RunSpec) -> dict[str, dict[str, Column]]:
    """Bind each metric's columns, with the score's declared range."""
    found = {}
    for metric in metric_names(staged):
        lo, hi = spec.range_of(metric)
        fields = [
            Field(f"score.{metric}", "number", minimum=lo, maximum=hi),
            Field(f"threshold.{metric}", "number"),
            Field(f"passed.{metric}", "bool"),
            Field(f"judge.{metric}"),
            Field(f"explanation.{metric}"),
            Field(f"judge_version.{metric}"),
        ]
        bound = bind(con, staged, fields)
        found[metric] = {
            part: bound[f"{part}.{metric}"] for part in METRIC_PARTS if f"{part}.{metric}" in bound
        }
    return found


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
    metrics = metric_columns(con, staged, spec)
    checks = Checks()
    for col in cols.values():
        add_field_checks(checks, col)
    for parts in metrics.values():
        for col in parts.values():
            add_field_checks(checks, col)
    first_error(con, staged, checks)
    match_sql, unmatched = match_items(con, staged, cols, spec)

    with db.unordered_writes(con), db.transaction(con):
        run_id = create_run(con, spec, staged.file, actor)
        matched = write_outputs(con, run_id, match_sql, cols)
        scores = write_scores(con, run_id, match_sql, metrics, spec)
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
                "metrics": list(metrics),
            },
        )
    return RunImport(
        run_id,
        spec.dataset_id,
        staged.file,
        staged.rows,
        matched,
        unmatched,
        tuple(metrics),
        scores,
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
    ds = _lit(spec.dataset_id)
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
        keyed = f"(SELECT *, {value(cols['item_id'])} AS _key FROM {table})"
        if unique:
            check_unique(con, staged, value(cols["item_id"]), cols["item_id"].source)
        column, what = cols["item_id"].source, "id"
    else:
        keyed = f"(SELECT *, trim({value(cols['prompt'])}) AS _key FROM {table})"
        ambiguous = con.execute(
            f"SELECT min(k._row), count(DISTINCT i.item_id) FROM {keyed} k JOIN item i"
            f" ON i.dataset_id = {ds} AND trim(i.prompt) = k._key GROUP BY k._key"
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
    on = "trim(i.prompt) = k._key" if what == "prompt" else "i.item_id = k._key"
    source = (
        f"(SELECT k.*, i.item_id AS _item_id FROM {keyed} k JOIN item i"
        f" ON i.dataset_id = {ds} AND {on})"
    )
    if what == "prompt" and unique:
        dup = con.execute(
            f"SELECT _item_id, list_sort(list(_row)) AS r FROM {source} GROUP BY _item_id"
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
        f"SELECT k._row, k._key FROM {keyed} k ANTI JOIN item i ON i.dataset_id = {ds}"
        f" AND {on} ORDER BY k._row"
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
        source = f"(SELECT *, _key AS _item_id FROM {keyed})"
    return source, described


def write_outputs(con, run_id: str, source: str, cols: dict[str, Column]) -> int:
    def pick(name: str) -> str:
        return value(cols[name]) if name in cols else "NULL"

    con.execute(
        "INSERT INTO output (run_id, item_id, text, ttft_ms, latency_ms, input_tokens,"
        " output_tokens, retrieval_cost, error, calls)"
        f" SELECT ?, _item_id, {pick('output')}, {pick('ttft_ms')}, {pick('latency_ms')},"
        f" {pick('input_tokens')}, {pick('output_tokens')}, {pick('retrieval_cost')},"
        f" {pick('error')}, {pick('calls')} FROM {source}",
        [run_id],
    )
    return con.fetchone()[0]  # INSERT answers with the number of rows it wrote


def write_scores(
    con, run_id: str, source: str, metrics: dict[str, dict[str, Column]], spec: RunSpec
) -> int:
    """One judge_score row per (item, metric) with a score; passed from the file or threshold.

    One INSERT over a UNION ALL of the metrics, so DuckDB reads the staged rows in parallel.
    """
    if not metrics:
        return 0
    selects, params = [], []
    for metric, parts in metrics.items():
        score = value(parts["score"])
        threshold = (
            f"coalesce({value(parts['threshold'])}, {spec.default_threshold!r})"
            if "threshold" in parts
            else repr(spec.default_threshold)
        )
        passed = (
            f"coalesce({value(parts['passed'])}, {score} >= {threshold})"
            if "passed" in parts
            else f"{score} >= {threshold}"
        )
        judge = f"coalesce({value(parts['judge'])}, ?)" if "judge" in parts else "?"
        explanation = value(parts["explanation"]) if "explanation" in parts else "NULL"
        version = (
            f"coalesce({value(parts['judge_version'])}, ?)" if "judge_version" in parts else "?"
        )
        selects.append(
            f"SELECT ?, _item_id, ?, {judge}, {score}, {threshold}, {passed}, {explanation},"
            f" {version} FROM {source} WHERE {score} IS NOT NULL"
        )
        params += [run_id, metric, spec.judge, spec.judge_version]
    con.execute(
        "INSERT INTO judge_score (run_id, item_id, metric, judge, score, threshold, passed,"
        " explanation, judge_version) " + " UNION ALL ".join(selects),
        params,
    )
    return con.fetchone()[0]


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
