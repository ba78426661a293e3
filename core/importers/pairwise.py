"""Pairwise judges: which of two runs' outputs for an item is better.

A verdict file (CSV, JSONL or Parquet) has one row per item and metric: ``item_id`` (or
``prompt``), ``winner`` — ``run`` (the candidate run is better), ``baseline`` or ``tie``; the
common spellings ``A``/``B`` (A is the baseline, as pairwise judges are usually shown the
incumbent first), ``candidate``, ``source`` and ``target`` are accepted — and optionally
``metric`` (default ``preference``), ``judge`` and ``explanation``. Verdicts are never
silently overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb
import pandas as pd

from core.catalog import runs
from core.errors import InputError
from core.importers.checks import (
    Checks,
    Field,
    add_field_checks,
    bind,
    check_unique,
    first_error,
    value,
)
from core.importers.files import staged_file
from core.importers.matching import match_items
from core.importers.staging import Staged
from core.importers.tournament_sql import VOTES, metric_sql
from core.importers.values import typed
from core.store import db, sql, writes
from core.store.sql import Sql, literal

WINNERS = {
    "run": "run",
    "candidate": "run",
    "target": "run",
    "b": "run",
    "baseline": "baseline",
    "source": "baseline",
    "a": "baseline",
    "tie": "tie",
    "equal": "tie",
}
VERDICT_FIELDS = [
    Field("item_id", aliases=("id",)),
    Field("prompt", aliases=("question", "input")),
    Field("winner", required=True, nonempty=True, aliases=("preference", "verdict", "better")),
    Field("metric", aliases=("criterion",)),
    Field("judge", aliases=("judge_model",)),
    Field("explanation", aliases=("reason", "rationale")),
]


@dataclass(frozen=True)
class VerdictImport:
    run_id: str
    baseline_run_id: str
    file: str
    verdicts: int

    def summary(self) -> str:
        return (
            f"{self.verdicts} pairwise verdicts imported for {self.run_id} against "
            f"{self.baseline_run_id}"
        )


def import_verdicts(
    con: duckdb.DuckDBPyConnection,
    source: str,
    run_id: str,
    baseline_run_id: str,
    *,
    actor: str,
    label: str | None = None,
) -> VerdictImport:
    """Validate a pairwise verdict file against both runs, then write it at once."""
    with staged_file(con, source, label, "verdict") as staged:
        return import_staged(con, staged, run_id, baseline_run_id, actor)


def _runs(con, run_id: str, baseline_run_id: str) -> dict[str, str]:
    found = dict(
        con.execute(
            "SELECT run_id, dataset_id FROM run WHERE run_id IN (?, ?)", [run_id, baseline_run_id]
        ).fetchall()
    )
    for wanted in (run_id, baseline_run_id):
        if wanted not in found:
            raise InputError("pairwise verdicts", f"no run {wanted!r}")
    if run_id == baseline_run_id or found[run_id] != found[baseline_run_id]:
        raise InputError(
            "pairwise verdicts", "the two runs must differ and answer the same dataset version"
        )
    return {"run_id": run_id, "baseline_run_id": baseline_run_id, "dataset_id": found[run_id]}


def import_staged(
    con, staged: Staged, run_id: str, baseline_run_id: str, actor: str
) -> VerdictImport:
    """Validate staged verdicts (see the module's layout) and write them in one transaction."""
    pair = _runs(con, run_id, baseline_run_id)
    cols = bind(con, staged, VERDICT_FIELDS)
    checks = Checks()
    for col in cols.values():
        add_field_checks(checks, col)
    winner = f"lower(trim({value(cols['winner'])}))"
    checks.add(
        f"{winner} NOT IN ({', '.join(map(literal, WINNERS))})",
        "expected run, baseline or tie (or A = baseline, B = run)",
        cols["winner"].source,
        value(cols["winner"]),
    )
    first_error(con, staged, checks)
    spec = runs.RunSpec(pair["dataset_id"])
    matched, _ = match_items(con, staged, cols, spec, unique=False, can_skip=False)
    keyed = sql.name(f"{staged.table}_verdicts")
    con.execute(
        sql.compose(
            "CREATE OR REPLACE TEMP VIEW {keyed} AS SELECT *, {metric} AS _metric FROM {matched}",
            keyed=keyed,
            metric=metric_sql(cols),
            matched=Sql(matched),  # match_items quote()s its view
        ).text
    )
    _check_verdicts(con, staged, cols, keyed.text, pair)
    mapping = sql.join(
        " ",
        (
            sql.compose("WHEN {k} THEN {v}", k=sql.constant(k), v=sql.constant(v))
            for k, v in WINNERS.items()
        ),
    )

    def pick(name: str) -> Sql:
        return typed(cols[name]) if name in cols else sql.compose("NULL")

    insert = sql.compose(
        "INSERT INTO pairwise_verdict (run_id, baseline_run_id, item_id, metric, winner, judge,"
        " explanation) SELECT ?, ?, _item_id, _metric, CASE lower(trim({winner})) {mapping} END,"
        " {judge}, {explanation} FROM {keyed}",
        winner=typed(cols["winner"]),
        mapping=mapping,
        judge=pick("judge"),
        explanation=pick("explanation"),
        keyed=keyed,
    )
    with db.transaction(con):
        con.execute(insert.text, [pair["run_id"], pair["baseline_run_id"]])
        written = con.fetchone()[0]
        writes.audit(
            con,
            actor,
            "import_pairwise",
            "pairwise_verdict",
            pair["run_id"],
            after={"file": staged.file, "baseline": pair["baseline_run_id"], "verdicts": written},
        )
    return VerdictImport(pair["run_id"], pair["baseline_run_id"], staged.file, written)


def _check_verdicts(con, staged: Staged, cols, keyed: str, pair: dict) -> None:
    """One verdict per (item, metric), both runs have the item's output, none overwritten."""
    check_unique(
        con,
        replace(staged, table=keyed),
        "_item_id || ' / ' || _metric",
        cols.get("metric", cols["winner"]).source,
        "verdict (item, metric)",
    )
    for run_id in (pair["run_id"], pair["baseline_run_id"]):
        missing = con.execute(
            f"SELECT k._row FROM {keyed} k ANTI JOIN output o ON o.run_id = ?"  # noqa: S608 - generated views
            " AND o.item_id = k._item_id ORDER BY 1 LIMIT 1",
            [run_id],
        ).fetchone()
        if missing:
            raise InputError(
                staged.file,
                f"run {run_id!r} has no output for this item; a verdict compares two outputs",
                row=missing[0],
                row_word=staged.row_word,
            )
    clash = con.execute(
        f"SELECT k._row FROM {keyed} k JOIN pairwise_verdict v ON v.run_id = ?"  # noqa: S608 - generated views
        " AND v.baseline_run_id = ? AND v.item_id = k._item_id AND v.metric = k._metric"
        " ORDER BY 1 LIMIT 1",
        [pair["run_id"], pair["baseline_run_id"]],
    ).fetchone()
    if not clash:  # this judge's vote stored as a tournament vote, or a verdict either way round
        judge = literal("pairwise judge")
        if "judge" in cols:
            judge = f"coalesce({value(cols['judge'])}, {judge})"
        clash = con.execute(
            f"SELECT k._row FROM {keyed} k JOIN ({VOTES}) v ON v.item_id = k._item_id"  # noqa: S608 - generated views, a constant query
            " AND v.run_a = least($1, $2) AND v.run_b = greatest($1, $2) AND v.turn = 1"
            f" AND v.metric = k._metric AND v.voter = {judge} AND v.kind = 'judge'"
            " ORDER BY 1 LIMIT 1",
            [pair["run_id"], pair["baseline_run_id"]],
        ).fetchone()
    if clash:
        raise InputError(
            staged.file,
            "a verdict for this item and metric was imported before (by this judge, with"
            " the runs either way round: one judge has one vote per item and pair); verdicts"
            " are never silently overwritten. A judge asked in both orders: combine them"
            " first as MT-Bench does (the same winner both times wins, different winners"
            " are a tie) and import one verdict",
            row=clash[0],
            column=cols["winner"].source,
            row_word=staged.row_word,
        )


def comparisons(con: duckdb.DuckDBPyConnection, run_id: str) -> list[tuple[str, str, str]]:
    """(run, baseline, metric) of every pairwise verdict set that involves ``run_id``."""
    return con.execute(
        "SELECT DISTINCT run_id, baseline_run_id, metric FROM pairwise_verdict"
        " WHERE ? IN (run_id, baseline_run_id) ORDER BY ALL",
        [run_id],
    ).fetchall()


def pairs(
    con: duckdb.DuckDBPyConnection, run_id: str, baseline_run_id: str, metric: str
) -> pd.DataFrame:
    """Each SME side-by-side preference between the two runs beside the judge's verdict,
    both as 'run' / 'baseline' / 'tie' (the SME's A/B is resolved through the side each
    run was shown on, so blind placement does not matter)."""
    return con.execute(
        """
        SELECT v.item_id, l.reviewer, v.winner AS judge,
               CASE WHEN l.preference = 'tie' THEN 'tie'
                    WHEN l.preference = l.shown_side THEN 'run' ELSE 'baseline' END AS sme,
               i.stratum, v.explanation
        FROM pairwise_verdict v
        JOIN run r ON r.run_id = v.run_id
        JOIN item i ON i.dataset_id = r.dataset_id AND i.item_id = v.item_id
        JOIN label l ON l.dataset_id = r.dataset_id AND l.item_id = v.item_id
             AND l.run_id = v.run_id AND l.pair_run_id = v.baseline_run_id
        WHERE v.run_id = ? AND v.baseline_run_id = ? AND v.metric = ?
          AND l.preference IS NOT NULL AND l.shown_side IS NOT NULL
        ORDER BY v.item_id, l.reviewer
        """,
        [run_id, baseline_run_id, metric],
    ).df()
