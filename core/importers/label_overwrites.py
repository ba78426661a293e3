"""A label file's rows must not overwrite a label: checked on its typed rows (``t``, the
``TYPED`` columns of core.importers.label_rows) against the stored labels (``l``).

An earlier import without a sample that says the same as a row of a file attached to a
sample is attached to that sample rather than duplicated; any other clash is refused.
"""

from __future__ import annotations

from dataclasses import replace

from core.errors import InputError
from core.importers.checks import check_unique
from core.importers.label_rows import SampleInfo
from core.importers.staging import Staged
from core.store import sql
from core.store.sql import Sql, compose


def earlier_imports(con, typed: Sql, dataset_id: str) -> list[int]:
    """Labels imported before without a sample that say what the typed rows say."""
    earlier = compose(
        "SELECT list(l.label_id ORDER BY l.label_id) FROM label l, {typed} t"
        " WHERE {same_key} AND l.origin = 'import' AND l.sample_id IS NULL AND {same_label}",
        typed=typed,
        same_key=_SAME_KEY,
        same_label=_SAME_LABEL,
    )
    return con.execute(earlier.text, [dataset_id]).fetchone()[0] or []


# One label per (dataset, item, run, reviewer): l is a stored label, t a typed row, $1 the dataset.
_SAME_KEY = compose(
    "l.dataset_id = $1 AND l.item_id = t._item_id AND l.run_id = t._run_id"
    " AND l.reviewer = t.reviewer"
)
# Two labels l and t say the same thing (every answer equal, NULLs equal).
_SAME_LABEL = sql.join(
    " AND ",
    [
        *(
            compose("l.{f} IS NOT DISTINCT FROM t.{f}", f=sql.name(f))
            for f in ("score", "passed", "safety_flag", "preference", "shown_side", "notes")
        ),
        compose("list_sort(l.failure_modes) = list_sort(t.failure_modes)"),
    ],
)


def check_overwrites(
    con, staged: Staged, typed: Sql, reviewer_column: str, dataset_id: str, sample
) -> Sql:
    """Refuse a label that would overwrite another; SQL true for the typed rows (t) that are
    earlier imports without a sample, to be attached rather than duplicated."""
    check_unique(
        con,
        replace(staged, table=typed.text),
        "_item_id || chr(31) || _run_id || chr(31) || reviewer",
        reviewer_column,
        "label (item, run, reviewer)",
    )

    def refuse(row: int, problem: str, column: str = reviewer_column) -> None:
        raise InputError(staged.file, problem, row=row, column=column, row_word=staged.row_word)

    attachable = compose("false")
    if sample:
        _check_sample(con, staged, typed, sample, refuse)
        attachable = compose(
            "EXISTS (SELECT 1 FROM label l WHERE {same_key} AND l.origin = 'import'"
            " AND l.sample_id IS NULL AND {same_label})",
            same_key=_SAME_KEY,
            same_label=_SAME_LABEL,
        )
    clashes = compose(
        "SELECT t._row FROM {typed} t WHERE NOT ({attachable}) AND EXISTS (SELECT 1 FROM"
        " label l WHERE {same_key} AND l.origin = 'import') ORDER BY 1 LIMIT 1",
        typed=typed,
        attachable=attachable,
        same_key=_SAME_KEY,
    )
    clash = con.execute(clashes.text, [dataset_id]).fetchone()
    if clash:
        refuse(
            clash[0],
            "this reviewer's label for this item and run was imported before"
            + (" with other answers" if sample else "")
            + "; labels are never silently overwritten",
        )
    return attachable


def _check_sample(con, staged: Staged, typed: Sql, sample: SampleInfo, refuse) -> None:
    """Every row grades an item of the sample, and no label of the sample is overwritten."""
    outside = con.execute(
        compose(
            "SELECT list(_row ORDER BY _row), list(DISTINCT _item_id) FROM {typed} t"
            " WHERE NOT EXISTS (SELECT 1 FROM sample_item si WHERE si.sample_id = ?"
            " AND si.item_id = t._item_id)",
            typed=typed,
        ).text,
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
        compose(
            "SELECT t._row, l.origin FROM {typed} t JOIN label l ON l.sample_id = ?"
            " AND l.item_id = t._item_id AND l.run_id = t._run_id AND l.reviewer = t.reviewer"
            " ORDER BY 1 LIMIT 1",
            typed=typed,
        ).text,
        [sample.sample_id],
    ).fetchone()
    if taken:
        how = "in the app" if taken[1] == "app" else "by an earlier import"
        refuse(
            taken[0],
            f"this reviewer's label for this item and run of sample {sample.sample_id}"
            f" was entered {how}; labels are never silently overwritten",
        )
