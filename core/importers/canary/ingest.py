"""Ingest canary traffic: each file behind a source, once (by content), validated, in one
transaction with its record and audit entry.

A file whose bytes were ingested before for the migration is skipped and reported. A bad
file is refused at its first bad line or row with nothing of it written; files before it in
the same folder stay ingested (each is its own unit), so running the command again after a
fix picks up where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from core.errors import InputError
from core.importers.canary import arms as arm_map
from core.importers.canary import bedrock, load, native, otlp, scores, sources
from core.importers.canary.sources import FORMATS
from core.importers.staging import drop
from core.store import db, writes_canary


@dataclass(frozen=True)
class Options:
    """How to read the logs: the format (None: detect), where the arm and stratum are."""

    fmt: str | None = None
    arm_key: str | None = None  # Bedrock requestMetadata key / OTel attribute holding the arm
    stratum_key: str = "stratum"


@dataclass(frozen=True)
class FileResult:
    source: str
    format: str
    sha256: str
    requests: int = 0
    scores: int = 0
    skipped: bool = False  # ingested before (same content)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "format": self.format,
            "sha256": self.sha256,
            "requests": self.requests,
            "scores": self.scores,
            "skipped": self.skipped,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Ingest:
    migration_id: str
    files: tuple[FileResult, ...] = field(default_factory=tuple)

    @property
    def requests(self) -> int:
        return sum(f.requests for f in self.files)

    @property
    def scores(self) -> int:
        return sum(f.scores for f in self.files)

    @property
    def skipped(self) -> int:
        return sum(f.skipped for f in self.files)

    def to_dict(self) -> dict:
        return {
            "migration_id": self.migration_id,
            "requests": self.requests,
            "scores": self.scores,
            "skipped": self.skipped,
            "files": [f.to_dict() for f in self.files],
        }


def ingest(
    con: duckdb.DuckDBPyConnection,
    source: str,
    migration_id: str,
    *,
    actor: str,
    options: Options = Options(),
    client=None,
    now: datetime | None = None,
) -> Ingest:
    """Ingest every log file behind ``source`` (a file, a folder, an s3:// key or prefix)."""
    if options.fmt is not None and options.fmt not in FORMATS:
        raise InputError(source, f"unknown format {options.fmt!r}; expected one of {FORMATS}")
    window = arm_map.window(con, migration_id, now)
    results: list[FileResult] = []
    with sources.local_files(source, client) as files:
        for path, name in files:
            try:
                results.append(_one(con, path, name, migration_id, actor, options, window))
            except InputError as exc:
                if exc.file == str(path) and name != str(path):
                    exc = exc.renamed(name)
                if results:
                    done = sum(not r.skipped for r in results)
                    raise InputError(
                        exc.file,
                        f"{exc.problem} ({done} earlier file(s) of {source} were ingested and"
                        " stay; fix this one and run again: ingested files are skipped)",
                        row=exc.row,
                        column=exc.column,
                        row_word=exc.row_word,
                    ) from None
                raise exc from None
    return Ingest(migration_id, tuple(results))


def _one(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    name: str,
    migration_id: str,
    actor: str,
    options: Options,
    window: arm_map.Window,
) -> FileResult:
    sha = sources.sha256(path)
    fmt = options.fmt or sources.detect(path, name)
    seen = con.execute(
        "SELECT source FROM canary_file WHERE migration_id = ? AND sha256 = ?", [migration_id, sha]
    ).fetchone()
    if seen:
        return FileResult(name, fmt, sha, skipped=True)
    found: pd.DataFrame | None = None
    notes: list[str] = []
    if fmt == "native":
        staged = native.stage(con, path, name)
        in_records = any(c.strip().lower() == "arm" for c in staged.columns)
        try:
            known, unstored = arm_map.planned(con, migration_id, arm_in_records=in_records)
        except InputError:
            drop(con, staged.table)
            raise
    else:
        in_records = options.arm_key is not None
        known, unstored = arm_map.planned(con, migration_id, arm_in_records=in_records)
        parse = otlp.parse if fmt == "otlp" else bedrock.parse
        parsed = parse(con, path, name, known, options.arm_key, options.stratum_key)
        staged, found, notes = parsed.staged, parsed.scores, list(parsed.notes)
    try:
        bound = load.bind(con, staged)
        notes += scores.idle_metrics(con, bound, found, name)
        load.validate(con, bound, migration_id, known, window)
        if found is not None:
            scores.validate(con, found, staged, bound, migration_id, name)
        notes += load.warnings(con, bound)
        try:
            with db.transaction(con):  # in order (see load.write), so not unordered_writes
                if unstored:
                    arm_map.store(con, migration_id, known, actor=actor)
                requests, scored = load.write(con, bound, migration_id, sha)
                if found is not None:
                    scored += scores.write(con, found, migration_id, sha)
                writes_canary.insert_file(
                    con, migration_id, sha, name, fmt, requests, scored, actor=actor
                )
        except duckdb.ConstraintException:
            load.explain_duplicate(con, bound, migration_id)  # raises, naming the rows
            raise
    finally:
        drop(con, staged.table)
    return FileResult(name, fmt, sha, requests, scored, warnings=tuple(notes))
