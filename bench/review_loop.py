"""Review-loop benchmark: submit -> next item rendered, server side, on a large database.

The database holds 1,000,000 outputs (two runs over 500,000 items) and 100,000 labels
(50,000 items labelled side by side), with 2,000 open items in the measured SME's queue.
Each measured step is one script run of pages/review.py under Streamlit's AppTest: the
submit callback writes the label (one DuckDB transaction) and the same run renders the next
item. The floor is the same measure for a trivial page (a title and a button) in the same
run. Medians and p95 over ``--steps`` steps (default 300) are printed as JSON.

    python bench/review_loop.py [--steps 300]
    python bench/review_loop.py --smoke     # 2,000 items, 20 steps, in a temporary folder (CI)
    python bench/review_loop.py --postgres postgresql://.../empty_db   # the same on PostgreSQL
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

import duckdb  # noqa: E402

from bench.smoke import check  # noqa: E402
from core.catalog import users  # noqa: E402
from core.catalog.datasets import stored_hash  # noqa: E402
from core.store import db  # noqa: E402

ITEMS = 500_000
LABELLED = 50_000
QUEUE = 2_000
SMOKE = (2_000, 200, 40)  # items, labelled, queue
TRIVIAL = """
import streamlit as st
st.title("Trivial")
st.button("Submit", key="trivial.submit")
"""


def build(path: Path, items: int = ITEMS, labelled: int = LABELLED, queue: int = QUEUE) -> None:
    """A database of the benchmark's size, written with bulk SQL (not timed)."""
    con = db.connect(str(path))
    users.seed(con, users.load_config(users.EXAMPLE_FILE))
    con.execute(
        "INSERT INTO dataset VALUES ('big@1', 'big', 1, 'n/a', ?, NULL, false,"
        " current_timestamp, 'bench', current_timestamp, 'bench')",
        [items],
    )
    con.execute(
        "INSERT INTO item (dataset_id, item_id, prompt, context, ground_truth, stratum)"
        " SELECT 'big@1', 'it-' || lpad(i::VARCHAR, 6, '0'),"
        " 'What was revenue in fiscal ' || (2000 + i % 25) || ' for company ' || i || '?',"
        " repeat('Context passage about the filing. ', 20), 'Revenue was $' || i || 'M.',"
        " ['lookup', 'multi_hop', 'numeric'][1 + i % 3] FROM range(?) t(i)",
        [items],
    )
    con.execute("INSERT INTO model (model_id) VALUES ('source-model'), ('target-model')")
    for run_id, model in (("run-src", "source-model"), ("run-tgt", "target-model")):
        con.execute(
            "INSERT INTO run (run_id, name, dataset_id, model_id, role, origin,"
            " created_by) VALUES (?, ?, 'big@1', ?, 'source', 'bench', 'bench')",
            [run_id, run_id, model],
        )
        con.execute(
            "INSERT INTO output (run_id, item_id, text, ttft_ms, latency_ms, input_tokens,"
            " output_tokens) SELECT ?, 'it-' || lpad(i::VARCHAR, 6, '0'),"
            " 'The filing reports revenue of $' || i || ' million. ' || md5(i::VARCHAR),"
            " 300 + i % 500, 900 + i % 2000, 1500, 120 FROM range(?) t(i)",
            [run_id, items],
        )
    con.execute(
        "INSERT INTO migration (migration_id, name, dataset_id, source_run_id,"
        " created_by) VALUES ('mig-big', 'big', 'big@1', 'run-src', 'bench')"
    )
    con.execute("INSERT INTO migration_run VALUES ('mig-big', 'run-tgt')")
    con.execute(
        "INSERT INTO sample (sample_id, migration_id, name, run_a, run_b, params, seed,"
        " created_by) VALUES ('smp-big', 'mig-big', 'big', 'run-src', 'run-tgt', '{}', 1,"
        " 'bench')"
    )
    total = labelled + queue
    con.execute(
        "INSERT INTO sample_item (sample_id, item_id, stratum, pool, stratum_size,"
        " inclusion_prob) SELECT 'smp-big', 'it-' || lpad((i * 7)::VARCHAR, 6, '0'), 'lookup',"
        " 'fail', ?, 0.1 FROM range(?) t(i)",
        [items, total],
    )
    # The labelled items belong to four other SMEs; the measured SME has `queue` open items.
    con.execute(
        "INSERT INTO assignment (sample_id, item_id, reviewer, position, status, done_at)"
        " SELECT 'smp-big', 'it-' || lpad((i * 7)::VARCHAR, 6, '0'),"
        " CASE WHEN i < ? THEN 'other' || (i % 4) ELSE 'sme1' END, i,"
        " CASE WHEN i < ? THEN 'done' ELSE 'open' END,"
        " CASE WHEN i < ? THEN current_timestamp END FROM range(?) t(i)",
        [labelled, labelled, labelled, total],
    )
    con.execute(
        "INSERT INTO label (dataset_id, item_id, run_id, pair_run_id, reviewer, score, passed,"
        " preference, shown_side, origin, sample_id)"
        " SELECT 'big@1', 'it-' || lpad((i * 7)::VARCHAR, 6, '0'), r.run_id, r.other,"
        " 'other' || (i % 4), 1 + i % 5, i % 5 > 1, 'A', r.side, 'app', 'smp-big'"
        " FROM range(?) t(i), (VALUES ('run-src', 'run-tgt', 'A'), ('run-tgt', 'run-src', 'B'))"
        " r(run_id, other, side)",
        [labelled],
    )
    # The real content hash: a copy to PostgreSQL verifies it.
    con.execute(
        "UPDATE dataset SET sha256 = ? WHERE dataset_id = 'big@1'", [stored_hash(con, "big@1")]
    )
    counts = db.row_counts(con)
    con.close()
    assert counts["output"] == 2 * items and counts["label"] == 2 * labelled, counts


def signed_in(script: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(script, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "sme1"
    at.session_state["name"] = "sme1"
    at.session_state["roles"] = ["sme"]
    return at


def measure_review(steps: int) -> list[float]:
    """Each step: the form's submit action, delivered as the browser delivers it."""
    from tests.pages.review_form import form, label, submit

    at = signed_in(str(ROOT / "pages" / "review.py")).run()
    assert not at.exception, at.exception
    times = []
    for step in range(steps):
        responses = [label("A", 1 + step % 5), label("B", 5 - step % 5)]
        start = time.perf_counter()
        submit(at, responses, "tie", nonce=str(step))
        times.append((time.perf_counter() - start) * 1000)
        assert form(at)["error"] is None, form(at)["error"]
    return times


def measure_trivial(steps: int) -> list[float]:
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(TRIVIAL)
    at = signed_in(fh.name).run()
    times = []
    for _ in range(steps):
        button = at.button(key="trivial.submit")
        start = time.perf_counter()
        button.click().run()
        times.append((time.perf_counter() - start) * 1000)
    os.unlink(fh.name)
    return times


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
        "steps": len(ordered),
    }


def measure(
    path: Path, steps: int, sizes: tuple[int, int, int], postgres: str | None = None
) -> dict:
    """The loop on the DuckDB file at ``path``, or, given ``postgres`` (an empty database's
    URL), on that database after the built file is copied there (core.store_copy)."""
    path.unlink(missing_ok=True)
    start = time.perf_counter()
    build(path, *sizes)
    built = time.perf_counter() - start
    target = str(path)
    if postgres:
        from core import store_copy

        store_copy.copy(str(path), postgres)
        target = postgres
    os.environ["SWITCHYARD_DB"] = target
    os.environ["SWITCHYARD_DEMO"] = "0"
    os.environ.setdefault("SWITCHYARD_COOKIE_KEY", "bench-" + "k" * 40)
    review = measure_review(steps)
    trivial = measure_trivial(steps)
    con = db.connect(target)
    labels = con.execute("SELECT count(*) FROM label").fetchone()[0]
    con.close()
    return {
        "backend": "postgresql" if postgres else "duckdb",
        "review_submit_to_next": summary(review[10:]),  # the first runs warm caches
        "trivial_page": summary(trivial[10:]),
        "labels_at_end": labels,
        "build_s": round(built, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, duckdb {duckdb.__version__}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--smoke", action="store_true", help="2,000 items, 20 steps (for CI)")
    parser.add_argument(
        "--postgres", metavar="URL", help="measure on this empty PostgreSQL database instead"
    )
    args = parser.parse_args()
    if args.smoke:
        with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
            result = measure(Path(tmp) / "review_loop.duckdb", 20, SMOKE, args.postgres)
        print(json.dumps(result, indent=2))
        check(result, "review_submit_to_next.median_ms", "trivial_page.median_ms")
        assert result["labels_at_end"] == 2 * (SMOKE[1] + 20), result
        return
    OUT.mkdir(parents=True, exist_ok=True)
    result = measure(
        OUT / "review_loop.duckdb", args.steps, (ITEMS, LABELLED, QUEUE), args.postgres
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
