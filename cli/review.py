"""Review commands: sample, top-up, export-sample (for SMEs outside the app), import-labels."""

from __future__ import annotations

import argparse
import sys

import duckdb

from cli.common import actor, check_item_value, reviewer_names
from core.analysis import signoff
from core.catalog import datasets, migrations
from core.errors import InputError, SwitchyardError
from core.importers import labels
from core.review import plan_text, planning, sample_export, sampling


def cmd_sample(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    reviewers, note = reviewer_names(con, args.reviewers)
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
        reviewers=tuple(reviewers),
    )
    check_item_value(con, migrations.source_run(con, args.migration), "split", args.split)
    if args.plan:
        _targets(args.plan)  # refused before any preview is printed
    if args.plan and args.drawn:  # a drawn sample's top-up: no preview of a new draw
        _print_plan(con, args, None, params)
        return
    source = migrations.source_run(con, args.migration)
    plan = sampling.plan(con, args.migration, source, target, params)
    for s in plan.strata:
        print(f"  {s.stratum:<20} {s.pool:<10} {s.take:>5} of {s.size:<5} p = {s.probability:.4f}")
    print(f"{plan.total} of {plan.frame} items ({plan.excluded} open elsewhere, left out)")
    if args.plan:
        _print_plan(con, args, plan, params)
        return
    if args.preview:
        return
    sample_id = sampling.create(
        con, args.migration, source, target, params, actor=actor(), name=args.name
    )
    if note:
        print(note, file=sys.stderr)
    print(f"sample {sample_id} created; assigned to {', '.join(params.reviewers)}")
    print(sample_id)


def _pair(text: str, option: str, default: str = "") -> tuple[float, float]:
    """'A:B' (or 'A' when B has a default) as two numbers."""
    first, _, second = text.partition(":")
    try:
        return float(first), float(second or default)
    except ValueError:
        raise InputError(option, f"expected two numbers as A:B, got {text!r}") from None


def _targets(text: str) -> planning.Targets:
    """The --plan half-widths, refused with an example when they are not fractions."""
    targets = planning.Targets(*_pair(text, "--plan", default="0.10"))
    if not targets.valid():
        raise SwitchyardError(
            f"--plan takes half-widths as fractions, e.g. 0.05:0.10 (5 points, κ ±0.10); got {text}"
        )
    return targets


def _print_plan(
    con: duckdb.DuckDBPyConnection,
    args: argparse.Namespace,
    preview: sampling.Plan | None,
    params: sampling.SampleParams,
) -> None:
    """Labels per stratum for the --plan half-widths; of a drawn sample's top-up with --drawn."""
    targets = _targets(args.plan)
    earlier = planning.earlier_priors(con, args.migration) or planning.Priors()
    priors = planning.Priors(*_pair(args.expect, "--expect")) if args.expect else earlier
    if args.drawn or preview is None:
        strata = planning.sample_strata(con, args.drawn, args.migration)
    else:
        strata = planning.frame_strata(preview)
    result = planning.plan(strata, priors, targets, params)
    print(f"{'stratum':<32} {'N_h':>6} {'drawn':>6} {'labelled':>8} {'needed':>7} {'more':>5}")
    for s in result.strata:
        name = f"{s.stratum}/{s.pool}"
        print(f"{name:<32} {s.size:>6} {s.drawn:>6} {s.labelled:>8} {s.needed:>7} {s.more:>5}")
    print(plan_text.summary(result, params))


def _only_target(con: duckdb.DuckDBPyConnection, migration_id: str) -> str:
    """The default target, unless several runs could be it: a sample is drawn against one."""
    runs = migrations.target_run_list(con, migration_id)
    candidates = [r for r in runs if r["role"] == "target"] or runs
    if len(candidates) > 1:
        names = ", ".join(sorted(r["run_id"] for r in runs))
        raise InputError("--target", f"the migration has runs {names}; pick one")
    return signoff.default_target(con, migration_id)


def cmd_top_up(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    added = sampling.top_up(con, args.sample, args.stratum, args.pool, args.rate, actor=actor())
    for s in sampling.strata(con, args.sample):
        if (s["stratum"], s["pool"]) == (args.stratum, args.pool):
            print(
                f"{added} items added to {args.stratum}/{args.pool}: now {s['taken']} of "
                f"{s['size']}, inclusion probability {s['inclusion_prob']:.4f}"
            )


def cmd_export_sample(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    """Write a sample's assignments for SMEs who review outside the app; the path goes last."""
    written = sample_export.export(
        con, args.sample, args.out, args.format, reviewer=args.reviewer, mask=args.mask
    )
    print(written.summary())
    print(written.path)


def cmd_import_labels(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    if not (args.dataset or args.sample):
        raise InputError("import-labels", "name the --dataset the labels grade (or a --sample)")
    dataset_id = datasets.resolve(con, args.dataset) if args.dataset else None
    result = labels.import_labels(
        con,
        args.file,
        dataset_id,
        actor=actor(),
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


def add_parsers(sub: argparse._SubParsersAction) -> None:
    _add_sample(sub)
    t = sub.add_parser("top-up", help="raise one stratum's sampling rate")
    t.add_argument("sample")
    t.add_argument("--stratum", required=True)
    t.add_argument("--pool", required=True, choices=["fail", "pass", "regression"])
    t.add_argument("--rate", required=True, type=float)
    ex = sub.add_parser(
        "export-sample", help="write a sample's assignments for SMEs reviewing outside the app"
    )
    ex.add_argument("sample")
    ex.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    ex.add_argument("--out", required=True, help="the file to write")
    ex.add_argument("--reviewer", help="only this SME's assignments")
    ex.add_argument("--mask", action="store_true", help="mask PII in the texts")
    _add_import_labels(sub)


def _add_sample(sub: argparse._SubParsersAction) -> None:
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
    s.add_argument(
        "--plan",
        metavar="PASS[:KAPPA]",
        help="print the labels per stratum a 95%% half-width of the SME pass rate (and of kappa,"
        " default 0.10) needs, e.g. 0.03:0.10; write nothing",
    )
    s.add_argument(
        "--expect",
        metavar="FAIL:PASS",
        help="with --plan: expected SME pass rates where the judge failed and passed"
        " (default: the migration's labelled samples, else 0.35:0.95)",
    )
    s.add_argument("--drawn", metavar="SAMPLE", help="with --plan: plan a top-up of this sample")


def _add_import_labels(sub: argparse._SubParsersAction) -> None:
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


COMMANDS = {
    "sample": cmd_sample,
    "top-up": cmd_top_up,
    "export-sample": cmd_export_sample,
    "import-labels": cmd_import_labels,
}
