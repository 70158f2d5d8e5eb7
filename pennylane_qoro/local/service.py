"""THE composition root of the local service: store + runner + app + uvicorn, built once here.

Every way of running the service goes through :class:`_Stack` (a store, a runner, the app
and a ``uvicorn.Server`` on a socket bound before the server starts; port 0 gives an
ephemeral port with no race), so in-process and command-line servers cannot drift apart
(keep-alive, lifespan, socket options):

* :func:`start`: THE embedded service of this process: 127.0.0.1, ephemeral port, in-memory
  database unless ``db`` is given, a fresh random token; idempotent; stopped at exit. Its token
  is granted :data:`EMBEDDED_GRANT` (10**9 credits): the embedded service is a free simulator on
  the user's own machine, so its credit ledger (the cloud's ``credits/`` accounting, kept so the
  protocol is the same) must never stop a local training run with HTTP 402.
* :func:`serve`: a NEW independent server for tests, stopped when the ``with`` block ends.
* :func:`run`: a server in the foreground, for ``qoro-local serve`` (``__main__.py`` only
  parses the command line and calls it).
* :func:`create_token`: mint a token in a database file (``qoro-local token create``; with
  ``token list`` / ``token revoke`` it lives in ``token_admin.py``).

In-process servers run in a daemon thread and log at ``warning`` level only; uvicorn's access
log, which would print request lines (paths, never headers or tokens), is off.
:func:`serve`, :func:`create_token` and ``qoro-local serve`` / ``token create`` keep the
documented default grant (``store.DEFAULT_GRANT``, 1000.00 credits), so the credit flow (and
402 when a balance runs out) can still be exercised against them.

Every setting is an argument; nothing is read from the environment here.
Imports uvicorn, FastAPI, the standard library and ``local`` modules only.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import APIRouter

from .app import DEFAULT_MAX_ACTIVE_JOBS, DEFAULT_MAX_BODY_BYTES, create_app
from .db_lock import DatabaseLock
from .middleware import Faults
from .runner import Runner
from .startup_errors import database_error, port_error
from .store import DEFAULT_GRANT, IDLE_UPLOAD_SECONDS, Store
from .timing import Timing
from .token_admin import create_token  # the public name lives here (local/__init__.py)

__all__ = [
    "EMBEDDED_GRANT",
    "KEEP_ALIVE_SECONDS",
    "LocalService",
    "bind",
    "create_token",
    "run",
    "serve",
    "start",
]

STARTUP_TIMEOUT = 30.0
#: Starting balance of the embedded service's token, in hundredths of a credit: 10**9 credits,
#: far more than any local run uses (the embedded service is free; see the module docstring).
EMBEDDED_GRANT = 10**9 * 100
#: Seconds an idle HTTP connection is kept open: longer than the clients' polling intervals,
#: so a polling session reuses its connection instead of reconnecting.
KEEP_ALIVE_SECONDS = 30


@dataclass(frozen=True)
class LocalService:
    """A running local service.

    Attributes:
        url (str): base URL in the cloud's shape, e.g. ``"http://127.0.0.1:54321/api"``
            (no trailing slash).
        token (str): a bearer token valid on this service (never shown by ``repr``).
        app (Any): the ASGI application behind :attr:`url`, and
        loop (asyncio.AbstractEventLoop | None): the event loop (a thread of this process)
            that serves it: what a caller in this process needs to reach the same service
            without a socket (the plugin's client does, ``client/in_process.py``).
        pid (int): the process serving it (a forked child must use the socket).

    ``url, token = service`` unpacks it.
    """

    url: str
    token: str = field(repr=False)
    _mint: Callable[[int], str] | None = field(default=None, repr=False, compare=False)
    app: Any = field(default=None, repr=False, compare=False)
    loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False, compare=False)
    pid: int = field(default_factory=os.getpid, repr=False, compare=False)

    def __iter__(self) -> Iterator[str]:
        return iter((self.url, self.token))

    def create_token(self, *, grant: int = DEFAULT_GRANT) -> str:
        """Mint another token on this service (e.g. a second user for isolation tests).

        Args:
            grant (int): starting balance in hundredths of a credit.
        """
        if self._mint is None:
            raise RuntimeError("this LocalService cannot mint tokens")
        return self._mint(grant)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket for uvicorn (port 0 = ephemeral)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio disables Nagle on accepted sockets only when the
    # listening socket says TCP; otherwise every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class _Stack:
    """Store, runner, app, listening socket and ``uvicorn.Server``: one service, not started.

    The socket listens from construction on: a client connecting before the server loop runs
    waits in the backlog, so :attr:`url` may be announced before :meth:`uvicorn.Server.run`.
    """

    def __init__(self, *, db: str | Path | None, workers: int | None, host: str, port: int,
                 faults: Faults = None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 extra_routers: Sequence[APIRouter] | None = None, idempotency: bool = True,
                 max_active_jobs: int | None = DEFAULT_MAX_ACTIVE_JOBS,
                 log_level: str = "warning", access_log: bool = False,
                 keep_alive: int = KEEP_ALIVE_SECONDS, test_routes: bool = False,
                 timing: Timing | None = None,
                 idle_upload_seconds: float = IDLE_UPLOAD_SECONDS, own_logging: bool = False,
                 memory_budget: int | None = None):
        # One serving process per database file, taken before the store is opened so this
        # start-up's recovery never touches the jobs of a live process (db_lock.py).
        try:
            self.lock = None if db is None else DatabaseLock(db)
        except OSError as exc:
            raise database_error(db, exc) from None
        try:
            self.store = Store(db, idle_upload_seconds=idle_upload_seconds)
        except BaseException as exc:
            self._release()
            if isinstance(exc, (OSError, sqlite3.Error)):
                raise database_error(db, exc) from None  # one line naming the path
            raise
        self.runner = Runner(self.store, workers=workers, timing=timing,
                             memory_budget=memory_budget)
        self.app = app = create_app(
            self.store, self.runner, faults=faults, max_body_bytes=max_body_bytes,
            extra_routers=extra_routers, idempotency=idempotency,
            max_active_jobs=max_active_jobs, test_routes=test_routes,
        )
        try:
            self.sock = bind(host, port)
        except BaseException as exc:
            self.close_store()
            if isinstance(exc, OSError):
                raise port_error(host, port, exc) from None  # one line naming the port
            raise
        self.port = self.sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}/api"
        # Only the foreground CLI installs uvicorn's log handlers. An in-process service leaves
        # the host program's logging alone: uvicorn's handlers hold the sys.stderr of the
        # moment they are made, which (under pytest, in notebooks) is closed by the time the
        # service's last lines are logged at interpreter exit.
        self.server = uvicorn.Server(uvicorn.Config(
            app, log_level=log_level, access_log=access_log, lifespan="on",
            timeout_keep_alive=keep_alive,
            **({} if own_logging else {"log_config": None}),
        ))

    def serve_forever(self) -> None:
        """Run the server loop in this thread until it is told to exit."""
        self.server.run(sockets=[self.sock])

    def close(self) -> None:
        """Stop the runner (running jobs resume at the next start) and release everything."""
        self.sock.close()
        self.close_store()

    def close_store(self) -> None:
        """Stop the runner, close the store, then give up the database lock."""
        try:
            self.runner.shutdown(timeout=2)
            self.store.close()
        finally:
            self._release()

    def _release(self) -> None:
        if self.lock is not None:
            self.lock.release()


class _Server:
    """A :class:`_Stack` served by a daemon thread, with one token minted for its caller."""

    def __init__(self, stack: _Stack, *, grant: int):
        self.stack = stack
        token = stack.store.create_token(grant=grant)
        self.thread = threading.Thread(target=self.stack.serve_forever,
                                       name=f"qoro-local-{self.stack.port}", daemon=True)
        self.thread.start()
        self._wait_started()
        store = self.stack.store
        self.service = LocalService(url=self.stack.url, token=token,
                                    _mint=lambda g: store.create_token(grant=g),
                                    app=stack.app, loop=stack.app.state.loop)

    def _wait_started(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self.stack.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the local Qoro service failed to start (see the log above)")
            time.sleep(0.002)

    def stop(self) -> None:
        self.stack.server.should_exit = True
        self.thread.join(timeout=10)
        self.stack.close()


_EMBEDDED: _Server | None = None
_EMBEDDED_LOCK = threading.Lock()


def start(*, db: str | Path | None = None, workers: int | None = None,
          timing: Timing | None = None) -> LocalService:
    """Start (once per process) the embedded local service and return it.

    Args:
        db (str | Path | None): database file; ``None`` keeps jobs in memory.
        workers (int | None): worker threads; default one per core.
        timing (Timing | None): hold jobs PENDING/RUNNING like the cloud (``timing.py``).

    Returns:
        LocalService: ``url`` on 127.0.0.1 with an ephemeral port, and a random token made
        for this process, granted :data:`EMBEDDED_GRANT` (10**9 credits, so local runs never
        hit 402). Later calls return the same service (their arguments are ignored).

    >>> url, token = start()  # doctest: +SKIP
    """
    global _EMBEDDED
    with _EMBEDDED_LOCK:
        if _EMBEDDED is None:
            stack = _Stack(db=db, workers=workers, host="127.0.0.1", port=0, timing=timing)
            _EMBEDDED = _Server(stack, grant=EMBEDDED_GRANT)
            atexit.register(_stop_embedded)
        return _EMBEDDED.service


def _stop_embedded() -> None:
    global _EMBEDDED
    with _EMBEDDED_LOCK:
        if _EMBEDDED is not None:
            _EMBEDDED.stop()
            _EMBEDDED = None


@contextmanager
def serve(*, db: str | Path | None = None, workers: int | None = None, host: str = "127.0.0.1",
          port: int = 0, faults: Faults = None,
          max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
          extra_routers: Sequence[APIRouter] | None = None,
          grant: int = DEFAULT_GRANT, idempotency: bool = True,
          max_active_jobs: int | None = DEFAULT_MAX_ACTIVE_JOBS,
          test_routes: bool = False, timing: Timing | None = None,
          idle_upload_seconds: float = IDLE_UPLOAD_SECONDS,
          memory_budget: int | None = None) -> Iterator[LocalService]:
    """Run a new, independent local service for the duration of a ``with`` block.

    Args:
        db (str | Path | None): database file; ``None`` keeps jobs in memory.
        workers (int | None): worker threads; default one per core.
        host (str): interface to listen on.
        port (int): port; 0 picks a free one.
        faults (Faults): test-only fault injection.
        max_body_bytes (int): request bodies above this get 413.
        extra_routers (Sequence[APIRouter] | None): routes mounted under ``/api`` besides the
            circuit flow; ``None`` = ``app.default_routers()`` (characterization).
        grant (int): starting balance of the service's token, in hundredths of a credit.
        idempotency (bool): honour and advertise ``Idempotency-Key`` (False for tests of
            clients facing a service without it).
        max_active_jobs (int | None): per-token limit of PENDING/RUNNING jobs (None: none).
        test_routes (bool): mount the test-only ``job/create_failed/``.
        timing (Timing | None): hold jobs PENDING/RUNNING like the cloud (``timing.py``).
        idle_upload_seconds (float): an upload never finalized and idle this long is FAILED
            (``reaper.py``).
        memory_budget (int | None): bytes of simulator state running jobs may need together
            (``memory.py``); ``None``: half of the physical memory.

    Yields:
        LocalService: the running service.
    """
    stack = _Stack(db=db, workers=workers, host=host, port=port, faults=faults,
                   max_body_bytes=max_body_bytes, extra_routers=extra_routers,
                   idempotency=idempotency, max_active_jobs=max_active_jobs,
                   test_routes=test_routes, timing=timing,
                   idle_upload_seconds=idle_upload_seconds, memory_budget=memory_budget)
    server = _Server(stack, grant=grant)
    try:
        yield server.service
    finally:
        server.stop()


def run(*, db: str | Path, host: str = "127.0.0.1", port: int = 8080,
        workers: int | None = None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_active_jobs: int | None = DEFAULT_MAX_ACTIVE_JOBS, log_level: str = "warning",
        announce: Callable[[str], None] | None = None, test_routes: bool = False,
        timing: Timing | None = None,
        idle_upload_seconds: float = IDLE_UPLOAD_SECONDS,
        memory_budget: int | None = None) -> None:
    """Serve in the foreground until interrupted (``qoro-local serve``).

    Args:
        db (str | Path): database file, created if needed.
        host (str): interface to listen on.
        port (int): port; 0 picks a free one.
        workers (int | None): worker threads; default one per core.
        max_body_bytes (int): request bodies above this get 413.
        max_active_jobs (int | None): per-token limit of PENDING/RUNNING jobs (None: none).
        log_level (str): uvicorn's log level; at ``debug`` its access log is on too (request
            lines: method, path, status -- never headers, so never a token).
        announce (Callable[[str], None] | None): called once with ``"serving <url>"`` when
            the socket listens; default: print it to stdout at once (flushed).
        test_routes (bool): mount the test-only ``job/create_failed/``.
        timing (Timing | None): hold jobs PENDING/RUNNING like the cloud (``timing.py``).
        idle_upload_seconds (float): an upload never finalized and idle this long is FAILED
            (``reaper.py``).
        memory_budget (int | None): bytes of simulator state running jobs may need together
            (``memory.py``; ``--memory-budget``); ``None``: half of the physical memory.

    Raises:
        DatabaseInUse: another live process serves ``db`` (nothing was started).
    """
    stack = _Stack(db=db, workers=workers, host=host, port=port, max_body_bytes=max_body_bytes,
                   max_active_jobs=max_active_jobs, log_level=log_level,
                   access_log=log_level == "debug", test_routes=test_routes, timing=timing,
                   idle_upload_seconds=idle_upload_seconds, own_logging=True,
                   memory_budget=memory_budget)
    (announce or _print_now)(f"serving {stack.url}")
    try:
        stack.serve_forever()
    finally:
        stack.close()


def _print_now(line: str) -> None:
    print(line, flush=True)
