"""The embedded service's speed paths, over real HTTP with the real client and Maestro.

* long polling: ``status/?wait=`` answers when the job ends; the client learns ``max_wait``
  from ``add_circuits/`` and then makes one status request per quick job;
* gzip request bodies: advertised in the ``job/init/`` answer, decoded before routing, the
  decompressed size capped; the client compresses its large bodies once told;
* template jobs on persistent simulators (``local/walker.py``): the same numbers as the
  same rows sent as bound circuits.

No wall-clock time is asserted (style.md rule 14).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import numpy as np
import pytest
import requests

from pennylane_qoro.client import JobSpec, QoroClient, Template
from pennylane_qoro.compile import bind
from pennylane_qoro.local import LocalService, serve
from pennylane_qoro.local.app import DEFAULT_MAX_BODY_BYTES
from pennylane_qoro.protocol.text import compress_text

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


@pytest.fixture(scope="module")
def svc() -> Iterator[LocalService]:
    # Three workers: template jobs of 12+ qubits then use walkers AND a whole-circuit worker.
    with serve(workers=3) as service:
        yield service


@pytest.fixture
def session(svc: LocalService) -> Iterator[requests.Session]:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {svc.token}"
    yield s
    s.close()


def ladder(n: int, layers: int) -> tuple[str, list[str]]:
    """The device's template shape: RY/RZ on every qubit, a CNOT ladder, per layer."""
    lines, names = [HEAD, f"qreg q[{n}];\ncreg c[{n}];\n"], []
    for _ in range(layers):
        for q in range(n):
            for gate in ("ry", "rz"):
                names.append(f"p_{len(names)}")
                lines.append(f"{gate}({names[-1]}) q[{q}];\n")
        lines += [f"cx q[{q}],q[{q + 1}];\n" for q in range(n - 1)]
    return "".join(lines), names


def shift_rows(n_params: int, seed: int = 3) -> list[tuple[str, tuple[float, ...]]]:
    base = np.random.default_rng(seed).uniform(-np.pi, np.pi, n_params)
    rows = []
    for i in range(n_params):
        for sign in (1, -1):
            row = base.copy()
            row[i] += sign * np.pi / 2
            rows.append((f"{i}{'+-'[sign < 0]}", tuple(row.tolist())))
    return rows


def init(session: requests.Session, url: str, job_type: str = "EXECUTE") -> requests.Response:
    return session.post(f"{url}/job/init/", json={"job_type": job_type, "tag": "t"})


class TestLongPolling:
    def test_status_waits_for_the_end_of_the_job(self, svc: LocalService,
                                                 session: requests.Session) -> None:
        job_id = init(session, svc.url).json()["job_id"]
        r = session.post(f"{svc.url}/job/{job_id}/add_circuits/", json={
            "circuits": {"a": compress_text(f"{HEAD}qreg q[2];\ncreg c[2];\nx q[0];\n"
                                            "measure q -> c;\n")},
            "mode": "append", "finalized": "true", "shots": 10})
        assert r.status_code == 200 and r.json()["max_wait"] > 0
        body = session.get(f"{svc.url}/job/{job_id}/status/", params={"wait": 30}).json()
        assert body["status"] == "COMPLETED" and body["max_wait"] > 0
        # Plain polls keep the cloud's exact shape.
        assert session.get(f"{svc.url}/job/{job_id}/status/").json() == {
            "status": "COMPLETED", "run_time": body["run_time"]}

    def test_an_unfinished_job_answers_at_the_end_of_the_wait(
            self, svc: LocalService, session: requests.Session) -> None:
        job_id = init(session, svc.url).json()["job_id"]  # never finalized: stays PENDING
        body = session.get(f"{svc.url}/job/{job_id}/status/", params={"wait": 0.05}).json()
        assert body["status"] == "PENDING"

    def test_bad_wait_values_are_refused(self, svc: LocalService,
                                         session: requests.Session) -> None:
        job_id = init(session, svc.url).json()["job_id"]
        for value in ("-1", "soon", "nan"):
            r = session.get(f"{svc.url}/job/{job_id}/status/", params={"wait": value})
            assert r.status_code == 400, value

    def test_the_client_polls_once_per_quick_job(self, svc: LocalService) -> None:
        with QoroClient(svc.url, svc.token, progress=False) as client:
            spec = JobSpec(circuits=(("a", f"{HEAD}qreg q[1];\ncreg c[1];\nx q[0];\n"
                                           "measure q -> c;\n"),), shots=5)
            submitted = client.submit(spec)  # submit alone never waits: it polls and pages
            assert client.wait(submitted)["status"] == "COMPLETED"
            assert client.max_wait is not None and client.max_wait > 0
            before = client.stats.snapshot()
            for _ in range(3):
                job_id = client.submit(spec)
                client.wait(job_id)
                assert client.results(job_id)[0]["results"] == {"1": 5}
            after = client.stats.snapshot()
            assert after["polls"] - before["polls"] == 3
            assert after["requests"] - before["requests"] == 3 * 4  # init, add, status, page

    def test_run_is_one_request_per_quick_job(self, svc: LocalService) -> None:
        # the first job: the answering finalize (add_circuits/?wait= answers with the status
        # and the rows), 2 requests; then job/submit/ (advertised by job/init/), 1 request
        with QoroClient(svc.url, svc.token, progress=False) as client:
            spec = JobSpec(circuits=(("a", f"{HEAD}qreg q[1];\ncreg c[1];\nx q[0];\n"
                                           "measure q -> c;\n"),), shots=5)
            first = client.run(spec)
            assert first.results == {"a": {"1": 5}} and first.requests == 2
            assert client.max_finalize_wait is not None and client.max_finalize_wait > 0
            assert client.single_request_jobs
            before = client.stats.snapshot()
            for _ in range(3):
                assert client.run(spec).results == {"a": {"1": 5}}
            after = client.stats.snapshot()
            assert after["polls"] - before["polls"] == 0
            assert after["requests"] - before["requests"] == 3 * 1  # job/submit/
            assert after["jobs"] - before["jobs"] == 3


class TestGzipBodies:
    def big_template_body(self) -> dict:
        text, names = ladder(6, 3)
        return {
            "circuit_template": compress_text(text), "parameter_names": names,
            "parameter_sets": [{"label": lab, "values": list(v)}
                               for lab, v in shift_rows(len(names))],
            "mode": "append", "finalized": "true", "shots": 10,
        }

    def test_init_advertises_gzip(self, svc: LocalService, session: requests.Session) -> None:
        assert init(session, svc.url).json()["request_encodings"] == ["gzip"]

    def test_a_gzip_body_is_read_like_a_plain_one(self, svc: LocalService,
                                                  session: requests.Session) -> None:
        job_id = init(session, svc.url).json()["job_id"]
        raw = json.dumps(self.big_template_body()).encode()
        r = session.post(f"{svc.url}/job/{job_id}/add_circuits/", data=gzip.compress(raw),
                         headers={"Content-Encoding": "gzip",
                                  "Content-Type": "application/json"})
        assert r.status_code == 200, r.text
        assert r.json()["circuits_added"] == 2 * 36

    @pytest.mark.parametrize("data, encoding, status", [
        (b"not gzip at all", "gzip", 400),
        (gzip.compress(b"{}")[:-4], "gzip", 400),               # truncated stream
        (gzip.compress(b" " * (DEFAULT_MAX_BODY_BYTES + 1)), "gzip", 413),  # past the cap
        (b"{}", "br", 415),
    ])
    def test_bad_bodies(self, svc: LocalService, session: requests.Session, data: bytes,
                        encoding: str, status: int) -> None:
        job_id = init(session, svc.url).json()["job_id"]
        r = session.post(f"{svc.url}/job/{job_id}/add_circuits/", data=data,
                         headers={"Content-Encoding": encoding,
                                  "Content-Type": "application/json"})
        assert r.status_code == status, r.text
        assert "detail" in r.json()

    def test_the_client_compresses_once_told(self, svc: LocalService) -> None:
        text, names = ladder(6, 3)
        rows = tuple(shift_rows(len(names)))
        spec = JobSpec(templates=(Template(text, tuple(names), rows),), shots=10)
        with QoroClient(svc.url, svc.token, progress=False) as client:
            before = client.stats.bytes_sent
            result = client.run(spec)
            sent = client.stats.bytes_sent - before
        assert list(result.results) == [label for label, _ in rows]
        plain = len(json.dumps(self.big_template_body()))
        assert sent < plain / 4


class TestTemplateRows:
    def test_expectation_rows_equal_bound_circuits(self, svc: LocalService) -> None:
        text, names = ladder(12, 2)  # 12 qubits, 3 workers: walked and whole-circuit rows
        rows = tuple(shift_rows(len(names)))
        terms = tuple(["ZZ" + "I" * 10, "I" * 11 + "X", "Y" * 12, "I" * 12])
        with QoroClient(svc.url, svc.token, progress=False) as client:
            templated = client.run(JobSpec(job_type="EXPECTATION",
                                           templates=(Template(text, tuple(names), rows),),
                                           observables=(terms,))).results
            bound = client.run(JobSpec(job_type="EXPECTATION", observables=(terms,),
                                       circuits=tuple((lab, bind(text, names, v))
                                                      for lab, v in rows))).results
        assert list(templated) == [lab for lab, _ in rows]
        for label, values in bound.items():
            assert templated[label].keys() == values.keys()
            np.testing.assert_allclose([templated[label][t] for t in terms],
                                       [values[t] for t in terms], atol=1e-12)

    def test_sampled_rows_of_a_deterministic_circuit(self, svc: LocalService) -> None:
        text = f"{HEAD}qreg q[12];\ncreg c[12];\nrx(a) q[0];\nrx(b) q[11];\nmeasure q -> c;\n"
        rows = (("x0", (np.pi, 0.0)), ("x11", (0.0, np.pi)), ("none", (0.0, 0.0)),
                ("both", (np.pi, np.pi)))
        with QoroClient(svc.url, svc.token, progress=False) as client:
            out = client.run(JobSpec(templates=(Template(text, ("a", "b"), rows),),
                                     shots=20)).results
        assert out == {"x0": {"0" * 11 + "1": 20}, "x11": {"1" + "0" * 11: 20},
                       "none": {"0" * 12: 20}, "both": {"1" + "0" * 10 + "1": 20}}
