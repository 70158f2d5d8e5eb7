"""The local service's FastAPI application: ``create_app`` composes the routers, once each.

The cloud's paths and JSON under ``/api`` (qoro-api.md §2): ``routes/catalogue.py`` (ping,
targets, vendors, credits), ``routes/jobs.py`` (create, poll, results, cancel, delete,
options), ``routes/circuits.py`` (``add_circuits/``), and the routes besides the circuit flow
-- by default one ``routes/characterization.py`` router made for this application. Each
router is mounted exactly once; a router passed in replaces the default, so its settings
(e.g. ``create_router(time_budget=0.0)``) take effect.

Around them: request dependencies (``deps.py``), the error bodies of every refusal
(``handlers.py``) and the body cap, gzip request bodies and test-only fault plans
(``middleware.py``). At start-up the application queues the jobs a previous process left
unfinished; while it runs, uploads never finalized are failed after the store's idle time
(``reaper.py``). Building an application reads no setting from the environment: everything is an
argument (the composition root is ``service.py``).

Imports FastAPI, the standard library and ``local`` modules only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from .._version import __version__
from .deps import AppSettings
from .handlers import install_handlers
from .middleware import Faults, install_middleware
from .reaper import Reaper
from .routes import catalogue, characterization, circuits, jobs, submit
from .runner import Runner
from .store import Store

__all__ = ["DEFAULT_MAX_ACTIVE_JOBS", "DEFAULT_MAX_BODY_BYTES", "create_app", "default_routers"]

DEFAULT_MAX_BODY_BYTES = 32 << 20
"""Default body cap. Bodies well over the protocol's 0.95 MiB must pass: seed/0.13 clients
overshoot it (qoro-api.md §3.2)."""
DEFAULT_MAX_ACTIVE_JOBS: int | None = None
"""Default per-token limit of PENDING/RUNNING jobs before ``job/init/`` answers 429: none.
Like the cloud, the service queues every job (FIFO per token, tokens round robin, see
``pool.py``); a limit is a local-only option (``--max-active-jobs``)."""


def default_routers() -> list[APIRouter]:
    """The routes served besides the circuit flow: a new characterization router (§2.14-2.15)."""
    return [characterization.create_router()]


def create_app(store: Store, runner: Runner, *,
               faults: Faults = None,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               extra_routers: Sequence[APIRouter] | None = None, resume: bool = True,
               idempotency: bool = True,
               max_active_jobs: int | None = DEFAULT_MAX_ACTIVE_JOBS,
               test_routes: bool = False) -> FastAPI:
    """Build the local service's application.

    Args:
        store (Store): the job store.
        runner (Runner): executes finalized jobs.
        faults (Faults): test-only fault injection (see ``local/faults/``); several plans
            apply independently, the first outermost.
        max_body_bytes (int): request bodies above this get 413.
        extra_routers (Sequence[APIRouter] | None): the routes mounted under ``/api`` besides
            the circuit flow; ``None`` = :func:`default_routers` (characterization). Pass
            ``[create_router(...), ...]`` to configure them, ``()`` for none.
        resume (bool): at start-up, queue the jobs a previous process left unfinished
            (:meth:`Store.recover`).
        idempotency (bool): honour ``Idempotency-Key`` and advertise it in the ping (False
            behaves like a service that ignores the header, for tests).
        max_active_jobs (int | None): per-token limit of PENDING/RUNNING jobs (None: none).
        test_routes (bool): also mount the test-only ``job/create_failed/`` (§2.16); a real
            service never does (it would let anyone mint FAILED jobs).

    Returns:
        FastAPI: the application; ``app.state.store``, ``app.state.runner`` and
        ``app.state.settings`` are set, and ``app.state.loop`` (the serving event loop) once
        it has started.
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        _app.state.loop = asyncio.get_running_loop()  # for in-process callers (service.py)
        if resume:
            for job_id in store.recover():
                runner.enqueue(job_id)
        reaper = Reaper(store)  # unfinalized uploads left idle end FAILED (reaper.py)
        reaper.start()
        try:
            yield
        finally:
            reaper.stop()

    app = FastAPI(title="Qoro local service", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.store = store
    app.state.runner = runner
    app.state.settings = AppSettings(idempotency=idempotency, max_active_jobs=max_active_jobs)
    install_handlers(app)
    routers = default_routers() if extra_routers is None else list(extra_routers)
    if test_routes:
        routers.append(jobs.test_router)
    for router in (catalogue.router, jobs.router, circuits.router, submit.router, *routers):
        app.include_router(router, prefix="/api")
    install_middleware(app, max_body_bytes=max_body_bytes, faults=faults)
    return app
