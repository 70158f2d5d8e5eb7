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
# # MaxCut with QAOA, characterized first
#
# Before spending quantum resources on an optimisation problem it pays to ask: how hard is
# it, and is QAOA a sensible tool for it? `pennylane_qoro.characterize` sends the problem to
# the Qoro service (cloud, or the embedded local service) and returns a hardness analysis, a
# report on the p=1 QAOA landscape, and recommendations. Then we run QAOA on
# `qoro.maestro`:
#
# 1. characterize the MaxCut problem of a 6-node graph,
# 2. map the p=1 energy landscape (the whole grid is **one** job),
# 3. sample cuts at the recommended angles and after optimising a p=2 circuit,
# 4. compare the cut distributions with random guessing.
#
# `QORO_TUTORIAL_FAST=1` uses a coarser grid and fewer optimisation steps.

# %%

import networkx as nx
import numpy as np
import pennylane as qml
from _figures import FAST, plt, save  # tutorials/_figures.py: backend, folder
from pennylane import numpy as pnp

from pennylane_qoro import characterize

GRID = 12 if FAST else 40  # landscape grid: GRID x GRID (gamma, beta) points
STEPS = 10 if FAST else 30  # p=2 optimisation steps
SHOTS = 2000


# %% [markdown]
# ## The problem
#
# MaxCut on the triangular prism: two triangles joined by three edges. A *cut* splits the
# nodes into two groups (bit 0 or 1 per node) and its value is the number of edges between
# the groups. `qml.qaoa.maxcut` builds the cost Hamiltonian $C = \sum_{(i,j)} \tfrac12
# (Z_iZ_j - 1)$, whose energy is minus the cut value, and the usual $X$ mixer.
#
# With 6 nodes we can also list all $2^6$ cuts by brute force, to check the answers.

# %%
edges = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (0, 3), (1, 4), (2, 5)]
graph = nx.Graph(edges)
n_wires = graph.number_of_nodes()
cost_h, mixer_h = qml.qaoa.maxcut(graph)


def cut_value(bits):
    """Number of edges whose ends are on different sides; ``bits[i]`` is node i's side."""
    return sum(bits[i] != bits[j] for i, j in edges)


all_cuts = np.array([cut_value(format(k, f"0{n_wires}b")) for k in range(2**n_wires)])
max_cut = int(all_cuts.max())
print(f"graph: {n_wires} nodes, {len(edges)} edges; brute force: maximum cut {max_cut}, "
      f"reached by {int((all_cuts == max_cut).sum())} of {2**n_wires} assignments")

# %% [markdown]
# ## 1. Characterize
#
# `characterize` accepts the PennyLane cost Hamiltonian directly. `preset="deep"` is the
# preset that includes the hardness analysis. Like the device, it runs on the embedded
# service when no API key is configured (with a warning), and on the Qoro cloud otherwise.
# In Jupyter, displaying `result` shows the service's HTML report.

# %%
result = characterize(cost_h, preset="deep")
print(result)

# %%
score = result.hardness_score  # the local engine's 0-100 index; the cloud reports none
print(f"hardness: difficulty {result.difficulty!r}"
      + (f", index {score:.0f}/100" if score is not None else "")
      + f", {result.ground_state_degeneracy} optimal assignments, "
      f"treewidth estimate {result.treewidth_estimate}")
print(f"best energy known to the service: {result.best_energy:g} (maximum cut "
      f"{-result.best_energy:g}); p=1 approximation ratio {result.approximation_ratio:.3f}")
gamma_c, beta_c = result.best_parameters["gamma"], result.best_parameters["beta"]
print(f"recommended p=1 angles: gamma={gamma_c:.4f}, beta={beta_c:.4f}")

# %% [markdown]
# Read the recommendations: this instance is **easy**. It has a small treewidth, so a
# classical dynamic program solves it exactly, and every cut has the same value as its
# complement, a symmetry the $X$ mixer cannot break. QAOA is not the right tool for the
# *answer* here; it is a good small example to see how QAOA behaves, which is what we do next.
# The characterization also hands us good p=1 angles to start from.
#
# ## 2. The p=1 landscape in one job
#
# The p=1 QAOA state is $e^{-i\beta B}e^{-i\gamma C}|{+}\rangle^{\otimes 6}$. We evaluate
# $\langle C\rangle$ on a whole grid of $(\gamma, \beta)$ values by passing arrays: PennyLane
# *broadcasts* the circuit, and the device sends all grid points as parameter rows of a single
# EXPECTATION job.
#
# For MaxCut the landscape repeats in $\beta$ with period $\pi/2$ (flipping every bit does not
# change a cut), so $\gamma \in [0, \pi]$, $\beta \in [0, \pi/2]$ shows everything.

# %%
dev = qml.device("qoro.maestro", wires=n_wires, seed=2024)


def qaoa_circuit(params):
    """p = len(params) // 2 QAOA layers; params = [gamma_1, beta_1, gamma_2, beta_2, ...]."""
    for wire in range(n_wires):
        qml.Hadamard(wires=wire)
    for layer in range(len(params) // 2):
        qml.qaoa.cost_layer(params[2 * layer], cost_h)
        qml.qaoa.mixer_layer(params[2 * layer + 1], mixer_h)


@qml.qnode(dev, diff_method="parameter-shift")
def energy(params):
    qaoa_circuit(params)
    return qml.expval(cost_h)


gammas = np.linspace(0, np.pi, GRID)
betas = np.linspace(0, np.pi / 2, GRID)
gg, bb = np.meshgrid(gammas, betas, indexing="ij")
with qml.Tracker(dev) as tracker:
    landscape = np.asarray(energy(np.array([gg.ravel(), bb.ravel()]))).reshape(GRID, GRID)
i, j = np.unravel_index(landscape.argmin(), landscape.shape)
print(f"p=1 landscape: {GRID * GRID} points in {tracker.totals['jobs']} job(s); "
      f"grid minimum {landscape[i, j]:.4f} at gamma={gammas[i]:.3f}, beta={betas[j]:.3f}")
e_recommended = float(energy(np.array([gamma_c, beta_c])))
print(f"<C> at the recommended angles: {e_recommended:.4f} "
      f"(the service reported {result.best_parameters.get('expectation', float('nan')):.4f})")

# %%
fig, ax = plt.subplots(figsize=(6.4, 5))
image = ax.pcolormesh(gammas, betas, landscape.T, shading="auto", cmap="viridis")
fig.colorbar(image, ax=ax, label=r"$\langle C\rangle$ = minus the expected cut")
ax.plot(gammas[i], betas[j], marker="o", markersize=20, markeredgewidth=2, color="red",
        markerfacecolor="none", linestyle="none", label="grid minimum")
ax.plot(gamma_c, beta_c, marker="*", markersize=14, color="white", markeredgecolor="black",
        linestyle="none", label="characterization's best angles")
ax.set_xlabel(r"$\gamma$ (cost layer)")
ax.set_ylabel(r"$\beta$ (mixer layer)")
ax.set_title(f"p=1 QAOA energy landscape, {GRID}x{GRID} grid, one job")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize="small",
          markerscale=0.7)
save(fig, "04_qaoa_landscape.png")

# %% [markdown]
# ## 3. Sampling cuts
#
# With shots the device runs an EXECUTE job and returns measured bitstrings; bit $i$ is
# node $i$'s side of the cut. We sample the p=1 circuit at the recommended angles.
#
# Then we add a second layer. `result.qaoa_initial_params(layers=2)` gives a starting point
# (the p=1 angles repeated), and gradient descent with parameter-shift improves it; each
# gradient is one job.

# %%
@qml.set_shots(SHOTS)
@qml.qnode(dev)
def sample_cuts(params):
    qaoa_circuit(params)
    return qml.counts()


def cut_distribution(counts):
    """Fraction of shots per cut value 0..len(edges)."""
    hist = np.zeros(len(edges) + 1)
    for bits, count in counts.items():
        hist[cut_value(str(bits))] += int(count)
    return hist / hist.sum()


p1_params = np.array([gamma_c, beta_c])
p1_dist = cut_distribution(sample_cuts(p1_params))

params = pnp.array(result.qaoa_initial_params(layers=2)[0], requires_grad=True)
opt = qml.GradientDescentOptimizer(stepsize=0.05)
start_energy = float(energy(params))
for _ in range(STEPS):
    params, _value = opt.step_and_cost(energy, params)
p2_energy = float(energy(params))
print(f"p=2: <C> {start_energy:.4f} -> {p2_energy:.4f} after {STEPS} gradient steps, "
      f"angles {np.round(params, 3).tolist()}")
p2_dist = cut_distribution(sample_cuts(params))

random_dist = np.bincount(all_cuts, minlength=len(edges) + 1) / 2**n_wires
for name, dist in (("random guess", random_dist), ("QAOA p=1", p1_dist), ("QAOA p=2", p2_dist)):
    mean_cut = float(np.dot(np.arange(len(dist)), dist))
    print(f"{name:12s}: P(maximum cut {max_cut}) = {dist[max_cut]:.3f}, mean cut {mean_cut:.2f}")

# %%
values = np.arange(max_cut + 1)  # no assignment cuts more edges than the maximum cut
width = 0.27
fig, ax = plt.subplots(figsize=(7.5, 4))
ax.bar(values - width, random_dist[values], width, label="random guess (exact)",
       color="tab:gray")
ax.bar(values, p1_dist[values], width, label=f"QAOA p=1, recommended angles ({SHOTS} shots)",
       color="tab:blue")
ax.bar(values + width, p2_dist[values], width, label=f"QAOA p=2, optimised ({SHOTS} shots)",
       color="tab:orange")
# the label sits below the legend, in the empty middle of the plot, its arrow on the top of
# the taller QAOA bar at the maximum cut
tallest = max((p1_dist[max_cut], 0.0), (p2_dist[max_cut], width))
ax.annotate(f"maximum cut ({max_cut})", xy=(max_cut + tallest[1], tallest[0]),
            xytext=(max_cut - 3.5, 0.62), arrowprops={"arrowstyle": "->"})
ax.set_xlim(-0.6, max_cut + 0.6)
ax.set_xticks(values)
ax.set_xlabel("cut value (edges between the two groups)")
ax.set_ylabel("probability")
ax.set_ylim(0, 1)
ax.set_title("Sampled cut distribution on qoro.maestro")
ax.legend(loc="upper left", fontsize="small")
save(fig, "04_cut_distribution.png")
