"""The memory budget (``local/memory.py``): estimates per method, sizes, the admission gate,
and the runner keeping to it."""

from __future__ import annotations

import argparse
import time

import pytest

from pennylane_qoro.local.__main__ import _parser, _size
from pennylane_qoro.local.memory import (
    CIRCUIT_OVERHEAD,
    MemoryGate,
    default_budget,
    parse_size,
    state_bytes,
    too_large,
)
from pennylane_qoro.local.runner import Runner, _in_lanes
from pennylane_qoro.local.store import CircuitRow, Store

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


class TestEstimates:
    @pytest.mark.parametrize("options, n, state", [
        ({}, 28, 16 << 28),                                        # 4 GiB statevector
        ({"simulation_type": 0}, 3, 128),
        ({"simulation_type": 7}, 14, 16 << 28),                    # density matrix: 4**n
        ({"simulation_type": 1}, 10, 32 * 10 * 32 * 32),           # MPS, exact chi = 2**5
        ({"simulation_type": 1}, 300, 32 * 300 * 64 * 64),         # MPS, nominal chi 64
        ({"simulation_type": 1, "max_bond_dimension": 8}, 100, 32 * 100 * 64),
        ({"simulation_type": 8, "max_bond_dimension": 1 << 20}, 4, 32 * 4 * 16),
        ({"simulation_type": 2}, 100, 200 * 201),                  # stabilizer tableau
        ({"simulation_type": 3}, 500, 0),                          # tensor network: no state
    ])
    def test_state_per_method(self, options: dict, n: int, state: int) -> None:
        assert state_bytes(n, options) == state + CIRCUIT_OVERHEAD

    def test_too_large_names_width_method_and_budget(self) -> None:
        message = too_large(15, {"simulation_type": 7}, 1 << 30)
        assert message is not None
        assert message.startswith("15 qubits: DensityMatrix simulation needs about 16.0 GiB")
        assert "budget of 1.0 GiB" in message
        assert too_large(14, {"simulation_type": 7}, 5 << 30) is None

    def test_default_is_half_the_physical_memory(self) -> None:
        import os

        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        assert default_budget() == total // 2


class TestSizes:
    @pytest.mark.parametrize("text, n", [("2MiB", 2 << 20), ("1.5G", 3 << 29), ("640kb", 640 << 10),
                                         ("123", 123), (" 4 TiB ", 4 << 40)])
    def test_sizes(self, text: str, n: int) -> None:
        assert parse_size(text) == n

    @pytest.mark.parametrize("text", ["", "lots", "-1GiB", "0", "2PiB"])
    def test_bad_sizes(self, text: str) -> None:
        with pytest.raises(ValueError):
            parse_size(text)
        with pytest.raises(argparse.ArgumentTypeError):
            _size(text)

    def test_the_serve_flag(self) -> None:
        assert _parser().parse_args(["serve", "--memory-budget", "2MiB"]).memory_budget \
            == 2 << 20
        assert _parser().parse_args(["serve"]).memory_budget is None


class TestGate:
    def test_waiting_jobs_start_in_arrival_order_and_nobody_overtakes(self) -> None:
        gate = MemoryGate(10, workers=2)
        retried: list[str] = []
        assert gate.admit("a", 6, lambda: retried.append("a"))
        assert not gate.admit("b", 6, lambda: retried.append("b"))
        assert not gate.admit("c", 3, lambda: retried.append("c"))  # fits, but b is first
        assert gate.waiting() == ["b", "c"] and retried == []
        gate.release("a")
        assert retried == ["b"]  # only the first in line is retried
        assert not gate.admit("c", 3, lambda: None)  # still behind b
        assert gate.admit("b", 6, lambda: None)
        assert retried == ["b", "c"]  # b started: the next in line is tried beside it
        assert gate.admit("c", 3, lambda: None) and gate.used == 9 and gate.waiting() == []

    def test_release_of_a_waiting_job_drops_it_from_the_line(self) -> None:
        gate = MemoryGate(10, workers=1)
        retried: list[str] = []
        assert gate.admit("a", 10, lambda: None)
        assert not gate.admit("b", 10, lambda: retried.append("b"))
        assert not gate.admit("c", 1, lambda: retried.append("c"))
        gate.release("b")  # cancelled while waiting
        assert gate.waiting() == ["c"] and retried == ["c"]
        gate.release("b")  # idempotent
        assert gate.used == 10

    def test_parallelism_is_capped_by_workers_circuits_and_budget(self) -> None:
        per = state_bytes(10, {})
        gate = MemoryGate(3 * per, workers=8)
        assert gate.parallel(10, {}, circuits=100) == 3
        assert gate.parallel(10, {}, circuits=2) == 2
        assert gate.need(10, {}, circuits=100) == 3 * per
        assert MemoryGate(per, workers=8).parallel(20, {}, circuits=5) == 1

    def test_lanes_run_every_task_once(self) -> None:
        ran: list[int] = []
        lanes = _in_lanes([lambda i=i: ran.append(i) for i in range(7)], 3)
        assert len(lanes) == 3
        for lane in lanes:
            lane()
        assert sorted(ran) == list(range(7)) and ran[:3] == [0, 3, 6]


def _circuit(n: int) -> CircuitRow:
    text = f"{HEAD}qreg q[{n}];\ncreg c[{n}];\nx q[0];\nmeasure q[0] -> c[0];\n"
    return CircuitRow(label="w", n_qubits=n, n_clbits=n, cost=2, qasm=text, shots=3)


def test_runner_fails_a_queued_job_that_can_never_fit(tmp_path) -> None:
    """Test that a job stored before the budget was lowered (e.g. resumed by a restart with
    a smaller ``--memory-budget``) is FAILED with the reason instead of waiting forever."""
    store = Store(tmp_path / "jobs.sqlite")
    runner = Runner(store, workers=1, memory_budget=2 << 20, process_threshold=None)
    try:
        owner = store.owner_of(store.create_token())
        job_id = store.create_job(owner=owner, job_type="EXECUTE", tag=None,
                                  target="qoro_maestro")
        store.append_chunk(job_id, owner, circuits=[_circuit(17)], templates=[],
                           observables=None, circuit_ham_map=None, max_qubits=17,
                           finalize=True)
        runner.enqueue(job_id, owner)
        deadline = time.monotonic() + 30
        while store.status(job_id, owner)[0] == "PENDING" and time.monotonic() < deadline:
            time.sleep(0.01)
        status, _, error = store.status(job_id, owner)
        assert status == "FAILED" and "17 qubits: Statevector" in error
        assert runner.memory.used == 0 and runner.memory.waiting() == []
    finally:
        runner.shutdown()
        store.close()
