"""The runner's side (``store/queue.py``): claims, resumed jobs and failed restarts."""

from __future__ import annotations

from pathlib import Path

from store_helpers import append, new_job, rows

from pennylane_qoro.local.store import MAX_ATTEMPTS, Store


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

    def test_max_attempts_is_a_store_parameter(self, tmp_path: Path) -> None:
        store = Store(tmp_path / "db.sqlite", max_attempts=1)
        owner = store.owner_of(store.create_token())
        job_id = new_job(store, owner)
        append(store, job_id, owner, rows(1))
        assert store.recover() == [job_id]
        store.claim(job_id)  # RUNNING once, then "killed"
        assert store.recover() == []
        assert store.status(job_id, owner)[0] == "FAILED"
        store.close()
