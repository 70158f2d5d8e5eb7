"""Characterization routes of the local service (qoro-api.md §2.14-2.15, §6; characterization.md
§3.13).

- ``POST job/{id}/submit_qubo/``: validate the body (400 naming the field, the job stays
  PENDING), move the job PENDING -> RUNNING, run the analysis synchronously in the thread pool,
  store the result as the job's ``validation_result`` artifact and finish COMPLETED (FAILED on
  an internal error, with a 500). 404 unknown job, 409 when the job is not PENDING.
- ``GET job/{id}/validation_result/``: the §2 JSON (nulls and the real status while the job is
  unfinished or failed); re-fetching returns the same data.
- ``GET job/{id}/validation_result/html/``: the HTML fragment (``local/analysis/html.py``).

Jobs are created by ``job/init/`` (``routes/jobs.py``) with ``job_type: "VALIDATE"``;
authentication and ownership come from the ``deps.Owner`` dependency, persistence from the
store's status and artifact methods. The service never charges for characterization. Results
are cached in memory by the canonical problem, references and options (the analysis is
deterministic).

The seed's analysis keys (``sensitivity``, ``auto_tune``, ``hardness_only``) are accepted only
with the compatibility switch (``create_router(compat_seed=True)``, or with the default
``compat_seed=None`` the environment variable ``QORO_LOCAL_SEED_COMPAT=1``, read when the
router is created, never at import); ``target_states`` is always accepted as
``reference_states``. ``create_app`` makes one router per application (each with its own
cache and time budget) unless it is given one.

Imports FastAPI, the standard library and ``local`` modules (analysis, deps, store) only.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse

from ..analysis.definitions import ENGINE
from ..analysis.engine import DEFAULT_TIME_BUDGET, analyze
from ..analysis.errors import ProblemError
from ..analysis.html import render_html
from ..analysis.submission import Submission, parse_submission
from ..bounds import JsonBodyError, parse_json
from ..deps import Owner, StoreDep
from ..store import Conflict, Job, Store

log = logging.getLogger(__name__)

JOB_TYPE = "VALIDATE"
ARTIFACT = "validation_result"
ENV_COMPAT = "QORO_LOCAL_SEED_COMPAT"
CACHE_SIZE = 32


class _Cache:
    """A small thread-safe LRU of finished analyses keyed by problem, references and options."""

    def __init__(self, size: int):
        self.size = size
        self._data: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> dict | None:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return json.loads(json.dumps(self._data[key]))
        return None

    def put(self, key: str, value: dict) -> None:
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)


def _parse_body(raw: bytes) -> Any:
    try:
        return parse_json(raw or b"null")
    except JsonBodyError as exc:
        raise ProblemError("body", str(exc)) from None


def _bad_request(exc: ProblemError) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "field": exc.field}, status_code=400)


def _cache_key(sub: Submission) -> str:
    opts = sub.options
    parts = [sub.problem.digest(), sub.references, sub.encoding, repr(opts),
             sub.cost.digest() if sub.cost else None,
             sub.penalty.digest() if sub.penalty else None]
    return json.dumps(parts, default=str)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _result_body(job: Job, stored: dict | None) -> dict:
    """The §2 response: the seven keys, plus the local markers (ignored by divi)."""
    stored = stored or {}
    return {
        "job_id": job.id,
        "status": job.status,
        "hardness": stored.get("hardness"),
        "report": stored.get("report"),
        "recommendations": stored.get("recommendations"),
        "created_at": job.created_at,
        "completed_at": stored.get("completed_at"),
        "source": "local",
        "engine": ENGINE,
        **({"error": job.error} if job.status == "FAILED" and job.error else {}),
    }


def _stored_result(store: Store, job_id: str, owner: str) -> tuple[Job, dict | None]:
    """The VALIDATE job and its stored result (``None`` unless the job COMPLETED)."""
    job = _get_validate_job(store, job_id, owner)
    text = store.get_artifact(job_id, ARTIFACT) if job.status == "COMPLETED" else None
    return job, json.loads(text) if text else None


def _result_or_400(store: Store, job_id: str, owner: str) -> tuple[Job, dict] | JSONResponse:
    """The job and its §2 response body, or the 400 that names why the job has none."""
    try:
        job, stored = _stored_result(store, job_id, owner)
    except ProblemError as exc:
        return _bad_request(exc)
    return job, _result_body(job, stored)


def _get_validate_job(store: Store, job_id: str, owner: str) -> Job:
    job = store.get_job(job_id, owner)  # NotFound -> 404 through the app's handler
    if job.job_type != JOB_TYPE:
        raise ProblemError("job_type", f"job {job_id} is a {job.job_type} job, not VALIDATE")
    return job


def create_router(*, compat_seed: bool | None = None,
                  time_budget: float = DEFAULT_TIME_BUDGET) -> APIRouter:
    """The three characterization routes, for ``create_app(extra_routers=[...])``.

    Args:
        compat_seed (bool | None): accept the seed's (divi 0.12) analysis keys; ``None`` reads
            ``QORO_LOCAL_SEED_COMPAT`` from the environment.
        time_budget (float): seconds after which optional analysis stages are skipped (and
            reported as skipped).
    """
    if compat_seed is None:
        compat_seed = os.environ.get(ENV_COMPAT, "").strip().lower() in ("1", "true", "yes")
    cache = _Cache(CACHE_SIZE)
    router = APIRouter()

    def run(store: Store, job_id: str, sub: Submission) -> tuple[int, dict]:
        """The synchronous part of submit (thread pool): analyse, store, finish."""
        started = time.perf_counter()
        key = _cache_key(sub)
        try:
            result = cache.get(key)
            if result is None:
                result = analyze(sub, time_budget=time_budget)
                cache.put(key, result)
            result["completed_at"] = _now()
            elapsed = time.perf_counter() - started
            store.set_artifact(job_id, ARTIFACT, json.dumps(result, allow_nan=False))
        except Exception as exc:  # an engine bug must end the job, not leave it RUNNING
            log.exception("characterization of job %s failed", job_id)
            message = f"analysis failed: {type(exc).__name__}: {exc}"
            store.set_status(job_id, status="FAILED", expect=("RUNNING",), error=message)
            return 500, {"detail": message}
        if not store.set_status(job_id, status="COMPLETED", expect=("RUNNING",),
                                run_time=elapsed):
            return 409, {"error": "Job was cancelled during the analysis"}
        return 200, {"job_id": job_id, "status": "COMPLETED"}

    @router.post("/job/{job_id}/submit_qubo/")
    async def submit_qubo(job_id: str, request: Request, owner: Owner,
                          store: StoreDep) -> JSONResponse:
        """§2.14: synchronous analysis of one QUBO/HUBO."""
        raw = await request.body()
        try:
            job = _get_validate_job(store, job_id, owner)
            if job.status != "PENDING":
                raise Conflict("Job is not in PENDING status")
            body = _parse_body(raw)
            sub = await run_in_threadpool(parse_submission, body, compat_seed=compat_seed)
        except ProblemError as exc:
            return _bad_request(exc)
        if not store.set_status(job_id, status="RUNNING", expect=("PENDING",)):
            raise Conflict("Job is not in PENDING status")
        status, payload = await run_in_threadpool(run, store, job_id, sub)
        return JSONResponse(payload, status_code=status)

    @router.get("/job/{job_id}/validation_result/")
    async def validation_result(job_id: str, owner: Owner, store: StoreDep) -> JSONResponse:
        """§2.15: the stored result, or the shape with nulls and the real status."""
        found = _result_or_400(store, job_id, owner)
        return found if isinstance(found, JSONResponse) else JSONResponse(found[1])

    @router.get("/job/{job_id}/validation_result/html/")
    async def validation_html(job_id: str, owner: Owner, store: StoreDep) -> HTMLResponse:
        """§2.15: the self-contained HTML fragment (root class ``qvr-root``)."""
        found = _result_or_400(store, job_id, owner)
        if isinstance(found, JSONResponse):
            return found
        job, body = found
        page = await run_in_threadpool(render_html, body, tag=job.tag)
        return HTMLResponse(page)

    return router

