"""Tests for the journal's tracker keys in ``tracking.batch_record``: ``reattached`` and
``cache_hits`` count the jobs a batch did not submit, and appear only when they apply."""

from __future__ import annotations

import pennylane as qml

from pennylane_qoro.compile.batching import JobPlan
from pennylane_qoro.tracking import batch_record

TAPE = qml.tape.QuantumScript([qml.RX(0.1, 0)], [qml.expval(qml.Z(0))])
JOB = JobPlan("EXECUTE", circuits=(("a", "x"), ("b", "y")), shots=10)


def test_reattached_and_cached_jobs_are_counted_apart() -> None:
    """Test jobs/circuits/shots count every job used; the new keys say which were not paid."""
    info = batch_record("execute", [TAPE], [JOB, JOB, JOB], ["j1", "j2", "j3"], None, None, (),
                        origins=["submitted", "reattached", "cache"])
    assert info["jobs"] == 3 and info["circuits"] == 6 and info["shots"] == 60
    assert info["reattached"] == 1 and info["cache_hits"] == 1


def test_a_plain_batch_has_neither_key() -> None:
    """Test submitted jobs leave the record exactly as without a journal."""
    info = batch_record("execute", [TAPE], [JOB], ["j1"], None, None, (), origins=["submitted"])
    assert "reattached" not in info and "cache_hits" not in info
    assert info == batch_record("execute", [TAPE], [JOB], ["j1"], None, None, ())
