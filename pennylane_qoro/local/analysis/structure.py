"""The problem's structure: graph, reductions, matrix and certificates (characterization.md §3.5).

Owns the interaction graph (edges, components, treewidth estimate), the switching test for
submodularity, first-order persistencies, the QUBO matrix metrics and :func:`structure`, the
stage that fills ``report.local.structure`` with them, the Walsh metrics of :mod:`.ising`
(mean, spread, autocorrelation, flip symmetry, §3.6) and the easy-case witnesses; and
:func:`frustration`, the share of couplings unsatisfied at the best-known state.

Imports numpy, scipy, networkx (lazily), ``protocol`` and this package only.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import scipy.sparse as sp

from ...protocol.polynomial import eigen_noise_floor, qubo_matrix
from .ising import frustrated_triangles, ising_form
from .polynomial import Polynomial
from .state import AnalysisState, Budget


def interaction_edges(poly: Polynomial) -> np.ndarray:
    """Unique undirected edges (i < j) of the primal graph (every pair inside a monomial)."""
    parts = []
    for idx, _ in poly.groups:
        d = idx.shape[1]
        for p, q in itertools.combinations(range(d), 2):
            parts.append(idx[:, [p, q]])
    if not parts:
        return np.zeros((0, 2), dtype=np.int64)
    e = np.concatenate(parts)
    keys = np.unique(e[:, 0] * poly.n + e[:, 1])
    return np.stack([keys // poly.n, keys % poly.n], axis=1)


def components(n: int, edges: np.ndarray) -> np.ndarray:
    """Connected-component label of every variable."""
    from scipy.sparse.csgraph import connected_components

    A = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, labels = connected_components(A, directed=False)
    return labels


def treewidth_estimate(n: int, edges: np.ndarray) -> tuple[int | None, str | None]:
    """Min-fill (small graphs) or min-degree upper bound on the treewidth (networkx)."""
    if len(edges) == 0:
        return 0, "no_couplings"
    if n * len(edges) > 2e7:  # min-degree on networkx costs seconds beyond this
        return None, None
    import networkx as nx
    from networkx.algorithms.approximation import treewidth_min_degree, treewidth_min_fill_in

    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from(edges.tolist())
    if n * len(edges) <= 2e5:
        return int(treewidth_min_fill_in(G)[0]), "min_fill_in"
    return int(treewidth_min_degree(G)[0]), "min_degree"


def is_balanced(n: int, edges: np.ndarray, weights: np.ndarray) -> bool:
    """True when flipping a subset of variables makes every coupling <= 0 (§3.5).

    b > 0 needs exactly one endpoint flipped, b < 0 both or none: a signed 2-colouring.
    """
    colour = -np.ones(n, dtype=np.int64)
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for (i, j), w in zip(edges.tolist(), weights.tolist(), strict=True):
        s = 1 if w > 0 else 0
        adj[i].append((j, s))
        adj[j].append((i, s))
    for start in range(n):
        if colour[start] >= 0:
            continue
        colour[start] = 0
        stack = [start]
        while stack:
            u = stack.pop()
            for v, s in adj[u]:
                want = colour[u] ^ s
                if colour[v] < 0:
                    colour[v] = want
                    stack.append(v)
                elif colour[v] != want:
                    return False
    return True


def persistencies(poly: Polynomial, max_rounds: int = 1000) -> tuple[np.ndarray, int]:
    """First-order dominance fixings iterated to a fixed point (§3.5).

    Returns (state per variable: -1 free, 0 or 1 fixed, and how many fixings hold in every
    optimum). x_i = 0 keeps an optimum when dE/dx_i >= 0 for every completion; x_i = 1 when
    dE/dx_i <= 0; the fixing is strict (all optima) when the inequality is strict.
    """
    n = poly.n
    state = -np.ones(n, dtype=np.int64)
    strict = 0
    for _ in range(max_rounds):
        free = state < 0
        lo = poly.linear.copy()
        hi = poly.linear.copy()
        for idx, coef in poly.groups:
            st = state[idx]
            alive = ~(st == 0).any(axis=1)
            nfree = (st < 0).sum(axis=1)
            for p in range(idx.shape[1]):
                sel = alive & (st[:, p] < 0)
                if not sel.any():
                    continue
                definite = nfree[sel] == 1
                c = coef[sel]
                tgt = idx[sel, p]
                lo_c = np.where(definite, c, np.minimum(0.0, c))
                hi_c = np.where(definite, c, np.maximum(0.0, c))
                lo += np.bincount(tgt, lo_c, minlength=n)
                hi += np.bincount(tgt, hi_c, minlength=n)
        to0 = free & (lo >= 0.0)
        to1 = free & ~to0 & (hi <= 0.0)
        if not (to0.any() or to1.any()):
            break
        strict += int(np.count_nonzero(to0 & (lo > 0.0)) + np.count_nonzero(to1 & (hi < 0.0)))
        state[to0] = 0
        state[to1] = 1
    return state, strict


def matrix_metrics(poly: Polynomial) -> dict:
    """PSD, rank, condition number and spectral gap of the symmetric QUBO matrix (§3.5).

    Always numbers (the cloud's ``matrix_*`` fields are JSON numbers, which carry neither
    ``null`` nor ``Infinity``), by these conventions:

    * ``matrix_condition_number`` is max|lambda| / min|lambda| over the NONZERO eigenvalues
      (|lambda| above :func:`eigen_noise_floor`): the condition number of Q on its range,
      ||Q|| ||Q^+||. For a non-singular Q it is the usual condition number; a singular Q
      (every MaxCut QUBO) gets the finite value of its non-degenerate part, and ``rank < n``
      says it is singular. A Q with no nonzero eigenvalue gets 1.0.
    * ``matrix_spectral_gap`` is lambda_1 - lambda_0 (0.0 for one variable).
    * A HUBO's metrics are those of its degree <= 2 part (the terms a QUBO matrix holds).

    >>> from pennylane_qoro.local.analysis.polynomial import Polynomial
    >>> singular = Polynomial.from_terms(2, {(0,): -1.0, (1,): -1.0, (0, 1): 2.0})
    >>> m = matrix_metrics(singular)  # Q = [[-1, 1], [1, -1]]: eigenvalues -2 and 0
    >>> m["rank"], m["matrix_condition_number"], m["matrix_spectral_gap"], m["is_psd"]
    (1, 1.0, 2.0, False)
    """
    groups = tuple((idx, coef) for idx, coef in poly.term_groups() if idx.shape[1] <= 2)
    lam = np.linalg.eigvalsh(qubo_matrix(poly.n, groups))
    tol = eigen_noise_floor(lam)
    size = np.abs(lam)
    nz = size > tol
    rank = int(nz.sum())
    cond = float(size[nz].max() / size[nz].min()) if rank else 1.0
    return {
        "is_psd": bool(lam.min() >= -tol),
        "rank": rank,
        "matrix_condition_number": cond,
        "matrix_spectral_gap": float(lam[1] - lam[0]) if lam.size > 1 else 0.0,
    }


def structure(st: AnalysisState, budget: Budget) -> dict:
    """The ``report.local.structure`` table; leaves the edges and the Ising form on ``st``."""
    poly, n = st.poly, st.n
    edges = interaction_edges(poly)
    st.edges = edges
    deg = np.bincount(edges.reshape(-1), minlength=n) if len(edges) else np.zeros(n, int)
    labels = components(n, edges)
    sizes = np.sort(np.bincount(labels))[::-1]
    coefs = poly.coefficients()
    absc = np.abs(coefs)
    ratio = float(absc.max() / absc.min()) if absc.size else None
    pidx, pw = poly.pairs
    st.ising = ising_form(poly)
    tw, tw_method = budget.run("treewidth", lambda: treewidth_estimate(n, edges)) or (None, None)
    fix_state, strict = persistencies(poly)
    free = fix_state < 0
    if free.any():
        keep = free[edges[:, 0]] & free[edges[:, 1]] if len(edges) else np.zeros(0, bool)
        sub_labels = components(n, edges[keep])[free]
        n_eff = int(np.bincount(sub_labels).max())
    else:
        n_eff = 0
    out: dict[str, Any] = {
        "n_variables": n,
        "n_terms": poly.n_terms,
        "terms_by_degree": {str(k): v for k, v in poly.terms_by_degree().items()},
        "degree": poly.degree,
        "n_couplings": len(pw),
        "n_interactions": len(edges),
        "density": len(edges) / (n * (n - 1) / 2) if n > 1 else 0.0,
        "degree_min": int(deg.min()), "degree_mean": float(deg.mean()),
        "degree_max": int(deg.max()),
        "n_components": len(sizes),
        "component_sizes": sizes[:64].tolist(),
        "weight_range": [float(coefs.min()), float(coefs.max())],
        "weight_ratio": ratio,
        "precision_bits": math.log2(ratio) if ratio else None,
        "constant_offset": poly.constant,
        "treewidth_estimate": tw,
        "treewidth_method": tw_method,
        "n_fixable": int(np.count_nonzero(~free)),
        "n_fixed_in_all_optima": strict,
        "fixed_to_0": np.flatnonzero(fix_state == 0)[:256].tolist(),
        "fixed_to_1": np.flatnonzero(fix_state == 1)[:256].tolist(),
        "reduced_n": int(free.sum()),
        "largest_reduced_component": n_eff,
    }
    out.update(matrix_metrics(poly))
    out.update(walsh_metrics(st))
    out.update(_certificates(st, out, pidx, pw))
    return out


def _certificates(st: AnalysisState, s: dict, pidx: np.ndarray, pw: np.ndarray) -> dict:
    poly = st.poly
    wit: list[str] = []
    submodular = balanced = None
    if s["n_interactions"] == 0:
        wit.append("diagonal: no couplings, x_i = [a_i < 0]")
    if poly.is_quadratic and len(pw):
        submodular = bool((pw <= 0).all())
        balanced = submodular or is_balanced(st.n, pidx, pw)
        if submodular:
            wit.append("submodular: every coupling is non-positive (minimum cut)")
        elif balanced:
            wit.append("switching-submodular: flipping a variable subset makes every coupling "
                       "non-positive (minimum cut)")
    tw = s["treewidth_estimate"]
    bounded_tw = tw is not None and tw <= 20
    if bounded_tw and s["n_interactions"]:
        wit.append(f"bounded treewidth: estimate {tw}, at most 20 (dynamic programming)")
    if s["component_sizes"][0] <= st.exact_max_n:
        wit.append(f"every component has at most {st.exact_max_n} variables (enumeration)")
    if s["reduced_n"] == 0:
        wit.append("persistencies fix every variable")
    return {"easy_witnesses": wit, "submodular": submodular, "switching_submodular": balanced,
            "bounded_treewidth": bounded_tw}


def walsh_metrics(st: AnalysisState) -> dict:
    """Mean, spread and 1-flip autocorrelation of E from its Walsh form (§3.6)."""
    ising, n = st.ising, st.n
    if ising is None:
        return {"global_flip_symmetric": None, "mean_energy": None, "std_energy": None,
                "autocorrelation_rho1": None, "correlation_length": None,
                "triangles": None, "frustrated_triangles": None}
    orders, sq = ising.walsh_squares()
    var = float(sq.sum())
    scale = max(float(np.sqrt(sq.max())) if sq.size else 0.0, 1e-300)
    odd = float(np.sqrt(sq[orders % 2 == 1].max())) if (orders % 2 == 1).any() else 0.0
    rho1 = float((sq * (1 - 2 * orders / n)).sum() / var) if var > 0 else None
    corr = -1.0 / math.log(rho1) if rho1 is not None and 0 < rho1 < 1 else None
    tri = frustrated_triangles(n, ising.J_idx, ising.J)
    return {
        "global_flip_symmetric": bool(odd <= 1e-12 * scale),
        "mean_energy": ising.c0,
        "std_energy": math.sqrt(var),
        "autocorrelation_rho1": rho1,
        "correlation_length": corr,
        "triangles": tri[0] if tri else None,
        "frustrated_triangles": tri[1] if tri else None,
    }


def frustration(st: AnalysisState) -> dict:
    """Weighted share of two-body couplings unsatisfied at the best-known state."""
    ising = st.ising
    if ising is None or len(ising.J) == 0:
        return {"frustration_index": None, "frustration_unweighted": None}
    z = 1.0 - 2.0 * st.best_x
    contrib = ising.J * z[ising.J_idx[:, 0]] * z[ising.J_idx[:, 1]]
    bad = contrib > 0
    return {
        "frustration_index": float(np.abs(ising.J[bad]).sum() / np.abs(ising.J).sum()),
        "frustration_unweighted": float(bad.mean()),
    }
