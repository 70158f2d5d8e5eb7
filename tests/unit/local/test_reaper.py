"""The upload reaper (``local/reaper.py``, ``Store.reap_uploads``): uploads never finalized
end FAILED with a reason after the idle time, and at restart (over HTTP:
tests/e2e/test_local_service_reaper.py)."""

from __future__ import annotations

import time
from pathlib import Path

from pennylane_qoro.local.reaper import interval
from pennylane_qoro.local.store import CircuitRow, Store

IDLE = 0.3


def _chunk(store: Store, job_id: str, owner: str, *, finalize: bool) -> None:
    row = CircuitRow(label="c0", n_qubits=1, n_clbits=1, cost=1, qasm="// c0", shots=1)
    store.append_chunk(job_id, owner, circuits=[row], templates=[], observables=None,
                       circuit_ham_map=None, max_qubits=1, finalize=finalize)


def _job(store: Store, owner: str) -> str:
    return store.create_job(owner=owner, job_type="EXECUTE", tag="t", target="qoro_maestro")


def test_the_sweep_interval_follows_the_idle_time() -> None:
    assert interval(600) == 60 and interval(40) == 10 and interval(0.01) == 0.05


def test_idle_unfinalized_uploads_are_failed_and_nothing_else(tmp_path: Path) -> None:
    store = Store(tmp_path / "j.sqlite", idle_upload_seconds=IDLE)
    try:
        owner = store.owner_of(store.create_token())
        empty, partial, finalized = _job(store, owner), _job(store, owner), _job(store, owner)
        _chunk(store, partial, owner, finalize=False)
        _chunk(store, finalized, owner, finalize=True)
        assert store.reap_uploads() == []  # not idle yet
        time.sleep(IDLE + 0.05)
        fresh = _job(store, owner)
        assert sorted(store.reap_uploads()) == sorted([empty, partial])
        for job_id in (empty, partial):
            status, _, error = store.status(job_id, owner)
            assert status == "FAILED" and "never finalized" in error
            assert f"{IDLE:g} s" in error
        assert store.status(finalized, owner)[0] == "PENDING"  # queued, not an upload
        assert store.status(fresh, owner)[0] == "PENDING"
        assert store.credits(owner)["balance"] == "999.99"  # only the finalized job paid
    finally:
        store.close()


def test_an_upload_cut_off_by_a_crash_is_failed_at_restart(tmp_path: Path) -> None:
    db = tmp_path / "j.sqlite"
    first = Store(db, idle_upload_seconds=IDLE)
    owner = first.owner_of(first.create_token())
    cut = _job(first, owner)
    _chunk(first, cut, owner, finalize=False)
    first.close()  # the process ends mid-upload
    time.sleep(IDLE + 0.05)
    second = Store(db, idle_upload_seconds=IDLE)
    try:
        assert second.recover() == []
        status, _, error = second.status(cut, owner)
        assert status == "FAILED" and "never finalized" in error
    finally:
        second.close()
