"""End to end: parameter-shift gradients under autograd, torch and jax; TorchLayer training."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp

TOL = 1e-8


def _circuit(x, w):
    qml.RX(x[0], 0)
    qml.RY(x[1], 1)
    qml.CNOT([0, 1])
    qml.Rot(w[0], w[1], w[2], wires=2)
    qml.CRZ(w[3], [1, 2])
    qml.IsingXX(x[0] * 0.5, wires=[0, 2])
    return qml.expval(qml.Z(0) @ qml.X(2) + 0.3 * qml.Y(1)), qml.var(qml.X(1))


X0 = [0.4, -1.1]
W0 = [0.3, 0.2, -0.7, 1.3]


def _jacobians(interface, dev):
    qnode = qml.QNode(_circuit, dev, interface=interface, diff_method="parameter-shift")
    if interface == "autograd":
        x, w = pnp.array(X0, requires_grad=True), pnp.array(W0, requires_grad=True)
        return [np.asarray(j) for j in qml.jacobian(lambda a, b: qml.math.stack(qnode(a, b)))(x, w)]
    if interface == "torch":
        torch = pytest.importorskip("torch")
        x = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
        w = torch.tensor(W0, dtype=torch.float64, requires_grad=True)
        jac = torch.autograd.functional.jacobian(lambda a, b: torch.stack(qnode(a, b)), (x, w))
        return [j.detach().numpy() for j in jac]
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    x, w = jax.numpy.array(X0), jax.numpy.array(W0)
    jac = jax.jacobian(lambda a, b: jax.numpy.stack(qnode(a, b)), argnums=(0, 1))(x, w)
    return [np.asarray(j) for j in jac]


@pytest.mark.parametrize("interface", ["autograd", "torch", "jax"])
def test_parameter_shift_matches_default_qubit(interface, make_device):
    """Test parameter-shift Jacobians equal default.qubit's (same method) to 1e-8."""
    got = _jacobians(interface, make_device(3))
    want = _jacobians(interface, qml.device("default.qubit", wires=3))
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, atol=TOL)


def test_best_matches_default_qubit(make_device):
    """Test diff_method="best" (device derivatives for this analytic circuit) gives
    default.qubit's gradient."""

    def cost(x, w):
        qml.RX(x[0], 0)
        qml.CRY(w[0], [0, 1])
        qml.U2(w[1], x[1], wires=1)
        return qml.expval(qml.Y(1) @ qml.Z(0))

    qnode = qml.QNode(cost, make_device(3), diff_method="best")
    x, w = pnp.array(X0, requires_grad=True), pnp.array(W0, requires_grad=True)
    ref = qml.QNode(cost, qml.device("default.qubit", wires=3))
    for a, b in zip(qml.grad(qnode)(x, w), qml.grad(ref)(x, w), strict=True):
        np.testing.assert_allclose(a, b, atol=TOL)


def test_torch_layer_training_loss_falls(make_device):
    """Test a hybrid torch model trains: the loss falls over a few epochs.

    With PennyLane's parameter-shift transform, batched inputs behind a trainable layer are
    split with ``broadcast_expand`` before the transform (PennyLane #4462,
    pennylane-device-notes.md §9); diff_method="device" needs no wrapper
    (test_device_gradients_device.py).
    """
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    dev = make_device(2)

    @qml.transforms.broadcast_expand
    @qml.qnode(dev, interface="torch", diff_method="parameter-shift")
    def circuit(inputs, weights):
        qml.AngleEmbedding(inputs, wires=range(2))
        qml.BasicEntanglerLayers(weights, wires=range(2))
        return [qml.expval(qml.Z(i)) for i in range(2)]

    model = torch.nn.Sequential(
        torch.nn.Linear(2, 2), qml.qnn.TorchLayer(circuit, {"weights": (2, 2)})
    )
    data = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5], [0.9, 0.7]])
    target = torch.tensor([[1.0, -1.0], [-1.0, 1.0], [0.0, 0.0], [-1.0, -1.0]])
    optimiser = torch.optim.Adam(model.parameters(), lr=0.2)
    losses = []
    for _ in range(6):
        optimiser.zero_grad()
        loss = torch.nn.functional.mse_loss(model(data), target)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]
