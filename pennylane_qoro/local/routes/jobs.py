"""Job routes of the local service: create, poll, page results, cancel, delete, options.

The cloud's paths and JSON (qoro-api.md §2.7, §2.9-2.13, §2.16); the upload route,
``add_circuits/``, is ``routes/circuits.py``. Jobs belong to the token that created them:
another token gets 404 on every job route, except ``cancel/`` which answers 403 like the cloud
(§2.11). ``job/init/`` honours an ``Idempotency-Key`` (the same key and request get the
recorded answer, no second job) and answers 429 with ``Retry-After`` when the token already
has ``max_active_jobs`` active jobs.

Local extension (long polling): ``status/?wait=<seconds>`` holds the answer while the job is
active, for at most :data:`MAX_WAIT` seconds (``add_circuits/?wait=`` likewise, advertised as
``max_finalize_wait`` in ``job/init/`` answers); at most :data:`LONG_POLLS` polls wait at once
(each holds a thread, outside the default pool the routes use).

Imports FastAPI, anyio, the standard library, ``protocol`` and ``local`` modules only.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ...protocol.vocabulary import LOCAL_ACTIVE_STATUSES, REQUEST_ENCODINGS
from ..bounds import parse_json, query_int
from ..deps import AppSettings, Owner, RunnerDep, SettingsDep, StoreDep, remember
from ..handlers import error
from ..inline import result_rows_json
from ..memory import too_large
from ..models import (
    CancelResponse,
    CreateFailedRequest,
    ExecutionConfigResponse,
    ExecutionConfigSetResponse,
    InitRequest,
    JobIdResponse,
    Progress,
    StatusResponse,
)
from ..simulator_options import from_execution_configuration, from_maestro_config, max_qubits
from ..store import Conflict, Job, Remember, Store
from ..submission import SubmissionError
from .catalogue import CLUSTER, QPU_SYSTEM

__all__ = ["LONG_POLLS", "MAX_WAIT", "RATE_LIMIT_RETRY_AFTER", "create_job", "job_fields",
           "long_polls", "router", "test_router"]

MAX_WAIT = 5.0
"""Longest ``status/?wait=`` held open, in seconds (advertised as ``max_wait``)."""
LONG_POLLS = 64
"""Long polls that may wait at once."""
MAX_RESULTS_LIMIT = 1000
# Answered with 429 (seconds, an integer as urllib3 requires).
RATE_LIMIT_RETRY_AFTER = 1

router = APIRouter()
test_router = APIRouter()
"""Test-only routes (``job/create_failed/``), mounted only by ``create_app(test_routes=True)``."""


def _target(req: InitRequest) -> str | None:
    """The job's target from ``job/init/`` (§2.7); ``None`` for characterization jobs."""
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
        return from_maestro_config(maestro_config)
    if execution_configuration is not None:
        return from_execution_configuration(execution_configuration)
    return {}


def _init_response(job: Job) -> tuple[int, str]:
    body = JobIdResponse(job_id=job.id, request_encodings=list(REQUEST_ENCODINGS),
                         max_finalize_wait=MAX_WAIT, single_request_jobs=True)
    return 201, body.model_dump_json()


@router.post("/job/init/", status_code=201, response_model=JobIdResponse,
             response_model_exclude_none=True)
async def init_job(req: InitRequest, request: Request, owner: Owner, store: StoreDep,
                   settings: SettingsDep) -> JobIdResponse:
    """§2.7: create an empty PENDING job (201); 429 when the token has too many active jobs."""
    key = remember(request, owner, await request.body(), settings, _init_response)
    job_id = create_job(req, owner, store, settings, key)
    return JobIdResponse(job_id=job_id, request_encodings=list(REQUEST_ENCODINGS),
                         max_finalize_wait=MAX_WAIT, single_request_jobs=True)


def create_job(req: InitRequest, owner: str, store: Store, settings: AppSettings,
               key: Remember | None) -> str:
    """The job a ``job/init/`` body asks for."""
    return store.create_job(owner=owner, **job_fields(req), remember=key,
                            max_active=settings.max_active_jobs,
                            retry_after=RATE_LIMIT_RETRY_AFTER)


def job_fields(req: InitRequest) -> dict[str, Any]:
    """The stored fields of the job a ``job/init/`` body describes (also ``job/submit/``'s);
    400 naming the problem when they do not go together."""
    target = _target(req)
    if req.job_type == "VALIDATE" and (req.execution_configuration or req.maestro_config
                                       or req.device_config):
        raise SubmissionError("VALIDATE jobs take no simulator options")
    options = _options(target, req.execution_configuration, req.maestro_config,
                       req.device_config)
    return {"job_type": req.job_type, "tag": req.tag, "target": target,
            "execution_configuration": req.execution_configuration,
            "maestro_config": req.maestro_config, "device_config": req.device_config or None,
            "options": options}


@test_router.post("/job/create_failed/", status_code=201, response_model=JobIdResponse,
             response_model_exclude_none=True)
async def create_failed(req: CreateFailedRequest, owner: Owner,
                        store: StoreDep) -> JobIdResponse:
    """§2.16 (test-only): a job that is FAILED from the start."""
    job_id = store.create_job(owner=owner, job_type=req.job_type, tag=req.tag, target=CLUSTER,
                              status="FAILED", error="created FAILED by job/create_failed/")
    return JobIdResponse(job_id=job_id)


def long_polls(request: Request) -> anyio.CapacityLimiter:
    """The application's long-poll thread limiter, created in its event loop on first use."""
    limiter = getattr(request.app.state, "long_polls", None)
    if limiter is None:
        limiter = request.app.state.long_polls = anyio.CapacityLimiter(LONG_POLLS)
    return limiter


@router.get("/job/{job_id}/status/", response_model=StatusResponse,
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
    if wait > 0 and status in LOCAL_ACTIVE_STATUSES:
        status, run_time, error = await anyio.to_thread.run_sync(
            store.wait_status, job_id, owner, min(wait, MAX_WAIT), limiter=long_polls(request)
        )
    progress = None
    if wait > 0 and status == "RUNNING":  # local extension (protocol.vocabulary.PROGRESS_FIELD)
        done, total = store.progress(job_id)
        progress = Progress(done=done, total=total)
    return StatusResponse(status=status, run_time=run_time,
                          error=error if status == "FAILED" else None,
                          max_wait=MAX_WAIT if wait > 0 else None, progress=progress)


@router.get("/job/{job_id}/resultsV2/")
async def results(request: Request, job_id: str, owner: Owner, store: StoreDep,
                  limit: Annotated[int, Query(ge=1, le=MAX_RESULTS_LIMIT)] = 100,
                  offset: Annotated[int, query_int(ge=0)] = 0) -> Response:
    """§2.10: exactly ``limit`` rows per page in submission order; 400 while unfinished.

    Each row's ``results`` is stored as finished JSON text, so the page is assembled as text
    instead of being parsed and re-serialized.
    """
    job, rows = store.results_page(job_id, owner, offset=offset, limit=limit)
    if job.status in LOCAL_ACTIVE_STATUSES:
        return error(400, f"Job results are not available yet: the job is {job.status}")
    if job.status == "FAILED":
        return error(409, f"Job FAILED, it has no results: {job.error}")
    if job.status == "CANCELLED":
        return error(409, "Job was CANCELLED, it has no results")
    count = job.n_circuits
    nxt = (str(request.url.include_query_params(limit=limit, offset=offset + limit))
           if offset + limit < count else None)
    prev = (str(request.url.include_query_params(limit=limit, offset=max(0, offset - limit)))
            if offset > 0 else None)
    body = "".join([
        '{"count":', str(count), ',"next":', json.dumps(nxt), ',"previous":', json.dumps(prev),
        ',"results":', result_rows_json(rows), "}",
    ])
    return Response(body, media_type="application/json")


@router.post("/job/{job_id}/cancel/", response_model=CancelResponse)
async def cancel(job_id: str, owner: Owner, store: StoreDep,
                 runner: RunnerDep) -> CancelResponse:
    """§2.11: 200 when PENDING or RUNNING (a running job stops at its next circuit), else 409."""
    n = store.cancel(job_id, owner)
    runner.cancel(job_id)
    return CancelResponse(job_id=job_id, circuits_cancelled=n)


@router.delete("/job/{job_id}", status_code=204)
@router.delete("/job/{job_id}/", status_code=204, include_in_schema=False)
async def delete(job_id: str, owner: Owner, store: StoreDep, runner: RunnerDep) -> Response:
    """§2.12: 204, with or without the trailing slash; a running job is stopped first."""
    store.delete(job_id, owner)
    runner.cancel(job_id)
    return Response(status_code=204)


@router.get("/job/{job_id}/execution_config/", response_model=ExecutionConfigResponse)
async def get_execution_config(job_id: str, owner: Owner, store: StoreDep) -> Any:
    """§2.13 GET: every version's keys, or 404 when nothing was set."""
    job = store.get_job(job_id, owner)
    if job.execution_configuration is None and job.maestro_config is None \
            and job.device_config is None:
        return error(404, "No execution configuration exists for this job.")
    return ExecutionConfigResponse(job_id=job_id,
                                   execution_configuration=job.execution_configuration,
                                   maestro_config=job.maestro_config,
                                   device_config=job.device_config)


@router.post("/job/{job_id}/execution_config/", response_model=ExecutionConfigSetResponse)
async def set_execution_config(job_id: str, request: Request, owner: Owner,
                               store: StoreDep, runner: RunnerDep) -> ExecutionConfigSetResponse:
    """§2.13 POST (seed/0.13/0.14): replace the options of a PENDING job (else 409).

    The body is an ``ExecutionConfig`` payload, or ``{"maestro_config": {...}}``.
    """
    body = parse_json(await request.body() or b"{}")
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
    limit, method = max_qubits(options)
    if job.max_qubits > limit:
        raise SubmissionError(
            f"the job has a circuit of {job.max_qubits} qubits; {method} simulation allows "
            f"at most {limit}"
        )
    refusal = too_large(job.max_qubits, options, runner.memory.budget) if job.n_circuits \
        else None
    if refusal is not None:
        raise SubmissionError(f"the job has a circuit of {refusal}")
    job = store.set_options(job_id, owner, options=options, execution_configuration=legacy,
                            maestro_config=maestro_config)
    return ExecutionConfigSetResponse(job_id=job_id,
                                      execution_configuration=job.execution_configuration,
                                      maestro_config=job.maestro_config)
