"""The maths of a QUBO/HUBO problem that the client and the local service share.

The characterization wire formats (:mod:`.qubo`) carry a binary polynomial
E(x) = c + sum_T c_T prod_{i in T} x_i over x in {0, 1}^n (characterization.md §1.3). Both
sides need the same readings of it, written here once:

* :func:`group_terms`: the terms as one ``(idx (m, d), coef (m,))`` array pair per degree;
* :func:`qubo_matrix` / :func:`terms_from_matrix`: the symmetric Q of E(x) = x^T Q x (the
  diagonal holds the linear terms, each off-diagonal cell half a pair coefficient, §1.5) and back;
* :func:`walsh_expansion`: the Ising/Walsh coefficients under x_i = (1 - z_i) / 2;
* :func:`eigen_noise_floor`: which eigenvalues of Q count as zero (rank, PSD, factoring);
* bitstrings: character i is variable i (left-most = index 0), :data:`BITSTRING`,
  :func:`row_to_bits`.

Every function is pure and keeps the caller's term order, so sums are added in the same order
on both sides. Imports the standard library and numpy only.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = [
    "BITSTRING",
    "EIG_TOL_REL",
    "TermGroups",
    "TooManyTermsError",
    "eigen_noise_floor",
    "group_rows",
    "group_terms",
    "qubo_matrix",
    "row_to_bits",
    "terms_from_matrix",
    "walsh_expansion",
]

TermGroups = tuple[tuple[np.ndarray, np.ndarray], ...]
"""One ``(idx, coef)`` pair per degree, ascending: ``idx`` (m, d) int64 rows of ascending
variable indices, ``coef`` (m,) float64, no zero coefficient."""

BITSTRING = re.compile(r"[01]+")
"""A bitstring of the protocol: character i is the value of variable i (§1.3)."""

EIG_TOL_REL = 1e-12
"""Relative floor under which an eigenvalue of Q is numerical noise (§1.5)."""


class TooManyTermsError(ValueError):
    """A matrix holds more couplings than the caller allows (checked before any dict is built)."""

    def __init__(self, count: int, limit: int):
        self.count = count
        self.limit = limit
        super().__init__(f"{count} couplings exceed the limit {limit}")


def group_terms(terms: Iterable[tuple[tuple[int, ...], float]]) -> TermGroups:
    """Group ``(ascending index tuple, coefficient)`` pairs by degree; zeros are dropped.

    Within a degree the input order is kept; degrees come out ascending.

    >>> [(i.tolist(), c.tolist()) for i, c in group_terms([((0, 1), 2.0), ((0,), -1.0)])]
    [([[0]], [-1.0]), ([[0, 1]], [2.0])]
    """
    by_degree: dict[int, list[tuple[tuple[int, ...], float]]] = {}
    for key, c in terms:
        if c != 0.0:
            by_degree.setdefault(len(key), []).append((key, c))
    return tuple(
        (np.array([k for k, _ in rows], dtype=np.int64).reshape(len(rows), d),
         np.array([c for _, c in rows], dtype=np.float64))
        for d, rows in sorted(by_degree.items())
    )


def qubo_matrix(n: int, groups: TermGroups) -> np.ndarray:
    """Symmetric Q with E(x) - c = x^T Q x: Q_ii = a_i, Q_ij = Q_ji = b_ij / 2 (§1.5).

    Raises:
        ValueError: a term of degree 0 or above 2 (a HUBO has no QUBO matrix).
    """
    Q = np.zeros((n, n))
    for idx, coef in groups:
        if idx.shape[1] == 1:
            np.add.at(Q, (idx[:, 0], idx[:, 0]), coef)
        elif idx.shape[1] == 2:
            np.add.at(Q, (idx[:, 0], idx[:, 1]), coef / 2.0)
            np.add.at(Q, (idx[:, 1], idx[:, 0]), coef / 2.0)
        else:
            raise ValueError(f"a term of degree {idx.shape[1]} has no QUBO matrix")
    return Q


def terms_from_matrix(
    Q: np.ndarray, *, max_pairs: int | None = None
) -> dict[tuple[int, ...], float]:
    """QUBO terms of x^T Q x: a_i = Q_ii, b_ij = Q_ij + Q_ji, entries below 1e-12 max|Q| dropped.

    The inverse of :func:`qubo_matrix` for any square Q (it need not be symmetric).

    Raises:
        TooManyTermsError: more than ``max_pairs`` couplings survive the cut.

    >>> terms_from_matrix(np.array([[1.0, 0.5], [0.5, 2.0]]))
    {(0,): 1.0, (1,): 2.0, (0, 1): 1.0}
    """
    scale = float(np.abs(Q).max()) if Q.size else 0.0
    cut = 1e-12 * scale
    terms: dict[tuple[int, ...], float] = {}
    for i in np.flatnonzero(np.abs(np.diag(Q)) > cut):
        terms[(int(i),)] = float(Q[i, i])
    B = np.triu(Q, 1) + np.tril(Q, -1).T
    ii, jj = np.nonzero(np.abs(B) > cut)
    if max_pairs is not None and len(ii) > max_pairs:
        raise TooManyTermsError(len(ii), max_pairs)
    for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
        terms[(i, j)] = float(B[i, j])
    return terms


def walsh_expansion(
    terms: Iterable[tuple[Sequence[int], float]], constant: float = 0.0
) -> dict[tuple[int, ...], float]:
    """Coefficients w_S of E = sum_S w_S prod_{i in S} z_i, with x_i = (1 - z_i) / 2.

    prod_{i in T} x_i = 2^-|T| sum_{S subset T} (-1)^|S| z_S. The constant is the key ``()``;
    other keys appear in the order the terms first reach them, zeros included (the caller
    chooses its own cut).

    >>> walsh_expansion([((0,), 2.0)], 1.0)
    {(): 2.0, (0,): -1.0}
    """
    w: dict[tuple[int, ...], float] = {(): constant}
    for row, c in terms:
        d = len(row)
        scale = 2.0**-d
        for r in range(d + 1):
            sgn = (-1.0) ** r * c * scale
            for sub in itertools.combinations(tuple(row), r):
                w[sub] = w.get(sub, 0.0) + sgn
    return w


def group_rows(groups: TermGroups) -> Iterable[tuple[list[int], float]]:
    """The ``(index list, coefficient)`` pairs of ``groups``, degree by degree, in order."""
    for idx, coef in groups:
        yield from zip(idx.tolist(), coef.tolist(), strict=True)


def eigen_noise_floor(eigenvalues: np.ndarray) -> float:
    """max(1e-12, n eps) max|lambda|: eigenvalues at or below it are treated as zero."""
    top = float(np.abs(eigenvalues).max()) if eigenvalues.size else 0.0
    return max(EIG_TOL_REL, eigenvalues.size * np.finfo(np.float64).eps) * top


def row_to_bits(x: Iterable[float]) -> str:
    """The bitstring of one 0/1 row (character i = x_i; values above 0.5 are 1).

    >>> row_to_bits([1.0, 0.0, 1.0])
    '101'
    """
    return "".join("1" if v > 0.5 else "0" for v in x)
