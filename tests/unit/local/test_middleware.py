"""The ASGI middleware (``local/middleware.py``), driven in-process without a server."""

from __future__ import annotations

import asyncio
import gzip
import json
from typing import Any

import pytest

from pennylane_qoro.local.middleware import BodyLimit, GzipRequests
from pennylane_qoro.protocol.errors import BodyTooLargeError


class Echo:
    """An inner ASGI app that reads the whole body and answers 200 with its length."""

    def __init__(self) -> None:
        self.body = b""
        self.headers: dict[bytes, bytes] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.headers = dict(scope["headers"])
        more = True
        while more:
            message = await receive()
            self.body += message.get("body", b"")
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(self.body)).encode()})


def call(app: Any, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """One POST through ``app``; returns ``(status, response body)``."""
    sent: list[dict] = []
    scope = {"type": "http", "method": "POST", "path": "/api/job/init/",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    chunks = [body[:7], body[7:]]

    async def receive() -> dict:
        piece = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": piece, "more_body": bool(chunks)}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


class TestGzipRequests:
    @pytest.mark.parametrize("limit, expected", [(1 << 30, 200), (1 << 20, 413)])
    def test_a_large_body_inflated_in_the_thread_pool_is_the_same(self, limit, expected):
        """Above 64 KiB compressed the inflate runs off the event loop, with the same limit."""
        inner = Echo()
        raw = json.dumps({"rows": [str(i) * 7 for i in range(300_000)]}).encode()
        packed = gzip.compress(raw)
        assert len(packed) > 64 << 10
        status, _ = call(GzipRequests(inner, limit=limit), packed, {"Content-Encoding": "gzip"})
        assert status == expected
        assert inner.body == (raw if expected == 200 else b"")

    def test_a_large_broken_gzip_body_is_400(self) -> None:
        packed = bytearray(gzip.compress(bytes(range(256)) * 2000, compresslevel=0))
        packed[-8:] = b"\0" * 8  # wrong CRC and length
        status, body = call(GzipRequests(Echo(), limit=1 << 30), bytes(packed),
                            {"Content-Encoding": "gzip"})
        assert status == 400 and b"not valid gzip" in body

    def test_a_gzip_body_is_inflated_before_routing(self) -> None:
        inner = Echo()
        raw = json.dumps({"job_type": "EXECUTE"}).encode()
        status, _ = call(GzipRequests(inner, limit=1000), gzip.compress(raw),
                         {"Content-Encoding": "gzip"})
        assert status == 200 and inner.body == raw
        assert b"content-encoding" not in inner.headers
        assert inner.headers[b"content-length"] == str(len(raw)).encode()

    @pytest.mark.parametrize("headers", [{}, {"Content-Encoding": "identity"}])
    def test_plain_bodies_pass_untouched(self, headers: dict[str, str]) -> None:
        inner = Echo()
        assert call(GzipRequests(inner, limit=10), b"not gzip at all", headers)[0] == 200
        assert inner.body == b"not gzip at all"

    def test_another_encoding_is_415(self) -> None:
        status, body = call(GzipRequests(Echo(), limit=10), b"x", {"Content-Encoding": "br"})
        assert status == 415 and "'br'" in json.loads(body)["detail"]

    def test_a_corrupt_stream_is_400(self) -> None:
        status, body = call(GzipRequests(Echo(), limit=100), gzip.compress(b"{}")[:-3],
                            {"Content-Encoding": "gzip"})
        assert status == 400 and "not valid gzip" in json.loads(body)["detail"]

    def test_the_cap_applies_to_the_inflated_size(self) -> None:
        bomb = gzip.compress(b"0" * 10_000)
        status, body = call(GzipRequests(Echo(), limit=1000), bomb, {"Content-Encoding": "gzip"})
        assert len(bomb) < 1000 and status == 413
        assert "limit of 1000 bytes" in json.loads(body)["detail"]


class TestBodyLimit:
    def test_a_declared_length_over_the_cap_is_refused_unread(self) -> None:
        inner = Echo()
        status, body = call(BodyLimit(inner, limit=4), b"123456", {"Content-Length": "6"})
        assert status == 413 and inner.body == b""
        assert json.loads(body) == {"detail": str(BodyTooLargeError(6, 4))}

    def test_a_streamed_body_over_the_cap_raises(self) -> None:
        with pytest.raises(BodyTooLargeError):
            call(BodyLimit(Echo(), limit=4), b"1234567890", {})

    def test_bodies_within_the_cap_pass(self) -> None:
        assert call(BodyLimit(Echo(), limit=10), b"1234567890", {}) == (200, b"10")
