"""The checks of a tournament file (core.importers.tournament): known winners and voters,
runs named by id or name answering one dataset version, an output for each side, and one
vote per voter and key, none stored before."""

from __future__ import annotations

from dataclasses import replace

from core.errors import InputError
from core.importers.checks import (
    Checks,
    Column,
    add_field_checks,
    check_unique,
    first_error,
    raw,
)
from core.importers.staging import Staged
from core.importers.tournament_sql import VOTES, filled, kind_sql, voter_sql, winner_sql
from core.importers.values import typed
from core.store import sql
from core.store.sql import Sql


def check_values(con, staged: Staged, cols: dict[str, Column]) -> None:
    """Each field's own checks, a known winner, one voter per row and a known kind."""
    checks = Checks()
    for col in cols.values():
        add_field_checks(checks, col)
    winner = cols["winner"]
    checks.add(
        sql.compose("{w} IS NULL", w=winner_sql(winner)).text,
        "expected model_a, model_b or tie (also a, b, or a tie such as 'tie (bothbad)')",
        winner.source,
        raw(winner),
    )
    voter = cols.get("judge") or cols.get("reviewer")
    where = voter.source if voter else "judge"
    both = sql.compose(
        "{j} AND {r}", j=filled(cols.get("judge")), r=filled(cols.get("reviewer"))
    ).text
    checks.add(
        sql.compose("{v} IS NULL", v=voter_sql(cols)).text,
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
            sql.compose("{f} AND {k} IS NULL", f=filled(kind), k=kind_sql({"kind": kind})).text,
            "expected judge or reviewer (also llm, model, human, sme, expert)",
            kind.source,
            raw(kind),
        )
    first_error(con, staged, checks)


def resolve_runs(
    con, staged: Staged, cols: dict[str, Column], dataset_id: str | None
) -> dict[str, tuple[str, str]]:
    """Each run named in the file -> (run_id, dataset_id): by run id, else by run name."""
    found: dict[str, tuple[str, str]] = {}
    for side in ("run_a", "run_b"):
        col = cols[side]
        named = con.execute(
            sql.compose(
                "SELECT trim(CAST({v} AS VARCHAR)) AS v, min(_row) FROM {staged}"
                " GROUP BY v ORDER BY 2",
                v=typed(col),
                staged=sql.name(staged.table),
            ).text
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


def one_dataset(
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
            sql.compose(
                "SELECT min(_row) FROM {staged} WHERE trim(CAST({v} AS VARCHAR)) = ?",
                staged=sql.name(staged.table),
                v=typed(col),
            ).text,
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


_NO_OUTPUT = {  # the first row whose run has no output for the item, per side
    "run_a": Sql("NOT EXISTS (FROM output o WHERE o.run_id = k._ra AND o.item_id = k._item_id)"),
    "run_b": Sql("NOT EXISTS (FROM output o WHERE o.run_id = k._rb AND o.item_id = k._item_id)"),
}
# one voter's vote on an item, pair and turn given in both orders: its last and first row
_BOTH_ORDERS = (
    "SELECT max(_row), min(_row), any_value(_voter) FROM {keyed} GROUP BY _item_id, _a, _b,"
    " _turn, _metric, _voter HAVING count(DISTINCT _ra) > 1 ORDER BY 1 LIMIT 1"
)
# a row whose vote the database holds already (as a vote, a verdict or an SME preference)
_STORED = sql.compose(
    "EXISTS (SELECT 1 FROM ({votes}) v WHERE v.item_id = k._item_id AND v.run_a = k._a"
    " AND v.run_b = k._b AND v.turn = k._turn AND v.metric = k._metric AND v.voter = k._voter)",
    votes=Sql(VOTES),
)


def check_votes(con, staged: Staged, cols: dict[str, Column], keyed: Sql) -> None:
    """Two different runs with an output each; one vote per voter and key, none stored."""

    def first(where: Sql) -> int | None:
        row = con.execute(
            sql.compose(
                "SELECT min(k._row) FROM {keyed} k WHERE {where}", keyed=keyed, where=where
            ).text
        ).fetchone()
        return None if row is None else row[0]

    def fail(row: int, column: str | None, problem: str) -> None:
        raise InputError(staged.file, problem, row=row, column=column, row_word=staged.row_word)

    def voter(row: int) -> str | None:  # the column the row's vote came from
        return con.execute(
            sql.compose("SELECT _voter_column FROM {keyed} WHERE _row = ?", keyed=keyed).text, [row]
        ).fetchone()[0]

    if (row := first(Sql("k._ra = k._rb"))) is not None:
        fail(row, cols["run_b"].source, "a run is compared with itself; a pair needs two runs")
    for side, where in _NO_OUTPUT.items():
        if (missing := first(where)) is not None:
            fail(
                missing,
                cols[side].source,
                "the run has no output for this item; a vote compares two outputs",
            )
    both = con.execute(sql.compose(_BOTH_ORDERS, keyed=keyed).text).fetchone()
    if both:  # one voter's vote in both orders: FastChat keys a pair unordered
        fail(
            both[0],
            voter(both[0]),
            f"duplicate vote: {both[2]!r} voted on this item, pair and turn in both orders"
            f" (first on {staged.row_word} {both[1]}); one voter has one vote per pair:"
            " combine the two as MT-Bench does (the same winner both times wins, different"
            " winners are a tie) and keep one row",
        )
    try:
        check_unique(
            con,
            replace(staged, table=keyed.text),
            "_item_id || ' / ' || _a || ' vs ' || _b || ' / turn ' || _turn || ' / ' || _metric"
            " || ' / ' || _voter",
            "",
            "vote (item / pair / turn / metric / voter)",
        )
    except InputError as dup:
        fail(dup.row or 0, voter(dup.row or 0), dup.problem)
    clash = first(_STORED)
    if clash is not None:
        fail(
            clash,
            voter(clash),
            "this voter's vote on this item, pair and turn was imported before;"
            " votes are never silently overwritten",
        )
