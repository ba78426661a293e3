"""Runner benchmark: 1,000 items against the fake Bedrock runtime (50 ms to the first token,
200 ms in all) at concurrency 16, through a real boto3 client and the real eventstream.

The ideal wall time is 1,000 × 0.2 s / 16 = 12.5 s; the figure is the ratio to it. TTFT
is compared with the server's 50 ms at the median. Medians of ``--repeats``.

    python bench/runner.py [--repeats 3] [--items 1000] [--concurrency 16]
    python bench/runner.py --smoke     # 20 items at concurrency 4, once (CI)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")  # the fake does not check signatures
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")

import duckdb  # noqa: E402

from bench.smoke import check  # noqa: E402
from core import demo  # noqa: E402
from core.llm import runner  # noqa: E402
from core.store import db  # noqa: E402
from tests.fake_bedrock import Behaviour, FakeBedrock  # noqa: E402

TTFT_S, TOTAL_S = 0.05, 0.2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--smoke", action="store_true", help="20 items, once (for CI)")
    args = parser.parse_args()
    if args.smoke:
        args.repeats, args.items, args.concurrency = 1, 20, 4
    con = db.connect(":memory:")
    demo.install(con, 20261126, n_items=args.items)
    dataset_id = con.execute("SELECT dataset_id FROM dataset").fetchone()[0]
    fake = FakeBedrock(Behaviour(ttft_s=TTFT_S, total_s=TOTAL_S))
    ideal = args.items * TOTAL_S / args.concurrency
    walls, ttfts, latencies = [], [], []
    try:
        for _ in range(args.repeats):
            config = runner.ModelConfig(
                "amazon.nova-pro-v1:0", endpoint_url=fake.url, concurrency=args.concurrency
            )
            run_id = runner.create(con, dataset_id, config, actor="bench")
            start = time.perf_counter()
            result = runner.execute(con, run_id, config)
            walls.append(time.perf_counter() - start)
            assert result.done == args.items, result.summary()
            ttft, latency = con.execute(
                "SELECT median(ttft_ms), median(latency_ms) FROM output WHERE run_id = ?",
                [run_id],
            ).fetchone()
            ttfts.append(ttft)
            latencies.append(latency)
    finally:
        fake.stop()
    wall = statistics.median(walls)
    result = {
        "items": args.items,
        "concurrency": args.concurrency,
        "ideal_s": ideal,
        "wall_median_s": round(wall, 2),
        "wall_all_s": [round(w, 2) for w in walls],
        "ratio_to_ideal": round(wall / ideal, 3),
        "ttft_median_ms": round(statistics.median(ttfts), 1),
        "ttft_minus_server_ms": round(statistics.median(ttfts) - TTFT_S * 1000, 1),
        "latency_median_ms": round(statistics.median(latencies), 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, duckdb {duckdb.__version__}",
    }
    print(json.dumps(result, indent=2))
    if args.smoke:
        check(result, "wall_median_s", "ttft_median_ms")


if __name__ == "__main__":
    main()
