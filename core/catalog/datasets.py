"""Golden datasets: versioned, hashed, frozen once a migration uses them.

A version is imported from a golden file (core.importers.golden); this module lists, describes,
corrects, verifies and freezes versions.

The content hash is sha256 over the items sorted by id, one JSON array per line:
``[item_id, prompt, context, ground_truth, stratum, split, sorted tags]``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

import duckdb

from core.catalog import runs
from core.errors import FrozenError, NotFoundError
from core.store import db, writes


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


def latest_version(con: duckdb.DuckDBPyConnection, name: str) -> int | None:
    """The highest version of the dataset ``name``; None when there is none."""
    return db.scalar(con, "SELECT max(version) FROM dataset WHERE name = ?", [name])


def version_to_write(
    con: duckdb.DuckDBPyConnection, name: str, version: int | None, digest: str
) -> tuple[int | None, bool]:
    """(version to write, whether it exists); (None, _) when the latest already has this content."""
    latest = latest_version(con, name)
    if version is not None:
        exists = (
            latest is not None
            and con.execute(
                "SELECT 1 FROM dataset WHERE name = ? AND version = ?", [name, version]
            ).fetchone()
        )
        return version, bool(exists)
    if latest is not None:
        same = db.scalar(
            con, "SELECT sha256 FROM dataset WHERE name = ? AND version = ?", [name, latest]
        )
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
        raise AssertionError("unreachable")
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
    latest = latest_version(con, ref)
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
        writes.audit(
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
        writes.audit(con, actor, "freeze", "dataset", dataset_id, after={"sha256": info["sha256"]})
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
