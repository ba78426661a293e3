"""Labels made elsewhere: the documented label file and Amazon Bedrock human-evaluation output.

The label file (CSV, JSONL or Parquet) has one row per (item, run, reviewer):
``item_id`` (or ``prompt``), ``run_id`` (or ``model_id``, or ``--run`` for the whole file),
``reviewer``, and at least one of ``score`` (whole 1-5) and ``passed``; optionally
``failure_modes``, ``safety_flag``, ``preference`` (A/B/tie), ``shown_side`` (A/B) and
``notes``. Bedrock human-evaluation records convert to the same rows. Labels are never
silently overwritten: a (item, run, reviewer) that already has an imported label is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from core import db, runs
from core.checks import Checks, Field, add_field_checks, bind, check_unique, first_error, value
from core.errors import InputError
from core.formats import bedrock
from core.importing import one_file, relabel
from core.review import FAILURE_MODES
from core.staging import Staged, drop, kind_of, stage_file, stage_records

LABEL_FIELDS = [
    Field("item_id", aliases=("id",)),
    Field("prompt", aliases=("source_prompt", "question", "input")),
    Field("run_id"),
    Field("model_id", aliases=("model", "model_identifier")),
    Field("reviewer", required=True, nonempty=True, aliases=("worker_id", "annotator", "sme")),
    Field("score", "integer", minimum=1, maximum=5, aliases=("human_score", "likert")),
    Field("passed", "bool", aliases=("pass", "thumbs_up")),
    Field("failure_modes", "tags", aliases=("failure_tags",)),
    Field("safety_flag", "bool", aliases=("safety",)),
    Field("preference"),
    Field("shown_side", aliases=("side",)),
    Field("pair_run_id"),
    Field("notes", aliases=("comment",)),
]


@dataclass(frozen=True)
class LabelImport:
    dataset_id: str
    file: str
    rows: int
    labels: int
    reviewers: int

    def summary(self) -> str:
        return (
            f"{self.labels} labels from {self.reviewers} reviewers imported into "
            f"{self.dataset_id} ({self.rows} rows read)"
        )


def import_labels(
    con: duckdb.DuckDBPyConnection,
    source: str,
    dataset_id: str,
    *,
    actor: str,
    run_id: str | None = None,
    fmt: str | None = None,
    label: str | None = None,
) -> LabelImport:
    """Validate a label file against the dataset and its runs, then write it at once."""
    runs.dataset_exists(con, dataset_id)
    with one_file(source, label, "label") as path:
        kind = kind_of(path)
        if fmt is None:
            fmt = "bedrock" if kind == "jsonl" and _is_bedrock(path) else "native"
        if fmt == "bedrock":
            staged = stage_records(con, bedrock_records(path), str(path), "line")
        elif fmt == "native":
            staged = stage_file(con, path, kind)
        else:
            raise InputError(str(path), f"unknown label format {fmt!r}; expected native or bedrock")
        staged = relabel(staged, source, label)
        try:
            return _import(con, staged, dataset_id, run_id, actor)
        finally:
            drop(con, staged.table)


def _import(con, staged: Staged, dataset_id: str, run_id: str | None, actor: str) -> LabelImport:
    cols = bind(con, staged, LABEL_FIELDS)
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
        cols.get("score", cols.get("passed")).source,
        "NULL",
    )
    for name, allowed in (("preference", ("A", "B", "tie")), ("shown_side", ("A", "B"))):
        if name in cols:
            listed = ", ".join(f"'{a}'" for a in allowed)
            checks.add(
                f"{value(cols[name])} IS NOT NULL AND {value(cols[name])} NOT IN ({listed})",
                f"expected one of {', '.join(allowed)}",
                cols[name].source,
                value(cols[name]),
            )
    if "failure_modes" in cols:
        known = ", ".join(f"'{m}'" for m in FAILURE_MODES)
        checks.add(
            f"len(list_filter({value(cols['failure_modes'])}, lambda m: m NOT IN ({known}))) > 0",
            f"expected failure modes among {', '.join(FAILURE_MODES)}",
            cols["failure_modes"].source,
            f"CAST({value(cols['failure_modes'])} AS VARCHAR)",
        )
    first_error(con, staged, checks)
    match_sql, _ = runs.match_items(
        con, staged, cols, runs.RunSpec(dataset_id), unique=False, can_skip=False
    )
    source = _with_runs(con, staged, cols, dataset_id, run_id, match_sql)
    reviewer = value(cols["reviewer"])
    key = f"_item_id || chr(31) || _run_id || chr(31) || {reviewer}"
    check_unique(
        con, _keyed(staged, source), key, cols["reviewer"].source, "label (item, run, reviewer)"
    )
    clash = con.execute(
        f"SELECT k._row FROM (SELECT *, {reviewer} AS _reviewer FROM {source}) k JOIN label l"
        " ON l.dataset_id = ? AND l.item_id = k._item_id AND l.run_id = k._run_id AND"
        " l.reviewer = k._reviewer AND l.origin = 'import' ORDER BY 1 LIMIT 1",
        [dataset_id],
    ).fetchone()
    if clash:
        raise InputError(
            staged.file,
            "this reviewer's label for this item and run was imported"
            " before; labels are never silently overwritten",
            row=clash[0],
            column=cols["reviewer"].source,
            row_word=staged.row_word,
        )

    def pick(name: str, default: str = "NULL") -> str:
        return value(cols[name]) if name in cols else default

    with db.transaction(con):
        con.execute(
            "INSERT INTO label (dataset_id, item_id, run_id, pair_run_id, reviewer, score,"
            " passed, failure_modes, safety_flag, preference, shown_side, notes, origin)"
            f" SELECT ?, _item_id, _run_id, {pick('pair_run_id')}, {pick('reviewer')},"
            f" {pick('score')}, {pick('passed')}, {pick('failure_modes', 'CAST([] AS VARCHAR[])')},"
            f" coalesce({pick('safety_flag')}, false), {pick('preference')}, {pick('shown_side')},"
            f" {pick('notes')}, 'import' FROM {source}",
            [dataset_id],
        )
        written = con.fetchone()[0]
        reviewers = con.execute(f"SELECT count(DISTINCT {reviewer}) FROM {source}").fetchone()[0]
        db.audit(
            con,
            actor,
            "import_labels",
            "label",
            dataset_id,
            after={"file": staged.file, "labels": written, "reviewers": reviewers},
        )
    return LabelImport(dataset_id, staged.file, staged.rows, written, reviewers)


def _keyed(staged: Staged, match_sql: str) -> Staged:
    return replace(staged, table=match_sql)


def _with_runs(
    con, staged: Staged, cols, dataset_id: str, run_id: str | None, match_sql: str
) -> str:
    """The matched rows with ``_run_id``: the run_id column, the model's only run on the
    dataset, or --run for the whole file; every row must grade an existing output."""
    ds = "'" + dataset_id.replace("'", "''") + "'"
    if "run_id" in cols:
        source = f"(SELECT *, {value(cols['run_id'])} AS _run_id FROM {match_sql})"
        column = cols["run_id"].source
    elif "model_id" in cols:
        keyed = f"(SELECT *, {value(cols['model_id'])} AS _model FROM {match_sql})"
        ambiguous = con.execute(
            f"SELECT k._model, count(r.run_id) FROM (SELECT DISTINCT _model FROM {keyed}) k"
            f" LEFT JOIN run r ON r.dataset_id = {ds} AND r.model_id = k._model"
            " GROUP BY k._model HAVING count(r.run_id) <> 1 ORDER BY 1 LIMIT 1"
        ).fetchone()
        if ambiguous:
            raise InputError(
                staged.file,
                f"model {ambiguous[0]!r} has {ambiguous[1]} runs on "
                f"{dataset_id}; add a run_id column or pass --run",
                column=cols["model_id"].source,
            )
        source = (
            f"(SELECT k.*, r.run_id AS _run_id FROM {keyed} k JOIN run r"
            f" ON r.dataset_id = {ds} AND r.model_id = k._model)"
        )
        column = cols["model_id"].source
    elif run_id:
        literal = "'" + run_id.replace("'", "''") + "'"
        source = f"(SELECT *, {literal} AS _run_id FROM {match_sql})"
        column = None
    else:
        raise InputError(
            staged.file,
            "which run do the labels grade? add a run_id or model_id column, or pass --run",
            column="run_id",
        )
    missing = con.execute(
        f"SELECT s._row, s._run_id FROM {source} s ANTI JOIN output o ON o.run_id = s._run_id"
        " AND o.item_id = s._item_id ORDER BY 1 LIMIT 1"
    ).fetchone()
    if missing:
        raise InputError(
            staged.file,
            f"run {missing[1]!r} has no output for this item on "
            f"{dataset_id}; labels grade an existing output",
            row=missing[0],
            column=column,
            row_word=staged.row_word,
        )
    return source


# --- Amazon Bedrock human evaluation -------------------------------------------------------


def _is_bedrock(path: Path) -> bool:
    with path.open("rb") as fh:
        first = fh.readline()
    try:
        return "humanEvaluationResult" in json.loads(first)
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError):
        return False


def _text(value: object) -> object:
    if isinstance(value, dict) and "text" in value:
        return value["text"]
    return value


def bedrock_records(path: Path) -> list[dict]:
    """Human-evaluation output lines as label rows (one per worker and model response).

    ``individualLikertScale`` gives the 1-5 score and ``thumbsUpDown`` pass/fail (first
    metric of each kind); the preference comes from ``comparisonChoice``, else
    ``comparisonRank`` (rank 1 is better), else ``comparisonLikertScale`` (below 3 favours
    the left response, 3 is a tie). The left response is shown as A.
    """
    rows = []
    for line, record in bedrock.read_records(path):
        rows += _bedrock_line(record, str(path), line)
    if not rows:
        raise InputError(str(path), "no human answers in the file")
    return rows


def _bedrock_line(record: dict, file: str, line: int) -> list[dict]:
    if not isinstance(record, dict) or not isinstance(record.get("humanEvaluationResult"), list):
        raise InputError(
            file, "expected humanEvaluationResult to be a list", row=line, row_word="line"
        )
    prompt = _text((record.get("inputRecord") or {}).get("prompt"))
    responses = (
        record.get("modelResponses") or (record.get("inputRecord") or {}).get("responses") or []
    )
    models = {
        str(i): r.get("modelIdentifier") for i, r in enumerate(responses) if isinstance(r, dict)
    }
    rows = []
    for result in record["humanEvaluationResult"]:
        for answer in (result or {}).get("humanAnswers") or []:
            worker = answer.get("workerId")
            found = (answer.get("answerContent") or {}).get("evaluationResults") or {}
            per_response: dict[str, dict] = {}
            for kind, field in (("individualLikertScale", "score"), ("thumbsUpDown", "passed")):
                for entry in _first_metric(found.get(kind)):
                    per_response.setdefault(str(entry.get("modelResponseId")), {})[field] = (
                        entry.get("result")
                    )
            left, right, preference = _preference(found)
            for response_id in sorted(set(per_response) | {r for r in (left, right) if r}):
                side = "A" if response_id == left else "B" if response_id == right else None
                rows.append(
                    {
                        "_row": line,
                        "prompt": prompt,
                        "reviewer": worker,
                        "model_id": models.get(response_id, f"modelResponseId {response_id}"),
                        "shown_side": side,
                        "preference": preference if side else None,
                        **per_response.get(response_id, {}),
                    }
                )
    return rows


def _first_metric(entries: list | None) -> list[dict]:
    """The entries of the first metric named (one per model response)."""
    entries = [e for e in entries or [] if isinstance(e, dict)]
    if not entries:
        return []
    name = entries[0].get("metricName")
    return [e for e in entries if e.get("metricName") == name]


def _preference(found: dict) -> tuple[str | None, str | None, str | None]:
    """(left response id, right response id, 'A' / 'B' / 'tie') from a comparison metric."""
    for entry in (found.get("comparisonChoice") or [])[:1]:
        left, right = str(entry.get("leftModelResponseId")), str(entry.get("rightModelResponseId"))
        chosen = str(entry.get("result"))
        return left, right, "A" if chosen == left else "B" if chosen == right else "tie"
    for entry in (found.get("comparisonRank") or [])[:1]:
        ranks = {str(r.get("modelResponseId")): r.get("rank") for r in entry.get("result") or []}
        if len(ranks) == 2:
            left, right = sorted(ranks)
            if ranks[left] == ranks[right]:
                return left, right, "tie"
            return left, right, "A" if ranks[left] < ranks[right] else "B"
    for entry in (found.get("comparisonLikertScale") or [])[:1]:
        left, right = str(entry.get("leftModelResponseId")), str(entry.get("rightModelResponseId"))
        scale = entry.get("result")
        if isinstance(scale, int | float):
            return left, right, "A" if scale < 3 else "B" if scale > 3 else "tie"
    return None, None, None
