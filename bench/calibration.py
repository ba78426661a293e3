"""Calibration benchmark: every figure for 3 judge metrics over 100,000 SME labels.

The database holds one run over 50,000 items with 3 judge metrics, a sample of all 50,000
items (strata with inclusion probabilities) and two SME labels per item: 100,000 labels,
so 100,000 judge/SME pairs per metric. One "calibration" is what the page computes for a
run: per metric the report (weighted and unweighted figures, 1,000 bootstrap resamples for
kappa, AC1, F1, weighted kappa and rho) and the threshold sweep (1,000 resamples), plus SME
vs SME (1,000 resamples). Medians of ``--repeats`` (default 5) are printed as JSON, beside
DuckDB reading the pairs alone (the floor).

    python bench/calibration.py [--repeats 5]
    python bench/calibration.py --smoke     # 500 items (1,000 labels), once (CI)
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
from core.analysis import calibration  # noqa: E402
from core.store import db  # noqa: E402
from core.types import RESAMPLES  # noqa: E402

ITEMS = 50_000
METRICS = ("correctness", "faithfulness", "answer_relevancy")


def build(path: Path, items: int = ITEMS) -> None:
    con = db.connect(str(path))
    con.execute("SELECT setseed(0.3)")
    con.execute(
        "INSERT INTO dataset VALUES ('cal@1', 'cal', 1, 'n/a', ?, NULL, false,"
        " current_timestamp, 'bench', NULL, NULL)",
        [items],
    )
    con.execute(
        "INSERT INTO item (dataset_id, item_id, prompt, ground_truth, stratum)"
        " SELECT 'cal@1', 'it-' || i, 'Q' || i, 'A' || i,"
        " ['lookup', 'multi_hop', 'numeric', 'adversarial', 'safety'][1 + i % 5]"
        " FROM range(?) t(i)",
        [items],
    )
    con.execute("INSERT INTO model (model_id) VALUES ('m')")
    con.execute(
        "INSERT INTO run (run_id, name, dataset_id, model_id, role, origin, created_by)"
        " VALUES ('run-cal', 'cal', 'cal@1', 'm', 'source', 'bench', 'bench')"
    )
    con.execute(
        "INSERT INTO output (run_id, item_id, text) SELECT 'run-cal', 'it-' || i, 'x'"
        " FROM range(?) t(i)",
        [items],
    )
    # Hidden truth per item; the judge sees it through noise.
    con.execute(
        "CREATE TEMP TABLE truth AS SELECT 'it-' || i AS item_id, random() < 0.85"
        " AS good FROM range(?) t(i)",
        [items],
    )
    for metric in METRICS:
        con.execute(
            "INSERT INTO judge_score (run_id, item_id, metric, judge, score, threshold, passed)"
            " SELECT 'run-cal', item_id, ?, 'bench', s, 0.5, s >= 0.5 FROM (SELECT item_id,"
            " greatest(0, least(1, CASE WHEN good THEN 0.8 ELSE 0.3 END + 0.25 * (random() +"
            " random() + random() - 1.5))) AS s FROM truth)",
            [metric],
        )
    con.execute(
        "INSERT INTO migration (migration_id, name, dataset_id, source_run_id,"
        " created_by) VALUES ('mig-cal', 'cal', 'cal@1', 'run-cal', 'bench')"
    )
    con.execute(
        "INSERT INTO sample (sample_id, migration_id, name, run_a, params, seed,"
        " created_by) VALUES ('smp-cal', 'mig-cal', 'cal', 'run-cal', '{}', 1, 'b')"
    )
    con.execute(
        "INSERT INTO sample_item (sample_id, item_id, stratum, pool, stratum_size,"
        " inclusion_prob) SELECT 'smp-cal', j.item_id, i.stratum,"
        " CASE WHEN j.passed THEN 'pass' ELSE 'fail' END, 10 * count(*) OVER (PARTITION BY"
        " i.stratum, j.passed), 0.1 FROM judge_score j JOIN item i ON i.item_id = j.item_id"
        " WHERE j.metric = 'correctness'"
    )
    con.execute(
        "INSERT INTO label (dataset_id, item_id, run_id, reviewer, score, passed, origin,"
        " sample_id) SELECT 'cal@1', item_id, 'run-cal', reviewer, CASE WHEN seen THEN 4 ELSE"
        " 2 END, seen, 'synthetic', 'smp-cal' FROM (SELECT t.item_id, r.reviewer,"
        " t.good <> (random() < 0.05) AS seen FROM truth t,"
        " (VALUES ('sme-a'), ('sme-b')) r(reviewer))"
    )
    labels = con.execute("SELECT count(*) FROM label").fetchone()[0]
    con.close()
    assert labels == 2 * items, labels


def calibrate(con) -> None:
    for metric in METRICS:
        evidence = calibration.load(con, "run-cal", metric, details=False)
        calibration.calibrate(evidence)
        calibration.sweep(evidence.pairs)
    calibration.sme_agreement(con, "run-cal")


def measure(path: Path, items: int, repeats: int) -> dict:
    build(path, items)
    con = db.connect(str(path))
    floor, full = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        for metric in METRICS:
            calibration.pairs(con, "run-cal", metric, details=False)
        floor.append(time.perf_counter() - start)
        start = time.perf_counter()
        calibrate(con)
        full.append(time.perf_counter() - start)
    con.close()
    return {
        "labels": 2 * items,
        "metrics": len(METRICS),
        "resamples": RESAMPLES,
        "calibration_median_s": round(statistics.median(full), 3),
        "calibration_all_s": [round(x, 3) for x in full],
        "reading_pairs_median_s": round(statistics.median(floor), 3),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, duckdb {duckdb.__version__}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="500 items, once (for CI)")
    args = parser.parse_args()
    if args.smoke:
        with tempfile.TemporaryDirectory(prefix="bench-calibration-") as tmp:
            result = measure(Path(tmp) / "calibration.duckdb", 500, 1)
        print(json.dumps(result, indent=2))
        check(result, "calibration_median_s")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "calibration.duckdb"
    path.unlink(missing_ok=True)
    print(json.dumps(measure(path, ITEMS, args.repeats), indent=2))


if __name__ == "__main__":
    main()
