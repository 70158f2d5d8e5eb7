"""The requests that create a job: ``job/init/`` (§2.7), and ``job/submit/`` (a local extension).

The cloud's path is ``job/init/`` then ``add_circuits/``: two requests even for a job of one
circuit. A local service whose ``job/init/`` answer says ``single_request_jobs: true``
(``protocol.vocabulary.SUBMIT_FIELD``) also takes both bodies in one ``job/submit/`` request
and answers a small job with its results. :func:`submit_body` builds that request from the
bodies already planned (the chunk's bytes are reused, not re-serialized), and
:func:`submit_one` sends it. The client uses it for a job of one chunk when no journal needs
the job id before the upload; every other job takes the cloud's path.

Imports the standard library, ``protocol`` and this package only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..protocol.text import json_body
from ..protocol.vocabulary import MAX_PAYLOAD_BYTES, SUBMIT_ENDPOINT, SUBMIT_MAX_CIRCUITS
from .errors import AmbiguousSubmissionError, WireDecodeError
from .http import Transport
from .spec import UploadPlan
from .upload import TIMEOUT_UPLOAD, bare_message

__all__ = ["init_one", "one_request_body", "submit_body", "submit_one"]

TIMEOUT_INIT = 100.0
"""Seconds for ``job/init/`` (qoro-api.md §1.5)."""


def init_one(http: Transport, body: Mapping[str, Any]) -> tuple[str, dict]:
    """``POST job/init/``; the job id and the answer (with what the service advertises).

    Raises:
        AmbiguousSubmissionError: no answer came back; the message says what may exist.
        WireDecodeError: the answer carries no job id.
    """
    try:
        answer = http.post_idempotent("job/init/", body, timeout=TIMEOUT_INIT)
    except AmbiguousSubmissionError as exc:
        raise AmbiguousSubmissionError(
            f"{bare_message(exc)}. State: job/init/ may have created a job whose id never "
            "reached this client; such a job is empty and PENDING, so it never runs and "
            "costs nothing",
            method=exc.method,
            path=exc.path,
        ) from None
    return _job_id("job/init/", answer), answer


def one_request_body(plan: UploadPlan, circuits: int, *, advertised: bool,
                     journaled: bool) -> bytes | None:
    """The ``job/submit/`` body for ``plan`` (a job of ``circuits`` circuits), or None when
    the job takes the cloud's path: the service has not advertised the route, the job has
    several chunks or more than ``SUBMIT_MAX_CIRCUITS`` circuits, or a journal needs the job
    id before the upload (it records it to reattach after a crash)."""
    if not advertised or journaled or len(plan.bodies) != 1 or circuits > SUBMIT_MAX_CIRCUITS:
        return None
    return submit_body(plan.init, plan.bodies[0])


def submit_body(init: Mapping[str, Any], chunk: bytes) -> bytes | None:
    """``{"init": <init>, "chunk": <chunk>}`` as bytes, or None if it would be over the cap.

    >>> submit_body({"job_type": "EXECUTE"}, b'{"finalized":"true"}')
    b'{"init":{"job_type": "EXECUTE"},"chunk":{"finalized":"true"}}'
    """
    body = b'{"init":' + json_body(init) + b',"chunk":' + chunk + b"}"
    return body if len(body) <= MAX_PAYLOAD_BYTES else None


def submit_one(http: Transport, body: bytes) -> tuple[str, dict]:
    """Send a :func:`submit_body`; the job id and the answer (finalizing-upload shape).

    Raises:
        AmbiguousSubmissionError: no answer came back; the message says what may exist.
        WireDecodeError: the answer carries no job id.
    """
    try:
        answer = http.post_idempotent(SUBMIT_ENDPOINT, body, timeout=TIMEOUT_UPLOAD)  # an upload's
    except AmbiguousSubmissionError as exc:
        raise AmbiguousSubmissionError(
            f"{bare_message(exc)}. State: job/submit/ may have created, finalized and run a job "
            "whose id never reached this client (small jobs run within the request)",
            method=exc.method,
            path=exc.path,
        ) from None
    return _job_id(SUBMIT_ENDPOINT, answer), answer


def _job_id(endpoint: str, answer: Any) -> str:
    job_id = answer.get("job_id") if isinstance(answer, dict) else None
    if not isinstance(job_id, str) or not job_id:
        raise WireDecodeError(f"{endpoint} answered without a string job_id: {answer!r}")
    return job_id
