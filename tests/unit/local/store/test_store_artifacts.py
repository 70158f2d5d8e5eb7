"""Circuits, results and named blobs of a job (``store/artifacts.py``)."""

from __future__ import annotations

import pytest
from store_helpers import append, new_job, rows

from pennylane_qoro.local.store import Invalid, Store


class TestArtifacts:
    def test_duplicate_label_rolls_back_the_chunk(self, store: Store, owner: str) -> None:
        job_id = new_job(store, owner)
        append(store, job_id, owner, rows(2), finalize=False)
        with pytest.raises(Invalid, match="'c1'"):
            append(store, job_id, owner, rows(3, start=1), finalize=False)
        assert store.get_job(job_id, owner).n_circuits == 2
        append(store, job_id, owner, rows(1, start=2))
        assert store.get_job(job_id, owner).n_circuits == 3

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
