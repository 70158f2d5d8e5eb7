"""The benchmark workload, shared by every script in ``bench/``.

A hardware-efficient ansatz (RY and RZ on every qubit, then a CNOT ladder; 3 layers) and the cost
H = sum_i Z_i Z_{i+1} + 0.5 sum_i X_i. One "gradient step" is ``qml.grad`` of the cost with
parameter-shift: one forward tape plus 2 shifted tapes per parameter (193 tapes at n = 16).
"""

from __future__ import annotations

import numpy as np
import pennylane as qml

LAYERS = 3


def n_params(n: int) -> int:
    """RY and RZ on every qubit in every layer."""
    return 2 * n * LAYERS


def hamiltonian(n: int) -> qml.operation.Operator:
    """H = sum Z_i Z_{i+1} + 0.5 sum X_i on an open chain."""
    coeffs = [1.0] * (n - 1) + [0.5] * n
    ops = [qml.Z(i) @ qml.Z(i + 1) for i in range(n - 1)] + [qml.X(i) for i in range(n)]
    return qml.Hamiltonian(coeffs, ops)


def ansatz(params, n: int) -> None:
    """RY/RZ layers with a CNOT ladder; ``params`` has shape (LAYERS, 2, n)."""
    for layer in range(LAYERS):
        for w in range(n):
            qml.RY(params[layer, 0, w], wires=w)
            qml.RZ(params[layer, 1, w], wires=w)
        for w in range(n - 1):
            qml.CNOT(wires=[w, w + 1])


def initial_params(n: int, seed: int = 7):
    """Trainable parameters, the same for every device."""
    rng = np.random.default_rng(seed)
    return qml.numpy.array(rng.uniform(0, 2 * np.pi, (LAYERS, 2, n)), requires_grad=True)


def cost_qnode(dev, n: int, shots: int | None = None, diff_method: str = "parameter-shift"):
    """The QNode whose gradient is one step."""
    h = hamiltonian(n)

    @qml.qnode(dev, diff_method=diff_method, shots=shots)
    def cost(params):
        ansatz(params, n)
        return qml.expval(h)

    return cost
