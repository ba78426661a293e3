"""The Data page's import plumbing: where the file comes from, and running the import.

An uploaded file is written to a private temp folder only while its import runs, and the
folder is deleted afterwards, whether the import succeeded or not.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import streamlit as st

from ui import errors

UPLOAD_PREFIX = "switchyard-upload-"


def source_input(key: str, kinds: list[str]) -> tuple[str | None, str | None]:
    """An uploaded file (the temp path it will have while imported) or an s3:// URI;
    returns (path, label)."""
    upload = st.file_uploader("File", type=kinds, key=f"data.{key}.upload")
    uri = st.text_input(
        "…or an s3:// URI", key=f"data.{key}.uri", placeholder="s3://bucket/evaluation-job/output/"
    )
    if upload is not None:
        folder = Path(tempfile.gettempdir()) / f"{UPLOAD_PREFIX}{secrets.token_hex(8)}"
        return str(folder / Path(upload.name).name), upload.name
    return (uri.strip(), uri.strip()) if uri.strip() else (None, None)


@contextlib.contextmanager
def saved_upload(path: str | Path, data: bytes) -> Iterator[Path]:
    """``data`` written at ``path`` (in a new owner-only folder) for as long as the block
    runs; the folder is deleted afterwards, however the block ends."""
    path = Path(path)
    path.parent.mkdir(mode=0o700)
    try:
        path.write_bytes(data)
        yield path
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


def run_import(submitted: bool, path: str | None, action, key: str) -> None:
    """Run the import a form asked for; ``action`` returns the lines to show.

    A successful import reruns the page, so its tables and tabs show what was imported (a
    dataset enables the run tab); its lines are shown after the rerun, under the form."""
    result = f"data.{key}.result"
    if not submitted:
        summary, *details = st.session_state.pop(result, None) or [None]
        if summary:
            st.success(summary)
            for line in details:
                st.caption(line)
        return
    if not path:
        st.error("Choose a file or enter an s3:// URI.")
        return
    upload = st.session_state.get(f"data.{key}.upload")
    bar = st.progress(0.0, "starting")
    lines: list[str] = []
    with errors.plainly("The import"), _local(path, upload):
        lines = action(lambda fraction, message: bar.progress(fraction, message))
    if not lines:
        return
    st.session_state[result] = lines
    st.rerun()


def _local(path: str, upload) -> contextlib.AbstractContextManager:
    """The upload on disk while the import runs (an s3:// URI needs nothing)."""
    if upload is not None and Path(path).parent.name.startswith(UPLOAD_PREFIX):
        return saved_upload(path, upload.getvalue())
    return contextlib.nullcontext()
