"""Tests for pennylane_qoro.client.job_creation: ``job/init/`` and the one-request
``job/submit/`` against the real local service, faults injected by its fault switch
(see conftest.py). Nothing in the client is patched.
"""

from __future__ import annotations

import pytest
from client_specs import QASM, bound_spec, noise, qasm

from pennylane_qoro.client import AmbiguousSubmissionError, JobSpec, QoroClient, Template
from pennylane_qoro.client.errors import ValidationError
from pennylane_qoro.client.job_creation import submit_body
from pennylane_qoro.client.spec import plan_job
from pennylane_qoro.local import FaultPlan
from pennylane_qoro.protocol.vocabulary import MAX_PAYLOAD_BYTES, SUBMIT_MAX_CIRCUITS

pytestmark = pytest.mark.usefixtures("no_key_in_logs")

DROP_AFTER = FaultPlan(action="drop", when="after")  # the POST took effect, its answer is lost


def _spec() -> JobSpec:
    return bound_spec(2, shots=50)


def _advertised(qoro) -> None:
    """Let ``job/init/`` answers keep ``single_request_jobs`` (the fixtures' servers are
    cloud-shaped by default): this edit goes before the default one."""
    qoro.switch.inject(FaultPlan(action="edit", remove=("request_encodings",), times=None,
                                 path=r"^/api/job/init/$"))


def test_a_body_over_the_cap_is_not_combined():
    assert submit_body({"job_type": "EXECUTE"}, b"{" + b" " * (MAX_PAYLOAD_BYTES - 30) + b"}") \
        is None
    assert submit_body({"job_type": "EXECUTE"}, b"{}") is not None


class TestAdvertised:
    def test_after_one_init_small_jobs_take_one_request(self, client, qoro):
        _advertised(qoro)
        first = client.run(_spec())
        second = client.run(_spec())
        assert [h.route for h in qoro.hits if h.method == "POST"] == ["init", "add", "submit"]
        assert second.requests == 1 and first.results.keys() == second.results.keys()
        assert len(qoro.jobs) == 2

    def test_the_cloud_shape_keeps_two_requests(self, client, qoro):
        client.run(_spec())
        client.run(_spec())
        assert qoro.count("POST", "submit") == 0 and qoro.count("POST", "init") == 2

    def test_a_job_over_one_chunk_is_uploaded_as_the_cloud_does(self, client, qoro):
        _advertised(qoro)
        client.run(_spec())
        assert client.single_request_jobs
        big = JobSpec(circuits=tuple((f"big{i}", QASM + noise(400_000, i)) for i in range(3)),
                      shots=5)
        client.run(big)
        assert qoro.count("POST", "submit") == 0 and qoro.count("POST", "add") == 3

    def test_a_job_over_the_routes_circuit_limit_takes_init_and_add(self, client, qoro):
        _advertised(qoro)
        client.run(_spec())
        names = ("a",)
        rows = tuple((f"r{i}", (0.1 * i,)) for i in range(SUBMIT_MAX_CIRCUITS + 1))
        text = qasm(0, 1, "rx(a) q[0];\n")
        spec = JobSpec(templates=(Template(text, names, rows),), shots=1)
        assert len(plan_job(spec).bodies) == 1  # one chunk, but too many circuits
        client.run(spec)
        assert qoro.count("POST", "submit") == 0 and qoro.count("POST", "init") == 2

    def test_a_refused_submit_names_the_problem_and_leaves_no_job(self, client, qoro):
        _advertised(qoro)
        client.run(_spec())
        assert client.single_request_jobs
        bad = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nbogus q[0];\n'
        with pytest.raises(ValidationError, match="bogus") as info:
            client.run(JobSpec(circuits=(("bad", bad),), shots=5))
        assert info.value.path == "job/submit/"
        assert len(qoro.jobs) == 1


class TestLostAnswers:
    def test_a_keyed_submit_is_resent_and_acts_once(self, keyed_qoro):
        with QoroClient(keyed_qoro.url, api_key=keyed_qoro.token, progress=False) as client:
            _advertised(keyed_qoro)
            client.ping()  # the service's idempotency is known
            client.run(_spec())
            keyed_qoro.inject("POST", "submit", DROP_AFTER)
            result = client.run(_spec())
        keys = [h.headers.get("idempotency-key") for h in keyed_qoro.hits
                if h.route == "submit"]
        assert len(keys) == 2 and keys[0] == keys[1]
        assert len(keyed_qoro.jobs) == 2 and sum(result.results["c0"].values()) == 50

    def test_an_unkeyed_lost_submit_is_ambiguous_and_says_what_may_exist(self, client, qoro):
        _advertised(qoro)
        client.run(_spec())
        qoro.inject("POST", "submit", DROP_AFTER)
        with pytest.raises(AmbiguousSubmissionError) as info:
            client.run(_spec())
        assert "job/submit/ may have created, finalized and run a job" in str(info.value)
        assert qoro.count("POST", "submit") == 1
