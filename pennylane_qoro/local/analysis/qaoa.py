"""p=1 QAOA expectation values, exactly (characterization.md §3.7).

Owns :class:`ClosedFormP1` (<C>(gamma, beta) of a QUBO at any n from sums over neighbourhoods)
and the statevector over an energy vector (:func:`qaoa_state`, :func:`qaoa_expectation_sv`).
Convention: e^{-i beta sum X} e^{-i gamma C} |+>^n, as PennyLane's ``qaoa.cost_layer`` and
``qaoa.mixer_layer``.

Imports numpy and this package only.
"""

from __future__ import annotations

import math

import numpy as np

from .ising import Ising


class ClosedFormP1:
    """Exact <C>(gamma, beta) for a QUBO at any n.

    <C> = c0 + sin(2b) T1(g) + sin(4b) T2(g) + sin^2(2b) T3(g), with T1..T3 sums over nodes and
    edges of products of cosines over neighbourhoods (characterization.md §3.7).
    """

    def __init__(self, ising: Ising, n: int):
        self.c0, self.h, self.n = ising.c0, ising.h, n
        ei, ej = ising.J_idx[:, 0], ising.J_idx[:, 1]
        self.ei, self.ej, self.J = ei, ej, ising.J
        m = len(self.J)
        # node -> incident couplings (CSR over both directions), one pad (J = 0) per node
        src = np.concatenate([ei, ej, np.arange(n)])
        dst = np.concatenate([ej, ei, np.arange(n)])
        val = np.concatenate([self.J, self.J, np.zeros(n)])
        is_pad = np.concatenate([np.zeros(2 * m, bool), np.ones(n, bool)])
        order = np.lexsort((dst, is_pad, src))
        self.node_J = val[order]
        self.node_start = np.searchsorted(src[order], np.arange(n))
        # edge -> union of neighbourhoods with (J_uw, J_vw); one pad per edge
        real = ~is_pad[order]
        s_src, s_dst, s_val = src[order][real], dst[order][real], val[order][real]
        ptr = np.searchsorted(s_src, np.arange(n + 1))
        keys = s_src * n + s_dst                       # sorted (src, dst)
        self.entries = 0
        if m == 0:
            self.e_id = np.zeros(0, dtype=np.int64)
            self.Ju = self.Jv = np.zeros(0)
            self.edge_start = np.zeros(0, dtype=np.int64)
            return

        def lookup(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            k = a * n + b
            pos = np.minimum(np.searchsorted(keys, k), len(keys) - 1)
            return np.where(keys[pos] == k, s_val[pos], 0.0)

        def gather(nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            cnt = ptr[nodes + 1] - ptr[nodes]
            eid = np.repeat(np.arange(m), cnt)
            off = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            return eid, ptr[nodes][eid] + off

        e1, p1 = gather(ei)
        w1 = s_dst[p1]
        keep1 = w1 != ej[e1]
        e1, w1, ju1 = e1[keep1], w1[keep1], s_val[p1][keep1]
        jv1 = lookup(ej[e1], w1)
        e2, p2 = gather(ej)
        w2 = s_dst[p2]
        jv2 = s_val[p2]
        keep2 = (w2 != ei[e2]) & (lookup(ei[e2], w2) == 0.0)
        e2, jv2 = e2[keep2], jv2[keep2]
        e_id = np.concatenate([e1, e2, np.arange(m)])
        Ju = np.concatenate([ju1, np.zeros(len(e2)), np.zeros(m)])
        Jv = np.concatenate([jv1, jv2, np.zeros(m)])
        order = np.argsort(e_id, kind="stable")
        self.e_id, self.Ju, self.Jv = e_id[order], Ju[order], Jv[order]
        self.edge_start = np.searchsorted(self.e_id, np.arange(m))
        self.entries = len(self.e_id)

    @staticmethod
    def cost_entries(ising: Ising, n: int) -> int:
        """Upper bound of the neighbourhood entries held (sum over edges of deg u + deg v)."""
        deg = np.bincount(ising.J_idx.reshape(-1), minlength=n)
        return int((deg[ising.J_idx[:, 0]] + deg[ising.J_idx[:, 1]]).sum()) + len(ising.J)

    def terms(self, gammas: np.ndarray) -> np.ndarray:
        """T1, T2, T3 for every gamma (shape (3, len(gammas)))."""
        out = np.zeros((3, len(gammas)))
        chunk = max(1, 4_000_000 // max(1, self.entries + len(self.node_J)))
        for s in range(0, len(gammas), chunk):
            g = np.asarray(gammas[s:s + chunk], dtype=float)[:, None]
            out[:, s:s + chunk] = self._terms(g)
        return out

    def _terms(self, g: np.ndarray) -> np.ndarray:
        h, J = self.h, self.J
        P_node = np.multiply.reduceat(np.cos(2 * g * self.node_J), self.node_start, axis=1)
        T1 = (h * np.sin(2 * g * h) * P_node).sum(axis=1)
        if len(J) == 0:
            return np.stack([T1, np.zeros_like(T1), np.zeros_like(T1)])
        hu, hv = h[self.ei], h[self.ej]
        st = self.edge_start
        Au = np.cos(2 * g * hu) * np.multiply.reduceat(np.cos(2 * g * self.Ju), st, axis=1)
        Av = np.cos(2 * g * hv) * np.multiply.reduceat(np.cos(2 * g * self.Jv), st, axis=1)
        plus = np.cos(2 * g * (hu + hv)) * np.multiply.reduceat(
            np.cos(2 * g * (self.Ju + self.Jv)), st, axis=1)
        minus = np.cos(2 * g * (hu - hv)) * np.multiply.reduceat(
            np.cos(2 * g * (self.Ju - self.Jv)), st, axis=1)
        T2 = 0.5 * (J * np.sin(2 * g * J) * (Au + Av)).sum(axis=1)
        T3 = -0.5 * (J * (plus - minus)).sum(axis=1)
        return np.stack([T1, T2, T3])

    def grid(self, gammas: np.ndarray, betas: np.ndarray) -> np.ndarray:
        """<C> on the grid, shape (len(gammas), len(betas))."""
        T = self.terms(gammas)
        b = np.asarray(betas, dtype=float)[None, :]
        return (self.c0 + np.sin(2 * b) * T[0][:, None] + np.sin(4 * b) * T[1][:, None]
                + np.sin(2 * b) ** 2 * T[2][:, None])


def qaoa_state(E: np.ndarray, n: int, gamma: float, beta: float) -> np.ndarray:
    """p=1 statevector over the energy vector E (index s = sum x_i 2^i)."""
    psi = np.exp(-1j * gamma * E) / math.sqrt(E.shape[0])
    c, s = math.cos(beta), -1j * math.sin(beta)
    for i in range(n):
        v = psi.reshape(1 << (n - i - 1), 2, 1 << i)
        a = v[:, 0, :].copy()
        v[:, 0, :] = c * a + s * v[:, 1, :]
        v[:, 1, :] = s * a + c * v[:, 1, :]
    return psi


def qaoa_expectation_sv(E: np.ndarray, n: int, gamma: float, beta: float) -> float:
    psi = qaoa_state(E, n, gamma, beta)
    return float(np.dot(np.abs(psi) ** 2, E))
