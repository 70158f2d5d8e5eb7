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
# # Quick start: PennyLane on Qoro's Maestro simulator
#
# `pennylane-qoro` adds one PennyLane device, `qoro.maestro`. It runs your circuits as
# jobs on the Qoro Quantum cloud, or, when you have no Qoro account, on an **embedded
# local service** that speaks the same protocol and runs the same Maestro simulator on
# your machine.
#
# This tutorial
#
# 1. creates the device (no account needed),
# 2. samples a Bell state,
# 3. computes an expectation value and its parameter-shift gradient,
# 4. uses `qml.Tracker` to count the Qoro jobs a gradient costs (**one** with
#    `diff_method="device"`),
# 5. shows how to switch to the Qoro cloud.
#
# Run it as a script (`python tutorials/01_quickstart.py`) or open it as a notebook
# (VS Code, or `jupytext --to notebook tutorials/01_quickstart.py`). Figures are written to
# `tutorials/figures/`.

# %%

import numpy as np
import pennylane as qml
from _figures import plt, save  # tutorials/_figures.py: backend, folder
from pennylane import numpy as pnp

import pennylane_qoro

SHOTS = 1000


print(f"pennylane-qoro {pennylane_qoro.__version__}, PennyLane {qml.__version__}")

# %% [markdown]
# ## 1. Create the device
#
# With no API key anywhere, `qml.device("qoro.maestro", ...)` starts the embedded local
# service in a background thread (once per process, on `127.0.0.1` with a free port) and
# warns once that it did so. Nothing to install or configure besides
# the `[local]` extra (`pip install ".[local]"` in a clone; README, "Installation").

# %%
dev = qml.device("qoro.maestro", wires=2)

service = dev.client.ping().get("service", "")
where = "embedded local service" if service == "qoro-local" else "Qoro cloud"
print(f"device: {dev.name} on the {where} at {dev.client.url}")

# %% [markdown]
# ## 2. A Bell state
#
# A Hadamard and a CNOT entangle two qubits: measuring them gives `00` or `11`, each half
# of the time, and never `01` or `10`. `qml.set_shots` asks for 1000 samples; the device
# sends the circuit as one job and builds the counts from the histogram the service returns.

# %%
@qml.set_shots(SHOTS)
@qml.qnode(dev)
def bell():
    qml.Hadamard(wires=0)
    qml.CNOT(wires=[0, 1])
    return qml.counts()


counts = {str(k): int(v) for k, v in sorted(bell().items())}
print(f"Bell state counts ({SHOTS} shots): {counts}")

# %%
outcomes = ["00", "01", "10", "11"]
fig, ax = plt.subplots(figsize=(5, 3.5))
bars = ax.bar(outcomes, [counts.get(o, 0) for o in outcomes], color="tab:blue",
              label="measured on qoro.maestro")
ax.bar_label(bars, padding=2)
ax.scatter(outcomes, [SHOTS / 2, 0, 0, SHOTS / 2], marker="_", s=900, color="black", zorder=3,
           label="ideal: 50% each of 00 and 11")
ax.set_xlabel("outcome (wire 0, wire 1)")
ax.set_ylabel(f"counts out of {SHOTS} shots")
ax.set_title("Bell state (H, CNOT)")
ax.set_ylim(0, SHOTS * 0.7)
ax.legend(loc="upper center", fontsize="small", markerscale=0.4)
save(fig, "01_bell_counts.png")

# %% [markdown]
# ## 3. An expectation value and its gradient
#
# Without shots the device is *analytic*: it sends the circuit with the Pauli words of the
# observable in an EXPECTATION job and the service returns exact expectation values.
#
# For $R_X(\theta_0)$ on wire 0, $R_Y(\theta_1)$ on wire 1, then a CNOT,
# $\langle Z_1\rangle = \cos\theta_0\cos\theta_1$, so we can check both the value and the
# gradient by hand. Gradients use the parameter-shift rule: the circuit is evaluated again at
# $\theta_i \pm \pi/2$, 2 shifted circuits per parameter.

# %%
@qml.qnode(dev)
def circuit(theta):
    qml.RX(theta[0], wires=0)
    qml.RY(theta[1], wires=1)
    qml.CNOT(wires=[0, 1])
    return qml.expval(qml.Z(1))


theta = pnp.array([0.4, 0.9], requires_grad=True)
value = circuit(theta)
exact_value = np.cos(theta[0]) * np.cos(theta[1])
print(f"<Z1> at theta={theta.tolist()}: {float(value):.6f} (exact {float(exact_value):.6f})")

# %% [markdown]
# ## 4. One job per gradient
#
# `qml.Tracker` records every call PennyLane makes to the device and the Qoro jobs it cost.
# With `diff_method="device"` the device applies the parameter-shift rule itself and computes
# the gradient together with the value: the forward circuit and the 4 shifted circuits
# travel in **one** job, as one circuit *template* with named parameters plus one row of
# values per circuit. One job per gradient step is what you want in a training loop.

# %%
def show(tracker):
    """One line per device call: how many circuits it ran and in how many Qoro jobs."""
    calls = zip(tracker.history["circuits"], tracker.history["jobs"], strict=True)
    for i, (n_circuits, n_jobs) in enumerate(calls, start=1):
        print(f"  device call {i}: {n_circuits} circuit(s) -> {n_jobs} job(s)")


circuit_device = qml.QNode(circuit.func, dev, diff_method="device")
with qml.Tracker(dev) as tracker:
    gradient = qml.grad(circuit_device)(theta)

exact_gradient = [-np.sin(theta[0]) * np.cos(theta[1]), -np.cos(theta[0]) * np.sin(theta[1])]
print(f"gradient (parameter-shift): {np.round(gradient, 6).tolist()}")
print(f"gradient (exact):           {np.round(exact_gradient, 6).tolist()}")
print(f"tracker, diff_method='device': {tracker.totals['jobs']} job(s), "
      f"{tracker.totals['circuits']} circuit(s)")
show(tracker)
print(f"Qoro job ids: {tracker.history['qoro_job_ids']}")

# %% [markdown]
# The default, `diff_method="best"`, also lets the device compute the gradient, but only
# when one is asked for: the forward pass is a job of one circuit, and the gradient one more
# job (the forward and the 4 shifted circuits). A gradient step costs two jobs, and in
# exchange a plain call such as `circuit(theta)` never pays for shifted circuits. With
# `diff_method="device"` every call with trainable parameters computes the gradient in
# advance, also when nobody asks for it. On the Qoro cloud every circuit costs credits, so
# pick `"device"` for training loops and keep the default for evaluation.

# %%
with qml.Tracker(dev) as tracker:
    gradient_best = qml.grad(circuit)(theta)
print(f"tracker, diff_method='best' (the default): {tracker.totals['jobs']} job(s), "
      f"{tracker.totals['circuits']} circuit(s), same gradient: "
      f"{bool(np.allclose(gradient_best, gradient))}")
show(tracker)
for name, qnode in (("best", circuit), ("device", circuit_device)):
    with qml.Tracker(dev) as tracker:
        qnode(theta)
    print(f"a plain call, diff_method='{name}': {tracker.totals['circuits']} circuit(s) in "
          f"{tracker.totals['jobs']} job(s)")

# %% [markdown]
# If you ask for PennyLane's own parameter-shift transform instead, PennyLane builds the
# shifted circuits and calls the device twice: the forward pass, then the *gradient batch*
# of 4 circuits. The device still sends each batch as one job.

# %%
circuit_ps = qml.QNode(circuit.func, dev, diff_method="parameter-shift")
with qml.Tracker(dev) as tracker:
    gradient_ps = qml.grad(circuit_ps)(theta)
print(f"tracker, diff_method='parameter-shift': {tracker.totals['jobs']} job(s), "
      f"{tracker.totals['circuits']} circuit(s), same gradient: "
      f"{bool(np.allclose(gradient_ps, gradient))}")
show(tracker)

# %% [markdown]
# With P trainable parameters a gradient needs 2P shifted circuits, and they always share one
# job: that is what makes training on a remote service practical.
#
# ## 5. Using the Qoro cloud
#
# Everything above ran on the embedded service because no API key was found. To run the
# *same code* on Qoro's cloud, give the device your API key; nothing else changes:
#
# ```python
# dev = qml.device("qoro.maestro", wires=2, api_key="<your key>")
# ```
#
# or keep `qml.device("qoro.maestro", wires=2)` and either put the line
# `QORO_API_KEY=<your key>` in a `.env` file in your working directory (or one of its
# parents), or export `QORO_API_KEY` in your environment. The key is never printed or
# logged.
#
# Other options you may want (see `help(pennylane_qoro.QoroDevice)`):
#
# * `target="..."`: a simulator cluster or QPU system name (default `"qoro_maestro"`);
# * `method="mps"`, `max_bond_dimension=64`: Maestro's simulation method;
# * `seed=1234`: reproducible sampling; `timeout=60`: seconds to wait for each job;
# * `url="local"` (or `QORO_API_URL=local`): use the embedded service even when a key is
#   set, and silence the warning.
#
# You can also run the local service as its own process (`qoro-local serve`) and point
# the device at it with `url="http://127.0.0.1:8080/api"` and a token from
# `qoro-local token create`.

# %%
print("done: the same code runs on the Qoro cloud once QORO_API_KEY is set")
