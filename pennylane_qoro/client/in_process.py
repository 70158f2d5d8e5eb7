"""Requests to an ASGI application served in this process: the embedded service's transport.

The embedded local service runs in a thread of the user's process. Reaching it over loopback
TCP costs each request an HTTP/1.1 round through two stacks (urllib3 and uvicorn's parser,
two socket hops): about 0.9 ms per request, measured against a 4-qubit call of ~10 ms
(``python -m bench small-calls`` prints a device of each kind). :class:`InProcessAdapter` is a
``requests`` transport adapter that hands the same request to the same application
directly, on the event loop that serves it (one thread hop each way, about 0.3 ms):

* the bytes are the wire's: method, path, query, headers (``Authorization``,
  ``Idempotency-Key``, ``Content-Encoding``) and body go through every middleware and route
  exactly as a socket would deliver them, and the answer (status, headers, gzip body) is
  read by the same :class:`~pennylane_qoro.client.http.Transport` code;
* only the framing is skipped. The service keeps listening on its socket for every other
  client (the official one, a browser, another process);
* in a forked child (``multiprocessing`` on Linux) the loop's thread is not there: its
  requests go over the socket to the parent's server, as any other client's do;
* there is no network, so nothing is retried here: the retry policy of ``client/retry.py``
  is about connections and gateways that do not exist on this path. A timeout is still
  honoured (``requests.ReadTimeout``, mapped like any other by the transport).

The adapter knows ASGI 3 and ``asyncio``, nothing of the service behind it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse

__all__ = ["InProcessAdapter", "InProcessApp"]

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
                   Awaitable[None]]


@dataclass(frozen=True)
class InProcessApp:
    """An ASGI application and the event loop (in another thread) that serves it.

    ``pid`` is the process they live in (by default the one building this): a forked child
    has a copy of both but not the thread running the loop, so its requests go over the
    socket to the parent's server.
    """

    app: ASGIApp
    loop: asyncio.AbstractEventLoop
    pid: int = field(default_factory=os.getpid)

    def __deepcopy__(self, memo: dict) -> InProcessApp:  # a copied client reaches the same app
        return self


@dataclass
class _Answer:
    status: int = 0
    headers: list[tuple[bytes, bytes]] | None = None
    body: bytearray | None = None


class InProcessAdapter(HTTPAdapter):
    """A ``requests`` adapter that sends each request to an in-process ASGI application.

    Mounted on a session for one origin (``session.mount("http://127.0.0.1:5000/", ...)``);
    the session's auth, headers and hooks apply as for any adapter. Responses are urllib3
    ``HTTPResponse`` objects over the collected body, so streaming reads, ``gzip`` decoding
    and ``release_conn`` behave as on a socket.
    """

    __attrs__: ClassVar[list[str]] = [*HTTPAdapter.__attrs__, "_target"]  # copy keeps it

    def __init__(self, target: InProcessApp):
        super().__init__(max_retries=0)
        self._target = target

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> requests.Response:
        if os.getpid() != self._target.pid:  # a forked child: the service is the parent's
            return super().send(request, stream=stream, timeout=timeout, verify=verify,
                                cert=cert, proxies=proxies)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        scope = _scope(request)
        loop = self._target.loop
        if loop.is_closed() or not loop.is_running():  # the service was stopped
            raise requests.ConnectionError("the in-process service is not running",
                                           request=request)
        future = asyncio.run_coroutine_threadsafe(
            _call(self._target.app, scope, bytes(body)), loop
        )
        try:
            answer = future.result(_read_timeout(timeout))
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise requests.ReadTimeout("the local service did not answer within the timeout",
                                       request=request) from None
        raw = HTTPResponse(
            body=io.BytesIO(bytes(answer.body or b"")),
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in answer.headers or []],
            status=answer.status,
            preload_content=False,
            decode_content=True,
            request_method=request.method,
            request_url=request.url,
        )
        return self.build_response(request, raw)


def _read_timeout(timeout: Any) -> float | None:
    if isinstance(timeout, tuple):  # requests' (connect, read)
        timeout = timeout[1]
    return None if timeout is None else float(timeout)


def _scope(request: requests.PreparedRequest) -> Scope:
    parts = urlsplit(request.url or "")
    headers = [(k.lower().encode("latin-1"), str(v).encode("latin-1"))
               for k, v in request.headers.items()]
    if not any(k == b"host" for k, _ in headers):  # http.client adds it on a socket
        headers.append((b"host", parts.netloc.encode("latin-1")))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method or "GET",
        "scheme": parts.scheme,
        "path": unquote(parts.path),
        "raw_path": parts.path.encode("latin-1"),
        "query_string": parts.query.encode("latin-1"),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 0),
        "server": (parts.hostname or "127.0.0.1", port),
        "state": {},
    }


async def _call(app: ASGIApp, scope: Scope, body: bytes) -> _Answer:
    """Run one request through ``app``; what an ASGI server does for one connection."""
    answer = _Answer()
    done = asyncio.Event()
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()  # a second read waits for the end, as for a client that stays
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = int(message["status"])
            answer.headers = list(message.get("headers", []))
            answer.body = bytearray()
        elif message["type"] == "http.response.body" and answer.body is not None:
            answer.body += message.get("body", b"")
            if not message.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
    except Exception:
        # As uvicorn does: logged, and answered 500 if no response had started.
        log.exception("Exception in the in-process ASGI application")
        if answer.body is None:
            return _Answer(500, [(b"content-type", b"text/plain; charset=utf-8")],
                           bytearray(b"Internal Server Error"))
    finally:
        done.set()
    return answer
