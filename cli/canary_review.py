"""SME review of canary traffic on the command line: ``canary sample`` draws production
requests of both arms (a share of the judges' failures and of their passes, the same in each
arm) into the SMEs' review queues, blind to the arm. ``cli.canary`` registers it."""

from __future__ import annotations

import argparse
import json
import sys

import duckdb

from cli.common import actor, reviewer_names
from core.formatting import pct
from core.review import canary_sampling

Action = argparse._SubParsersAction


def canary_sample(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    """Draw, then print one line per (arm, pool) and the total (or the result as JSON)."""
    reviewers, note = reviewer_names(con, args.reviewers)
    result = canary_sampling.draw(
        con,
        args.migration,
        fail_rate=args.fail_rate,
        pass_rate=args.pass_rate,
        reviewers=reviewers,
        seed=args.seed,
        actor=actor(),
    )
    if note:
        print(note, file=sys.stderr)
    for arm in result.unreviewed_arms:  # Bernoulli draws of a thin arm can all come up empty
        print(
            f"note: no request of the {arm} arm was drawn; a later draw over more traffic, or a"
            " higher --pass-rate, gives its SMEs some",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(result.to_dict(), default=str, indent=2))
        return
    for p in result.pools:
        print(
            f"{p.arm:<8} judges {p.pool:<5} {p.drawn:>6,} of {p.considered:>8,} drawn"
            f" (rate {pct(p.rate)})"
        )
    waiting = (
        f"; {result.unjudged:,} requests without a judge verdict wait for a later draw"
        if result.unjudged
        else ""
    )
    print(
        f"canary review sample {result.sample_id}: {result.drawn:,} of {result.considered:,}"
        f" requests drawn, {result.assignments:,} assignments{waiting}"
    )
    print(result.sample_id)  # the new id alone on the last line, for scripts


def _add_sample(sub: Action) -> None:
    p = sub.add_parser(
        "sample",
        help="draw canary traffic of both arms for blind SME review (judge fails and passes)",
    )
    p.add_argument("--migration", required=True)
    p.add_argument(
        "--fail-rate",
        type=float,
        default=canary_sampling.FAIL_RATE,
        help="share of the judges' failures drawn, per arm (default 0.1)",
    )
    p.add_argument(
        "--pass-rate",
        type=float,
        default=canary_sampling.PASS_RATE,
        help="share of the judges' passes drawn, per arm (default 0.02)",
    )
    p.add_argument("--reviewers", help="comma-separated SME usernames", required=True)
    p.add_argument("--seed", type=int, help="for a reproducible draw (default: random, stored)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def add_actions(sub: Action) -> None:
    _add_sample(sub)


ACTIONS = {"sample": canary_sample}
