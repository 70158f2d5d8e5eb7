"""One-line start-up errors of the local service: a port or a database file it cannot use.

``qoro-local`` prints :class:`StartupError` as one line (``qoro-local: error: ...``) and exits
1; :func:`serve` and :func:`start` raise it. Each message names the port or the path and says
what to do, instead of a raw ``OSError: [Errno 98]`` or SQLite's "unable to open database
file" (which names no path).

Imports only the standard library.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

__all__ = ["StartupError", "database_error", "port_error"]


class StartupError(RuntimeError):
    """The service could not start; the message is one line naming the cause and the fix."""


def port_error(host: str, port: int, exc: OSError) -> StartupError:
    """The error for a socket that cannot be bound to ``host:port``.

    >>> str(port_error("127.0.0.1", 8080, OSError(errno.EADDRINUSE, "in use")))[:40]
    'port 8080 on 127.0.0.1 is already in use'
    """
    if exc.errno == errno.EADDRINUSE:
        return StartupError(f"port {port} on {host} is already in use; stop the program using "
                            "it or pick another port (--port, 0 = any free port)")
    if exc.errno == errno.EACCES:
        return StartupError(f"no permission to listen on port {port} on {host}; "
                            "pick a port above 1023 (--port)")
    reason = exc.strerror or str(exc)
    return StartupError(f"cannot listen on {host}:{port}: {reason}; check --host and --port")


def database_error(db: str | Path, exc: BaseException) -> StartupError:
    """The error for a database file that cannot be opened or is not a database.

    >>> str(database_error("/tmp/x", sqlite3.DatabaseError("file is not a database")))[:35]
    '/tmp/x is not a qoro-local database'
    """
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return StartupError(f"{db} is not a qoro-local database (SQLite: {exc}); "
                            "pass another file with --db")
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return StartupError(f"cannot open the database {db}: {reason}; pass a file in a writable "
                        "folder with --db")
