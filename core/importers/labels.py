"""Labels made elsewhere: the documented label file, Amazon Bedrock human-evaluation output,
and a sample export filled in by SMEs outside the app.

The label file (CSV, JSONL or Parquet) has one row per (item, run, reviewer):
``item_id`` (or ``prompt``), ``run_id`` (or ``model_id``, or ``--run``), ``reviewer``, and at
least one of ``score`` (whole, 1-5 unless another scale is declared) and ``passed``;
optionally ``failure_modes``, ``safety_flag``, ``preference`` (A/B/tie), ``shown_side`` (A/B)
and ``notes``. Bedrock human-evaluation records (core.importers.bedrock_human) and sample exports
(core.review.sample_export) convert to the same rows. Every label keeps its row as it came in
``raw_record``. Labels are never silently overwritten.

Attached to a sample (``sample_id``), labels must grade the sample's items and runs; they then
carry the items' inclusion probabilities and are weighted exactly as labels entered in the
app, and the reviewers' assignments are marked done. Labels with no sample are a convenience
sample: calibration shows them unweighted, under a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from core.catalog import runs
from core.errors import InputError
from core.formatting import count
from core.importers import bedrock_human
from core.importers.files import one_file, relabel
from core.importers.label_overwrites import check_overwrites, earlier_imports
from core.importers.label_rows import (
    SCALE,
    TYPED,
    SampleInfo,
    describe_scale,
    parse_scale,
    sample_info,
    typed_rows,
)
from core.importers.label_runs import RunChoice
from core.importers.staging import Staged, drop, kind_of, stage_file, stage_records
from core.review import sample_export
from core.store import db, sql, writes
from core.store.sql import Sql, compose

# TYPED, SampleInfo and parse_scale are read here by the CLI and core.review.sample_export.
__all__ = ["FORMATS", "TYPED", "LabelImport", "SampleInfo", "import_labels", "parse_scale"]

FORMATS = ("native", "bedrock", "sample")


@dataclass(frozen=True)
class LabelImport:
    dataset_id: str
    file: str
    rows: int
    labels: int
    reviewers: int
    sample_id: str | None = None
    attached: int = 0  # earlier identical imports now attached to the sample
    assignments_done: int = 0
    left_open: tuple[str, ...] = ()  # why some assignments the file grades stay open
    notes: tuple[str, ...] = ()  # how the file was read: metrics chosen, scale mapping, ...

    def summary(self) -> str:
        into = f"{self.dataset_id}, sample {self.sample_id}" if self.sample_id else self.dataset_id
        return (
            f"{count(self.labels, 'label')} from {count(self.reviewers, 'reviewer')} imported into "
            f"{into} ({self.rows} rows read)"
        )

    def lines(self) -> list[str]:
        """The summary, then one line per note."""
        extra = []
        if self.attached:
            extra.append(f"{self.attached} of them were imported before and are now attached")
        if self.sample_id:
            extra.append(f"{count(self.assignments_done, 'assignment')} marked done")
            extra.extend(self.left_open)
        else:
            extra.append(
                "no sample: these labels are a convenience sample (unweighted in calibration);"
                " attach them with --sample SAMPLE to weight them by design"
            )
        return [self.summary(), *(f"  {n}" for n in (*self.notes, *extra))]


def import_labels(
    con: duckdb.DuckDBPyConnection,
    source: str,
    dataset_id: str | None = None,
    *,
    actor: str,
    run_id: str | Sequence[str] | None = None,
    fmt: str | None = None,
    label: str | None = None,
    sample_id: str | None = None,
    score_metric: str | None = None,
    verdict_metric: str | None = None,
    preference_metric: str | None = None,
    score_scale: tuple[int, int] = SCALE,
) -> LabelImport:
    """Validate a label file against the dataset (and the sample, when attached to one) and
    its runs, then write it at once.

    ``run_id``: one run for the whole file, or ``MODEL=RUN`` entries mapping the file's
    models to runs. The Bedrock options name the metric each label field is read from;
    ``score_scale`` is the scale scores were given on (mapped linearly onto 1-5).
    """
    sample = sample_info(con, sample_id) if sample_id else None
    if sample and dataset_id and dataset_id != sample.dataset_id:
        raise InputError(
            "--dataset",
            f"sample {sample.sample_id} was drawn from {sample.dataset_id}, not {dataset_id}",
        )
    dataset_id = dataset_id or (sample.dataset_id if sample else None)
    if not dataset_id:
        raise InputError("import-labels", "name the --dataset the labels grade (or a --sample)")
    runs.dataset_exists(con, dataset_id)
    choice = RunChoice.parse(run_id)
    bedrock_metrics = (score_metric, verdict_metric, preference_metric)
    with one_file(source, label, "label") as path:
        notes: list[str] = []
        fmt, staged = _stage(con, path, fmt, bedrock_metrics, score_scale, notes)
        staged = relabel(staged, source, label)
        temp_tables: tuple[str, ...] = ()
        try:
            if fmt == "sample":
                rows = _sample_rows(con, staged, sample, score_scale, notes)
                temp_tables += rows.tables
                typed, reviewer_column = rows.typed, rows.reviewer_column
            else:
                typed, reviewer_column = typed_rows(
                    con, staged, dataset_id, choice, sample, score_scale
                )
            if scale_note := describe_scale(score_scale):
                notes.append(scale_note)
            return _write(con, staged, typed, reviewer_column, dataset_id, sample, actor, notes)
        finally:
            drop(con, staged.table)
            choice.drop(con)
            for table in temp_tables:
                con.execute(compose("DROP TABLE IF EXISTS {t}", t=sql.name(table)).text)


def _sample_rows(con, staged: Staged, sample, scale: tuple[int, int], notes: list[str]):
    """A filled sample export's rows typed (core.review.sample_export)."""
    if sample is None:
        raise InputError(staged.file, "this is a sample export: import it with --sample SAMPLE")
    if scale != SCALE:
        raise InputError("--score-scale", "a sample export is scored 1-5, as in the app")
    rows = sample_export.typed_rows(con, staged, sample)
    if rows.skipped:
        notes.append(f"{rows.skipped} rows left blank by the SMEs, skipped")
    return rows


def _stage(
    con, path, fmt: str | None, bedrock_metrics: tuple, scale: tuple[int, int], notes: list[str]
) -> tuple[str, Staged]:
    """The file staged in its format (detected when not given); Bedrock's reading in notes."""
    kind = kind_of(path)
    if fmt is None:
        fmt = _detect(path, kind)
    if fmt == "bedrock":
        score_metric, verdict_metric, preference_metric = bedrock_metrics
        read = bedrock_human.read(
            path,
            score_metric=score_metric,
            verdict_metric=verdict_metric,
            preference_metric=preference_metric,
            scale=scale,
        )
        notes += read.choice.describe()
        return fmt, stage_records(con, read.rows, str(path), "line")
    if fmt in ("native", "sample"):
        return fmt, stage_file(con, path, kind)
    raise InputError(
        str(path), f"unknown label format {fmt!r}; expected one of {', '.join(FORMATS)}"
    )


def _detect(path, kind: str) -> str:
    if kind == "jsonl" and bedrock_human.is_human_output(path):
        return "bedrock"
    return "sample" if sample_export.is_export(path, kind) else "native"


def _write(
    con,
    staged: Staged,
    typed: Sql,
    reviewer_column: str,
    dataset_id: str,
    sample: SampleInfo | None,
    actor: str,
    notes: list[str],
) -> LabelImport:
    """Sample and overwrite checks on the typed rows, then one transaction: labels, the
    attached earlier imports, assignments done, audit."""
    attachable = check_overwrites(con, staged, typed, reviewer_column, dataset_id, sample)
    sample_id = sample.sample_id if sample else None
    with db.transaction(con):
        earlier = earlier_imports(con, typed, dataset_id) if sample else []
        written = _insert(con, typed, attachable, dataset_id, sample_id)
        attached = len(earlier)
        if earlier and sample:
            _attach(con, staged.file, earlier, sample.sample_id, actor)
        done, left_open = _mark_done(con, typed, sample) if sample else (0, ())
        reviewers = con.execute(
            compose("SELECT count(DISTINCT reviewer) FROM {typed}", typed=typed).text
        ).fetchone()[0]
        writes.audit(
            con,
            actor,
            "import_labels",
            "label",
            dataset_id,
            after={
                "file": staged.file,
                "labels": written,
                "attached": attached,
                "reviewers": reviewers,
                "sample_id": sample_id,
                "assignments_done": done,
                "left_open": list(left_open),
            },
        )
    return LabelImport(
        dataset_id,
        staged.file,
        staged.rows,
        written + attached,
        reviewers,
        sample_id,
        attached,
        done,
        left_open,
        tuple(notes),
    )


def _insert(con, typed: Sql, attachable: Sql, dataset_id: str, sample_id: str | None) -> int:
    """The typed rows as new labels, but those attachable to the sample; how many."""
    rows = compose(
        "SELECT $1, _item_id, _run_id, pair_run_id, reviewer, score, passed, failure_modes,"
        " safety_flag, preference, shown_side, notes, 'import', $2, raw_record FROM {typed} t"
        " WHERE NOT ({attachable})",
        typed=typed,
        attachable=attachable,
    )
    return writes.insert_labels_from(con, writes.LABEL_COLUMNS, rows, [dataset_id, sample_id])


def _mark_done(con, typed: Sql, sample: SampleInfo) -> tuple[int, tuple[str, ...]]:
    """Mark done the assignments of the items the file grades that are now labelled as the
    review screen requires (every shown response; a preference for a pair,
    core.review.labels.validate); how many, and why the others stay open."""
    graded = compose(
        "CREATE OR REPLACE TEMP TABLE label_import_graded AS SELECT l.item_id, l.reviewer,"
        " count(DISTINCT l.run_id) = $2 AS every_response,"
        " $2 = 1 OR bool_or(l.preference IS NOT NULL) AS preferred"
        " FROM label l WHERE l.sample_id = $1 AND EXISTS (SELECT 1 FROM {typed} t"
        " WHERE t._item_id = l.item_id AND t.reviewer = l.reviewer) GROUP BY ALL",
        typed=typed,
    )
    con.execute(graded.text, [sample.sample_id, len(sample.runs)])
    try:
        done = writes.mark_done_from(
            con,
            sample.sample_id,
            compose(
                "(SELECT item_id, reviewer FROM label_import_graded"
                " WHERE every_response AND preferred)"
            ),
        )
        one, unpreferred = con.execute(
            "SELECT count(*) FILTER (WHERE NOT every_response),"
            " count(*) FILTER (WHERE every_response AND NOT preferred)"
            " FROM label_import_graded g JOIN assignment a ON a.sample_id = ?"
            " AND a.item_id = g.item_id AND a.reviewer = g.reviewer AND a.status <> 'done'",
            [sample.sample_id],
        ).fetchone()
    finally:
        con.execute("DROP TABLE IF EXISTS label_import_graded")
    left_open = []
    for items, why in ((one, "on one response only"), (unpreferred, "with no preference")):
        if items:
            left_open.append(
                f"{count(items, 'item')} graded {why}:"
                f" {'their assignments stay' if items > 1 else 'its assignment stays'} open"
            )
    return done, tuple(left_open)


def _attach(con, file: str, label_ids: list[int], sample_id: str, actor: str) -> None:
    writes.attach_labels(con, label_ids, sample_id)
    writes.audit(
        con,
        actor,
        "attach_labels",
        "label",
        sample_id,
        before={"label_ids": label_ids, "sample_id": None},
        after={"label_ids": label_ids, "sample_id": sample_id, "file": file},
    )
