"""Golden datasets: versioned, hashed, frozen once a migration uses them.

The golden file follows the playbook's schema (one row per item):
``id, source_prompt, input_context, model_config, ground_truth, source_output, latency_ms,
input_tokens, output_tokens, automated_score, human_score, notes`` plus the optional
``stratum, split, tags, ttft_ms, model_id``. It creates the dataset's items, a source run
(when ``source_output`` is present) and the human scores as imported labels.

The content hash is sha256 over the items sorted by id, one JSON array per line:
``[item_id, prompt, context, ground_truth, stratum, split, sorted tags]``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace

import duckdb

from core.catalog import metrics, runs
from core.errors import FrozenError, InputError, NotFoundError
from core.importers.checks import (
    Checks,
    Field,
    add_field_checks,
    bind,
    check_unique,
    first_error,
    value,
)
from core.importers.staging import Staged
from core.store import db, writes

SPLITS = ("dev", "holdout")
DEFAULT_STRATUM = "all"
HUMAN_RANGE = (1.0, 5.0)

GOLDEN_FIELDS = [
    Field("item_id", required=True, nonempty=True, aliases=("id",)),
    Field(
        "prompt",
        required=True,
        nonempty=True,
        aliases=("source_prompt", "question", "input", "user_input", "query"),
    ),
    Field(
        "context",
        "texts",
        aliases=("input_context", "contexts", "retrieved_contexts", "retrieval_context"),
    ),
    Field(
        "ground_truth",
        required=True,
        aliases=("reference", "expected_output", "expected_answer", "ideal_answer"),
    ),
    Field("model_config", "config", aliases=("config",)),
    Field("source_output", aliases=("output", "response", "actual_output")),
    Field("ttft_ms", "number", minimum=0, aliases=("ttft",)),
    Field("latency_ms", "number", minimum=0, aliases=("latency",)),
    Field("input_tokens", "integer", minimum=0, aliases=("prompt_tokens",)),
    Field("output_tokens", "integer", minimum=0, aliases=("completion_tokens",)),
    Field("notes", aliases=("comment", "comments")),
    Field("stratum", aliases=("complexity", "use_case", "category")),
    Field("split"),
    Field("tags", "tags"),
    Field("model_id", aliases=("model",)),
]


@dataclass(frozen=True)
class DatasetImport:
    """What a golden import did. ``unchanged`` means the same content was already there."""

    dataset_id: str
    sha256: str
    items: int
    unchanged: bool
    source_run: runs.RunImport | None
    labels: int

    def summary(self) -> str:
        if self.unchanged:
            return (
                f"{self.dataset_id} already holds this content (sha256 {self.sha256[:12]}…);"
                " nothing written"
            )
        parts = [f"dataset {self.dataset_id}: {self.items} items, sha256 {self.sha256[:12]}…"]
        if self.source_run:
            parts.append("source " + self.source_run.summary())
        if self.labels:
            parts.append(f"{self.labels} human scores imported as labels")
        return "; ".join(parts)


@dataclass(frozen=True)
class Verification:
    dataset_id: str
    stored: str
    actual: str

    @property
    def matches(self) -> bool:
        return self.stored == self.actual

    def summary(self) -> str:
        if self.matches:
            return f"{self.dataset_id}: OK, content matches sha256 {self.stored}"
        return (
            f"{self.dataset_id}: MISMATCH, stored sha256 {self.stored} but the items now hash"
            f" to {self.actual}; the data was changed outside Switchyard"
        )


def content_hash(rows: list[tuple]) -> str:
    """sha256 over canonical rows (item_id, prompt, context, ground_truth, stratum, split, tags)."""
    digest = hashlib.sha256()
    for item_id, prompt, context, truth, stratum, split, tags in sorted(rows, key=lambda r: r[0]):
        line = [item_id, prompt, context, truth, stratum, split, sorted(tags or [])]
        digest.update(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def stored_hash(con: duckdb.DuckDBPyConnection, dataset_id: str) -> str:
    rows = con.execute(
        "SELECT item_id, prompt, context, ground_truth, stratum, split, tags FROM item"
        " WHERE dataset_id = ?",
        [dataset_id],
    ).fetchall()
    return content_hash(rows)


def parse_config(text: str | None) -> dict:
    """model_config as JSON or as ``key=value, key=value`` text (numbers become numbers)."""
    if text is None or not text.strip():
        return {}
    text = text.strip()
    if text.startswith("{"):
        config = json.loads(text)
        if not isinstance(config, dict):
            raise ValueError("expected a JSON object")
        return config
    config = {}
    for part in re.split(r"[,;]\s*", text):
        if not part.strip():
            continue
        if "=" not in part and ":" not in part:
            raise ValueError(f"expected key=value, got {part.strip()!r}")
        key, val = re.split(r"\s*[=:]\s*", part.strip(), maxsplit=1)
        config[key.strip()] = _number_or_text(val.strip())
    return config


def _number_or_text(text: str) -> object:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text.strip("'\"")


def import_staged(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    name: str,
    *,
    actor: str,
    version: int | None = None,
    model_id: str | None = None,
    score_range: runs.Range | None = None,
    threshold: float | None = None,
    metric: str | None = None,
    human_range: runs.Range = HUMAN_RANGE,
    synthetic: bool = False,
) -> DatasetImport:
    """Validate a staged golden file, then write dataset, items, source run and labels at once."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise InputError(
            staged.file, f"dataset name {name!r} may hold only letters, digits, '.', '_' and '-'"
        )
    score_metric = _score_metric(con, metric, score_range, threshold)
    fields = [
        *GOLDEN_FIELDS,
        Field(
            "automated_score",
            "number",
            minimum=score_metric.low,
            maximum=score_metric.high,
            tolerance=metrics.TOLERANCE,
            aliases=("judge_score", "auto_score"),
        ),
        Field(
            "human_score",
            "number",
            minimum=human_range[0],
            maximum=human_range[1],
            aliases=("sme_score",),
        ),
    ]
    cols = bind(con, staged, fields)
    checks = Checks()
    for col in cols.values():
        add_field_checks(checks, col)
    if "split" in cols:
        checks.add(
            f"lower(trim({value(cols['split'])})) NOT IN ('dev', 'holdout')",
            "expected split 'dev' or 'holdout'",
            cols["split"].source,
            value(cols["split"]),
        )
    if "human_score" in cols:
        checks.add(
            f"{value(cols['human_score'])} <> round({value(cols['human_score'])})",
            "expected a whole 1-5 human score",
            cols["human_score"].source,
            value(cols["human_score"]),
        )
    first_error(con, staged, checks)
    check_unique(con, staged, value(cols["item_id"]), cols["item_id"].source)
    config = _one_config(con, staged, cols)
    has_output = "source_output" in cols
    if "human_score" in cols and not has_output:
        raise InputError(
            staged.file,
            "human scores grade the source output: add a source_output column, or drop human_score",
            column="human_score",
        )

    item_sql = _item_select(cols, staged.table)
    digest = content_hash(
        con.execute(
            f"SELECT item_id, prompt, context, ground_truth, stratum, split, tags FROM ({item_sql})"  # noqa: S608 - generated table; core.checks SQL over quote()d columns
        ).fetchall()
    )
    target, exists = _target_version(con, name, version, digest)
    if target is None:
        latest = _latest(con, name)
        return DatasetImport(f"{name}@{latest}", digest, staged.rows, True, None, 0)
    model_id = model_id or config.get("model_id") or config.get("model")
    model = _one_model(con, staged, cols, model_id) if has_output else None
    dataset_id = f"{name}@{target}"
    if exists:
        refuse_if_frozen(con, dataset_id, "replace its items")

    with db.unordered_writes(con), db.transaction(con):
        if exists:
            con.execute("DELETE FROM item WHERE dataset_id = ?", [dataset_id])
            con.execute(
                "UPDATE dataset SET sha256 = ?, item_count = ?, source_file = ?"
                " WHERE dataset_id = ?",
                [digest, staged.rows, staged.file, dataset_id],
            )
        else:
            con.execute(
                "INSERT INTO dataset (dataset_id, name, version, sha256, item_count, source_file,"
                " synthetic, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [dataset_id, name, target, digest, staged.rows, staged.file, synthetic, actor],
            )
        con.execute(
            "INSERT INTO item (dataset_id, item_id, prompt, context, ground_truth, stratum, split,"  # noqa: S608 - generated table; core.checks SQL over quote()d columns
            f" tags, notes) SELECT ?, * FROM ({item_sql})",
            [dataset_id],
        )
        db.audit(
            con,
            actor,
            "replace_items" if exists else "import_dataset",
            "dataset",
            dataset_id,
            after={"file": staged.file, "sha256": digest, "items": staged.rows},
        )
        source_run, labels = None, 0
        if has_output:
            source_run, labels = _write_source_run(
                con, staged, cols, dataset_id, model, config, score_metric, actor, synthetic
            )
    return DatasetImport(dataset_id, digest, staged.rows, False, source_run, labels)


def _item_select(cols, table: str) -> str:
    def pick(name: str, default: str = "NULL") -> str:
        return value(cols[name]) if name in cols else default

    return (
        f"SELECT {pick('item_id')} AS item_id, {pick('prompt')} AS prompt,"  # noqa: S608 - generated table; core.checks SQL over quote()d columns
        f" {pick('context')} AS context, {pick('ground_truth')} AS ground_truth,"
        f" coalesce(NULLIF(trim({pick('stratum')}), ''), '{DEFAULT_STRATUM}') AS stratum,"
        f" coalesce(lower(trim({pick('split')})), 'dev') AS split,"
        f" {pick('tags', 'CAST([] AS VARCHAR[])')} AS tags, {pick('notes')} AS notes"
        f" FROM {table}"
    )


def _one_config(con, staged: Staged, cols) -> dict:
    """Every row must carry the same model configuration: one run has one."""
    if "model_config" not in cols:
        return {}
    distinct = con.execute(
        f"SELECT {value(cols['model_config'])} AS c, min(_row) FROM {staged.table}"  # noqa: S608 - generated table; core.checks SQL over quote()d columns
        " GROUP BY c ORDER BY 2"
    ).fetchall()
    parsed = []
    for text, row in distinct:
        try:
            parsed.append((parse_config(text), row))
        except (ValueError, json.JSONDecodeError) as exc:
            raise InputError(
                staged.file,
                f"model_config {text!r} is neither a JSON object nor 'key=value, ...' text ({exc})",
                row=row,
                column=cols["model_config"].source,
                row_word=staged.row_word,
            ) from None
    first, first_row = parsed[0]
    for config, row in parsed[1:]:
        if config and config != first:
            raise InputError(
                staged.file,
                f"model_config {config} differs from {first} on "
                f"{staged.row_word} {first_row}; one run has one configuration:"
                " split the file by configuration",
                row=row,
                column=cols["model_config"].source,
                row_word=staged.row_word,
            )
    return first


def _one_model(con, staged: Staged, cols, model_id: str | None) -> str:
    if "model_id" in cols:
        found = con.execute(
            f"SELECT DISTINCT {value(cols['model_id'])} FROM {staged.table}"  # noqa: S608 - generated table; core.checks SQL over quote()d columns
            f" WHERE {value(cols['model_id'])} IS NOT NULL"
        ).fetchall()
        if len(found) > 1:
            raise InputError(
                staged.file,
                f"the file names {len(found)} models; a golden file carries one source model",
                column=cols["model_id"].source,
            )
        if found:
            return found[0][0]
    if model_id:
        return model_id
    raise InputError(
        staged.file, "the source model is not named: add a model_id column or pass --model"
    )


def _write_source_run(
    con,
    staged: Staged,
    cols,
    dataset_id: str,
    model: str,
    config: dict,
    score_metric: runs.MetricPlan,
    actor: str,
    synthetic: bool,
):
    """The golden file's outputs as the dataset's source run, and its human scores as labels."""
    spec = runs.RunSpec(
        dataset_id,
        model,
        name=f"{model} on {dataset_id} (golden file)",
        role="source",
        config=config,
        judge="imported",
        default_threshold=score_metric.threshold,
        origin="golden",
        synthetic=synthetic,
    )
    run_id = runs.create_run(con, spec, staged.file, actor)
    source = f"(SELECT s.*, {value(cols['item_id'])} AS _item_id FROM {staged.table} s)"  # noqa: S608 - generated table; core.checks SQL over quote()d columns
    renamed = dict(cols)
    renamed["output"] = cols["source_output"]
    outputs = runs.write_outputs(con, run_id, source, renamed)
    scores, read_notes = 0, []
    if "automated_score" in cols:
        plan = replace(score_metric, parts={"score": cols["automated_score"]})
        scores, clipped = runs.write_scores(con, run_id, source, [plan], spec)
        read_notes = runs.metric_notes([plan], clipped) if scores else []
    labels = 0
    if "human_score" in cols:
        notes = value(cols["notes"]) if "notes" in cols else "NULL"
        labels = writes.insert_labels_from(
            con,
            ("dataset_id", "item_id", "run_id", "reviewer", "score", "notes", "origin"),
            f"SELECT ?, _item_id, ?, 'imported', CAST({value(cols['human_score'])} AS INTEGER),"  # noqa: S608 - generated table; core.checks SQL over quote()d columns
            f" {notes}, 'import' FROM {source} WHERE {value(cols['human_score'])} IS NOT NULL",
            [dataset_id, run_id],
        )
    db.audit(
        con,
        actor,
        "import_run",
        "run",
        run_id,
        after={
            "file": staged.file,
            "dataset_id": dataset_id,
            "model_id": model,
            "outputs": outputs,
            "scores": scores,
            "labels": labels,
        },
    )
    scored = (score_metric.metric,) if scores else ()
    run = runs.RunImport(
        run_id, dataset_id, staged.file, staged.rows, outputs, [], scored, scores, tuple(read_notes)
    )
    return run, labels


def _score_metric(
    con, metric: str | None, score_range: runs.Range | None, threshold: float | None
) -> runs.MetricPlan:
    """How a golden file's automated_score is read: as ``metric`` from the catalog when named
    (so it meets the runs' metrics), else as 'automated_score', 0..1, passing at >= 0.5."""
    if metric is None:
        low, high = score_range or runs.DEFAULT_RANGE
        cut = runs.DEFAULT_THRESHOLD if threshold is None else threshold
        return runs.MetricPlan(
            "automated_score", "automated_score", False, {}, low, high, cut, "higher", "golden"
        )
    found = metrics.resolve(con, [metric])[metric]
    if found.entry is None:
        raise InputError(
            "--metric",
            f"{metric!r} is not in the metric catalog; see `python -m core metric list`,"
            " or add it with `python -m core metric set`",
        )
    entry = found.entry
    low, high = score_range or (entry.low, entry.high)
    cut = entry.default_threshold if threshold is None else threshold
    return runs.MetricPlan(
        "automated_score", entry.metric, True, {}, low, high, cut, entry.direction, "catalog"
    )


def _latest(con, name: str) -> int | None:
    return con.execute("SELECT max(version) FROM dataset WHERE name = ?", [name]).fetchone()[0]


def _target_version(con, name: str, version: int | None, digest: str) -> tuple[int | None, bool]:
    """(version to write, whether it exists); (None, _) when the latest already has this content."""
    latest = _latest(con, name)
    if version is not None:
        exists = (
            latest is not None
            and con.execute(
                "SELECT 1 FROM dataset WHERE name = ? AND version = ?", [name, version]
            ).fetchone()
        )
        return version, bool(exists)
    if latest is not None:
        same = con.execute(
            "SELECT sha256 FROM dataset WHERE name = ? AND version = ?", [name, latest]
        ).fetchone()[0]
        if same == digest:
            return None, True
    return (latest or 0) + 1, False


def get(con: duckdb.DuckDBPyConnection, dataset_id: str) -> dict:
    row = con.execute(
        "SELECT dataset_id, name, version, sha256, item_count, frozen_at, frozen_by, synthetic"
        " FROM dataset WHERE dataset_id = ?",
        [dataset_id],
    ).fetchone()
    if row is None:
        runs.dataset_exists(con, dataset_id)  # raises NotFoundError listing what exists
    keys = (
        "dataset_id",
        "name",
        "version",
        "sha256",
        "item_count",
        "frozen_at",
        "frozen_by",
        "synthetic",
    )
    return dict(zip(keys, row, strict=True))


def resolve(con: duckdb.DuckDBPyConnection, ref: str) -> str:
    """'name@3' as is; a bare 'name' means its latest version."""
    if "@" in ref:
        return get(con, ref)["dataset_id"]
    latest = _latest(con, ref)
    if latest is None:
        raise NotFoundError(f"no dataset named {ref!r} (see `python -m core list`)")
    return f"{ref}@{latest}"


def refuse_if_frozen(con: duckdb.DuckDBPyConnection, dataset_id: str, doing: str) -> None:
    """The single guard in front of every write to a dataset version's items."""
    info = get(con, dataset_id)
    if info["frozen_at"] is not None:
        raise FrozenError(
            f"cannot {doing}: dataset {dataset_id} was frozen on {info['frozen_at']:%Y-%m-%d}"
            f" by {info['frozen_by']} (sha256 {info['sha256'][:12]}…). A frozen version never"
            f" changes: import the changed file as a new version of {info['name']!r}."
        )


def update_item(
    con: duckdb.DuckDBPyConnection,
    dataset_id: str,
    item_id: str,
    *,
    actor: str,
    ground_truth: str | None = None,
    prompt: str | None = None,
) -> None:
    """Correct one item of an unfrozen version (re-hashing it); refused once frozen."""
    refuse_if_frozen(con, dataset_id, f"change item {item_id!r}")
    before = con.execute(
        "SELECT prompt, ground_truth FROM item WHERE dataset_id = ? AND item_id = ?",
        [dataset_id, item_id],
    ).fetchone()
    if before is None:
        raise NotFoundError(f"no item {item_id!r} in {dataset_id}")
    with db.transaction(con):
        con.execute(
            "UPDATE item SET prompt = coalesce(?, prompt), ground_truth ="
            " coalesce(?, ground_truth) WHERE dataset_id = ? AND item_id = ?",
            [prompt, ground_truth, dataset_id, item_id],
        )
        con.execute(
            "UPDATE dataset SET sha256 = ? WHERE dataset_id = ?",
            [stored_hash(con, dataset_id), dataset_id],
        )
        db.audit(
            con,
            actor,
            "update_item",
            "item",
            f"{dataset_id}/{item_id}",
            before={"prompt": before[0], "ground_truth": before[1]},
            after={"prompt": prompt, "ground_truth": ground_truth},
        )


def freeze(con: duckdb.DuckDBPyConnection, dataset_id: str, actor: str) -> bool:
    """Freeze a version (idempotent); the stored hash is re-checked first. True if newly frozen."""
    info = get(con, dataset_id)
    if info["frozen_at"] is not None:
        return False
    check = verify(con, dataset_id)
    if not check.matches:
        raise FrozenError(f"cannot freeze {dataset_id}: {check.summary()}")
    with db.transaction(con):
        con.execute(
            "UPDATE dataset SET frozen_at = current_timestamp, frozen_by = ? WHERE dataset_id = ?",
            [actor, dataset_id],
        )
        db.audit(con, actor, "freeze", "dataset", dataset_id, after={"sha256": info["sha256"]})
    return True


def verify(con: duckdb.DuckDBPyConnection, dataset_id: str) -> Verification:
    """Recompute the content hash from the stored items and compare with the recorded one."""
    info = get(con, dataset_id)
    return Verification(dataset_id, info["sha256"], stored_hash(con, dataset_id))


def list_datasets(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Dataset versions with hash, frozen state, counts per split and per stratum."""
    rows = con.execute(
        "SELECT d.dataset_id, d.name, d.version, d.sha256, d.item_count, d.frozen_at, d.frozen_by,"
        " d.synthetic, d.created_at,"
        " (SELECT count(*) FROM item i WHERE i.dataset_id = d.dataset_id AND split = 'holdout'),"
        " (SELECT list(s ORDER BY s) FROM (SELECT stratum || ': ' || count(*) AS s FROM item i"
        "   WHERE i.dataset_id = d.dataset_id GROUP BY stratum)),"
        " (SELECT count(*) FROM run r WHERE r.dataset_id = d.dataset_id)"
        " FROM dataset d ORDER BY d.name, d.version"
    ).fetchall()
    keys = (
        "dataset_id",
        "name",
        "version",
        "sha256",
        "items",
        "frozen_at",
        "frozen_by",
        "synthetic",
        "created_at",
        "holdout",
        "strata",
        "runs",
    )
    return [dict(zip(keys, row, strict=True)) for row in rows]
