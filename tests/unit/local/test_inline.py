"""Small jobs run in their finalizing request and answered at once (``local/inline.py``).

Every fast path must return exactly what the general path returns: the rows inline in the
``add_circuits/?wait=`` answer equal the ``resultsV2`` pages of the same job, and a job run in
the request equals the same job run by the worker pool. Real service, real HTTP, real Maestro.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import pytest
import requests

from pennylane_qoro.local import LocalService, inline, serve
from pennylane_qoro.local.models import AddCircuitsResponse, JobIdResponse
from pennylane_qoro.local.store import CircuitRow
from pennylane_qoro.local.submission import Chunk
from pennylane_qoro.protocol.text import compress_text
from pennylane_qoro.protocol.vocabulary import (
    FINALIZE_WAIT_FIELD,
    INLINE_RESULTS_MAX,
    WAIT_PARAM,
)

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def ghz(n: int, angle: float = 0.0) -> str:
    body = "".join(f"cx q[{i}],q[{i + 1}];\n" for i in range(n - 1))
    return (f"{HEAD}qreg q[{n}];\ncreg c[{n}];\nh q[0];\nry({angle}) q[1];\n{body}"
            "measure q -> c;\n")


@pytest.fixture(scope="module")
def svc() -> Iterator[LocalService]:
    with serve() as s:
        yield s


@pytest.fixture
def session(svc: LocalService) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {svc.token}"
        yield s


def init(session: requests.Session, url: str, job_type: str = "EXECUTE",
         seed: int | None = None) -> dict:
    body: dict = {"job_type": job_type, "simulator_cluster": "qoro_maestro"}
    if seed is not None:
        body["maestro_config"] = {"seed": seed}
    r = session.post(f"{url}/job/init/", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def expectation_body(n_circuits: int) -> dict:
    circuits = {f"c{i}": compress_text(ghz(4, 0.1 * i)) for i in range(n_circuits)}
    from pennylane_qoro.protocol.observables import encode_observables

    return {"circuits": circuits, "mode": "append", "finalized": "true",
            "observables": encode_observables([["ZZII", "XIXI", "IYZI", "IIII"]])}


def sampled_body(n_circuits: int) -> dict:
    circuits = {f"s{i}": compress_text(ghz(3, 0.3 * i)) for i in range(n_circuits)}
    return {"circuits": circuits, "mode": "append", "finalized": "true", "shots": 200}


def paged(session: requests.Session, url: str, job_id: str) -> list[dict]:
    r = session.get(f"{url}/job/{job_id}/resultsV2/?limit=100&offset=0")
    assert r.status_code == 200, r.text
    return r.json()["results"]


def test_the_field_names_are_the_protocol_s() -> None:
    assert FINALIZE_WAIT_FIELD in JobIdResponse.model_fields


def test_init_advertises_the_answering_finalize(svc: LocalService,
                                                session: requests.Session) -> None:
    assert init(session, svc.url)[FINALIZE_WAIT_FIELD] > 0


@pytest.mark.parametrize("job_type, body", [("EXPECTATION", expectation_body(3)),
                                            ("EXECUTE", sampled_body(2))])
def test_inline_rows_equal_the_result_pages(svc: LocalService, session: requests.Session,
                                            job_type: str, body: dict) -> None:
    job_id = init(session, svc.url, job_type, seed=7)["job_id"]
    r = session.post(f"{svc.url}/job/{job_id}/add_circuits/", params={WAIT_PARAM: 5}, json=body)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["status"] == "COMPLETED" and answer["run_time"] >= 0
    assert answer["finalized"] is True and answer["total_circuits"] == len(body["circuits"])
    assert answer["results"] == paged(session, svc.url, job_id)


def test_without_wait_the_answer_is_the_cloud_s(svc: LocalService,
                                                session: requests.Session) -> None:
    job_id = init(session, svc.url, "EXPECTATION")["job_id"]
    r = session.post(f"{svc.url}/job/{job_id}/add_circuits/", json=expectation_body(1))
    assert r.status_code == 200
    assert set(r.json()) == {"job_id", "circuits_added", "total_circuits", "finalized",
                             "max_wait"}


def test_a_chunk_that_does_not_finalize_ignores_wait(svc: LocalService,
                                                     session: requests.Session) -> None:
    job_id = init(session, svc.url, "EXPECTATION")["job_id"]
    body = {**expectation_body(1), "finalized": "false"}
    r = session.post(f"{svc.url}/job/{job_id}/add_circuits/", params={WAIT_PARAM: 1}, json=body)
    assert r.status_code == 200 and "status" not in r.json()


def test_a_failed_job_answers_its_error() -> None:
    base = AddCircuitsResponse(job_id="j", circuits_added=1, total_circuits=1, finalized=True,
                               max_wait=5.0)
    answer = json.loads(inline.finalize_answer(base, None, "owner", ("FAILED", 0.25, "boom")))
    assert answer == {**base.model_dump(), "status": "FAILED", "run_time": 0.25,
                      "error": "boom"}
    running = json.loads(inline.finalize_answer(base, None, "owner", ("RUNNING", 0.0, None)))
    assert running["status"] == "RUNNING" and "results" not in running and "error" not in running


def test_inline_run_equals_pool_run(svc: LocalService, session: requests.Session,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def run(body: dict, job_type: str) -> list[dict]:
        job_id = init(session, svc.url, job_type, seed=11)["job_id"]
        r = session.post(f"{svc.url}/job/{job_id}/add_circuits/", params={WAIT_PARAM: 5},
                         json=body)
        assert r.json()["status"] == "COMPLETED"
        return paged(session, svc.url, job_id)

    cases = [(expectation_body(3), "EXPECTATION"), (sampled_body(3), "EXECUTE")]
    here = [run(body, job_type) for body, job_type in cases]
    monkeypatch.setattr(inline, "INLINE_WORK", -1)  # every job goes to the pool now
    pooled = [run(body, job_type) for body, job_type in cases]
    assert here == pooled


def test_many_rows_are_left_to_paging(svc: LocalService, session: requests.Session) -> None:
    n = INLINE_RESULTS_MAX + 1
    circuits = {f"c{i}": compress_text(ghz(2)) for i in range(n)}
    job_id = init(session, svc.url)["job_id"]
    r = session.post(f"{svc.url}/job/{job_id}/add_circuits/", params={WAIT_PARAM: 5},
                     json={"circuits": circuits, "mode": "append", "finalized": "true",
                           "shots": 10})
    answer = r.json()
    assert answer["status"] == "COMPLETED" and "results" not in answer


def row(n_qubits: int, qasm: str | None = None, template: int | None = None,
        shots: int | None = None) -> CircuitRow:
    return CircuitRow(label="r", n_qubits=n_qubits, n_clbits=n_qubits, cost=1, qasm=qasm,
                      template=template, params=(0.0,) if template is not None else None,
                      shots=shots)


class TestWorkEstimate:
    def test_small_jobs_run_inline_big_ones_do_not(self) -> None:
        small = Chunk([row(4, ghz(4))], [], None, None, 4, True)
        assert inline.runs_inline(small, 1)
        big = Chunk([row(20, ghz(20))], [], None, None, 20, True)
        assert not inline.runs_inline(big, 1)

    def test_a_job_of_several_chunks_goes_to_the_pool(self) -> None:
        last = Chunk([row(2, ghz(2))], [], None, None, 2, True)
        assert not inline.runs_inline(last, 2)  # the first chunk was uploaded before

    def test_terms_and_templates_count(self) -> None:
        groups = [["".join(t) for t in itertools.islice(itertools.product("IXYZ", repeat=8),
                                                          4000)]]
        terms = Chunk([row(8, ghz(8))], [], groups, None, 8, True)
        assert not inline.runs_inline(terms, 1)  # 4000 terms on 8 qubits: over the budget
        template = (ghz(4), ("a",))
        rows = Chunk([row(4, template=0) for _ in range(3)], [template], None, None, 4, True)
        assert inline.work_estimate(rows) == inline.CIRCUIT_OVERHEAD + 3 * (
            ghz(4).count(";") << 4)

    def test_result_rows_keep_the_stored_text(self) -> None:
        text = inline.result_rows_json([("a\"b", '{"ZZ": 0.5}'), ("c", None)])
        assert json.loads(text) == [{"label": 'a"b', "results": {"ZZ": 0.5}},
                                    {"label": "c", "results": None}]
