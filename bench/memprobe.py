"""``streamlit run`` in this process, with a memory probe the benchmark triggers by SIGUSR1.

Each SIGUSR1 appends one JSON line to $MEMPROBE_OUT: resident memory, Python's traced memory
and the source lines whose allocations grew most since the first sample (tracemalloc, when
$MEMPROBE_TRACE is a frame count), the object types whose count grew most (gc.get_objects,
no collection, so the probe does not free what it measures), and per Streamlit session the
number of session-state keys, widgets and fragments held. Used by
``bench/review_browser.py --probe FILE``.

    MEMPROBE_OUT=probe.jsonl python bench/memprobe.py run serve.py --server.port 8600
"""

from __future__ import annotations

import collections
import ctypes
import gc
import json
import os
import signal
import sys
import tracemalloc
from pathlib import Path

OUT = Path(os.environ.get("MEMPROBE_OUT", "memprobe.jsonl"))
FRAMES = int(os.environ.get("MEMPROBE_TRACE", "0"))
_first: dict = {}


def _rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
    return round(int(kb) / 1024, 1)


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _malloc_mb() -> dict[str, float]:
    """glibc's heap: bytes handed out (in use, mmapped) and held free; a growth of free
    bytes is fragmentation, of used bytes an allocation nobody frees."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    return {
        "in_use": round(info.uordblks / 2**20, 1),
        "mmapped": round(info.hblkhd / 2**20, 1),
        "free": round(info.fordblks / 2**20, 1),
        "arena": round(info.arena / 2**20, 1),
    }


def _pymalloc() -> dict[str, int]:
    """Python's small-object allocator: arenas held and bytes in live blocks (its report goes
    to the C stderr, so it is caught through a file)."""
    import tempfile

    with tempfile.TemporaryFile() as fh:
        saved = os.dup(2)
        os.dup2(fh.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        fh.seek(0)
        text = fh.read().decode(errors="replace")
    found = {}
    for line in text.splitlines():
        for name in ("# arenas allocated current", "# bytes in allocated blocks"):
            if line.startswith(name):
                found[name[2:]] = int(line.split("=")[1].replace(",", ""))
    return found


def _anon_rss_mb() -> dict[str, float]:
    """Resident anonymous memory by the size of its mapping (pymalloc's arenas are 1 MiB,
    the heap is [heap], native allocators map their own larger regions)."""
    sizes: collections.Counter = collections.Counter()
    size = name = None
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
            start, end = (int(x, 16) for x in head[0].split("-"))
            size, name = end - start, (head[5] if len(head) > 5 else "")
        elif head[0] == "Rss:" and (name == "" or name == "[heap]"):
            key = "[heap]" if name else f"{size // 1024} KiB maps"
            sizes[key] += int(head[1])
    top = {k: round(v / 1024, 1) for k, v in sizes.most_common(8)}
    return {"all": round(sum(sizes.values()) / 1024, 1), **top}


def _duckdb() -> dict:
    """The DuckDB connections alive (the app's and its cursors, found through whatever refers
    to them) and DuckDB's own account of its memory; $MEMPROBE_SQL runs once first."""
    import duckdb

    found = {}
    for holder in gc.get_objects():
        for o in gc.get_referents(holder):
            if type(o) is duckdb.DuckDBPyConnection:
                found[id(o)] = o
    entry: dict = {"connections": len(found)}
    for con in found.values():
        try:
            cur = con.cursor()
        except duckdb.Error:
            continue
        try:
            if os.environ.get("MEMPROBE_SQL") and "sql_done" not in _first:
                cur.execute(os.environ["MEMPROBE_SQL"])
                _first["sql_done"] = True
            rows = cur.execute(
                "SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0"
            ).fetchall()
            entry["memory_mb"] = {tag: round(used / 2**20, 1) for tag, used in rows}
            # DuckDB's own count: cursors alive in C++ too (this probe's one included)
            entry["connection_count"] = cur.execute(
                "SELECT * FROM duckdb_connection_count()"
            ).fetchone()[0]
        finally:
            cur.close()
        break
    return entry


def _types() -> collections.Counter:
    return collections.Counter(type(o).__qualname__ for o in gc.get_objects())


def _sessions() -> list[dict]:
    from streamlit.runtime import Runtime

    found = []
    for info in Runtime.instance()._session_mgr.list_sessions():
        session = info.session
        state = session.session_state
        entry = {
            "old_state": len(state._old_state),
            "new_session_state": len(state._new_session_state),
            "new_widget_state": len(state._new_widget_state.states),
            "widget_metadata": len(state._new_widget_state.widget_metadata),
            "query_params": len(state.query_params._query_params),
        }
        storage = getattr(session._script_cache, "_scripts", None)
        entry["script_cache"] = len(storage) if storage is not None else None
        fragments = getattr(session._fragment_storage, "_fragments", None)
        entry["fragments"] = len(fragments) if fragments is not None else None
        found.append(entry)
    return found


def _sample(signum=None, frame=None) -> None:
    entry: dict = {"rss_mb": _rss_mb(), "malloc_mb": _malloc_mb(), "gc_count": gc.get_count()}
    entry["pymalloc"] = _pymalloc()
    entry["anon_rss_mb"] = _anon_rss_mb()
    try:
        entry["duckdb"] = _duckdb()
    except Exception as exc:  # the probe must not end the server
        entry["duckdb"] = repr(exc)
    types = _types()
    if "types" not in _first:
        _first["types"] = types
    grown = types - _first["types"]
    entry["objects"] = sum(types.values())
    entry["types_grown"] = grown.most_common(15)
    if FRAMES:
        snapshot = tracemalloc.take_snapshot()
        current, peak = tracemalloc.get_traced_memory()
        entry["traced_mb"] = round(current / 2**20, 1)
        entry["traced_peak_mb"] = round(peak / 2**20, 1)  # since the last sample
        tracemalloc.reset_peak()
        if "snapshot" not in _first:
            _first["snapshot"] = snapshot
        diff = snapshot.compare_to(_first["snapshot"], "traceback")
        entry["lines_grown"] = [
            {
                "kb": round(d.size_diff / 1024, 1),
                "count": d.count_diff,
                "where": [f"{f.filename}:{f.lineno}" for f in d.traceback][-FRAMES:],
            }
            for d in diff[:12]
        ]
    try:
        entry["sessions"] = _sessions()
    except Exception as exc:  # a Streamlit internal renamed: say so, keep the rest
        entry["sessions"] = repr(exc)
    with OUT.open("a") as fh:
        fh.write(json.dumps(entry) + "\n")


def main() -> None:
    if FRAMES:
        tracemalloc.start(FRAMES)
    signal.signal(signal.SIGUSR1, _sample)
    from streamlit.web import cli

    sys.argv = ["streamlit", *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
