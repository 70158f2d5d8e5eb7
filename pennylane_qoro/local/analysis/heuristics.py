"""Classical heuristics over 0/1 states, vectorised over replicas (characterization.md §3.8).

Owns :class:`FieldBlock` (dE/dx_i for a block of variables), the colour classes of the primal
graph (variables of one class share no term, so they flip together), steepest descent
(incremental for a QUBO) and single-flip simulated annealing.

Imports numpy, scipy, networkx (lazily) and this package only.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .polynomial import Polynomial


class FieldBlock:
    """dE/dx_i for the variables ``S``, vectorised over replicas: a_S + sum of partial terms."""

    def __init__(self, poly: Polynomial, S: np.ndarray):
        self.S = np.asarray(S, dtype=np.int64)
        pos = -np.ones(poly.n, dtype=np.int64)
        pos[self.S] = np.arange(len(self.S))
        self.a = poly.linear[self.S]
        self.parts: list[tuple[np.ndarray, sp.csr_matrix]] = []
        self.dense: np.ndarray | None = None
        if poly.is_quadratic and poly.n <= poly.dense_max_n:
            # small QUBO: one BLAS call beats several sparse products per block
            pidx, pw = poly.pairs
            B = np.zeros((poly.n, poly.n))
            B[pidx[:, 0], pidx[:, 1]] = pw
            B[pidx[:, 1], pidx[:, 0]] = pw
            self.dense = np.ascontiguousarray(B[:, self.S])
            return
        for idx, coef in poly.groups:
            d = idx.shape[1]
            for p in range(d):
                sel = pos[idx[:, p]] >= 0
                if not sel.any():
                    continue
                others = np.delete(idx[sel], p, axis=1)
                target = pos[idx[sel, p]]
                k = len(target)
                scatter = sp.csr_matrix(
                    (coef[sel], (target, np.arange(k))), shape=(len(self.S), k)
                )
                self.parts.append((others, scatter))

    def __call__(self, X: np.ndarray) -> np.ndarray:
        if self.dense is not None:
            return self.a + X @ self.dense
        F = np.tile(self.a, (X.shape[0], 1))
        for others, scatter in self.parts:
            prod = X[:, others[:, 0]] if others.shape[1] == 1 else X[:, others].prod(axis=2)
            F += (scatter @ prod.T).T
        return F


def colour_classes(n: int, edges: np.ndarray) -> list[np.ndarray]:
    """Greedy colouring of the primal graph: same-colour variables share no term."""
    import networkx as nx

    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from(edges.tolist())
    col = nx.greedy_color(G, strategy="largest_first")
    classes: dict[int, list[int]] = {}
    for v, c in col.items():
        classes.setdefault(c, []).append(v)
    return [np.array(sorted(v), dtype=np.int64) for _, v in sorted(classes.items())]


def field_scale(poly: Polynomial) -> float:
    """max_i (|a_i| + sum_{T containing i} |c_T|): the largest possible single-flip change."""
    s = np.abs(poly.linear).copy()
    for idx, coef in poly.groups:
        for p in range(idx.shape[1]):
            s += np.bincount(idx[:, p], np.abs(coef), minlength=poly.n)
    return float(s.max()) if s.size else 0.0


def coupling_csr(poly: Polynomial) -> sp.csr_matrix:
    """Symmetric CSR of the pair coefficients (b_ij at (i, j) and (j, i)), QUBO part only."""
    pidx, pw = poly.pairs
    rows = np.concatenate([pidx[:, 0], pidx[:, 1]])
    cols = np.concatenate([pidx[:, 1], pidx[:, 0]])
    return sp.csr_matrix((np.concatenate([pw, pw]), (rows, cols)), shape=(poly.n, poly.n))


def steepest_descent(
    poly: Polynomial, X: np.ndarray, full: FieldBlock, tol: float
) -> np.ndarray:
    """Flip the best improving variable of each replica until no flip improves by > ``tol``.

    For a QUBO the gradient is updated incrementally after each flip (O(degree) per replica);
    a HUBO recomputes it.
    """
    X = X.copy()
    rows = np.arange(X.shape[0])
    G = full(X)
    B = coupling_csr(poly) if poly.is_quadratic else None
    for _ in range(4 * poly.n + 10):
        D = (1.0 - 2.0 * X) * G
        j = D.argmin(axis=1)
        act = D[rows, j] < -tol
        if not act.any():
            break
        r, jj = rows[act], j[act]
        dx = 1.0 - 2.0 * X[r, jj]          # +1 for 0 -> 1, -1 for 1 -> 0
        X[r, jj] += dx
        if B is None:
            G = full(X)
            continue
        start, stop = B.indptr[jj], B.indptr[jj + 1]
        cnt = stop - start
        pos = np.repeat(start - np.cumsum(cnt) + cnt, cnt) + np.arange(cnt.sum())
        np.add.at(G, (np.repeat(r, cnt), B.indices[pos]), B.data[pos] * np.repeat(dx, cnt))
    return X


def anneal(
    poly: Polynomial,
    blocks: list[FieldBlock],
    rng: np.random.Generator,
    *,
    replicas: int,
    sweeps: int,
    t0: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Single-flip Metropolis SA, geometric schedule t0 -> 1e-3 t0, colour classes in parallel.

    Returns each replica's best state and its (recomputed) energy.
    """
    X = rng.integers(0, 2, size=(replicas, poly.n)).astype(np.float64)
    energy = poly.energies(X)
    best_X, best_E = X.copy(), energy.copy()
    for T in np.geomspace(t0, 1e-3 * t0, sweeps):
        for blk in blocks:
            xs = X[:, blk.S]
            d = (1.0 - 2.0 * xs) * blk(X)
            accept = (d <= 0.0) | (rng.random(d.shape) < np.exp(-np.minimum(d / T, 700.0)))
            X[:, blk.S] = np.where(accept, 1.0 - xs, xs)
            energy += (d * accept).sum(axis=1)
        better = energy < best_E
        best_X[better] = X[better]
        best_E[better] = energy[better]
    return best_X, poly.energies(best_X)
