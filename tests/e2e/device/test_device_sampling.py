"""End to end with shots: sampled results vs default.qubit's exact values (fixed seed)."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest

SHOTS = 20000


def _circuit(wires, params):
    def circuit():
        for w, (a, b) in zip(wires, params, strict=True):
            qml.RY(a, w)
            qml.RZ(b, w)
        qml.CNOT([wires[0], wires[1]])
        qml.CRX(0.8, [wires[1], wires[2]])
        return (
            qml.expval(qml.X(wires[0]) @ qml.Y(wires[2])),
            qml.expval(qml.Hamiltonian([0.5, -1.5], [qml.Z(wires[1]), qml.X(wires[2])])),
            qml.var(qml.Y(wires[1])),
            qml.probs(wires=[wires[2], wires[0]]),
            qml.expval(qml.Hermitian(np.array([[1.0, 0.5], [0.5, -1.0]]), wires=wires[1])),
        )

    return circuit


def _se_bound(exact, shots):
    # Every quantity here is a mean of a variable bounded by 2 in absolute value (coefficient
    # sums <= 2); 5 standard errors of such a mean are <= 5 * 2 / sqrt(shots).
    return 5 * 2 / np.sqrt(shots)


@pytest.mark.parametrize("wires", [[0, 1, 2], ["anc", 5, "q"], [2, 0, 1]])
def test_sampled_results_within_five_standard_errors(wires, make_device):
    """Test sampled expval/var/probs/Hermitian on arbitrary wire labels."""
    params = np.random.default_rng(11).uniform(0, np.pi, (3, 2))
    circuit = _circuit(wires, params)
    got = qml.set_shots(qml.QNode(circuit, make_device(wires, seed=42)), shots=SHOTS)()
    want = qml.QNode(circuit, qml.device("default.qubit", wires=wires))()
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, atol=_se_bound(b, SHOTS))


def test_seed_makes_runs_reproducible(make_device):
    """Test that the same device seed gives the same samples, run after run."""

    def circuit():
        qml.Hadamard(0)
        qml.CNOT([0, 1])
        qml.RY(0.3, 1)
        return qml.sample(wires=[0, 1])

    first = qml.set_shots(qml.QNode(circuit, make_device(2, seed=7)), shots=50)()
    second = qml.set_shots(qml.QNode(circuit, make_device(2, seed=7)), shots=50)()
    np.testing.assert_array_equal(first, second)


def test_sample_and_counts_shapes(make_device):
    """Test sample/counts shapes and dtypes as default.qubit gives them."""

    def circuit():
        qml.PauliX(1)
        return qml.sample(wires=[1]), qml.sample(wires=[0, 1]), qml.counts(), qml.sample(qml.Z(1))

    s1, s2, counts, sz = qml.set_shots(qml.QNode(circuit, make_device(2)), shots=30)()
    assert s1.shape == (30, 1) and s1.dtype.kind == "i" and np.all(s1 == 1)
    assert s2.shape == (30, 2) and np.all(s2 == [0, 1])
    assert counts == {"01": 30}
    assert sz.shape == (30,) and np.all(sz == -1.0)


def test_shot_vector(make_device):
    """Test a shot vector: bins of the requested sizes, one job of the total shots."""

    def circuit(x):
        qml.RX(x, 0)
        qml.CNOT([0, 1])
        return qml.expval(qml.Z(1)), qml.probs(wires=[0]), qml.sample(wires=[1])

    dev = make_device(2, seed=3)
    qnode = qml.set_shots(qml.QNode(circuit, dev), shots=[(5000, 2), 10000])
    with qml.Tracker(dev) as tracker:
        result = qnode(1.1)
    assert tracker.totals["jobs"] == 1 and tracker.totals["shots"] == 20000
    assert len(result) == 3
    exact = np.cos(1.1)
    for (ev, probs, samples), n in zip(result, [5000, 5000, 10000], strict=True):
        assert samples.shape == (n, 1)
        assert abs(ev - exact) < 5 * 1 / np.sqrt(n)
        np.testing.assert_allclose(probs.sum(), 1.0)
    # The bins are different draws, not copies of one histogram.
    assert result[0][0] != result[1][0]


def test_broadcast_with_shots(make_device):
    """Test broadcasting with shots: one row per element, stacked results."""
    x = np.array([0.0, np.pi])

    def circuit(x):
        qml.RX(x, 0)
        return qml.expval(qml.Z(0)), qml.sample(wires=[0])

    ev, samples = qml.set_shots(qml.QNode(circuit, make_device(1)), shots=100)(x)
    np.testing.assert_allclose(ev, [1.0, -1.0])
    assert samples.shape == (2, 100, 1)
    assert np.all(samples[0] == 0) and np.all(samples[1] == 1)


def test_mps_method_runs(make_device):
    """Test a simulator option (MPS with a bond cap) reaches Maestro and still agrees."""

    def circuit():
        qml.Hadamard(0)
        for i in range(5):
            qml.CNOT([i, i + 1])
        return qml.expval(qml.Z(0) @ qml.Z(5)), qml.probs(wires=[0, 5])

    got = qml.QNode(circuit, make_device(6, method="mps", max_bond_dimension=4))()
    np.testing.assert_allclose(got[0], 1.0, atol=1e-8)
    np.testing.assert_allclose(got[1], [0.5, 0, 0, 0.5], atol=1e-8)


def test_variance_of_qubit_wise_commuting_sum(make_device):
    """Test var(H) with shots for qubit-wise commuting terms (rotated into one basis), next to
    other measurements, with a shot vector."""

    def circuit():
        qml.RX(0.4, 0)
        qml.CNOT([0, 1])
        qml.RY(0.3, 1)
        return (
            qml.expval(qml.X(0)),
            qml.var(qml.X(0) @ qml.X(1) + 2 * qml.X(1)),
            qml.probs(wires=[1]),
            qml.var(qml.Y(0) + qml.Z(1)),
        )

    exact = qml.QNode(circuit, qml.device("default.qubit", wires=2))()
    result = qml.set_shots(qml.QNode(circuit, make_device(2, seed=5)), shots=[SHOTS, SHOTS])()
    assert len(result) == 2
    # 5 standard errors: means of +-1 variables <= 5/sqrt(n); a sample variance has
    # SE <= max|H - mean| * sqrt(var / n), with max|H - mean| <= 4 for both sums here.
    tolerances = [5 / np.sqrt(SHOTS), 5 * 4 * np.sqrt(exact[1] / SHOTS), 5 / np.sqrt(SHOTS)]
    tolerances.append(5 * 4 * np.sqrt(exact[3] / SHOTS))
    for bin_result in result:
        for got, want, tol in zip(bin_result, exact, tolerances, strict=True):
            np.testing.assert_allclose(got, want, atol=tol)
