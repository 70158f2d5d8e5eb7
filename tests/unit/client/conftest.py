"""Fixtures of the client's behaviour tests: the REAL local service under a fault switch.

Two session services run the real app on temporary databases (``serve(faults=[switch])``):
one that does not advertise idempotency (most tests: the client must treat every POST as
final) and one that does (``keyed_qoro``). Both hide the local extensions ``max_wait`` and
``request_encodings`` from their answers with a default ``"edit"`` plan, so the client polls
and uploads exactly as it does against the cloud; the e2e tests cover the extensions.

Each test gets a :class:`Qoro`: a fresh token (balance 500.00), an empty switch, and helpers
to inject faults by route name, script status answers, read what reached the service
(method, path relative to ``/api/``, query, headers, body) and read what the service stored
(a second connection to its database). Nothing in requests or urllib3 is patched.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from pennylane_qoro.client import QoroClient
from pennylane_qoro.local import FaultPlan, serve
from pennylane_qoro.local.faults import FaultSwitch, Received, status_script
from pennylane_qoro.local.store import Job, Store, hash_token

GRANT = 50_000  # hundredths of a credit: every test's token starts at "500.00"
_JOB = r"^/api/job/[^/]+"
ROUTES = {  # route name -> regular expression of its URL path
    "ping": r"^/api/?$",
    "qpusystem": r"^/api/qpusystem/$",
    "simulatorcluster": r"^/api/simulatorcluster/$",
    "credits": r"^/api/credits/$",
    "transactions": r"^/api/credits/transactions/$",
    "init": r"^/api/job/init/$",
    "submit": r"^/api/job/submit/$",
    "add": _JOB + r"/add_circuits/$",
    "status": _JOB + r"/status/$",
    "results": _JOB + r"/resultsV2/$",
    "cancel": _JOB + r"/cancel/$",
    "exec": _JOB + r"/execution_config/$",
    "qubo": _JOB + r"/submit_qubo/$",
    "validation": _JOB + r"/validation_result/$",
    "validation_html": _JOB + r"/validation_result/html/$",
    "delete": _JOB + r"/?$",
}


def cloud_shaped() -> FaultPlan:
    """Every answer without what the cloud never sends: the local extensions ``max_wait``
    (long polling), ``request_encodings`` (gzip request bodies) and ``single_request_jobs``
    (``job/submit/``)."""
    return FaultPlan(action="edit", remove=("max_wait", "request_encodings",
                                            "single_request_jobs"), times=None,
                     path=r"^/api/job/(init|[^/]+/add_circuits|[^/]+/status)/$")


def route_of(method: str, path: str) -> str:
    """The route name of a request (``"unknown"`` if none)."""
    for name, pattern in ROUTES.items():
        if name == "delete" and method != "DELETE":
            continue
        if re.search(pattern, path):
            return name
    return "unknown"


@dataclass(frozen=True)
class Hit:
    """One received request, with its path relative to ``/api/`` (``""`` for the ping)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes  # as sent on the wire
    route: str

    @classmethod
    def of(cls, r: Received) -> Hit:
        rel = r.path[len("/api/"):] if r.path.startswith("/api/") else ""
        return cls(r.method, rel, parse_qs(r.query), r.headers, r.body,
                   route_of(r.method, r.path))

    @property
    def json(self) -> Any:
        """The body's JSON (inflated first if it was sent gzip-compressed)."""
        data = self.body
        if self.headers.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        return json.loads(data)


@dataclass
class _Server:
    url: str
    switch: FaultSwitch
    store: Store  # a second connection to the service's database (reads what it stored)
    mint: Callable[..., str]


@dataclass
class Qoro:
    """The real service as one test sees it: its own token, faults, a request log."""

    url: str
    token: str
    switch: FaultSwitch
    store: Store

    def inject(self, method: str, route: str, *plans: FaultPlan) -> None:
        """Queue faults for one route: the n-th plan breaks the n-th matching request."""
        self.switch.inject(*(dataclasses.replace(p, methods=frozenset({method}),
                                                 path=ROUTES[route]) for p in plans))

    def statuses(self, *names: str, **fields: Any) -> None:
        """Script the status polls: each state once, the last for good (faults go first)."""
        self.switch.script(*status_script(names, fields))

    @property
    def hits(self) -> list[Hit]:
        return [Hit.of(r) for r in self.switch.received]

    def count(self, method: str, route: str) -> int:
        return sum(1 for h in self.hits if h.method == method and h.route == route)

    def bodies(self, route: str) -> list[Any]:
        """The JSON bodies of the requests of one route, in order."""
        return [h.json for h in self.hits if h.route == route and h.body]

    def job_bodies(self, job_id: str) -> list[Any]:
        """The ``add_circuits/`` bodies sent for one job."""
        return [h.json for h in self.hits if h.route == "add" and h.path.startswith(
            f"job/{job_id}/")]

    @property
    def jobs(self) -> list[str]:
        """The ids of this token's jobs the service holds, oldest first."""
        return self.store.job_ids(hash_token(self.token))

    def job(self, job_id: str) -> Job:
        """The service's row of one job (raises the store's NotFound once deleted)."""
        return self.store.get_job(job_id, hash_token(self.token))


def _start(tmp_path_factory: pytest.TempPathFactory, *, idempotency: bool) -> Iterator[_Server]:
    db = Path(tmp_path_factory.mktemp("qoro-client")) / "jobs.sqlite"
    switch = FaultSwitch(cloud_shaped())
    with serve(db=db, faults=[switch], idempotency=idempotency) as svc:
        store = Store(db)
        try:
            yield _Server(svc.url, switch, store, svc.create_token)
        finally:
            store.close()


@pytest.fixture(scope="session")
def _plain_server(tmp_path_factory) -> Iterator[_Server]:
    yield from _start(tmp_path_factory, idempotency=False)


@pytest.fixture(scope="session")
def _keyed_server(tmp_path_factory) -> Iterator[_Server]:
    yield from _start(tmp_path_factory, idempotency=True)


def _fresh(server: _Server) -> Qoro:
    server.switch.reset()
    return Qoro(server.url, server.mint(grant=GRANT), server.switch, server.store)


@pytest.fixture
def qoro(_plain_server: _Server) -> Qoro:
    """The service that does not advertise idempotency, fresh for this test."""
    return _fresh(_plain_server)


@pytest.fixture
def keyed_qoro(_keyed_server: _Server) -> Qoro:
    """The service that advertises (and honours) ``Idempotency-Key``, fresh for this test."""
    return _fresh(_keyed_server)


@pytest.fixture
def client(qoro: Qoro) -> Iterator[QoroClient]:
    """A QoroClient on ``qoro`` with fast polling and no progress display."""
    with QoroClient(qoro.url, api_key=qoro.token, progress=False, poll_interval=0.05,
                    first_poll=0.005) as c:
        yield c


@pytest.fixture
def secret_key(qoro: Qoro) -> str:
    """The key ``no_key_in_logs`` (tests/conftest.py) watches for."""
    return qoro.token


@pytest.fixture(autouse=True)
def _isolated_env(isolated_env):  # type: ignore[no-untyped-def]
    """No ambient QORO_* variables or .env files leak into client tests."""
    return isolated_env
