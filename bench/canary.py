"""Canary ingest benchmark: 10,000,000 production requests of two arms, as Parquet.

Each trial runs in a fresh process on a fresh copy of a database holding the migration (its
source and target runs, prices for both models), and reports wall time and peak RSS. Lower
bounds, measured in the same run: DuckDB inserting the same Parquet with no validation
(``INSERT ... SELECT ... FROM read_parquet``) into canary_request itself, with its primary key
(migration, request id), and into a plain table of the file's shape with no key, as
bench/ingest.py measures. Both with ``preserve_insertion_order = false``, as the importer
writes. Medians of ``--trials`` trials (default 3) are printed as JSON for bench/RESULTS.md.

    python bench/canary.py [--rows 10000000] [--trials 3]
    python bench/canary.py --smoke     # 20,000 rows, one trial, in a temporary folder (CI)

After each ingest trial, ``canary status`` runs over every ingested request (stage 1 started
at the first one, so the whole file is the running stage's traffic, and judge scores on 5% of
it); the goal is under 5 s at 10,000,000. ``status_s`` is the median over trials of each
trial's median of 3 runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out" / "canary"

import duckdb  # noqa: E402

from bench.smoke import check  # noqa: E402
from core.analysis.canary import course  # noqa: E402
from core.analysis.canary import status as canary_status  # noqa: E402
from core.importers import canary  # noqa: E402
from core.store import db  # noqa: E402

MIGRATION = "mig-bench"
CONTROL = "anthropic.claude-3-5-sonnet-20241022-v2:0"
CANARY = "amazon.nova-pro-v1:0"
CREATED = "2026-10-01 00:00:00"
STATUS_REPEATS = 3  # canary status runs per trial; the median is kept

# One request every 100 ms from 2026-10-02, 5% on the canary, 1% errors without tokens,
# five strata; no prompt or response text (logs usually leave content capture off).
REQUESTS_SQL = f"""
SELECT 'req-' || i AS request_id,
       TIMESTAMP '2026-10-02 00:00:00' + to_milliseconds(i * 100) AS ts,
       CASE WHEN i % 20 = 0 THEN '{CANARY}' ELSE '{CONTROL}' END AS model_id,
       round(200 + random() * 800, 1) AS ttft_ms,
       round(800 + random() * 4000, 1) AS latency_ms,
       CASE WHEN i % 100 = 7 THEN NULL ELSE (500 + (random() * 2000)::INTEGER)::BIGINT END
         AS input_tokens,
       CASE WHEN i % 100 = 7 THEN NULL ELSE (20 + (random() * 400)::INTEGER)::BIGINT END
         AS output_tokens,
       CASE WHEN i % 100 = 7 THEN 'ThrottlingException' END AS error,
       'stratum-' || (i % 5) AS stratum
FROM range(?) t(i)
"""


def prepare(rows: int, out: Path = OUT) -> None:
    """Write the requests as Parquet, and a base database holding the migration."""
    out = out / str(rows)  # each size its own files, so sizes never mix
    out.mkdir(parents=True, exist_ok=True)
    marker = out / "ready"
    if marker.exists():
        return
    con = duckdb.connect()
    con.execute("SELECT setseed(0.42)")
    con.execute(f"CREATE TABLE requests AS {REQUESTS_SQL}", [rows])
    con.execute("COPY requests TO ? (FORMAT parquet)", [str(out / "canary.parquet")])
    con.close()
    base = out / "base.duckdb"
    base.unlink(missing_ok=True)
    con = db.connect(str(base))
    con.execute(
        "INSERT INTO dataset (dataset_id, name, version, sha256, item_count, created_by)"
        " VALUES ('bench@1', 'bench', 1, 'n/a', 0, 'bench')"
    )
    for model, run, role, price in (
        (CONTROL, "r-src", "source", 0.003),
        (CANARY, "r-tgt", "target", 0.0008),
    ):
        con.execute("INSERT INTO model (model_id) VALUES (?)", [model])
        con.execute(
            "INSERT INTO model_price (model_id, effective_date, input_per_1k, output_per_1k,"
            " recorded_by) VALUES (?, DATE '2026-01-01', ?, ?, 'bench')",
            [model, price, price * 4],
        )
        con.execute(
            "INSERT INTO run (run_id, name, dataset_id, model_id, role, origin, created_by)"
            " VALUES (?, ?, 'bench@1', ?, ?, 'bench', 'bench')",
            [run, run, model, role],
        )
    con.execute(
        "INSERT INTO migration (migration_id, name, dataset_id, source_run_id, created_at,"
        " created_by) VALUES (?, 'bench', 'bench@1', 'r-src', ?, 'bench')",
        [MIGRATION, CREATED],
    )
    con.execute("INSERT INTO migration_run VALUES (?, 'r-tgt')", [MIGRATION])
    con.close()
    marker.touch()


def status_seconds(con: duckdb.DuckDBPyConnection, migration_id: str) -> float:
    """Median seconds of ``canary status --migration ID`` (core.analysis.canary.status.status,
    the verdict recorded as the CLI does) over every ingested request, with stage 1 started at
    the first request so that the whole file is the running stage's traffic."""
    first = db.scalar(
        con, "SELECT min(ts) FROM canary_request WHERE migration_id = ?", [migration_id]
    )
    course.start_stage(con, migration_id, 1, actor="bench", at=first, override="benchmark")
    judge_sample(con, migration_id)
    times = []
    for _ in range(STATUS_REPEATS):
        start = time.perf_counter()
        canary_status.status(con, migration_id, actor="bench")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def judge_sample(con: duckdb.DuckDBPyConnection, migration_id: str) -> None:
    """Judge scores on 5% of the requests, as ``canary judge --share 0.05`` writes them, so the
    status reads verdicts as it would in production (about 15% of them failures)."""
    con.execute(
        "INSERT INTO canary_score (migration_id, request_id, metric, evaluator, score,"
        " file_sha256) SELECT migration_id, request_id, 'answer_relevancy', 'bench-judge',"
        " 0.35 + (hash(request_id) % 1000) / 1000.0, 'judge:bench' FROM canary_request"
        " WHERE migration_id = ? AND hash(request_id) % 20 = 0",
        [migration_id],
    )


def _trial(kind: str, out: Path, queue: mp.Queue) -> None:
    path = out / f"trial-{kind}.duckdb"  # out: the size's own folder
    shutil.copy(out / "base.duckdb", path)
    con = db.connect(str(path))
    parquet = str(out / "canary.parquet")
    status = None
    start = time.perf_counter()
    if kind == "bound_keyed":  # the same file into canary_request, its key, no checks
        with db.unordered_writes(con):
            con.execute(
                "INSERT INTO canary_request SELECT ?, request_id, CASE model_id WHEN ? THEN"
                " 'canary' ELSE 'control' END, ts, model_id, NULL, NULL, ttft_ms, latency_ms,"
                " input_tokens, output_tokens, NULL, error, stratum, 'n/a'"
                " FROM read_parquet(?)",
                [MIGRATION, CANARY, parquet],
            )
    elif kind == "bound_plain":  # as bench/ingest.py: a table of the file's shape, no key
        with db.unordered_writes(con):
            con.execute("CREATE TABLE raw AS SELECT * FROM read_parquet(?) LIMIT 0", [parquet])
            con.execute("INSERT INTO raw SELECT * FROM read_parquet(?)", [parquet])
    else:
        result = canary.ingest(con, parquet, MIGRATION, actor="bench")
    elapsed = time.perf_counter() - start
    if kind == "ingest":
        assert result.requests == db.scalar(con, "SELECT count(*) FROM canary_request")
        status = status_seconds(con, MIGRATION)
    con.close()
    path.unlink()
    # ru_maxrss is in KiB on Linux
    queue.put((elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, status))


def measure(kind: str, out: Path = OUT) -> tuple[float, float, float | None]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_trial, args=(kind, out, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def run_trials(rows: int, trials: int, out: Path) -> dict:
    prepare(rows, out)
    kinds = ("bound_keyed", "bound_plain", "ingest")
    times: dict[str, list[float]] = {k: [] for k in kinds}
    peaks: dict[str, list[float]] = {k: [] for k in kinds}
    statuses: list[float] = []
    for _ in range(trials):
        for kind in kinds:  # interleaved, so drift in machine load hits all alike
            seconds, peak, status = measure(kind, out / str(rows))
            times[kind].append(seconds)
            peaks[kind].append(peak)
            if status is not None:
                statuses.append(status)
    med = {k: statistics.median(v) for k, v in times.items()}
    summary = {
        "rows": rows,
        "trials": trials,
        "median_s": med,
        "all_s": times,
        "peak_rss_mib_max": {k: max(v) for k, v in peaks.items()},
        "ratio_to_bound": {
            "keyed": med["ingest"] / med["bound_keyed"],
            "plain": med["ingest"] / med["bound_plain"],
        },
        "rows_per_s": {k: rows / med[k] for k in med},
        "status_s": statistics.median(statuses) if statuses else None,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, duckdb {duckdb.__version__}",
    }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="20,000 rows, one trial (for CI)")
    args = parser.parse_args()
    if args.smoke:
        with tempfile.TemporaryDirectory(prefix="bench-canary-") as tmp:
            summary = run_trials(20_000, 1, Path(tmp))
        print(json.dumps(summary, indent=2))
        check(
            summary, "median_s.ingest", "median_s.bound_keyed", "median_s.bound_plain", "status_s"
        )
        return
    print(json.dumps(run_trials(args.rows, args.trials, OUT), indent=2))


if __name__ == "__main__":
    main()
