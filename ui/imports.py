"""The Data page's import plumbing: where the file comes from, and running the import."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from core.errors import SwitchyardError


def source_input(key: str, kinds: list[str]) -> tuple[str | None, str | None]:
    """An uploaded file (saved to a temp path) or an s3:// URI; returns (path, label)."""
    upload = st.file_uploader("File", type=kinds, key=f"data.{key}.upload")
    uri = st.text_input(
        "…or an s3:// URI", key=f"data.{key}.uri", placeholder="s3://bucket/evaluation-job/output/"
    )
    if upload is not None:
        folder = Path(tempfile.mkdtemp(prefix="switchyard-upload-"))
        path = folder / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        return str(path), upload.name
    return (uri.strip(), uri.strip()) if uri.strip() else (None, None)


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
    bar = st.progress(0.0, "starting")
    try:
        summary, *details = action(lambda fraction, message: bar.progress(fraction, message))
    except SwitchyardError as exc:
        st.error(str(exc))
        return
    st.session_state[result] = [summary, *details]
    st.rerun()
