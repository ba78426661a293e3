"""Importing a golden file: the dataset version's items, its source run and the human scores.

The golden file follows the playbook's schema (one row per item):
``id, source_prompt, input_context, model_config, ground_truth, source_output, latency_ms,
input_tokens, output_tokens, automated_score, human_score, notes`` plus the optional
``stratum, split, tags, ttft_ms, model_id``. It creates the dataset's items, a source run
(when ``source_output`` is present) and the human scores as imported labels. The same content
imported again writes nothing (core.catalog.datasets holds the hash and the versions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from core.catalog import datasets, metrics
from core.catalog.runs import Range
from core.errors import InputError
from core.importers import golden_source
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
from core.importers.values import typed
from core.store import db, sql, writes
from core.store.sql import literal
from core.types import SPLITS

DEFAULT_STRATUM = "all"
NULL = sql.Sql("NULL")  # a field the file does not have
NO_TAGS = sql.Sql("CAST([] AS VARCHAR[])")
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
class _Version:
    """The dataset version an import writes: new, or an unfrozen one replaced."""

    dataset_id: str
    name: str
    version: int
    exists: bool
    digest: str
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
    score_metric = golden_source.score_metric(con, metric, score_range, threshold)
    cols = _validated(con, staged, score_metric, human_range)
    config = golden_source.one_config(con, staged, cols)
    has_output = "source_output" in cols
    if "human_score" in cols and not has_output:
        raise InputError(
            staged.file,
            "human scores grade the source output: add a source_output column, or drop human_score",
            column="human_score",
        )

    items = _items_view(con, cols, staged.table)
    rows = sql.compose(
        "SELECT item_id, prompt, context, ground_truth, stratum, split, tags FROM {items}",
        items=items,
    )
    digest = datasets.content_hash(con.execute(rows.text).fetchall())
    target, exists = datasets.version_to_write(con, name, version, digest)
    if target is None:
        latest = datasets.latest_version(con, name)
        return DatasetImport(f"{name}@{latest}", digest, staged.rows, True, None, 0)
    model_id = model_id or config.get("model_id") or config.get("model")
    model = golden_source.one_model(con, staged, cols, model_id) if has_output else None
    dataset_id = f"{name}@{target}"
    if exists:
        datasets.refuse_if_frozen(con, dataset_id, "replace its items")

    with db.unordered_writes(con), db.transaction(con):
        written = _Version(dataset_id, name, target, exists, digest, synthetic)
        _write_items(con, staged, written, items, actor)
        run, labels = None, 0
        if model is not None:  # set exactly when the file has source outputs
            source = golden_source.Source(dataset_id, model, config, score_metric, synthetic)
            run, labels = golden_source.write(con, staged, cols, source, actor)
    return DatasetImport(dataset_id, digest, staged.rows, False, run, labels)


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
            nan_is_blank=False,  # a human score is a label: NaN is a broken export
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


def _items_view(con, cols: dict[str, Column], table: str) -> sql.Sql:
    """A view of the staged rows as items (dropped with the staged table); its quoted name."""

    def pick(name: str, default: sql.Sql = NULL) -> sql.Sql:
        return typed(cols[name]) if name in cols else default

    view = sql.name(f"{table}_golden")
    create = sql.compose(
        "CREATE OR REPLACE TEMP VIEW {view} AS"
        " SELECT {item_id} AS item_id, {prompt} AS prompt, {context} AS context,"
        " {ground_truth} AS ground_truth,"
        " coalesce(NULLIF(trim({stratum}), ''), {default_stratum}) AS stratum,"
        " coalesce(lower(trim({split})), {default_split}) AS split,"
        " {tags} AS tags, {notes} AS notes FROM {table}",
        view=view,
        item_id=pick("item_id"),
        prompt=pick("prompt"),
        context=pick("context"),
        ground_truth=pick("ground_truth"),
        stratum=pick("stratum"),
        default_stratum=sql.constant(DEFAULT_STRATUM),
        split=pick("split"),
        default_split=sql.constant(SPLITS[0]),
        tags=pick("tags", NO_TAGS),
        notes=pick("notes"),
        table=sql.name(table),
    )
    con.execute(create.text)
    return view


def _write_items(con, staged: Staged, version: _Version, items: sql.Sql, actor: str) -> None:
    """The dataset row (new, or the unfrozen version replaced) and its items (audited)."""
    dataset_id, digest, exists = version.dataset_id, version.digest, version.exists
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
            [
                dataset_id,
                version.name,
                version.version,
                digest,
                staged.rows,
                staged.file,
                version.synthetic,
                actor,
            ],
        )
    insert = sql.compose(
        "INSERT INTO item (dataset_id, item_id, prompt, context, ground_truth, stratum, split,"
        " tags, notes) SELECT ?, * FROM {items}",
        items=items,
    )
    con.execute(insert.text, [dataset_id])
    writes.audit(
        con,
        actor,
        "replace_items" if exists else "import_dataset",
        "dataset",
        dataset_id,
        after={"file": staged.file, "sha256": digest, "items": staged.rows},
    )
