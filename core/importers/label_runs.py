"""Which run each label grades: the file's run_id column, else its model mapped to a run.

A label file may name runs (``run_id``), models (``model_id``: resolved from ARNs and inference
profiles, mapped by ``--run MODEL=RUN`` or to the model's only run), or neither (``--run RUN``
for the whole file, or the sample's one run). Every row must then grade an existing output.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.catalog.models import resolve_model_id
from core.errors import InputError
from core.importers.checks import Column
from core.importers.staging import Staged
from core.importers.values import typed
from core.store import sql
from core.store.sql import Sql, compose

if TYPE_CHECKING:
    from core.importers.label_rows import SampleInfo

_names = itertools.count(1)


@dataclass
class RunChoice:
    """What --run said: one run for the whole file, and/or MODEL=RUN mappings."""

    whole: str | None
    by_model: dict[str, str]
    table: Sql | None = None  # the temp table mapping the file's models to runs

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

    def new_table(self, con, columns: Sql) -> Sql:
        """Create the temp table of this choice's runs (dropped by ``drop``); its name."""
        self.table = sql.name(f"label_runs_{next(_names)}")
        con.execute(compose("CREATE TEMP TABLE {t} ({c})", t=self.table, c=columns).text)
        return self.table

    def drop(self, con) -> None:
        if self.table:
            con.execute(compose("DROP TABLE IF EXISTS {t}", t=self.table).text)
            self.table = None


def runs_of(con, dataset_id: str, sample: SampleInfo | None) -> list[tuple[str, str, str]]:
    """(run_id, model_id, role) of the runs labels may grade: the sample's, or the dataset's."""
    rows = con.execute(
        "SELECT run_id, model_id, role FROM run WHERE dataset_id = ? ORDER BY created_at, run_id",
        [dataset_id],
    ).fetchall()
    return [r for r in rows if sample is None or r[0] in sample.runs]


def listing(candidates: list[tuple[str, str, str]]) -> str:
    return ", ".join(f"{r} ({role}, {model})" for r, model, role in candidates) or "none"


def _check_runs(file: str, named: list[str], allowed: list[tuple], where: str) -> None:
    known = {r for r, _, _ in allowed}
    for run in named:
        if run not in known:
            raise InputError(
                file, f"--run: no run {run!r} on {where}; its runs: {listing(allowed)}"
            )


def with_runs(
    con,
    staged: Staged,
    cols: dict[str, Column],
    dataset_id: str,
    choice: RunChoice,
    sample: SampleInfo | None,
    matched: Sql,
) -> Sql:
    """A view of the matched rows with ``_run_id`` (its name): the run_id column, else the
    model of each row mapped by --run MODEL=RUN, --run for a file of one model, or the
    model's only run; every row must grade an existing output."""
    where = f"sample {sample.sample_id}" if sample else dataset_id
    allowed = runs_of(con, dataset_id, sample)
    _check_runs(
        staged.file, [r for r in (choice.whole, *choice.by_model.values()) if r], allowed, where
    )
    view = sql.name(f"{staged.table}_runs")
    body, column = _with_run_id(con, staged, cols, matched, choice, sample, allowed, where)
    con.execute(compose("CREATE OR REPLACE TEMP VIEW {view} AS {body}", view=view, body=body).text)
    if sample and "run_id" in cols:
        _check_sample_runs(
            con, staged, view, sample, column, f"{where}; its runs: {listing(allowed)}"
        )
    missing = con.execute(
        compose(
            "SELECT s._row, s._run_id FROM {view} s ANTI JOIN output o ON o.run_id = s._run_id"
            " AND o.item_id = s._item_id ORDER BY 1 LIMIT 1",
            view=view,
        ).text
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
    return view


def _with_run_id(
    con,
    staged: Staged,
    cols: dict[str, Column],
    matched: Sql,
    choice: RunChoice,
    sample: SampleInfo | None,
    allowed: list,
    where: str,
) -> tuple[Sql, str | None]:
    """SELECT of the matched rows with ``_run_id``, and the file's column it comes from."""
    column = None
    if "run_id" in cols:
        column = cols["run_id"].source
        body = compose(
            "SELECT *, {run} AS _run_id FROM {matched}", run=typed(cols["run_id"]), matched=matched
        )
    elif "model_id" in cols:
        column = cols["model_id"].source
        table = _runs_by_model(con, staged, cols, matched, choice, allowed, where)
        body = compose(
            "SELECT k.*, m.run_id AS _run_id FROM (SELECT *, {model} AS _model FROM {matched}) k"
            " JOIN {table} m ON m.model = k._model",
            model=typed(cols["model_id"]),
            matched=matched,
            table=table,
        )
    elif choice.whole or (sample and sample.run_b is None):
        table = choice.new_table(con, compose("run_id VARCHAR"))
        con.execute(
            compose("INSERT INTO {table} VALUES (?)", table=table).text,
            [choice.whole or (sample and sample.run_a)],
        )
        body = compose(
            "SELECT k.*, m.run_id AS _run_id FROM {matched} k, {table} m",
            matched=matched,
            table=table,
        )
    else:
        also = f" (sample {sample.sample_id} shows two runs)" if sample else ""
        raise InputError(
            staged.file,
            f"which run do the labels grade{also}? add a run_id or model_id column,"
            f" or pass --run RUN; runs: {listing(allowed)}",
            column="run_id",
        )
    return body, column


def _check_sample_runs(
    con, staged: Staged, view: Sql, sample, column: str | None, where: str
) -> None:
    """Labels attached to a sample grade the sample's runs."""
    bad = con.execute(
        compose(
            "SELECT _row, _run_id FROM {view} WHERE _run_id NOT IN (SELECT unnest(?))"
            " ORDER BY 1 LIMIT 1",
            view=view,
        ).text,
        [list(sample.runs)],
    ).fetchone()
    if bad:
        raise InputError(
            staged.file,
            f"run {bad[1]!r} is not reviewed in {where}",
            row=bad[0],
            column=column,
            row_word=staged.row_word,
        )


def _runs_by_model(
    con, staged: Staged, cols, matched: Sql, choice: RunChoice, allowed: list, where: str
) -> Sql:
    """Map each model the file names to one run, in Python (a file names a few models);
    the name of the temp table holding the mapping."""
    model = typed(cols["model_id"])
    listed = compose(
        "SELECT DISTINCT {model} FROM {matched} WHERE {model} IS NOT NULL ORDER BY 1",
        model=model,
        matched=matched,
    )
    named = [m for (m,) in con.execute(listed.text).fetchall()]
    mapping = {
        raw: _run_for_model(staged, cols, raw, named, choice, allowed, where) for raw in named
    }
    unnamed = compose(
        "SELECT min(_row) FROM {matched} WHERE {model} IS NULL", matched=matched, model=model
    )
    missing = con.execute(unnamed.text).fetchone()[0]
    if missing is not None:
        raise InputError(
            staged.file,
            "the row names no model; fill it in or add a run_id column",
            row=missing,
            column=cols["model_id"].source,
            row_word=staged.row_word,
        )
    table = choice.new_table(con, compose("model VARCHAR, run_id VARCHAR"))
    con.executemany(
        compose("INSERT INTO {table} VALUES (?, ?)", table=table).text, list(mapping.items())
    )
    return table


def _run_for_model(
    staged: Staged, cols, raw: str, named: list[str], choice: RunChoice, allowed: list, where: str
) -> str:
    """The run one model of the file maps to, or an InputError saying how to choose."""
    resolved = resolve_model_id(raw)
    shown = repr(raw) if resolved == raw else f"{raw!r} (model {resolved})"
    if raw in choice.by_model or resolved in choice.by_model:
        return choice.by_model.get(raw) or choice.by_model[resolved]
    if choice.whole:
        if len(named) > 1:
            raise InputError(
                staged.file,
                f"the file grades {len(named)} models ({', '.join(named)}); --run RUN would"
                " give every label to one run: map each model with --run MODEL=RUN",
                column=cols["model_id"].source,
            )
        return choice.whole
    candidates = [r for r in allowed if resolve_model_id(r[1]) == resolved or r[1] == raw]
    if len(candidates) == 1:
        return candidates[0][0]
    if candidates:
        problem = (
            f"model {shown} has {len(candidates)} runs on {where}: {listing(candidates)};"
            f" say which with --run '{resolved}=RUN'"
        )
    else:
        problem = (
            f"model {shown} has 0 runs on {where} (its runs: {listing(allowed)});"
            f" import that model's run first, or say which run it is with"
            f" --run '{resolved}=RUN'"
        )
    if len(named) == 1:
        problem += " (or --run RUN: the file grades one model)"
    raise InputError(staged.file, problem, column=cols["model_id"].source)
