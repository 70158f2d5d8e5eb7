"""ASGI middleware of the local service: the body cap, gzip request bodies, fault plans.

:func:`install_middleware` stacks, from the outside in:

1. one ``FaultMiddleware`` per test-only :class:`~.faults.FaultPlan` or
   :class:`~.faults.FaultSwitch` (outermost, so it sees the server's own ``receive`` and can
   drop the connection);
2. :class:`GzipRequests`: a body sent with ``Content-Encoding: gzip`` is inflated (bounded,
   by ``protocol.text.inflate_body``) before routing -- a local extension advertised as
   ``request_encodings`` in ``job/init/`` answers; the cloud advertises nothing, so clients
   send it plain bodies (qoro-api.md §1.3). A bad stream is a 400, another encoding a 415;
3. :class:`BodyLimit`: 413 before reading a body whose ``Content-Length`` is over the cap,
   and :class:`~pennylane_qoro.protocol.errors.BodyTooLargeError` (a 413, ``handlers.py``)
   when a streamed body passes it. It sits inside the inflater, so the cap applies to the
   decompressed body and its length.

Imports the standard library, ``protocol`` and ``local`` modules only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from ..protocol.errors import BodyTooLargeError, WireDecodeError
from ..protocol.text import inflate_body
from ..protocol.vocabulary import REQUEST_ENCODINGS
from .faults import FaultMiddleware, FaultPlan, FaultSwitch
from .handlers import error

__all__ = ["BodyLimit", "Faults", "GzipRequests", "install_middleware"]

Faults = FaultPlan | FaultSwitch | Sequence[FaultPlan | FaultSwitch] | None
"""What ``create_app(faults=...)`` takes: no faults, one plan or switch, or several."""

_ENCODINGS = tuple(e.encode() for e in REQUEST_ENCODINGS)
_INFLATE_INLINE = 64 << 10
"""Bodies up to this many compressed bytes are inflated on the event loop (faster than a
thread hop); larger ones in the thread pool, so that one token's big upload never holds up
another's ``status/`` (zlib releases the GIL)."""


class GzipRequests:
    """ASGI middleware: inflate ``Content-Encoding: gzip`` request bodies, at most ``limit``."""

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
        if encoding.strip().lower() not in _ENCODINGS:
            refusal = error(415, f"unsupported Content-Encoding "
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
        data = b"".join(chunks)
        try:
            if len(data) > _INFLATE_INLINE:
                body = await run_in_threadpool(inflate_body, data, self.limit)
            else:
                body = inflate_body(data, self.limit)
        except BodyTooLargeError as exc:
            await error(413, str(exc))(scope, receive, send)
            return
        except WireDecodeError as exc:
            await error(400, f"request body is not valid gzip: {exc}")(scope, receive, send)
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


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``limit`` bytes (413)."""

    def __init__(self, app: Any, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            response = error(413, str(BodyTooLargeError(int(length), self.limit)))
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLargeError(None, self.limit)
            return message

        await self.app(scope, counted, send)


def install_middleware(app: FastAPI, *, max_body_bytes: int, faults: Faults) -> None:
    """Add the body cap, the gzip inflater and the fault plans to ``app`` (see above).

    Args:
        app (FastAPI): the application.
        max_body_bytes (int): the body cap, applied to decompressed bodies.
        faults (Faults): test-only fault injection; several plans apply independently, the
            first outermost.
    """
    # Starlette wraps the last added middleware around the others.
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    app.add_middleware(GzipRequests, limit=max_body_bytes)
    plans = [faults] if isinstance(faults, FaultPlan | FaultSwitch) else list(faults or ())
    for plan in reversed(plans):
        app.add_middleware(FaultMiddleware, plan=plan)
