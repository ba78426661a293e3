"""Where canary traffic comes from: a file, a folder, or an s3:// prefix of log files; how
each file is told apart (OTLP JSON lines, Bedrock invocation logs, the native table), and
its lines read strictly, gzip included.

Bedrock writes its invocation logs to S3 as gzipped JSON lines under
``AWSLogs/<account>/BedrockModelInvocationLogs/<region>/yyyy/mm/dd/hh/*.json.gz``; a folder
or prefix is listed recursively and read in key order (which is time order there).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from core.errors import InputError
from core.importers import json_input, limits, s3
from core.llm import clients

FORMATS = ("otlp", "bedrock", "native")
# The files a folder or prefix may hold; anything else there (a manifest, a README) is ignored.
SUFFIXES = (".json.gz", ".jsonl.gz", ".json", ".jsonl", ".ndjson", ".csv", ".parquet", ".pq")
GZIP_MAGIC = b"\x1f\x8b"


def is_log_file(name: str) -> bool:
    return name.lower().endswith(SUFFIXES)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def gzipped(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == GZIP_MAGIC


@contextlib.contextmanager
def local_files(source: str, client=None) -> Iterator[list[tuple[Path, str]]]:
    """(local path, name to show) for each file behind ``source``, in name order."""
    if not s3.is_s3(source):
        path = Path(source)
        if not path.exists():
            raise InputError(source, "no such file or folder")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and is_log_file(p.name))
            if not found:
                raise InputError(
                    source,
                    "the folder holds no log files (expected "
                    + ", ".join(f"*{s}" for s in SUFFIXES)
                    + ")",
                )
            yield [(p, str(p)) for p in found]
        else:
            yield [(path, source)]
        return
    with tempfile.TemporaryDirectory(prefix="switchyard-canary-") as folder:
        yield _download(source, Path(folder), client)


def _download(uri: str, dest: Path, client=None) -> list[tuple[Path, str]]:
    """Every log file under an s3:// key or prefix, listed (never guessed), downloaded."""
    bucket, key = s3.split(uri)
    client = client or clients.s3()
    try:
        keys = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
            keys += [o["Key"] for o in page.get("Contents", []) if is_log_file(o["Key"])]
        if not keys:
            raise InputError(
                uri,
                "no log files under this prefix (expected Bedrock's *.json.gz, OTLP *.jsonl,"
                " or a .csv/.jsonl/.parquet table); check the bucket and prefix",
            )
        found = []
        for number, name in enumerate(sorted(keys)):
            # Numbered local names: keys may repeat a base name in other hour folders.
            local = dest / f"{number:06d}-{Path(name).name}"
            client.download_file(bucket, name, str(local))
            found.append((local, f"s3://{bucket}/{name}"))
        return found
    except InputError:
        raise
    except Exception as exc:
        advice = clients.explain(exc)
        if advice is None:
            raise
        verb = "S3 refused" if hasattr(exc, "response") else "S3 could not be reached"
        raise InputError(uri, f"{verb}: {advice}") from None


def detect(path: Path, file: str) -> str:
    """'otlp', 'bedrock' or 'native' from the file's content (its first record)."""
    suffix = path.name.lower()
    if suffix.endswith((".csv", ".parquet", ".pq")):
        return "native"
    for _, record in json_lines(path, file):
        if isinstance(record, dict):
            if "resourceSpans" in record or "resourceLogs" in record:
                return "otlp"
            if record.get("schemaType") == "ModelInvocationLog":
                return "bedrock"
        return "native"
    raise InputError(file, "the file has no records")


def json_lines(path: Path, file: str) -> Iterator[tuple[int, object]]:
    """(line number, parsed JSON) for each non-blank line, gzip or not: duplicate keys, deep
    nesting and bad JSON refused with the line; a gzip stream cut short says where it ends."""
    cap = limits.current().file_bytes
    opener = gzip.open if gzipped(path) else open
    line_no, read = 0, 0
    with opener(path, "rb") as fh:
        while True:
            try:
                raw = fh.readline()
            except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
                raise InputError(
                    file,
                    f"the gzip stream is cut short or damaged ({exc}) after line {line_no};"
                    " the upload or download stopped early: fetch the file again",
                    row=line_no + 1,
                    row_word="line",
                ) from None
            if not raw:
                return
            line_no += 1
            read += len(raw)
            if read > cap:
                raise InputError(
                    file,
                    f"the file holds more than the {limits.size(cap)} limit per file"
                    f" (uncompressed); split it, or raise {limits.env('max_file_mb')}",
                    row=line_no,
                    row_word="line",
                )
            if raw.strip():
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise InputError(
                        file,
                        f"not UTF-8 text (byte {exc.start + 1}); save the file as UTF-8",
                        row=line_no,
                        row_word="line",
                    ) from None
                yield line_no, json_input.loads(text, file, row=line_no)
