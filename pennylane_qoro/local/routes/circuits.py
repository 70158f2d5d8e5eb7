"""The upload route of the local service: ``job/{id}/add_circuits/`` (qoro-api.md §2.8).

A chunk of bound circuits or one template is validated (``submission.prepare_chunk``) and
appended in one store transaction; the job starts when ``finalized`` is the string
``"true"``. The body is parsed here rather than by FastAPI so that repeated keys are refused
and key order (the circuits' order, §1.4) is kept. An ``Idempotency-Key`` makes a re-sent
chunk get the recorded answer without being appended twice. Bodies up to
:data:`INLINE_BODY_BYTES` are handled on the event loop (well under a millisecond of parsing);
larger ones go to the thread pool so polls stay responsive.

Imports FastAPI, pydantic, the standard library and ``local`` modules only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError

from ...protocol.vocabulary import LOCAL_ACTIVE_STATUSES, WAIT_PARAM
from ..bounds import parse_json
from ..deps import Owner, RunnerDep, SettingsDep, StoreDep, remember
from ..handlers import format_validation
from ..inline import finalize_answer, runs_inline
from ..models import AddCircuitsRequest, AddCircuitsResponse
from ..runner import Runner
from ..store import Conflict, Job, Remember, Store
from ..submission import SubmissionError, prepare_chunk
from .jobs import MAX_WAIT, long_polls

__all__ = ["INLINE_BODY_BYTES", "router"]

INLINE_BODY_BYTES = 16 << 10
"""``add_circuits`` bodies up to this size are handled without a thread hop."""

router = APIRouter()


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON object hook: keep key order (circuit order, §1.4) and refuse repeated keys,
    which would otherwise silently drop a circuit."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise SubmissionError(f"duplicate key {key!r} in a JSON object")
        out[key] = value
    return out


def _chunk_response(added: int) -> Callable[[Job], tuple[int, str]]:
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
                  body: bytes, key: Remember | None = None) -> AddCircuitsResponse:
    """The work of ``add_circuits/``, run in the thread pool (it gunzips and parses)."""
    if key is not None:
        store.recall(key)  # a re-sent chunk is answered before any parsing
    # The model fixes every field's shape (deeper nesting fails validation: no depth walk) and
    # refuses NaN naming its field.
    raw = parse_json(body, object_pairs_hook=_no_duplicate_keys, check_depth=False,
                     finite=False)
    try:
        req = AddCircuitsRequest.model_validate(raw)
    except ValidationError as exc:
        raise SubmissionError(format_validation(exc.errors())) from None
    job = store.get_job(job_id, owner)
    if job.finalized or job.status != "PENDING":
        if key is not None:
            store.recall(key)  # the same chunk, sent twice at once, finalized it
        if job.finalized:
            raise Conflict("Job is already finalized; no more circuits can be added")
        raise Conflict("Job is not in PENDING status")
    chunk = prepare_chunk(req, job)
    if key is not None:
        key = Remember(owner=key.owner, key=key.key, fingerprint=key.fingerprint,
                       respond=_chunk_response(len(chunk.circuits)))
    job = store.append_chunk(
        job_id, owner, circuits=chunk.circuits, templates=chunk.templates,
        observables=chunk.observables, circuit_ham_map=chunk.circuit_ham_map,
        max_qubits=chunk.max_qubits, finalize=chunk.finalize, remember=key,
    )
    if chunk.finalize and runs_inline(chunk, job.n_circuits):
        runner.run_here(job_id, owner)  # a small job: no pool hand-off (local/inline.py)
    elif chunk.finalize:
        runner.enqueue(job_id, owner)  # FIFO per token, tokens round robin
    return AddCircuitsResponse(job_id=job_id, circuits_added=len(chunk.circuits),
                               total_circuits=job.n_circuits, finalized=job.finalized,
                               max_wait=MAX_WAIT)


@router.post("/job/{job_id}/add_circuits/", status_code=200,
             response_model=AddCircuitsResponse)
async def add_circuits(job_id: str, request: Request, owner: Owner, store: StoreDep,
                       runner: RunnerDep, settings: SettingsDep,
                       wait: Annotated[float, Query(ge=0, alias=WAIT_PARAM)] = 0.0,
                       ) -> AddCircuitsResponse | Response:
    """§2.8: append a chunk; the job starts when ``finalized`` is the string ``"true"``.

    Exactly 200 (seed/0.13 clients reject 201/202). The body is parsed here rather than by
    FastAPI so that repeated keys are refused and key order is kept.

    Local extension (the answering finalize, advertised as ``max_finalize_wait`` in
    ``job/init/`` answers): a finalizing chunk sent with ``?wait=<seconds>`` is answered once
    the job ends or ``min(wait, MAX_WAIT)`` seconds pass, with ``status``, ``run_time`` and, for
    a COMPLETED job of at most ``INLINE_RESULTS_MAX`` circuits, the ``results`` rows
    (``local/inline.py``). Without ``wait`` the answer is the cloud's.
    """
    body = await request.body()
    key = remember(request, owner, body, settings, None)  # answer set once parsed
    if len(body) <= INLINE_BODY_BYTES:  # a few small circuits: cheaper than a thread hop
        answer = _add_circuits(store, runner, job_id, owner, body, key)
    else:
        answer = await run_in_threadpool(_add_circuits, store, runner, job_id, owner, body, key)
    if not (wait > 0 and answer.finalized):
        return answer
    status = store.status(job_id, owner)
    if status[0] in LOCAL_ACTIVE_STATUSES:
        status = await anyio.to_thread.run_sync(
            store.wait_status, job_id, owner, min(wait, MAX_WAIT), limiter=long_polls(request)
        )
    return Response(finalize_answer(answer, store, owner, status), media_type="application/json")
