"""SQL over a tournament file's columns (core.importers.tournament): each row's winner, voter
and kind as the file spells them, its stored key (the pair in order, the winner against it),
and every vote the database holds in one shape (``VOTES``)."""

from __future__ import annotations

from core.importers.checks import Column
from core.importers.values import typed
from core.store import sql
from core.store.sql import Sql

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
HUMAN_JUDGES = ("expert_", "author_")  # FastChat's names for its human voters

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


def as_text(col: Column) -> Sql:
    return sql.compose("lower(trim(CAST({v} AS VARCHAR)))", v=typed(col))


def _cases(spellings: dict[str, str]) -> Sql:
    """``WHEN 'spelling' THEN 'meaning'`` for each of a code table's entries."""
    return sql.join(
        " ",
        (
            sql.compose("WHEN {k} THEN {v}", k=sql.constant(k), v=sql.constant(v))
            for k, v in spellings.items()
        ),
    )


def winner_sql(col: Column) -> Sql:
    """'a', 'b', 'tie' or NULL (not a winner) for the file's spelling."""
    return sql.compose(
        "(CASE WHEN starts_with({t}, 'tie') THEN 'tie' ELSE CASE {t} {cases} END END)",
        t=as_text(col),
        cases=_cases(SIDES),
    )


def kind_sql(cols: dict[str, Column]) -> Sql:
    """'judge' or 'reviewer' for each row (NULL when the row does not say)."""
    given = Sql("NULL")
    if "kind" in cols:
        given = sql.compose("(CASE {t} {cases} END)", t=as_text(cols["kind"]), cases=_cases(KINDS))
    by_name = Sql("'judge'")
    if "judge" in cols:
        named = as_text(cols["judge"])
        human = sql.join(
            " OR ",
            (
                sql.compose("starts_with({n}, {p})", n=named, p=sql.constant(p))
                for p in HUMAN_JUDGES
            ),
        )
        by_name = sql.compose("(CASE WHEN {h} THEN 'reviewer' ELSE 'judge' END)", h=human)
    return sql.compose(
        "coalesce({given}, CASE WHEN {reviewer} THEN 'reviewer' WHEN {judge} THEN {by_name} END)",
        given=given,
        reviewer=filled(cols.get("reviewer")),
        judge=filled(cols.get("judge")),
        by_name=by_name,
    )


def filled(col: Column | None) -> Sql:
    if col is None:
        return Sql("false")
    return sql.compose("coalesce(trim(CAST({v} AS VARCHAR)), '') <> ''", v=typed(col))


def voter_sql(cols: dict[str, Column], named: bool = False) -> Sql:  # named: its column
    names = [
        sql.compose("CASE WHEN {f} THEN {c} END", f=filled(cols[n]), c=sql.constant(cols[n].source))
        if named
        else sql.compose("nullif(trim(CAST({v} AS VARCHAR)), '')", v=typed(cols[n]))
        for n in ("reviewer", "judge")
        if n in cols
    ]
    return sql.compose("coalesce({n})", n=sql.join(", ", names)) if names else Sql("NULL")


def keyed_select(cols: dict[str, Column], runs: dict[str, tuple[str, str]], matched: Sql) -> Sql:
    """The matched rows with their stored key: the pair in order, the winner against it."""
    mapping = _cases({k: v[0] for k, v in runs.items()})

    def run_of(side: str) -> Sql:
        return sql.compose(
            "(CASE trim(CAST({v} AS VARCHAR)) {mapping} END)", v=typed(cols[side]), mapping=mapping
        )

    winner = winner_sql(cols["winner"])
    turn = sql.compose("coalesce({t}, 1)", t=typed(cols["turn"])) if "turn" in cols else Sql("1")
    return sql.compose(
        _KEYED,
        a=run_of("run_a"),
        b=run_of("run_b"),
        winner=winner,
        turn=turn,
        metric=metric_sql(cols),
        voter=voter_sql(cols),
        voter_column=voter_sql(cols, named=True),
        kind=kind_sql(cols),
        explanation=typed(cols["explanation"]) if "explanation" in cols else Sql("NULL"),
        matched=matched,
    )


# The stored key of a vote: the pair in order (a <= b) and the winner against that order.
_KEYED = (
    "SELECT _row, _item_id, {a} AS _ra, {b} AS _rb, least({a}, {b}) AS _a,"
    " greatest({a}, {b}) AS _b, CASE WHEN {a} <= {b} THEN {winner} ELSE"
    " (CASE {winner} WHEN 'a' THEN 'b' WHEN 'b' THEN 'a' ELSE 'tie' END) END AS _winner,"
    " CAST({turn} AS INTEGER) AS _turn, {metric} AS _metric, {voter} AS _voter,"
    " {voter_column} AS _voter_column, {kind} AS _kind, {explanation} AS _explanation"
    " FROM {matched}"
)


def metric_sql(cols: dict[str, Column]) -> Sql:
    """The row's metric: the file's ``metric`` column, DEFAULT_METRIC where it is blank or
    absent."""
    default = sql.constant(DEFAULT_METRIC)
    if "metric" not in cols:
        return default
    return sql.compose("coalesce(nullif(trim({m}), ''), {d})", m=typed(cols["metric"]), d=default)
