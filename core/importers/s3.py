"""Fetching import files from S3 with boto3's standard credential chain (the client from
``core.llm.clients``, the one place clients are built)."""

from __future__ import annotations

from pathlib import Path

from core.errors import InputError
from core.importers.staging import KINDS_BY_SUFFIX
from core.llm import clients

OUTPUT_SUFFIX = "_output.jsonl"  # what Bedrock evaluation jobs write, one per metric/dataset


def is_s3(uri: str) -> bool:
    return str(uri).startswith("s3://")


def split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise InputError(uri, "expected s3://bucket/prefix")
    return bucket, key


def fetch(uri: str, dest: Path, client=None) -> list[Path]:
    """Download one object (a key with a known suffix), or every ``*_output.jsonl`` under a
    prefix (listed, never guessed: Bedrock nests them under job, model and task folders)."""
    bucket, key = split(uri)
    client = client or clients.s3()
    try:
        if Path(key).suffix.lower() in KINDS_BY_SUFFIX and not key.endswith("/"):
            keys = [key]
        else:
            keys = []
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
                keys += [
                    o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(OUTPUT_SUFFIX)
                ]
            if not keys:
                raise InputError(
                    uri,
                    f"no *{OUTPUT_SUFFIX} files under this prefix; point at"
                    " the evaluation job's output folder or at one file",
                )
        paths = []
        base = key if key.endswith("/") or len(keys) > 1 else str(Path(key).parent) + "/"
        for name in sorted(keys):
            # Keep the layout below the prefix: it names the job and the model.
            relative = name[len(base) :] if name.startswith(base) else Path(name).name
            local = dest / (relative.lstrip("/") or Path(name).name)
            if ".." in Path(relative).parts:
                raise InputError(uri, f"refusing the key {name!r}: it leaves the prefix")
            local.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, name, str(local))
            paths.append(local)
        return paths
    except InputError:
        raise
    except Exception as exc:
        advice = clients.explain(exc)
        if advice is None:
            raise
        # A refusal carries the service's error code; anything else never got an answer.
        verb = "S3 refused" if hasattr(exc, "response") else "S3 could not be reached"
        raise InputError(uri, f"{verb}: {advice}") from None
