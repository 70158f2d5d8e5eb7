"""``Idempotency-Key`` records (``store/idempotency.py``): replays, reuse, owners, expiry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pennylane_qoro.local.store import CircuitRow, KeyReused, Remember, Replayed, Store


def _respond(job) -> tuple[int, str]:
    return 201, json.dumps({"job_id": job.id})


def _remember(owner: str, key: str = "k", fingerprint: str = "f") -> Remember:
    return Remember(owner=owner, key=key, fingerprint=fingerprint, respond=_respond)


def _job(store: Store, owner: str, **kw) -> str:
    return store.create_job(owner=owner, job_type="EXECUTE", tag=None, target="qoro_maestro",
                            **kw)


def _chunk(store: Store, job_id: str, owner: str, label: str, *, finalize: bool,
           remember: Remember | None = None):
    row = CircuitRow(label=label, n_qubits=1, n_clbits=1, cost=2, qasm="...", shots=1)
    return store.append_chunk(job_id, owner, circuits=[row], templates=[], observables=None,
                              circuit_ham_map=None, max_qubits=1, finalize=finalize,
                              remember=remember)


def test_a_recorded_init_is_replayed_not_repeated(store: Store) -> None:
    owner = store.owner_of(store.create_token())
    job_id = _job(store, owner, remember=_remember(owner))
    with pytest.raises(Replayed) as info:
        _job(store, owner, remember=_remember(owner))
    assert info.value.status == 201 and json.loads(info.value.body) == {"job_id": job_id}
    with pytest.raises(Replayed):
        store.recall(_remember(owner))
    assert store.job_ids(owner) == [job_id]


def test_a_different_request_under_the_key_is_refused(store: Store) -> None:
    owner = store.owner_of(store.create_token())
    _job(store, owner, remember=_remember(owner))
    with pytest.raises(KeyReused):
        _job(store, owner, remember=_remember(owner, fingerprint="other"))
    with pytest.raises(KeyReused):
        store.recall(_remember(owner, fingerprint="other"))


def test_keys_are_per_owner(store: Store) -> None:
    a = store.owner_of(store.create_token())
    b = store.owner_of(store.create_token())
    _job(store, a, remember=_remember(a))
    _job(store, b, remember=_remember(b))
    assert len(store.job_ids(a)) == len(store.job_ids(b)) == 1


def test_a_replayed_chunk_appends_nothing(store: Store) -> None:
    owner = store.owner_of(store.create_token())
    job_id = _job(store, owner)
    chunk = Remember(owner=owner, key="c", fingerprint="f",
                     respond=lambda job: (200, json.dumps({"n": job.n_circuits})))
    _chunk(store, job_id, owner, "a", finalize=True, remember=chunk)
    # even after finalization, the same chunk is answered from the record (no 409, no append)
    with pytest.raises(Replayed) as info:
        _chunk(store, job_id, owner, "a", finalize=True, remember=chunk)
    assert json.loads(info.value.body) == {"n": 1}
    assert store.get_job(job_id, owner).n_circuits == 1


def test_records_survive_a_restart_and_expire(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    first = Store(path)
    owner = first.owner_of(first.create_token())
    _job(first, owner, remember=_remember(owner))
    first.close()
    second = Store(path)
    second.recover()
    with pytest.raises(Replayed):
        second.recall(_remember(owner))
    second.close()
    third = Store(path, idempotency_ttl=-1)  # every record is now older than the TTL
    third.recover()  # start-up purges records older than the TTL
    third.recall(_remember(owner))  # no record: nothing raised
    third.close()
