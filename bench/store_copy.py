"""Store copy benchmark: the demo database (DuckDB) copied to PostgreSQL and back, verified.

The lower bound, measured in the same run on the same rows: reading every table from DuckDB
and writing it to PostgreSQL with psycopg's COPY, nothing else (no fingerprints, no read-back,
no hash check). The figure is the ratio of `store copy` to it. Medians of ``--repeats``; the
cluster is a throwaway one on 127.0.0.1 (tests/pg_cluster.py) with fsync on.

    python bench/store_copy.py [--repeats 3] [--items 1200]
    python bench/store_copy.py --smoke     # 50 items, once (CI)
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.smoke import check  # noqa: E402
from core import demo, store_copy  # noqa: E402
from core.store import db, pg, sql  # noqa: E402
from tests import pg_cluster  # noqa: E402


def fresh_database(server: str, n: int) -> str:
    name = f"bench_{n}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(str(sql.compose("CREATE DATABASE {d}", d=sql.name(name))).encode())
    return server.rsplit("/", 1)[0] + "/" + name


def raw_copy(source: Path, url: str) -> float:
    """The floor: every table read from DuckDB and written by COPY, in one transaction."""
    con, target = db.connect(str(source)), pg.connect(url)
    start = time.perf_counter()
    try:
        for table in store_copy.tables():
            rows = con.execute(store_copy.select_all(table)).fetchall()
            with target.cursor().copy(store_copy.copy_in(table)) as out:
                for row in rows:
                    out.write_row(row)
        target.commit()
        return time.perf_counter() - start
    finally:
        con.close()
        target.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--items", type=int, default=1200)
    parser.add_argument("--smoke", action="store_true", help="50 items, once (for CI)")
    args = parser.parse_args()
    if args.smoke:
        args.repeats, args.items = 1, 50
    folder = Path(tempfile.mkdtemp(prefix="switchyard-bench-pg-"))
    server = pg_cluster.start(folder, fsync=True)
    try:
        source = folder / "demo.duckdb"
        con = db.connect(str(source))
        demo.install(con, 20261126, n_items=args.items)
        rows = sum(db.row_counts(con).values())
        con.close()
        there, back, floor = [], [], []
        for i in range(args.repeats):
            floor.append(raw_copy(source, fresh_database(server, 3 * i)))
            url = fresh_database(server, 3 * i + 1)
            start = time.perf_counter()
            store_copy.copy(str(source), url)
            there.append(time.perf_counter() - start)
            start = time.perf_counter()
            store_copy.copy(url, str(folder / f"back{i}.duckdb"))
            back.append(time.perf_counter() - start)
    finally:
        pg_cluster.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)
    result = {
        "items": args.items,
        "rows": rows,
        "repeats": args.repeats,
        "to_postgresql_s": statistics.median(there),
        "back_to_duckdb_s": statistics.median(back),
        "floor_raw_copy_s": statistics.median(floor),
        "ratio_to_floor": statistics.median(there) / statistics.median(floor),
        "rows_per_s_to_postgresql": rows / statistics.median(there),
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }
    if args.smoke:
        check(result, "to_postgresql_s", "floor_raw_copy_s")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
