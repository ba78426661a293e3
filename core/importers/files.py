"""Import entry points shared by the CLI and the Data page: local paths or s3:// URIs,
format detection, staging, and the dataset and run importers."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import duckdb

from core.catalog import runs
from core.errors import InputError
from core.importers import golden, json_input, s3
from core.importers import runs as run_import
from core.importers.formats import bedrock, deepeval, ragas
from core.importers.staging import Staged, drop, kind_of, stage_file, stage_records

FORMATS = ("native", "ragas", "deepeval", "bedrock")


def detect_format(path: Path, kind: str) -> str:
    """Guess the format from the file's shape; ``--format`` overrides it."""
    if kind == "json":
        return "deepeval"
    if kind == "jsonl":
        record = json_input.first_record(path)  # None: staging reports the bad line
        return "bedrock" if isinstance(record, dict) and bedrock.looks_like(record) else "native"
    columns = _columns(path, kind)
    native = any(c.lower().startswith("score.") or c.lower() in ("item_id", "id") for c in columns)
    return "ragas" if not native and ragas.looks_like(columns) else "native"


def folder_files(folder: Path) -> list[Path]:
    """The result files in a local folder: a Bedrock job's ``*_output.jsonl`` (as
    ``aws s3 sync`` leaves them), else a DeepEval results folder's ``test_run_*.json``."""
    found = sorted(folder.rglob(f"*{s3.OUTPUT_SUFFIX}"))
    found = found or sorted(folder.glob("test_run_*.json"))
    if not found:
        raise InputError(
            str(folder),
            f"a folder holds no result files: expected a Bedrock job's *{s3.OUTPUT_SUFFIX}"
            " files or a DeepEval results folder's test_run_*.json; or name one file",
        )
    return found


def _columns(path: Path, kind: str) -> list[str]:
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            return pq.read_schema(path).names
        except Exception:  # staging gives the precise error
            return []
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        return [c.strip().strip('"') for c in fh.readline().split(",")]


Progress = Callable[[float, str], None]


def _quiet(fraction: float, message: str) -> None:
    """Default progress callback: say nothing."""


def import_dataset(
    con: duckdb.DuckDBPyConnection,
    source: str,
    name: str,
    *,
    actor: str,
    kind: str | None = None,
    label: str | None = None,
    progress: Progress = _quiet,
    **options,
) -> golden.DatasetImport:
    """Import a golden dataset file (CSV, JSONL or Parquet; local or s3://).

    ``label`` is how errors name the file (an upload's original name); ``progress`` is
    called with (fraction done, what is happening).
    """
    progress(0.05, "fetching" if s3.is_s3(source) else "reading")
    with staged_file(con, source, label, "golden", kind) as staged:
        progress(0.4, f"validating {staged.rows} rows")
        result = golden.import_staged(con, staged, name, actor=actor, **options)
    progress(1.0, "done")
    return result


def import_run(
    con: duckdb.DuckDBPyConnection,
    source: str,
    spec: runs.RunSpec,
    *,
    actor: str,
    fmt: str | None = None,
    kind: str | None = None,
    label: str | None = None,
    progress: Progress = _quiet,
    job: str | None = None,
) -> tuple[run_import.RunImport, tuple]:
    """Import an evaluation run; returns the import and the converter's notes."""
    progress(0.05, "fetching" if s3.is_s3(source) else "reading")
    if fmt is not None and fmt not in FORMATS:
        raise InputError(source, f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    with local_files(source, label) as paths:
        first_kind = kind_of(paths[0], kind)
        fmt = fmt or detect_format(paths[0], first_kind)
        if len(paths) > 1 and fmt == "deepeval":
            names = ", ".join(p.name for p in paths)
            raise InputError(
                source,
                f"holds {len(paths)} DeepEval test runs ({names}); one run is one file:"
                " name the one to import",
            )
        if len(paths) > 1 and fmt != "bedrock":
            raise InputError(
                source, f"found {len(paths)} files; only Bedrock job output spans several files"
            )
        notes: tuple = ()
        if fmt == "native":
            staged = stage_file(con, paths[0], first_kind)
        else:
            if fmt == "ragas":
                converted = _ragas(paths[0], first_kind)
            elif fmt == "deepeval":
                converted = deepeval.convert(paths[0])
            else:
                converted = bedrock.convert(
                    paths, spec.model_id, root=paths.root, job=job, source=label or source
                )
            notes = converted.notes
            spec = _with(spec, converted)
            staged = stage_records(con, converted.records, label or source, converted.row_word)
        staged = relabel(staged, source, label)
        progress(0.4, f"validating {staged.rows} rows ({fmt} format)")
        try:
            result = run_import.import_staged(con, staged, _origin(spec, fmt), actor)
        finally:
            drop(con, staged.table)
    progress(1.0, "done")
    return result, notes


def _ragas(path: Path, kind: str):
    """A Ragas table through pandas, whose parsers' errors are the file's fault."""
    import pandas as pd
    import pyarrow as pa

    try:
        return ragas.convert(path, kind)
    except (pd.errors.ParserError, pa.ArrowException, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            str(path), f"cannot be read as a Ragas {kind.upper()} table ({first})"
        ) from None


def _with(spec: runs.RunSpec, converted) -> runs.RunSpec:
    judge = spec.judge if spec.judge != "imported" else converted.judge
    return replace(spec, model_id=spec.model_id or converted.model_id, judge=judge)


def _origin(spec: runs.RunSpec, fmt: str) -> runs.RunSpec:
    return replace(spec, origin=fmt) if spec.origin == "native" else spec


def relabel(staged, source: str, label: str | None):
    """Errors name what the user gave (an upload's name, the s3:// URI), not a temp copy."""
    if label:
        return replace(staged, file=label)
    if s3.is_s3(source):
        return replace(staged, file=source)
    return staged


class Paths(list):
    """Local files, and the folder they were found under (a Bedrock job layout is read
    relative to it)."""

    def __init__(self, paths: list[Path], root: Path) -> None:
        super().__init__(paths)
        self.root = root


class local_files:
    """Context manager: local paths for a source (a file, a folder of result files, or an
    s3:// key or prefix, downloaded to a temp dir keeping the keys' layout)."""

    def __init__(self, source: str, label: str | None = None, client=None) -> None:
        self.source = str(source)
        self.label = label or (self.source if s3.is_s3(self.source) else None)
        self.client = client
        self.tmp: tempfile.TemporaryDirectory | None = None
        self.paths = Paths([], Path("."))

    def __enter__(self) -> Paths:
        if not s3.is_s3(self.source):
            path = Path(self.source)
            if not path.exists():  # before the suffix is read: say what is wrong
                raise InputError(self.source, "no such file or folder")
            if path.is_dir():
                self.paths = Paths(folder_files(path), path)
            else:
                self.paths = Paths([path], path.parent)
            return self.paths
        self.tmp = tempfile.TemporaryDirectory(prefix="switchyard-s3-")
        root = Path(self.tmp.name)
        self.paths = Paths(s3.fetch(self.source, root, self.client), root)
        return self.paths

    def __exit__(self, kind, exc, tb) -> None:
        if self.tmp is not None:
            self.tmp.cleanup()
        damaged = _damaged(exc, self.paths) if isinstance(exc, duckdb.Error) else None
        exc = damaged or exc
        # Errors about a temp copy name what the user gave: the upload's name or the URI.
        if (
            isinstance(exc, InputError)
            and self.label
            and exc.file != self.label
            and (self.tmp is not None or exc.file == self.source)
        ):
            name = self.label
            if self.tmp is not None and exc.file.startswith(self.tmp.name):
                name = f"{self.label} ({Path(exc.file).relative_to(self.tmp.name)})"
            raise exc.renamed(name) from None
        if damaged:
            raise damaged from None


def _damaged(exc: duckdb.Error, paths: list[Path]) -> InputError | None:
    """DuckDB reads Parquet lazily, so a damaged data page surfaces in whichever query reads
    it first: name the file instead of showing DuckDB's error from deep in an import."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # Thrift's page decoder does not say which file; a query of ours that is wrong raises a
    # binder, catalog or parser error instead.
    reading = type(exc) in (duckdb.Error, duckdb.InvalidInputException, duckdb.IOException)
    for path in paths:
        parquet = Path(path).suffix.lower() in (".parquet", ".pq")
        if str(path) in first or (parquet and reading and len(paths) == 1):
            detail = first.split(f'"{path}":', 1)[-1].replace(str(path), "the file").strip()
            return InputError(
                str(path),
                f"cannot be read ({detail}); the file is damaged or truncated: export it again",
            )
    return None


@contextlib.contextmanager
def one_file(source: str, label: str | None, what: str) -> Iterator[Path]:
    """The single local file behind ``source`` (an s3:// key is downloaded first)."""
    with local_files(source, label) as paths:
        if len(paths) != 1:
            raise InputError(source, f"expected one {what} file, found {len(paths)}")
        yield paths[0]


@contextlib.contextmanager
def staged_file(
    con: duckdb.DuckDBPyConnection, source: str, label: str | None, what: str, kind=None
) -> Iterator[Staged]:
    """``source`` staged in a temp table (named as the user gave it), dropped afterwards."""
    with one_file(source, label, what) as path:
        staged = relabel(stage_file(con, path, kind_of(path, kind)), source, label)
        try:
            yield staged
        finally:
            drop(con, staged.table)
