"""A label file's rows checked and typed: the columns, the score scale, the sample they join.

Every label format becomes the ``TYPED`` columns before it is written (core.importers.labels);
this module does it for the documented label file and for Bedrock human-evaluation records
converted to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb

from core.catalog import runs
from core.errors import InputError, NotFoundError
from core.importers.checks import Checks, Column, Field, add_field_checks, bind, first_error, value
from core.importers.label_runs import RunChoice, with_runs
from core.importers.matching import match_items
from core.importers.staging import Staged
from core.importers.values import typed
from core.review.queue import FAILURE_MODES
from core.store import sql
from core.store.sql import Sql, compose, literal, number

SCALE = (1, 5)  # the label's score scale, as SMEs score in the app
PREFERENCES = ("A", "B", "tie")
SIDES = ("A", "B")

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
        "SELECT s.sample_id, m.dataset_id, s.run_a, s.run_b,"
        " coalesce(json_extract_string(s.params, '$.traffic') = 'canary', false) FROM sample s"
        " JOIN migration m USING (migration_id) WHERE s.sample_id = ?",
        [sample_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no sample {sample_id!r}; `python -m core list` shows the samples")
    if row[4]:  # its items are production requests, labelled in the app into canary_label
        raise InputError(
            "--sample",
            f"{sample_id} is a canary review draw: its labels are entered on the Review page,"
            " never imported as golden-set labels",
        )
    return SampleInfo(*row[:4])


NULL = compose("NULL")


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


def mapped_score(expr: Sql, scale: tuple[int, int]) -> Sql:
    """SQL mapping a score on ``scale`` linearly onto 1-5, rounded half up."""
    low, high = scale
    if scale == SCALE:
        return expr
    return compose(
        "CAST(floor(1 + 4.0 * ({expr} - {low}) / {span} + 0.5) AS INTEGER)",
        expr=expr,
        low=number(low),
        span=number(high - low),
    )


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


def typed_rows(
    con,
    staged: Staged,
    dataset_id: str,
    choice: RunChoice,
    sample: SampleInfo | None,
    scale: tuple[int, int],
) -> tuple[Sql, str]:
    """Check a label file's rows and return the quoted name of a view of them typed
    (``TYPED`` columns), with the name of its reviewer column."""
    cols = bind(con, staged, label_fields(scale))
    first_error(con, staged, _checks(staged, cols))
    matched, _ = match_items(
        con, staged, cols, runs.RunSpec(dataset_id), unique=False, can_skip=False
    )
    # match_items quotes its view
    source = with_runs(con, staged, cols, dataset_id, choice, sample, Sql(matched))

    def pick(field: str, default: Sql = NULL) -> Sql:
        return typed(cols[field]) if field in cols else default

    if "_raw" in cols:
        raw = typed(cols["_raw"])
    else:  # the row as written, every column of the file
        fields = sql.join(", ", (compose("{c} := {c}", c=sql.name(c)) for c in staged.columns))
        raw = compose("to_json(struct_pack({fields}))", fields=fields)
    score = mapped_score(pick("score"), scale) if "score" in cols else NULL
    view = sql.name(f"{staged.table}_typed")
    con.execute(
        compose(
            "CREATE OR REPLACE TEMP VIEW {view} AS SELECT _row, _item_id, _run_id,"
            " {reviewer} AS reviewer, {score} AS score, {passed} AS passed,"
            " {failure_modes} AS failure_modes, coalesce({safety_flag}, false) AS safety_flag,"
            " {preference} AS preference, {shown_side} AS shown_side,"
            " {pair_run_id} AS pair_run_id, {notes} AS notes,"
            " CAST({raw} AS JSON) AS raw_record FROM {source}",
            view=view,
            reviewer=pick("reviewer"),
            score=score,
            passed=pick("passed"),
            failure_modes=pick("failure_modes", compose("CAST([] AS VARCHAR[])")),
            safety_flag=pick("safety_flag"),
            preference=pick("preference"),
            shown_side=pick("shown_side"),
            pair_run_id=pick("pair_run_id"),
            notes=pick("notes"),
            raw=raw,
            source=source,
        ).text
    )
    return view, cols["reviewer"].source


def _checks(staged: Staged, cols: dict[str, Column]) -> Checks:
    """The field checks, and what a label needs beyond them: a verdict, known choices."""
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
        (cols.get("score") or cols["passed"]).source,
        "NULL",
    )
    for name, allowed in (("preference", PREFERENCES), ("shown_side", SIDES)):
        if name in cols:
            listed = ", ".join(map(literal, allowed))
            checks.add(
                f"{value(cols[name])} IS NOT NULL AND {value(cols[name])} NOT IN ({listed})",
                f"expected one of {', '.join(allowed)}",
                cols[name].source,
                value(cols[name]),
            )
    if "failure_modes" in cols:
        known = ", ".join(map(literal, FAILURE_MODES))
        checks.add(
            f"len(list_filter({value(cols['failure_modes'])}, lambda m: m NOT IN ({known}))) > 0",
            f"expected failure modes among {', '.join(FAILURE_MODES)}",
            cols["failure_modes"].source,
            f"CAST({value(cols['failure_modes'])} AS VARCHAR)",
        )
    return checks
