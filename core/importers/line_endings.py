"""CSV files mixing CRLF and LF line endings: a Windows tool's file with a line appended by
``echo``. DuckDB's CSV sniffer refuses them ("Error when sniffing file"), so staging reads
such a file from a copy with LF endings."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path


def mixed(path: Path) -> bool:
    """Some lines end in CRLF and others in LF alone."""
    crlf = lf = False
    with path.open("rb") as fh:
        for line in fh:
            crlf = crlf or line.endswith(b"\r\n")
            lf = lf or (line.endswith(b"\n") and not line.endswith(b"\r\n"))
            if crlf and lf:
                return True
    return False


@contextlib.contextmanager
def lf_copy(path: Path) -> Iterator[Path]:
    """A temporary copy of ``path`` with every CRLF line ending made LF (the caller has
    checked the file-size limit), removed on exit."""
    with tempfile.TemporaryDirectory(prefix="switchyard-lf-") as folder:
        copy = Path(folder) / path.name
        with path.open("rb") as fh, copy.open("wb") as out:
            out.writelines(line[:-2] + b"\n" if line.endswith(b"\r\n") else line for line in fh)
        yield copy
