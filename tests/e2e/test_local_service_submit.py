"""``job/submit/``: init and one finalizing chunk in one request (``local/routes/submit.py``).

Raw HTTP against the real service (``local_api.Api``), then the project client: it takes the
one-request path once ``job/init/`` has advertised it, and only where nothing needs the job id
before the upload.
"""

from __future__ import annotations

import uuid

import pytest
from local_api import Api, qasm

from pennylane_qoro.client import JobSpec, QoroClient
from pennylane_qoro.local import LocalService, serve
from pennylane_qoro.protocol.histogram import decode_histogram
from pennylane_qoro.protocol.text import compress_text
from pennylane_qoro.protocol.vocabulary import SUBMIT_FIELD, SUBMIT_MAX_CIRCUITS

INIT = {"job_type": "EXECUTE", "simulator_cluster": "qoro_maestro", "tag": "submit"}


def _chunk(circuits: dict[str, str], **fields) -> dict:
    return {"circuits": {k: compress_text(v) for k, v in circuits.items()},
            "finalized": "true", **fields}


def _jobs(service: LocalService, token: str) -> list[str]:
    store = service.app.state.store
    return store.job_ids(store.owner_of(token))


@pytest.fixture(scope="module")
def svc():
    with serve(workers=1) as service:
        yield service


class TestRoute:
    def test_init_advertises_it(self, svc):
        r = Api(svc.url, svc.token).post("job/init/", json=INIT)
        assert r.status_code == 201 and r.json()[SUBMIT_FIELD] is True

    def test_a_small_job_is_answered_with_its_results(self, svc):
        api = Api(svc.url, svc.token)
        circuits = {"x": qasm(2, "x q[1];\n"), "bell": qasm(2, "h q[0];\ncx q[0],q[1];\n")}
        r = api.post("job/submit/", json={"init": INIT, "chunk": _chunk(circuits, shots=64)})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "COMPLETED" and body["total_circuits"] == 2
        rows = {row["label"]: decode_histogram(row["results"]) for row in body["results"]}
        assert rows["x"] == {"10": 64}
        assert set(rows["bell"]) <= {"00", "11"} and sum(rows["bell"].values()) == 64
        # the job is an ordinary job: status/ and resultsV2/ see the same
        assert api.status(body["job_id"])["status"] == "COMPLETED"
        paged = api.get(f"job/{body['job_id']}/resultsV2/?limit=10&offset=0").json()
        assert [row["label"] for row in paged["results"]] == ["x", "bell"]

    def test_a_job_too_big_to_run_inline_is_polled(self, svc):
        api = Api(svc.url, svc.token)
        wide = qasm(18, "".join(f"h q[{i}];\n" for i in range(18)))  # over the inline budget
        r = api.post("job/submit/", json={"init": INIT, "chunk": _chunk({"w": wide}, shots=5)})
        assert r.status_code == 200, r.text
        assert "results" not in r.json()
        assert api.wait(r.json()["job_id"])["status"] == "COMPLETED"

    @pytest.mark.parametrize(("chunk", "message"), [
        ({"circuits": {"a": "not gzip"}, "shots": 5, "finalized": "true"}, "a"),
        (_chunk({"a": qasm(1, "x q[0];\n")}, shots=0), "shots"),
        (_chunk({"a": qasm(1, "bogus q[0];\n")}, shots=5), "bogus"),
        (_chunk({"a": qasm(1, "x q[0];\n")}, shots=5, finalized="false"), "finalized"),
    ])
    def test_a_refused_chunk_leaves_no_job_and_no_charge(self, svc, chunk, message):
        api = Api(svc.url, svc.token)
        jobs, credits = _jobs(svc, svc.token), api.get("credits/").json()["balance"]
        r = api.post("job/submit/", json={"init": INIT, "chunk": chunk})
        assert r.status_code == 400 and message in r.json()["detail"], r.text
        assert _jobs(svc, svc.token) == jobs
        assert api.get("credits/").json()["balance"] == credits

    def test_not_enough_credits_is_402_with_nothing_left(self, svc):
        poor = svc.create_token(grant=1)  # 0.01 credits: less than one circuit
        api = Api(svc.url, poor)
        r = api.post("job/submit/", json={"init": INIT, "chunk": _chunk(
            {f"c{i}": qasm(1, "x q[0];\n") for i in range(5)}, shots=5)})
        assert r.status_code == 402, r.text
        assert _jobs(svc, poor) == []

    def test_more_circuits_than_the_route_takes_are_400(self, svc):
        rows = [{"label": f"r{i}", "values": [0.1]} for i in range(SUBMIT_MAX_CIRCUITS + 1)]
        chunk = {"circuit_template": compress_text(qasm(1, "rx(a) q[0];\n")),
                 "parameter_names": ["a"], "parameter_sets": rows, "shots": 1,
                 "finalized": "true"}
        jobs = _jobs(svc, svc.token)
        r = Api(svc.url, svc.token).post("job/submit/", json={"init": INIT, "chunk": chunk})
        assert r.status_code == 400 and f"at most {SUBMIT_MAX_CIRCUITS}" in r.json()["detail"]
        assert _jobs(svc, svc.token) == jobs

    @pytest.mark.parametrize("body", [
        [], {"init": INIT}, {"init": INIT, "chunk": {}, "extra": 1}, {"init": 1, "chunk": {}},
        {"init": {**INIT, "job_type": "NOPE"}, "chunk": _chunk({"a": qasm(1, "")}, shots=1)},
    ])
    def test_malformed_bodies_are_400_naming_the_problem(self, svc, body):
        jobs = _jobs(svc, svc.token)
        r = Api(svc.url, svc.token).post("job/submit/", json=body)
        assert r.status_code == 400, r.text
        assert any(w in r.json()["detail"] for w in ("init", "chunk", "job/submit/"))
        assert _jobs(svc, svc.token) == jobs

    def test_an_idempotency_key_covers_the_whole_request(self, svc):
        api = Api(svc.url, svc.token)
        key = {"Idempotency-Key": str(uuid.uuid4())}
        body = {"init": INIT, "chunk": _chunk({"a": qasm(1, "x q[0];\n")}, shots=3)}
        def used() -> float:
            return float(api.get("credits/").json()["total_used"])

        start = used()
        assert api.post("job/submit/", json=body).status_code == 200  # no key: the price
        price, before = used() - start, len(_jobs(svc, svc.token))
        first = api.post("job/submit/", json=body, headers=key)
        again = api.post("job/submit/", json=body, headers=key)
        assert first.status_code == again.status_code == 200
        assert first.json()["job_id"] == again.json()["job_id"]
        assert len(_jobs(svc, svc.token)) == before + 1
        assert used() - start == pytest.approx(2 * price)  # the keyed one charged once
        other = api.post("job/submit/", json={**body, "init": {**INIT, "tag": "other"}},
                         headers=key)
        assert other.status_code in (409, 422), other.text  # the key, reused for another body
        assert len(_jobs(svc, svc.token)) == before + 1


class TestClient:
    def test_the_second_job_takes_one_request_with_the_same_results(self, svc):
        spec = JobSpec(circuits=(("a", qasm(2, "x q[0];\n")),), shots=20)
        with QoroClient(svc.url, svc.token, progress=False) as client:
            first = client.run(spec)
            assert first.requests == 2 and not client.stats.retries  # init, answering finalize
            assert client.single_request_jobs
            second = client.run(spec)
            assert second.requests == 1
            assert first.results == second.results == {"a": {"01": 20}}
            assert client.stats.jobs == 2

    def test_a_job_of_several_chunks_keeps_the_clouds_path(self, svc):
        import numpy as np

        from pennylane_qoro.client import Template
        from pennylane_qoro.client.spec import plan_job

        names = tuple(f"p_{k}" for k in range(24))
        text = qasm(3, "".join(f"rx({n}) q[{k % 3}];\n" for k, n in enumerate(names)))
        values = np.random.default_rng(0).uniform(-3, 3, (3000, len(names)))
        rows = tuple((f"r{i}", tuple(float(v) for v in row)) for i, row in enumerate(values))
        spec = JobSpec(templates=(Template(text, names, rows),), shots=2)
        assert len(plan_job(spec).bodies) > 1
        with QoroClient(svc.url, svc.token, progress=False) as client:
            client.run(JobSpec(circuits=(("a", qasm(1, "x q[0];\n")),), shots=1))
            assert client.single_request_jobs
            result = client.run(spec)
        assert result.requests >= 1 + len(plan_job(spec).bodies)  # init + every chunk
        assert len(result.results) == 3000
