"""Job rows (``store/jobs.py``): owner isolation, state conflicts, envelopes, the active limit."""

from __future__ import annotations

import pytest
from store_helpers import append, new_job, rows

from pennylane_qoro.local.store import (
    CircuitRow,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Store,
)


class TestJobs:
    def test_owner_isolation(self, store: Store, owner: str) -> None:
        other = store.owner_of(store.create_token())
        job_id = new_job(store, owner)
        for call in (lambda: store.get_job(job_id, other), lambda: store.status(job_id, other),
                     lambda: store.delete(job_id, other),
                     lambda: append(store, job_id, other, rows(1))):
            with pytest.raises(NotFound):
                call()
        with pytest.raises(Forbidden):
            store.cancel(job_id, other)
        with pytest.raises(NotFound):
            store.cancel("no-such-job", owner)

    def test_finalized_and_state_conflicts(self, store: Store, owner: str) -> None:
        job_id = new_job(store, owner)
        append(store, job_id, owner, rows(1))
        with pytest.raises(Conflict, match="finalized"):
            append(store, job_id, owner, rows(1, start=1))
        store.claim(job_id)
        store.finish(job_id, results=[(0, '{"a":1}')], run_time=0.5)
        with pytest.raises(Conflict, match="PENDING or RUNNING"):
            store.cancel(job_id, owner)
        with pytest.raises(Conflict, match="PENDING"):
            store.set_options(job_id, owner, options={}, execution_configuration=None,
                              maestro_config=None)

    def test_empty_job_cannot_be_finalized(self, store: Store, owner: str) -> None:
        with pytest.raises(Invalid, match="without circuits"):
            append(store, new_job(store, owner), owner, [])

    def test_envelope_must_repeat_identically(self, store: Store, owner: str) -> None:
        job_id = store.create_job(owner=owner, job_type="EXPECTATION", tag=None,
                                  target="qoro_maestro")
        store.append_chunk(job_id, owner, circuits=rows(2), templates=[],
                           observables=[["Z"]], circuit_ham_map=[[0, 3]], max_qubits=1,
                           finalize=False)
        with pytest.raises(Invalid, match="observables differ"):
            store.append_chunk(job_id, owner, circuits=rows(1, start=2), templates=[],
                               observables=[["X"]], circuit_ham_map=[[0, 3]], max_qubits=1,
                               finalize=True)
        with pytest.raises(Invalid, match="outside the job's 2 circuits"):
            store.append_chunk(job_id, owner, circuits=[], templates=[],
                               observables=[["Z"]], circuit_ham_map=[[0, 3]], max_qubits=1,
                               finalize=True)


def _job(store: Store, owner: str, **kw) -> str:
    return store.create_job(owner=owner, job_type="EXECUTE", tag=None, target="qoro_maestro",
                            **kw)


def _chunk(store: Store, job_id: str, owner: str, label: str, *, finalize: bool):
    row = CircuitRow(label=label, n_qubits=1, n_clbits=1, cost=2, qasm="...", shots=1)
    return store.append_chunk(job_id, owner, circuits=[row], templates=[], observables=None,
                              circuit_ham_map=None, max_qubits=1, finalize=finalize)


def test_active_job_limit(store: Store) -> None:
    owner = store.owner_of(store.create_token())
    other = store.owner_of(store.create_token())
    first = _job(store, owner, max_active=2)
    _job(store, owner, max_active=2)
    with pytest.raises(RateLimited) as info:
        _job(store, owner, max_active=2, retry_after=3)
    assert info.value.retry_after == 3 and "2 PENDING or RUNNING" in str(info.value)
    _job(store, other, max_active=2)  # another owner is not affected
    # a finished job frees its slot
    _chunk(store, first, owner, "a", finalize=True)
    store.claim(first)
    store.finish(first, results=[(0, "{}")], run_time=0.0)
    _job(store, owner, max_active=2)
    # an upload left idle does not hold a slot forever
    impatient = Store(store.path, idle_upload_seconds=-1)  # every upload counts as idle
    try:
        _job(impatient, owner, max_active=2)
    finally:
        impatient.close()
