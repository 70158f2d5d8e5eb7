"""Isolation between tokens on the local service: the full matrix, printed.

Alice owns four jobs (an EXECUTE upload still PENDING, a COMPLETED EXECUTE job, a PENDING and
a COMPLETED VALIDATE job). Bob, with his own valid token, calls every job endpoint on each of
them, and on an id that exists nowhere. Every cell must be 404 -- or 403 for ``cancel/``, the
cloud's answer (qoro-api.md §2.11) -- with a body that carries none of Alice's data (job id,
labels, tags, results, states), and afterwards Alice's jobs are exactly as they were. Bob's
``Idempotency-Key`` namespace is separate too: reusing Alice's key gives Bob his own job.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import requests

from pennylane_qoro.local import LocalService
from pennylane_qoro.protocol.histogram import decode_histogram
from pennylane_qoro.protocol.text import compress_text

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
X = f"{HEAD}qreg q[1];\ncreg c[1];\nx q[0];\nmeasure q[0] -> c[0];\n"
SECRET_LABEL = "alice-private-label"
SECRET_TAG = "alice-private-tag"


class User:
    def __init__(self, url: str, token: str):
        self.url = url
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kw: object) -> requests.Response:
        return self.s.request(method, f"{self.url}/{path}", timeout=60, **kw)

    def init(self, job_type: str = "EXECUTE", key: str | None = None) -> str:
        headers = {"Idempotency-Key": key} if key else {}
        r = self.call("POST", "job/init/", json={"job_type": job_type, "tag": SECRET_TAG},
                      headers=headers)
        assert r.status_code == 201, r.text
        return r.json()["job_id"]

    def add(self, job_id: str, finalized: str) -> requests.Response:
        return self.call("POST", f"job/{job_id}/add_circuits/", json={
            "circuits": {SECRET_LABEL: compress_text(X)}, "mode": "append",
            "finalized": finalized, "shots": 7})

    def wait(self, job_id: str) -> str:
        while (status := self.call("GET", f"job/{job_id}/status/").json()["status"]) in (
                "PENDING", "RUNNING"):
            pass
        return status


ENDPOINTS: dict[str, Callable[[User, str], requests.Response]] = {
    "GET status/": lambda u, j: u.call("GET", f"job/{j}/status/"),
    "GET resultsV2/": lambda u, j: u.call("GET", f"job/{j}/resultsV2/?limit=100&offset=0"),
    "POST add_circuits/": lambda u, j: u.add(j, "true"),
    "POST add_circuits/ (keyed)": lambda u, j: u.call(
        "POST", f"job/{j}/add_circuits/", headers={"Idempotency-Key": "alice-chunk"},
        json={"circuits": {SECRET_LABEL: compress_text(X)}, "mode": "append",
              "finalized": "false", "shots": 7}),
    "GET execution_config/": lambda u, j: u.call("GET", f"job/{j}/execution_config/"),
    "POST execution_config/": lambda u, j: u.call("POST", f"job/{j}/execution_config/",
                                                  json={"bond_dimension": 2}),
    "POST submit_qubo/": lambda u, j: u.call("POST", f"job/{j}/submit_qubo/",
                                             json={"qubo": {"0": -1.0}}),
    "GET validation_result/": lambda u, j: u.call("GET", f"job/{j}/validation_result/"),
    "GET validation_result/html/": lambda u, j: u.call(
        "GET", f"job/{j}/validation_result/html/"),
    "POST cancel/": lambda u, j: u.call("POST", f"job/{j}/cancel/"),
    "DELETE job/{id}": lambda u, j: u.call("DELETE", f"job/{j}"),
    "DELETE job/{id}/": lambda u, j: u.call("DELETE", f"job/{j}/"),
}


def _alice_jobs(alice: User) -> dict[str, str]:
    pending = alice.init()
    assert alice.add(pending, "false").status_code == 200
    done = alice.init(key="alice-init")
    assert alice.add(done, "true").status_code == 200
    assert alice.wait(done) == "COMPLETED"
    v_pending = alice.init("VALIDATE")
    v_done = alice.init("VALIDATE")
    assert alice.call("POST", f"job/{v_done}/submit_qubo/",
                      json={"qubo": {"0": -1.0, "0,1": 0.5}}).status_code == 200
    return {"EXECUTE PENDING": pending, "EXECUTE COMPLETED": done,
            "VALIDATE PENDING": v_pending, "VALIDATE COMPLETED": v_done,
            "no such job": str(uuid.uuid4())}


def _snapshot(alice: User, jobs: dict[str, str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for kind, job_id in jobs.items():
        if kind == "no such job":
            continue
        out[kind] = alice.call("GET", f"job/{job_id}/status/").json()
    done = jobs["EXECUTE COMPLETED"]
    page = alice.call("GET", f"job/{done}/resultsV2/?limit=100&offset=0").json()
    out["results"] = {r["label"]: decode_histogram(r["results"]) for r in page["results"]}
    out["validation"] = alice.call(
        "GET", f"job/{jobs['VALIDATE COMPLETED']}/validation_result/").json()["hardness"]
    return out


def test_isolation_matrix(service: LocalService, capsys: pytest.CaptureFixture) -> None:
    alice = User(service.url, service.token)
    bob = User(service.url, service.create_token())
    jobs = _alice_jobs(alice)
    before = _snapshot(alice, jobs)
    secrets = [SECRET_LABEL, SECRET_TAG, *jobs.values()]

    matrix: dict[str, dict[str, int]] = {}
    for endpoint, call in ENDPOINTS.items():
        row = matrix.setdefault(endpoint, {})
        for kind, job_id in jobs.items():
            r = call(bob, job_id)
            row[kind] = r.status_code
            leaked = [s for s in secrets if s in r.text or s in str(r.headers)]
            assert not leaked, (endpoint, kind, r.text)
            expected = 403 if endpoint == "POST cancel/" and kind != "no such job" else 404
            assert r.status_code == expected, (endpoint, kind, r.status_code, r.text)
            assert set(r.json()) == {"detail"}

    assert _snapshot(alice, jobs) == before  # nothing Bob did changed Alice's jobs
    # Keys are per token: Bob replaying Alice's init key gets a job of his own.
    bobs = bob.init(key="alice-init")
    assert bobs != jobs["EXECUTE COMPLETED"]
    assert bob.call("GET", f"job/{bobs}/status/").json()["status"] == "PENDING"

    kinds = list(jobs)
    width = max(len(e) for e in ENDPOINTS)
    lines = ["", "Bob's answers on Alice's jobs (404 = not found, 403 = cancel's cloud answer):",
             " " * width + " | " + " | ".join(kinds)]
    for endpoint, row in matrix.items():
        lines.append(endpoint.ljust(width) + " | " + " | ".join(
            str(row[k]).center(len(k)) for k in kinds))
    with capsys.disabled():
        print("\n".join(lines))
