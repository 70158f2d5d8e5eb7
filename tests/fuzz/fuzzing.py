"""Shared pieces of the fuzz suite: the active profile, example counters, an in-process ASGI
driver and JSON strategies.

The driver calls the real FastAPI application object (every middleware, dependency and
handler) the way an ASGI server does, without sockets: one event loop, one request at a time,
each bounded by :data:`REQUEST_TIMEOUT` so a hang fails the test instead of stalling it. An
exception escaping the application is reported as a 500, which the tests refuse.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from collections.abc import Mapping
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
REQUEST_TIMEOUT = 30.0
EXAMPLES: Counter[str] = Counter()
"""Examples run per target in this session (printed in the terminal summary)."""
STATUSES: Counter[tuple[str, int]] = Counter()
"""HTTP answers per target and status class (2, 4), to show how deep the inputs reach."""


def fuzz_settings() -> settings:
    """The settings of the active profile (see ``tests/fuzz/conftest.py``)."""
    return settings(settings.get_profile(PROFILE))


def count(target: str) -> None:
    EXAMPLES[target] += 1


class Asgi:
    """Send HTTP requests to an ASGI application in-process."""

    def __init__(self, app: Any, token: str):
        self.app = app
        self.token = token
        self.loop = asyncio.new_event_loop()

    def close(self) -> None:
        self.loop.close()

    def request(self, method: str, path: str, body: bytes = b"", *, query: str = "",
                headers: Mapping[str, str] | None = None) -> tuple[int, bytes]:
        """One request; returns ``(status, body)``. A raised exception counts as 500."""
        coro = asyncio.wait_for(self._call(method, path, body, query, headers or {}),
                                REQUEST_TIMEOUT)
        return self.loop.run_until_complete(coro)

    async def _call(self, method: str, path: str, body: bytes, query: str,
                    headers: Mapping[str, str]) -> tuple[int, bytes]:
        raw = [(b"host", b"testserver"), (b"authorization", f"Bearer {self.token}".encode()),
               (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
        raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode("utf-8"),
            "query_string": query.encode("utf-8"), "root_path": "", "headers": raw,
            "client": ("127.0.0.1", 40000), "server": ("testserver", 80), "state": {},
        }
        sent = False
        done = asyncio.Event()
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    done.set()

        try:
            await self.app(scope, receive, send)
        except Exception as exc:  # the app let an exception escape: a server error
            return 500, f"{type(exc).__name__}: {exc}".encode()
        return status, b"".join(chunks)


def check_client_error(status: int, body: bytes, what: str) -> None:
    """A refusal must be a 4xx with a JSON ``detail``/``error`` message; never a 5xx."""
    STATUSES[what, status // 100] += 1
    assert status < 500, f"{what}: HTTP {status}: {body[:500]!r}"
    if status >= 400:
        payload = json.loads(body)
        assert isinstance(payload, dict) and ("detail" in payload or "error" in payload), body


# ------------------------------------------------------------------------------ strategies

_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
            | st.text(max_size=20))
json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)
"""Arbitrary JSON documents."""


def json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


def raw_bodies() -> st.SearchStrategy[bytes]:
    """Bytes that are rarely JSON: binary noise, truncated and non-UTF-8 text."""
    return st.binary(max_size=200) | st.text(max_size=100).map(lambda t: t.encode("utf-8"))


def mutate(blob: bytes, script: bytes) -> bytes:
    """``blob`` edited by ``script``, read three bytes per edit ``(op, a, b)``.

    Edits: overwrite a byte, delete one, insert one, cut the tail, append two bytes, flip a
    bit. One ``st.binary`` draw drives any number of edits, and hypothesis shrinks it well.
    """
    data = bytearray(blob)
    for k in range(0, len(script) - 2, 3):
        op, a, b = script[k] % 6, script[k + 1], script[k + 2]
        pos = (a << 8 | b) % (len(data) + 1)
        if op == 0 and data:
            data[pos % len(data)] = b
        elif op == 1 and data:
            del data[pos % len(data)]
        elif op == 2:
            data.insert(pos, a)
        elif op == 3:
            del data[pos:]
        elif op == 4:
            data += bytes((a, b))
        elif data:
            data[pos % len(data)] ^= 1 << (b % 8)
    return bytes(data)


def inputs(max_script: int) -> st.SearchStrategy[bytes]:
    """One byte string per example: a pool index, a mode and an edit script (see split).

    A single draw per example keeps hypothesis' own cost per example low (three separate
    draws cost about twice as much), which is what lets every target reach 10^4 examples.
    """
    return st.binary(min_size=3, max_size=3 + max_script)


def split(data: bytes, pool: int, modes: int) -> tuple[int, int, bytes]:
    """``(pool index, mode, script)`` from one drawn byte string (zeros shrink to 0, 0, b"")."""
    padded = data.ljust(3, b"\0")
    return padded[0] % pool, int.from_bytes(padded[1:3], "big") % modes, data[3:]
