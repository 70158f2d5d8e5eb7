"""A scriptable, test-only Qoro service for the client's unit tests (used by conftest.py).

``FakeQoro`` is a raw ASGI app served by uvicorn (h11) on 127.0.0.1 in a daemon thread. It
speaks the endpoints of qoro-api.md §2 with simple in-memory jobs, records every request
(method, path, query, headers, body) and injects faults on demand: any status with any body
and headers, a delay, or a dropped connection (the socket is closed before any byte of a
response is written), before the request is handled or, with ``after=True``, once it was
(the response is lost). With ``idempotency = True`` it advertises ``"idempotency": true`` and
answers a repeated ``Idempotency-Key`` on ``job/init/``/``add_circuits/`` with the first
answer, like the local service. Nothing in ``requests`` or urllib3 is patched: the client
under test does real HTTP.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn

from pennylane_qoro.client import wire

TOKEN = "qk_live_S3CRET-never-print-me-7c1e9b"


@dataclass
class Hit:
    method: str
    path: str  # relative to /api/, e.g. "job/<id>/status/"
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Fault:
    """One injected misbehaviour, consumed by one matching request."""

    status: int | None = None
    body: Any = None  # dict/list -> JSON; str -> text/html; None -> {"detail": ...}
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    delay: float = 0.0  # then answer normally (or with status/drop)
    echo_auth: bool = False  # put the received Authorization header in the error body
    passthrough: bool = False  # no fault: lets a later queued fault hit the N-th request
    after: bool = False  # handle the request first, then misbehave (the answer is lost)


@dataclass
class FakeJob:
    job_id: str
    init: dict
    statuses: list[str]
    bodies: list[dict] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    finalized: bool = False
    cancelled: bool = False
    status_extra: dict = field(default_factory=dict)
    exec_config: dict | None = None
    current: str = "PENDING"


class FakeQoro:
    """The app and its state; tests script it through the attributes below."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.url = ""
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.hits: list[Hit] = []
            self.faults: dict[tuple[str, str], deque[Fault]] = {}
            self.jobs: dict[str, FakeJob] = {}
            self.status_script = ["PENDING", "RUNNING", "COMPLETED"]
            self.status_extra: dict = {"run_time": 1.25}
            self.idempotency = False
            self.replies: dict[str, tuple[int, Any, dict]] = {}

    # -- scripting helpers -------------------------------------------------------------------

    def inject(self, method: str, route: str, *faults: Fault) -> None:
        """Queue faults for requests whose route name (see ``_route``) matches."""
        with self.lock:
            self.faults.setdefault((method, route), deque()).extend(faults)

    def count(self, method: str, route: str) -> int:
        return sum(1 for h in self.hits if h.method == method and _route(h.path)[0] == route)

    def bodies(self, route: str) -> list[dict]:
        return [json.loads(h.body) for h in self.hits if _route(h.path)[0] == route and h.body]

    # -- ASGI --------------------------------------------------------------------------------

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        raw_path = scope["path"]
        path = raw_path[len("/api/") :] if raw_path.startswith("/api/") else raw_path
        if raw_path == "/api":
            path = ""
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        hit = Hit(scope["method"], path, parse_qs(scope["query_string"].decode()), headers, body)
        route, job_id = _route(path)
        with self.lock:
            self.hits.append(hit)
            queue = self.faults.get((hit.method, route))
            fault = queue.popleft() if queue else None
        if fault is not None and fault.passthrough:
            fault = None
        done = None
        if fault is not None and fault.after and headers.get("authorization") == f"Bearer {TOKEN}":
            done = self._handle(hit, route, job_id)  # takes effect; its answer is lost/late
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.drop:
                # h11 refuses a header value with a newline: uvicorn then closes the socket
                # without writing anything, i.e. the connection drops before any answer.
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [(b"x-drop", b"a\nb")],
                    }
                )
                return
            if fault.status is not None:
                payload = fault.body
                if fault.echo_auth:
                    payload = {"detail": f"token {headers.get('authorization')} rejected"}
                await _respond(send, fault.status, payload or {"detail": "injected"}, fault.headers)
                return
        if headers.get("authorization") != f"Bearer {TOKEN}":
            await _respond(send, 401, {"detail": "Invalid token."})
            return
        status, payload, extra = done or self._handle(hit, route, job_id)
        await _respond(send, status, payload, extra)

    def _handle(self, hit: Hit, route: str, job_id: str | None) -> tuple[int, Any, dict]:
        key = hit.headers.get("idempotency-key")
        if self.idempotency and key and route in ("init", "add"):
            with self.lock:
                seen = self.replies.get(key)
            if seen is not None:
                return seen
            reply = self._handle_once(hit, route, job_id)
            with self.lock:
                self.replies[key] = reply
            return reply
        return self._handle_once(hit, route, job_id)

    def _handle_once(self, hit: Hit, route: str, job_id: str | None) -> tuple[int, Any, dict]:
        m = hit.method
        if route == "ping" and m == "GET":
            body = {"service": "fake-qoro", "status": "ok"}
            if self.idempotency:
                body["idempotency"] = True
            return 200, body, {}
        if route == "qpusystem" and m == "GET":
            return 200, [{"name": "test_qpu", "access_level": "basic", "qpus": []}], {}
        if route == "simulatorcluster" and m == "GET":
            return (
                200,
                [
                    {
                        "name": "qoro_maestro",
                        "access_level": "PUBLIC",
                        "minimum_tier": "FREE",
                        "supports_expval": True,
                    }
                ],
                {},
            )
        if route == "credits" and m == "GET":
            return 200, {"balance": "500.00", "total_used": "0"}, {}
        if route == "transactions" and m == "GET":
            return (
                200,
                {
                    "count": 0,
                    "total_pages": 1,
                    "next": None,
                    "previous": None,
                    "results": [],
                    "query": {k: v[0] for k, v in hit.query.items()},
                },
                {},
            )
        if route == "init" and m == "POST":
            return self._init(hit)
        with self.lock:
            job = self.jobs.get(job_id or "")
        if job is None:
            return 404, {"detail": "Not found."}, {}
        handler = {
            ("POST", "add"): self._add,
            ("GET", "status"): self._status,
            ("GET", "results"): self._results,
            ("POST", "cancel"): self._cancel,
            ("DELETE", "delete"): self._delete,
            ("GET", "exec"): self._get_exec,
            ("POST", "exec"): self._set_exec,
            ("POST", "qubo"): self._qubo,
            ("GET", "validation"): lambda h, j: (200, {"status": j.current, "report": {}}, {}),
            ("GET", "validation_html"): lambda h, j: (200, "<div>report</div>", {}),
        }.get((m, route))
        if handler is None:
            return 405, {"detail": f"{m} {hit.path} not allowed"}, {}
        return handler(hit, job)

    def _init(self, hit: Hit) -> tuple[int, Any, dict]:
        body = json.loads(hit.body)
        job = FakeJob(str(uuid.uuid4()), body, list(self.status_script))
        job.status_extra = dict(self.status_extra)
        with self.lock:
            self.jobs[job.job_id] = job
        return 201, {"job_id": job.job_id}, {}

    def _add(self, hit: Hit, job: FakeJob) -> tuple[int, Any, dict]:
        body = json.loads(hit.body)
        if job.finalized:
            return 409, {"error": "Job is already finalized"}, {}
        if body.get("mode") != "append" or body.get("finalized") not in ("true", "false"):
            return 400, {"error": "mode must be 'append' and finalized 'true'/'false'"}, {}
        if "circuits" in body:
            job.labels += list(body["circuits"])
        else:
            job.labels += [row["label"] for row in body["parameter_sets"]]
        job.bodies.append(body)
        job.finalized = body["finalized"] == "true"
        return 200, {"status": "ok"}, {}

    def _status(self, hit: Hit, job: FakeJob) -> tuple[int, Any, dict]:
        if job.cancelled:
            job.current = "CANCELLED"
        elif job.finalized or job.init.get("job_type") == "VALIDATE":
            job.current = job.statuses.pop(0) if len(job.statuses) > 1 else job.statuses[0]
        return 200, {"status": job.current, **job.status_extra}, {}

    def _results(self, hit: Hit, job: FakeJob) -> tuple[int, Any, dict]:
        if job.current != "COMPLETED":
            return 400, {"detail": "Job is not completed"}, {}
        limit = int(hit.query["limit"][0])
        offset = int(hit.query["offset"][0])
        rows = [
            {"label": lab, "results": self._row(job, i), "metadata": {"i": i}}
            for i, lab in enumerate(job.labels)
        ]
        page = rows[offset : offset + limit]
        nxt = (
            f"{self.url}/job/{job.job_id}/resultsV2/?limit={limit}&offset={offset + limit}"
            if offset + limit < len(rows)
            else None
        )
        return 200, {"count": len(rows), "next": nxt, "previous": None, "results": page}, {}

    def _row(self, job: FakeJob, i: int) -> Any:
        first = job.bodies[0]
        if job.init["job_type"] == "EXPECTATION":
            groups = wire.decode_observables(first["observables"])
            ham = first.get("circuit_ham_map")
            g = next((k for k, (s, e) in enumerate(ham) if s <= i < e), 0) if ham else 0
            return {term: 0.5 - k for k, term in enumerate(groups[g])}
        shots = first.get("shots") or 1000
        return wire.encode_histogram([i % 8], [shots], 3)

    def _cancel(self, hit: Hit, job: FakeJob) -> tuple[int, Any, dict]:
        if job.current in ("PENDING", "RUNNING") and not job.cancelled:
            job.cancelled = True
            return (
                200,
                {
                    "status": "cancelled",
                    "job_id": job.job_id,
                    "circuits_cancelled": len(job.labels),
                },
                {},
            )
        return 409, {"error": "Can only cancel a PENDING or RUNNING job"}, {}

    def _delete(self, hit: Hit, job: FakeJob) -> tuple[int, Any, dict]:
        with self.lock:
            del self.jobs[job.job_id]
        return 204, None, {}

    def _get_exec(self, hit: Hit, job: FakeJob) -> tuple[int, Any, dict]:
        if job.exec_config is None:
            return 404, {"detail": "No execution configuration exists for this job."}, {}
        return 200, {"job_id": job.job_id, "execution_configuration": job.exec_config}, {}

    def _set_exec(self, hit: Hit, job: FakeJob) -> tuple[int, Any, dict]:
        job.exec_config = json.loads(hit.body)
        return (
            200,
            {"status": "ok", "job_id": job.job_id, "execution_configuration": job.exec_config},
            {},
        )

    def _qubo(self, hit: Hit, job: FakeJob) -> tuple[int, Any, dict]:
        job.current = "COMPLETED"
        job.statuses = ["COMPLETED"]
        return 200, {"status": "ok"}, {}


_ROUTES = [
    (re.compile(r"^$"), "ping"),
    (re.compile(r"^qpusystem/$"), "qpusystem"),
    (re.compile(r"^simulatorcluster/$"), "simulatorcluster"),
    (re.compile(r"^credits/$"), "credits"),
    (re.compile(r"^credits/transactions/$"), "transactions"),
    (re.compile(r"^job/init/$"), "init"),
    (re.compile(r"^job/([^/]+)/add_circuits/$"), "add"),
    (re.compile(r"^job/([^/]+)/status/$"), "status"),
    (re.compile(r"^job/([^/]+)/resultsV2/$"), "results"),
    (re.compile(r"^job/([^/]+)/cancel/$"), "cancel"),
    (re.compile(r"^job/([^/]+)/execution_config/$"), "exec"),
    (re.compile(r"^job/([^/]+)/submit_qubo/$"), "qubo"),
    (re.compile(r"^job/([^/]+)/validation_result/$"), "validation"),
    (re.compile(r"^job/([^/]+)/validation_result/html/$"), "validation_html"),
    (re.compile(r"^job/([^/]+)$"), "delete"),
]


def _route(path: str) -> tuple[str, str | None]:
    for pattern, name in _ROUTES:
        match = pattern.match(path)
        if match:
            return name, (match.group(1) if match.groups() else None)
    return "unknown", None


async def _respond(send, status: int, payload: Any, headers: dict | None = None) -> None:
    if payload is None:
        data, ctype = b"", b"application/json"
    elif isinstance(payload, str):
        data = payload.encode()
        ctype = b"text/html; charset=utf-8" if "<" in payload else b"text/plain; charset=utf-8"
    else:
        data, ctype = json.dumps(payload).encode(), b"application/json"
    extra = [(k.lower().encode(), str(v).encode()) for k, v in (headers or {}).items()]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", ctype),
                (b"content-length", str(len(data)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


class ServerThread:
    def __init__(self, app: FakeQoro):
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            http="h11",
            lifespan="off",
            log_level="critical",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="fake-qoro")

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("fake Qoro server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/api"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
