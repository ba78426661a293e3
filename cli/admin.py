"""Catalog commands: migration, metric, price, criteria (a migration's sign-off criteria),
and users (sign-ins locked by failed attempts)."""

from __future__ import annotations

import argparse
import json
from datetime import date

import duckdb

from cli.common import actor, number
from core.catalog import metrics, migrations, models, sessions
from core.errors import InputError


def cmd_migration(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    """Migrations: create, list, show, add-target, archive."""
    if args.action == "create":
        if not (args.name and args.source and args.target):
            raise InputError("migration create", "name --name, --source RUN and --target RUN")
        migration_id = migrations.create(con, args.name, args.source, args.target, actor=actor())
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
            migrations.add_target(con, migration_id, run_id, actor=actor())
            print(f"{run_id} added to {migration_id}")
    else:
        migrations.archive(con, _one(args), actor=actor())
        print(f"{args.id} archived: it leaves the choosers; its evidence is kept")


def _one(args: argparse.Namespace) -> str:
    if not args.id:
        raise InputError(f"migration {args.action}", "name the migration id")
    return args.id


def cmd_metric(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    """The metric catalog: list, set, map, unmapped."""
    if args.action in ("set", "map") and not args.name:
        raise InputError(f"metric {args.action}", "name the metric")
    if args.action == "list":
        _list_metrics(con, args.json)
    elif args.action == "set":
        entry = metrics.set_metric(
            con,
            args.name,
            actor=actor(),
            display_name=args.display_name,
            low=args.low,
            high=args.high,
            direction=args.direction,
            default_threshold=args.threshold,
            source=args.source,
        )
        print(
            f"{entry.metric}: {entry.direction} is better, range {number(entry.low)}.."
            f"{number(entry.high)}, passes at {number(entry.default_threshold)}"
        )
    elif args.action == "map":
        if not args.to:
            raise InputError("metric map", "say which metric it is: --to METRIC")
        metric = metrics.map_name(con, args.name, args.to, actor=actor())
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


def _list_metrics(con: duckdb.DuckDBPyConnection, as_json: bool) -> None:
    rows = [dict(m.__dict__) for m in metrics.catalog(con).values()]
    if as_json:
        names = metrics.aliases(con)
        for row in rows:
            row["aliases"] = sorted(a for a, m in names.items() if m == row["metric"])
        print(json.dumps(rows, indent=2))
        return
    for m in rows:
        span = f"{number(m['low'])}..{number(m['high'])}"
        print(
            f"{m['metric']:<30} {m['direction']:<6} is better  range {span:<9}"
            f" pass at {number(m['default_threshold'])}  ({m['origin']})"
        )


def cmd_price(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
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
        actor=actor(),
    )
    print(f"{args.model}: {args.input} / {args.output} {args.currency} per 1K from {effective}")


def cmd_criteria(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
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
        migrations.update_criteria(con, args.migration, changes, actor=actor())
        if changes
        else migrations.criteria(con, args.migration)
    )
    print(json.dumps(current, indent=2))


def cmd_users(args: argparse.Namespace, con: duckdb.DuckDBPyConnection) -> None:
    """Sign-ins locked by failed attempts: list them, or unlock one (an admin locked out of
    the Users page unlocks here)."""
    if args.action == "locked":
        for name in sessions.locked_users(con):
            print(name)
        return
    if not args.name:
        raise InputError("users unlock", "name the user: users unlock NAME")
    was_locked = sessions.unlock(con, args.name, actor=actor())
    print(f"{args.name} can sign in again" + ("" if was_locked else " (it was not locked)"))


def add_parsers(sub: argparse._SubParsersAction) -> None:
    mg = sub.add_parser("migration", help="migrations: create, list, show, add-target, archive")
    mg.add_argument("action", choices=["create", "list", "show", "add-target", "archive"])
    mg.add_argument("id", nargs="?", help="show, add-target, archive: the migration id")
    mg.add_argument("--name", help="create: the migration's name")
    mg.add_argument("--source", help="create: the source run (the model in production)")
    mg.add_argument(
        "--target", action="append", help="create, add-target: a target run (repeatable)"
    )
    mg.add_argument("--all", action="store_true", help="list: archived ones too")
    _add_metric(sub)
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
    us = sub.add_parser("users", help="sign-ins locked by failed attempts: locked, unlock NAME")
    us.add_argument("action", choices=["locked", "unlock"])
    us.add_argument("name", nargs="?", help="unlock: the username")


def _add_metric(sub: argparse._SubParsersAction) -> None:
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


COMMANDS = {
    "migration": cmd_migration,
    "metric": cmd_metric,
    "price": cmd_price,
    "criteria": cmd_criteria,
    "users": cmd_users,
}
