"""Importing a golden file: the dataset version's items, its source run and the human scores.

The golden file follows the playbook's schema (one row per item):
``id, source_prompt, input_context, model_config, ground_truth, source_output, latency_ms,
input_tokens, output_tokens, automated_score, human_score, notes`` plus the optional
``stratum, split, tags, ttft_ms, model_id``. It creates the dataset's items, a source run
(when ``source_output`` is present) and the human scores as imported labels. The same content
imported again writes nothing (core.catalog.datasets holds the hash and the versions).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

import duckdb

from core.catalog import datasets, metrics, runs
from core.catalog.runs import Range
from core.errors import InputError
from core.importers import runs as run_import
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
from core.importers.runs import MetricPlan, RunImport
from core.importers.staging import Staged
from core.store import db, writes
from core.store.sql import literal, quote
from core.types import SPLITS

DEFAULT_STRATUM = "all"
HUMAN_RANGE = (1.0, 5.0)

GOLDEN_FIELDS = [
    Field("item_id", required=True, nonempty=True, aliases=("id",)),
    Field(
        "prompt",
        required=True,
        nonempty=True,
        aliases=("source_prompt", "question", "input", "user_input", "query"),
    ),
    Field(
        "context",
        "texts",
        aliases=("input_context", "contexts", "retrieved_contexts", "retrieval_context"),
    ),
    Field(
        "ground_truth",
        required=True,
        aliases=("reference", "expected_output", "expected_answer", "ideal_answer"),
    ),
    Field("model_config", "config", aliases=("config",)),
    Field("source_output", aliases=("output", "response", "actual_output")),
    Field("ttft_ms", "number", minimum=0, aliases=("ttft",)),
    Field("latency_ms", "number", minimum=0, aliases=("latency",)),
    Field("input_tokens", "integer", minimum=0, aliases=("prompt_tokens",)),
    Field("output_tokens", "integer", minimum=0, aliases=("completion_tokens",)),
    Field("notes", aliases=("comment", "comments")),
    Field("stratum", aliases=("complexity", "use_case", "category")),
    Field("split"),
    Field("tags", "tags"),
    Field("model_id", aliases=("model",)),
]


@dataclass(frozen=True)
class DatasetImport:
    """What a golden import did. ``unchanged`` means the same content was already there."""

    dataset_id: str
    sha256: str
    items: int
    unchanged: bool
    source_run: RunImport | None
    labels: int

    def summary(self) -> str:
        if self.unchanged:
            return (
                f"{self.dataset_id} already holds this content (sha256 {self.sha256[:12]}…);"
                " nothing written"
            )
        parts = [f"dataset {self.dataset_id}: {self.items} items, sha256 {self.sha256[:12]}…"]
        if self.source_run:
            parts.append("source " + self.source_run.summary())
        if self.labels:
            parts.append(f"{self.labels} human scores imported as labels")
        return "; ".join(parts)


@dataclass(frozen=True)
class _Source:
    """The golden file's source run as the import writes it."""

    dataset_id: str
    model: str
    config: dict
    score_metric: MetricPlan
    synthetic: bool


def import_staged(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    name: str,
    *,
    actor: str,
    version: int | None = None,
    model_id: str | None = None,
    score_range: Range | None = None,
    threshold: float | None = None,
    metric: str | None = None,
    human_range: Range = HUMAN_RANGE,
    synthetic: bool = False,
) -> DatasetImport:
    """Validate a staged golden file, then write dataset, items, source run and labels at once."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise InputError(
            staged.file, f"dataset name {name!r} may hold only letters, digits, '.', '_' and '-'"
        )
    score_metric = _score_metric(con, metric, score_range, threshold)
    cols = _validated(con, staged, score_metric, human_range)
    config = _one_config(con, staged, cols)
    has_output = "source_output" in cols
    if "human_score" in cols and not has_output:
        raise InputError(
            staged.file,
            "human scores grade the source output: add a source_output column, or drop human_score",
            column="human_score",
        )

    items = _items_view(con, cols, staged.table)
    digest = datasets.content_hash(
        con.execute(
            f"SELECT item_id, prompt, context, ground_truth, stratum, split, tags FROM {items}"  # noqa: S608 - generated view
        ).fetchall()
    )
    target, exists = datasets.version_to_write(con, name, version, digest)
    if target is None:
        latest = datasets.latest_version(con, name)
        return DatasetImport(f"{name}@{latest}", digest, staged.rows, True, None, 0)
    model_id = model_id or config.get("model_id") or config.get("model")
    model = _one_model(con, staged, cols, model_id) if has_output else None
    dataset_id = f"{name}@{target}"
    if exists:
        datasets.refuse_if_frozen(con, dataset_id, "replace its items")

    with db.unordered_writes(con), db.transaction(con):
        _write_items(con, staged, dataset_id, name, target, exists, digest, items, synthetic, actor)
        source_run, labels = None, 0
        if model is not None:  # set exactly when the file has source outputs
            source = _Source(dataset_id, model, config, score_metric, synthetic)
            source_run, labels = _write_source_run(con, staged, cols, source, actor)
    return DatasetImport(dataset_id, digest, staged.rows, False, source_run, labels)


def _validated(
    con, staged: Staged, score_metric: MetricPlan, human_range: Range
) -> dict[str, Column]:
    """Bind the golden fields and check every staged value; the bound columns."""
    fields = [
        *GOLDEN_FIELDS,
        Field(
            "automated_score",
            "number",
            minimum=score_metric.low,
            maximum=score_metric.high,
            tolerance=metrics.TOLERANCE,
            aliases=("judge_score", "auto_score"),
        ),
        Field(
            "human_score",
            "number",
            minimum=human_range[0],
            maximum=human_range[1],
            aliases=("sme_score",),
        ),
    ]
    cols = bind(con, staged, fields)
    checks = Checks()
    for col in cols.values():
        add_field_checks(checks, col)
    if "split" in cols:
        checks.add(
            f"lower(trim({value(cols['split'])})) NOT IN ({', '.join(map(literal, SPLITS))})",
            f"expected split {' or '.join(map(repr, SPLITS))}",
            cols["split"].source,
            value(cols["split"]),
        )
    if "human_score" in cols:
        checks.add(
            f"{value(cols['human_score'])} <> round({value(cols['human_score'])})",
            "expected a whole 1-5 human score",
            cols["human_score"].source,
            value(cols["human_score"]),
        )
    first_error(con, staged, checks)
    check_unique(con, staged, value(cols["item_id"]), cols["item_id"].source)
    return cols


def _items_view(con, cols: dict[str, Column], table: str) -> str:
    """A view of the staged rows as items (dropped with the staged table); its quoted name."""

    def pick(name: str, default: str = "NULL") -> str:
        return value(cols[name]) if name in cols else default

    view = quote(f"{table}_golden")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {view} AS"  # noqa: S608 - generated names; core.checks SQL over quote()d columns
        f" SELECT {pick('item_id')} AS item_id, {pick('prompt')} AS prompt,"
        f" {pick('context')} AS context, {pick('ground_truth')} AS ground_truth,"
        f" coalesce(NULLIF(trim({pick('stratum')}), ''), {literal(DEFAULT_STRATUM)}) AS stratum,"
        f" coalesce(lower(trim({pick('split')})), {literal(SPLITS[0])}) AS split,"
        f" {pick('tags', 'CAST([] AS VARCHAR[])')} AS tags, {pick('notes')} AS notes"
        f" FROM {table}"
    )
    return view


def _write_items(
    con, staged: Staged, dataset_id, name, version, exists, digest, items, synthetic, actor
) -> None:
    """The dataset row (new, or the unfrozen version replaced) and its items (audited)."""
    if exists:
        con.execute("DELETE FROM item WHERE dataset_id = ?", [dataset_id])
        con.execute(
            "UPDATE dataset SET sha256 = ?, item_count = ?, source_file = ? WHERE dataset_id = ?",
            [digest, staged.rows, staged.file, dataset_id],
        )
    else:
        con.execute(
            "INSERT INTO dataset (dataset_id, name, version, sha256, item_count, source_file,"
            " synthetic, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [dataset_id, name, version, digest, staged.rows, staged.file, synthetic, actor],
        )
    con.execute(
        "INSERT INTO item (dataset_id, item_id, prompt, context, ground_truth, stratum, split,"  # noqa: S608 - generated view
        f" tags, notes) SELECT ?, * FROM {items}",
        [dataset_id],
    )
    db.audit(
        con,
        actor,
        "replace_items" if exists else "import_dataset",
        "dataset",
        dataset_id,
        after={"file": staged.file, "sha256": digest, "items": staged.rows},
    )


def _one_config(con, staged: Staged, cols) -> dict:
    """Every row must carry the same model configuration: one run has one."""
    if "model_config" not in cols:
        return {}
    distinct = con.execute(
        f"SELECT {value(cols['model_config'])} AS c, min(_row) FROM {staged.table}"  # noqa: S608 - generated table; core.checks SQL over quote()d columns
        " GROUP BY c ORDER BY 2"
    ).fetchall()
    parsed = []
    for text, row in distinct:
        try:
            parsed.append((datasets.parse_config(text), row))
        except (ValueError, json.JSONDecodeError) as exc:
            raise InputError(
                staged.file,
                f"model_config {text!r} is neither a JSON object nor 'key=value, ...' text ({exc})",
                row=row,
                column=cols["model_config"].source,
                row_word=staged.row_word,
            ) from None
    first, first_row = parsed[0]
    for config, row in parsed[1:]:
        if config and config != first:
            raise InputError(
                staged.file,
                f"model_config {config} differs from {first} on "
                f"{staged.row_word} {first_row}; one run has one configuration:"
                " split the file by configuration",
                row=row,
                column=cols["model_config"].source,
                row_word=staged.row_word,
            )
    return first


def _one_model(con, staged: Staged, cols, model_id: str | None) -> str:
    if "model_id" in cols:
        found = con.execute(
            f"SELECT DISTINCT {value(cols['model_id'])} FROM {staged.table}"  # noqa: S608 - generated table; core.checks SQL over quote()d columns
            f" WHERE {value(cols['model_id'])} IS NOT NULL"
        ).fetchall()
        if len(found) > 1:
            raise InputError(
                staged.file,
                f"the file names {len(found)} models; a golden file carries one source model",
                column=cols["model_id"].source,
            )
        if found:
            return found[0][0]
    if model_id:
        return model_id
    raise InputError(
        staged.file, "the source model is not named: add a model_id column or pass --model"
    )


def _write_source_run(
    con, staged: Staged, cols, source: _Source, actor: str
) -> tuple[RunImport, int]:
    """The golden file's outputs as the dataset's source run, and its human scores as labels."""
    dataset_id, model = source.dataset_id, source.model
    spec = runs.RunSpec(
        dataset_id,
        model,
        name=f"{model} on {dataset_id} (golden file)",
        role="source",
        config=source.config,
        judge="imported",
        default_threshold=source.score_metric.threshold,
        origin="golden",
        synthetic=source.synthetic,
    )
    run_id = runs.create_run(con, spec, staged.file, actor)
    rows = quote(f"{staged.table}_matched")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {rows} AS"  # noqa: S608 - generated names; core.checks SQL over quote()d columns
        f" SELECT s.*, {value(cols['item_id'])} AS _item_id FROM {staged.table} s"
    )
    outputs = run_import.write_outputs(con, run_id, rows, {**cols, "output": cols["source_output"]})
    scores, read_notes = 0, []
    if "automated_score" in cols:
        plan = replace(source.score_metric, parts={"score": cols["automated_score"]})
        scores, clipped = run_import.write_scores(con, run_id, rows, [plan], spec)
        read_notes = run_import.metric_notes([plan], clipped) if scores else []
    labels = 0
    if "human_score" in cols:
        notes = value(cols["notes"]) if "notes" in cols else "NULL"
        labels = writes.insert_labels_from(
            con,
            ("dataset_id", "item_id", "run_id", "reviewer", "score", "notes", "origin"),
            f"SELECT ?, _item_id, ?, 'imported', CAST({value(cols['human_score'])} AS INTEGER),"  # noqa: S608 - generated view; core.checks SQL over quote()d columns
            f" {notes}, 'import' FROM {rows} WHERE {value(cols['human_score'])} IS NOT NULL",
            [dataset_id, run_id],
        )
    db.audit(
        con,
        actor,
        "import_run",
        "run",
        run_id,
        after={
            "file": staged.file,
            "dataset_id": dataset_id,
            "model_id": model,
            "outputs": outputs,
            "scores": scores,
            "labels": labels,
        },
    )
    scored = (source.score_metric.metric,) if scores else ()
    run = RunImport(
        run_id, dataset_id, staged.file, staged.rows, outputs, [], scored, scores, tuple(read_notes)
    )
    return run, labels


def _score_metric(
    con, metric: str | None, score_range: Range | None, threshold: float | None
) -> MetricPlan:
    """How a golden file's automated_score is read: as ``metric`` from the catalog when named
    (so it meets the runs' metrics), else as 'automated_score', 0..1, passing at >= 0.5."""
    if metric is None:
        lowest, highest = score_range or runs.DEFAULT_RANGE
        cut: float | None = runs.DEFAULT_THRESHOLD if threshold is None else threshold
        return MetricPlan(
            "automated_score",
            "automated_score",
            False,
            {},
            lowest,
            highest,
            cut,
            "higher",
            "golden",
        )
    found = metrics.resolve(con, [metric])[metric]
    if found.entry is None:
        raise InputError(
            "--metric",
            f"{metric!r} is not in the metric catalog; see `python -m core metric list`,"
            " or add it with `python -m core metric set`",
        )
    entry = found.entry
    low, high = score_range or (entry.low, entry.high)
    cut = entry.default_threshold if threshold is None else threshold
    return MetricPlan(
        "automated_score", entry.metric, True, {}, low, high, cut, entry.direction, "catalog"
    )
