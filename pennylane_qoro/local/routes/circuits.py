"""The upload route of the local service: ``job/{id}/add_circuits/`` (qoro-api.md §2.8).

A chunk of bound circuits or one template is validated (``submission.prepare_chunk``) and
appended by the store, which refuses it (credits included) before writing a row and then
inserts the rows in short batches (``store/uploads.py``); the job starts when ``finalized``
is the string ``"true"``. The body is parsed here rather than by FastAPI so that repeated
keys are refused and key order (the circuits' order, §1.4) is kept. An ``Idempotency-Key``
makes a re-sent chunk get the recorded answer without being appended twice. Bodies up to
:data:`INLINE_BODY_BYTES` are handled on the event loop (well under a millisecond of parsing);
larger ones go to the thread pool -- hashing, parsing, validation (in slices, so no single call
holds the interpreter for long) and storing -- so every other request stays responsive.

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
from pydantic import StrictStr, TypeAdapter, ValidationError

from ...protocol.vocabulary import LOCAL_ACTIVE_STATUSES, WAIT_PARAM
from ..bounds import parse_json
from ..deps import AppSettings, Owner, RunnerDep, SettingsDep, StoreDep, remember
from ..gc_pause import handled
from ..handlers import format_validation
from ..inline import finalize_answer, runs_inline
from ..models import AddCircuitsRequest, AddCircuitsResponse, ParameterSet
from ..runner import Runner
from ..store import Conflict, Job, Remember, Store
from ..submission import Chunk, SubmissionError, prepare_chunk
from .jobs import MAX_WAIT, long_polls

__all__ = [
    "INLINE_BODY_BYTES",
    "PAUSE_GC_BYTES",
    "VALIDATE_SLICE",
    "answered",
    "append_chunk",
    "parse_chunk",
    "router",
    "start",
    "validate_chunk",
]

INLINE_BODY_BYTES = 16 << 10
"""``add_circuits`` bodies up to this size are handled without a thread hop."""
VALIDATE_SLICE = 2000
"""Rows (template parameter sets or bound circuits) validated per pydantic call."""
PAUSE_GC_BYTES = 1 << 20
"""Bodies over this size are handled with the cyclic collector paused (``gc_pause.py``)."""
_ROWS = TypeAdapter(list[ParameterSet])
_CIRCUITS = TypeAdapter(dict[StrictStr, StrictStr])

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


def validate_chunk(raw: Any) -> AddCircuitsRequest:
    """The parsed body as an :class:`AddCircuitsRequest`, its rows validated in slices.

    One pydantic call over a 700 000-row body holds the interpreter for seconds, and the event
    loop answering every other token's polls with it; slices of :data:`VALIDATE_SLICE` rows
    let it run in between. Errors name the field as one call would
    (``parameter_sets.12345.values.0: ...``).

    Raises:
        SubmissionError: the body does not fit the model (400).
    """
    rows = raw.get("parameter_sets") if isinstance(raw, dict) else None
    circuits = raw.get("circuits") if isinstance(raw, dict) else None
    sliced = {"parameter_sets": isinstance(rows, list), "circuits": isinstance(circuits, dict)}
    envelope = {k: v for k, v in raw.items() if not sliced.get(k)} \
        if isinstance(raw, dict) else raw
    try:
        req = AddCircuitsRequest.model_validate(envelope)
        update: dict[str, Any] = {}
        if sliced["parameter_sets"]:
            update["parameter_sets"] = [
                row for start in range(0, len(rows), VALIDATE_SLICE)
                for row in _slice(_ROWS, rows[start:start + VALIDATE_SLICE],
                                  ("parameter_sets",), start)
            ]
        if sliced["circuits"]:
            items = list(circuits.items())
            update["circuits"] = {
                label: text for start in range(0, len(items), VALIDATE_SLICE)
                for label, text in _slice(_CIRCUITS, dict(items[start:start + VALIDATE_SLICE]),
                                          ("circuits",), None).items()
            }
    except ValidationError as exc:
        raise SubmissionError(format_validation(exc.errors())) from None
    return req.model_copy(update=update)


def _slice(adapter: TypeAdapter, part: Any, prefix: tuple, offset: int | None) -> Any:
    """Validate one slice; errors are re-raised with their location in the whole body."""
    try:
        return adapter.validate_python(part)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            if offset is not None and loc and isinstance(loc[0], int):
                loc = (loc[0] + offset, *loc[1:])
            errors.append({**err, "loc": (*prefix, *loc)})
        raise SubmissionError(format_validation(errors)) from None


def _add_circuits(store: Store, runner: Runner, job_id: str, owner: str, body: bytes,
                  request: Request, settings: AppSettings) -> AddCircuitsResponse:
    """The work of ``add_circuits/``, run in the thread pool for large bodies: it hashes the
    body for its ``Idempotency-Key``, parses, validates and stores it (the store inserts the
    rows in batches, ``store/uploads.py``), none of it on the event loop. A body over
    :data:`PAUSE_GC_BYTES` is handled with the cyclic collector paused and its parsed rows
    freed in slices (``local/gc_pause.py``): either would otherwise stall every request for up
    to a second at a time."""
    return handled(len(body), lambda held: _append(store, runner, job_id, owner, body, request,
                                                   settings, held), threshold=PAUSE_GC_BYTES)


def _append(store: Store, runner: Runner, job_id: str, owner: str, body: bytes,
            request: Request, settings: AppSettings, held: list[Any]) -> AddCircuitsResponse:
    """:func:`_add_circuits`' steps; the large containers it builds are added to ``held``."""
    key = remember(request, owner, body, settings, None)  # answer set once parsed
    if key is not None:
        store.recall(key)  # a re-sent chunk is answered before any parsing
    return append_chunk(store, runner, job_id, owner, parse_chunk(body, held), key, held)


def parse_chunk(body: bytes, held: list[Any]) -> Any:
    """An ``add_circuits/`` body as JSON, repeated keys refused and key order kept."""
    # The model fixes every field's shape (deeper nesting fails validation: no depth walk) and
    # refuses NaN naming its field.
    raw = parse_json(body, object_pairs_hook=_no_duplicate_keys, check_depth=False,
                     finite=False)
    if isinstance(raw, dict):
        held += [raw.get("parameter_sets"), raw.get("circuits")]
    return raw


def append_chunk(store: Store, runner: Runner, job_id: str, owner: str, raw: Any,
                 key: Remember | None, held: list[Any]) -> AddCircuitsResponse:
    """Validate and store one parsed chunk; a finalizing one starts the job (in this request
    when it is small, ``local/inline.py``). Also the second step of ``job/submit/``."""
    req = validate_chunk(raw)
    held += [req.parameter_sets, req.circuits]
    job = store.get_job(job_id, owner)
    if job.finalized or job.status != "PENDING":
        if key is not None:
            store.recall(key)  # the same chunk, sent twice at once, finalized it
        if job.finalized:
            raise Conflict("Job is already finalized; no more circuits can be added")
        raise Conflict("Job is not in PENDING status")
    chunk = prepare_chunk(req, job, memory_budget=runner.memory.budget)
    held.append(chunk.circuits)
    job = store.append_chunk(
        job_id, owner, circuits=chunk.circuits, templates=chunk.templates,
        observables=chunk.observables, circuit_ham_map=chunk.circuit_ham_map,
        max_qubits=chunk.max_qubits, finalize=chunk.finalize, remember=answered(key, chunk),
    )
    return start(runner, chunk, job)


def answered(key: Remember | None, chunk: Chunk) -> Remember | None:
    """``key`` with the answer its record keeps for replays of this chunk."""
    if key is None:
        return None
    return Remember(owner=key.owner, key=key.key, fingerprint=key.fingerprint,
                    respond=_chunk_response(len(chunk.circuits)))


def start(runner: Runner, chunk: Chunk, job: Job) -> AddCircuitsResponse:
    """Start a job its finalizing chunk was stored for (in this request when it is small,
    ``local/inline.py``), and the ``add_circuits/`` answer."""
    if chunk.finalize and runs_inline(chunk, job.n_circuits):
        runner.run_here(job.id, job.owner)  # a small job: no pool hand-off (local/inline.py)
    elif chunk.finalize:
        runner.enqueue(job.id, job.owner)  # FIFO per token, tokens round robin
    return AddCircuitsResponse(job_id=job.id, circuits_added=len(chunk.circuits),
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
    if len(body) <= INLINE_BODY_BYTES:  # a few small circuits: cheaper than a thread hop
        answer = _add_circuits(store, runner, job_id, owner, body, request, settings)
    else:
        answer = await run_in_threadpool(_add_circuits, store, runner, job_id, owner, body,
                                         request, settings)
    if not (wait > 0 and answer.finalized):
        return answer
    status = store.status(job_id, owner)
    if status[0] in LOCAL_ACTIVE_STATUSES:
        status = await anyio.to_thread.run_sync(
            store.wait_status, job_id, owner, min(wait, MAX_WAIT), limiter=long_polls(request)
        )
    return Response(finalize_answer(answer, store, owner, status), media_type="application/json")
