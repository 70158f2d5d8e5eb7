"""Dense observables on the device (Hermitian, Projector, SparseHamiltonian), analytic expval
and var, equal default.qubit to 1e-8: diagonal ones through Z-subset probabilities (10 wires
work), the others through the vectorised Pauli transform; gradients too."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
import scipy.sparse as sps
from pennylane import numpy as pnp

RNG = np.random.default_rng(3)


def hermitian(k: int) -> np.ndarray:
    a = RNG.normal(size=(2**k, 2**k)) + 1j * RNG.normal(size=(2**k, 2**k))
    return (a + a.conj().T) / 2


def both(make_device, n: int, measure, diff_method="best"):
    angles = RNG.uniform(0, np.pi, (2, n))

    def circuit(x):
        for i in range(n):
            qml.RY(angles[0, i] * x, wires=i)
            qml.RZ(angles[1, i], wires=i)
        for i in range(n - 1):
            qml.CNOT(wires=[i, i + 1])
        return measure()

    qoro = qml.QNode(circuit, make_device(n), diff_method="parameter-shift")
    ref = qml.QNode(circuit, qml.device("default.qubit", wires=n), diff_method=diff_method)
    return qoro, ref


CASES = {
    "hermitian-3": (3, lambda: [qml.expval(qml.Hermitian(H3, wires=[2, 0, 1])),
                                qml.var(qml.Hermitian(H3, wires=[0, 1, 2]))]),
    "projectors-4": (4, lambda: [qml.expval(qml.Projector([1, 0], wires=[3, 1])),
                                 qml.var(qml.Projector([1, 0, 1], wires=[0, 2, 1])),
                                 qml.expval(qml.Projector(SV, wires=[1, 2]))]),
    "sparse-4": (4, lambda: qml.expval(qml.SparseHamiltonian(SPARSE, wires=range(4)))),
    "projector-8": (8, lambda: qml.expval(qml.Projector(BASIS8, wires=range(8)))),
    "projector-10": (10, lambda: qml.expval(qml.Projector(BASIS10, wires=range(10)))),
    "diagonal-10": (10, lambda: qml.var(qml.Hermitian(np.diag(DIAG10), wires=range(10)))),
    "hermitian-6": (6, lambda: qml.expval(qml.Hermitian(H6, wires=range(6)))),
}
H3, H6 = hermitian(3), hermitian(6)
SV = np.array([0.6, 0.0, 0.0, 0.8j])
_S = sps.csr_matrix(hermitian(4) * (RNG.random((16, 16)) < 0.25))
SPARSE = sps.csr_matrix((_S + _S.conj().T) / 2)
BASIS8, BASIS10 = RNG.integers(0, 2, 8), RNG.integers(0, 2, 10)
DIAG10 = RNG.normal(size=2**10)


@pytest.mark.parametrize("case", list(CASES))
def test_values_equal_default_qubit(make_device, case: str) -> None:
    n, measure = CASES[case]
    qoro, ref = both(make_device, n, measure)
    assert np.allclose(qoro(0.7), ref(0.7), atol=1e-8, rtol=0)


GRADIENTS = {
    "hermitian-var": (3, lambda: qml.var(qml.Hermitian(H3, wires=[0, 1, 2]))),
    "projector-expval": (4, lambda: qml.expval(qml.Projector([1, 0], wires=[3, 1]))),
}


@pytest.mark.parametrize("case", list(GRADIENTS))
def test_gradients_equal_default_qubit(make_device, case: str) -> None:
    n, measure = GRADIENTS[case]
    qoro, ref = both(make_device, n, measure)
    x = pnp.array(0.7, requires_grad=True)
    assert qml.grad(qoro)(x) == pytest.approx(qml.grad(ref)(x), abs=1e-8)
