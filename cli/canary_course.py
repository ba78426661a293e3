"""The canary's course on the command line: ``canary status`` (the current stage's verdict;
with ``--gate`` the exit code is the verdict: 0 PROMOTE, 3 HOLD, 4 ROLL BACK), ``canary
recipe`` (the routing of a stage or its rollback) and ``canary stage start|rollback``.
``cli.canary`` registers these actions beside ``ingest`` and ``arm``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

import duckdb

from cli.common import actor, utc_time
from core.analysis.canary import course, recipe, stages, status
from core.analysis.canary import evidence as canary_evidence
from core.errors import InputError

Action = argparse._SubParsersAction


def _at(text: str | None) -> datetime:
    """--at as a naive UTC datetime (an ISO time; one with an offset is converted)."""
    return utc_time("--at", text) if text else status.now_utc()


def canary_status(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> int:
    """The current stage's verdict, its reasons and checks; the verdict is stored if new."""
    result = status.status(con, args.migration, actor=actor())
    if args.json:
        print(json.dumps(result.to_dict(), default=str, indent=2))
    else:
        _print_status(result)
    return result.exit_code if args.gate else 0


def _print_status(result: status.CanaryStatus) -> None:
    verdict = result.verdict
    synthetic = " (synthetic demo traffic)" if result.synthetic else ""
    arms = ", ".join(f"{n} {arm}" for arm, n in sorted(result.requests.items())) or "no requests"
    print(
        f"{result.migration_id}{synthetic}: stage {verdict.stage} ({verdict.share_pct:g}% to "
        f"{result.target_model}), {verdict.hours:.1f} h, {arms}"
    )
    for check in result.checks:
        figure = f"{stages.figure(check)}, {stages.bound_of(check)}"
        print(f"  {check.name:<17} {check.status:<12} {figure}")
    for line in verdict.reasons + verdict.evidence:
        print(f"  - {line}")
    if result.drill is not None:
        print(f"  rollback drill: {result.drill.status.upper()}: {result.drill.why}")
    print(f"{verdict.verdict} (inputs {result.inputs_hash[:12]})")


def canary_recipe(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    """The stage's routing (or its rollback) as LiteLLM YAML or plain JSON weights."""
    ev = canary_evidence.load(con, args.migration, "none")
    made = recipe.recipe(
        args.migration,
        ev.criteria,
        args.stage,
        ev.source_model,
        ev.target_model,
        args.rollback,
        canary_evidence.providers(con, ev.source_model, ev.target_model),
    )
    text = recipe.render(made, args.format)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(args.out)
    else:
        sys.stdout.write(text)


def canary_stage(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    """Record a stage's start or the rollback of the running stage."""
    at = _at(args.at)
    if args.what == "start":
        if args.stage is None:
            raise InputError("stage", "canary stage start needs --stage N")
        started = course.start_stage(
            con, args.migration, args.stage, actor=actor(), at=at, override=args.override
        )
        print(
            f"stage {started.number} ({started.share_pct:g}% to the target) started at "
            f"{at:%Y-%m-%d %H:%M} UTC"
        )
        return
    ev = canary_evidence.load(con, args.migration, "none")
    running = stages.current(stages.stages_of(ev.criteria, ev.started))
    if args.stage is not None and running is not None and running.number != args.stage:
        raise InputError("stage", f"stage {running.number} is running, not stage {args.stage}")
    rollback_id = course.record_rollback(
        con, args.migration, actor=actor(), at=at, reason=args.reason
    )
    print(
        f"rollback recorded at {at:%Y-%m-%d %H:%M} UTC: route all traffic to the source "
        f"(`canary recipe --rollback`); the drill reads the logs ingested after it "
        f"(`canary status`). Rollback {rollback_id}"
    )


def _add_status(sub: Action) -> None:
    p = sub.add_parser("status", help="the current stage's verdict: PROMOTE, HOLD or ROLL BACK")
    p.add_argument("--migration", required=True)
    p.add_argument(
        "--gate", action="store_true", help="exit 0 on PROMOTE, 3 on HOLD, 4 on ROLL BACK"
    )
    p.add_argument("--json", action="store_true", help="print the status as JSON")


def _add_recipe(sub: Action) -> None:
    p = sub.add_parser("recipe", help="a stage's routing: LiteLLM router config or JSON weights")
    p.add_argument("--migration", required=True)
    p.add_argument("--stage", type=int, required=True, help="1-based, as in the criteria")
    p.add_argument("--format", choices=recipe.FORMATS, default="litellm")
    p.add_argument("--rollback", action="store_true", help="the rollback: canary weight 0")
    p.add_argument("--out", help="write to this file (default: print)")


def _add_stage(sub: Action) -> None:
    p = sub.add_parser("stage", help="record a stage's start, or the rollback")
    p.add_argument("what", choices=("start", "rollback"))
    p.add_argument("--migration", required=True)
    p.add_argument("--stage", type=int, help="start: the stage; rollback: the running one")
    p.add_argument("--at", help="when the routing changed, ISO time in UTC (default: now)")
    p.add_argument("--reason", help="rollback: why")
    p.add_argument(
        "--override",
        metavar="REASON",
        help="start: go on although the running stage does not read PROMOTE (audited)",
    )


def add_actions(sub: Action) -> None:
    _add_status(sub)
    _add_recipe(sub)
    _add_stage(sub)


ACTIONS = {"status": canary_status, "recipe": canary_recipe, "stage": canary_stage}
