"""HTTP routes of the local service: the cloud's paths and JSON (qoro-api.md §2).

``create_app(store, runner)`` builds the FastAPI application. Every route authenticates with the
``Owner`` dependency (a bearer token looked up by its sha256), validates one request model,
calls the store or the runner, and returns one response model. Jobs belong to the token that
created them: another token gets 404 on every job route, except ``cancel/`` which answers 403
``{"detail": "You do not have permission to modify this job."}`` like the cloud (§2.11).

Error bodies: ``{"detail": ...}`` (401, 402, 403, 404, 413, 429 and 400 for malformed
requests), ``{"error": ...}`` for state conflicts (409) and simulator-option errors, as the cloud
words them (§1.7). Statuses: 400 invalid request, 401 missing/unknown token, 402 a finalized job
the balance cannot pay (the job is FAILED with the same message), 404 unknown job, 409 wrong job
state or an ``Idempotency-Key`` reused for another request, 413 body over the cap, 429 the
token already has ``max_active_jobs`` active jobs (with ``Retry-After``, on ``job/init/``).

Idempotency (qoro-api.md §8 item 10; advertised as ``"idempotency": true`` in the ping):
``job/init/`` and ``add_circuits/`` honour an ``Idempotency-Key`` header. The same key with the
same method, path and body gets the recorded response again and changes nothing (no second
job, no chunk appended twice); the same key with another request gets 409. Keys are per token.

Routes added by other modules (e.g. characterization) are passed as ``extra_routers``; they are
mounted under ``/api`` and may use :data:`Owner` and :func:`get_store` as dependencies.

Must not import anything from the device, compile, results or client packages other than the
shared codecs in ``client/wire.py`` and ``client/errors.py``.
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from collections.abc import Sequence
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from . import config as simconfig
from .faults import FaultMiddleware, FaultPlan
from .models import (
    AddCircuitsRequest,
    AddCircuitsResponse,
    CancelResponse,
    CreateFailedRequest,
    CreditsResponse,
    ExecutionConfigResponse,
    ExecutionConfigSetResponse,
    InitRequest,
    JobIdResponse,
    PingResponse,
    Qpu,
    QpuSystem,
    SimulatorCluster,
    StatusResponse,
    TransactionsPage,
    VendorSpec,
)
from .runner import Runner
from .store import (
    Conflict,
    Forbidden,
    InsufficientCredits,
    Job,
    NotFound,
    RateLimited,
    Remember,
    Replayed,
    Store,
    StoreError,
)
from .submission import SubmissionError, prepare_chunk

try:
    __version__ = version("pennylane-qoro")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0.0.0+unknown"

CLUSTER = "qoro_maestro"
QPU_SYSTEM = "local_qpu"
QPU_NICKNAME = "maestro_qpu"
QPU_QUBITS = simconfig.STATEVECTOR_MAX_QUBITS
# Bodies well over the protocol's 0.95 MiB must pass: seed/0.13 clients overshoot it (§3.2).
DEFAULT_MAX_BODY_BYTES = 32 << 20
MAX_RESULTS_LIMIT = 1000
# Long polling (a local extension of §2.9): the longest ``status/?wait=`` held open, and how
# many may wait at once (each holds a thread, outside the default pool the routes use).
MAX_WAIT = 5.0
# Request bodies may come gzip-compressed (a local extension, see _GzipRequests).
REQUEST_ENCODINGS = ("gzip",)
REQUEST_ENCODINGS_BYTES = tuple(e.encode() for e in REQUEST_ENCODINGS)
LONG_POLLS = 64
# add_circuits bodies up to this size are handled on the event loop (well under a millisecond
# of gunzip and parsing); larger ones go to the thread pool so polls stay responsive.
INLINE_BODY_BYTES = 16 << 10
MAX_PAGE_SIZE = 100  # §2.6: documented maximum; larger requests are clamped as DRF does
# Per-token fairness: at most this many PENDING/RUNNING jobs per token; job/init/ beyond it is
# answered 429 with Retry-After (seconds, an integer as urllib3 requires).
DEFAULT_MAX_ACTIVE_JOBS = 32
RATE_LIMIT_RETRY_AFTER = 1
IDEMPOTENCY_HEADER = "idempotency-key"
MAX_IDEMPOTENCY_KEY = 255


class _GzipRequests:
    """ASGI middleware: a request body sent with ``Content-Encoding: gzip`` is decompressed
    before routing (a local extension, advertised as ``request_encodings`` in ``job/init/``
    answers; the cloud advertises nothing, so clients send it plain bodies, §1.3). The
    decompressed size is what the body cap sees; a bad stream is a 400, another encoding 415.
    """

    def __init__(self, app: Any, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        encoding = None
        if scope["type"] == "http":
            encoding = dict(scope["headers"]).get(b"content-encoding")
        if encoding is None or encoding.strip().lower() == b"identity":
            await self.app(scope, receive, send)
            return
        if encoding.strip().lower() not in REQUEST_ENCODINGS_BYTES:
            refusal = _error(415, f"unsupported Content-Encoding "
                                  f"{encoding.decode('latin-1')!r}; this service accepts "
                                  f"{list(REQUEST_ENCODINGS)}")
            await refusal(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        try:
            body = _gunzip(b"".join(chunks), self.limit)
        except BodyTooLarge as exc:
            await _error(413, str(exc))(scope, receive, send)
            return
        except ValueError as exc:
            await _error(400, f"request body is not valid gzip: {exc}")(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"]
                   if k not in (b"content-encoding", b"content-length")]
        headers.append((b"content-length", str(len(body)).encode()))
        delivered = False

        async def replay() -> Any:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app({**scope, "headers": headers}, replay, send)


def _gunzip(data: bytes, limit: int) -> bytes:
    """One complete gzip stream, at most ``limit`` bytes once decompressed (no bombs)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ValueError(str(exc)) from None
    if len(out) > limit:
        raise BodyTooLarge(None, limit)
    if not inflater.eof or inflater.unused_data:
        raise ValueError("truncated stream or trailing data")
    return out


def _long_polls(request: Request) -> anyio.CapacityLimiter:
    """The application's long-poll thread limiter, created in its event loop on first use."""
    limiter = getattr(request.app.state, "long_polls", None)
    if limiter is None:
        limiter = request.app.state.long_polls = anyio.CapacityLimiter(LONG_POLLS)
    return limiter


class BodyTooLarge(Exception):
    """The request body passed the service's cap."""

    def __init__(self, size: int | None, limit: int):
        self.size = size
        self.limit = limit
        super().__init__(
            f"request body of {size} bytes exceeds the limit of {limit} bytes"
            if size is not None
            else f"request body exceeds the limit of {limit} bytes"
        )


class _BodyLimit:
    """ASGI middleware: 413 before reading a body whose Content-Length is over the cap, and
    :class:`BodyTooLarge` when a streamed body passes it."""

    def __init__(self, app: Any, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            response = _error(413, str(BodyTooLarge(int(length), self.limit)))
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge(None, self.limit)
            return message

        await self.app(scope, counted, send)


def _error(status: int, message: str, *, key: str = "detail",
           headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({key: message}, status_code=status, headers=headers)


def get_store(request: Request) -> Store:
    """Dependency: the application's store."""
    return request.app.state.store


def get_runner(request: Request) -> Runner:
    """Dependency: the application's runner."""
    return request.app.state.runner


class _Unauthorized(Exception):
    def __init__(self, message: str):
        self.message = message


async def _owner(request: Request, authorization: Annotated[str | None, Header()] = None) -> str:
    """Dependency: the caller's owner key (sha256 of the bearer token), or 401."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _Unauthorized("Authentication credentials were not provided.")
    owner = get_store(request).owner_of(token.strip())
    if owner is None:
        raise _Unauthorized("Invalid token.")
    return owner


async def _store_dep(request: Request) -> Store:
    # async on purpose: FastAPI runs a plain ``def`` dependency in a worker thread, a thread
    # hop per request for a dictionary lookup.
    return get_store(request)


async def _runner_dep(request: Request) -> Runner:
    return get_runner(request)


Owner = Annotated[str, Depends(_owner)]
StoreDep = Annotated[Store, Depends(_store_dep)]
RunnerDep = Annotated[Runner, Depends(_runner_dep)]


def _format_validation(errors: Sequence[Any]) -> str:
    parts = []
    for err in errors:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{loc}: {err.get('msg', 'invalid')}" if loc else err.get("msg", "invalid"))
    return "; ".join(parts)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(400, _format_validation(exc.errors()))

    @app.exception_handler(_Unauthorized)
    async def _unauthorized(_request: Request, exc: _Unauthorized) -> JSONResponse:
        return _error(401, exc.message, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_request: Request, exc: BodyTooLarge) -> JSONResponse:
        return _error(413, str(exc))

    @app.exception_handler(StoreError)
    async def _store_error(_request: Request, exc: StoreError) -> Response:
        if isinstance(exc, Replayed):  # the recorded answer of an earlier identical request
            return Response(exc.body, status_code=exc.status, media_type="application/json")
        if isinstance(exc, RateLimited):
            return _error(429, str(exc), headers={"Retry-After": str(exc.retry_after)})
        if isinstance(exc, NotFound):
            return _error(404, "Not found.")
        if isinstance(exc, Forbidden):
            return _error(403, "You do not have permission to modify this job.")
        if isinstance(exc, Conflict):
            return _error(409, str(exc), key="error")
        if isinstance(exc, InsufficientCredits):
            return _error(402, str(exc))
        return _error(400, str(exc))

    @app.exception_handler(SubmissionError)
    async def _submission(_request: Request, exc: SubmissionError) -> JSONResponse:
        return _error(400, str(exc))

    @app.exception_handler(simconfig.ConfigError)
    async def _config(_request: Request, exc: simconfig.ConfigError) -> JSONResponse:
        return _error(400, str(exc), key="error")


# ------------------------------------------------------------------------------ catalogue

catalogue = APIRouter()


@catalogue.get("/", response_model=PingResponse)
async def ping(request: Request, _owner: Owner) -> PingResponse:
    """§2.1: the connection test; ``idempotency`` tells clients keyed POSTs may be re-sent."""
    return PingResponse(version=__version__, idempotency=request.app.state.idempotency)


@catalogue.get("/qpusystem/", response_model=list[QpuSystem])
async def qpu_systems(_owner: Owner) -> list[QpuSystem]:
    """§2.2: one sampling-only system; QPU entries carry exactly four keys."""
    return [
        QpuSystem(
            name=QPU_SYSTEM, access_level="PUBLIC", supports_expval=False,
            qpus=[Qpu(nickname=QPU_NICKNAME, q_bits=QPU_QUBITS, status="active",
                      system_kind="simulator")],
        )
    ]


@catalogue.get("/simulatorcluster/", response_model=list[SimulatorCluster])
async def simulator_clusters(_owner: Owner) -> list[SimulatorCluster]:
    """§2.3: the Maestro cluster, with server-side expectation values."""
    return [SimulatorCluster(name=CLUSTER, access_level="PUBLIC", minimum_tier="FREE",
                             supports_expval=True)]


@catalogue.get("/vendor-config-blueprint/", response_model=dict[str, VendorSpec])
async def vendor_blueprint(_owner: Owner) -> dict[str, VendorSpec]:
    """§2.4: the local QPU takes no device options."""
    return {"local": VendorSpec(label="Local Maestro QPU", credentials=[], device=[])}


@catalogue.get("/credits/", response_model=CreditsResponse)
async def credits(owner: Owner, store: StoreDep) -> CreditsResponse:
    """§2.5."""
    return CreditsResponse(**store.credits(owner))


@catalogue.get("/credits/transactions/", response_model=TransactionsPage)
async def transactions(request: Request, owner: Owner, store: StoreDep,
                       page: Annotated[int, Query(ge=1)] = 1,
                       page_size: Annotated[int, Query(ge=1)] = 20) -> Any:
    """§2.6: page-number pagination, newest first."""
    page_size = min(page_size, MAX_PAGE_SIZE)
    count, rows = store.transactions(owner, page=page, page_size=page_size)
    total_pages = max(1, math.ceil(count / page_size))
    if page > total_pages:
        return _error(404, "Invalid page.")

    def link(p: int) -> str:
        return str(request.url.include_query_params(page=p, page_size=page_size))

    return TransactionsPage(
        count=count, total_pages=total_pages,
        next=link(page + 1) if page < total_pages else None,
        previous=link(page - 1) if page > 1 else None,
        results=rows,
    )


# ------------------------------------------------------------------------------ jobs

jobs = APIRouter()


def _target(req: InitRequest) -> str | None:
    if req.job_type == "VALIDATE":
        if req.simulator_cluster or req.qpu_system_name:
            raise SubmissionError("VALIDATE jobs take no simulator_cluster or qpu_system_name")
        return None
    if req.simulator_cluster is not None and req.qpu_system_name is not None:
        raise SubmissionError("send either simulator_cluster or qpu_system_name, not both")
    if req.qpu_system_name is not None:
        if req.qpu_system_name != QPU_SYSTEM:
            raise SubmissionError(
                f"Unknown qpu_system_name {req.qpu_system_name!r}; available: {QPU_SYSTEM!r}"
            )
        if req.job_type == "EXPECTATION":
            raise SubmissionError(
                f"{QPU_SYSTEM!r} does not support EXPECTATION jobs (supports_expval is false)"
            )
        return QPU_SYSTEM
    cluster = req.simulator_cluster or CLUSTER  # the client's default target (§2.3)
    if cluster != CLUSTER:
        raise SubmissionError(f"Unknown simulator_cluster {cluster!r}; available: {CLUSTER!r}")
    return CLUSTER


def _options(target: str | None, execution_configuration: dict | None,
             maestro_config: dict | None, device_config: dict | None) -> dict[str, Any]:
    """Normalized simulator options from whichever wire form the client used (§2.13)."""
    if maestro_config is not None and target != CLUSTER:
        raise SubmissionError("maestro_config applies to the simulator cluster only")
    if device_config:
        if target != QPU_SYSTEM:
            raise SubmissionError("device_config applies to QPU systems only")
        raise SubmissionError(
            f"device_config: unknown key {next(iter(device_config))!r} "
            f"({QPU_SYSTEM!r} takes no device options)"
        )
    if execution_configuration is not None and maestro_config is not None:
        raise SubmissionError("send either execution_configuration or maestro_config, not both")
    if maestro_config is not None:
        return simconfig.from_maestro_config(maestro_config)
    if execution_configuration is not None:
        return simconfig.from_execution_configuration(execution_configuration)
    return {}


def _remember(request: Request, owner: str, body: bytes,
              respond: Any) -> Remember | None:
    """The request's ``Idempotency-Key`` as a :class:`Remember`, or None (no key / disabled)."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None or not request.app.state.idempotency:
        return None
    if not 0 < len(key) <= MAX_IDEMPOTENCY_KEY or not key.isascii() or not key.isprintable():
        raise SubmissionError(
            f"Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY} printable ASCII characters"
        )
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(body)
    return Remember(owner=owner, key=key, fingerprint=digest.hexdigest(), respond=respond)


def _init_response(job: Job) -> tuple[int, str]:
    body = JobIdResponse(job_id=job.id, request_encodings=list(REQUEST_ENCODINGS))
    return 201, body.model_dump_json()


@jobs.post("/job/init/", status_code=201, response_model=JobIdResponse,
           response_model_exclude_none=True)
async def init_job(req: InitRequest, request: Request, owner: Owner,
                   store: StoreDep) -> JobIdResponse:
    """§2.7: create an empty PENDING job (201); 429 when the token has too many active jobs."""
    target = _target(req)
    if req.job_type == "VALIDATE" and (req.execution_configuration or req.maestro_config
                                       or req.device_config):
        raise SubmissionError("VALIDATE jobs take no simulator options")
    options = _options(target, req.execution_configuration, req.maestro_config,
                       req.device_config)
    remember = _remember(request, owner, await request.body(), _init_response)
    job_id = store.create_job(
        owner=owner, job_type=req.job_type, tag=req.tag, target=target,
        execution_configuration=req.execution_configuration,
        maestro_config=req.maestro_config, device_config=req.device_config or None,
        options=options, remember=remember, max_active=request.app.state.max_active_jobs,
        retry_after=RATE_LIMIT_RETRY_AFTER,
    )
    return JobIdResponse(job_id=job_id, request_encodings=list(REQUEST_ENCODINGS))


@jobs.post("/job/create_failed/", status_code=201, response_model=JobIdResponse,
           response_model_exclude_none=True)
async def create_failed(req: CreateFailedRequest, owner: Owner,
                        store: StoreDep) -> JobIdResponse:
    """§2.16 (test-only): a job that is FAILED from the start."""
    job_id = store.create_job(owner=owner, job_type=req.job_type, tag=req.tag, target=CLUSTER,
                              status="FAILED", error="created FAILED by job/create_failed/")
    return JobIdResponse(job_id=job_id)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON object hook: keep key order (circuit order, §1.4) and refuse repeated keys,
    which would otherwise silently drop a circuit."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise SubmissionError(f"duplicate key {key!r} in a JSON object")
        out[key] = value
    return out


def _chunk_response(added: int) -> Any:
    """The recorded answer of an ``add_circuits/`` request that added ``added`` circuits."""

    def respond(job: Job) -> tuple[int, str]:
        if job.status == "FAILED":  # finalized without the credits to pay (402)
            return 402, json.dumps({"detail": job.error})
        # the same fields as the first answer (_add_circuits' return), so a replay matches it
        return 200, AddCircuitsResponse(job_id=job.id, circuits_added=added,
                                        total_circuits=job.n_circuits,
                                        finalized=job.finalized,
                                        max_wait=MAX_WAIT).model_dump_json()

    return respond


def _add_circuits(store: Store, runner: Runner, job_id: str, owner: str,
                  body: bytes, remember: Remember | None = None) -> AddCircuitsResponse:
    """The work of ``add_circuits/``, run in the thread pool (it gunzips and parses)."""
    if remember is not None:
        store.recall(remember)  # a re-sent chunk is answered before any parsing
    try:
        raw = json.loads(body, object_pairs_hook=_no_duplicate_keys)
    except ValueError as exc:
        if isinstance(exc, SubmissionError):
            raise
        raise SubmissionError(f"request body is not valid JSON: {exc}") from None
    try:
        req = AddCircuitsRequest.model_validate(raw)
    except ValidationError as exc:
        raise SubmissionError(_format_validation(exc.errors())) from None
    job = store.get_job(job_id, owner)
    if job.finalized or job.status != "PENDING":
        if remember is not None:
            store.recall(remember)  # the same chunk, sent twice at once, finalized it
        if job.finalized:
            raise Conflict("Job is already finalized; no more circuits can be added")
        raise Conflict("Job is not in PENDING status")
    chunk = prepare_chunk(req, job)
    if remember is not None:
        remember = Remember(owner=remember.owner, key=remember.key,
                            fingerprint=remember.fingerprint,
                            respond=_chunk_response(len(chunk.circuits)))
    job = store.append_chunk(
        job_id, owner, circuits=chunk.circuits, templates=chunk.templates,
        observables=chunk.observables, circuit_ham_map=chunk.circuit_ham_map,
        max_qubits=chunk.max_qubits, finalize=chunk.finalize, remember=remember,
    )
    if chunk.finalize:
        runner.enqueue(job_id)
    return AddCircuitsResponse(job_id=job_id, circuits_added=len(chunk.circuits),
                               total_circuits=job.n_circuits, finalized=job.finalized,
                               max_wait=MAX_WAIT)


@jobs.post("/job/{job_id}/add_circuits/", status_code=200, response_model=AddCircuitsResponse)
async def add_circuits(job_id: str, request: Request, owner: Owner, store: StoreDep,
                       runner: RunnerDep) -> AddCircuitsResponse:
    """§2.8: append a chunk; the job starts when ``finalized`` is the string ``"true"``.

    Exactly 200 (seed/0.13 clients reject 201/202). The body is parsed here rather than by
    FastAPI so that repeated keys are refused and key order is kept.
    """
    body = await request.body()
    remember = _remember(request, owner, body, None)  # its answer is set once parsed
    if len(body) <= INLINE_BODY_BYTES:  # a few small circuits: cheaper than a thread hop
        return _add_circuits(store, runner, job_id, owner, body, remember)
    return await run_in_threadpool(_add_circuits, store, runner, job_id, owner, body, remember)


@jobs.get("/job/{job_id}/status/", response_model=StatusResponse,
          response_model_exclude_none=True)
async def job_status(request: Request, job_id: str, owner: Owner, store: StoreDep,
                     wait: Annotated[float, Query(ge=0)] = 0.0) -> StatusResponse:
    """§2.9: upper-case status, ``run_time`` always a number, ``error`` when FAILED.

    Local extension (long polling): ``?wait=<seconds>`` holds the answer while the job is
    PENDING or RUNNING, for at most ``min(wait, MAX_WAIT)`` seconds, and answers the moment it
    ends. The service advertises it as ``max_wait`` in ``add_circuits/`` answers and in answers
    to ``?wait=`` polls (plain polls keep the cloud's exact shape); clients that do not know
    the field ignore it (§2.9 "other fields may be present"), and the cloud never sends it.
    """
    status, run_time, error = store.status(job_id, owner)
    if wait > 0 and status in ("PENDING", "RUNNING"):
        status, run_time, error = await anyio.to_thread.run_sync(
            store.wait_status, job_id, owner, min(wait, MAX_WAIT), limiter=_long_polls(request)
        )
    return StatusResponse(status=status, run_time=run_time,
                          error=error if status == "FAILED" else None,
                          max_wait=MAX_WAIT if wait > 0 else None)


@jobs.get("/job/{job_id}/resultsV2/")
async def results(request: Request, job_id: str, owner: Owner, store: StoreDep,
                  limit: Annotated[int, Query(ge=1, le=MAX_RESULTS_LIMIT)] = 100,
                  offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    """§2.10: exactly ``limit`` rows per page in submission order; 400 while unfinished.

    Each row's ``results`` is stored as finished JSON text, so the page is assembled as text
    instead of being parsed and re-serialized.
    """
    job, rows = store.results_page(job_id, owner, offset=offset, limit=limit)
    if job.status in ("PENDING", "RUNNING"):
        return _error(400, f"Job results are not available yet: the job is {job.status}")
    if job.status == "FAILED":
        return _error(409, f"Job FAILED, it has no results: {job.error}")
    if job.status == "CANCELLED":
        return _error(409, "Job was CANCELLED, it has no results")
    count = job.n_circuits
    nxt = (str(request.url.include_query_params(limit=limit, offset=offset + limit))
           if offset + limit < count else None)
    prev = (str(request.url.include_query_params(limit=limit, offset=max(0, offset - limit)))
            if offset > 0 else None)
    body = "".join([
        '{"count":', str(count), ',"next":', json.dumps(nxt), ',"previous":', json.dumps(prev),
        ',"results":[',
        ",".join(f'{{"label":{json.dumps(label)},"results":{result or "null"}}}'
                 for label, result in rows),
        "]}",
    ])
    return Response(body, media_type="application/json")


@jobs.post("/job/{job_id}/cancel/", response_model=CancelResponse)
async def cancel(job_id: str, owner: Owner, store: StoreDep,
                 runner: RunnerDep) -> CancelResponse:
    """§2.11: 200 when PENDING or RUNNING (a running job stops at its next circuit), else 409."""
    n = store.cancel(job_id, owner)
    runner.cancel(job_id)
    return CancelResponse(job_id=job_id, circuits_cancelled=n)


@jobs.delete("/job/{job_id}", status_code=204)
@jobs.delete("/job/{job_id}/", status_code=204, include_in_schema=False)
async def delete(job_id: str, owner: Owner, store: StoreDep, runner: RunnerDep) -> Response:
    """§2.12: 204, with or without the trailing slash; a running job is stopped first."""
    store.delete(job_id, owner)
    runner.cancel(job_id)
    return Response(status_code=204)


@jobs.get("/job/{job_id}/execution_config/", response_model=ExecutionConfigResponse)
async def get_execution_config(job_id: str, owner: Owner, store: StoreDep) -> Any:
    """§2.13 GET: every version's keys, or 404 when nothing was set."""
    job = store.get_job(job_id, owner)
    if job.execution_configuration is None and job.maestro_config is None \
            and job.device_config is None:
        return _error(404, "No execution configuration exists for this job.")
    return ExecutionConfigResponse(job_id=job_id,
                                   execution_configuration=job.execution_configuration,
                                   maestro_config=job.maestro_config,
                                   device_config=job.device_config)


@jobs.post("/job/{job_id}/execution_config/", response_model=ExecutionConfigSetResponse)
async def set_execution_config(job_id: str, request: Request, owner: Owner,
                               store: StoreDep) -> ExecutionConfigSetResponse:
    """§2.13 POST (seed/0.13/0.14): replace the options of a PENDING job (else 409).

    The body is an ``ExecutionConfig`` payload, or ``{"maestro_config": {...}}``.
    """
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise SubmissionError(f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise SubmissionError("the execution configuration must be a JSON object")
    job = store.get_job(job_id, owner)
    if job.status != "PENDING":
        raise Conflict("Job is not in PENDING status")
    if set(body) == {"maestro_config"} and isinstance(body["maestro_config"], dict):
        legacy, maestro_config = None, body["maestro_config"]
    else:
        legacy, maestro_config = body, None
    options = _options(job.target, legacy, maestro_config, None)
    limit, method = simconfig.max_qubits(options)
    if job.max_qubits > limit:
        raise SubmissionError(
            f"the job has a circuit of {job.max_qubits} qubits; {method} simulation allows "
            f"at most {limit}"
        )
    job = store.set_options(job_id, owner, options=options, execution_configuration=legacy,
                            maestro_config=maestro_config)
    return ExecutionConfigSetResponse(job_id=job_id,
                                      execution_configuration=job.execution_configuration,
                                      maestro_config=job.maestro_config)


# ------------------------------------------------------------------------------ the app


def create_app(store: Store, runner: Runner, *,
               faults: FaultPlan | Sequence[FaultPlan] | None = None,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               extra_routers: Sequence[APIRouter] = (), resume: bool = True,
               idempotency: bool = True,
               max_active_jobs: int | None = DEFAULT_MAX_ACTIVE_JOBS) -> FastAPI:
    """Build the local service's application.

    Args:
        store (Store): the job store.
        runner (Runner): executes finalized jobs.
        faults (FaultPlan | Sequence[FaultPlan] | None): test-only fault injection (see
            ``local/faults.py``); several plans apply independently, the first outermost.
        max_body_bytes (int): request bodies above this get 413.
        extra_routers (Sequence[APIRouter]): more routes, mounted under ``/api``.
        resume (bool): at start-up, queue the jobs a previous process left unfinished
            (:meth:`Store.recover`).
        idempotency (bool): honour ``Idempotency-Key`` and advertise it in the ping (False
            behaves like a service that ignores the header, for tests).
        max_active_jobs (int | None): per-token limit of PENDING/RUNNING jobs (None: none).

    Returns:
        FastAPI: the application; ``app.state.store`` and ``app.state.runner`` are set.
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI):  # type: ignore[no-untyped-def]
        if resume:
            for job_id in store.recover():
                runner.enqueue(job_id)
        yield

    app = FastAPI(title="Qoro local service", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.store = store
    app.state.runner = runner
    app.state.idempotency = idempotency
    app.state.max_active_jobs = max_active_jobs
    _install_handlers(app)
    app.include_router(catalogue, prefix="/api")
    app.include_router(jobs, prefix="/api")
    # Characterization (§2.14-2.15): imported here because that module imports Owner/StoreDep.
    from .characterization_routes import router as characterization

    app.include_router(characterization, prefix="/api")
    for router in extra_routers:
        app.include_router(router, prefix="/api")
    app.add_middleware(_BodyLimit, limit=max_body_bytes)
    app.add_middleware(_GzipRequests, limit=max_body_bytes)  # outside _BodyLimit: it sees
    # the decompressed body and its length
    plans = [faults] if isinstance(faults, FaultPlan) else list(faults or ())
    for plan in reversed(plans):  # the last added is outermost: it sees uvicorn's receive
        app.add_middleware(FaultMiddleware, plan=plan)
    return app
