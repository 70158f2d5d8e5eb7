"""Tests for pennylane_qoro.client.in_process: the same service answers the same bytes
in-process as over its socket.

Each test runs its requests twice against one real local service (``serve()``): once through
a plain ``requests`` session (loopback TCP, uvicorn) and once through a session with
:class:`InProcessAdapter` mounted, and compares what came back.
"""

from __future__ import annotations

import asyncio
import copy
import gzip
import json
import logging

import numpy as np
import pytest
import requests
from fastapi import APIRouter

from pennylane_qoro.client import JobSpec, QoroClient
from pennylane_qoro.client.config import ApiKey
from pennylane_qoro.client.errors import NotFoundError, QoroConnectionError
from pennylane_qoro.client.http import Transport
from pennylane_qoro.client.in_process import InProcessAdapter, InProcessApp
from pennylane_qoro.local import serve

pytestmark = pytest.mark.usefixtures("no_key_in_logs")

BELL = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\n' \
       "measure q -> c;\n"

_faulty = APIRouter()


@_faulty.get("/test/boom/")
async def _boom() -> None:
    raise RuntimeError("the route failed")


@_faulty.get("/test/slow/")
async def _slow() -> dict:
    await asyncio.sleep(2)
    return {"slow": True}


@pytest.fixture(scope="module")
def svc():
    with serve(extra_routers=[_faulty]) as service:
        yield service


def _origin(url: str) -> str:
    return url.rsplit("/api", 1)[0] + "/"


def _sessions(svc) -> tuple[requests.Session, requests.Session]:
    wire, direct = requests.Session(), requests.Session()
    direct.mount(_origin(svc.url), InProcessAdapter(InProcessApp(svc.app, svc.loop)))
    for s in (wire, direct):
        s.headers["Authorization"] = f"Bearer {svc.token}"
        s.trust_env = False
    return wire, direct


def _same(a: requests.Response, b: requests.Response) -> None:
    assert a.status_code == b.status_code
    assert a.headers.get("content-type") == b.headers.get("content-type")
    assert a.content == b.content or a.json() == b.json()


class TestSameAnswers:
    def test_ping_catalogue_and_errors(self, svc):
        wire, direct = _sessions(svc)
        for path in ("", "qpusystem/", "job/no-such-job/status/", "job/x/resultsV2/?offset=0"):
            _same(wire.get(f"{svc.url}/{path}"), direct.get(f"{svc.url}/{path}"))
        anonymous = requests.Session()
        anonymous.mount(_origin(svc.url), InProcessAdapter(InProcessApp(svc.app, svc.loop)))
        assert anonymous.get(f"{svc.url}/job/x/status/").status_code == 401

    def test_init_and_a_gzip_body_answer_the_same_both_ways(self, svc):
        answers = []
        for session in _sessions(svc):
            init = session.post(f"{svc.url}/job/init/", json={"job_type": "EXECUTE", "tag": "t"})
            assert init.status_code == 201, init.text
            job = init.json()["job_id"]
            body = json.dumps({"circuits": {"a": "not base64 gzip"}, "shots": 10}).encode()
            added = session.post(f"{svc.url}/job/{job}/add_circuits/", data=gzip.compress(body),
                                 headers={"Content-Type": "application/json",
                                          "Content-Encoding": "gzip"})
            answers.append((sorted(init.json()), added.status_code,
                            added.json()["detail"].replace(job, "<job>")))
        assert answers[0] == answers[1]
        assert answers[0][1] == 400

    def test_a_failing_route_is_a_500_both_ways_and_logged(self, svc, caplog):
        wire, direct = _sessions(svc)
        with caplog.at_level(logging.ERROR, logger="pennylane_qoro.client.in_process"):
            b = direct.get(f"{svc.url}/test/boom/")
        a = wire.get(f"{svc.url}/test/boom/")
        assert a.status_code == b.status_code == 500
        assert "the route failed" in caplog.text

    def test_query_strings_and_quoted_paths_arrive_intact(self, svc):
        wire, direct = _sessions(svc)
        path = f"{svc.url}/job/a%20b/status/?wait=0"
        _same(wire.get(path), direct.get(path))


class TestTransport:
    def test_timeout_is_a_connection_error_naming_it(self, svc):
        t = Transport(svc.url, ApiKey(svc.token), in_process=InProcessApp(svc.app, svc.loop))
        with pytest.raises(QoroConnectionError, match="timed out"):
            t.get("test/slow/", timeout=0.2)

    def test_http_errors_map_as_on_the_wire(self, svc):
        t = Transport(svc.url, ApiKey(svc.token), in_process=InProcessApp(svc.app, svc.loop))
        with pytest.raises(NotFoundError) as direct:
            t.get("job/no-such-job/status/", timeout=5)
        with pytest.raises(NotFoundError) as wire:
            Transport(svc.url, ApiKey(svc.token)).get("job/no-such-job/status/", timeout=5)
        assert str(direct.value) == str(wire.value)


    def test_a_stopped_service_is_a_connection_error(self):
        with serve() as gone:
            target = InProcessApp(gone.app, gone.loop)
            url, token = gone.url, gone.token
        t = Transport(url, ApiKey(token), in_process=target)
        with pytest.raises(QoroConnectionError, match="not running"):
            t.get("", timeout=5)


class TestClient:
    def test_results_equal_the_socket_clients(self, svc):
        spec = JobSpec(circuits=(("bell", BELL),), shots=400, maestro_config={"seed": 7})
        counts = []
        for in_process in (None, InProcessApp(svc.app, svc.loop)):
            with QoroClient(svc.url, svc.token, progress=False, in_process=in_process) as c:
                counts.append(c.run(spec).results["bell"])
                assert c.stats.requests >= 2
        assert counts[0] == counts[1]
        assert set(counts[0]) == {"00", "11"}

    def test_a_deep_copy_reaches_the_same_service(self, svc):
        client = QoroClient(svc.url, svc.token, progress=False,
                            in_process=InProcessApp(svc.app, svc.loop))
        twin = copy.deepcopy(client)
        spec = JobSpec(circuits=(("bell", BELL),), shots=10, maestro_config={"seed": 1})
        assert twin.run(spec).results == client.run(spec).results
        assert np.isclose(sum(twin.run(spec).results["bell"].values()), 10)
