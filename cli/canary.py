"""Canary commands: ``canary ingest`` (production traffic of both arms in) and ``canary arm``
(map another model id to an arm). One ``canary`` command with one subcommand per action;
each action is a handler in ACTIONS and a ``_add_<action>`` parser."""

from __future__ import annotations

import argparse
import json

import duckdb

from cli import canary_course, canary_judge, canary_review
from cli.common import actor
from core.importers import canary
from core.importers.canary import FORMATS, Options

Action = argparse._SubParsersAction


def cmd_canary(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> int | None:
    return ACTIONS[args.action](args, con)


def canary_ingest(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    """Ingest a file, a folder or an s3:// prefix; print one line per file, then the total."""
    options = Options(fmt=args.format, arm_key=args.arm_key, stratum_key=args.stratum_key)
    result = canary.ingest(con, args.source, args.migration, actor=actor(), options=options)
    if args.json:
        print(json.dumps(result.to_dict(), default=str, indent=2))
        return
    for f in result.files:
        if f.skipped:
            print(f"{f.source}: skipped, ingested before (same content, {f.sha256[:12]})")
        else:
            print(f"{f.source}: {f.requests} requests, {f.scores} scores ({f.format})")
        for warning in f.warnings:
            print(f"  warning: {warning}")
    print(
        f"{result.requests} requests and {result.scores} scores ingested for"
        f" {result.migration_id} from {len(result.files) - result.skipped} file(s);"
        f" {result.skipped} skipped"
    )


def canary_arm(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    canary.configure(
        con, args.migration, args.model, args.arm, actor=actor(), priced_as=args.priced_as
    )
    known = canary.known(con, args.migration)
    for model, arm in known.items():
        print(f"{arm}: {model}")


def _add_ingest(sub: Action) -> None:
    p = sub.add_parser(
        "ingest",
        help="ingest production traffic: OTLP JSON lines, Bedrock invocation logs, or a table",
    )
    p.add_argument("source", help="a file, a folder, or an s3://bucket/prefix")
    p.add_argument("--migration", required=True, help="the migration whose canary this is")
    p.add_argument("--format", choices=FORMATS, help="default: detected from the content")
    p.add_argument(
        "--arm-key",
        help="the Bedrock requestMetadata key (or OTel attribute) whose value is the arm"
        " (control or canary); default: the arm follows the model id",
    )
    p.add_argument(
        "--stratum-key",
        default="stratum",
        help="the requestMetadata key (or OTel attribute) holding the stratum",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def _add_arm(sub: Action) -> None:
    p = sub.add_parser("arm", help="map a model id as the logs spell it to an arm")
    p.add_argument("--migration", required=True)
    p.add_argument("--model", required=True, help="the model id as the logs carry it")
    p.add_argument("--arm", required=True, choices=("control", "canary"))
    p.add_argument("--priced-as", help="the catalog model whose prices apply (default: the arm's)")


def add_parsers(sub: Action) -> None:
    group = sub.add_parser("canary", help="the canary: ingest traffic, map arms")
    actions = group.add_subparsers(dest="action", required=True)
    _add_ingest(actions)
    _add_arm(actions)
    canary_course.add_actions(actions)  # status, recipe, stage
    canary_judge.add_actions(actions)  # judge
    canary_review.add_actions(actions)  # sample (SME review of canary traffic)


ACTIONS = {
    "ingest": canary_ingest,
    "arm": canary_arm,
    **canary_course.ACTIONS,
    **canary_judge.ACTIONS,
    **canary_review.ACTIONS,
}
COMMANDS = {"canary": cmd_canary}
