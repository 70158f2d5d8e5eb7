"""The ASGI middleware that carries out fault plans at the service's boundary (test-only).

:class:`FaultMiddleware` wraps the application with one :class:`~.plan.FaultPlan` or one
:class:`~.switch.FaultSwitch`. It is added outermost, so it sees uvicorn's ``receive``: that is
how ``action="drop"`` reaches the connection's transport to close it without a response
(under another server ``drop`` degrades to the plan's status, 502 by default). With a switch,
every request's body is read first and logged (:class:`~.switch.Received`), then replayed to
the application.

Imports only the standard library and this package.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .plan import FaultPlan
from .switch import FaultSwitch, Received

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class FaultMiddleware:
    """ASGI middleware applying a :class:`FaultPlan` or the plans of a :class:`FaultSwitch`."""

    def __init__(self, app: ASGIApp, plan: FaultPlan | FaultSwitch):
        self.app = app
        self.plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        inner = receive
        if isinstance(self.plan, FaultSwitch):
            body = await _read_body(receive)
            if body is None:
                return  # the client left before sending its body: nothing to run
            self.plan.record(Received.of(scope, body))
            inner = _replay(body, receive)
            plan = self.plan.pick(method, path)
        else:
            plan = self.plan if self.plan.hit(method, path) else None
        if plan is None:
            await self.app(scope, inner, send)
        elif plan.action == "slow":
            await _slow(self.app, plan, scope, inner, send)
        elif plan.action == "edit":
            await _edit(self.app, plan, scope, inner, send)
        else:
            if plan.when == "after":
                await self.app(scope, inner, _discard)
            if plan.action == "drop" and await _drop(receive):
                return
            await _answer(plan, scope, send)


async def _discard(_message: Message) -> None:
    return None


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None if the client disconnected first."""
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then listens to the real one (disconnects)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _held(app: ASGIApp, scope: Scope, receive: Receive) -> list[Message]:
    """Run the application and keep what it would have sent."""
    held: list[Message] = []

    async def hold(message: Message) -> None:
        held.append(message)

    await app(scope, receive, hold)
    return held


async def _slow(app: ASGIApp, plan: FaultPlan, scope: Scope, receive: Receive,
                send: Send) -> None:
    """``when="after"``: the handler runs at once and its answer is held ``delay`` seconds.
    ``when="before"``: the request is held (its body read first, since once the client gives
    up ``receive`` only reports the disconnect) and then handled, possibly after a re-send."""
    if plan.when == "after":
        held = await _held(app, scope, receive)
        await asyncio.sleep(plan.delay)
        for message in held:
            await send(message)
        return
    body = await _read_body(receive)
    if body is None:
        return
    await asyncio.sleep(plan.delay)
    await app(scope, _replay(body, receive), send)


async def _edit(app: ASGIApp, plan: FaultPlan, scope: Scope, receive: Receive,
                send: Send) -> None:
    """Send the handler's answer with ``plan.update`` set and ``plan.remove`` deleted, when
    it is a JSON object; any other answer goes out unchanged."""
    held = await _held(app, scope, receive)
    if not held:
        return
    start, *rest = held
    headers = dict(start.get("headers", []))
    content = b"".join(m.get("body", b"") for m in rest)
    try:
        value = json.loads(content) if headers.get(b"content-type", b"").startswith(
            b"application/json") else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        for message in held:
            await send(message)
        return
    for key in plan.remove:
        value.pop(key, None)
    value.update(plan.update)
    data = json.dumps(value, separators=(",", ":")).encode()
    headers[b"content-length"] = str(len(data)).encode()
    await send({**start, "headers": list(headers.items())})
    await send({"type": "http.response.body", "body": data})


async def _answer(plan: FaultPlan, scope: Scope, send: Send) -> None:
    """Answer ``plan.status`` with ``plan.body`` and ``plan.headers``."""
    value = plan.body
    if plan.echo_auth:
        auth = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        value = {"detail": f"token {auth} rejected"}
    elif value is None:
        value = {"detail": f"injected fault: HTTP {plan.status}"}
    if isinstance(value, str):
        data = value.encode()
        kind = b"text/html; charset=utf-8" if "<" in value else b"text/plain; charset=utf-8"
    else:
        data, kind = json.dumps(value).encode(), b"application/json"
    headers = [(b"content-type", kind), (b"content-length", str(len(data)).encode())]
    if plan.retry_after is not None:
        headers.append((b"retry-after", f"{plan.retry_after:g}".encode()))
    headers += [(k.lower().encode("latin-1"), str(v).encode("latin-1"))
                for k, v in plan.headers.items()]
    await send({"type": "http.response.start", "status": plan.status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


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
