"""Exception handlers of the local service: each refusal becomes the cloud's status and body.

Error bodies are ``{"detail": ...}`` (401, 402, 403, 404, 413, 429 and 400 for malformed
requests) or ``{"error": ...}`` for state conflicts (409) and simulator-option errors, as the
cloud words them (qoro-api.md §1.7). Statuses: 400 invalid request, 401 missing/unknown token
(raised by ``deps.Owner`` as an ``HTTPException``), 402 a finalized job the balance cannot
pay, 403 cancelling another owner's job, 404 unknown job, 409 wrong job state or an
``Idempotency-Key`` reused for another request, 413 body over the cap, 429 too many active
jobs (with ``Retry-After``). A request answered from an ``Idempotency-Key`` record gets the
recorded status and body again.

Imports FastAPI, pydantic's error shape, ``protocol`` and ``local`` modules only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from ..protocol.errors import BodyTooLargeError
from .bounds import JsonBodyError
from .simulator_options import ConfigError
from .store import (
    Conflict,
    Forbidden,
    InsufficientCredits,
    NotFound,
    RateLimited,
    Replayed,
    StoreError,
)
from .submission import SubmissionError

__all__ = ["error", "format_validation", "install_handlers", "store_error_response"]


def error(status: int, message: str, *, key: str = "detail",
          headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON error body ``{key: message}`` with ``status``."""
    return JSONResponse({key: message}, status_code=status, headers=headers)


def format_validation(errors: Sequence[Any]) -> str:
    """Pydantic errors as one line naming each field (``shots: Input should be ...``)."""
    parts = []
    for err in errors:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{loc}: {err.get('msg', 'invalid')}" if loc else err.get("msg", "invalid"))
    return "; ".join(parts)


def store_error_response(exc: StoreError) -> Response:
    """The answer to a store refusal (one status per subclass, see the module docstring)."""
    if isinstance(exc, Replayed):  # the recorded answer of an earlier identical request
        return Response(exc.body, status_code=exc.status, media_type="application/json")
    if isinstance(exc, RateLimited):
        return error(429, str(exc), headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, NotFound):
        return error(404, "Not found.")
    if isinstance(exc, Forbidden):
        return error(403, "You do not have permission to modify this job.")
    if isinstance(exc, Conflict):
        return error(409, str(exc), key="error")
    if isinstance(exc, InsufficientCredits):
        return error(402, str(exc))
    return error(400, str(exc))


def install_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error(400, format_validation(exc.errors()))

    @app.exception_handler(BodyTooLargeError)
    async def _too_large(_request: Request, exc: BodyTooLargeError) -> JSONResponse:
        return error(413, str(exc))

    @app.exception_handler(StoreError)
    async def _store(_request: Request, exc: StoreError) -> Response:
        return store_error_response(exc)

    @app.exception_handler(JsonBodyError)
    async def _json(_request: Request, exc: JsonBodyError) -> JSONResponse:
        return error(400, str(exc))

    @app.exception_handler(SubmissionError)
    async def _submission(_request: Request, exc: SubmissionError) -> JSONResponse:
        return error(400, str(exc))

    @app.exception_handler(ConfigError)
    async def _config(_request: Request, exc: ConfigError) -> JSONResponse:
        return error(400, str(exc), key="error")
