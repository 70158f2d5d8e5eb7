"""End to end, analytic (shots=None): QNodes on the embedded service vs default.qubit."""

from __future__ import annotations

import itertools

import numpy as np
import pennylane as qml
import pytest

TOL = 1e-8


def _layers(params, wires):
    for layer in params:
        for w, (a, b, c) in zip(wires, layer, strict=True):
            qml.Rot(a, b, c, wires=w)
        for a, b in itertools.pairwise(wires):
            qml.CNOT([a, b])
        if len(wires) > 2:
            qml.IsingZZ(layer[0][0], wires=[wires[-1], wires[0]])


def _measurements(wires, rng):
    paulis = [qml.X, qml.Y, qml.Z]
    word = qml.prod(*[paulis[rng.integers(3)](w) for w in wires[:3]])
    ham = qml.Hamiltonian(rng.normal(size=3), [word, qml.Z(wires[-1]), qml.X(wires[0])])
    return [
        qml.expval(paulis[rng.integers(3)](wires[-1])),
        qml.expval(ham),
        qml.var(ham),
        qml.probs(wires=list(wires[::-1][:4])),
    ]


@pytest.mark.parametrize("n_wires", range(1, 9))
def test_random_circuits_match_default_qubit(n_wires, make_device):
    """Test expval/var/probs of random circuits on 1-8 wires to 1e-8."""
    rng = np.random.default_rng(n_wires)
    wires = list(range(n_wires))
    params = rng.uniform(-np.pi, np.pi, (2, n_wires, 3))
    mps = _measurements(wires, rng)

    def circuit():
        _layers(params, wires)
        return [qml.apply(m) for m in mps]

    got = qml.QNode(circuit, make_device(n_wires))()
    want = qml.QNode(circuit, qml.device("default.qubit", wires=n_wires))()
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, atol=TOL)


@pytest.mark.parametrize(
    "wires", [["a", "b", "c"], [2, 0, 1], ["z", 10, "a0"]], ids=["strings", "permuted", "mixed"]
)
def test_wire_labels(wires, make_device):
    """Test that non-trivial wire labels keep PennyLane's wire order in every result."""

    def circuit(x):
        qml.RX(x, wires=wires[1])
        qml.CNOT([wires[1], wires[2]])
        qml.Hadamard(wires[0])
        return (
            qml.probs(wires=[wires[2], wires[0], wires[1]]),
            qml.expval(qml.Z(wires[2]) @ qml.X(wires[0])),
            qml.probs(),
        )

    got = qml.QNode(circuit, make_device(wires))(0.7)
    want = qml.QNode(circuit, qml.device("default.qubit", wires=wires))(0.7)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, atol=TOL)


def test_broadcasting(make_device):
    """Test a broadcast QNode: one tape (the default "best" resolves to device derivatives,
    which must not split a broadcast over constants), one row per element, results stacked
    like default.qubit."""
    x = np.array([0.1, 0.9, 2.3, -1.0])

    def circuit(x, y):
        qml.RX(x, 0)
        qml.CRY(y, [0, 1])
        qml.U3(x, 0.3, y, wires=1)
        return qml.expval(qml.Z(0) @ qml.Y(1)), qml.var(qml.X(1)), qml.probs(wires=[1, 0])

    dev = make_device(2)
    with qml.Tracker(dev) as tracker:
        got = qml.QNode(circuit, dev)(x, 0.4)
    want = qml.QNode(circuit, qml.device("default.qubit", wires=2))(x, 0.4)
    assert tracker.totals["jobs"] == 1 and tracker.totals["circuits"] == len(x)
    assert tracker.history["executions"] == [1]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, atol=TOL)


def test_state_prep_hermitian_and_mid_circuit_measurement(make_device):
    """Test StatePrep (decomposed), Hermitian (Pauli-decomposed) and a deferred MCM."""
    state = np.random.default_rng(4).normal(size=8) + 0j
    state /= np.linalg.norm(state)
    herm = np.array([[2.0, 1 - 1j], [1 + 1j, -0.5]])

    def circuit(x):
        qml.StatePrep(state, wires=[0, 1, 2])
        qml.RY(x, 1)
        m = qml.measure(1)
        qml.cond(m, qml.RX)(0.4, wires=0)
        return qml.expval(qml.Hermitian(herm, wires=2)), qml.expval(qml.Z(0)), qml.probs(op=m)

    got = qml.QNode(circuit, make_device(4))(0.3)
    want = qml.QNode(circuit, qml.device("default.qubit", wires=4))(0.3)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, atol=TOL)


def test_templates_and_global_phase(make_device):
    """Test library templates whose decompositions bring in GlobalPhase and Ising gates."""
    weights = np.random.default_rng(5).uniform(0, 2, (2, 3, 3))

    def circuit():
        qml.StronglyEntanglingLayers(weights, wires=range(3))
        qml.QFT(wires=range(3))
        qml.GlobalPhase(0.3)
        qml.IsingXY(0.2, wires=[0, 2])
        return qml.probs(wires=range(3)), qml.expval(qml.X(0) @ qml.Y(2))

    got = qml.QNode(circuit, make_device(3))()
    want = qml.QNode(circuit, qml.device("default.qubit", wires=3))()
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, atol=TOL)


def test_device_without_wires(qoro_service):
    """Test wires=None: each tape's own wires, probs() over the tape's wires."""

    def circuit(x):
        qml.RX(x, "a")
        qml.CNOT(["a", 3])
        return qml.probs(), qml.expval(qml.Z(3))

    dev = qml.device("qoro.maestro", url=qoro_service.url, api_key=qoro_service.token)
    got = qml.QNode(circuit, dev)(0.4)
    want = qml.QNode(circuit, qml.device("default.qubit"))(0.4)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, atol=TOL)
