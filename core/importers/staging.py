"""Reading an input file into a temporary DuckDB table, after the checks a file needs first.

Every importer stages its input here, validates the staged rows with SQL (core.importers.checks),
then writes in one transaction. Staging reads with DuckDB's own readers so that a million
rows load in seconds; only the error paths fall back to Python to find the offending line.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from core.errors import InputError
from core.importers import file_checks, json_input, limits, line_endings
from core.store import sql
from core.store.sql import quote

FileKind = str  # "csv" | "jsonl" | "parquet" | "json"
KINDS_BY_SUFFIX = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
}
_names = itertools.count(1)


@dataclass(frozen=True)
class Staged:
    """A staged input: its temp table, the source's columns, and how to name its rows."""

    table: str
    file: str
    columns: tuple[str, ...]
    row_word: str  # "row" for CSV and Parquet (1 = first data row), "line" for JSONL
    rows: int


def kind_of(path: str | Path, declared: str | None = None) -> FileKind:
    """The file kind from a declared name or the suffix; an unknown one is an InputError."""
    if declared:
        if declared not in set(KINDS_BY_SUFFIX.values()):
            raise InputError(
                str(path),
                f"unknown file kind {declared!r}; expected one of csv, jsonl, parquet, json",
            )
        return declared
    kind = KINDS_BY_SUFFIX.get(Path(path).suffix.lower())
    if kind is None:
        raise InputError(
            str(path),
            f"unknown file kind: suffix {Path(path).suffix!r} is not one of "
            f"{', '.join(sorted(KINDS_BY_SUFFIX))}; rename the file or pass --kind"
            " (csv, jsonl, parquet, json)",
        )
    return kind


def _new_table() -> str:
    return f"stage_{next(_names)}"


def _register(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    # DuckDB 2.0 refuses register() while an earlier fetchone() left a result open;
    # a new statement closes it.
    con.execute("SELECT 1").fetchall()
    con.register(name, frame)


def stage_file(con: duckdb.DuckDBPyConnection, path: str | Path, kind: FileKind) -> Staged:
    """Load a CSV, JSONL or Parquet file into a temp table with a 1-based ``_row`` column.

    CSV columns stay text (validated and cast later); Parquet keeps its types (read in
    place); JSONL gets typed columns, or JSON columns where types must be checked.
    """
    path = Path(path)
    file = str(path)
    table = _new_table()
    # The full UTF-8 and truncation scan runs only when DuckDB's reader fails (it checks
    # both itself), to say precisely where; a good file is read once.
    if not path.exists():
        raise InputError(file, "no such file")
    elif path.stat().st_size == 0:
        expected = "a Parquet file" if kind == "parquet" else "a header or records"
        raise InputError(file, f"the file is empty; expected {expected}")
    if kind == "parquet":
        limits.check_parquet(path)  # from its footer: a few KB can expand to gigabytes
    else:
        limits.check_file_size(path)
    if kind == "jsonl":
        limits.check_json_depth(path, kind)
    try:
        if kind == "csv":
            _stage_csv(con, table, path)
        elif kind == "parquet":
            # A view, not a copy: Parquet is columnar, so each check reads only its columns
            # and the final INSERT reads the file once, as DuckDB's own load would.
            # A view's definition cannot be prepared, so the path is a constant (a literal).
            view = sql.compose(
                "CREATE TEMP VIEW {table} AS SELECT * EXCLUDE (file_row_number),"
                " file_row_number + 1 AS _row FROM read_parquet({path}, file_row_number = true)",
                table=sql.name(table),
                path=sql.constant(file),
            )
            con.execute(view.text)
        elif kind == "jsonl":
            return _stage_jsonl(con, table, file)
        else:
            raise InputError(file, f"a {kind} file cannot be staged as a table")
    except duckdb.Error as exc:
        file_checks.explain_read_error(path, kind, exc)
    staged = _finish(con, table, file, "row")
    if kind == "csv" and len(staged.columns) == 1 and "," in staged.columns[0]:
        drop(con, table)
        file_checks.explain_ragged_csv(path)
    return staged


def _stage_csv(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    """Read a CSV as text; one mixing CRLF and LF endings (a Windows tool's file with a line
    appended by echo), which DuckDB's sniffer refuses, from a copy with LF endings."""
    for attempt in (1, 2):
        with line_endings.lf_copy(path) if attempt == 2 else contextlib.nullcontext(path) as read:
            try:
                con.execute(
                    f"CREATE TEMP TABLE {table} AS SELECT row_number() OVER () AS _row, *"  # noqa: S608 - generated temp table names; values bound
                    " FROM read_csv(?, all_varchar = true, header = true, auto_detect = true,"
                    # skip = 0: else the sniffer may take a later, longer line as the header
                    # and silently drop every row above it
                    " skip = 0, max_line_size = ?)",
                    [str(read), file_checks.row_bytes(read)],
                )
                return
            except duckdb.Error:
                if attempt == 2 or not line_endings.mixed(path):
                    raise


@contextlib.contextmanager
def _without_bom(path: Path) -> Iterator[Path]:
    """The file itself, or a copy without its byte-order mark (DuckDB's JSON reader refuses
    one; Windows tools write one)."""
    with path.open("rb") as fh:
        if fh.read(len(file_checks.BOM)) != file_checks.BOM:
            yield path
            return
        with tempfile.TemporaryDirectory(prefix="switchyard-bom-") as folder:
            copy = Path(folder) / path.name
            with copy.open("wb") as out:
                shutil.copyfileobj(fh, out)
            yield copy


def _stage_jsonl(con: duckdb.DuckDBPyConnection, table: str, file: str) -> Staged:
    with _without_bom(Path(file)) as readable:
        return _stage_jsonl_read(con, table, file, str(readable))


def _stage_jsonl_read(con: duckdb.DuckDBPyConnection, table: str, file: str, read: str) -> Staged:
    """JSONL into typed columns with DuckDB's reader, checked for what it hides.

    The typed reader infers columns from a sample of the first lines: it would drop a key
    that first appears later, and turn an object into text in a column the sample saw as
    text. So the file's full key set is compared with the columns, and text columns are
    scanned for values that start like JSON; either finding sends the file down the exact
    (slower) path, where every value's JSON type is checked.
    """
    size = file_checks.row_bytes(Path(read))
    try:
        con.execute(
            f"CREATE TEMP TABLE {table} AS SELECT row_number() OVER () AS _row, *"  # noqa: S608 - generated temp table names; values bound
            " FROM read_json(?, format = 'newline_delimited', records = true,"
            " maximum_object_size = ?)",
            [read, size],
        )
    except duckdb.Error:
        drop(con, table)
        return _stage_jsonl_exact(con, table, file, read)
    described = con.execute(f"DESCRIBE {table}").fetchall()
    columns = {name for name, *_ in described}
    keys = {
        k
        for (k,) in con.execute(
            "SELECT DISTINCT unnest(json_keys(json))"
            " FROM read_ndjson_objects(?, maximum_object_size = ?)",
            [read, size],
        ).fetchall()
    }
    texts = [name for name, kind, *_ in described if kind == "VARCHAR"]
    looks_like_json = (
        texts
        and con.execute(
            f"SELECT bool_or({' OR '.join(_jsonish(c) for c in texts)}) FROM {table}"  # noqa: S608 - generated table, quote()d columns
        ).fetchall()[0][0]
    )
    if keys - columns or looks_like_json:
        drop(con, table)
        return _stage_jsonl_exact(con, table, file, read)
    return _finish(con, table, file, "line")


def _jsonish(column: str) -> str:
    """Text that may have been a JSON object or list before the reader made it text."""
    return f"left(ltrim({quote(column)}), 1) IN ('{{', '[')"


def _stage_jsonl_exact(
    con: duckdb.DuckDBPyConnection, table: str, file: str, read: str | None = None
) -> Staged:
    """JSONL into one JSON-typed column per key found anywhere in the file, so that each
    value's JSON type can be checked and named by line. Slower than the typed path."""
    objects = f"{table}_objects"
    read = read or file
    con.execute(
        f"CREATE TEMP TABLE {objects} AS SELECT row_number() OVER () AS _row, json"  # noqa: S608 - generated temp table names; values bound
        " FROM read_ndjson_objects(?, maximum_object_size = ?)",
        [read, file_checks.row_bytes(Path(read))],
    )
    return _split_objects(con, objects, table, file, "line")


def _split_objects(con, objects: str, table: str, file: str, row_word: str) -> Staged:
    """Turn a table of (_row, json object) into one JSON column per key, then drop it."""
    try:
        not_object = con.execute(
            f"SELECT min(_row) FROM {objects} WHERE json_type(json) <> 'OBJECT'"  # noqa: S608 - generated temp table names; values bound
        ).fetchall()[0][0]
        if not_object is not None:
            raise InputError(
                file,
                f"expected a JSON object on each {row_word}",
                row=not_object,
                row_word=row_word,
            )
        repeated = con.execute(
            sql.compose(
                "SELECT _row, list_filter(keys, lambda k, i: list_position(keys, k) < i)[1]"
                " FROM (SELECT _row, json_keys(json) AS keys FROM {objects})"
                " WHERE len(keys) > len(list_distinct(keys)) ORDER BY _row LIMIT 1",
                objects=sql.name(objects),
            ).text
        ).fetchone()
        if repeated is not None:
            raise InputError(
                file,
                f"duplicate key {repeated[1]!r} in one JSON object; each key may appear once"
                " (a JSON reader would silently keep only one of the values)",
                row=repeated[0],
                row_word=row_word,
            )
        distinct_keys = sql.compose(
            "SELECT DISTINCT unnest(json_keys(json)) AS k FROM {objects} ORDER BY k",
            objects=sql.name(objects),
        )
        keys = [k for (k,) in con.execute(distinct_keys.text).fetchall()]
        if not keys:
            raise InputError(file, "no record holds any field")
        structure = json.dumps(dict.fromkeys(keys, "JSON"))
        create = sql.compose(
            "CREATE TEMP TABLE {table} AS SELECT _row, unnest(json_transform(json, ?))"
            " FROM {objects}",
            table=sql.name(table),
            objects=sql.name(objects),
        )
        con.execute(create.text, [structure])
    finally:
        drop(con, objects)
    return _finish(con, table, file, row_word)


def stage_frame(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, file: str, row_word: str = "row"
) -> Staged:
    """Stage an in-memory table (a converted Ragas/DeepEval/Bedrock file, or the demo).

    ``frame`` may carry its own ``_row`` (e.g. the source line of each record).
    """
    table = _new_table()
    if "_row" not in frame.columns:
        frame = frame.assign(_row=range(1, len(frame) + 1))
    _register(con, f"{table}_frame", frame)
    try:
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {table}_frame")  # noqa: S608 - generated temp table names; values bound
    finally:
        con.unregister(f"{table}_frame")
    return _finish(con, table, file, row_word)


def stage_records(
    con: duckdb.DuckDBPyConnection, records: list[dict], file: str, row_word: str = "row"
) -> Staged:
    """Stage converted records (Ragas/DeepEval/Bedrock) as JSON columns, so that the same
    JSON-type checks as for JSONL apply. Each record may carry its source ``_row``."""
    rows = [r.get("_row", i) for i, r in enumerate(records, start=1)]
    texts = []
    for row, record in zip(rows, records, strict=True):
        plain = {k: _plain(v) for k, v in record.items() if k != "_row"}
        broken = next((k for k, v in plain.items() if not json_input.encodable(v)), None)
        if broken is not None:
            raise InputError(
                file,
                json_input.SURROGATE_PROBLEM,
                row=row,
                column=broken,
                row_word=row_word,
            )
        try:
            texts.append(json.dumps(plain, allow_nan=False))
        except ValueError:
            # Infinity (JSON allows it in Python's reader): say where, not json's words.
            column = next(k for k, v in plain.items() if not _finite(v))
            raise InputError(
                file,
                "expected a finite number, got infinity",
                row=row,
                column=column,
                row_word=row_word,
            ) from None
    frame = pd.DataFrame({"_row": rows, "json": texts})
    table = _new_table()
    objects = f"{table}_objects"
    _register(con, f"{table}_frame", frame)
    try:
        con.execute(
            sql.compose(
                "CREATE TEMP TABLE {objects} AS SELECT CAST(_row AS BIGINT) AS _row,"
                " CAST(json AS JSON) AS json FROM {frame}",
                objects=sql.name(objects),
                frame=sql.name(f"{table}_frame"),
            ).text
        )
    finally:
        con.unregister(f"{table}_frame")
    if not records:
        drop(con, objects)
        raise InputError(file, "the file has no records")
    return _split_objects(con, objects, table, file, row_word)


def _plain(value: object) -> object:
    """numpy scalars and arrays to Python; NaN to None (JSON has no NaN)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _finite(value: object) -> bool:
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list | tuple):
        return all(_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    return True


def _finish(con, table: str, file: str, row_word: str) -> Staged:
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - generated temp table names; values bound
    if rows == 0:
        drop(con, table)
        raise InputError(file, "the file has no data rows")
    columns = tuple(
        c for c in (r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()) if c != "_row"
    )
    return Staged(table, file, columns, row_word, rows)


def drop(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop a staged table or view, and the helper views and tables importers named after it
    (``<table>_items``, ``<table>_matched``)."""
    is_view = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND temporary", [table]
    ).fetchall()[0][0]
    for kind, catalog in (("VIEW", "duckdb_views()"), ("TABLE", "duckdb_tables()")):
        column = "view_name" if kind == "VIEW" else "table_name"
        helpers = con.execute(
            f"SELECT {column} FROM {catalog} WHERE temporary AND starts_with({column}, ?)"  # noqa: S608 - names from code
            f" ORDER BY {column} DESC",
            [f"{table}_"],
        ).fetchall()
        for (helper,) in helpers:
            con.execute(f"DROP {kind} IF EXISTS {quote(helper)}")
    con.execute(f"DROP {'VIEW' if is_view else 'TABLE'} IF EXISTS {table}")
