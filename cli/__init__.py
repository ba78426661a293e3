"""``python -m core <command>``: what an evaluation owner does, in batch.

Every command prints what it did and exits 0, or prints one clear error line and exits 1
(2 for a usage error). ``report signoff --gate`` exits with the decision: 0 GO, 3 NOT YET,
4 NO-GO. The commands call the same core functions as the pages.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import date
from pathlib import Path

from core import demo
from core.analysis import calibration, compare, signoff
from core.catalog import datasets, metrics, migrations, models, runs
from core.errors import InputError, SwitchyardError
from core.importers import files, labels, pairwise
from core.llm import bedrock_eval, judges, prompts, runner
from core.review import sample_export, sampling
from core.store import db, settings


def _actor() -> str:
    return settings.get("user") or getpass.getuser()


def _range(text: str) -> tuple[str, tuple[float, float]]:
    """'0:1' (every metric) or 'faithfulness=0:1'."""
    metric, _, bounds = text.rpartition("=")
    low, _, high = bounds.partition(":")
    try:
        return metric or "*", (float(low), float(high))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected LOW:HIGH or METRIC=LOW:HIGH, got {text!r}"
        ) from None


def _config(text: str) -> dict:
    try:
        return datasets.parse_config(text)
    except (ValueError, json.JSONDecodeError) as exc:
        raise argparse.ArgumentTypeError(f"--config: {exc}") from None


def cmd_init(args, con) -> None:
    print(
        f"database {args.db or settings.db_path()} is ready "
        f"({len(db.applied(con))} schema migrations applied)"
    )


def cmd_demo(args, con) -> None:
    if not demo.is_empty(con) and not args.force:
        print(
            "the database already holds data; the demo is added only to an empty one"
            " (use --force to add it anyway)"
        )
        return
    migration_id = demo.install(con, args.seed, args.items)
    print(
        f"demo migration {migration_id} created from seed {args.seed}: "
        f"{datasets.list_datasets(con)[-1]['dataset_id']}, 3 runs (synthetic)"
    )


def cmd_import_dataset(args, con) -> None:
    result = files.import_dataset(
        con,
        args.file,
        args.name,
        actor=_actor(),
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


def cmd_import_run(args, con) -> None:
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
        con, args.source, spec, actor=_actor(), fmt=args.format, kind=args.kind, job=args.job
    )
    print(result.summary())
    for line in [*notes, *result.notes, *result.unmatched[:20]]:
        print(f"  {line}")
    print(result.run_id)


def cmd_import_labels(args, con) -> None:
    if not (args.dataset or args.sample):
        raise InputError("import-labels", "name the --dataset the labels grade (or a --sample)")
    dataset_id = datasets.resolve(con, args.dataset) if args.dataset else None
    result = labels.import_labels(
        con,
        args.file,
        dataset_id,
        actor=_actor(),
        run_id=args.run,
        fmt=args.format,
        sample_id=args.sample,
        score_metric=args.score_metric,
        verdict_metric=args.verdict_metric,
        preference_metric=args.preference_metric,
        score_scale=labels.parse_scale(args.score_scale),
    )
    for line in result.lines():
        print(line)


def cmd_export_sample(args, con) -> None:
    """Write a sample's assignments for SMEs who review outside the app; the path goes last."""
    written = sample_export.export(
        con, args.sample, args.out, args.format, reviewer=args.reviewer, mask=args.mask
    )
    print(written.summary())
    print(written.path)


def cmd_import_pairwise(args, con) -> None:
    result = pairwise.import_verdicts(con, args.file, args.run, args.baseline, actor=_actor())
    print(result.summary())


def cmd_freeze(args, con) -> None:
    dataset_id = datasets.resolve(con, args.dataset)
    newly = datasets.freeze(con, dataset_id, _actor())
    info = datasets.get(con, dataset_id)
    state = "frozen" if newly else "was already frozen"
    print(f"{dataset_id} {state}; sha256 {info['sha256']}")


def cmd_verify(args, con) -> int:
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


def cmd_list(args, con) -> None:
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


def listing(con, archived: bool = True) -> dict:
    """Datasets, runs, migrations and samples for scripts (``list --json``)."""
    keep = ("dataset_id", "items", "holdout", "sha256", "frozen_at", "synthetic")
    return {
        "datasets": [{k: d[k] for k in keep} for d in datasets.list_datasets(con)],
        "runs": [
            {
                k: r[k]
                for k in (
                    "run_id",
                    "name",
                    "model_id",
                    "role",
                    "dataset_id",
                    "outputs",
                    "metrics",
                    "origin",
                )
            }
            for r in runs.list_runs(con)
        ],
        "migrations": [
            {**m, "targets": migrations.target_runs(con, m["migration_id"])}
            for m in migrations.list_migrations(con, archived=archived)
        ],
        "samples": _samples(con),
    }


def _samples(con) -> list[dict]:
    rows = con.execute(
        "SELECT s.sample_id, s.name, s.migration_id, s.run_a, s.run_b,"
        " (SELECT count(*) FROM sample_item si WHERE si.sample_id = s.sample_id),"
        " s.created_at FROM sample s ORDER BY s.created_at"
    ).fetchall()
    keys = ("sample_id", "name", "migration_id", "run_a", "run_b", "items", "created_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def cmd_migration(args, con) -> None:
    """Migrations: create, list, show, add-target, archive."""
    if args.action == "create":
        if not (args.name and args.source and args.target):
            raise InputError("migration create", "name --name, --source RUN and --target RUN")
        migration_id = migrations.create(con, args.name, args.source, args.target, actor=_actor())
        info = migrations.describe(con, migration_id)
        print(f"migration {migration_id} {args.name!r} on {info['dataset_id']} (frozen now)")
        for line in info["warnings"]:
            print(f"  warning: {line}")
        print(migration_id)
    elif args.action == "list":
        for m in migrations.list_migrations(con, archived=args.all):
            archived = "  [archived]" if m["archived"] else ""
            print(
                f"{m['migration_id']}  {m['name']}  on {m['dataset_id']}  source"
                f" {m['source_model']}  targets {', '.join(m['target_models'] or [])}{archived}"
            )
    elif args.action == "show":
        print(json.dumps(migrations.describe(con, _one(args)), indent=2, default=str))
    elif args.action == "add-target":
        migration_id = _one(args)
        for run_id in args.target or []:
            migrations.add_target(con, migration_id, run_id, actor=_actor())
            print(f"{run_id} added to {migration_id}")
    else:
        migrations.archive(con, _one(args), actor=_actor())
        print(f"{args.id} archived: it leaves the choosers; its evidence is kept")


def _one(args) -> str:
    if not args.id:
        raise InputError(f"migration {args.action}", "name the migration id")
    return args.id


def cmd_metric(args, con) -> None:
    """The metric catalog: list, set, map, unmapped."""
    if args.action in ("set", "map") and not args.name:
        raise InputError(f"metric {args.action}", "name the metric")
    if args.action == "list":
        rows = [m.__dict__ for m in metrics.catalog(con).values()]
        if args.json:
            names = metrics.aliases(con)
            for row in rows:
                row["aliases"] = sorted(a for a, m in names.items() if m == row["metric"])
            print(json.dumps(rows, indent=2))
            return
        for m in rows:
            span = f"{_g(m['low'])}..{_g(m['high'])}"
            print(
                f"{m['metric']:<30} {m['direction']:<6} is better  range {span:<9}"
                f" pass at {_g(m['default_threshold'])}  ({m['origin']})"
            )
    elif args.action == "set":
        entry = metrics.set_metric(
            con,
            args.name,
            actor=_actor(),
            display_name=args.display_name,
            low=args.low,
            high=args.high,
            direction=args.direction,
            default_threshold=args.threshold,
            source=args.source,
        )
        print(
            f"{entry.metric}: {entry.direction} is better, range {_g(entry.low)}.."
            f"{_g(entry.high)}, passes at {_g(entry.default_threshold)}"
        )
    elif args.action == "map":
        if not args.to:
            raise InputError("metric map", "say which metric it is: --to METRIC")
        metric = metrics.map_name(con, args.name, args.to, actor=_actor())
        print(f"{args.name} is read as {metric} from now on (runs already imported moved)")
    else:
        found = metrics.unmapped(con)
        for row in found:
            print(
                f"{row['metric']}  (written as {', '.join(row['names'])})  on runs"
                f" {', '.join(row['runs'])}"
            )
        if not found:
            print("every imported metric is in the catalog")


def _g(number) -> str:
    return "-" if number is None else f"{number:g}"


def cmd_sample(args, con) -> None:
    target = None if args.single else (args.target or _only_target(con, args.migration))
    params = sampling.SampleParams(
        fail_rate=args.fail_rate,
        pass_rate=args.pass_rate,
        minimum=args.minimum,
        seed=args.seed,
        metric=args.metric,
        regressions=not args.no_regressions and not args.single,
        overlap_share=args.overlap,
        overlap_k=args.k,
        split=args.split,
        reviewers=tuple(r for r in (args.reviewers or "").split(",") if r),
    )
    source = migrations.source_run(con, args.migration)
    plan = sampling.plan(con, args.migration, source, target, params)
    for s in plan.strata:
        print(f"  {s.stratum:<20} {s.pool:<10} {s.take:>5} of {s.size:<5} p = {s.probability:.4f}")
    print(f"{plan.total} of {plan.frame} items ({plan.excluded} open elsewhere, left out)")
    if args.preview:
        return
    sample_id = sampling.create(
        con, args.migration, source, target, params, actor=_actor(), name=args.name
    )
    print(f"sample {sample_id} created; assigned to {', '.join(params.reviewers)}")
    print(sample_id)


def _only_target(con, migration_id: str) -> str:
    targets = migrations.target_runs(con, migration_id)
    roles = dict(
        con.execute(
            "SELECT run_id, role FROM run WHERE run_id IN (SELECT unnest(?))", [targets]
        ).fetchall()
    )
    chosen = [r for r in targets if roles[r] == "target"] or targets
    if len(chosen) != 1:
        raise InputError("--target", f"the migration has runs {', '.join(targets)}; pick one")
    return chosen[0]


def cmd_top_up(args, con) -> None:
    added = sampling.top_up(con, args.sample, args.stratum, args.pool, args.rate, actor=_actor())
    for s in sampling.strata(con, args.sample):
        if (s["stratum"], s["pool"]) == (args.stratum, args.pool):
            print(
                f"{added} items added to {args.stratum}/{args.pool}: now {s['taken']} of "
                f"{s['size']}, inclusion probability {s['inclusion_prob']:.4f}"
            )


def cmd_report(args, con) -> int | None:
    if args.kind == "signoff":
        return report_signoff(args, con)
    if args.kind == "compare":
        return report_compare(args, con)
    if not (args.run or args.migration):
        raise InputError("report", "name a --migration or a --run")
    run_id = args.run or migrations.source_run(con, args.migration)
    metrics = [args.metric] if args.metric else calibration.metrics_with_labels(con, run_id)
    if not metrics:
        raise InputError("report", f"no SME label meets a judge score on run {run_id}")
    reports = {}
    for metric in metrics:
        frame = calibration.pairs(con, run_id, metric, details=False)
        result = calibration.report(
            con,
            run_id,
            metric,
            seed=args.seed,
            resamples=args.resamples,
            floor=args.floor,
            frame=frame,
        )
        sweep, best = calibration.sweep(frame, seed=args.seed, resamples=args.resamples)
        reports[metric] = json.loads(calibration.to_json(result, sweep, best, {}))
    reports["sme_vs_sme"] = calibration.sme_agreement(
        con, run_id, seed=args.seed, resamples=args.resamples
    )
    reports["pairwise"] = [
        {
            "run_id": judged,
            "baseline_run_id": baseline,
            "metric": name,
            **calibration.pairwise(prefs["judge"], prefs["sme"]),
        }
        for judged, baseline, name in pairwise.comparisons(con, run_id)
        if not (prefs := pairwise.pairs(con, judged, baseline, name)).empty
    ]
    print(json.dumps({"run_id": run_id, "metrics": reports}, indent=2, default=str))


def _need_migration(args) -> str:
    if not args.migration:
        raise InputError("report", f"report {args.kind} needs --migration")
    return args.migration


def report_signoff(args, con) -> int:
    """The sign-off as JSON or HTML; with --gate the exit code is the decision."""
    report = signoff.evaluate(con, _need_migration(args), args.target, seed=args.seed)
    text = signoff.to_html(report) if args.format == "html" else signoff.to_json(report)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"{report['decision']}: written to {args.out}", file=sys.stderr)
    else:
        print(text)
    return signoff.EXIT_CODES[report["decision"]] if args.gate else 0


def report_compare(args, con) -> None:
    """Every comparison figure (all metrics, per stratum, speed, cost) as JSON."""
    migration_id = _need_migration(args)
    target = args.target or signoff.default_target(con, migration_id)
    comparison = compare.load(con, migration_id, target)
    items = compare.select(comparison, args.stratum, args.split)
    boot = compare.bootstrap_for(items, args.seed)
    margin = comparison.criteria["quality_margin"]
    out = {
        "migration_id": migration_id,
        "source_run_id": comparison.runs["source"],
        "target_run_id": target,
        "stratum": args.stratum,
        "split": args.split,
        "quality": {m: compare.quality(items, m, margin, boot) for m in comparison.metrics},
        "by_stratum": {
            m: compare.quality_by_stratum(items, m, margin, args.seed) for m in comparison.metrics
        },
        "sme_corrected": {
            m: compare.sme_corrected(con, comparison, m, items) for m in comparison.metrics
        },
        "speed": compare.speed(items, boot),
        "calls": compare.call_breakdown(con, comparison, items).to_dict("records"),
        "cost": compare.cost(con, comparison, items, boot),
    }
    print(json.dumps(signoff.plain(out), indent=2))


def _model_config(args) -> runner.ModelConfig:
    return runner.ModelConfig(
        args.model,
        provider=args.provider,
        region=args.region,
        temperature=args.temperature,
        top_p=args.top_p,
        max_tokens=args.max_tokens,
        prompt_version_id=args.prompt_version,
        endpoint_url=args.endpoint_url,  # else boto3's AWS_ENDPOINT_URL_BEDROCK_RUNTIME
        concurrency=args.concurrency or int(settings.get("run_concurrency")),
        timeout_s=args.timeout,
    )


def _progress(fraction: float, message: str) -> None:
    print(f"\r{fraction:6.1%} {message}", end="", file=sys.stderr, flush=True)


def cmd_run(args, con) -> int:
    """Run a model over a frozen dataset (or resume a run); --dry-run only estimates.
    Exits 5 when some items failed (they are retried by --resume)."""
    if args.resume:
        overrides = {"concurrency": args.concurrency} if args.concurrency else {}
        if args.endpoint_url:
            overrides["endpoint_url"] = args.endpoint_url
        run_id = args.resume
        config = runner.config_of(con, run_id, **overrides)
    else:
        if not (args.dataset and args.model):
            raise InputError("run", "name --dataset and --model (or --resume RUN)")
        dataset_id = datasets.resolve(con, args.dataset)
        config = _model_config(args)
        if args.dry_run:
            print(json.dumps(runner.dry_run(con, dataset_id, config), indent=2))
            return 0
        run_id = runner.create(
            con, dataset_id, config, actor=_actor(), name=args.name, role=args.role
        )
        print(f"created {run_id}", file=sys.stderr)
    result = runner.execute(con, run_id, config, progress=_progress)
    print(file=sys.stderr)
    print(result.summary())
    for line in result.errors[:5]:
        print(f"  {line}")
    print(run_id)
    return 0 if result.failed == 0 else 5


def cmd_judge(args, con) -> None:
    """Score a run with Ragas / DeepEval metrics (judge model on Bedrock) or non-LLM ones."""
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    config = judges.JudgeConfig(
        model_id=args.judge_model,
        embedding_model_id=args.embedding_model,
        provider=args.provider,
        region=args.region,
        endpoint_url=args.endpoint_url,
        threshold=args.threshold,
        rubric=args.rubric or judges.DEFAULT_RUBRIC,
        pattern=args.pattern,
        concurrency=args.concurrency or int(settings.get("run_concurrency")),
    )
    counts = judges.score_run(con, args.run, metrics, config, actor=_actor(), progress=_progress)
    print(file=sys.stderr)
    for metric, scored in counts.items():
        print(f"{metric}: {scored} items scored")


def cmd_bedrock_eval(args, con) -> None:
    """Evaluate a run with an Amazon Bedrock evaluation job, wait for it, import its scores."""
    import boto3

    bedrock = boto3.client("bedrock", region_name=args.region)
    s3_client = boto3.client("s3", region_name=args.region)
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    dataset_uri = bedrock_eval.upload_dataset(con, args.run, args.s3 + "/datasets/", s3_client)
    arn = bedrock_eval.create_job(
        con,
        args.run,
        role_arn=args.role,
        dataset_uri=dataset_uri,
        output_uri=args.s3 + "/output/",
        metrics=metrics,
        judge_model=args.judge_model,
        client=bedrock,
        actor=_actor(),
    )
    print(f"started {arn}")
    if not args.wait:
        return
    job = bedrock_eval.wait(bedrock, arn, poll_s=args.poll)
    dataset_id = con.execute("SELECT dataset_id FROM run WHERE run_id = ?", [args.run]).fetchone()
    result = bedrock_eval.import_results(con, job, dataset_id[0], actor=_actor())
    print(result.summary())


def cmd_prompt(args, con) -> None:
    """Prompt versions of a migration: add, optimize, metaprompt, diff, list."""
    endpoint = args.endpoint_url  # else boto3's AWS_ENDPOINT_URL_BEDROCK_* variables
    if args.action == "add":
        text = Path(args.file).read_text(encoding="utf-8") if args.file else args.text
        version = prompts.create(
            con,
            args.migration,
            args.model,
            text or "",
            actor=_actor(),
            parent_id=args.parent,
            note=args.note,
        )
        print(version)
    elif args.action == "optimize":
        version, analysis = prompts.optimize(
            con,
            args.migration,
            args.parent,
            args.model,
            actor=_actor(),
            region=args.region,
            endpoint_url=endpoint,
        )
        for line in analysis:
            print(f"analysis: {line}", file=sys.stderr)
        print(version)
    elif args.action == "metaprompt":
        version = prompts.metaprompt(
            con,
            args.migration,
            args.parent,
            args.model,
            args.judge_model,
            actor=_actor(),
            region=args.region,
            endpoint_url=endpoint,
        )
        print(version)
    elif args.action == "diff":
        print(prompts.diff(con, args.parent, args.other))
    else:
        table = prompts.runs_by_version(con, args.migration)
        print(table.drop(columns=["run_id"]).to_string(index=False))


def cmd_price(args, con) -> None:
    try:
        effective = date.fromisoformat(args.effective) if args.effective else date.today()
    except ValueError:
        raise InputError(
            "price", f"--effective must be YYYY-MM-DD, got {args.effective!r}"
        ) from None
    models.add_price(
        con,
        args.model,
        effective,
        args.input,
        args.output,
        currency=args.currency,
        source=args.source,
        actor=_actor(),
    )
    print(f"{args.model}: {args.input} / {args.output} {args.currency} per 1K from {effective}")


def cmd_criteria(args, con) -> None:
    changes = {}
    for pair in args.set or []:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise InputError("criteria", f"expected key=value, got {pair!r}")
        try:
            changes[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            changes[key.strip()] = raw
    current = (
        migrations.update_criteria(con, args.migration, changes, actor=_actor())
        if changes
        else migrations.criteria(con, args.migration)
    )
    print(json.dumps(current, indent=2))


def cmd_approve(args, con) -> None:
    target = args.target or signoff.default_target(con, args.migration)
    approval_id = signoff.record_approval(
        con,
        args.migration,
        target,
        args.stakeholder,
        args.decision,
        actor=_actor(),
        comment=args.comment,
        checklist={item: True for item in args.check or []},
    )
    print(f"{args.decision} by {args.stakeholder} recorded (approval {approval_id})")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m core", description=__doc__.splitlines()[0])
    p.add_argument(
        "--db",
        help=f"database file (default: ${settings.SETTINGS['db_path'].env} "
        "or data/switchyard.duckdb)",
    )
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("init", help="create the database and apply schema migrations")

    d = sub.add_parser("demo", help="add the synthetic demo migration")
    d.add_argument("--seed", type=int, default=int(settings.get("demo_seed")))
    d.add_argument("--items", type=int, default=1200)
    d.add_argument("--force", action="store_true", help="add it even if the database has data")

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
        type=_range,
        help="automated_score range LOW:HIGH (default: the catalog's, else 0:1)",
    )

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
    r.add_argument("--role", choices=runs.ROLES, default="candidate")
    r.add_argument("--prompt-version", help="prompt version id the run used")
    r.add_argument("--config", type=_config, help="model config: JSON or key=value, ...")
    r.add_argument("--judge", help="judge name (default: from the format)")
    r.add_argument("--judge-version", help="judge model or library version")
    r.add_argument(
        "--threshold",
        type=float,
        help="pass threshold where the file gives none (default: the metric catalog's)",
    )
    r.add_argument(
        "--score-range",
        type=_range,
        action="append",
        help="declared score range, LOW:HIGH or METRIC=LOW:HIGH (default: the catalog's)",
    )
    r.add_argument(
        "--allow-unmatched",
        action="store_true",
        help="skip rows that match no item (they are listed) instead of failing",
    )

    lb = sub.add_parser(
        "import-labels", help="import SME labels (label file or Bedrock human eval)"
    )
    lb.add_argument("file")
    lb.add_argument(
        "--dataset", help="dataset version (name@N, or name = latest); default: the sample's"
    )
    lb.add_argument(
        "--run",
        action="append",
        metavar="RUN or MODEL=RUN",
        help="the run the labels grade when the file names none, or the run of one of the"
        " file's models (repeatable)",
    )
    lb.add_argument("--format", choices=labels.FORMATS, help="default: detected")
    lb.add_argument(
        "--sample",
        help="attach the labels to this sample (its items only; weighted by its design)",
    )
    lb.add_argument("--score-metric", help="Bedrock: the Likert metric giving the 1-5 score")
    lb.add_argument("--verdict-metric", help="Bedrock: the thumbs metric giving pass/fail")
    lb.add_argument(
        "--preference-metric", help="Bedrock: the comparison metric giving the preference"
    )
    lb.add_argument(
        "--score-scale",
        metavar="LOW:HIGH",
        help="the scale scores were given on, mapped linearly onto 1-5 (default 1:5)",
    )

    ex = sub.add_parser(
        "export-sample", help="write a sample's assignments for SMEs reviewing outside the app"
    )
    ex.add_argument("sample")
    ex.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    ex.add_argument("--out", required=True, help="the file to write")
    ex.add_argument("--reviewer", help="only this SME's assignments")
    ex.add_argument("--mask", action="store_true", help="mask PII in the texts")

    pw = sub.add_parser(
        "import-pairwise", help="import a pairwise judge's verdicts (run against baseline)"
    )
    pw.add_argument("file")
    pw.add_argument("--run", required=True, help="the run judged (winner 'run' or B)")
    pw.add_argument("--baseline", required=True, help="the run it is compared with (A)")

    f = sub.add_parser("freeze", help="freeze a dataset version (content hash fixed)")
    f.add_argument("dataset")

    v = sub.add_parser("verify", help="recompute content hashes and compare")
    v.add_argument("dataset", nargs="?", help="default: every dataset version")

    ls = sub.add_parser("list", help="list datasets, runs, migrations and samples")
    ls.add_argument("--json", action="store_true", help="as JSON, for scripts")

    mg = sub.add_parser("migration", help="migrations: create, list, show, add-target, archive")
    mg.add_argument("action", choices=["create", "list", "show", "add-target", "archive"])
    mg.add_argument("id", nargs="?", help="show, add-target, archive: the migration id")
    mg.add_argument("--name", help="create: the migration's name")
    mg.add_argument("--source", help="create: the source run (the model in production)")
    mg.add_argument(
        "--target", action="append", help="create, add-target: a target run (repeatable)"
    )
    mg.add_argument("--all", action="store_true", help="list: archived ones too")

    mt = sub.add_parser("metric", help="the metric catalog: list, set, map, unmapped")
    mt.add_argument("action", choices=["list", "set", "map", "unmapped"])
    mt.add_argument("name", nargs="?", help="set: the metric; map: the name a file writes")
    mt.add_argument("--to", help="map: the catalog metric the name means")
    mt.add_argument("--direction", choices=["higher", "lower"], help="set: which is better")
    mt.add_argument("--low", type=float, help="set: the lowest possible score")
    mt.add_argument("--high", type=float, help="set: the highest possible score")
    mt.add_argument("--threshold", type=float, help="set: the default pass threshold")
    mt.add_argument("--display-name", help="set: the name pages show")
    mt.add_argument("--source", help="set: where the range and direction come from")
    mt.add_argument("--json", action="store_true", help="list: as JSON")

    s = sub.add_parser("sample", help="draw a stratified review sample and assign SMEs")
    s.add_argument("--migration", required=True)
    s.add_argument("--target", help="run compared with the source (default: the target run)")
    s.add_argument("--single", action="store_true", help="review the source run alone")
    s.add_argument("--fail-rate", type=float, default=0.10)
    s.add_argument("--pass-rate", type=float, default=0.02)
    s.add_argument("--minimum", type=int, default=5, help="items per stratum at least")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--metric", help="a failure is this metric failing (default: any gating one)")
    s.add_argument(
        "--no-regressions",
        action="store_true",
        help="do not take every target-failed/source-passed item",
    )
    s.add_argument("--overlap", type=float, default=0.0, help="share of items for k SMEs")
    s.add_argument("--k", type=int, default=1, help="SMEs per overlap item")
    s.add_argument("--split", choices=["dev", "holdout"])
    s.add_argument("--reviewers", help="comma-separated SME usernames")
    s.add_argument("--name")
    s.add_argument("--preview", action="store_true", help="print the plan, write nothing")

    rp = sub.add_parser("report", help="reports for pipelines: calibration, compare, signoff")
    rp.add_argument("kind", choices=["calibration", "compare", "signoff"])
    rp.add_argument("--migration", help="calibration: its source run, unless --run names another")
    rp.add_argument("--run", help="calibration: the run whose judges are calibrated")
    rp.add_argument("--target", help="compare/signoff: the target run (default: role target)")
    rp.add_argument("--stratum", help="compare: one stratum")
    rp.add_argument("--split", help="compare: one split (dev, holdout)")
    rp.add_argument("--format", choices=["json", "html"], default="json", help="signoff")
    rp.add_argument("--out", help="signoff: write to this file")
    rp.add_argument(
        "--gate",
        action="store_true",
        help="signoff: exit 0 on GO, 3 on NOT YET, 4 on NO-GO",
    )
    rp.add_argument("--metric", help="default: every metric with SME labels")
    rp.add_argument("--floor", type=float, default=0.6, help="kappa floor for the advice")
    rp.add_argument("--resamples", type=int, default=1000)
    rp.add_argument("--seed", type=int, default=0)

    rn = sub.add_parser("run", help="run a model over a frozen dataset (Bedrock or OpenAI API)")
    rn.add_argument("--dataset", help="dataset version (name@N, or name = latest)")
    rn.add_argument("--model", help="model id, e.g. amazon.nova-pro-v1:0")
    rn.add_argument("--resume", metavar="RUN", help="finish an interrupted run")
    rn.add_argument("--provider", choices=["bedrock", "openai"], default="bedrock")
    rn.add_argument("--endpoint-url", help="Bedrock endpoint, or the OpenAI-compatible base URL")
    rn.add_argument("--region", default="us-east-1")
    rn.add_argument("--temperature", type=float, default=0.0)
    rn.add_argument("--top-p", type=float, default=0.9)
    rn.add_argument("--max-tokens", type=int, default=512)
    rn.add_argument("--prompt-version", help="system prompt: a prompt version id")
    rn.add_argument("--concurrency", type=int, help="calls in flight (default: setting)")
    rn.add_argument("--timeout", type=float, default=60.0, help="seconds per call")
    rn.add_argument("--name")
    rn.add_argument("--role", choices=["source", "target", "candidate"], default="candidate")
    rn.add_argument("--dry-run", action="store_true", help="estimate tokens and cost only")

    jg = sub.add_parser("judge", help="score a run with Ragas, DeepEval or non-LLM metrics")
    jg.add_argument("--run", required=True)
    jg.add_argument(
        "--metrics", required=True, help="comma-separated: " + ", ".join(judges.METRICS)
    )
    jg.add_argument("--judge-model", default=judges.JudgeConfig.model_id)
    jg.add_argument("--embedding-model", default=judges.JudgeConfig.embedding_model_id)
    jg.add_argument("--provider", choices=["bedrock", "openai"], default="bedrock")
    jg.add_argument("--region", default="us-east-1")
    jg.add_argument(
        "--endpoint-url",
        help="Bedrock endpoint (default: boto3's), or the OpenAI-compatible base URL",
    )
    jg.add_argument("--threshold", type=float, default=0.5)
    jg.add_argument("--rubric", help="GEval correctness: the criteria, in words")
    jg.add_argument("--pattern", help="pattern match: the regular expression")
    jg.add_argument("--concurrency", type=int, help="items judged at once (default: setting)")

    be = sub.add_parser("bedrock-eval", help="evaluate a run with a Bedrock evaluation job")
    be.add_argument("--run", required=True)
    be.add_argument("--s3", required=True, help="s3://bucket/prefix for the dataset and output")
    be.add_argument("--role", required=True, help="IAM role ARN Bedrock assumes")
    be.add_argument(
        "--metrics", required=True, help="e.g. Builtin.Correctness,Builtin.Faithfulness"
    )
    be.add_argument("--judge-model", help="LLM-as-judge: the evaluator model")
    be.add_argument("--region", default="us-east-1")
    be.add_argument("--wait", action="store_true", help="poll until done, then import")
    be.add_argument("--poll", type=float, default=30.0, help="seconds between polls")

    pv = sub.add_parser("prompt", help="prompt versions: add, optimize, metaprompt, diff, list")
    pv.add_argument("action", choices=["add", "optimize", "metaprompt", "diff", "list"])
    pv.add_argument("--migration", help="the migration the versions belong to")
    pv.add_argument("--model", help="the model the version is for (the target)")
    pv.add_argument("--text", help="add: the prompt text")
    pv.add_argument("--file", help="add: read the prompt text from a file")
    pv.add_argument("--parent", help="the version it derives from (diff: the old one)")
    pv.add_argument("--other", help="diff: the new version")
    pv.add_argument("--note")
    pv.add_argument("--judge-model", help="metaprompt: the model that rewrites the prompt")
    pv.add_argument("--region", default="us-east-1")
    pv.add_argument("--endpoint-url", help="Bedrock endpoint (default: boto3's, from AWS_*)")

    pr = sub.add_parser("price", help="record a model price (history kept)")
    pr.add_argument("model")
    pr.add_argument("--input", type=float, required=True, help="price per 1K input tokens")
    pr.add_argument("--output", type=float, required=True, help="price per 1K output tokens")
    pr.add_argument("--currency", default="USD")
    pr.add_argument("--effective", help="YYYY-MM-DD (default: today)")
    pr.add_argument("--source", help="where the price comes from")

    cr = sub.add_parser("criteria", help="show or change a migration's sign-off criteria")
    cr.add_argument("--migration", required=True)
    cr.add_argument("--set", nargs="*", help="key=value (JSON values), e.g. quality_margin=0.05")

    ap = sub.add_parser("approve", help="record a stakeholder's decision on the evidence")
    ap.add_argument("--migration", required=True)
    ap.add_argument("--target", help="the target run (default: role target)")
    ap.add_argument("--stakeholder", required=True, help="the role, e.g. 'SRE'")
    ap.add_argument("--decision", choices=["approve", "reject"], required=True)
    ap.add_argument("--comment")
    ap.add_argument("--check", nargs="*", choices=sorted(signoff.CHECKLIST), help="confirmed")

    t = sub.add_parser("top-up", help="raise one stratum's sampling rate")
    t.add_argument("sample")
    t.add_argument("--stratum", required=True)
    t.add_argument("--pool", required=True, choices=["fail", "pass", "regression"])
    t.add_argument("--rate", required=True, type=float)
    return p


COMMANDS = {
    "init": cmd_init,
    "demo": cmd_demo,
    "import-dataset": cmd_import_dataset,
    "import-run": cmd_import_run,
    "freeze": cmd_freeze,
    "verify": cmd_verify,
    "list": cmd_list,
    "migration": cmd_migration,
    "metric": cmd_metric,
    "import-labels": cmd_import_labels,
    "export-sample": cmd_export_sample,
    "import-pairwise": cmd_import_pairwise,
    "sample": cmd_sample,
    "top-up": cmd_top_up,
    "report": cmd_report,
    "price": cmd_price,
    "run": cmd_run,
    "prompt": cmd_prompt,
    "judge": cmd_judge,
    "bedrock-eval": cmd_bedrock_eval,
    "criteria": cmd_criteria,
    "approve": cmd_approve,
}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        con = db.connect(args.db)
        try:
            return COMMANDS[args.command](args, con) or 0
        finally:
            con.close()
    except SwitchyardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # no traceback reaches a user unless asked for
        if os.environ.get("SWITCHYARD_DEBUG") == "1":
            raise
        print(
            f"error: unexpected {type(exc).__name__}: {exc} (a bug in Switchyard: please"
            " report it; SWITCHYARD_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
