"""The Ising/Walsh form of the problem and what it tells (characterization.md §3.2, §3.6).

Owns :class:`Ising` and :func:`ising_form` (x_i = (1 - z_i) / 2: closed form for a QUBO, the
shared subset expansion of :mod:`pennylane_qoro.protocol.polynomial` for a HUBO), the
frustrated-triangle count of the signed coupling graph. The stages that report them are in
:mod:`.structure`.

Imports numpy, scipy, ``protocol`` and this package only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ...protocol.polynomial import group_rows, walsh_expansion
from .limits import WALSH_MAX_WORK
from .polynomial import Polynomial


@dataclass(frozen=True)
class Ising:
    """E = c0 + sum h_i z_i + sum_{i<j} J_ij z_i z_j (+ higher Walsh terms for a HUBO)."""

    c0: float
    h: np.ndarray
    J_idx: np.ndarray            # (m, 2), i < j
    J: np.ndarray                # (m,)
    higher: dict[tuple[int, ...], float]  # |S| >= 3 (HUBO only)

    def walsh_squares(self) -> tuple[np.ndarray, np.ndarray]:
        """(orders |S|, w_S^2) over all non-empty S with a non-zero coefficient."""
        orders = [np.ones(np.count_nonzero(self.h)), 2 * np.ones(len(self.J))]
        squares = [self.h[self.h != 0] ** 2, self.J**2]
        if self.higher:
            orders.append(np.array([len(s) for s in self.higher], dtype=float))
            squares.append(np.array(list(self.higher.values())) ** 2)
        return np.concatenate(orders), np.concatenate(squares)


def ising_form(poly: Polynomial) -> Ising | None:
    """Walsh coefficients of E. QUBO in closed form; HUBO by subset expansion (None past the
    work limit ``WALSH_MAX_WORK``)."""
    n = poly.n
    a = poly.linear
    pidx, pw = poly.pairs
    if poly.is_quadratic:
        h = -a / 2.0
        np.add.at(h, pidx[:, 0], -pw / 4.0)
        np.add.at(h, pidx[:, 1], -pw / 4.0)
        c0 = poly.constant + a.sum() / 2.0 + pw.sum() / 4.0
        return Ising(c0=float(c0), h=h, J_idx=pidx, J=pw / 4.0, higher={})
    work = sum(len(c) * (1 << idx.shape[1]) for idx, c in poly.groups)
    if work > WALSH_MAX_WORK:
        return None
    w = walsh_expansion(group_rows(poly.term_groups()), poly.constant)
    h = np.zeros(n)
    jk, jv, higher = [], [], {}
    tiny = 1e-14 * max(1.0, max(abs(v) for v in w.values()))
    for s, v in w.items():
        if len(s) == 1:
            h[s[0]] = v
        elif len(s) == 2 and abs(v) > tiny:
            jk.append(s)
            jv.append(v)
        elif len(s) >= 3 and abs(v) > tiny:
            higher[s] = v
    J_idx = np.array(jk, dtype=np.int64).reshape(-1, 2)
    return Ising(c0=float(w[()]), h=h, J_idx=J_idx, J=np.array(jv, dtype=float), higher=higher)


def frustrated_triangles(n: int, J_idx: np.ndarray, J: np.ndarray) -> tuple[int, int] | None:
    """(triangles, frustrated triangles) of the signed coupling graph (sign product > 0)."""
    if len(J) == 0:
        return 0, 0
    if len(J) > 200_000:
        return None
    S = sp.coo_matrix((np.sign(J), (J_idx[:, 0], J_idx[:, 1])), shape=(n, n)).tocsr()
    S = S + S.T
    A = abs(S)
    T = (A @ A).multiply(A).sum() / 6.0
    D = (S @ S).multiply(S).sum() / 6.0
    return round(T), round((T + D) / 2.0)
