"""Command line of the local service: ``qoro-local`` / ``python -m pennylane_qoro.local``.

::

    qoro-local serve [--host 127.0.0.1] [--port 8080] [--db PATH] [--workers N]
                     [--max-body-mb 32] [--max-active-jobs 32] [--log-level warning]
                     [--test-routes] [--hold-pending S] [--hold-running S]
                     [--idle-upload-seconds 600] [--memory-budget 8GiB]
    qoro-local token create [--db PATH] [--credits 1000.00]
    qoro-local token list [--db PATH]
    qoro-local token revoke TOKEN_OR_ID [--db PATH]
    qoro-local --version

``serve`` prints one line, ``serving http://HOST:PORT/api``, once its socket listens
(``--port 0`` picks a free port). ``--log-level`` applies to the service's own loggers as well
as uvicorn's; at ``debug`` uvicorn's access log (request lines: method, path, status -- never
headers, so never a token) is on too. ``token create`` creates the database if needed and prints
ONLY the new token on stdout. Without ``--db`` both use :func:`default_db`
(``$XDG_DATA_HOME/qoro-local/jobs.sqlite``, read when the command line is parsed). Bare
``qoro-local`` prints the help (it never starts a server or creates a database); options
without a command (``python -m pennylane_qoro.local --port 0``) mean ``serve``.

A port in use, an unusable ``--db`` path or a file that is not a database ends with one line on
stderr (``qoro-local: error: ...``, naming the port or path and what to do) and exit code 1.
Ctrl+C stops ``serve`` with one line (``qoro-local: stopped``), exit code 0, the database
closed. ``token list`` prints one line per token (its id is the start of the token's sha256);
``token revoke`` takes the token or an id prefix; a running service refuses it at once.

This module only parses arguments, sets up logging and calls ``service.py`` (the composition
root that builds store, runner, app and uvicorn; style.md rule 10).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .._version import __version__
from .app import DEFAULT_MAX_ACTIVE_JOBS
from .db_lock import DatabaseInUse
from .memory import parse_size
from .service import run
from .startup_errors import StartupError
from .store import DEFAULT_GRANT, IDLE_UPLOAD_SECONDS
from .timing import Timing
from .token_admin import create_token, list_tokens, revoke_token


def default_db(environ: Mapping[str, str] = os.environ) -> Path:
    """The database used without ``--db``: ``$XDG_DATA_HOME/qoro-local/jobs.sqlite``
    (``~/.local/share`` when ``XDG_DATA_HOME`` is unset)."""
    base = environ.get("XDG_DATA_HOME", str(Path.home() / ".local" / "share"))
    return Path(base) / "qoro-local" / "jobs.sqlite"


def _credits(text: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a decimal amount: {text!r}") from None
    if value < 0 or value != value.quantize(Decimal("0.01")):
        raise argparse.ArgumentTypeError(f"credits must be >= 0 with at most 2 decimals: {text}")
    return int(value * 100)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"seconds must be >= 0: {text}")
    return value


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    db = default_db()
    parser = argparse.ArgumentParser(prog="qoro-local",
                                     description="Local Qoro-compatible service on Maestro.")
    parser.add_argument("--version", action="version", version=f"qoro-local {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the service")
    serve.add_argument("--host", default="127.0.0.1",
                       help="interface to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8080,
                       help="port to listen on (default 8080; 0 picks a free port)")
    serve.add_argument("--db", type=Path, default=db,
                       help=f"SQLite file of jobs, tokens and credits (default {db})")
    serve.add_argument("--workers", type=int, default=None,
                       help="simulation worker threads (default: one per core)")
    serve.add_argument("--max-body-mb", type=float, default=32.0,
                       help="request bodies above this many MiB get 413 (default 32)")
    serve.add_argument("--max-active-jobs", type=int, default=None,
                       help="local-only: PENDING/RUNNING jobs per token before job/init/ "
                            "answers 429 + Retry-After (default: no limit, jobs queue)")
    serve.add_argument("--hold-pending", type=_seconds, default=0.0, metavar="SECONDS",
                       help="keep each job PENDING this long, like the cloud (default 0)")
    serve.add_argument("--hold-running", type=_seconds, default=0.0, metavar="SECONDS",
                       help="keep each job RUNNING at least this long (default 0)")
    serve.add_argument("--idle-upload-seconds", type=_seconds, default=IDLE_UPLOAD_SECONDS,
                       metavar="SECONDS",
                       help="an upload never finalized and idle this long is FAILED "
                            f"(default {IDLE_UPLOAD_SECONDS})")
    serve.add_argument("--memory-budget", type=_size, default=None, metavar="SIZE",
                       help="simulator memory the running jobs may need together, e.g. 8GiB; "
                            "a job that does not fit waits PENDING, a circuit that never fits "
                            "is refused (default: half of the physical memory)")
    serve.add_argument("--test-routes", action="store_true",
                       help="also serve the test-only job/create_failed/ (tests only)")
    serve.add_argument("--log-level", default="warning",
                       choices=["critical", "error", "warning", "info", "debug"],
                       help="server log level (default warning)")
    token = commands.add_parser("token", help="manage tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="create a token and print it")
    create.add_argument("--db", type=Path, default=db,
                        help=f"the service's SQLite file, created if needed (default {db})")
    create.add_argument("--credits", type=_credits, default=None,
                        help="starting balance in credits, at most 2 decimals "
                             "(default 1000.00)")
    listing = token_commands.add_parser("list", help="list the tokens (ids, balances)")
    listing.add_argument("--db", type=Path, default=db,
                         help=f"the service's SQLite file (default {db})")
    revoke = token_commands.add_parser("revoke", help="revoke a token (401 from then on)")
    revoke.add_argument("token", metavar="TOKEN_OR_ID",
                        help="the token, or its id from 'token list' (at least 8 characters)")
    revoke.add_argument("--db", type=Path, default=db,
                        help=f"the service's SQLite file (default {db})")
    return parser


def _serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(levelname)s: %(name)s: %(message)s")
    limit = DEFAULT_MAX_ACTIVE_JOBS if args.max_active_jobs is None else args.max_active_jobs
    try:
        run(db=args.db, host=args.host, port=args.port, workers=args.workers,
            max_body_bytes=int(args.max_body_mb * (1 << 20)), max_active_jobs=limit or None,
            log_level=args.log_level, test_routes=args.test_routes,
            timing=Timing(pending=args.hold_pending, running=args.hold_running),
            idle_upload_seconds=args.idle_upload_seconds, memory_budget=args.memory_budget)
    except (DatabaseInUse, StartupError) as exc:  # one line, no traceback
        print(f"qoro-local: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # run() closed the database on its way out
        print("qoro-local: stopped", file=sys.stderr)
    return 0


def _token(args: argparse.Namespace) -> int:
    try:
        if args.token_command == "create":
            grant = DEFAULT_GRANT if args.credits is None else args.credits
            print(create_token(args.db, grant=grant))
        elif args.token_command == "list":
            for line in list_tokens(args.db):
                print(line)
        else:
            print(f"revoked {revoke_token(args.db, args.token)}")
    except StartupError as exc:
        print(f"qoro-local: error: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``qoro-local``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    if not argv:  # never start a server (or create a database) unasked
        parser.print_help()
        return 0
    # Options without a command (``python -m pennylane_qoro.local --port 0``) mean ``serve``.
    if argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["serve", *argv]
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    return _token(args)


if __name__ == "__main__":
    sys.exit(main())
