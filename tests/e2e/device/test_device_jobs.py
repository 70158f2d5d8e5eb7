"""End to end: how many jobs and HTTP requests a batch costs, and what the tracker records."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp


def _ansatz(weights):
    qml.BasicEntanglerLayers(weights, wires=range(4), rotation=qml.RY)
    return qml.expval(qml.Z(0) @ qml.Z(3) + 0.5 * qml.X(1))


def test_one_job_per_parameter_shift_batch(make_device):
    """Test a 4-qubit, 12-parameter gradient: one job for the forward pass, ONE for all 24
    shifted tapes (one template, 24 rows), checked on the tracker and the client's counters."""
    dev = make_device(4)
    qnode = qml.QNode(_ansatz, dev, diff_method="parameter-shift")
    weights = pnp.array(np.random.default_rng(0).uniform(0, 2, (3, 4)), requires_grad=True)
    jobs_before = dev.client.stats.jobs
    with qml.Tracker(dev) as tracker:
        grad = qml.grad(qnode)(weights)
    assert tracker.history["batches"] == [1, 1]
    assert tracker.history["executions"] == [1, 24]
    assert tracker.history["jobs"] == [1, 1]
    assert tracker.history["circuits"] == [1, 24]
    assert len(tracker.history["qoro_job_ids"][1]) == 1
    assert dev.client.stats.jobs - jobs_before == 2
    ref = qml.QNode(_ansatz, qml.device("default.qubit", wires=4), diff_method="parameter-shift")
    np.testing.assert_allclose(grad, qml.grad(ref)(weights), atol=1e-8)


def test_single_circuit_tracker_history(make_device):
    """Test PennyLane's tracker contract: one circuit -> batches [1], executions [1]."""
    dev = make_device(1)
    with qml.Tracker(dev) as tracker:
        qml.QNode(lambda: qml.expval(qml.Z(0)), dev)()
    assert tracker.history["batches"] == [1]
    assert tracker.history["executions"] == [1]
    assert tracker.history["jobs"] == [1]
    assert "shots" not in tracker.history


def test_sampled_batch_tracks_shots(make_device):
    """Test that shots are the rows actually run times their shots."""
    dev = make_device(2)

    def circuit():
        qml.Hadamard(0)
        return qml.expval(qml.X(0)), qml.expval(qml.Z(1))  # one qubit-wise commuting group

    with qml.Tracker(dev) as tracker:
        qml.set_shots(qml.QNode(circuit, dev), shots=100)()
    assert tracker.totals["shots"] == 100 * tracker.totals["circuits"]
    assert tracker.totals["jobs"] == 1


def test_second_job_only_when_the_plan_needs_it(make_device):
    """Test that analytic + sampled tapes in one batch cost two jobs, and the tracker says why;
    the same tapes, all analytic, cost one."""
    dev = make_device(2)
    ops = [qml.RX(0.3, 0), qml.CNOT([0, 1])]
    analytic = qml.tape.QuantumScript(ops, [qml.expval(qml.Z(1))])
    sampled = qml.tape.QuantumScript(ops, [qml.expval(qml.Z(1))], shots=500)
    program = dev.preprocess_transforms()
    with qml.Tracker(dev) as tracker:
        batch, post = program([analytic, analytic.copy()])
        post(dev.execute(batch))
        batch, post = program([analytic, sampled])
        post(dev.execute(batch))
    assert tracker.history["jobs"] == [1, 2]
    assert tracker.history["plan_notes"] == [
        ["batch mixes analytic and sampled tapes: one extra EXECUTE job"]
    ]


def test_failed_job_is_tracked_and_raised_unwrapped(make_device):
    """Test that a job failing on the service raises the client's JobFailedError (with the
    job id and the simulator's message) and the tracker still records the batch."""
    from pennylane_qoro.client import JobFailedError

    dev = make_device(2, method="stabilizer")  # Maestro's stabilizer method refuses RX

    @qml.qnode(dev)
    def circuit():
        qml.RX(0.3, 0)
        return qml.expval(qml.Z(0))

    with qml.Tracker(dev) as tracker, pytest.raises(JobFailedError) as info:
        circuit()
    failure = info.value
    assert "Rx" in str(failure) and failure.job_id in str(failure)
    assert tracker.history["batches"] == [1]
    assert tracker.history["jobs"] == [1]
    assert tracker.history["qoro_failed_job_id"] == [failure.job_id]
    assert "results" not in tracker.history
