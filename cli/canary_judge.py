"""``canary judge``: the migration's judges score a sample of both arms' production traffic
(the same rate on each arm; a later run judges only new traffic). The judge model and its
endpoint are taken as ``python -m core judge`` takes them; without ``--judge-model`` the
model that judged the migration's runs (the one its owner calibrated) is used.
Exits 5 when some judge calls failed (the next run tries them again).
``cli.canary`` registers this action beside ``ingest`` and ``arm``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

import duckdb

from cli.common import actor, progress, utc_time
from core.llm import canary_judge, judges
from core.store import settings
from core.types import DEFAULT_REGION, PROVIDERS

Action = argparse._SubParsersAction


def _since(text: str | None) -> datetime | None:
    """--since as a naive UTC datetime (an ISO time; one with an offset is converted)."""
    return utc_time("--since", text) if text else None


def canary_judge_traffic(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> int:
    """Judge the sample; print the summary (or the result as JSON)."""
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    judge_settings: dict[str, Any] = {
        "provider": args.provider,
        "region": args.region,
        "endpoint_url": args.endpoint_url,  # else boto3's AWS_ENDPOINT_URL_BEDROCK_RUNTIME
        "concurrency": args.concurrency or int(settings.get("run_concurrency")),
    }
    if args.judge_model:
        judge_settings["model_id"] = args.judge_model
        judge = judges.JudgeConfig(**judge_settings)
    else:
        judge = canary_judge.default_judge(con, args.migration, metrics, **judge_settings)
    result = canary_judge.judge_traffic(
        con,
        args.migration,
        share=args.share,
        metrics=metrics,
        judge=judge,
        seed=args.seed,
        since=_since(args.since),
        limit=args.limit,
        actor=actor(),
        progress=None if args.json else progress,
    )
    if args.json:
        print(json.dumps(result.to_dict(), default=str, indent=2))
    else:
        print(file=sys.stderr)
        print(result.summary())
        for metric, why in result.skipped.items():
            print(f"  not judged: {metric} ({why})")
    return 5 if result.failed else 0


def add_actions(sub: Action) -> None:
    p = sub.add_parser("judge", help="the migration's judges score a sample of both arms' traffic")
    p.add_argument("--migration", required=True)
    p.add_argument(
        "--share", type=float, default=0.05, help="the sampling rate on each arm, in (0, 1]"
    )
    p.add_argument(
        "--metrics",
        help="comma-separated judge or catalog metrics (default: the migration's gating ones)",
    )
    p.add_argument(
        "--judge-model", help="judge model id (default: the one that judged the migration's runs)"
    )
    p.add_argument("--provider", choices=PROVIDERS, default="bedrock")
    p.add_argument("--endpoint-url", help="Bedrock endpoint, or the OpenAI-compatible base URL")
    p.add_argument("--region", default=DEFAULT_REGION)
    p.add_argument("--concurrency", type=int, help="calls in flight (default: setting)")
    p.add_argument("--limit", type=int, help="judge at most N requests (lowest coins first)")
    p.add_argument("--seed", help="the sample's seed (default: the migration id)")
    p.add_argument("--since", help="only requests from this ISO time (UTC)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


ACTIONS = {"judge": canary_judge_traffic}
