"""The SQLite store: hashed tokens, the ledger, job states, results and recovery."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pennylane_qoro.local.store import (
    MAX_ATTEMPTS,
    CircuitRow,
    Conflict,
    Forbidden,
    InsufficientCredits,
    Invalid,
    NotFound,
    Store,
    format_amount,
    hash_token,
)


def rows(n: int, *, start: int = 0, cost: int = 2) -> list[CircuitRow]:
    return [CircuitRow(label=f"c{start + i}", n_qubits=1, n_clbits=1, cost=cost,
                       qasm=f"// {start + i}", shots=10) for i in range(n)]


def append(store: Store, job_id: str, owner: str, circuits: list[CircuitRow], *,
           finalize: bool = True):
    return store.append_chunk(job_id, owner, circuits=circuits, templates=[],
                              observables=None, circuit_ham_map=None, max_qubits=1,
                              finalize=finalize)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "jobs.sqlite")
    yield s
    s.close()


@pytest.fixture
def owner(store: Store) -> str:
    return store.owner_of(store.create_token(grant=1_000))


def new_job(store: Store, owner: str) -> str:
    return store.create_job(owner=owner, job_type="EXECUTE", tag="t", target="qoro_maestro")


class TestTokens:
    def test_only_the_hash_is_stored(self, tmp_path: Path) -> None:
        store = Store(tmp_path / "db.sqlite")
        token = store.create_token()
        store.close()
        raw = (tmp_path / "db.sqlite").read_bytes() + (
            (tmp_path / "db.sqlite-wal").read_bytes()
            if (tmp_path / "db.sqlite-wal").exists() else b"")
        assert token.encode() not in raw
        db = sqlite3.connect(tmp_path / "db.sqlite")
        assert db.execute("SELECT hash FROM tokens").fetchall() == [(hash_token(token),)]

    def test_unknown_token(self, store: Store) -> None:
        assert store.owner_of("nope") is None

    def test_token_made_by_another_connection_is_found(self, tmp_path: Path) -> None:
        a, b = Store(tmp_path / "db.sqlite"), Store(tmp_path / "db.sqlite")
        token = b.create_token()
        assert a.owner_of(token) == hash_token(token)

    def test_amount_format(self) -> None:
        assert [format_amount(v) for v in (0, 1, 10, 123456, -7)] == [
            "0.00", "0.01", "0.10", "1234.56", "-0.07"]


class TestLedger:
    def test_finalize_debits_once(self, store: Store, owner: str) -> None:
        job_id = new_job(store, owner)
        append(store, job_id, owner, rows(2), finalize=False)
        append(store, job_id, owner, rows(3, start=2))
        assert store.credits(owner)["balance"] == "9.90"
        assert store.credits(owner)["total_used"] == "0.10"
        count, page = store.transactions(owner, page=1, page_size=10)
        assert count == 2 and page[0]["transaction_type"] == "USAGE"
        assert page[0]["amount"] == "-0.10" and page[0]["balance_after"] == "9.90"

    def test_insufficient_credits_fail_the_job(self, store: Store, owner: str) -> None:
        job_id = new_job(store, owner)
        with pytest.raises(InsufficientCredits, match=r"costs 10\.02 credits"):
            append(store, job_id, owner, rows(501))
        assert store.status(job_id, owner)[0] == "FAILED"
        assert "insufficient credits" in store.status(job_id, owner)[2]
        assert store.credits(owner)["balance"] == "10.00"  # never negative, nothing debited

    def test_cancel_refunds_unrun_circuits(self, store: Store, owner: str) -> None:
        job_id = new_job(store, owner)
        append(store, job_id, owner, rows(4))
        work = store.claim(job_id)
        assert work is not None and len(work.pending) == 4
        assert store.save_results(job_id, [(0, "{}")], 0.1)
        assert store.cancel(job_id, owner) == 3
        assert store.credits(owner)["balance"] == "9.98"  # 4 debited, 3 refunded
        assert not store.save_results(job_id, [(1, "{}")], 0.1)  # no writes after cancel
        assert not store.finish(job_id, results=[], run_time=0.0)
        assert store.status(job_id, owner)[0] == "CANCELLED"


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

    def test_duplicate_label_rolls_back_the_chunk(self, store: Store, owner: str) -> None:
        job_id = new_job(store, owner)
        append(store, job_id, owner, rows(2), finalize=False)
        with pytest.raises(Invalid, match="'c1'"):
            append(store, job_id, owner, rows(3, start=1), finalize=False)
        assert store.get_job(job_id, owner).n_circuits == 2
        append(store, job_id, owner, rows(1, start=2))
        assert store.get_job(job_id, owner).n_circuits == 3

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

    def test_results_page_in_submission_order(self, store: Store, owner: str) -> None:
        job_id = new_job(store, owner)
        append(store, job_id, owner, rows(5))
        store.claim(job_id)
        store.save_results(job_id, [(3, "3"), (1, "1")], 0.1)
        store.finish(job_id, results=[(0, "0"), (2, "2"), (4, "4")], run_time=0.2)
        job, page = store.results_page(job_id, owner, offset=1, limit=3)
        assert job.status == "COMPLETED" and job.run_time == pytest.approx(0.3)
        assert page == [("c1", "1"), ("c2", "2"), ("c3", "3")]

    def test_artifacts_and_set_status(self, store: Store, owner: str) -> None:
        job_id = new_job(store, owner)
        assert store.get_artifact(job_id, "report") is None
        store.set_artifact(job_id, "report", "v1")
        store.set_artifact(job_id, "report", "v2")
        assert store.get_artifact(job_id, "report") == "v2"
        assert store.set_status(job_id, status="RUNNING", expect=("PENDING",))
        assert not store.set_status(job_id, status="RUNNING", expect=("PENDING",))
        store.delete(job_id, owner)
        assert store.get_artifact(job_id, "report") is None


class TestRecovery:
    def test_running_jobs_resume_with_their_stored_results(self, tmp_path: Path) -> None:
        path = tmp_path / "db.sqlite"
        first = Store(path)
        owner = first.owner_of(first.create_token())
        job_id = new_job(first, owner)
        append(first, job_id, owner, rows(3))
        first.claim(job_id)
        first.save_results(job_id, [(0, "zero")], 0.1)
        unfinished = new_job(first, owner)
        append(first, unfinished, owner, rows(1), finalize=False)
        first.close()  # the process "dies" here

        second = Store(path)
        assert second.recover() == [job_id]
        assert second.status(job_id, owner)[0] == "PENDING"
        work = second.claim(job_id)
        assert [p[0] for p in work.pending] == [1, 2] and work.done == 1
        assert second.status(unfinished, owner)[0] == "PENDING"

    def test_a_job_interrupted_too_often_fails(self, store: Store, owner: str) -> None:
        job_id = new_job(store, owner)
        append(store, job_id, owner, rows(2))
        for _ in range(MAX_ATTEMPTS):
            assert store.recover() == [job_id]
            store.claim(job_id)  # RUNNING again, then "killed"
        assert store.recover() == []
        status, _, error = store.status(job_id, owner)
        assert status == "FAILED" and f"{MAX_ATTEMPTS} times" in error
        assert store.credits(owner)["balance"] == "10.00"  # refunded
