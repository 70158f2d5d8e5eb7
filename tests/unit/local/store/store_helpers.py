"""Rows and jobs for the store tests (imported by name: ``from store_helpers import rows``)."""

from __future__ import annotations

from pennylane_qoro.local.store import CircuitRow, Job, Store


def rows(n: int, *, start: int = 0, cost: int = 2) -> list[CircuitRow]:
    """``n`` one-qubit circuits labelled ``c<start>``..., each costing ``cost``."""
    return [CircuitRow(label=f"c{start + i}", n_qubits=1, n_clbits=1, cost=cost,
                       qasm=f"// {start + i}", shots=10) for i in range(n)]


def append(store: Store, job_id: str, owner: str, circuits: list[CircuitRow], *,
           finalize: bool = True) -> Job:
    """Append bound circuits without envelope (an EXECUTE chunk)."""
    return store.append_chunk(job_id, owner, circuits=circuits, templates=[],
                              observables=None, circuit_ham_map=None, max_qubits=1,
                              finalize=finalize)


def new_job(store: Store, owner: str) -> str:
    """A PENDING EXECUTE job on the simulator cluster."""
    return store.create_job(owner=owner, job_type="EXECUTE", tag="t", target="qoro_maestro")
