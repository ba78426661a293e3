"""Pairwise tournaments: many runs compared in pairs on the same items by judges and reviewers.

A tournament file (CSV, JSONL or Parquet) has one row per vote: ``item_id`` (or ``prompt``;
MT-Bench's ``question_id``), the two runs ``run_a`` and ``run_b`` (MT-Bench's ``model_a`` and
``model_b``; a run id or a run's name), ``winner`` — ``a``/``model_a``, ``b``/``model_b`` or a
tie (``tie``, and every spelling that starts with it, such as ``tie (bothbad)``) — and who
voted: ``judge`` or ``reviewer``, optionally ``kind`` (judge or reviewer). In MT-Bench's own
layout every voter sits in ``judge``; as FastChat's compute_agreement does, a ``judge`` named
``expert_*`` or ``author_*`` is a human, so a reviewer. Optional: ``turn`` (default 1),
``metric`` (default ``preference``), ``explanation``.

Each vote is stored with its pair in one order (run_a < run_b) and the winner swapped when
the file had them the other way round. One voter has one vote per (item, pair, turn, metric),
counting verdicts and side-by-side labels already stored; nothing is overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from core.errors import InputError
from core.importers.checks import Field, bind
from core.importers.files import staged_file
from core.importers.matching import match_items
from core.importers.staging import Staged
from core.importers.tournament_checks import check_values, check_votes, one_dataset, resolve_runs
from core.importers.tournament_sql import DEFAULT_METRIC, VOTES, keyed_select
from core.store import db, sql, writes
from core.store.sql import Sql

__all__ = ["DEFAULT_METRIC", "FIELDS", "VOTES", "TournamentImport", "import_staged", "import_votes"]

_COUNTED = ("pairwise vote", "run", "judge", "reviewer")  # TournamentImport's summary
FIELDS = [
    Field("item_id", aliases=("id", "question_id")),
    Field("prompt", aliases=("question", "input")),
    Field("run_a", required=True, nonempty=True, aliases=("model_a",)),
    Field("run_b", required=True, nonempty=True, aliases=("model_b",)),
    Field("winner", required=True, nonempty=True, aliases=("preference", "verdict")),
    Field("judge", aliases=("judge_model",)),
    Field("reviewer", aliases=("annotator", "rater", "sme")),
    Field("kind", aliases=("voter_kind",)),
    Field("turn", kind="integer", minimum=1),
    Field("metric", aliases=("criterion",)),
    Field("explanation", aliases=("reason", "rationale")),
]


@dataclass(frozen=True)
class TournamentImport:
    dataset_id: str
    file: str
    votes: int
    runs: int
    judges: int
    reviewers: int

    def summary(self) -> str:
        counts = zip((self.votes, self.runs, self.judges, self.reviewers), _COUNTED, strict=True)
        vote, *who = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts]
        return f"{vote} imported on {self.dataset_id}: {', '.join(who)}"


def import_votes(
    con: duckdb.DuckDBPyConnection,
    source: str,
    *,
    actor: str,
    dataset_id: str | None = None,
    label: str | None = None,
) -> TournamentImport:
    """Validate a tournament file (see the module's layout), then write it at once;
    ``dataset_id`` settles a run name that several dataset versions use."""
    with staged_file(con, source, label, "pairwise vote") as staged:
        return import_staged(con, staged, actor, dataset_id)


def import_staged(
    con: duckdb.DuckDBPyConnection, staged: Staged, actor: str, dataset_id: str | None = None
) -> TournamentImport:
    """Validate staged votes and write them in one transaction (nothing on any error)."""
    cols = bind(con, staged, FIELDS)
    if "item_id" not in cols and "prompt" not in cols:
        raise InputError(staged.file, "missing column 'item_id' (or 'prompt')", column="item_id")
    check_values(con, staged, cols)
    runs = resolve_runs(con, staged, cols, dataset_id)
    dataset = one_dataset(con, staged, cols, runs)
    matched, _ = match_items(con, staged, cols, _Target(dataset), unique=False, can_skip=False)
    keyed = sql.name(f"{staged.table}_votes")
    view = sql.compose(
        "CREATE OR REPLACE TEMP VIEW {keyed} AS {rows}",
        keyed=keyed,
        rows=keyed_select(cols, runs, Sql(matched)),  # match_items quote()s its view
    )
    con.execute(view.text)
    check_votes(con, staged, cols, keyed)
    with db.transaction(con):
        written = writes.insert_pairwise_votes_from(
            con,
            sql.compose(
                "SELECT ?, _item_id, _a, _b, _turn, _metric, _voter, _kind, _winner,"
                " _explanation, ? FROM {keyed}",
                keyed=keyed,
            ).text,
            [dataset, staged.file],
        )
        counts = con.execute(
            sql.compose(
                "SELECT count(DISTINCT CASE WHEN _kind = 'judge' THEN _voter END),"
                " count(DISTINCT CASE WHEN _kind = 'reviewer' THEN _voter END),"
                " (SELECT count(*) FROM (SELECT _a FROM {keyed} UNION SELECT _b FROM {keyed}))"
                " FROM {keyed}",
                keyed=keyed,
            ).text
        ).fetchone() or (0, 0, 0)
        writes.audit(
            con,
            actor,
            "import_pairwise_votes",
            "pairwise_vote",
            dataset,
            after={"file": staged.file, "votes": written},
        )
    return TournamentImport(dataset, staged.file, written, counts[2], counts[0], counts[1])


class _Target:
    """What item matching needs: the dataset, no skipping."""

    def __init__(self, dataset_id: str) -> None:
        self.dataset_id = dataset_id
        self.allow_unmatched = False
