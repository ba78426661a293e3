"""Matching a staged file's rows to a dataset's items: by ``item_id``, else by prompt text.

The result is a temporary view over the staged table, named after it (``<table>_matched``), so
later statements read the matched rows by name; it exposes the staged columns plus
``_item_id``. ``staging.drop`` removes it with the staged table.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

import duckdb

from core.errors import InputError
from core.importers.checks import (
    Checks,
    Column,
    Field,
    add_field_checks,
    check_unique,
    first_error,
)
from core.importers.staging import Staged
from core.importers.values import typed
from core.store import sql
from core.store.sql import Sql


class Target(Protocol):
    """What matching needs to know of the import: the dataset, and whether misses may skip."""

    @property
    def dataset_id(self) -> str: ...

    @property
    def allow_unmatched(self) -> bool: ...


class Matched(NamedTuple):
    view: str  # quoted name of the view of matched rows (staged columns plus _item_id)
    unmatched: list[str]  # "row 7: 'What was ...'" for rows skipped with allow_unmatched


# The join conditions between the dataset's items (i) and the keyed rows (k).
BY_ID = sql.compose("i.item_id = k._key")
BY_PROMPT = sql.compose("i.prompt = k._key")


class _Key(NamedTuple):
    keyed: Sql  # view: the staged rows with their matching key as _key
    items: Sql  # table: the dataset's items (item_id, trimmed prompt)
    on: Sql  # BY_ID or BY_PROMPT
    column: str  # the file's column the key comes from
    what: str  # "id" or "prompt"


def match_items(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    cols: dict[str, Column],
    spec: Target,
    unique: bool = True,
    can_skip: bool = True,
) -> Matched:
    """Resolve each staged row to a dataset item: by id, else by prompt text.

    ``unique``: each item may appear once. ``can_skip``: the caller offers
    --allow-unmatched, so the error may suggest it.
    """
    key = _key(con, staged, cols, spec, unique)
    if key.what == "prompt" and unique:
        _check_repeated_items(con, staged, key)
    misses = con.execute(
        sql.compose(
            "SELECT k._row, k._key FROM {keyed} k ANTI JOIN {items} i ON {on} ORDER BY k._row",
            keyed=key.keyed,
            items=key.items,
            on=key.on,
        ).text
    ).fetchall()
    described = [f"{staged.row_word} {row}: {_short(text)!r}" for row, text in misses]
    if misses and not spec.allow_unmatched:
        more = f" ({len(misses)} rows do not match; first ones: {'; '.join(described[:5])})"
        skip = ", or skip unmatched rows (--allow-unmatched)" if can_skip else ""
        raise InputError(
            staged.file,
            f"{key.what} {_short(misses[0][1])!r} is not in dataset "
            f"{spec.dataset_id}{more}; fix the file or import it against the right "
            f"dataset version{skip}",
            row=misses[0][0],
            column=key.column,
            row_word=staged.row_word,
        )
    if len(misses) == staged.rows:
        raise InputError(staged.file, f"no row matches an item of {spec.dataset_id}")
    if key.what == "id" and not misses:
        # Every id is known: the key is the item id, no join needed to write.
        body = sql.compose("SELECT *, _key AS _item_id FROM {keyed}", keyed=key.keyed)
    else:
        body = sql.compose(
            "SELECT k.*, i.item_id AS _item_id FROM {keyed} k JOIN {items} i ON {on}",
            keyed=key.keyed,
            items=key.items,
            on=key.on,
        )
    view = sql.name(f"{staged.table}_matched")
    con.execute(
        sql.compose("CREATE OR REPLACE TEMP VIEW {view} AS {body}", view=view, body=body).text
    )
    return Matched(view.text, described)


def _key(con, staged: Staged, cols: dict[str, Column], spec: Target, unique: bool) -> _Key:
    """The helper table of the dataset's items and the view of keyed staged rows."""
    table = staged.table
    # The dataset id is bound once, into a helper table named after the staged one;
    # the views over it need no parameter (DuckDB cannot prepare a view).
    items = sql.name(f"{table}_items")
    keyed = sql.name(f"{table}_keyed")
    con.execute(
        sql.compose(
            "CREATE OR REPLACE TEMP TABLE {items} AS SELECT item_id, trim(prompt) AS prompt"
            " FROM item WHERE dataset_id = ?",
            items=items,
        ).text,
        [spec.dataset_id],
    )
    if "item_id" in cols:
        col = cols["item_id"]
        checks = Checks()
        add_field_checks(
            checks, Column(Field("item_id", required=True), col.source, staged, col.source_type)
        )
        first_error(con, staged, checks)
        if unique:
            check_unique(con, staged, typed(col).text, col.source)
        expr, on, what = typed(col), BY_ID, "id"
    elif "prompt" in cols:
        col = cols["prompt"]
        expr, on, what = sql.compose("trim({v})", v=typed(col)), BY_PROMPT, "prompt"
    else:
        raise InputError(
            staged.file,
            "missing required column 'item_id' (or 'prompt' to match items by their text);"
            f" the file has: {', '.join(staged.columns[:30])}",
            column="item_id",
        )
    con.execute(
        sql.compose(
            "CREATE OR REPLACE TEMP VIEW {keyed} AS SELECT *, {expr} AS _key FROM {table}",
            keyed=keyed,
            expr=expr,
            table=sql.name(table),
        ).text
    )
    key = _Key(keyed, items, on, col.source, what)
    if what == "prompt":
        _check_ambiguous_prompts(con, staged, key, spec)
    return key


def _check_ambiguous_prompts(con, staged: Staged, key: _Key, spec: Target) -> None:
    """A prompt that is the text of two items cannot say which one a row means."""
    ambiguous = con.execute(
        sql.compose(
            "SELECT min(k._row), count(DISTINCT i.item_id) FROM {keyed} k JOIN {items} i"
            " ON i.prompt = k._key GROUP BY k._key"
            " HAVING count(DISTINCT i.item_id) > 1 ORDER BY 1 LIMIT 1",
            keyed=key.keyed,
            items=key.items,
        ).text
    ).fetchone()
    if ambiguous:
        raise InputError(
            staged.file,
            f"the prompt matches {ambiguous[1]} items of "
            f"{spec.dataset_id}; add an item_id column to say which",
            row=ambiguous[0],
            column=key.column,
            row_word=staged.row_word,
        )


def _check_repeated_items(con, staged: Staged, key: _Key) -> None:
    """Two rows whose prompts resolve to the same item."""
    dup = con.execute(
        sql.compose(
            "SELECT i.item_id, list_sort(list(k._row)) AS r"
            " FROM {keyed} k JOIN {items} i ON {on}"
            " GROUP BY i.item_id HAVING count(*) > 1 ORDER BY r[2] LIMIT 1",
            keyed=key.keyed,
            items=key.items,
            on=key.on,
        ).text
    ).fetchone()
    if dup:
        raise InputError(
            staged.file,
            f"matches item {dup[0]!r} again (first on "
            f"{staged.row_word} {dup[1][0]}); each item may appear once",
            row=dup[1][1],
            column=key.column,
            row_word=staged.row_word,
        )


def _short(text: object, limit: int = 60) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[:limit] + "…"
