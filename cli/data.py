"""Data commands: init, demo, import-dataset, import-run, import-pairwise, freeze, verify, list."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import duckdb

from cli.common import actor, model_config, score_range
from core import demo
from core.catalog import datasets, migrations, models, runs
from core.errors import InputError
from core.importers import files, pairwise, tournament
from core.store import db, settings
from core.types import RUN_ROLES


def cmd_init(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    print(
        f"database {args.db or settings.db_path()} is ready "
        f"({len(db.applied(con))} schema migrations applied)"
    )
    added = models.load_list_prices_if_none(con, actor())
    if added:
        print(
            f"{added} list prices loaded from data/{models.PRICE_FILE.name}"
            " (Bedrock on-demand, us-east-1): check them against the current AWS price list"
        )


def cmd_demo(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    if not demo.is_empty(con) and not args.force:
        print(
            "the database already holds data; the demo is added only to an empty one"
            " (use --force to add it anyway)"
        )
        return
    print(f"building the synthetic demo ({args.items} items, about 10 s)…", flush=True)
    started = time.monotonic()
    migration_id = demo.install(con, args.seed, args.items)
    print(
        f"demo migration {migration_id} created from seed {args.seed} in"
        f" {time.monotonic() - started:.1f} s: "
        f"{datasets.list_datasets(con)[-1]['dataset_id']}, 3 runs (synthetic)"
    )


def cmd_import_dataset(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    result = files.import_dataset(
        con,
        args.file,
        args.name,
        actor=actor(),
        kind=args.kind,
        version=args.version,
        model_id=args.model,
        threshold=args.threshold,
        score_range=args.score_range[1] if args.score_range else None,
        metric=args.metric,
    )
    print(result.summary())
    if result.source_run:
        for line in result.source_run.notes:
            print(f"  {line}")
    print(result.dataset_id)


def cmd_import_run(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    dataset_id = datasets.resolve(con, args.dataset)
    spec = runs.RunSpec(
        dataset_id,
        args.model,
        name=args.name,
        role=args.role,
        prompt_version_id=args.prompt_version,
        config=args.config or {},
        judge=args.judge or "imported",
        judge_version=args.judge_version,
        default_threshold=args.threshold,
        score_ranges=dict(args.score_range or []),
        allow_unmatched=args.allow_unmatched,
    )
    result, notes = files.import_run(
        con, args.source, spec, actor=actor(), fmt=args.format, kind=args.kind, job=args.job
    )
    print(result.summary())
    for line in [*notes, *result.notes, *result.unmatched[:20]]:
        print(f"  {line}")
    print(result.run_id)


def cmd_import_pairwise(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    if not (args.run or args.baseline):  # a tournament file names its runs on every row
        dataset_id = datasets.resolve(con, args.dataset) if args.dataset else None
        votes = tournament.import_votes(con, args.file, actor=actor(), dataset_id=dataset_id)
        print(votes.summary())
        return
    if not (args.run and args.baseline):
        raise InputError("import-pairwise", "give both --run and --baseline, or neither")
    result = pairwise.import_verdicts(con, args.file, args.run, args.baseline, actor=actor())
    print(result.summary())


def cmd_freeze(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    dataset_id = datasets.resolve(con, args.dataset)
    newly = datasets.freeze(con, dataset_id, actor())
    info = datasets.get(con, dataset_id)
    state = "frozen" if newly else "was already frozen"
    print(f"{dataset_id} {state}; sha256 {info['sha256']}")


def cmd_verify(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> int:
    refs = (
        [datasets.resolve(con, args.dataset)]
        if args.dataset
        else [d["dataset_id"] for d in datasets.list_datasets(con)]
    )
    bad = 0
    for dataset_id in refs:
        check = datasets.verify(con, dataset_id)
        print(check.summary())
        bad += not check.matches
    return 1 if bad else 0


def cmd_list(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    if args.json:
        print(json.dumps(listing(con, archived=True), indent=2, default=str))
        return
    print("datasets:")
    for d in datasets.list_datasets(con):
        frozen = f"frozen {d['frozen_at']:%Y-%m-%d}" if d["frozen_at"] else "not frozen"
        print(
            f"  {d['dataset_id']}  {d['items']} items ({d['holdout']} holdout)  {frozen}"
            f"  sha256 {d['sha256'][:12]}…{'  [synthetic]' if d['synthetic'] else ''}"
        )
    print("runs:")
    for r in runs.list_runs(con):
        print(
            f"  {r['run_id']}  {r['role']:<9} {r['model_id']}  on {r['dataset_id']}"
            f"  {r['outputs']} outputs  metrics: {', '.join(r['metrics'] or []) or 'none'}"
        )
    print("migrations:")
    for m in migrations.list_migrations(con, archived=True):
        archived = "  [archived]" if m["archived"] else ""
        print(f"  {m['migration_id']}  {m['name']}  on {m['dataset_id']}{archived}")
    print("samples:")
    for row in _samples(con):
        print(
            f"  {row['sample_id']}  {row['name']}  migration {row['migration_id']}"
            f"  {row['items']} items"
        )
    if not datasets.list_datasets(con):
        print("(empty: import a golden set with `python -m core import-dataset FILE --name N`)")


RUN_KEYS = ("run_id", "name", "model_id", "role", "dataset_id", "outputs", "metrics", "origin")


def listing(con: duckdb.DuckDBPyConnection, archived: bool = True) -> dict[str, Any]:
    """Datasets, runs, migrations and samples for scripts (``list --json``)."""
    keep = ("dataset_id", "items", "holdout", "sha256", "frozen_at", "synthetic")
    return {
        "datasets": [{k: d[k] for k in keep} for d in datasets.list_datasets(con)],
        "runs": [{k: r[k] for k in RUN_KEYS} for r in runs.list_runs(con)],
        "migrations": [
            {**m, "targets": migrations.target_runs(con, m["migration_id"])}
            for m in migrations.list_migrations(con, archived=archived)
        ],
        "samples": _samples(con),
    }


def _samples(con: duckdb.DuckDBPyConnection) -> list[dict]:
    # sampling.list_samples has no run_a/run_b, which `list --json` has always carried.
    rows = con.execute(
        "SELECT s.sample_id, s.name, s.migration_id, s.run_a, s.run_b,"
        " (SELECT count(*) FROM sample_item si WHERE si.sample_id = s.sample_id),"
        " s.created_at FROM sample s ORDER BY s.created_at"
    ).fetchall()
    keys = ("sample_id", "name", "migration_id", "run_a", "run_b", "items", "created_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def add_parsers(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("init", help="create the database and apply schema migrations")
    d = sub.add_parser("demo", help="add the synthetic demo migration")
    d.add_argument("--seed", type=int, default=int(settings.get("demo_seed")))
    d.add_argument("--items", type=int, default=1200)
    d.add_argument("--force", action="store_true", help="add it even if the database has data")
    _add_import_dataset(sub)
    _add_import_run(sub)
    pw = sub.add_parser(
        "import-pairwise",
        help="import pairwise votes: a tournament file (run_a, run_b, winner, judge or"
        " reviewer per row; MT-Bench's layout too), or one judge's verdicts with --run/--baseline",
    )
    pw.add_argument("file")
    pw.add_argument("--run", help="verdict file: the run judged (winner 'run' or B)")
    pw.add_argument("--baseline", help="verdict file: the run it is compared with (A)")
    pw.add_argument("--dataset", help="tournament file: the dataset version its run names mean")
    f = sub.add_parser("freeze", help="freeze a dataset version (content hash fixed)")
    f.add_argument("dataset")
    v = sub.add_parser("verify", help="recompute content hashes and compare")
    v.add_argument("dataset", nargs="?", help="default: every dataset version")
    ls = sub.add_parser("list", help="list datasets, runs, migrations and samples")
    ls.add_argument("--json", action="store_true", help="as JSON, for scripts")


def _add_import_dataset(sub: argparse._SubParsersAction) -> None:
    i = sub.add_parser("import-dataset", help="import a golden dataset (CSV, JSONL, Parquet)")
    i.add_argument("file", help="local path or s3://bucket/key")
    i.add_argument("--name", required=True, help="dataset name; a changed file is a new version")
    i.add_argument("--version", type=int, help="replace this (unfrozen) version's items")
    i.add_argument("--model", help="source model id, when the file has no model_id column")
    i.add_argument(
        "--kind", choices=["csv", "jsonl", "parquet"], help="file kind (default: suffix)"
    )
    i.add_argument(
        "--metric",
        help="the catalog metric the automated_score column is (e.g. correctness), so it"
        " meets the runs' scores (default: a metric called automated_score, never gating)",
    )
    i.add_argument(
        "--threshold",
        type=float,
        help="automated_score passes at this threshold, in the metric's direction"
        " (default: the catalog's, else 0.5)",
    )
    i.add_argument(
        "--score-range",
        type=score_range,
        help="automated_score range LOW:HIGH (default: the catalog's, else 0:1)",
    )


def _add_import_run(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("import-run", help="import an evaluation run (format detected)")
    r.add_argument("source", help="local file, s3://bucket/key, or s3://bucket/prefix/ of a job")
    r.add_argument("--dataset", required=True, help="dataset version (name@N, or name = latest)")
    r.add_argument("--model", help="model id (Bedrock output names it itself)")
    r.add_argument("--format", choices=files.FORMATS, help="default: detected")
    r.add_argument(
        "--job", help="Bedrock: the job to import when the folder or prefix holds several"
    )
    r.add_argument("--kind", choices=["csv", "jsonl", "parquet", "json"])
    r.add_argument("--name", help="run name (default: model on dataset)")
    r.add_argument("--role", choices=RUN_ROLES, default="candidate")
    r.add_argument("--prompt-version", help="prompt version id the run used")
    r.add_argument("--config", type=model_config, help="model config: JSON or key=value, ...")
    r.add_argument("--judge", help="judge name (default: from the format)")
    r.add_argument("--judge-version", help="judge model or library version")
    r.add_argument(
        "--threshold",
        type=float,
        help="pass threshold where the file gives none (default: the metric catalog's)",
    )
    r.add_argument(
        "--score-range",
        type=score_range,
        action="append",
        help="declared score range, LOW:HIGH or METRIC=LOW:HIGH (default: the catalog's)",
    )
    r.add_argument(
        "--allow-unmatched",
        action="store_true",
        help="skip rows that match no item (they are listed) instead of failing",
    )


COMMANDS = {
    "init": cmd_init,
    "demo": cmd_demo,
    "import-dataset": cmd_import_dataset,
    "import-run": cmd_import_run,
    "import-pairwise": cmd_import_pairwise,
    "freeze": cmd_freeze,
    "verify": cmd_verify,
    "list": cmd_list,
}
