"""The canonical polynomial the local engine analyses, and its deterministic seed.

Owns :class:`Polynomial`: E(x) = constant + sum_i linear[i] x_i + sum over degree groups of
coef * prod x, with vectorised energies of many states (one coupling-matrix product for a
QUBO, chunked term groups for a HUBO), its canonical text and digest (seed and cache key,
characterization.md §3.1). The term grouping is the shared
:mod:`pennylane_qoro.protocol.polynomial`.

Imports numpy, scipy and ``protocol``: no web framework, no client code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from ...protocol.polynomial import TermGroups, group_terms
from .limits import DENSE_FIELD_MAX_N


@dataclass(frozen=True)
class Polynomial:
    """E(x) = constant + sum_i linear[i] x_i + sum over groups of coef * prod_{k} x_{idx[k]}.

    ``groups`` holds one ``(idx, coef)`` pair per degree >= 2 (ascending), ``idx`` of shape
    (m, d) with strictly ascending rows, no duplicate rows, no zero coefficients.
    ``dense_max_n`` is the largest n whose QUBO couplings are held as a dense matrix.
    """

    n: int
    constant: float
    linear: np.ndarray
    groups: TermGroups = ()
    dense_max_n: int = field(default=DENSE_FIELD_MAX_N, compare=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @staticmethod
    def from_terms(
        n: int,
        terms: Mapping[tuple[int, ...], float],
        constant: float = 0.0,
        *,
        dense_max_n: int = DENSE_FIELD_MAX_N,
    ) -> Polynomial:
        """Build from ``{ascending index tuple: coefficient}`` (zeros dropped)."""
        groups = group_terms(terms.items())
        linear = np.zeros(n)
        if groups and groups[0][0].shape[1] == 1:
            (idx, coef), groups = groups[0], groups[1:]
            np.add.at(linear, idx[:, 0], coef)
        return Polynomial(n=n, constant=float(constant), linear=linear, groups=groups,
                          dense_max_n=dense_max_n)

    @property
    def degree(self) -> int:
        """Largest monomial degree (1 for a purely linear problem)."""
        return self.groups[-1][0].shape[1] if self.groups else 1

    @property
    def is_quadratic(self) -> bool:
        return self.degree <= 2

    @property
    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(idx (m, 2), coef (m,)) of the quadratic terms (empty arrays when none)."""
        for idx, coef in self.groups:
            if idx.shape[1] == 2:
                return idx, coef
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0)

    @property
    def n_terms(self) -> int:
        return int(np.count_nonzero(self.linear)) + sum(len(c) for _, c in self.groups)

    def term_groups(self) -> TermGroups:
        """Every non-constant term as the shared degree groups (the linear ones first)."""
        nz = np.flatnonzero(self.linear)
        head = ((nz[:, None], self.linear[nz]),) if nz.size else ()
        return head + tuple(self.groups)

    def terms_by_degree(self) -> dict[int, int]:
        out = {1: int(np.count_nonzero(self.linear))}
        for idx, coef in self.groups:
            out[idx.shape[1]] = len(coef)
        return {d: k for d, k in out.items() if k}

    def coefficients(self) -> np.ndarray:
        """All non-zero non-constant coefficients."""
        parts = [self.linear[self.linear != 0.0]] + [c for _, c in self.groups]
        return np.concatenate(parts) if parts else np.zeros(0)

    def _upper(self) -> np.ndarray | sp.csr_matrix:
        """U with U[i, j] = b_ij (i < j): dense up to ``dense_max_n``, else CSR."""
        if "upper" not in self._cache:
            pidx, pw = self.pairs
            U = sp.csr_matrix((pw, (pidx[:, 0], pidx[:, 1])), shape=(self.n, self.n))
            self._cache["upper"] = U.toarray() if self.n <= self.dense_max_n else U
        return self._cache["upper"]

    def energies(self, X: np.ndarray) -> np.ndarray:
        """Energies of the 0/1 rows of ``X`` (shape (R, n)).

        A QUBO is one product with its upper coupling matrix, sum((X U) * X); a HUBO is
        evaluated term group by term group, chunked over terms.
        """
        X = np.asarray(X, dtype=np.float64)
        out = self.constant + X @ self.linear
        if self.is_quadratic:
            if self.groups:
                U = self._upper()
                XU = X @ U if isinstance(U, np.ndarray) else (U.T @ X.T).T
                out += np.einsum("ij,ij->i", XU, X)
            return out
        for idx, coef in self.groups:
            for start in range(0, len(coef), 4096):
                sl = slice(start, start + 4096)
                out += X[:, idx[sl]].prod(axis=2) @ coef[sl]
        return out

    def energy_of(self, bits: str) -> float:
        """Energy of one bitstring (character i = variable i)."""
        x = np.frombuffer(bits.encode(), dtype=np.uint8) - ord("0")
        return float(self.energies(x[None, :].astype(np.float64))[0])

    def negated(self) -> Polynomial:
        return Polynomial(
            n=self.n,
            constant=-self.constant,
            linear=-self.linear,
            groups=tuple((i, -c) for i, c in self.groups),
            dense_max_n=self.dense_max_n,
        )

    def terms(self) -> dict[tuple[int, ...], float]:
        """``{index tuple: coefficient}`` of the non-constant terms (linear ones first)."""
        d = {(int(i),): float(c) for i, c in enumerate(self.linear) if c != 0}
        for idx, coef in self.groups:
            d.update({tuple(r): float(c)
                      for r, c in zip(idx.tolist(), coef.tolist(), strict=True)})
        return d

    def canonical_json(self) -> str:
        """Deterministic text of the problem (hash input for seeds and the cache).

        Coefficients are written to 12 significant digits, so encodings that differ only by
        round-off (``factored_v1`` versus the legacy dict) give the same seed and results.
        """
        def r(c: float) -> str:
            return f"{c:.12g}"

        items: list[Any] = [[[i], r(c)] for i, c in enumerate(self.linear) if c != 0.0]
        for idx, coef in self.groups:
            items.extend([row.tolist(), r(c)] for row, c in zip(idx, coef, strict=True))
        return json.dumps({"n": self.n, "c": r(self.constant), "t": items},
                          separators=(",", ":"))

    def digest(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


def seed_for(poly: Polynomial) -> int:
    """Deterministic RNG seed: the first 8 bytes of the canonical problem's hash."""
    return int(poly.digest()[:16], 16) % (1 << 63)
