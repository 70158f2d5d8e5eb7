"""An n=8 noisy gradient step: ``qoro.maestro`` (local service, density matrix) vs
``default.mixed`` (issue 13).

``python -m bench noise [--wires 8] [--layers 2] [--rounds 3]`` times one training step
(``qml.grad`` of a hardware-efficient ansatz's energy under depolarizing + amplitude-damping
noise after every gate) on

* ``qoro.maestro`` with the same ``qml.NoiseModel`` as ``noise_model=``: device derivatives
  (forward and every shifted row in ONE job) and PennyLane's parameter-shift transform;
* ``default.mixed`` running ``qml.add_noise(qnode, model)``: backprop and parameter-shift;

round-robin in the same run (medians), and checks the gradients agree. The last line says
how much the noise moves the gradient (against a noiseless ``default.qubit``), the scale the
agreement is to be read against. Prints numbers only; asserts nothing.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pennylane as qml
from pennylane import numpy as pnp

from .small_calls import interleaved
from .timing import machine

GATES = ["RY", "RZ", "CNOT"]


def noise_model() -> qml.NoiseModel:
    pw = qml.noise.partial_wires
    return qml.NoiseModel({
        qml.noise.op_in(GATES): pw(qml.AmplitudeDamping, 0.005),
        qml.noise.op_in(list(GATES)): pw(qml.DepolarizingChannel, 0.01),
    })


def hamiltonian(n: int):
    coeffs = [1.0] * (n - 1) + [0.5] * n
    ops = [qml.Z(i) @ qml.Z(i + 1) for i in range(n - 1)] + [qml.X(i) for i in range(n)]
    return qml.Hamiltonian(coeffs, ops)


def ansatz(n: int, layers: int, h):
    def circuit(w):
        for layer in range(layers):
            for i in range(n):
                qml.RY(w[layer, i, 0], wires=i)
                qml.RZ(w[layer, i, 1], wires=i)
            for i in range(n - 1):
                qml.CNOT([i, i + 1])
        return qml.expval(h)

    return circuit


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench noise", description=__doc__)
    parser.add_argument("--wires", type=int, default=8)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    n, layers = args.wires, args.layers
    model, h = noise_model(), hamiltonian(n)
    circuit = ansatz(n, layers, h)
    weights = pnp.array(np.random.default_rng(7).uniform(0, np.pi, (layers, n, 2)),
                        requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        qoro = qml.device("qoro.maestro", wires=n, url="local", noise_model=model)
    mixed = qml.device("default.mixed", wires=n)
    steps = {
        "qoro.maestro device derivatives (1 job)":
            qml.QNode(circuit, qoro, diff_method="device"),
        "qoro.maestro parameter-shift transform":
            qml.QNode(circuit, qoro, diff_method="parameter-shift"),
        "default.mixed + add_noise, backprop":
            qml.add_noise(qml.QNode(circuit, mixed, diff_method="backprop"), model),
        "default.mixed + add_noise, parameter-shift":
            qml.add_noise(qml.QNode(circuit, mixed, diff_method="parameter-shift"), model),
    }
    grads = {name: np.asarray(qml.grad(q)(weights)) for name, q in steps.items()}
    reference = grads["default.mixed + add_noise, backprop"]
    noiseless = np.asarray(qml.grad(qml.QNode(circuit, qml.device("default.qubit", wires=n)))(
        weights))
    times = interleaved({name: (lambda q=q: qml.grad(q)(weights)) for name, q in steps.items()},
                        rounds=args.rounds, warmup=1)
    print(f"# noisy gradient step: n={n}, {layers} layers, {weights.size} parameters, "
          f"{len(h.ops)}-term H, depolarizing 0.01 + amplitude damping 0.005 after every gate")
    print(f"# {machine()}")
    print(f"{'device':<48} {'median s/step':>14} {'vs default.mixed bp':>20} {'max |dgrad|':>12}")
    base = times["default.mixed + add_noise, backprop"]
    for name, seconds in times.items():
        diff = float(np.max(np.abs(grads[name] - reference)))
        print(f"{name:<48} {seconds:>14.3f} {base / seconds:>19.2f}x {diff:>12.1e}")
    print(f"# the noise moves the gradient by max |dgrad| "
          f"{float(np.max(np.abs(reference - noiseless))):.1e} (vs noiseless default.qubit)")
