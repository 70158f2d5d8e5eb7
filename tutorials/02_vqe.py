# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # VQE: the ground state of a transverse-field Ising chain
#
# The variational quantum eigensolver (VQE) minimises $\langle\psi(\theta)|H|\psi(\theta)\rangle$
# over the parameters of a circuit. By the variational principle the result is never below the
# true ground-state energy, and a good circuit gets close to it.
#
# Our Hamiltonian is the open transverse-field Ising chain
#
# $$H = -J\sum_{i=0}^{n-2} Z_i Z_{i+1} \;-\; h\sum_{i=0}^{n-1} X_i ,$$
#
# at the critical point $J = h = 1$, small enough ($n = 6$ qubits) that numpy can give the
# exact answer to compare with.
#
# What happens on the Qoro side: without shots, each evaluation is an **EXPECTATION job**.
# The device sends the circuit together with the Hamiltonian's Pauli words, and the service
# returns every term's expectation value; the device multiplies by the coefficients. The
# gradient comes from the parameter-shift rule (2 shifted circuits per parameter), and a whole
# optimisation step (the energy and all shifted circuits) is **one** job that uploads one
# circuit **template** plus one row of parameter values per circuit.
#
# `QORO_TUTORIAL_FAST=1` runs a 4-qubit chain for fewer steps.

# %%

import numpy as np
import pennylane as qml
from _figures import FAST, plt, save  # tutorials/_figures.py: backend, folder
from pennylane import numpy as pnp

N_QUBITS = 4 if FAST else 6
N_LAYERS = 2 if FAST else 3
STEPS = 25 if FAST else 40
J, H_FIELD = 1.0, 1.0


# %% [markdown]
# ## The Hamiltonian and its exact ground-state energy

# %%
coeffs = [-J] * (N_QUBITS - 1) + [-H_FIELD] * N_QUBITS
terms = [qml.Z(i) @ qml.Z(i + 1) for i in range(N_QUBITS - 1)]
terms += [qml.X(i) for i in range(N_QUBITS)]
H = qml.Hamiltonian(coeffs, terms)

exact = float(np.linalg.eigvalsh(qml.matrix(H, wire_order=range(N_QUBITS)))[0])
print(f"transverse-field Ising chain: {N_QUBITS} qubits, {len(terms)} Pauli terms, "
      f"J={J}, h={H_FIELD}")
print(f"exact ground-state energy (numpy eigvalsh): {exact:.6f}")

# %% [markdown]
# ## The ansatz
#
# The ground state of this Hamiltonian has real amplitudes, so $R_Y$ rotations and CNOTs are
# enough: a layer of $R_Y$, then `N_LAYERS` blocks of a CNOT ladder followed by another
# $R_Y$ layer. We start the first layer at $\pi/2$, i.e. from $|{+}\rangle^{\otimes n}$, the
# ground state of the field term alone, and the others near zero.
#
# We ask for `diff_method="device"`: the device's own parameter-shift rule, which computes
# the gradient together with the energy and puts the forward circuit and every shifted
# circuit into the same job, one job per optimisation step. (The default `"best"` uses the
# same rule but computes the gradient only when asked for, in a second job after the energy:
# two jobs per step, cheaper plain evaluations. With `diff_method="parameter-shift"`
# PennyLane builds the shifted circuits itself: also two jobs per step, one for the energy
# and one for the gradient batch. The numbers are the same.)

# %%
dev = qml.device("qoro.maestro", wires=N_QUBITS)


def ansatz(weights):
    for i in range(N_QUBITS):
        qml.RY(weights[0, i], wires=i)
    for layer in range(1, N_LAYERS + 1):
        for i in range(N_QUBITS - 1):
            qml.CNOT(wires=[i, i + 1])
        for i in range(N_QUBITS):
            qml.RY(weights[layer, i], wires=i)


@qml.qnode(dev, diff_method="device")
def energy(weights):
    ansatz(weights)
    return qml.expval(H)


rng = np.random.default_rng(seed=7)
init = rng.normal(0.0, 0.05, size=(N_LAYERS + 1, N_QUBITS))
init[0] = np.pi / 2
weights = pnp.array(init, requires_grad=True)
print(f"ansatz: {weights.size} parameters, {N_LAYERS} entangling layers")

# %% [markdown]
# ## What one optimisation step costs
#
# We use plain gradient descent. `step_and_cost` evaluates the energy and its gradient; the
# tracker shows what the first step sent.

# %%
opt = qml.GradientDescentOptimizer(stepsize=0.2)
with qml.Tracker(dev) as tracker:
    weights, first_energy = opt.step_and_cost(energy, weights)
history = [float(first_energy)]
print(f"initial energy: {history[0]:.6f}")
sent = zip(tracker.history["circuits"], tracker.history["jobs"], strict=True)
print("one optimisation step: " + ", ".join(f"{c} circuit(s) -> {j} job" for c, j in sent)
      + f"  (1 energy + 2 x {weights.size} shifted circuits)")

# %% [markdown]
# ## Optimise

# %%
for step in range(1, STEPS):
    weights, value = opt.step_and_cost(energy, weights)
    history.append(float(value))
    if step % 10 == 0:
        print(f"step {step:3d}: energy {value:.6f}")

# A plain evaluation: with diff_method="device" a call with trainable weights would also run
# the shifted circuits, so the weights go in as constants.
final = float(energy(pnp.array(weights, requires_grad=False)))
history.append(final)
error = (final - exact) / abs(exact)
print(f"VQE energy: {final:.6f}   exact: {exact:.6f}   relative error: {100 * error:.3f}%")

# %% [markdown]
# The VQE energy is slightly *above* the exact value, as the variational principle requires.
# The curve flattens at the best this ansatz can do: deeper circuits (a larger `N_LAYERS`)
# get closer.

# %%
iterations = np.arange(len(history))
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
ax1.plot(iterations, history, marker=".", label="VQE on qoro.maestro")
ax1.axhline(exact, color="tab:red", linestyle="--", label=f"exact ground state ({exact:.4f})")
ax1.set_xlabel("optimisation step")
ax1.set_ylabel(r"energy $\langle H\rangle$")
ax1.set_title(f"Transverse-field Ising chain, {N_QUBITS} qubits")
ax1.legend()
ax2.semilogy(iterations, np.maximum(np.array(history) - exact, 1e-12), marker=".")
ax2.set_xlabel("optimisation step")
ax2.set_ylabel(r"$\langle H\rangle - E_0$ (log scale)")
ax2.set_title("Distance to the exact ground-state energy")
ax2.grid(True, which="both", alpha=0.3)
fig.tight_layout()
save(fig, "02_vqe_energy.png")
