"""SQL over a tournament file's columns (core.importers.tournament): each row's winner, voter
and kind as the file spells them, its stored key (the pair in order, the winner against it),
and every vote the database holds in one shape (``VOTES``)."""

from __future__ import annotations

from core.importers.checks import Column, value
from core.importers.values import typed
from core.store import sql
from core.store.sql import Sql, literal

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


def as_text(col: Column) -> str:
    return f"lower(trim(CAST({value(col)} AS VARCHAR)))"


def winner_sql(col: Column) -> str:
    """'a', 'b', 'tie' or NULL (not a winner) for the file's spelling."""
    text = as_text(col)
    cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in SIDES.items())
    return f"(CASE WHEN starts_with({text}, 'tie') THEN 'tie' ELSE CASE {text} {cases} END END)"


def kind_sql(cols: dict[str, Column]) -> str:
    """'judge' or 'reviewer' for each row (NULL when the row does not say)."""
    given = "NULL"
    if "kind" in cols:
        cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in KINDS.items())
        given = f"(CASE {as_text(cols['kind'])} {cases} END)"
    reviewer = filled(cols.get("reviewer"))
    judge = filled(cols.get("judge"))
    by_name = "'judge'"
    if "judge" in cols:
        named = as_text(cols["judge"])
        human = " OR ".join(f"starts_with({named}, {literal(p)})" for p in HUMAN_JUDGES)
        by_name = f"(CASE WHEN {human} THEN 'reviewer' ELSE 'judge' END)"
    return (
        f"coalesce({given}, CASE WHEN {reviewer} THEN 'reviewer' WHEN {judge} THEN {by_name} END)"
    )


def filled(col: Column | None) -> str:
    return "false" if col is None else f"coalesce(trim(CAST({value(col)} AS VARCHAR)), '') <> ''"


def voter_sql(cols: dict[str, Column], named: bool = False) -> str:  # named: its column
    names = [
        f"CASE WHEN {filled(cols[n])} THEN {literal(cols[n].source)} END"
        if named
        else f"nullif(trim(CAST({value(cols[n])} AS VARCHAR)), '')"
        for n in ("reviewer", "judge")
        if n in cols
    ]
    return f"coalesce({', '.join(names)})" if names else "NULL"


def keyed_select(cols: dict[str, Column], runs: dict[str, tuple[str, str]], matched: str) -> str:
    """The matched rows with their stored key: the pair in order, the winner against it."""
    mapping = " ".join(f"WHEN {literal(k)} THEN {literal(v[0])}" for k, v in runs.items())

    def run_of(side: str) -> str:
        return f"(CASE trim(CAST({value(cols[side])} AS VARCHAR)) {mapping} END)"

    a, b = run_of("run_a"), run_of("run_b")
    winner = winner_sql(cols["winner"])
    swapped = f"(CASE {winner} WHEN 'a' THEN 'b' WHEN 'b' THEN 'a' ELSE 'tie' END)"
    turn = f"coalesce({value(cols['turn'])}, 1)" if "turn" in cols else "1"
    metric = metric_sql(cols)
    explanation = value(cols["explanation"]) if "explanation" in cols else "NULL"
    return (
        f"SELECT _row, _item_id, {a} AS _ra, {b} AS _rb, least({a}, {b}) AS _a,"  # noqa: S608 - generated view
        f" greatest({a}, {b}) AS _b, CASE WHEN {a} <= {b} THEN {winner} ELSE {swapped} END"
        f" AS _winner, CAST({turn} AS INTEGER) AS _turn, {metric} AS _metric,"
        f" {voter_sql(cols)} AS _voter, {voter_sql(cols, named=True)} AS _voter_column,"
        f" {kind_sql(cols)} AS _kind,"
        f" {explanation} AS _explanation FROM {matched}"
    )


def metric_sql(cols: dict[str, Column]) -> Sql:
    """The row's metric: the file's ``metric`` column, DEFAULT_METRIC where it is blank or
    absent."""
    default = sql.constant(DEFAULT_METRIC)
    if "metric" not in cols:
        return default
    return sql.compose("coalesce(nullif(trim({m}), ''), {d})", m=typed(cols["metric"]), d=default)
