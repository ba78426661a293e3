"""A golden file's source run: the one model and configuration it names, its outputs, its
automated scores and its human scores as imported labels (written inside the golden import's
transaction)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from core.catalog import datasets, metrics, runs
from core.catalog.runs import Range
from core.errors import InputError
from core.importers import runs as run_import
from core.importers.runs import MetricPlan, RunImport
from core.importers.staging import Staged
from core.importers.values import typed
from core.store import sql, writes
from core.store.sql import Sql, compose


@dataclass(frozen=True)
class Source:
    """The golden file's source run as the import writes it."""

    dataset_id: str
    model: str
    config: dict
    score_metric: MetricPlan
    synthetic: bool


def one_config(con, staged: Staged, cols) -> dict:
    """Every row must carry the same model configuration: one run has one."""
    if "model_config" not in cols:
        return {}
    configs = compose(
        "SELECT {config} AS c, min(_row) FROM {staged} GROUP BY c ORDER BY 2",
        config=typed(cols["model_config"]),
        staged=sql.name(staged.table),
    )
    distinct = con.execute(configs.text).fetchall()
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


def one_model(con, staged: Staged, cols, model_id: str | None) -> str:
    if "model_id" in cols:
        models = compose(
            "SELECT DISTINCT {model} FROM {staged} WHERE {model} IS NOT NULL",
            model=typed(cols["model_id"]),
            staged=sql.name(staged.table),
        )
        found = con.execute(models.text).fetchall()
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


def write(con, staged: Staged, cols, source: Source, actor: str) -> tuple[RunImport, int]:
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
    rows = sql.name(f"{staged.table}_matched")
    con.execute(
        compose(
            "CREATE OR REPLACE TEMP VIEW {rows} AS SELECT s.*, {item} AS _item_id FROM {staged} s",
            rows=rows,
            item=typed(cols["item_id"]),
            staged=sql.name(staged.table),
        ).text
    )
    outputs = run_import.write_outputs(
        con, run_id, rows.text, {**cols, "output": cols["source_output"]}
    )
    scores, read_notes = 0, []
    if "automated_score" in cols:
        plan = replace(source.score_metric, parts={"score": cols["automated_score"]})
        scores, clipped = run_import.write_scores(con, run_id, rows.text, [plan], spec)
        read_notes = run_import.metric_notes([plan], clipped) if scores else []
    labels = _human_labels(con, cols, rows, dataset_id, run_id) if "human_score" in cols else 0
    writes.audit(
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


def score_metric(
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


def _human_labels(con, cols, rows: Sql, dataset_id: str, run_id: str) -> int:
    """The file's human scores as labels of the source run (reviewer 'imported')."""
    return writes.insert_labels_from(
        con,
        ("dataset_id", "item_id", "run_id", "reviewer", "score", "notes", "origin"),
        compose(
            "SELECT ?, _item_id, ?, 'imported', CAST({score} AS INTEGER), {notes}, 'import'"
            " FROM {rows} WHERE {score} IS NOT NULL",
            score=typed(cols["human_score"]),
            notes=typed(cols["notes"]) if "notes" in cols else compose("NULL"),
            rows=rows,
        ),
        [dataset_id, run_id],
    )
