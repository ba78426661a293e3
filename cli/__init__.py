"""``python -m core <command>``: what an evaluation owner does, in batch.

Every command prints what it did and exits 0, or prints one clear error line and exits 1
(2 for a usage error). ``report signoff --gate`` exits with the decision: 0 GO, 3 NOT YET,
4 NO-GO. The commands call the same core functions as the pages.

One module per command group (data, review, report, run, admin, canary, jobs, store), each
with its handlers, an ``add_parsers(sub)`` and its ``COMMANDS``; this module assembles them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

import duckdb

from cli import admin, canary, data, jobs, report, review, run, store
from core.errors import SwitchyardError
from core.store import db, settings

DESCRIPTION = (__doc__ or "").splitlines()[0]
GROUPS = (data, review, report, run, admin, canary, jobs, store)
Handler = Callable[[argparse.Namespace, duckdb.DuckDBPyConnection], int | None]
COMMANDS: dict[str, Handler] = {name: f for g in GROUPS for name, f in g.COMMANDS.items()}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m core", description=DESCRIPTION)
    p.add_argument(
        "--db",
        help=f"database file (default: ${settings.SETTINGS['db_path'].env} "
        "or data/switchyard.duckdb)",
    )
    p.add_argument(
        "--debug",
        action="store_true",
        help="show the traceback of an unexpected error (also SWITCHYARD_DEBUG=1)",
    )
    sub = p.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add_parsers(sub)
    return p


INTERRUPTED = (
    "interrupted: no write is left half done; the same command again resumes a run or a batch job"
)
PATH_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command in store.OWN_DATABASES:
            return store.cmd_store(args, None)
        con = db.connect(args.db)
        try:
            return COMMANDS[args.command](args, con) or 0
        finally:
            con.close()
    except SwitchyardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl+C: each write is one transaction, so none is half done
        print(INTERRUPTED, file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped (`... | head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no note at exit
        return 0
    except PATH_ERRORS as exc:  # a path the user gave: a missing folder, a folder, no right
        print(f"error: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    except Exception as exc:  # no traceback reaches a user unless asked for
        if args.debug or os.environ.get("SWITCHYARD_DEBUG") == "1":
            raise
        print(
            f"error: unexpected {type(exc).__name__}: {exc} (a bug in Switchyard: please"
            " report it; --debug or SWITCHYARD_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1
