"""Where the review server's memory goes: the review page's database calls, without Streamlit.

Each step is what one submit does to the database in the app (ui.review_controls): the
label's write (labels.submit), the next slot (queue.next_slot), then the screen's reads
(queue.progress, queue.done_items, queue.load), each on a fresh cursor of one shared
connection, as ui.store.cursor() hands them out. Every ``--every`` steps it prints the
process's resident memory and DuckDB's own account (duckdb_memory(), by tag), so a growth can
be put on DuckDB's buffer pool, on cursors, or on neither.

    python bench/review_memory.py --steps 600 [--closed] [--close] [--threads]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.review_loop import build  # noqa: E402
from core.review import labels, queue  # noqa: E402
from core.review.queue import ResponseLabel  # noqa: E402
from core.store import db  # noqa: E402


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
    return round(int(kb) / 1024, 1)


def duckdb_mb(con) -> dict[str, float]:
    # On a cursor of its own: a query on ``con`` itself would close the result ``con`` may
    # hold open, which is what keeps DuckDB's transaction memory (see ui/store.py).
    probe = con.cursor()
    rows = probe.execute(
        "SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0"
    ).fetchall()
    probe.close()
    return {tag: round(used / 2**20, 1) for tag, used in rows}


def step(con, reviewer: str, close: bool) -> None:
    def cursor():
        c = con.cursor()
        opened.append(c)
        return c

    opened: list = []
    slot = queue.next_slot(cursor(), reviewer)
    assert slot is not None, "the queue ran out"
    item = queue.load(cursor(), slot.sample_id, slot.item_id, reviewer)
    answers = [ResponseLabel(r.side, 4, True) for r in item.responses]
    labels.submit(cursor(), item.sample_id, item.item_id, reviewer, answers, "tie", None)
    queue.progress(cursor(), reviewer)
    queue.done_items(cursor(), reviewer)
    if close:
        for c in opened:
            c.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--close", action="store_true", help="close each cursor after use")
    parser.add_argument("--memory-limit", help="SET memory_limit to this first")
    parser.add_argument(
        "--closed", action="store_true", help="close the connection's open result first"
    )
    parser.add_argument(
        "--threads", action="store_true", help="each step on a new thread, as Streamlit runs"
    )
    parser.add_argument("--db", type=Path, help="a database built by bench.review_loop.build")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-review-memory-") as tmp:
        path = Path(tmp) / "review.duckdb"
        if args.db:
            shutil.copy(args.db, path)
        else:
            build(path, 500_000, 50_000, args.steps + 10)
        con = db.connect(str(path))  # its setup's last result left open, as the app's was
        if args.closed:
            con.execute("SELECT 1").fetchall()  # as ui.store does since issue 16
        if args.memory_limit:
            con.cursor().execute("SET GLOBAL memory_limit = ?", [args.memory_limit])
        samples = []
        for done in range(args.steps + 1):
            if done % args.every == 0:
                sample = {"steps": done, "rss_mb": rss_mb(), "duckdb_mb": duckdb_mb(con)}
                samples.append(sample)
                print(json.dumps(sample), flush=True)
            if done < args.steps and args.threads:
                worker = threading.Thread(target=step, args=(con, "sme1", args.close))
                worker.start()
                worker.join()
            elif done < args.steps:
                step(con, "sme1", args.close)
        con.close()


if __name__ == "__main__":
    main()
