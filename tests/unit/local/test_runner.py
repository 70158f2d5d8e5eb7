"""Turning Maestro's output into the cloud's rows, and running jobs in the worker pool."""

from __future__ import annotations

import json
import time

import pytest

from pennylane_qoro.local.runner import Runner, histogram
from pennylane_qoro.local.store import CircuitRow, Store
from pennylane_qoro.protocol.histogram import decode_histogram

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


class TestHistogram:
    @pytest.mark.parametrize("counts, n, expected", [
        ({"10": 7}, 2, {"01": 7}),            # maestro puts c[0] first; the cloud last
        ({"100": 3, "001": 1}, 3, {"001": 3, "100": 1}),
        ({"1": 5}, 4, {"0001": 5}),           # maestro narrowed the key: pad to the creg
        ({"0": 2}, 0, {"": 2}),               # no classical register at all
    ])
    def test_bit_order_and_width(self, counts: dict, n: int, expected: dict) -> None:
        assert decode_histogram(histogram(counts, n)) == expected

    def test_set_bit_beyond_the_register_is_an_error(self) -> None:
        with pytest.raises(RuntimeError, match="wider than the 1-bit"):
            histogram({"01": 1}, 1)

    def test_qh2_above_255_bits(self) -> None:
        env = histogram({"1" + "0" * 299: 2}, 300)
        assert env["encoding"] == "qh2" and decode_histogram(env) == {"0" * 299 + "1": 2}


def run_job(store: Store, runner: Runner, owner: str, circuits: list[CircuitRow], *,
            job_type: str = "EXECUTE", observables=None, options=None) -> str:
    job_id = store.create_job(owner=owner, job_type=job_type, tag=None, target="qoro_maestro",
                              options=options)
    store.append_chunk(job_id, owner, circuits=circuits, templates=[], observables=observables,
                       circuit_ham_map=None, max_qubits=5, finalize=True)
    runner.enqueue(job_id)
    deadline = time.monotonic() + 60
    while store.status(job_id, owner)[0] in ("PENDING", "RUNNING"):
        assert time.monotonic() < deadline
        time.sleep(0.005)
    return job_id


@pytest.fixture
def env():
    store = Store()
    runner = Runner(store, workers=2)
    owner = store.owner_of(store.create_token())
    yield store, runner, owner
    runner.shutdown()
    store.close()


def row(label: str, n: int, body: str, shots: int = 10) -> CircuitRow:
    return CircuitRow(label=label, n_qubits=n, n_clbits=n, cost=1, shots=shots,
                      qasm=f"{HEAD}qreg q[{n}];\ncreg c[{n}];\n{body}measure q -> c;\n")


class TestRunner:
    def test_execute_job(self, env) -> None:
        store, runner, owner = env
        job_id = run_job(store, runner, owner, [row("a", 3, "x q[0];\n"),
                                                row("b", 3, "x q[2];\n")])
        job, page = store.results_page(job_id, owner, offset=0, limit=10)
        assert job.status == "COMPLETED" and job.run_time > 0, job.error
        assert [(lab, decode_histogram(json.loads(res))) for lab, res in page] == [
            ("a", {"001": 10}), ("b", {"100": 10})]

    def test_expectation_job(self, env) -> None:
        store, runner, owner = env
        job_id = run_job(store, runner, owner,
                         [CircuitRow(label="e", n_qubits=2, n_clbits=2, cost=1,
                                     qasm=f"{HEAD}qreg q[2];\ncreg c[2];\nx q[1];\n"
                                          "measure q -> c;\n")],
                         job_type="EXPECTATION", observables=[["ZI", "IZ", "ZI"]])
        _, page = store.results_page(job_id, owner, offset=0, limit=10)
        assert json.loads(page[0][1]) == {"ZI": 1.0, "IZ": -1.0}

    def test_a_failing_circuit_fails_the_job_with_its_label(self, env) -> None:
        store, runner, owner = env
        bad = CircuitRow(label="bad", n_qubits=1, n_clbits=1, cost=1, shots=1,
                         qasm=f"{HEAD}qreg q[1];\nnosuchgate q[0];\n")
        job_id = run_job(store, runner, owner, [row("ok", 1, ""), bad])
        status, _, error = store.status(job_id, owner)
        assert status == "FAILED" and "'bad'" in error and "nosuchgate" in error

    def test_seeded_jobs_repeat_exactly(self, env) -> None:
        store, runner, owner = env
        circuits = [row(f"h{i}", 5, "h q;\n", shots=200) for i in range(6)]
        outs = []
        for _ in range(2):
            job_id = run_job(store, runner, owner, circuits, options={"seed": 42})
            outs.append(store.results_page(job_id, owner, offset=0, limit=10)[1])
        assert outs[0] == outs[1]
