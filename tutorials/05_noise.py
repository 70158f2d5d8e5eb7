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
# # Noisy VQE and zero-noise extrapolation
#
# Real quantum hardware is noisy, and a simulator that models the noise shows what a circuit
# will do there before any hardware time is spent. This tutorial runs the VQE of tutorial 02
# (the transverse-field Ising chain) **with gate noise**, then undoes most of the damage with
# **zero-noise extrapolation** (ZNE):
#
# 1. describe the noise with PennyLane's own `qml.NoiseModel` and give it to the device as
#    `noise_model=`: Maestro simulates it exactly, on a density matrix;
# 2. check the device against PennyLane's reference, `default.mixed` running
#    `qml.add_noise` with the same model;
# 3. train the VQE on the noisy device and watch the energy stop short of the exact value;
# 4. mitigate: evaluate the circuit at amplified noise (`qml.noise.fold_global`) and
#    extrapolate back to zero noise (`qml.noise.mitigate_with_zne`).
#
# What happens on the Qoro side: the noise model travels with each job (in its
# `maestro_config`, as Maestro setter calls), so the circuits themselves stay plain gates.
# Without an API key it all runs on the embedded local service; with one, the same code runs
# on the Qoro cloud.
#
# `QORO_TUTORIAL_FAST=1` runs a 3-qubit chain for fewer steps.

# %%

import numpy as np
import pennylane as qml
from _figures import FAST, plt, save  # tutorials/_figures.py: backend, folder
from pennylane import numpy as pnp

N_QUBITS = 3 if FAST else 4
N_LAYERS = 2
STEPS = 10 if FAST else 30
J, H_FIELD = 1.0, 1.0
P_1Q, P_2Q = 0.005, 0.02  # depolarizing probability after each 1-qubit / 2-qubit gate
SCALES = [1, 3, 5]  # noise scale factors for the extrapolation

# %% [markdown]
# ## The Hamiltonian and its exact ground-state energy
#
# $$H = -J\sum_{i=0}^{n-2} Z_i Z_{i+1} \;-\; h\sum_{i=0}^{n-1} X_i ,\qquad J = h = 1.$$

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
# ## The noise model
#
# A `qml.NoiseModel` maps *conditions* on the gates to *noise* inserted after them. Ours is a
# simple picture of a superconducting chip: a depolarizing channel after every gate, on the
# gate's wires, with a 1-qubit gate four times less noisy than a CNOT.
#
# The conditions look at how many wires a gate acts on, not at its name. That matters for
# ZNE: folding a circuit appends *inverses* of its gates, which PennyLane writes as
# `Adjoint(RY)`, `Adjoint(CNOT)`; `qml.noise.op_in(["RY"])` would not match those, so the
# inverse gates would stay noiseless and folding would not amplify the noise as intended.
# (The device checks this: given such a model it refuses the folded circuit with a
# `DeviceError` naming the gate that gets different noise, before any job.)
#
# With a noise model and no `method`, the device simulates a **density matrix**: the results
# are exact expectation values of the noisy state, no trajectories, no sampling error.

# %%
one_qubit_gate = qml.BooleanFn(lambda op: len(op.wires) == 1, "one_qubit_gate")
two_qubit_gate = qml.BooleanFn(lambda op: len(op.wires) == 2, "two_qubit_gate")
noise_model = qml.NoiseModel({
    one_qubit_gate: qml.noise.partial_wires(qml.DepolarizingChannel, P_1Q),
    two_qubit_gate: qml.noise.partial_wires(qml.DepolarizingChannel, P_2Q),
})
print(f"noise: depolarizing p={P_1Q} after 1-qubit gates, p={P_2Q} after 2-qubit gates")

noisy_dev = qml.device("qoro.maestro", wires=N_QUBITS, noise_model=noise_model)
ideal_dev = qml.device("qoro.maestro", wires=N_QUBITS)  # the same simulator, no noise
mixed_dev = qml.device("default.mixed", wires=N_QUBITS)  # PennyLane's reference

# %% [markdown]
# ## The ansatz and four ways to evaluate it
#
# The ansatz of tutorial 02 (a layer of $R_Y$, then CNOT ladders and $R_Y$ layers). The same
# circuit function becomes four QNodes:
#
# * `noisy_energy`: on the noisy device, what an optimiser sees on noisy hardware;
# * `ideal_energy`: noiseless, the value mitigation tries to recover;
# * `mitigated_energy`: `qml.noise.mitigate_with_zne` around a noisy QNode. It runs the
#   circuit at the noise scale factors $\lambda = 1, 3, 5$ by *global folding*
#   $U \to U (U^\dagger U)^{(\lambda-1)/2}$ (same logical circuit, $\lambda$ times the gates,
#   hence about $\lambda$ times the noise), then fits $E(\lambda)$ and returns its value at
#   $\lambda = 0$. Richardson extrapolation fits the polynomial of degree 2 through the three
#   points;
# * `reference_energy(scale)`: `default.mixed` running `qml.add_noise` with the same model
#   on the folded circuit.

# %%
def ansatz(weights):
    for i in range(N_QUBITS):
        qml.RY(weights[0, i], wires=i)
    for layer in range(1, N_LAYERS + 1):
        for i in range(N_QUBITS - 1):
            qml.CNOT(wires=[i, i + 1])
        for i in range(N_QUBITS):
            qml.RY(weights[layer, i], wires=i)


def energy(weights):
    ansatz(weights)
    return qml.expval(H)


noisy_energy = qml.QNode(energy, noisy_dev, diff_method="device")
ideal_energy = qml.QNode(energy, ideal_dev)
mitigated_energy = qml.noise.mitigate_with_zne(
    qml.QNode(energy, noisy_dev), scale_factors=SCALES, folding=qml.noise.fold_global,
    extrapolate=qml.noise.richardson_extrapolate)


def folded(dev, scale):
    """``energy`` on ``dev`` with its gates folded to noise scale factor ``scale``."""
    return qml.QNode(qml.noise.fold_global(energy, scale_factor=scale), dev)


def reference_energy(weights, scale):
    """default.mixed: the model added (``qml.add_noise``) to the folded circuit."""
    return qml.add_noise(folded(mixed_dev, scale), noise_model)(weights)


rng = np.random.default_rng(seed=7)
init = rng.normal(0.0, 0.05, size=(N_LAYERS + 1, N_QUBITS))
init[0] = np.pi / 2
weights = pnp.array(init, requires_grad=True)
print(f"ansatz: {weights.size} parameters, {N_LAYERS} entangling layers")

# %% [markdown]
# ## Check: the device against `default.mixed`
#
# At the starting point, the folded circuits on `qoro.maestro` and on `default.mixed` +
# `qml.add_noise` must agree to rounding: same model, same circuits, two independent
# density-matrix simulators.

# %%
start = pnp.array(weights, requires_grad=False)
differences = []
for scale in SCALES:
    ours, theirs = float(folded(noisy_dev, scale)(start)), float(reference_energy(start, scale))
    differences.append(abs(ours - theirs))
    print(f"scale factor {scale}: qoro.maestro {ours:.8f}, default.mixed + add_noise "
          f"{theirs:.8f}")
print(f"largest difference from default.mixed: {max(differences):.1e}")

# %% [markdown]
# A mitigated evaluation sends all its folded circuits at once: the tracker shows one job.

# %%
with qml.Tracker(noisy_dev) as tracker:
    mitigated_energy(start)
sent = zip(tracker.history["circuits"], tracker.history["jobs"], strict=True)
print("one mitigated evaluation: " + ", ".join(f"{c} circuit(s) -> {j} job" for c, j in sent)
      + f"  (scale factors {SCALES})")

# %% [markdown]
# ## Noisy VQE
#
# Gradient descent on the **noisy** energy, as on hardware. At every step we also record the
# mitigated energy and the noiseless energy of the same parameters (two more jobs per step,
# for the plot). Each optimisation step itself is one job: the noisy energy and all its
# parameter-shift circuits, under the noise model.

# %%
opt = qml.GradientDescentOptimizer(stepsize=0.2)
history = {"noisy": [], "mitigated": [], "ideal": []}


def record(params, noisy_value):
    history["noisy"].append(float(noisy_value))
    history["mitigated"].append(float(mitigated_energy(params)))
    history["ideal"].append(float(ideal_energy(params)))


for step in range(STEPS):
    current = pnp.array(weights, requires_grad=False)
    weights, value = opt.step_and_cost(noisy_energy, weights)
    record(current, value)
    if step % 10 == 0:
        print(f"step {step:3d}: noisy {history['noisy'][-1]:.6f}, mitigated "
              f"{history['mitigated'][-1]:.6f}, noiseless {history['ideal'][-1]:.6f}")

trained = pnp.array(weights, requires_grad=False)
record(trained, noisy_energy(trained))
noisy, mitigated, ideal = (history[k][-1] for k in ("noisy", "mitigated", "ideal"))
print(f"trained parameters: noisy energy {noisy:.6f}, mitigated {mitigated:.6f}, "
      f"noiseless {ideal:.6f}, exact ground state {exact:.6f}")
print(f"error against the noiseless value: noisy {abs(noisy - ideal):.4f}, mitigated "
      f"{abs(mitigated - ideal):.4f} ({abs(noisy - ideal) / abs(mitigated - ideal):.0f}x "
      "smaller)")

# %% [markdown]
# The noise lifts the energy well above the exact value: depolarizing noise pulls the state
# towards the maximally mixed one, whose energy is 0. The optimiser still finds good
# parameters (their *noiseless* energy is close to the exact one), but it cannot see them
# as good. The mitigated energy tracks the noiseless one far more closely.

# %%
iterations = np.arange(len(history["noisy"]))
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
ax1.plot(iterations, history["noisy"], marker=".", label="noisy (what the optimiser sees)")
ax1.plot(iterations, history["mitigated"], marker=".", label="ZNE-mitigated")
ax1.plot(iterations, history["ideal"], marker=".", label="noiseless, same parameters")
ax1.axhline(exact, color="tab:red", linestyle="--", label=f"exact ground state ({exact:.4f})")
ax1.set_xlabel("optimisation step")
ax1.set_ylabel(r"energy $\langle H\rangle$")
ax1.set_title(f"Noisy VQE, {N_QUBITS} qubits, density matrix")
ax1.legend(fontsize="small")
for key, label in (("noisy", "noisy"), ("mitigated", "ZNE-mitigated")):
    gap = np.abs(np.array(history[key]) - np.array(history["ideal"]))
    ax2.semilogy(iterations, np.maximum(gap, 1e-12), marker=".", label=label)
ax2.set_xlabel("optimisation step")
ax2.set_ylabel("|energy - noiseless energy| (log scale)")
ax2.set_title("Error against the noiseless value")
ax2.grid(True, which="both", alpha=0.3)
ax2.legend(fontsize="small")
fig.tight_layout()
save(fig, "05_noisy_vqe.png")

# %% [markdown]
# ## The extrapolation, step by step
#
# What `mitigate_with_zne` did at the trained parameters: the energies at $\lambda = 1, 3, 5$,
# and three fits through them. We also evaluate $\lambda = 7, 9$ (not used by the fits) and
# the `default.mixed` reference at each point. $E(\lambda)$ curves towards 0, the energy of
# the fully mixed state: a straight line misses that curvature and stops short, while
# Richardson's quadratic and an exponential decay towards 0 both land close to the
# noiseless value.

# %%
shown = [1, 3, 5, 7, 9]
measured = {s: float(folded(noisy_dev, s)(trained)) for s in shown}
references = {s: float(reference_energy(trained, s)) for s in shown}
points = [measured[s] for s in SCALES]
fits = {
    "Richardson (degree 2)": float(qml.noise.richardson_extrapolate(SCALES, points)),
    "linear": float(qml.noise.poly_extrapolate(SCALES, points, order=1)),
    "exponential": float(qml.noise.exponential_extrapolate(SCALES, points)),
}
print("E(scale factor): " + ", ".join(f"{s}: {measured[s]:.6f}" for s in shown))
print("default.mixed:   " + ", ".join(f"{s}: {references[s]:.6f}" for s in shown))
print("extrapolated to zero noise: " + ", ".join(f"{k} {v:.6f}" for k, v in fits.items())
      + f"; noiseless {ideal:.6f}")

# %%
lam = np.linspace(0, max(shown), 200)
fig, ax = plt.subplots(figsize=(7.5, 4.5))
curves = {
    "Richardson (degree 2)": np.polyval(np.polyfit(SCALES, points, 2), lam),
    "linear": np.polyval(np.polyfit(SCALES, points, 1), lam),
    # the exponential fit is a straight line through log(-E): E(lambda) = -exp(a + b lambda)
    "exponential": -np.exp(np.polyval(np.polyfit(SCALES, np.log(-np.array(points)), 1), lam)),
}
for (name, curve), style in zip(curves.items(), ("-", "--", ":"), strict=True):
    ax.plot(lam, curve, style, label=f"{name} fit -> {fits[name]:.4f}")
ax.plot(SCALES, points, "o", color="black", markersize=8, label="qoro.maestro, used by the fits")
extra = [s for s in shown if s not in SCALES]
ax.plot(extra, [measured[s] for s in extra], "o", color="black", markerfacecolor="none",
        markersize=8, label="qoro.maestro, not used")
ax.plot(shown, [references[s] for s in shown], "x", color="tab:red", markersize=7,
        label="default.mixed + add_noise")
ax.plot(0, ideal, "*", color="gold", markeredgecolor="black", markersize=16,
        label=f"noiseless ({ideal:.4f})")
ax.axhline(exact, color="tab:red", linestyle="--", linewidth=0.8,
           label=f"exact ground state ({exact:.4f})")
ax.set_xlabel(r"noise scale factor $\lambda$ (global folding)")
ax.set_ylabel(r"energy $E(\lambda)$")
ax.set_title("Zero-noise extrapolation at the trained parameters")
ax.legend(fontsize="small", loc="upper left")
save(fig, "05_zne_extrapolation.png")

# %% [markdown]
# ## Going further
#
# * Other noise: amplitude damping and thermal relaxation (`qml.AmplitudeDamping`,
#   `qml.ThermalRelaxationError`), readout errors (a `meas_map` in the model, with shots);
#   `pennylane_qoro.noise.NoiseBuilder` reaches all of Maestro's noise families, such as
#   crosstalk and correlated noise. The README's "Noisy simulation" section lists what maps.
# * Larger circuits: `method="statevector"` or `"mps"` simulates the noise by trajectories;
#   `noise_realizations=` sets how many, `noise_seed=` makes the runs repeat exactly.
