"""Samples reviewed outside the app: one row per assignment out, the filled file back in.

The export holds what the review screen shows and nothing more: the item (prompt, context,
ground truth) and the responses as Response A / B, placed exactly as the review screen places
them for that reviewer (``core.review.source_side``), with no model name or run id. Each row
carries a placement key, a digest of (sample, item, reviewer, placement), so a row whose
sample, item or reviewer was changed is caught on the way back. The SME fills ``score_a``,
``passed_a``, ``failure_modes_a``, ``safety_flag_a`` (and the ``_b`` columns and
``preference`` when two responses are shown) and ``notes``; rows left blank are skipped.

Read back with ``import-labels FILE --sample SAMPLE``, a filled row becomes the same labels
the review screen would write (one per response shown, passed defaulting to score ≥ 3),
attached to the sample, so they are weighted by design like labels entered in the app.
CSV cells starting with ``=``, ``+``, ``-``, ``@``, tab or CR get a leading ``'`` so that a
spreadsheet shows them as text instead of running them (OWASP, CSV injection).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

import duckdb

from core.errors import InputError, NotFoundError
from core.exports import FORMULA_STARTS, write_csv
from core.importers import json_input
from core.importers.checks import (
    Checks,
    Field,
    add_field_checks,
    bind,
    check_unique,
    first_error,
    raw,
    value,
)
from core.importers.staging import Staged
from core.render import mask_pii
from core.review import canary_sampling, queue
from core.store import sql
from core.store.sql import Sql, compose, literal
from core.types import PASS_SCORE

if TYPE_CHECKING:
    from core.importers.labels import SampleInfo

ExportFormat = Literal["csv", "jsonl"]
IDENTITY = ("sample_id", "item_id", "reviewer", "placement_key")
SHOWN = ("prompt", "context", "ground_truth", "response_a", "response_b")
SIDE_COLUMNS = ("score", "passed", "failure_modes", "safety_flag")
SME = (
    *(f"{c}_a" for c in SIDE_COLUMNS),
    *(f"{c}_b" for c in SIDE_COLUMNS),
    "preference",
    "notes",
)
COLUMNS = (*IDENTITY, *SHOWN, *SME)
NO_ANSWER = "[no answer: the model call failed]"
_names = itertools.count(1)


def placement_key(sample_id: str, item_id: str, reviewer: str, key: bytes | None = None) -> str:
    """A digest of the assignment and where its source response is shown (16 hex digits),
    keyed like the placement itself: an unkeyed digest would let anyone holding the file try
    both sides and learn which response is the source model's. ``key``: the database's
    (``queue.blind_key(con)``), else the configured install's."""
    key = key or queue.blind_key()
    side = queue.source_side(sample_id, item_id, reviewer, key)
    text = f"switchyard-placement\x1f{sample_id}\x1f{item_id}\x1f{reviewer}\x1f{side}"
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:16]


def _restore(expr: str) -> str:
    """SQL undoing ``neutralise`` on an identity cell read back."""
    dangerous = ", ".join(f"chr({ord(c)})" for c in FORMULA_STARTS)
    return (
        f"(CASE WHEN left({expr}, 1) = '''' AND substr({expr}, 2, 1) IN ({dangerous})"
        f" THEN substr({expr}, 2) ELSE {expr} END)"
    )


@dataclass(frozen=True)
class Export:
    path: Path
    sample_id: str
    rows: int
    reviewers: int

    def summary(self) -> str:
        return (
            f"{self.rows} assignments of sample {self.sample_id} written"
            f" ({self.reviewers} {'reviewer' if self.reviewers == 1 else 'reviewers'});"
            " send each SME their rows, then import the filled file with"
            f" import-labels FILE --sample {self.sample_id}"
        )


def export(
    con: duckdb.DuckDBPyConnection,
    sample_id: str,
    out: str | Path,
    fmt: ExportFormat = "csv",
    *,
    reviewer: str | None = None,
    mask: bool = False,
) -> Export:
    """Write one row per assignment of the sample (one reviewer's, if named)."""
    if fmt not in ("csv", "jsonl"):
        raise InputError(str(out), f"unknown export format {fmt!r}; expected csv or jsonl")
    if con.execute("SELECT 1 FROM sample WHERE sample_id = ?", [sample_id]).fetchone() is None:
        raise NotFoundError(f"no sample {sample_id!r}; `python -m core list` shows the samples")
    canary_sampling.refuse_export(con, sample_id)
    slots = con.execute(
        "SELECT item_id, reviewer FROM assignment WHERE sample_id = ? AND (? IS NULL OR"
        " reviewer = ?) ORDER BY reviewer, position, item_id",
        [sample_id, reviewer, reviewer],
    ).fetchall()
    if not slots:
        who = f" for {reviewer!r}" if reviewer else ""
        raise InputError(str(out), f"sample {sample_id} has no assignment{who} to export")
    show = mask_pii if mask else (lambda text: text)
    rows = []
    for item_id, who in slots:
        item = queue.load(con, sample_id, item_id, who)  # exactly what the review shows
        texts = [NO_ANSWER if r.error else r.text for r in item.responses]
        texts += [None] * (2 - len(texts))
        rows.append(
            {
                "sample_id": sample_id,
                "item_id": item_id,
                "reviewer": who,
                "placement_key": placement_key(sample_id, item_id, who, queue.blind_key(con)),
                "prompt": show(item.prompt),
                "context": show(item.context) if item.context else item.context,
                "ground_truth": show(item.ground_truth) if item.ground_truth else None,
                "response_a": show(texts[0]) if texts[0] else texts[0],
                "response_b": show(texts[1]) if texts[1] else texts[1],
                **dict.fromkeys(SME),
            }
        )
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            write_csv(fh, COLUMNS, rows)
    else:
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return Export(path, sample_id, len(rows), len({who for _, who in slots}))


def is_export(path: Path, kind: str) -> bool:
    """The file has the export's placement_key column."""
    try:
        if kind == "csv":
            with path.open(encoding="utf-8", newline="") as fh:
                header = next(csv.reader(fh), [])
        elif kind == "jsonl":
            record = json_input.first_record(path)
            header = list(record) if isinstance(record, dict) else []
        elif kind == "parquet":
            import pyarrow.parquet as pq

            header = pq.read_schema(path).names
        else:
            return False
    except (OSError, UnicodeDecodeError, ValueError, AttributeError, TypeError):
        return False  # staging gives the precise error
    return "placement_key" in {str(c).strip().lower() for c in header}


FIELDS = [
    Field("sample_id", required=True, nonempty=True),
    Field("item_id", required=True, nonempty=True),
    Field("reviewer", required=True, nonempty=True),
    Field("placement_key", required=True, nonempty=True),
    *(
        f
        for side in "ab"
        for f in (
            Field(f"score_{side}", "integer", minimum=1, maximum=5),
            Field(f"passed_{side}", "bool"),
            Field(f"failure_modes_{side}", "tags"),
            Field(f"safety_flag_{side}", "bool"),
        )
    ),
    Field("preference"),
    Field("notes"),
]


class ExportRows(NamedTuple):
    typed: Sql  # a relation of label_import.TYPED columns
    reviewer_column: str
    skipped: int  # rows the SMEs left blank
    tables: tuple[str, ...]  # temp tables the caller drops


def typed_rows(con: duckdb.DuckDBPyConnection, staged: Staged, sample: SampleInfo) -> ExportRows:
    """Check a filled export against the sample and return its labels typed, one per
    response shown, as the review screen would write them."""
    cols = bind(con, staged, FIELDS)
    pair = sample.run_b is not None
    needed = ["score_a", *(["score_b", "preference"] if pair else [])]
    for name in needed:
        if name not in cols:
            raise InputError(
                staged.file,
                f"missing required column {name!r}; the file has: {', '.join(staged.columns)}."
                " Export the sample again (export-sample) and fill in its columns",
                column=name,
            )
    table = f"placement_{next(_names)}"
    _placements(con, table, sample)
    try:
        return _typed(con, staged, sample, cols, table, pair)
    except BaseException:
        con.execute(compose("DROP TABLE IF EXISTS {t}", t=sql.name(table)).text)
        raise


def _placements(con, table: str, sample: SampleInfo) -> None:
    """Every assignment of the sample with its key and the run shown as A and as B, and
    every item of the sample (reviewer NULL). Column names that no file column shadows."""
    slots = con.execute(
        "SELECT item_id, reviewer FROM assignment WHERE sample_id = ?", [sample.sample_id]
    ).fetchall()
    rows = []
    secret = queue.blind_key(con)
    for item_id, reviewer in slots:
        side = queue.source_side(sample.sample_id, item_id, reviewer, secret)
        runs = [sample.run_a, sample.run_b]  # run_b None: one response, shown as A
        shown = runs if side == "A" or sample.run_b is None else runs[::-1]
        key = placement_key(sample.sample_id, item_id, reviewer, secret)
        rows.append([item_id, reviewer, key, *shown])
    t = sql.name(table)
    columns = (
        "_p_item VARCHAR, _p_reviewer VARCHAR, _p_key VARCHAR, _p_run_a VARCHAR, _p_run_b VARCHAR"
    )
    con.execute(compose("CREATE TEMP TABLE {t} (" + columns + ")", t=t).text)
    if rows:
        con.executemany(compose("INSERT INTO {t} VALUES (?, ?, ?, ?, ?)", t=t).text, rows)
    every_item = "INSERT INTO {t} (_p_item) SELECT item_id FROM sample_item WHERE sample_id = ?"
    con.execute(compose(every_item, t=t).text, [sample.sample_id])


def _present(col) -> str:
    return f"NULLIF(trim({raw(col)}), '') IS NOT NULL"


def _typed(con, staged: Staged, sample: SampleInfo, cols, table: str, pair: bool) -> ExportRows:
    """Check the filled rows against the sample, then one typed row per response shown."""
    filled = " OR ".join(_present(cols[c]) for c in SME if c in cols)
    checks = Checks()
    for col in cols.values():
        add_field_checks(checks, col)
    item, reviewer, key, sample_id = (
        _restore(value(cols[c])) for c in ("item_id", "reviewer", "placement_key", "sample_id")
    )
    _identity_checks(checks, cols, sample.sample_id, table, filled, item, reviewer, key, sample_id)
    sides = "ab" if pair else "a"
    _answer_checks(checks, cols, sides, filled)
    first_error(con, staged, checks)
    check_unique(
        con, staged, f"{item} || ' / ' || {reviewer}", cols["reviewer"].source, "assignment"
    )
    parts = {"s": sql.name(staged.table), "p": sql.name(table), "filled": _expr(filled)}
    parts |= {"item": _expr(item), "reviewer": _expr(reviewer)}
    count = compose("SELECT count(*) FROM {s} WHERE NOT ({filled})", **parts)
    join = compose(
        " FROM {s} s JOIN {p} p ON p._p_item = {item} AND p._p_reviewer = {reviewer}"
        " WHERE {filled}",
        **parts,
    )
    shown = (compose("{r}{j}", r=_side_rows(cols, s, pair), j=join) for s in sides)
    typed = compose("({rows})", rows=sql.join(" UNION ALL ", shown))
    skipped = con.execute(count.text).fetchone()
    return ExportRows(typed, cols["reviewer"].source, skipped[0], (table,))


def _identity_checks(
    checks: Checks, cols, sample_id: str, table: str, filled: str, item, reviewer, key, given
) -> None:
    """A filled row keeps the sample, item, reviewer and placement key it was exported with."""
    checks.add(
        f"({filled}) AND {given} <> {literal(sample_id)}",
        f"this row belongs to another sample, not {sample_id}",
        cols["sample_id"].source,
        raw(cols["sample_id"]),
    )
    checks.add(
        f"({filled}) AND NOT EXISTS (SELECT 1 FROM {table} p WHERE p._p_item = {item})",  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        f"the item is not in sample {sample_id}; rows keep the item they were exported for",
        cols["item_id"].source,
        raw(cols["item_id"]),
    )
    checks.add(
        f"({filled}) AND NOT EXISTS (SELECT 1 FROM {table} p WHERE p._p_item = {item}"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        f" AND p._p_reviewer = {reviewer})",
        f"sample {sample_id} does not assign this item to this reviewer; rows keep the"
        " reviewer they were exported for",
        cols["reviewer"].source,
        raw(cols["reviewer"]),
    )
    checks.add(
        f"({filled}) AND NOT EXISTS (SELECT 1 FROM {table} p WHERE p._p_item = {item}"  # noqa: S608 - generated tables; core.checks SQL over quote()d columns
        f" AND p._p_reviewer = {reviewer} AND p._p_key = {key})",
        "the placement key does not match this sample, item and reviewer: the row was"
        " changed after export; export the sample again",
        cols["placement_key"].source,
        raw(cols["placement_key"]),
    )


def _answer_checks(checks: Checks, cols, sides: str, filled: str) -> None:
    """Every shown response scored, known failure modes, a preference for a pair only."""
    for side in sides:
        checks.add(
            f"({filled}) AND {value(cols[f'score_{side}'])} IS NULL",
            f"Response {side.upper()} needs a score from 1 to 5 (a row is labelled whole,"
            " or left blank)",
            cols[f"score_{side}"].source,
            raw(cols[f"score_{side}"]),
        )
        modes = f"failure_modes_{side}"
        if modes in cols:
            known = ", ".join(literal(m) for m in queue.FAILURE_MODES)
            checks.add(
                f"len(list_filter({value(cols[modes])}, lambda m: m NOT IN ({known}))) > 0",
                f"expected failure modes among {', '.join(queue.FAILURE_MODES)}",
                cols[modes].source,
                f"CAST({value(cols[modes])} AS VARCHAR)",
            )
    if len(sides) == 2:
        pref = value(cols["preference"])
        checks.add(
            f"({filled}) AND ({pref} IS NULL OR trim({pref}) NOT IN ('A', 'B', 'tie'))",
            "choose which response is better: A, B or tie",
            cols["preference"].source,
            raw(cols["preference"]),
        )
        return
    for name in (*(f"{c}_b" for c in SIDE_COLUMNS), "preference"):
        if name in cols:
            checks.add(
                _present(cols[name]),
                "the sample shows one response: leave the B columns and preference empty",
                cols[name].source,
                raw(cols[name]),
            )


def _expr(text: str) -> Sql:
    """An expression core.importers.checks built over quote()d columns (value, raw), as Sql."""
    return Sql(text)


def _side_rows(cols, side: str, pair: bool) -> Sql:
    """The SELECT list of one response's label rows (staged row s, placement p)."""

    def col(c: str) -> Sql:
        return _expr(value(cols[c]))

    def kept(c: str) -> Sql:
        return col(c) if cols[c].field.kind == "text" else _expr(raw(cols[c]))

    pairs = (
        compose("{k}, {v}", k=sql.constant(c), v=kept(c)) for c in (*IDENTITY, *SME) if c in cols
    )
    null, modes = compose("NULL"), f"failure_modes_{side}"
    listed = compose("CAST([] AS VARCHAR[])")
    return compose(
        "SELECT s._row, p._p_item AS _item_id, p.{shown} AS _run_id,"
        " p._p_reviewer AS reviewer, CAST({score} AS INTEGER) AS score,"
        " coalesce({passed}, {score} >= {pass_score}) AS passed, {modes} AS failure_modes,"
        " coalesce({safety}, false) AS safety_flag, {preference} AS preference,"
        " {side} AS shown_side, p.{paired} AS pair_run_id,"
        " {notes} AS notes, CAST(json_object({kept}) AS JSON) AS raw_record",
        shown=sql.name(f"_p_run_{side}"),
        paired=sql.name(f"_p_run_{'b' if side == 'a' else 'a'}"),
        score=col(f"score_{side}"),
        pass_score=sql.number(PASS_SCORE),
        passed=col(f"passed_{side}") if f"passed_{side}" in cols else null,
        modes=compose("list_sort(list_distinct({m}))", m=col(modes)) if modes in cols else listed,
        safety=col(f"safety_flag_{side}") if f"safety_flag_{side}" in cols else null,
        preference=compose("trim({p})", p=col("preference")) if pair else null,
        side=sql.constant(side.upper()),
        notes=compose("NULLIF(trim({n}), '')", n=col("notes")) if "notes" in cols else null,
        kept=sql.join(", ", pairs),
    )
