"""End-to-end: QoroClient over real HTTP against the embedded local service (real Maestro).

Covers what the fake service of tests/unit/client cannot: the service's own parsing of our
bodies (chunked uploads, templates, @gzs observables, shot_groups, circuit_ham_map), real
results in Qiskit bit order, paging, job lifecycle errors, and retries through the service's
own fault injection (``FaultPlan``).
"""

from __future__ import annotations

import logging
import math
import random
import string

import pytest

from pennylane_qoro.client import (
    AmbiguousSubmissionError,
    AuthenticationError,
    ConflictError,
    JobSpec,
    NotFoundError,
    QoroClient,
    ServerError,
    Template,
)
from pennylane_qoro.local import FaultPlan, serve

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def _measured(n: int, body: str) -> str:
    meas = "".join(f"measure q[{i}] -> c[{i}];\n" for i in range(n))
    return f"{HEAD}qreg q[{n}];\ncreg c[{n}];\n{body}{meas}"


def _noise(n: int, seed: int) -> str:
    rng = random.Random(seed)
    return "// " + "".join(rng.choices(string.ascii_letters + string.digits, k=n)) + "\n"


@pytest.fixture
def client(service):
    c = QoroClient(service.url, api_key=service.token, progress=False, poll_interval=0.2)
    yield c
    c.close()


def test_service_and_targets(client):
    assert client.ping()["service"] == "qoro-local"
    clusters = {c["name"]: c for c in client.simulator_clusters()}
    assert clusters["qoro_maestro"]["supports_expval"] is True
    assert "local_qpu" in {s["name"] for s in client.qpu_systems()}
    assert set(client.credits()) >= {"balance", "total_used", "created_at", "updated_at"}
    assert isinstance(client.transactions()["results"], list)


def test_bit_order_is_qiskit(client):
    # §4.5: x q[0] on 3 qubits -> c[0] is the rightmost character.
    result = client.run(JobSpec(circuits=(("x0", _measured(3, "x q[0];\n")),), shots=50))
    assert result.results == {"x0": {"001": 50}}
    assert result.requests == 2  # init, one upload answered with the results (no poll, no page)
    assert result.run_time >= 0.0


def test_bell_histogram(client):
    result = client.run(
        JobSpec(circuits=(("bell", _measured(2, "h q[0];\ncx q[0],q[1];\n")),), shots=400)
    )
    counts = result.results["bell"]
    assert set(counts) <= {"00", "11"} and sum(counts.values()) == 400


def test_chunked_expectation_with_ham_map(client, caplog):
    caplog.set_level(logging.DEBUG)
    # Five ~300 kB circuits: more than one add_circuits request, and circuit_ham_map must be
    # read job-globally by the service (sent unchanged in every chunk, §3.3).
    circuits = tuple(
        (f"c{i}", _measured(3, ("x q[0];\n" if i % 2 else "") + _noise(300_000, i)))
        for i in range(5)
    )
    spec = JobSpec(
        job_type="EXPECTATION",
        circuits=circuits,
        observables=(("ZII", "IZI"), ("IIZ", "ZZI")),
        circuit_ham_map=((0, 3), (3, 5)),
    )
    before = client.stats.requests
    result = client.run(spec)
    assert client.stats.requests - before == result.requests
    uploads = [r for r in caplog.records if "add_circuits" in r.getMessage()]
    assert len(uploads) >= 2
    assert result.results == {
        "c0": {"ZII": 1.0, "IZI": 1.0},
        "c1": {"ZII": -1.0, "IZI": 1.0},
        "c2": {"ZII": 1.0, "IZI": 1.0},
        "c3": {"IIZ": 1.0, "ZZI": -1.0},
        "c4": {"IIZ": 1.0, "ZZI": 1.0},
    }
    assert client.stats.bytes_sent > 1_000_000


def test_per_circuit_shots_across_chunks(client):
    circuits = tuple((f"c{i}", _measured(1, _noise(300_000, 10 + i))) for i in range(5))
    result = client.run(JobSpec(circuits=circuits, shot_groups=((0, 3, 100), (3, 5, 7))))
    assert [sum(h.values()) for h in result.results.values()] == [100, 100, 100, 7, 7]


def test_templates_many_rows_and_paging(client):
    qasm = _measured(1, "rx(theta_0) q[0];\n")
    rows = tuple((f"r{i}", (math.pi if i % 3 == 0 else 0.0,)) for i in range(230))
    result = client.run(JobSpec(templates=(Template(qasm, ("theta_0",), rows),), shots=20))
    assert list(result.results) == [label for label, _ in rows]
    assert all(
        result.results[f"r{i}"] == ({"1": 20} if i % 3 == 0 else {"0": 20}) for i in range(230)
    )
    raw = client.results(result.job_id)
    assert [r["label"] for r in raw] == list(result.results)


def test_many_bound_circuits_keep_submission_order(client):
    circuits = tuple((f"k{i:03d}", _measured(2, "x q[1];\n" if i % 2 else "")) for i in range(210))
    result = client.run(JobSpec(circuits=circuits[::-1], shots=3))
    assert list(result.results) == [label for label, _ in circuits[::-1]]
    assert result.results["k001"] == {"10": 3} and result.results["k002"] == {"00": 3}


def test_lifecycle_errors(client):
    result = client.run(JobSpec(circuits=(("a", _measured(1, "")),), shots=1))
    with pytest.raises(ConflictError) as info:
        client.cancel(result.job_id)
    assert info.value.job_id == result.job_id
    client.delete(result.job_id)
    with pytest.raises(NotFoundError):
        client.status(result.job_id)


def test_execution_config_on_pending_job(client):
    job_id = client.init_job(
        "EXECUTE", tag="cfg", simulator_cluster="qoro_maestro", use_packing=False
    )
    assert client.status(job_id)["status"] == "PENDING"
    client.set_execution_config(job_id, {"bond_dimension": 8})
    assert client.get_execution_config(job_id)["execution_configuration"] == {"bond_dimension": 8}
    client.delete(job_id)


def test_wrong_key(service):
    bad = QoroClient(service.url, api_key="wrong-key", progress=False)
    with pytest.raises(AuthenticationError) as info:
        bad.qpu_systems()
    bad.close()
    assert info.value.status == 401 and "wrong-key" not in str(info.value)
    assert service.token not in str(info.value)


def test_get_retried_through_service_faults():
    plan = FaultPlan(status=502, times=2, methods=frozenset({"GET"}), path="qpusystem")
    with serve(faults=plan) as svc, QoroClient(svc.url, api_key=svc.token) as c:
        assert c.qpu_systems()
        assert plan.injected == 2 and c.stats.retries == 2


def test_init_not_retried_without_advertised_idempotency():
    plan = FaultPlan(
        when="after", action="drop", times=1, methods=frozenset({"POST"}), path="job/init"
    )
    with serve(faults=plan, idempotency=False) as svc, QoroClient(svc.url, api_key=svc.token) as c:
        with pytest.raises(AmbiguousSubmissionError, match="may have created a job"):
            c.submit(JobSpec(circuits=(("a", _measured(1, "")),), shots=1))
        # the POST was sent once; the lost answer cost one ping, which said "no idempotency"
        assert plan.injected == 1 and c.stats.requests == 2


def test_init_resent_with_its_key_when_the_service_advertises_idempotency():
    plan = FaultPlan(
        when="after", action="drop", times=1, methods=frozenset({"POST"}), path="job/init"
    )
    with serve(faults=plan) as svc, QoroClient(svc.url, api_key=svc.token) as c:
        result = c.run(JobSpec(circuits=(("a", _measured(1, "x q[0];\n")),), shots=3))
        assert result.results == {"a": {"1": 3}}
        assert plan.injected == 1
        # the job created by the lost attempt is the job that ran: one job, one debit
        usage = [t for t in c.transactions(page_size=100)["results"]
                 if t["transaction_type"] == "USAGE"]
        assert [t["job_id"] for t in usage] == [result.job_id]


def test_failed_upload_leaves_no_job_behind():
    plan = FaultPlan(status=500, times=1, methods=frozenset({"POST"}), path="add_circuits")
    with serve(faults=plan) as svc, QoroClient(svc.url, api_key=svc.token) as c:
        with pytest.raises(ServerError) as info:
            c.submit(JobSpec(circuits=(("a", _measured(1, "")),), shots=1))
        with pytest.raises(NotFoundError):
            c.status(info.value.job_id)
