"""Labels made elsewhere: the documented label file, Amazon Bedrock human-evaluation output,
and a sample export filled in by SMEs outside the app.

The label file (CSV, JSONL or Parquet) has one row per (item, run, reviewer):
``item_id`` (or ``prompt``), ``run_id`` (or ``model_id``, or ``--run``), ``reviewer``, and at
least one of ``score`` (whole, 1-5 unless another scale is declared) and ``passed``;
optionally ``failure_modes``, ``safety_flag``, ``preference`` (A/B/tie), ``shown_side`` (A/B)
and ``notes``. Bedrock human-evaluation records (core.bedrock_human) and sample exports
(core.sample_export) convert to the same rows. Every label keeps its row as it came in
``raw_record``. Labels are never silently overwritten.

Attached to a sample (``sample_id``), labels must grade the sample's items and runs; they then
carry the items' inclusion probabilities and are weighted exactly as labels entered in the
app, and the reviewers' assignments are marked done. Labels with no sample are a convenience
sample: calibration shows them unweighted, under a warning.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import duckdb

from core.catalog import runs
from core.catalog.models import resolve_model_id
from core.errors import InputError, NotFoundError
from core.importers import bedrock_human
from core.importers.checks import (
    Checks,
    Field,
    add_field_checks,
    bind,
    check_unique,
    first_error,
    quote,
    value,
)
from core.importers.files import one_file, relabel
from core.importers.staging import Staged, drop, kind_of, stage_file, stage_records
from core.review import sample_export
from core.review.queue import FAILURE_MODES
from core.store import db, writes

FORMATS = ("native", "bedrock", "sample")
SCALE = (1, 5)  # the label's score scale, as SMEs score in the app


def label_fields(scale: tuple[int, int] = SCALE) -> list[Field]:
    """The label file's columns; the score's bounds are the declared scale."""
    return [
        Field("item_id", aliases=("id",)),
        Field("prompt", aliases=("source_prompt", "question", "input")),
        Field("run_id"),
        Field("model_id", aliases=("model", "model_identifier")),
        Field("reviewer", required=True, nonempty=True, aliases=("worker_id", "annotator", "sme")),
        Field(
            "score",
            "integer",
            minimum=scale[0],
            maximum=scale[1],
            aliases=("human_score", "likert"),
            nan_is_blank=False,  # a NaN score is a broken export, not a missing score
        ),
        Field("passed", "bool", aliases=("pass", "thumbs_up")),
        Field("failure_modes", "tags", aliases=("failure_tags",)),
        Field("safety_flag", "bool", aliases=("safety",)),
        Field("preference"),
        Field("shown_side", aliases=("side",)),
        Field("pair_run_id"),
        Field("notes", aliases=("comment",)),
        Field("_raw", "json"),  # converted records: the answers as they came
    ]


# The typed rows every format is turned into before writing (a SELECT with these columns).
TYPED = (
    "_row",
    "_item_id",
    "_run_id",
    "reviewer",
    "score",
    "passed",
    "failure_modes",
    "safety_flag",
    "preference",
    "shown_side",
    "pair_run_id",
    "notes",
    "raw_record",
)
_names = itertools.count(1)


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
    notes: tuple[str, ...] = ()  # how the file was read: metrics chosen, scale mapping, ...

    def summary(self) -> str:
        into = f"{self.dataset_id}, sample {self.sample_id}" if self.sample_id else self.dataset_id
        return (
            f"{self.labels} labels from {self.reviewers} reviewers imported into "
            f"{into} ({self.rows} rows read)"
        )

    def lines(self) -> list[str]:
        """The summary, then one line per note."""
        extra = []
        if self.attached:
            extra.append(f"{self.attached} of them were imported before and are now attached")
        if self.sample_id:
            extra.append(f"{self.assignments_done} assignments marked done")
        else:
            extra.append(
                "no sample: these labels are a convenience sample (unweighted in calibration);"
                " attach them with --sample SAMPLE to weight them by design"
            )
        return [self.summary(), *(f"  {n}" for n in (*self.notes, *extra))]


@dataclass(frozen=True)
class SampleInfo:
    sample_id: str
    dataset_id: str
    run_a: str
    run_b: str | None

    @property
    def runs(self) -> tuple[str, ...]:
        return (self.run_a,) if self.run_b is None else (self.run_a, self.run_b)


def sample_info(con: duckdb.DuckDBPyConnection, sample_id: str) -> SampleInfo:
    row = con.execute(
        "SELECT s.sample_id, m.dataset_id, s.run_a, s.run_b FROM sample s"
        " JOIN migration m USING (migration_id) WHERE s.sample_id = ?",
        [sample_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no sample {sample_id!r}; `python -m core list` shows the samples")
    return SampleInfo(*row)


def parse_scale(text: str | None) -> tuple[int, int]:
    """'1:7' -> (1, 7): the whole-number Likert scale a score was given on."""
    if not text:
        return SCALE
    low, sep, high = str(text).partition(":")
    try:
        scale = (int(low), int(high))
    except ValueError:
        scale = None
    if not sep or scale is None or scale[0] >= scale[1]:
        raise InputError(
            "--score-scale", f"expected LOW:HIGH whole numbers, e.g. 1:7; got {text!r}"
        )
    return scale


def mapped_score(expr: str, scale: tuple[int, int]) -> str:
    """SQL mapping a score on ``scale`` linearly onto 1-5, rounded half up."""
    low, high = scale
    if scale == SCALE:
        return expr
    return f"CAST(floor(1 + 4.0 * ({expr} - {low}) / {high - low} + 0.5) AS INTEGER)"


def describe_scale(scale: tuple[int, int]) -> str | None:
    """The mapping stated in words and as a table, e.g. 1-7: 1→1, 2→2, 3→2, ..."""
    low, high = scale
    if scale == SCALE:
        return None
    table = ", ".join(
        f"{s}→{math.floor(1 + 4 * (s - low) / (high - low) + 0.5)}" for s in range(low, high + 1)
    )
    return (
        f"scores on {low}-{high} mapped linearly onto 1-5: 1 + 4·(s − {low})/{high - low},"
        f" rounded half up ({table}); the answers as given are in each label's raw record"
    )


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
    with one_file(source, label, "label") as path:
        kind = kind_of(path)
        if fmt is None:
            fmt = _detect(path, kind)
        notes: list[str] = []
        if fmt == "bedrock":
            read = bedrock_human.read(
                path,
                score_metric=score_metric,
                verdict_metric=verdict_metric,
                preference_metric=preference_metric,
                scale=score_scale,
            )
            notes += read.choice.describe()
            staged = stage_records(con, read.rows, str(path), "line")
        elif fmt in ("native", "sample"):
            staged = stage_file(con, path, kind)
        else:
            raise InputError(
                str(path), f"unknown label format {fmt!r}; expected one of {', '.join(FORMATS)}"
            )
        staged = relabel(staged, source, label)
        temp_tables: tuple[str, ...] = ()
        try:
            if fmt == "sample":
                if sample is None:
                    raise InputError(
                        staged.file,
                        "this is a sample export: import it with --sample SAMPLE",
                    )
                if score_scale != SCALE:
                    raise InputError(
                        "--score-scale", "a sample export is scored 1-5, as in the app"
                    )
                rows = sample_export.typed_rows(con, staged, sample)
                temp_tables += rows.tables
                typed, reviewer_column = rows.typed, rows.reviewer_column
                if rows.skipped:
                    notes.append(f"{rows.skipped} rows left blank by the SMEs, skipped")
            else:
                typed, reviewer_column = _typed(
                    con, staged, dataset_id, choice, sample, score_scale
                )
            if scale_note := describe_scale(score_scale):
                notes.append(scale_note)
            return _write(con, staged, typed, reviewer_column, dataset_id, sample, actor, notes)
        finally:
            drop(con, staged.table)
            choice.drop(con)
            for table in temp_tables:
                con.execute(f"DROP TABLE IF EXISTS {table}")


def _detect(path, kind: str) -> str:
    if kind == "jsonl" and bedrock_human.is_human_output(path):
        return "bedrock"
    return "sample" if sample_export.is_export(path, kind) else "native"


def _typed(
    con,
    staged: Staged,
    dataset_id: str,
    choice: RunChoice,
    sample: SampleInfo | None,
    scale: tuple[int, int],
) -> tuple[str, str]:
    """Check a label file's rows and return them typed (``TYPED`` columns) with the name of
    its reviewer column."""
    cols = bind(con, staged, label_fields(scale))
    checks = Checks()
    for col in cols.values():
        add_field_checks(checks, col)
    if "score" not in cols and "passed" not in cols:
        raise InputError(
            staged.file,
            "a label needs a score (1-5) or passed; the file has neither column",
            column="score",
        )
    has_verdict = " OR ".join(
        f"{value(cols[c])} IS NOT NULL" for c in ("score", "passed") if c in cols
    )
    checks.add(
        f"NOT ({has_verdict})",
        "the row has neither a score nor passed",
        cols.get("score", cols.get("passed")).source,
        "NULL",
    )
    for name, allowed in (("preference", ("A", "B", "tie")), ("shown_side", ("A", "B"))):
        if name in cols:
            listed = ", ".join(f"'{a}'" for a in allowed)
            checks.add(
                f"{value(cols[name])} IS NOT NULL AND {value(cols[name])} NOT IN ({listed})",
                f"expected one of {', '.join(allowed)}",
                cols[name].source,
                value(cols[name]),
            )
    if "failure_modes" in cols:
        known = ", ".join(f"'{m}'" for m in FAILURE_MODES)
        checks.add(
            f"len(list_filter({value(cols['failure_modes'])}, lambda m: m NOT IN ({known}))) > 0",
            f"expected failure modes among {', '.join(FAILURE_MODES)}",
            cols["failure_modes"].source,
            f"CAST({value(cols['failure_modes'])} AS VARCHAR)",
        )
    first_error(con, staged, checks)
    match_sql, _ = runs.match_items(
        con, staged, cols, runs.RunSpec(dataset_id), unique=False, can_skip=False
    )
    source = _with_runs(con, staged, cols, dataset_id, choice, sample, match_sql)

    def pick(name: str, default: str = "NULL") -> str:
        return value(cols[name]) if name in cols else default

    if "_raw" in cols:
        raw = value(cols["_raw"])
    else:  # the row as written, every column of the file
        fields = ", ".join(f"{quote(c)} := {quote(c)}" for c in staged.columns)
        raw = f"to_json(struct_pack({fields}))"
    score = mapped_score(pick("score"), scale) if "score" in cols else "NULL"
    typed = (
        f"(SELECT _row, _item_id, _run_id, {pick('reviewer')} AS reviewer,"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        f" {score} AS score, {pick('passed')} AS passed,"
        f" {pick('failure_modes', 'CAST([] AS VARCHAR[])')} AS failure_modes,"
        f" coalesce({pick('safety_flag')}, false) AS safety_flag,"
        f" {pick('preference')} AS preference, {pick('shown_side')} AS shown_side,"
        f" {pick('pair_run_id')} AS pair_run_id, {pick('notes')} AS notes,"
        f" CAST({raw} AS JSON) AS raw_record FROM {source})"
    )
    return typed, cols["reviewer"].source


@dataclass
class RunChoice:
    """What --run said: one run for the whole file, and/or MODEL=RUN mappings."""

    whole: str | None
    by_model: dict[str, str]
    table: str | None = None  # the temp table mapping the file's models to runs

    @classmethod
    def parse(cls, given: str | Sequence[str] | None) -> RunChoice:
        entries = [given] if isinstance(given, str) else list(given or [])
        whole, by_model = None, {}
        for entry in entries:
            entry = (entry or "").strip()
            if not entry:
                continue
            model, sep, run = entry.rpartition("=")
            if sep and model.strip() and run.strip():
                by_model[model.strip()] = run.strip()
            elif not sep:
                if whole and whole != entry:
                    raise InputError(
                        "--run",
                        f"two runs for the whole file ({whole}, {entry}); map each model"
                        " with --run MODEL=RUN",
                    )
                whole = entry
            else:
                raise InputError("--run", f"expected RUN or MODEL=RUN, got {entry!r}")
        return cls(whole, by_model)

    def drop(self, con) -> None:
        if self.table:
            con.execute(f"DROP TABLE IF EXISTS {self.table}")
            self.table = None


def _runs_of(con, dataset_id: str, sample: SampleInfo | None) -> list[tuple[str, str, str]]:
    """(run_id, model_id, role) of the runs labels may grade: the sample's, or the dataset's."""
    rows = con.execute(
        "SELECT run_id, model_id, role FROM run WHERE dataset_id = ? ORDER BY created_at, run_id",
        [dataset_id],
    ).fetchall()
    return [r for r in rows if sample is None or r[0] in sample.runs]


def _listing(candidates: list[tuple[str, str, str]]) -> str:
    return ", ".join(f"{r} ({role}, {model})" for r, model, role in candidates) or "none"


def _check_runs(file: str, named: list[str], allowed: list[tuple], where: str) -> None:
    known = {r for r, _, _ in allowed}
    for run in named:
        if run not in known:
            raise InputError(
                file, f"--run: no run {run!r} on {where}; its runs: {_listing(allowed)}"
            )


def _with_runs(
    con,
    staged: Staged,
    cols,
    dataset_id: str,
    choice: RunChoice,
    sample: SampleInfo | None,
    match_sql: str,
) -> str:
    """The matched rows with ``_run_id``: the run_id column, else the model of each row
    (resolved from ARNs and inference profiles) mapped by --run MODEL=RUN, --run for a file of
    one model, or the model's only run; every row must grade an existing output."""
    where = f"sample {sample.sample_id}" if sample else dataset_id
    allowed = _runs_of(con, dataset_id, sample)
    _check_runs(
        staged.file, [r for r in (choice.whole, *choice.by_model.values()) if r], allowed, where
    )
    column = None
    if "run_id" in cols:
        source = f"(SELECT *, {value(cols['run_id'])} AS _run_id FROM {match_sql})"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        column = cols["run_id"].source
        if sample:
            bad = con.execute(
                f"SELECT _row, _run_id FROM {source} WHERE _run_id NOT IN (SELECT unnest(?))"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
                " ORDER BY 1 LIMIT 1",
                [list(sample.runs)],
            ).fetchone()
            if bad:
                raise InputError(
                    staged.file,
                    f"run {bad[1]!r} is not reviewed in {where}; its runs: {_listing(allowed)}",
                    row=bad[0],
                    column=column,
                    row_word=staged.row_word,
                )
    elif "model_id" in cols:
        column = cols["model_id"].source
        source = _runs_by_model(con, staged, cols, match_sql, choice, allowed, where)
    elif choice.whole or (sample and sample.run_b is None):
        choice.table = f"label_runs_{next(_names)}"
        con.execute(
            f"CREATE TEMP TABLE {choice.table} AS SELECT CAST(? AS VARCHAR) AS run_id",
            [choice.whole or sample.run_a],
        )
        source = f"(SELECT k.*, m.run_id AS _run_id FROM {match_sql} k, {choice.table} m)"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
    else:
        also = f" (sample {sample.sample_id} shows two runs)" if sample else ""
        raise InputError(
            staged.file,
            f"which run do the labels grade{also}? add a run_id or model_id column,"
            f" or pass --run RUN; runs: {_listing(allowed)}",
            column="run_id",
        )
    missing = con.execute(
        f"SELECT s._row, s._run_id FROM {source} s ANTI JOIN output o ON o.run_id = s._run_id"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        " AND o.item_id = s._item_id ORDER BY 1 LIMIT 1"
    ).fetchone()
    if missing:
        raise InputError(
            staged.file,
            f"run {missing[1]!r} has no output for this item on "
            f"{dataset_id}; labels grade an existing output",
            row=missing[0],
            column=column,
            row_word=staged.row_word,
        )
    return source


def _runs_by_model(
    con, staged: Staged, cols, match_sql: str, choice: RunChoice, allowed: list, where: str
) -> str:
    """Map each model the file names to one run, in Python (a file names a few models)."""
    model = value(cols["model_id"])
    named = [
        m
        for (m,) in con.execute(
            f"SELECT DISTINCT {model} FROM {match_sql} WHERE {model} IS NOT NULL ORDER BY 1"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        ).fetchall()
    ]
    mapping: dict[str, str] = {}
    for raw in named:
        resolved = resolve_model_id(raw)
        shown = repr(raw) if resolved == raw else f"{raw!r} (model {resolved})"
        if raw in choice.by_model or resolved in choice.by_model:
            mapping[raw] = choice.by_model.get(raw) or choice.by_model[resolved]
            continue
        if choice.whole:
            if len(named) > 1:
                raise InputError(
                    staged.file,
                    f"the file grades {len(named)} models ({', '.join(named)}); --run RUN would"
                    " give every label to one run: map each model with --run MODEL=RUN",
                    column=cols["model_id"].source,
                )
            mapping[raw] = choice.whole
            continue
        candidates = [r for r in allowed if resolve_model_id(r[1]) == resolved or r[1] == raw]
        if len(candidates) == 1:
            mapping[raw] = candidates[0][0]
            continue
        if candidates:
            problem = (
                f"model {shown} has {len(candidates)} runs on {where}: {_listing(candidates)};"
                f" say which with --run '{resolved}=RUN'"
            )
        else:
            problem = (
                f"model {shown} has 0 runs on {where} (its runs: {_listing(allowed)});"
                f" import that model's run first, or say which run it is with"
                f" --run '{resolved}=RUN'"
            )
        if len(named) == 1:
            problem += " (or --run RUN: the file grades one model)"
        raise InputError(staged.file, problem, column=cols["model_id"].source)
    missing = con.execute(f"SELECT min(_row) FROM {match_sql} WHERE {model} IS NULL").fetchone()[0]  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
    if missing is not None:
        raise InputError(
            staged.file,
            "the row names no model; fill it in or add a run_id column",
            row=missing,
            column=cols["model_id"].source,
            row_word=staged.row_word,
        )
    choice.table = f"label_runs_{next(_names)}"
    con.execute(f"CREATE TEMP TABLE {choice.table} (model VARCHAR, run_id VARCHAR)")
    con.executemany(f"INSERT INTO {choice.table} VALUES (?, ?)", list(mapping.items()))  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
    return (
        f"(SELECT k.*, m.run_id AS _run_id FROM (SELECT *, {model} AS _model FROM {match_sql}) k"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        f" JOIN {choice.table} m ON m.model = k._model)"
    )


def _write(
    con,
    staged: Staged,
    typed: str,
    reviewer_column: str,
    dataset_id: str,
    sample: SampleInfo | None,
    actor: str,
    notes: list[str],
) -> LabelImport:
    """Sample and overwrite checks on the typed rows, then one transaction: labels, the
    attached earlier imports, assignments done, audit."""
    check_unique(
        con,
        replace(staged, table=typed),
        "_item_id || chr(31) || _run_id || chr(31) || reviewer",
        reviewer_column,
        "label (item, run, reviewer)",
    )

    def refuse(row: int, problem: str, column: str = reviewer_column) -> None:
        raise InputError(staged.file, problem, row=row, column=column, row_word=staged.row_word)

    # The same label, imported before without a sample, is attached rather than duplicated.
    same_key = (
        "l.dataset_id = $1 AND l.item_id = t._item_id AND l.run_id = t._run_id"
        " AND l.reviewer = t.reviewer"
    )
    attachable = "false"
    if sample:
        _check_sample(con, staged, typed, sample, refuse)
        attachable = (
            f"EXISTS (SELECT 1 FROM label l WHERE {same_key} AND l.origin = 'import'"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
            f" AND l.sample_id IS NULL AND {_same_label('l', 't')})"
        )
    clash = con.execute(
        f"SELECT t._row FROM {typed} t WHERE NOT ({attachable}) AND EXISTS (SELECT 1 FROM"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        f" label l WHERE {same_key} AND l.origin = 'import') ORDER BY 1 LIMIT 1",
        [dataset_id],
    ).fetchone()
    if clash:
        refuse(
            clash[0],
            "this reviewer's label for this item and run was imported before"
            + (" with other answers" if sample else "")
            + "; labels are never silently overwritten",
        )
    sample_id = sample.sample_id if sample else None
    with db.transaction(con):
        earlier = (
            con.execute(
                f"SELECT list(l.label_id ORDER BY l.label_id) FROM label l, {typed} t"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
                f" WHERE {same_key} AND l.origin = 'import' AND l.sample_id IS NULL"
                f" AND {_same_label('l', 't')}",
                [dataset_id],
            ).fetchone()[0]
            if sample
            else None
        )
        written = writes.insert_labels_from(
            con,
            writes.LABEL_COLUMNS,
            "SELECT $1, _item_id, _run_id, pair_run_id, reviewer, score,"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
            " passed, failure_modes, safety_flag, preference, shown_side, notes, 'import', $2,"
            f" raw_record FROM {typed} t WHERE NOT ({attachable})",
            [dataset_id, sample_id],
        )
        attached = len(earlier or [])
        if earlier:
            writes.attach_labels(con, earlier, sample_id)
            db.audit(
                con,
                actor,
                "attach_labels",
                "label",
                sample_id,
                before={"label_ids": earlier, "sample_id": None},
                after={"label_ids": earlier, "sample_id": sample_id, "file": staged.file},
            )
        done = 0
        if sample:
            done = writes.mark_done_from(
                con,
                sample_id,
                f"(SELECT _item_id AS item_id, reviewer FROM {typed})",  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
            )
        reviewers = con.execute(f"SELECT count(DISTINCT reviewer) FROM {typed}").fetchone()[0]  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        db.audit(
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
        tuple(notes),
    )


def _check_sample(con, staged: Staged, typed: str, sample: SampleInfo, refuse) -> None:
    """Every row grades an item of the sample, and no label of the sample is overwritten."""
    outside = con.execute(
        f"SELECT list(_row ORDER BY _row), list(DISTINCT _item_id) FROM {typed} t"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        " WHERE NOT EXISTS (SELECT 1 FROM sample_item si WHERE si.sample_id = ?"
        " AND si.item_id = t._item_id)",
        [sample.sample_id],
    ).fetchone()
    if outside[0]:
        rows, items = outside[0], sorted(outside[1])
        raise InputError(
            staged.file,
            f"{staged.row_word}s {', '.join(map(str, rows[:20]))}"
            f"{' …' if len(rows) > 20 else ''}: items {', '.join(map(repr, items[:10]))}"
            f" are not in sample {sample.sample_id}; a label attached to a sample grades"
            " one of its items",
            column="item_id",
        )
    taken = con.execute(
        f"SELECT t._row, l.origin FROM {typed} t JOIN label l ON l.sample_id = ?"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        " AND l.item_id = t._item_id AND l.run_id = t._run_id AND l.reviewer = t.reviewer"
        " ORDER BY 1 LIMIT 1",
        [sample.sample_id],
    ).fetchone()
    if taken:
        how = "in the app" if taken[1] == "app" else "by an earlier import"
        refuse(
            taken[0],
            f"this reviewer's label for this item and run of sample {sample.sample_id}"
            f" was entered {how}; labels are never silently overwritten",
        )


def _same_label(old: str, new: str) -> str:
    """SQL: two labels say the same thing (every answer equal, NULLs equal)."""
    fields = ("score", "passed", "safety_flag", "preference", "shown_side", "notes")
    same = [f"{old}.{f} IS NOT DISTINCT FROM {new}.{f}" for f in fields]
    same.append(f"list_sort({old}.failure_modes) = list_sort({new}.failure_modes)")
    return " AND ".join(same)
