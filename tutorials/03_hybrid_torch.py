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
# # A hybrid quantum-classical classifier with PyTorch
#
# We train a small torch model whose first layer is a 2-qubit circuit run on `qoro.maestro`
# (`qml.qnn.TorchLayer`), followed by an ordinary `torch.nn.Linear` layer, to separate the
# two interleaved half-moons of a toy data set. Gradients of the circuit come from the
# parameter-shift rule, so every `loss.backward()` is one Qoro job.
#
# `QORO_TUTORIAL_FAST=1` trains on fewer points for fewer epochs.

# %%

import numpy as np
import pennylane as qml
import torch
from _figures import FAST, plt, save  # tutorials/_figures.py: backend, folder

N_TRAIN, N_TEST = (40, 40) if FAST else (100, 60)
EPOCHS = 3 if FAST else 12
BATCH_SIZE = 10 if FAST else 20
GRID = 12 if FAST else 30  # decision-boundary grid: GRID x GRID points
N_QUBITS, N_LAYERS = 2, 2
torch.manual_seed(0)


# %% [markdown]
# ## Data: two moons, made with numpy
#
# Two noisy half circles, one per class. We standardise the features so that they make
# sensible rotation angles.

# %%
def make_moons(n, noise, rng):
    """``n`` points on two interleaved half circles with Gaussian noise; labels 0 and 1."""
    n0 = n // 2
    t0 = rng.uniform(0, np.pi, n0)
    t1 = rng.uniform(0, np.pi, n - n0)
    upper = np.c_[np.cos(t0), np.sin(t0)]
    lower = np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]
    x = np.vstack([upper, lower]) + rng.normal(0, noise, (n, 2))
    y = np.r_[np.zeros(n0), np.ones(n - n0)]
    return x, y


rng = np.random.default_rng(seed=0)
x_all, y_all = make_moons(N_TRAIN + N_TEST, noise=0.1, rng=rng)
order = rng.permutation(N_TRAIN + N_TEST)  # the moons come out one class after the other
x_all, y_all = x_all[order], y_all[order]
mean, std = x_all[:N_TRAIN].mean(axis=0), x_all[:N_TRAIN].std(axis=0)
x_all = (x_all - mean) / std  # statistics of the training points only
x_train = torch.tensor(x_all[:N_TRAIN], dtype=torch.float32)
x_test = torch.tensor(x_all[N_TRAIN:], dtype=torch.float32)
y_train = torch.tensor(y_all[:N_TRAIN], dtype=torch.long)
y_test = torch.tensor(y_all[N_TRAIN:], dtype=torch.long)
print(f"two moons: {N_TRAIN} training and {N_TEST} test points")

# %% [markdown]
# ## The quantum layer
#
# A *data re-uploading* circuit: each of the `N_LAYERS` blocks encodes the two features as
# $R_Y$ angles (`qml.AngleEmbedding`) and then applies a trainable entangling layer
# (`qml.StronglyEntanglingLayers`). Re-uploading the data makes the circuit's output a
# non-linear function of the input, which the moons need. The circuit returns
# $\langle Z_0\rangle, \langle Z_1\rangle$; a linear layer turns them into two class scores.
#
# `TorchLayer` calls the QNode with the whole mini-batch at once: the inputs are
# *broadcast*, and the device sends all of them as parameter rows of a single job.

# %%
dev = qml.device("qoro.maestro", wires=N_QUBITS)


def reuploading_circuit(inputs, weights):
    for layer in range(N_LAYERS):
        qml.AngleEmbedding(inputs, wires=range(N_QUBITS), rotation="Y")
        qml.StronglyEntanglingLayers(weights[layer : layer + 1], wires=range(N_QUBITS))
    return [qml.expval(qml.Z(i)) for i in range(N_QUBITS)]


circuit = qml.QNode(reuploading_circuit, dev, interface="torch", diff_method="parameter-shift")
weight_shapes = {"weights": (N_LAYERS, N_QUBITS, 3)}
model = torch.nn.Sequential(
    qml.qnn.TorchLayer(circuit, weight_shapes),
    torch.nn.Linear(N_QUBITS, 2),
)
print(model)

# %% [markdown]
# ### Why the inputs go straight into the circuit
#
# The data enter the circuit directly, as plain (non-trainable) inputs. If you put a
# trainable layer *in front* of the `TorchLayer` (say `torch.nn.Linear(2, 2)`), its outputs
# become trainable *broadcast* parameters, and PennyLane's parameter-shift transform refuses to
# differentiate those ([PennyLane issue #4462](https://github.com/PennyLaneAI/pennylane/issues/4462):
# `NotImplementedError: Computing the gradient of broadcasted tapes ...`). Two ways around it:
#
# * wrap the QNode in `qml.transforms.broadcast_expand`, which splits the batch into one
#   circuit per sample *before* the gradient transform; the device still sends the forward
#   pass and the gradient as one job each;
# * or use `diff_method="device"`: the device applies the parameter-shift rule itself and
#   sends the forward circuits and all shifted circuits in **one** job per training step.
#   Mind that, by default, a forward-only call with trainable weights then computes the
#   gradient too, even under `torch.no_grad()` (pass `grad_on_execution=False` to the QNode
#   to keep evaluation cheap, at the price of two jobs per step).
#
# One training step on 8 points with a `Linear` layer in front, both ways:

# %%
def front_model(qnode):
    """Linear -> quantum layer -> Linear, with the given QNode in the middle."""
    return torch.nn.Sequential(
        torch.nn.Linear(2, 2), qml.qnn.TorchLayer(qnode, weight_shapes), torch.nn.Linear(2, 2)
    )


variants = {
    "parameter-shift + broadcast_expand": qml.transforms.broadcast_expand(
        qml.QNode(reuploading_circuit, dev, interface="torch", diff_method="parameter-shift")
    ),
    "diff_method='device'": qml.QNode(
        reuploading_circuit, dev, interface="torch", diff_method="device"
    ),
}
for name, qnode in variants.items():
    with qml.Tracker(dev) as tracker:
        step_loss = torch.nn.functional.cross_entropy(front_model(qnode)(x_train[:8]),
                                                      y_train[:8])
        step_loss.backward()
    calls = zip(tracker.history["circuits"], tracker.history["jobs"], strict=True)
    print(f"Linear in front, {name}: "
          + ", ".join(f"{c} circuit(s) -> {j} job" for c, j in calls))

# %% [markdown]
# ## Training
#
# Cross-entropy loss, Adam, mini-batches. Each step is two jobs: the forward pass (one row
# per sample) and the parameter-shift gradient (two shifted rows per weight and sample).
# The training accuracy is read from the forward passes; the test accuracy is measured on
# held-out points after each epoch.

# %%
torch.manual_seed(0)  # the mini-batch order, independent of the demonstration above
optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
loss_fn = torch.nn.CrossEntropyLoss()
losses, train_accuracies, test_accuracies = [], [], []

for epoch in range(EPOCHS):
    permutation = torch.randperm(N_TRAIN)
    total_loss, correct = 0.0, 0
    for start in range(0, N_TRAIN, BATCH_SIZE):
        idx = permutation[start : start + BATCH_SIZE]
        optimizer.zero_grad()
        scores = model(x_train[idx])
        loss = loss_fn(scores, y_train[idx])
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(idx)
        correct += (scores.argmax(dim=1) == y_train[idx]).sum().item()
    with torch.no_grad():
        test_accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
    losses.append(total_loss / N_TRAIN)
    train_accuracies.append(correct / N_TRAIN)
    test_accuracies.append(test_accuracy)
    print(f"epoch {epoch + 1:2d}/{EPOCHS}: loss {losses[-1]:.4f}, "
          f"train accuracy {100 * train_accuracies[-1]:.1f}%, "
          f"test accuracy {100 * test_accuracies[-1]:.1f}%")

print(f"final: loss {losses[0]:.4f} -> {losses[-1]:.4f}, "
      f"test accuracy {100 * test_accuracies[-1]:.1f}%")

# %%
epochs = np.arange(1, EPOCHS + 1)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
ax1.plot(epochs, losses, marker="o", label="training loss")
ax1.set_xlabel("epoch")
ax1.set_ylabel("cross-entropy loss")
ax1.set_title("Loss")
ax1.legend()
ax2.plot(epochs, 100 * np.array(train_accuracies), marker="o", label="training (during epoch)")
ax2.plot(epochs, 100 * np.array(test_accuracies), marker="s", label="test (after epoch)")
ax2.set_xlabel("epoch")
ax2.set_ylabel("accuracy (%)")
ax2.set_ylim(0, 105)
ax2.set_title("Accuracy")
ax2.legend(loc="lower right")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)
    ax.xaxis.get_major_locator().set_params(integer=True)
fig.tight_layout()
save(fig, "03_training_curves.png")

# %% [markdown]
# ## Decision boundary
#
# The model's probability of class 1 on a grid over the input plane. All `GRID` x `GRID`
# grid points go through the quantum layer in one forward pass: one job.

# %%
low, high = x_all.min(axis=0) - 0.5, x_all.max(axis=0) + 0.5
gx, gy = np.meshgrid(np.linspace(low[0], high[0], GRID), np.linspace(low[1], high[1], GRID))
grid = torch.tensor(np.c_[gx.ravel(), gy.ravel()], dtype=torch.float32)
with torch.no_grad(), qml.Tracker(dev) as tracker:
    probability = torch.softmax(model(grid), dim=1)[:, 1].numpy().reshape(GRID, GRID)
print(f"decision boundary: {GRID * GRID} grid points in {tracker.totals['jobs']} job(s)")

fig, ax = plt.subplots(figsize=(6, 5))
contour = ax.contourf(gx, gy, probability, levels=np.linspace(0, 1, 11), cmap="RdBu_r",
                      alpha=0.45)
ax.contour(gx, gy, probability, levels=[0.5], colors="black", linewidths=1.5)
fig.colorbar(contour, ax=ax, label="P(class 1)")
for label, color in ((0, "tab:blue"), (1, "tab:red")):
    train = y_train.numpy() == label
    test = y_test.numpy() == label
    ax.scatter(*x_train.numpy()[train].T, c=color, edgecolors="black", linewidths=0.5, s=30,
               label=f"class {label} (train)")
    ax.scatter(*x_test.numpy()[test].T, facecolors="none", edgecolors=color, linewidths=1.5,
               marker="s", s=36, label=f"class {label} (test)")
ax.set_xlabel("feature 1 (standardised)")
ax.set_ylabel("feature 2 (standardised)")
ax.set_title("Decision boundary (black line: P = 0.5)")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=4, fontsize="small")
save(fig, "03_decision_boundary.png")
