"""Appending a chunk in batches (``store/uploads.py``): refusals before any row, staged rows
never seen, and never left behind."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from store_helpers import append, new_job, rows

from pennylane_qoro.local.store import Conflict, InsufficientCredits, Invalid, NotFound, Store
from pennylane_qoro.local.store.artifacts import circuit_params, insert_circuits


def stored(store: Store, job_id: str) -> int:
    """Every circuit row of the job in the database file, published or not."""
    assert store.path is not None
    with sqlite3.connect(store.path) as conn:
        (n,) = conn.execute("SELECT COUNT(*) FROM circuits WHERE job_id = ?",
                            (job_id,)).fetchone()
    conn.close()
    return n


@pytest.fixture
def small_batches(tmp_path: Path):
    s = Store(tmp_path / "jobs.sqlite", upload_batch=3)
    yield s
    s.close()


class TestUploads:
    def test_rows_are_inserted_in_batches_and_published_at_once(
            self, small_batches: Store) -> None:
        owner = small_batches.owner_of(small_batches.create_token(grant=1000))
        job_id = new_job(small_batches, owner)
        job = append(small_batches, job_id, owner, rows(10), finalize=False)
        assert job.n_circuits == 10 and stored(small_batches, job_id) == 10
        job = append(small_batches, job_id, owner, rows(4, start=10))
        assert job.finalized and job.n_circuits == 14
        work = small_batches.claim(job_id)
        assert work is not None and [p[0] for p in work.pending] == list(range(14))

    def test_credits_are_checked_before_any_row(self, store: Store, owner: str) -> None:
        """Test that a non-final chunk taking the job past the balance (10.00) is refused
        with nothing stored, and the job FAILED."""
        job_id = new_job(store, owner)
        append(store, job_id, owner, rows(400), finalize=False)  # 8.00
        with pytest.raises(InsufficientCredits, match=r"costs 12\.00 credits"):
            append(store, job_id, owner, rows(200, start=400), finalize=False)
        assert stored(store, job_id) == 400
        assert store.status(job_id, owner)[0] == "FAILED"
        assert store.credits(owner)["balance"] == "10.00"

    def test_label_of_an_earlier_chunk_in_a_later_batch_drops_the_staged_rows(
            self, small_batches: Store) -> None:
        owner = small_batches.owner_of(small_batches.create_token(grant=1000))
        job_id = new_job(small_batches, owner)
        append(small_batches, job_id, owner, rows(2), finalize=False)
        chunk = rows(8, start=2) + rows(1, start=0)  # c0 again, in the chunk's third batch
        with pytest.raises(Invalid, match="'c0'"):
            append(small_batches, job_id, owner, chunk, finalize=False)
        assert stored(small_batches, job_id) == 2
        assert small_batches.get_job(job_id, owner).n_circuits == 2

    def test_repeated_label_within_the_chunk_stores_nothing(self, store: Store,
                                                            owner: str) -> None:
        job_id = new_job(store, owner)
        with pytest.raises(Invalid, match="'c1'"):
            append(store, job_id, owner, rows(3) + rows(1, start=1))
        assert stored(store, job_id) == 0

    def test_cancel_during_the_upload_leaves_no_rows(self, tmp_path: Path) -> None:
        """Test a cancel racing a 5 000-row chunk stored 1 row per batch: either the chunk
        was refused (409) and none of its rows remain, or it was published before the
        cancel and the cancel counted all of them."""
        store = Store(tmp_path / "jobs.sqlite", upload_batch=1)
        try:
            owner = store.owner_of(store.create_token(grant=100_000))
            job_id = new_job(store, owner)
            outcome: list[object] = []

            def upload() -> None:
                try:
                    outcome.append(append(store, job_id, owner, rows(5000), finalize=False))
                except Conflict as exc:
                    outcome.append(exc)

            thread = threading.Thread(target=upload)
            thread.start()
            while stored(store, job_id) == 0 and thread.is_alive():
                pass
            cancelled = store.cancel(job_id, owner)
            thread.join(timeout=120)
            if isinstance(outcome[0], Conflict):
                assert cancelled == 0 and stored(store, job_id) == 0
            else:
                assert cancelled == 5000 and stored(store, job_id) == 5000
        finally:
            store.close()

    def test_a_deleted_job_gets_no_rows(self, store: Store, owner: str) -> None:
        job_id = new_job(store, owner)
        store.delete(job_id, owner)
        with pytest.raises(NotFound):
            append(store, job_id, owner, rows(5))
        assert stored(store, job_id) == 0

    def test_recovery_drops_rows_a_stopped_process_left_staged(self, store: Store,
                                                               owner: str) -> None:
        """Test that rows past an unfinalized job's published count (a process killed while
        staging) are deleted at start-up, and the job can be uploaded again."""
        job_id = new_job(store, owner)
        append(store, job_id, owner, rows(2), finalize=False)
        with store._tx() as db:  # what a kill between two staging batches leaves
            insert_circuits(db, job_id, circuit_params(job_id, rows(3, start=2), first=2,
                                                       t_base=0), before=2)
        assert stored(store, job_id) == 5
        store.recover()
        assert stored(store, job_id) == 2
        assert append(store, job_id, owner, rows(3, start=2)).n_circuits == 5

    def test_batch_must_be_positive(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="batch"):
            Store(tmp_path / "x.sqlite", upload_batch=0)
