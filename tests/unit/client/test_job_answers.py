"""Reading the answering finalize (``client/job_answers.py``): used only when complete."""

from __future__ import annotations

import pytest

from pennylane_qoro.client.errors import JobCancelledError, JobFailedError
from pennylane_qoro.client.job_answers import finalized_status, inline_rows, positive_number

ROW = {"label": "a", "results": {"ZZ": 0.5}}


def answer(**fields):
    return {"job_id": "j", "circuits_added": 1, "total_circuits": 1, "finalized": True,
            **fields}


class TestFinalizedStatus:
    def test_a_cloud_answer_means_poll(self) -> None:
        assert finalized_status("j", answer()) is None
        assert finalized_status("j", None) is None

    def test_an_active_job_means_poll(self) -> None:
        assert finalized_status("j", answer(status="RUNNING", run_time=0.1)) is None

    def test_completed(self) -> None:
        assert finalized_status("j", answer(status="COMPLETED", run_time="1.5")) == {
            "status": "COMPLETED", "run_time": 1.5}

    @pytest.mark.parametrize("status, cls", [("FAILED", JobFailedError),
                                             ("CANCELLED", JobCancelledError)])
    def test_failures_raise_as_polling_does(self, status: str, cls: type) -> None:
        with pytest.raises(cls, match="boom") as info:
            finalized_status("j", answer(status=status, error="boom"))
        assert info.value.job_id == "j"


DONE = {"status": "COMPLETED", "run_time": 0.0}


class TestInlineRows:

    def test_rows_are_decoded(self) -> None:
        assert inline_rows("j", answer(results=[ROW]), DONE) == [ROW]

    @pytest.mark.parametrize("fields", [{}, {"results": []}, {"results": "x"},
                                        {"results": [ROW, ROW]}])
    def test_anything_incomplete_means_page(self, fields: dict) -> None:
        assert inline_rows("j", answer(**fields), DONE) is None


def test_positive_number() -> None:
    assert positive_number(5.0) and positive_number(1)
    assert not any(positive_number(v) for v in (0, -1, True, "5", None))
