"""Test-only fault injection for the local service (style.md rule 13).

A :class:`FaultPlan` passed to ``create_app(..., faults=plan)`` (or ``serve(faults=plan)``) makes
the service misbehave on purpose, over real HTTP, so the client's retry and error handling can
be tested without patching ``requests`` or urllib3:

* ``when="before"``: the request never reaches its handler (nothing changes on the server);
* ``when="after"``: the handler runs (the job IS created / the chunk IS stored) and its response
  is then lost -- the case of qoro-api.md §1.6 where a retried POST duplicates work;
* ``action="status"``: answer ``status`` (default 502) with a small JSON body, optionally with a
  ``Retry-After`` header;
* ``action="drop"``: close the TCP connection without any response (the client sees a
  connection error);
* ``action="slow"``: answer normally but ``delay`` seconds late, past a client's timeout. With
  ``when="before"`` the request is held (body read first) and the handler runs only after the
  delay -- possibly after the client's re-send was handled; with ``when="after"`` the handler
  runs at once and its response is held.

Several plans can be passed to ``create_app(faults=[...])``; each draws independently, so
plans of probability p1, p2, ... break about 1 - (1-p1)(1-p2)... of the requests.

Which requests are hit: ``methods`` (empty = all) and ``path`` (a regular expression searched
in the URL path, ``None`` = all); of those, each is hit with ``probability`` (drawn from a
``random.Random(seed)``) until ``times`` injections have happened (``None`` = no limit).
``plan.injected`` counts the injections so far.

Dropping a connection needs the server's transport; with uvicorn it is reached through the
``receive`` callable of the connection. Under another server ``drop`` degrades to a 502.

Must not import anything from the device, compile, results or client packages.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Literal

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class FaultPlan:
    """What to break, where and how often.

    Args:
        when: ``"before"`` the handler (no side effect) or ``"after"`` it (side effect done,
            response lost).
        action: ``"status"`` (answer ``status``), ``"drop"`` (close the connection) or
            ``"slow"`` (answer normally, ``delay`` seconds late).
        status (int): the HTTP status of ``action="status"``.
        delay (float): seconds of ``action="slow"``.
        times (int | None): how many requests to break; ``None`` = every matching request.
        probability (float): chance that a matching request is broken.
        methods (frozenset[str]): HTTP methods to consider; empty = all.
        path (str | None): regular expression searched in the path; ``None`` = all paths.
        retry_after (float | None): add a ``Retry-After`` header to ``action="status"``.
        seed (int | None): seed of the probability draws.

    >>> plan = FaultPlan(status=502, times=2, methods=frozenset({"GET"}))
    >>> plan.injected
    0
    """

    when: Literal["before", "after"] = "before"
    action: Literal["status", "drop", "slow"] = "status"
    status: int = 502
    delay: float = 0.0
    times: int | None = 1
    probability: float = 1.0
    methods: frozenset[str] = frozenset()
    path: str | None = None
    retry_after: float | None = None
    seed: int | None = None
    injected: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.when not in ("before", "after"):
            raise ValueError(f"when must be 'before' or 'after', got {self.when!r}")
        if self.action not in ("status", "drop", "slow"):
            raise ValueError(f"action must be 'status', 'drop' or 'slow', got {self.action!r}")
        if self.delay < 0:
            raise ValueError(f"delay must be >= 0, got {self.delay}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be in [0, 1], got {self.probability}")
        self._pattern = None if self.path is None else re.compile(self.path)
        self._methods = frozenset(m.upper() for m in self.methods)
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def hit(self, method: str, path: str) -> bool:
        """Decide (and count) whether this request is broken."""
        if self._methods and method.upper() not in self._methods:
            return False
        if self._pattern is not None and not self._pattern.search(path):
            return False
        with self._lock:
            if self.times is not None and self.injected >= self.times:
                return False
            if self.probability < 1.0 and self._random.random() >= self.probability:
                return False
            self.injected += 1
            return True


class FaultMiddleware:
    """ASGI middleware applying a :class:`FaultPlan` (outermost, so it sees uvicorn's receive)."""

    def __init__(self, app: ASGIApp, plan: FaultPlan):
        self.app = app
        self.plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.plan.hit(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.plan.action == "slow":
            await self._slow(scope, receive, send)
            return
        if self.plan.when == "after":
            async def discard(_message: Message) -> None:
                return None

            await self.app(scope, receive, discard)
        if self.plan.action == "drop" and await _drop(receive):
            return
        await self._answer(send)

    async def _slow(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.plan.when == "after":
            held: list[Message] = []

            async def hold(message: Message) -> None:
                held.append(message)

            await self.app(scope, receive, hold)
            await asyncio.sleep(self.plan.delay)
            for message in held:
                await send(message)
            return
        # Read the whole body now: once the client gives up, the server's receive() only
        # reports the disconnect, and the handler must still run with the request it got.
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left before sending its body: nothing to run
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await asyncio.sleep(self.plan.delay)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _answer(self, send: Send) -> None:
        body = json.dumps({"detail": f"injected fault: HTTP {self.plan.status}"}).encode()
        headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(body)).encode())]
        if self.plan.retry_after is not None:
            headers.append((b"retry-after", f"{self.plan.retry_after:g}".encode()))
        await send({"type": "http.response.start", "status": self.plan.status,
                    "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _drop(receive: Receive) -> bool:
    """Close the client's connection without a response; ``False`` if the server hides it."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        return False
    transport.close()
    # Wait until the server has seen the disconnect, so it does not answer a 500 for us.
    while (await receive())["type"] != "http.disconnect":
        pass
    return True
