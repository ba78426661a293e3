"""Model commands: run, judge, bedrock-eval, prompt (versions of a migration's system prompt)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import cast

import duckdb

from cli.common import actor, progress
from core.catalog import datasets
from core.errors import InputError
from core.jobs import kinds
from core.llm import (
    batch,
    batch_import,
    batch_online,
    bedrock_eval,
    clients,
    judges,
    prompts,
    runner,
)
from core.store import settings
from core.types import DEFAULT_REGION, PROVIDERS, RUN_ROLES, RunRole


def _model_config(args: argparse.Namespace) -> runner.ModelConfig:
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


def cmd_run(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> int:
    """Run a model over a frozen dataset (or resume a run); --dry-run only estimates.
    Exits 5 when some items failed (they are retried by --resume)."""
    if args.batch or (args.resume and batch.is_batch(con, args.resume)):
        return _run_batch(args, con)
    if args.online_sample:
        raise InputError("run", "--online-sample measures a batch run: add --batch")
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
            con, dataset_id, config, actor=actor(), name=args.name, role=_roles(args)[0]
        )
        print(f"created {run_id}", file=sys.stderr)
    if args.queue or args.parts > 1:
        # Workers answer it: `python -m core worker` (any number on PostgreSQL) or the app.
        first = kinds.enqueue_run(con, run_id, config, actor=actor(), parts=args.parts)
        print(f"queued {run_id} as {args.parts} job(s), the first {first}", file=sys.stderr)
        print(run_id)
        return 0
    result = runner.execute(con, run_id, config, progress=progress)
    print(file=sys.stderr)
    print(result.summary())
    for line in result.errors[:5]:
        print(f"  {line}")
    print(run_id)
    return 0 if result.failed == 0 else 5


def _roles(args: argparse.Namespace) -> tuple[RunRole, str | None]:
    """--role given as the run's role, an IAM role ARN (for --batch), or both."""
    given = args.role or []
    arns = [r for r in given if r.startswith("arn:")]
    roles = [r for r in given if not r.startswith("arn:")]
    if len(arns) > 1 or len(roles) > 1:
        raise InputError("run", f"--role names at most one run role and one ARN, got {given}")
    role = roles[0] if roles else "candidate"
    if role not in RUN_ROLES:
        raise InputError(
            "run", f"--role must be {', '.join(RUN_ROLES)} or an IAM role ARN, got {role!r}"
        )
    return cast(RunRole, role), arns[0] if arns else None


def _run_batch(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> int:
    """A Bedrock batch job over the dataset: start it (or find this command's earlier one),
    poll it, import its records; then TTFT and latency on an online sample if asked."""
    if args.online_sample is not None and args.online_sample < 1:
        raise InputError(
            "--online-sample", f"expected a number of items ≥ 1, got {args.online_sample}"
        )
    if args.resume:
        run_id = args.resume
        batch.stored(con, run_id)
    else:
        started = _start_batch(args, con)
        if started is None:
            return 0
        run_id = started
    result = batch_import.finish(con, run_id, actor=actor(), poll_s=args.poll, progress=progress)
    print(file=sys.stderr)
    print(result.summary())
    for line in result.errors[:5]:
        print(f"  {line}")
    if args.online_sample:
        overrides = {"endpoint_url": args.endpoint_url} if args.endpoint_url else {}
        if args.concurrency:
            overrides["concurrency"] = args.concurrency
        config = batch.config_of(con, run_id, **overrides)
        sample = batch_online.measure(con, run_id, args.online_sample, config, actor=actor())
        print(sample.summary())
        for line in sample.failed[:5]:
            print(f"  {line}")
    print(run_id)
    return 0 if result.failed == 0 else 5


def _start_batch(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> str | None:
    """The run of this batch command (new, or the earlier one not imported yet); None after
    a dry run, which only prints the estimate at the batch price."""
    if not (args.dataset and args.model):
        raise InputError("run --batch", "name --dataset and --model (or --resume RUN)")
    dataset_id = datasets.resolve(con, args.dataset)
    config = _model_config(args)
    if args.dry_run:
        print(json.dumps(batch.dry_run(con, dataset_id, config), indent=2))
        return None
    run_role, role_arn = _roles(args)
    if not (args.s3 and role_arn):
        raise InputError("run --batch", "name --s3 s3://BUCKET/PREFIX and --role ARN")
    spec = batch.BatchSpec(args.s3, role_arn)
    run_id, resumed = batch.start(
        con, dataset_id, config, spec, actor=actor(), name=args.name, role=run_role
    )
    job = batch.stored(con, run_id)["batch"]["job_arn"]
    print(f"{'resuming' if resumed else 'created'} {run_id}: job {job}", file=sys.stderr)
    return run_id


def cmd_judge(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
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
    counts = judges.score_run(con, args.run, metrics, config, actor=actor(), progress=progress)
    print(file=sys.stderr)
    for metric, scored in counts.items():
        print(f"{metric}: {scored} items scored")


def cmd_bedrock_eval(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    """Evaluate a run with an Amazon Bedrock evaluation job; with --wait, wait for it and
    attach its scores to the run (judge bedrock), replacing that judge's earlier ones."""
    bedrock = clients.bedrock(args.region)
    s3_client = clients.s3(args.region)
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
        actor=actor(),
    )
    print(f"started {arn}")
    if not args.wait:
        return
    job = bedrock_eval.wait(bedrock, arn, poll_s=args.poll)
    result = bedrock_eval.attach_results(con, job, args.run, actor=actor())
    print(result.summary())
    print(result.run_id)  # the evaluated run's id alone on the last line, for scripts


def cmd_prompt(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    """Prompt versions of a migration: add, optimize, metaprompt, diff, list."""
    endpoint = args.endpoint_url  # else boto3's AWS_ENDPOINT_URL_BEDROCK_* variables
    if args.action == "add":
        text = Path(args.file).read_text(encoding="utf-8") if args.file else args.text
        version = prompts.create(
            con,
            args.migration,
            args.model,
            text or "",
            actor=actor(),
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
            actor=actor(),
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
            actor=actor(),
            region=args.region,
            endpoint_url=endpoint,
        )
        print(version)
    elif args.action == "diff":
        print(prompts.diff(con, args.parent, args.other))
    else:
        table = prompts.runs_by_version(con, args.migration)
        print(prompts.runs_by_version_shown(table).to_string(index=False))


def add_parsers(sub: argparse._SubParsersAction) -> None:
    _add_run(sub)
    _add_judge(sub)
    _add_bedrock_eval(sub)
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
    pv.add_argument("--region", default=DEFAULT_REGION)
    pv.add_argument("--endpoint-url", help="Bedrock endpoint (default: boto3's, from AWS_*)")


def _add_run(sub: argparse._SubParsersAction) -> None:
    rn = sub.add_parser("run", help="run a model over a frozen dataset (Bedrock or OpenAI API)")
    rn.add_argument("--dataset", help="dataset version (name@N, or name = latest)")
    rn.add_argument("--model", help="model id, e.g. amazon.nova-pro-v1:0")
    rn.add_argument("--resume", metavar="RUN", help="finish an interrupted run")
    rn.add_argument("--provider", choices=PROVIDERS, default="bedrock")
    rn.add_argument("--endpoint-url", help="Bedrock endpoint, or the OpenAI-compatible base URL")
    rn.add_argument("--region", default=DEFAULT_REGION)
    rn.add_argument("--temperature", type=float, default=0.0)
    rn.add_argument("--top-p", type=float, default=0.9)
    rn.add_argument("--max-tokens", type=int, default=512)
    rn.add_argument("--prompt-version", help="system prompt: a prompt version id")
    rn.add_argument("--concurrency", type=int, help="calls in flight (default: setting)")
    rn.add_argument("--timeout", type=float, default=60.0, help="seconds per call")
    rn.add_argument("--name")
    rn.add_argument(
        "--role",
        action="append",
        metavar="ROLE|ARN",
        help="the run's role (source, target, candidate; default candidate); with --batch"
        " also the IAM role ARN Bedrock assumes (give --role twice for both)",
    )
    rn.add_argument("--dry-run", action="store_true", help="estimate tokens and cost only")
    rn.add_argument(
        "--queue", action="store_true", help="queue the run for workers instead of running it"
    )
    rn.add_argument(
        "--parts",
        type=int,
        default=1,
        help="--queue: split the items into N jobs that several workers answer at once",
    )
    rn.add_argument("--batch", action="store_true", help="run as an Amazon Bedrock batch job")
    rn.add_argument("--s3", help="--batch: s3://BUCKET/PREFIX for the job's input and output")
    rn.add_argument("--poll", type=float, default=60.0, help="--batch: seconds between polls")
    rn.add_argument(
        "--online-sample",
        type=int,
        metavar="N",
        help="--batch: measure TTFT and latency by streaming N items, stratified",
    )


def _add_judge(sub: argparse._SubParsersAction) -> None:
    jg = sub.add_parser("judge", help="score a run with Ragas, DeepEval or non-LLM metrics")
    jg.add_argument("--run", required=True)
    jg.add_argument(
        "--metrics", required=True, help="comma-separated: " + ", ".join(judges.METRICS)
    )
    jg.add_argument("--judge-model", default=judges.JudgeConfig.model_id)
    jg.add_argument("--embedding-model", default=judges.JudgeConfig.embedding_model_id)
    jg.add_argument("--provider", choices=PROVIDERS, default="bedrock")
    jg.add_argument("--region", default=DEFAULT_REGION)
    jg.add_argument(
        "--endpoint-url",
        help="Bedrock endpoint (default: boto3's), or the OpenAI-compatible base URL",
    )
    jg.add_argument("--threshold", type=float, default=0.5)
    jg.add_argument("--rubric", help="GEval correctness: the criteria, in words")
    jg.add_argument("--pattern", help="pattern match: the regular expression")
    jg.add_argument("--concurrency", type=int, help="items judged at once (default: setting)")


def _add_bedrock_eval(sub: argparse._SubParsersAction) -> None:
    be = sub.add_parser("bedrock-eval", help="evaluate a run with a Bedrock evaluation job")
    be.add_argument("--run", required=True)
    be.add_argument("--s3", required=True, help="s3://bucket/prefix for the dataset and output")
    be.add_argument("--role", required=True, help="IAM role ARN Bedrock assumes")
    be.add_argument(
        "--metrics", required=True, help="e.g. Builtin.Correctness,Builtin.Faithfulness"
    )
    be.add_argument("--judge-model", help="LLM-as-judge: the evaluator model")
    be.add_argument("--region", default=DEFAULT_REGION)
    be.add_argument(
        "--wait", action="store_true", help="poll until done, then attach the scores to --run"
    )
    be.add_argument("--poll", type=float, default=30.0, help="seconds between polls")


COMMANDS = {
    "run": cmd_run,
    "judge": cmd_judge,
    "bedrock-eval": cmd_bedrock_eval,
    "prompt": cmd_prompt,
}
