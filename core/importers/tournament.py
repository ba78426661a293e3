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

from dataclasses import dataclass, replace

import duckdb

from core.errors import InputError
from core.importers.checks import (
    Checks,
    Column,
    Field,
    add_field_checks,
    bind,
    check_unique,
    first_error,
    raw,
    value,
)
from core.importers.files import staged_file
from core.importers.matching import match_items
from core.importers.staging import Staged
from core.store import db, writes
from core.store.sql import literal, quote

DEFAULT_METRIC = "preference"
SIDES = {"a": "a", "model_a": "a", "run_a": "a", "b": "b", "model_b": "b", "run_b": "b"}
KINDS = {
    "judge": "judge",
    "llm": "judge",
    "model": "judge",
    "reviewer": "reviewer",
    "human": "reviewer",
    "sme": "reviewer",
    "expert": "reviewer",
}
_COUNTED = ("pairwise vote", "run", "judge", "reviewer")  # TournamentImport's summary
HUMAN_JUDGES = ("expert_", "author_")  # FastChat's names for its human voters
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

# Every vote the database holds, in one shape: tournament votes, pairwise judge verdicts
# (run against baseline) and SME side-by-side preferences (one per reviewer, item and pair:
# the review screen writes the same preference on both runs' labels).
VOTES = """
SELECT dataset_id, item_id, run_a, run_b, turn, metric, voter, voter_kind AS kind, winner,
       'tournament' AS origin
FROM pairwise_vote
UNION ALL
SELECT r.dataset_id, v.item_id, least(v.run_id, v.baseline_run_id),
       greatest(v.run_id, v.baseline_run_id), 1, v.metric, coalesce(v.judge, 'pairwise judge'),
       'judge',
       CASE WHEN v.winner = 'tie' THEN 'tie'
            WHEN (v.winner = 'run') = (v.run_id < v.baseline_run_id) THEN 'a' ELSE 'b' END,
       'verdict'
FROM pairwise_verdict v JOIN run r ON r.run_id = v.run_id
UNION ALL
SELECT * FROM (
    SELECT DISTINCT ON (l.dataset_id, l.item_id, least(l.run_id, l.pair_run_id),
                        greatest(l.run_id, l.pair_run_id), l.reviewer)
           l.dataset_id, l.item_id, least(l.run_id, l.pair_run_id),
           greatest(l.run_id, l.pair_run_id), 1, 'preference', l.reviewer, 'reviewer',
           CASE WHEN l.preference = 'tie' THEN 'tie'
                WHEN (l.preference = l.shown_side) = (l.run_id < l.pair_run_id) THEN 'a'
                ELSE 'b' END,
           'label'
    FROM label l
    WHERE l.preference IS NOT NULL AND l.shown_side IS NOT NULL AND l.pair_run_id IS NOT NULL
    ORDER BY l.dataset_id, l.item_id, least(l.run_id, l.pair_run_id),
             greatest(l.run_id, l.pair_run_id), l.reviewer, l.updated_at DESC, l.label_id DESC
)
"""


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
    _check_values(con, staged, cols)
    runs = _resolve_runs(con, staged, cols, dataset_id)
    dataset = _one_dataset(con, staged, cols, runs)
    matched, _ = match_items(con, staged, cols, _Target(dataset), unique=False, can_skip=False)
    keyed = quote(f"{staged.table}_votes")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {keyed} AS {_keyed_select(cols, runs, matched)}")
    _check_votes(con, staged, cols, keyed)
    with db.transaction(con):
        written = writes.insert_pairwise_votes_from(
            con,
            "SELECT ?, _item_id, _a, _b, _turn, _metric, _voter, _kind, _winner, _explanation,"  # noqa: S608 - generated view
            f" ? FROM {keyed}",
            [dataset, staged.file],
        )
        counts = con.execute(
            "SELECT count(DISTINCT CASE WHEN _kind = 'judge' THEN _voter END),"  # noqa: S608 - generated view
            f" count(DISTINCT CASE WHEN _kind = 'reviewer' THEN _voter END),"
            f" (SELECT count(*) FROM (SELECT _a FROM {keyed} UNION SELECT _b FROM {keyed}))"
            f" FROM {keyed}"
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


def _text(col: Column) -> str:
    return f"lower(trim(CAST({value(col)} AS VARCHAR)))"


def _winner_sql(col: Column) -> str:
    """'a', 'b', 'tie' or NULL (not a winner) for the file's spelling."""
    text = _text(col)
    cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in SIDES.items())
    return f"(CASE WHEN starts_with({text}, 'tie') THEN 'tie' ELSE CASE {text} {cases} END END)"


def _kind_sql(cols: dict[str, Column]) -> str:
    """'judge' or 'reviewer' for each row (NULL when the row does not say)."""
    given = "NULL"
    if "kind" in cols:
        cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in KINDS.items())
        given = f"(CASE {_text(cols['kind'])} {cases} END)"
    reviewer = _filled(cols.get("reviewer"))
    judge = _filled(cols.get("judge"))
    by_name = "'judge'"
    if "judge" in cols:
        named = _text(cols["judge"])
        human = " OR ".join(f"starts_with({named}, {literal(p)})" for p in HUMAN_JUDGES)
        by_name = f"(CASE WHEN {human} THEN 'reviewer' ELSE 'judge' END)"
    return (
        f"coalesce({given}, CASE WHEN {reviewer} THEN 'reviewer' WHEN {judge} THEN {by_name} END)"
    )


def _filled(col: Column | None) -> str:
    return "false" if col is None else f"coalesce(trim(CAST({value(col)} AS VARCHAR)), '') <> ''"


def _voter_sql(cols: dict[str, Column], named: bool = False) -> str:  # named: its column
    names = [
        f"CASE WHEN {_filled(cols[n])} THEN {literal(cols[n].source)} END"
        if named
        else f"nullif(trim(CAST({value(cols[n])} AS VARCHAR)), '')"
        for n in ("reviewer", "judge")
        if n in cols
    ]
    return f"coalesce({', '.join(names)})" if names else "NULL"


def _check_values(con, staged: Staged, cols: dict[str, Column]) -> None:
    """Each field's own checks, a known winner, one voter per row and a known kind."""
    checks = Checks()
    for col in cols.values():
        add_field_checks(checks, col)
    winner = cols["winner"]
    checks.add(
        f"{_winner_sql(winner)} IS NULL",
        "expected model_a, model_b or tie (also a, b, or a tie such as 'tie (bothbad)')",
        winner.source,
        raw(winner),
    )
    voter = cols.get("judge") or cols.get("reviewer")
    where = voter.source if voter else "judge"
    both = f"{_filled(cols.get('judge'))} AND {_filled(cols.get('reviewer'))}"
    checks.add(
        f"{_voter_sql(cols)} IS NULL",
        "a vote needs its voter: fill in the judge or the reviewer",
        where,
        "NULL",
    )
    checks.add(
        both,
        "give either a judge or a reviewer, not both: one vote has one voter",
        where,
        raw(cols["reviewer"]) if "reviewer" in cols else "NULL",
    )
    if "kind" in cols:
        kind = cols["kind"]
        checks.add(
            f"{_filled(kind)} AND {_kind_sql({'kind': kind})} IS NULL",
            "expected judge or reviewer (also llm, model, human, sme, expert)",
            kind.source,
            raw(kind),
        )
    first_error(con, staged, checks)


def _resolve_runs(
    con, staged: Staged, cols: dict[str, Column], dataset_id: str | None
) -> dict[str, tuple[str, str]]:
    """Each run named in the file -> (run_id, dataset_id): by run id, else by run name."""
    found: dict[str, tuple[str, str]] = {}
    for side in ("run_a", "run_b"):
        col = cols[side]
        named = con.execute(
            f"SELECT trim(CAST({value(col)} AS VARCHAR)) AS v, min(_row) FROM {staged.table}"  # noqa: S608 - generated table; quote()d columns
            " GROUP BY v ORDER BY 2"
        ).fetchall()
        for name, row in named:
            if name in found:
                continue
            runs = con.execute(
                "SELECT run_id, dataset_id FROM run WHERE (run_id = $1 OR name = $1)"
                " AND ($2 IS NULL OR dataset_id = $2) ORDER BY run_id <> $1, run_id",
                [name, dataset_id],
            ).fetchall()
            exact = [r for r in runs if r[0] == name]
            if exact:
                runs = exact
            if len(runs) != 1:
                problem = (
                    f"no run {name!r} (give a run id or a run's name; import the run first)"
                    if not runs
                    else f"run name {name!r} is used by {len(runs)} runs; give the run id"
                    " or the dataset version (--dataset)"
                )
                raise InputError(
                    staged.file, problem, row=row, column=col.source, row_word=staged.row_word
                )
            found[name] = (runs[0][0], runs[0][1])
    return found


def _one_dataset(
    con, staged: Staged, cols: dict[str, Column], runs: dict[str, tuple[str, str]]
) -> str:
    """The one dataset version every run of the file answers."""
    datasets = sorted({d for _, d in runs.values()})
    if len(datasets) == 1:
        return datasets[0]
    first = next(iter(runs.values()))[1]
    other = next(name for name, (_, d) in runs.items() if d != first)
    for side in ("run_a", "run_b"):
        col = cols[side]
        row = con.execute(
            f"SELECT min(_row) FROM {staged.table} WHERE trim(CAST({value(col)} AS VARCHAR)) = ?",  # noqa: S608 - generated table
            [other],
        ).fetchone()
        if row and row[0] is not None:
            raise InputError(
                staged.file,
                f"run {other!r} answers {runs[other][1]}, not {first}: a tournament compares"
                " runs of one dataset version",
                row=row[0],
                column=col.source,
                row_word=staged.row_word,
            )
    raise InputError(staged.file, "the runs answer different dataset versions")


def _keyed_select(cols: dict[str, Column], runs: dict[str, tuple[str, str]], matched: str) -> str:
    """The matched rows with their stored key: the pair in order, the winner against it."""
    mapping = " ".join(f"WHEN {literal(k)} THEN {literal(v[0])}" for k, v in runs.items())

    def run_of(side: str) -> str:
        return f"(CASE trim(CAST({value(cols[side])} AS VARCHAR)) {mapping} END)"

    a, b = run_of("run_a"), run_of("run_b")
    winner = _winner_sql(cols["winner"])
    swapped = f"(CASE {winner} WHEN 'a' THEN 'b' WHEN 'b' THEN 'a' ELSE 'tie' END)"
    turn = f"coalesce({value(cols['turn'])}, 1)" if "turn" in cols else "1"
    metric = literal(DEFAULT_METRIC)
    if "metric" in cols:
        metric = f"coalesce(nullif(trim({value(cols['metric'])}), ''), {metric})"
    explanation = value(cols["explanation"]) if "explanation" in cols else "NULL"
    return (
        f"SELECT _row, _item_id, {a} AS _ra, {b} AS _rb, least({a}, {b}) AS _a,"  # noqa: S608 - generated view
        f" greatest({a}, {b}) AS _b, CASE WHEN {a} <= {b} THEN {winner} ELSE {swapped} END"
        f" AS _winner, CAST({turn} AS INTEGER) AS _turn, {metric} AS _metric,"
        f" {_voter_sql(cols)} AS _voter, {_voter_sql(cols, named=True)} AS _voter_column,"
        f" {_kind_sql(cols)} AS _kind,"
        f" {explanation} AS _explanation FROM {matched}"
    )


_NO_OUTPUT = {  # the first row whose run has no output for the item, per side
    "run_a": "NOT EXISTS (FROM output o WHERE o.run_id = k._ra AND o.item_id = k._item_id)",
    "run_b": "NOT EXISTS (FROM output o WHERE o.run_id = k._rb AND o.item_id = k._item_id)",
}


def _check_votes(con, staged: Staged, cols: dict[str, Column], keyed: str) -> None:
    """Two different runs with an output each; one vote per voter and key, none stored."""

    def first(where: str, params: list | None = None) -> int | None:
        row = con.execute(
            f"SELECT min(k._row) FROM {keyed} k WHERE {where}",  # noqa: S608 - generated view
            params or [],
        ).fetchone()
        return None if row is None else row[0]

    def fail(row: int, column: str | None, problem: str) -> None:
        raise InputError(staged.file, problem, row=row, column=column, row_word=staged.row_word)

    def voter(row: int) -> str | None:  # the column the row's vote came from
        return con.execute(f"SELECT _voter_column FROM {keyed} WHERE _row = ?", [row]).fetchone()[0]  # noqa: S608 - generated view

    if (row := first("k._ra = k._rb")) is not None:
        fail(row, cols["run_b"].source, "a run is compared with itself; a pair needs two runs")
    for side, where in _NO_OUTPUT.items():
        if (missing := first(where)) is not None:
            fail(
                missing,
                cols[side].source,
                "the run has no output for this item; a vote compares two outputs",
            )
    try:
        check_unique(
            con,
            replace(staged, table=keyed),
            "_item_id || ' / ' || _a || ' vs ' || _b || ' / turn ' || _turn || ' / ' || _metric"
            " || ' / ' || _voter",
            "",
            "vote (item / pair / turn / metric / voter)",
        )
    except InputError as dup:
        fail(dup.row or 0, voter(dup.row or 0), dup.problem)
    clash = first(
        f"EXISTS (SELECT 1 FROM ({VOTES}) v WHERE"  # noqa: S608 - a constant query
        " v.item_id = k._item_id AND v.run_a = k._a"
        " AND v.run_b = k._b AND v.turn = k._turn AND v.metric = k._metric"
        " AND v.voter = k._voter)"
    )
    if clash is not None:
        fail(
            clash,
            voter(clash),
            "this voter's vote on this item, pair and turn was imported before;"
            " votes are never silently overwritten",
        )
