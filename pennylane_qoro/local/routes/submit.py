"""``job/submit/``: a local extension that creates, uploads and finalizes a job in one request.

A small job on the cloud's path costs two requests, ``job/init/`` then the finalizing
``add_circuits/``; on the embedded service each request is most of a small call's time. This
route takes both bodies at once, ``{"init": <job/init/ body>, "chunk": <add_circuits/ body>}``
(``protocol.vocabulary.SUBMIT_ENDPOINT``, at most ``SUBMIT_MAX_CIRCUITS`` circuits), and runs
the two routes' own checks (``jobs.job_fields``, ``circuits.validate_chunk``,
``submission.prepare_chunk``). The store then creates the job and stores its chunk in one
transaction (``Store.submit_job``): a refusal (400, 402, ...) or a crash at any point leaves
no job and no charge. The answer is the finalizing
``add_circuits/`` answer, with the job's ``status``, ``run_time`` and results when it has
already ended (``inline.finalize_answer``): one request for a small job. A job still running
is polled on ``status/`` as usual, so Ctrl+C can still cancel it.

``job/init/`` answers advertise the route (``single_request_jobs``); the cloud has no such
route and its clients never call it.

Imports FastAPI, pydantic, the standard library, ``protocol`` and ``local`` modules only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError

from ...protocol.vocabulary import LOCAL_ACTIVE_STATUSES, SUBMIT_MAX_CIRCUITS
from ..deps import AppSettings, Owner, RunnerDep, SettingsDep, StoreDep, remember
from ..gc_pause import handled
from ..handlers import format_validation
from ..inline import finalize_answer
from ..models import AddCircuitsResponse, InitRequest
from ..runner import Runner
from ..store import Job, Store
from ..submission import SubmissionError, prepare_chunk
from .circuits import (
    INLINE_BODY_BYTES,
    PAUSE_GC_BYTES,
    answered,
    parse_chunk,
    start,
    validate_chunk,
)
from .jobs import RATE_LIMIT_RETRY_AFTER, job_fields

__all__ = ["router"]

router = APIRouter()


@router.post("/job/submit/", status_code=200, response_model=AddCircuitsResponse)
async def submit(request: Request, owner: Owner, store: StoreDep, runner: RunnerDep,
                 settings: SettingsDep) -> AddCircuitsResponse | Response:
    """Local extension: ``job/init/`` and the job's one finalizing chunk in one request."""
    body = await request.body()
    if len(body) <= INLINE_BODY_BYTES:  # a few small circuits: cheaper than a thread hop
        answer = _submit(store, runner, owner, body, request, settings)
    else:
        answer = await run_in_threadpool(_submit, store, runner, owner, body, request,
                                         settings)
    status = store.status(answer.job_id, owner)
    if status[0] in LOCAL_ACTIVE_STATUSES:
        return answer  # still queued or running: the client polls status/
    return Response(finalize_answer(answer, store, owner, status),
                    media_type="application/json")


def _submit(store: Store, runner: Runner, owner: str, body: bytes, request: Request,
            settings: AppSettings) -> AddCircuitsResponse:
    return handled(len(body), lambda held: _create_and_append(store, runner, owner, body, request,
                                                              settings, held),
                   threshold=PAUSE_GC_BYTES)  # as add_circuits/ does for large bodies


def _create_and_append(store: Store, runner: Runner, owner: str, body: bytes,
                       request: Request, settings: AppSettings,
                       held: list[Any]) -> AddCircuitsResponse:
    key = remember(request, owner, body, settings, None)  # the answer is set by the chunk
    if key is not None:
        store.recall(key)  # a re-sent submit is answered from its record, no second job
    init, raw = _parts(parse_chunk(body, held))
    fields = job_fields(init)
    req = validate_chunk(raw)
    held += [req.parameter_sets, req.circuits]
    rows = len(req.circuits or req.parameter_sets or ())
    if rows > SUBMIT_MAX_CIRCUITS:
        raise SubmissionError(f"job/submit/ carries at most {SUBMIT_MAX_CIRCUITS} circuits, got "
                              f"{rows}: send them with job/init/ and add_circuits/")
    chunk = prepare_chunk(req, _draft(owner, fields), memory_budget=runner.memory.budget)
    held.append(chunk.circuits)
    job = store.submit_job(owner=owner, job=fields, chunk=chunk, remember=answered(key, chunk),
                           max_active=settings.max_active_jobs,
                           retry_after=RATE_LIMIT_RETRY_AFTER)
    return start(runner, chunk, job)


def _draft(owner: str, fields: dict[str, Any]) -> Job:
    """The job as it will be stored, before it is: what the chunk is checked against."""
    return Job(id="", owner=owner, status="PENDING", finalized=False, n_circuits=0,
               max_qubits=0, observables=None, circuit_ham_map=None, cost=0, error=None,
               run_time=0.0, attempts=0, created_at="", updated_at="", **fields)


def _parts(raw: Any) -> tuple[InitRequest, dict]:
    """The ``init`` model and the ``chunk`` object of a submit body, or 400 naming the field."""
    if not isinstance(raw, dict) or set(raw) != {"init", "chunk"}:
        raise SubmissionError('job/submit/ takes a JSON object with exactly "init" and "chunk"')
    init, chunk = raw["init"], raw["chunk"]
    if not isinstance(init, dict) or not isinstance(chunk, dict):
        raise SubmissionError('job/submit/: "init" and "chunk" must be JSON objects')
    if chunk.get("finalized") != "true":
        raise SubmissionError('job/submit/ carries the job\'s only chunk: "chunk.finalized" '
                              'must be "true"')
    try:
        return InitRequest.model_validate(init), chunk
    except ValidationError as exc:
        raise SubmissionError(format_validation(
            [{**e, "loc": ("init", *e.get("loc", ()))} for e in exc.errors()]
        )) from None
