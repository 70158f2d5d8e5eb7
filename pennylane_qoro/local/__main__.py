"""Command line of the local service: ``qoro-local`` / ``python -m pennylane_qoro.local``.

::

    qoro-local serve [--host 127.0.0.1] [--port 8080] [--db PATH] [--workers N]
                     [--max-body-mb 32] [--max-active-jobs 32] [--log-level warning]
    qoro-local token create [--db PATH] [--credits 1000.00]

``serve`` prints one line, ``serving http://HOST:PORT/api``, once its socket listens
(``--port 0`` picks a free port). ``--log-level`` applies to the service's own loggers as well
as uvicorn's; at ``debug`` uvicorn's access log (request lines: method, path, status -- never
headers, so never a token) is on too. ``token create`` creates the database if needed and prints
ONLY the new token on stdout. Without ``--db`` both use :func:`default_db`
(``$XDG_DATA_HOME/qoro-local/jobs.sqlite``, read when the command line is parsed). With no
command (``python -m pennylane_qoro.local [--port ...]``) the service is served.

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

from .app import DEFAULT_MAX_ACTIVE_JOBS
from .service import create_token, run
from .store import DEFAULT_GRANT


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


def _parser() -> argparse.ArgumentParser:
    db = default_db()
    parser = argparse.ArgumentParser(prog="qoro-local",
                                     description="Local Qoro-compatible service on Maestro.")
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
                       help="PENDING/RUNNING jobs per token before job/init/ answers 429 "
                            "(default 32; 0 = no limit)")
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
    return parser


def _serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(levelname)s: %(name)s: %(message)s")
    limit = DEFAULT_MAX_ACTIVE_JOBS if args.max_active_jobs is None else args.max_active_jobs
    run(db=args.db, host=args.host, port=args.port, workers=args.workers,
        max_body_bytes=int(args.max_body_mb * (1 << 20)), max_active_jobs=limit or None,
        log_level=args.log_level)
    return 0


def _token_create(args: argparse.Namespace) -> int:
    grant = DEFAULT_GRANT if args.credits is None else args.credits
    print(create_token(args.db, grant=grant))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``qoro-local``."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # ``python -m pennylane_qoro.local`` alone, or with only options, means ``serve``.
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["serve", *argv]
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    return _token_create(args)


if __name__ == "__main__":
    sys.exit(main())
