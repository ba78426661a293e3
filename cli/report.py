"""Report commands for pipelines: report (calibration, compare, signoff) and approve."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb

from cli.common import actor, check_item_value
from core.analysis import calibration, compare, signoff
from core.analysis import pairwise as tournaments
from core.catalog import migrations
from core.errors import InputError
from core.importers import pairwise
from core.types import KAPPA_FLOOR, RESAMPLES


def cmd_report(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> int | None:
    if args.kind != "compare" and (args.stratum or args.split):
        option = "--stratum" if args.stratum else "--split"
        raise InputError(option, f"applies to report compare only, not report {args.kind}")
    if args.kind == "signoff":
        return report_signoff(args, con)
    if args.kind == "compare":
        report_compare(args, con)
    else:
        report_calibration(args, con)
    return None


def report_calibration(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    """Judge-vs-SME agreement per metric, SME-vs-SME and pairwise agreement, as JSON."""
    if not (args.run or args.migration):
        raise InputError("report", "name a --migration or a --run")
    run_id = args.run or migrations.source_run(con, args.migration)
    _check_metric(con, run_id, args.metric)
    metrics = [args.metric] if args.metric else calibration.metrics_with_labels(con, run_id)
    votes = tournaments.load(con, run_id)  # pairwise votes need no judge score
    if not metrics and not votes:
        raise InputError(
            "report",
            f"no SME label meets a judge score on run {run_id}, and no pairwise vote is on its"
            " dataset",
        )
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
    ).to_dict()
    reports["pairwise"] = [
        {
            "run_id": judged,
            "baseline_run_id": baseline,
            "metric": name,
            **calibration.pairwise(
                prefs["judge"],
                prefs["sme"],
                prefs["item_id"],
                seed=args.seed,
                resamples=args.resamples,
            ).to_dict(),
        }
        for judged, baseline, name in pairwise.comparisons(con, run_id)
        if not (prefs := pairwise.pairs(con, judged, baseline, name)).empty
    ]
    # Every pair of the run's dataset version, judges and reviewers (Zheng et al. 2023).
    reports["pairwise_tournament"] = [
        tournaments.tournament(metric_votes, seed=args.seed, resamples=args.resamples).to_dict()
        for metric_votes in votes
    ]
    print(json.dumps({"run_id": run_id, "metrics": reports}, indent=2, default=str))


def _check_metric(con: duckdb.DuckDBPyConnection, run_id: str, metric: str | None) -> None:
    """Refuse a --metric the run has no judge score or SME label for, naming the ones it has."""
    if metric is None:
        return
    scored = con.execute("SELECT DISTINCT metric FROM judge_score WHERE run_id = ?", [run_id])
    known = sorted(
        {row[0] for row in scored.fetchall()} | set(calibration.metrics_with_labels(con, run_id))
    )
    if metric not in known:
        raise InputError(
            "--metric",
            f"run {run_id} has no metric {metric!r}; its metrics: {', '.join(known) or 'none'}",
        )


def _need_migration(args: argparse.Namespace) -> str:
    if not args.migration:
        raise InputError("report", f"report {args.kind} needs --migration")
    return args.migration


def report_signoff(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> int:
    """The sign-off as JSON, HTML or PDF; with --gate the exit code is the decision."""
    if args.format == "pdf" and not args.out:
        raise InputError("--format pdf", "a PDF is written to a file: add --out FILE.pdf")
    report = signoff.evaluate(con, _need_migration(args), args.target, seed=args.seed)
    exported = _export(report, args.format)
    if isinstance(exported, bytes):
        Path(args.out).write_bytes(exported)
    elif args.out:
        Path(args.out).write_text(exported, encoding="utf-8")
    else:
        print(exported)
    if args.out:
        print(f"{report.decision}: written to {args.out}", file=sys.stderr)
    return signoff.EXIT_CODES[report.decision] if args.gate else 0


def _export(report: signoff.SignoffReport, fmt: str) -> str | bytes:
    if fmt == "json":
        return signoff.to_json(report)
    from core.analysis.signoff import charts  # altair, vl-convert, WeasyPrint: only for these

    return charts.export_pdf(report) if fmt == "pdf" else charts.export_html(report)


def report_compare(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    """Every comparison figure (all metrics, per stratum, speed, cost) as JSON: the same
    ``compare.Figures`` the Compare page shows, and the per-call latencies."""
    migration_id = _need_migration(args)
    target = args.target or signoff.default_target(con, migration_id)
    source = migrations.source_run(con, migration_id)
    check_item_value(con, source, "stratum", args.stratum)
    check_item_value(con, source, "split", args.split)
    comparison = compare.load(con, migration_id, target)
    items = compare.select(comparison, args.stratum, args.split)
    figures = compare.figures(comparison, items, args.seed)
    out = {
        "migration_id": migration_id,
        "source_run_id": comparison.runs["source"],
        "target_run_id": target,
        "stratum": args.stratum,
        "split": args.split,
        "quality": figures.quality,
        "by_stratum": figures.by_stratum,
        "sme_corrected": figures.sme_corrected,
        "speed": figures.speed,
        "calls": compare.call_breakdown(con, comparison, items).to_dict("records"),
        "cost": figures.cost,
    }
    print(json.dumps(signoff.plain(out), indent=2))


def cmd_approve(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    target = args.target or signoff.default_target(con, args.migration)
    approval_id = signoff.record_approval(
        con,
        args.migration,
        target,
        args.stakeholder,
        args.decision,
        actor=actor(),
        comment=args.comment,
        checklist={item: True for item in args.check or []},
    )
    print(f"{args.decision} by {args.stakeholder} recorded (approval {approval_id})")
    print(approval_id)  # the new id alone on the last line, for scripts


def add_parsers(sub: argparse._SubParsersAction) -> None:
    rp = sub.add_parser("report", help="reports for pipelines: calibration, compare, signoff")
    rp.add_argument("kind", choices=["calibration", "compare", "signoff"])
    rp.add_argument("--migration", help="calibration: its source run, unless --run names another")
    rp.add_argument("--run", help="calibration: the run whose judges are calibrated")
    rp.add_argument("--target", help="compare/signoff: the target run (default: role target)")
    rp.add_argument("--stratum", help="compare: one stratum")
    rp.add_argument("--split", help="compare: one split (dev, holdout)")
    rp.add_argument("--format", choices=["json", "html", "pdf"], default="json", help="signoff")
    rp.add_argument("--out", help="signoff: write to this file")
    rp.add_argument(
        "--gate",
        action="store_true",
        help="signoff: exit 0 on GO, 3 on NOT YET, 4 on NO-GO",
    )
    rp.add_argument("--metric", help="default: every metric with SME labels")
    rp.add_argument("--floor", type=float, default=KAPPA_FLOOR, help="kappa floor for the advice")
    rp.add_argument("--resamples", type=int, default=RESAMPLES)
    rp.add_argument("--seed", type=int, default=0)

    ap = sub.add_parser("approve", help="record a stakeholder's decision on the evidence")
    ap.add_argument("--migration", required=True)
    ap.add_argument("--target", help="the target run (default: role target)")
    ap.add_argument("--stakeholder", required=True, help="the role, e.g. 'SRE'")
    ap.add_argument("--decision", choices=["approve", "reject"], required=True)
    ap.add_argument("--comment")
    ap.add_argument("--check", nargs="*", choices=sorted(signoff.CHECKLIST), help="confirmed")


COMMANDS = {"report": cmd_report, "approve": cmd_approve}
