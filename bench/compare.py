"""Comparison and sign-off benchmark: a 2,000-item and a 1,000,000-item migration.

Each database holds a frozen dataset, a source and a target run (outputs with TTFT,
latency, tokens and per-call timings; two judge metrics), a 10%/2% SME sample with two
labels per sampled item on each run, prices and the default stakeholders. One sign-off is
``signoff.evaluate``: every criterion with its intervals (paired bootstrap of 1,000
resamples, the bag of little bootstraps above 50,000 items), the SME-corrected estimates,
judge trust (κ with its bootstrap), the approvals and the canary plan. The floor is DuckDB
reading the rows the comparison needs (both runs' outputs and judge scores) into numpy.
Medians of ``--repeats``.

    python bench/compare.py [--repeats 5] [--sizes 2000 1000000]
    python bench/compare.py --smoke     # 300 items, once, in a temporary folder (CI)
    python bench/compare.py --sizes 1000000 --postgres postgresql://.../empty_db  # both backends
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
from core.analysis import signoff  # noqa: E402
from core.catalog import datasets, migrations, models  # noqa: E402
from core.store import db  # noqa: E402

METRICS = ("correctness", "faithfulness")
NORMAL = "sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())"  # Box-Muller


def build(path: Path, size: int) -> str:
    con = db.connect(str(path))
    con.execute("SELECT setseed(0.42)")
    models.load_price_file(con, "bench")
    con.execute(
        "INSERT INTO dataset (dataset_id, name, version, sha256, item_count, created_by)"
        " VALUES ('cmp@1', 'cmp', 1, 'n/a', ?, 'bench')",
        [size],
    )
    con.execute(
        "INSERT INTO item (dataset_id, item_id, prompt, ground_truth, stratum, split, tags)"
        " SELECT 'cmp@1', 'it-' || i, 'Q' || i, 'A' || i, s,"
        " CASE WHEN random() < 0.25 THEN 'holdout' ELSE 'dev' END,"
        " CASE WHEN s = 'safety' THEN ['safety'] ELSE [] END FROM (SELECT i,"
        " ['lookup', 'multi_hop', 'numeric', 'adversarial', 'safety'][1 + i % 5] AS s"
        " FROM range(?) t(i))",
        [size],
    )
    con.execute(
        "UPDATE dataset SET sha256 = ? WHERE dataset_id = 'cmp@1'",
        [datasets.stored_hash(con, "cmp@1")],
    )
    for run_id, model, ttft, p_pass in (
        ("run-s", "anthropic.claude-3-5-sonnet-20241022-v2:0", 620, 0.88),
        ("run-t", "amazon.nova-pro-v1:0", 390, 0.87),
    ):
        con.execute(
            "INSERT INTO run (run_id, name, dataset_id, model_id, role, origin, created_by)"
            " VALUES (?, ?, 'cmp@1', ?, ?, 'bench', 'bench')",
            [run_id, run_id, model, "source" if run_id == "run-s" else "target"],
        )
        con.execute(
            "INSERT INTO output (run_id, item_id, text, ttft_ms, latency_ms, input_tokens,"
            " output_tokens, retrieval_cost, error, calls)"
            " SELECT ?, 'it-' || i, 'answer', t, t + 80 + 900 * random(),"
            " 1000 + (800 * random())::INT, 40 + (200 * random())::INT, 0.0002, NULL,"
            " json_array(json_object('name', 'retrieval', 'latency_ms', 80),"
            " json_object('name', 'generation', 'latency_ms', t + 500))"
            f" FROM (SELECT i, ? * exp(0.3 * {NORMAL}) AS t FROM range(?) r(i))",
            [run_id, ttft, size],
        )
        con.execute(
            f"CREATE TEMP TABLE truth_{run_id[-1]} AS SELECT 'it-' || i AS item_id,"
            " random() < ? AS good FROM range(?) r(i)",
            [p_pass, size],
        )
        for metric in METRICS:
            con.execute(
                "INSERT INTO judge_score (run_id, item_id, metric, judge, score, threshold,"
                " passed, judge_version) SELECT ?, item_id, ?, 'bench', s, 0.5, s >= 0.5, '1'"
                " FROM (SELECT item_id, greatest(0, least(1, CASE WHEN good THEN 0.8 ELSE"
                f" 0.28 END + 0.15 * {NORMAL})) AS s FROM truth_{run_id[-1]})",
                [run_id, metric],
            )
    mid = migrations.create(
        con,
        "bench",
        "run-s",
        ["run-t"],
        actor="bench",
        criteria={
            "gating_metrics": list(METRICS),
            "engineering_days": 10,
            "sme_hours": 40,
            "cost_inputs_entered": True,
        },
    )
    con.execute(
        "INSERT INTO sample (sample_id, migration_id, name, run_a, run_b, params, seed,"
        " created_by) VALUES ('smp', ?, 'bench', 'run-s', 'run-t', '{}', 1, 'bench')",
        [mid],
    )
    # 10% of items either judge failed, 2% of the rest, each with its design probability.
    con.execute(
        "INSERT INTO sample_item (sample_id, item_id, stratum, pool, stratum_size,"
        " inclusion_prob) SELECT 'smp', item_id, stratum, pool, count(*) OVER (PARTITION BY"
        " stratum, pool), rate FROM (SELECT j.item_id, i.stratum, CASE WHEN bool_or(NOT"
        " j.passed) THEN 'fail' ELSE 'pass' END AS pool, CASE WHEN bool_or(NOT j.passed)"
        " THEN 0.10 ELSE 0.02 END AS rate FROM judge_score j JOIN item i ON i.item_id ="
        " j.item_id GROUP BY j.item_id, i.stratum) WHERE random() < rate"
    )
    for run_id, other in (("run-s", "run-t"), ("run-t", "run-s")):
        con.execute(
            "INSERT INTO label (dataset_id, item_id, run_id, pair_run_id, reviewer, score,"
            " passed, preference, shown_side, origin, sample_id) SELECT 'cmp@1', si.item_id,"
            " ?, ?, r.reviewer, CASE WHEN seen THEN 4 ELSE 2 END, seen, 'tie',"
            " CASE WHEN ? = 'run-s' THEN 'A' ELSE 'B' END, 'synthetic', 'smp' FROM (SELECT"
            f" si.item_id, t.good <> (random() < 0.05) AS seen FROM sample_item si JOIN"
            f" truth_{run_id[-1]} t USING (item_id)) si, (VALUES ('sme-a'), ('sme-b'))"
            " r(reviewer)",
            [run_id, other, run_id],
        )
    # The real content hash: a copy to PostgreSQL verifies it.
    con.execute(
        "UPDATE dataset SET sha256 = ? WHERE dataset_id = 'cmp@1'",
        [datasets.stored_hash(con, "cmp@1")],
    )
    con.close()
    return mid


def floor(con) -> None:
    """DuckDB reading what the comparison reads, with nothing computed."""
    con.execute("SELECT * FROM output WHERE run_id IN ('run-s', 'run-t')").fetchnumpy()
    con.execute("SELECT * FROM judge_score WHERE run_id IN ('run-s', 'run-t')").fetchnumpy()


def measure(size: int, repeats: int, out: Path = OUT, postgres: str | None = None) -> dict:
    """Sign-off on the DuckDB file; given ``postgres`` (an empty database's URL), also on
    that database after a copy of the file (core.store_copy), with the two reports compared.
    The two are measured in turn, repeat by repeat, so a machine that slows down for a while
    slows both alike."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"compare-{size}.duckdb"
    path.unlink(missing_ok=True)
    mid = build(path, size)
    targets = [str(path)]
    if postgres:
        from core import store_copy

        store_copy.copy(str(path), postgres)
        targets.append(postgres)
    cons = [db.connect(target) for target in targets]
    timings: list[tuple[list[float], list[float]]] = [([], []) for _ in cons]
    reports = [None] * len(cons)
    for _ in range(repeats):
        for i, con in enumerate(cons):
            reports[i] = _once(con, mid, *timings[i])
    summaries = [_summary(con, reports[i], size, *timings[i]) for i, con in enumerate(cons)]
    for con in cons:
        con.close()
    result = summaries[0]
    if postgres:
        on_pg = summaries[1]
        pg_report = on_pg.pop("report")
        same = pg_report == result["report"]
        if not same:  # kept to read: the first lines that differ
            (out / f"signoff-{size}-duckdb.json").write_text(result["report"])
            (out / f"signoff-{size}-postgresql.json").write_text(pg_report)
            pairs = zip(result["report"].splitlines(), pg_report.splitlines(), strict=False)
            on_pg["differs"] = [f"{a.strip()} | {b.strip()}" for a, b in pairs if a != b][:5]
        result = {
            **result,
            "postgresql": on_pg,
            "postgresql_to_duckdb": round(
                on_pg["signoff_median_s"] / result["signoff_median_s"], 2
            ),
            # each repeat's PostgreSQL sign-off over the DuckDB one measured just before it
            "postgresql_to_duckdb_per_repeat": [
                round(pg / duck, 2) for duck, pg in zip(timings[0][0], timings[1][0], strict=True)
            ],
            "same_report": same,
        }
    result.pop("report")
    return result


def _once(con, mid: str, full: list[float], bound: list[float]):
    """One floor read and one sign-off, their times appended; the report."""
    start = time.perf_counter()
    floor(con)
    bound.append(time.perf_counter() - start)
    start = time.perf_counter()
    report = signoff.evaluate(con, mid, "run-t")
    full.append(time.perf_counter() - start)
    return report


def _summary(con, report, size: int, full: list[float], bound: list[float]) -> dict:
    return {
        "report": signoff.to_json(report),
        "items": size,
        "labels": con.execute("SELECT count(*) FROM label").fetchone()[0],
        "signoff_median_s": round(statistics.median(full), 3),
        "signoff_all_s": [round(x, 3) for x in full],
        "reading_rows_median_s": round(statistics.median(bound), 3),
        "ratio_to_reading": round(statistics.median(full) / statistics.median(bound), 1),
        "decision": report.decision,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 1_000_000])
    parser.add_argument("--smoke", action="store_true", help="300 items, once (for CI)")
    parser.add_argument(
        "--postgres", metavar="URL", help="also measure on this empty PostgreSQL database"
    )
    args = parser.parse_args()
    if args.smoke:
        with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
            result = measure(300, 1, Path(tmp), args.postgres)
        print(json.dumps(result, indent=2))
        check(result, "signoff_median_s")
        assert result["labels"] > 0 and result["decision"], result
        return
    if args.postgres and len(args.sizes) > 1:
        parser.error("--postgres takes one --sizes value (the database must be empty)")
    results = [measure(size, args.repeats, postgres=args.postgres) for size in args.sizes]
    print(
        json.dumps(
            {
                "results": results,
                "machine": f"{platform.machine()}, {os.cpu_count()} cores,"
                f" Python {platform.python_version()}, duckdb {duckdb.__version__}",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
