"""Tests for pennylane_qoro.tracking: the tracker record of one batch."""

from __future__ import annotations

import pennylane as qml
import pytest

from pennylane_qoro.compile.batching import JobPlan
from pennylane_qoro.tracking import MODES, batch_record

TAPE = qml.tape.QuantumScript([qml.RX(0.1, 0)], [qml.expval(qml.Z(0))])
JOB = JobPlan("EXECUTE", circuits=(("a", "x"), ("b", "y")), shots=10)


class TestBatchRecord:
    """batch_record."""

    @pytest.mark.parametrize(
        "mode, keys",
        [
            ("execute", {"batches": 1, "executions": 2}),
            ("derivatives", {"derivative_batches": 1, "derivatives": 2}),
            (
                "execute_and_derivatives",
                {"execute_and_derivative_batches": 1, "executions": 2, "derivatives": 2},
            ),
        ],
    )
    def test_batch_keys_follow_pennylanes_simulators(self, mode, keys):
        """Test the per-mode counters."""
        info = batch_record(mode, [TAPE, TAPE], [JOB], ["j1"], None, None, ())
        assert {k: info[k] for k in keys} == keys
        assert set(MODES) == {"execute", "derivatives", "execute_and_derivatives"}

    def test_a_successful_batch(self):
        """Test jobs, circuits, shots, ids, batch_len, results and resources."""
        info = batch_record("execute", [TAPE], [JOB], ["j1"], None, (1.0,), ("two jobs",))
        assert info == {
            "batches": 1,
            "executions": 1,
            "jobs": 1,
            "circuits": 2,
            "qoro_job_ids": ["j1"],
            "shots": 20,
            "plan_notes": ["two jobs"],
            "batch_len": 1,
            "results": (1.0,),
            "resources": [TAPE.specs["resources"]],
        }

    def test_a_failed_batch_counts_the_failed_job(self):
        """Test a failed job is counted and named; no results, no shots key without shots."""
        info = batch_record("execute", [TAPE], [], [], "bad-id", None, ())
        assert info["jobs"] == 1 and info["qoro_failed_job_id"] == "bad-id"
        assert "results" not in info and "shots" not in info and "plan_notes" not in info
