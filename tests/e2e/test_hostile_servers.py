"""The client against hostile servers on 127.0.0.1 (issue 17): small FastAPI apps under uvicorn.

* a ``status/`` answer that drips one byte every 0.5 s: ``run(timeout=3)`` must end near 3 s
  (it took 44.6 s: the read timeout restarted with every byte);
* ``resultsV2/`` whose ``next`` never ends (679 pages in 30 s for a one-circuit job): paging
  stops at ``count`` / the labels sent, and inconsistent pages are a decode error;
* a response larger than the client's ``max_response_bytes``: a clear error, read no further.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, StreamingResponse

from pennylane_qoro.client import JobSpec, QoroClient
from pennylane_qoro.client.config import ApiKey
from pennylane_qoro.client.errors import (
    DeadlineExceededError,
    ResponseTooLargeError,
    WireDecodeError,
)
from pennylane_qoro.client.http import Transport
from pennylane_qoro.local.service import bind
from pennylane_qoro.protocol.histogram import encode_histogram

JOB = "00000000-0000-4000-8000-000000000017"
CIRCUIT = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nmeasure q[0] -> c[0];\n'


@contextmanager
def hostile(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (ephemeral port) in a thread; yields the base URL."""
    sock = bind("127.0.0.1", 0)
    # log_config=None: as the service does, leave the test process's logging alone.
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off",
                                           log_config=None))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/api"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def job_routes(app: FastAPI, counter: dict[str, int]) -> None:
    """The happy part of the protocol: init, upload, cancel."""

    @app.post("/api/job/init/", status_code=201)
    async def init() -> dict:
        return {"job_id": JOB}

    @app.post("/api/job/{job_id}/add_circuits/")
    async def add(job_id: str) -> dict:
        return {"job_id": job_id, "circuits_added": 1, "total_circuits": 1, "finalized": True}

    @app.post("/api/job/{job_id}/cancel/")
    async def cancel(job_id: str) -> dict:
        counter["cancel"] = counter.get("cancel", 0) + 1
        return {"status": "cancelled", "job_id": job_id, "circuits_cancelled": 1}


def spec() -> JobSpec:
    return JobSpec(circuits=(("a", CIRCUIT),), shots=10)


def client(url: str, **kw) -> QoroClient:
    return QoroClient(url, api_key="hostile-test-key", progress=False, poll_interval=0.05,
                      first_poll=0.005, retries=0, **kw)


def test_dripping_status_is_bounded_by_the_job_deadline() -> None:
    """Test that run(timeout=3) ends near 3 s when status/ drips a byte every 0.5 s."""
    app, counter = FastAPI(), {}
    job_routes(app, counter)

    @app.get("/api/job/{job_id}/status/")
    async def status(job_id: str) -> StreamingResponse:
        async def drip() -> AsyncIterator[bytes]:
            for byte in b'{"status": "RUNNING", "run_time": 0.0}' + b" " * 200:
                await asyncio.sleep(0.5)
                yield bytes([byte])
        return StreamingResponse(drip(), media_type="application/json")

    with hostile(app) as url, client(url) as c:
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError, match="timeout=3 s passed") as info:
            c.run(spec(), timeout=3)
        took = time.monotonic() - started
    assert info.value.cancelled and counter["cancel"] == 1  # the job does not run on
    print(f"\nrun(timeout=3) against a dripping status/ ended after {took:.1f} s")
    assert took < 3 + 10  # was 44.6 s; generous for a loaded CI machine


def _results_app(page: callable) -> FastAPI:
    app, counter = FastAPI(), {}
    job_routes(app, counter)
    app.state.pages = 0

    @app.get("/api/job/{job_id}/status/")
    async def status(job_id: str) -> dict:
        return {"status": "COMPLETED", "run_time": 0.1}

    @app.get("/api/job/{job_id}/resultsV2/")
    async def results(job_id: str, limit: int = 100, offset: int = 0) -> JSONResponse:
        app.state.pages += 1
        return JSONResponse(page(offset, limit))

    return app


ROW = {"label": "a", "results": encode_histogram([0], [10], 1)}


def test_endless_next_stops_at_count() -> None:
    """Test that paging stops at count even when every page has a row and a next link."""
    app = _results_app(lambda offset, limit: {
        "count": 1, "next": f"?offset={offset + limit}", "previous": None, "results": [ROW]})
    with hostile(app) as url, client(url) as c:
        result = c.run(spec())
        assert result.results == {"a": {"0": 10}}
        assert c.results(JOB) == [{"label": "a", "results": {"0": 10}}]
    assert app.state.pages == 2  # one page per call: was 679 pages in 30 s


@pytest.mark.parametrize("page, match", [
    # count grows with every page: the endless server that lies about count
    (lambda o, n: {"count": 1 + o // n, "next": "x", "results": [{**ROW, "label": f"r{o}"}]},
     "not sent|inconsistent"),
    (lambda o, n: {"count": 5, "next": "x", "results": [ROW]}, "count 5, expected 1"),
    (lambda o, n: {"count": 1, "next": None, "results": [ROW, ROW]},
     "came twice|more than the count"),
    (lambda o, n: {"count": 1, "next": None, "results": [{**ROW, "label": "zz"}]},
     "'zz', which was not sent"),
])
def test_inconsistent_pages_are_a_decode_error(page, match) -> None:
    """Test that pages contradicting count or the labels sent raise WireDecodeError."""
    app = _results_app(page)
    with hostile(app) as url, client(url) as c, pytest.raises(WireDecodeError, match=match):
        c.run(spec())
    assert app.state.pages <= 2


def test_short_pages_without_next_are_a_decode_error() -> None:
    """Test that results ending before count (no next link) raise WireDecodeError."""
    app = _results_app(lambda o, n: {"count": 3, "next": None, "results": [ROW]})
    with hostile(app) as url, client(url) as c, \
            pytest.raises(WireDecodeError, match="end after 1 of 3 rows"):
        c.results(JOB)


def test_response_over_the_cap_is_refused() -> None:
    """Test that a response body over max_response_bytes is a clear error."""
    app = FastAPI()

    @app.get("/api/credits/")
    async def credits() -> StreamingResponse:
        async def flood() -> AsyncIterator[bytes]:
            yield b'{"balance": "'
            for _ in range(64):
                yield b"9" * (1 << 16)
        return StreamingResponse(flood(), media_type="application/json")

    with hostile(app) as url:
        transport = Transport(url, ApiKey("hostile-test-key"), max_response_bytes=1 << 20)
        with pytest.raises(ResponseTooLargeError, match="over the client's cap of 1048576"):
            transport.get("credits/", timeout=30)
        transport.close()
