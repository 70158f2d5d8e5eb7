"""Dense observables (Hermitian, Projector, SparseHamiltonian, any matrix) for analytic recipes.

An observable without a Pauli representation is given by its 2^k x 2^k matrix M.
``compile/observables.py`` builds its recipe once per matrix content and wire order (a small
LRU keyed by :func:`content_key`) by one of two routes:

* **diagonal** M (a basis-state ``Projector``, a diagonal ``Hermitian``): ⟨M⟩ = Σ_b M[b, b] p(b),
  so the recipe is the 2^k Z-subset probabilities of ``probs_recipe`` combined with the diagonal
  as eigenvalues (kinds ``eig_expval`` / ``eig_var``). Never 4^k terms; 10 wires need 1024 terms.
* **any other** M: its Pauli coefficients by a vectorised transform: for every X-mask x the
  diagonal ``f_x[c] = M[c ^ x, c]`` is Walsh-Hadamard transformed over c, which gives
  ``Tr(P_{x,z}† M)`` for every Z-mask z at once, O(4^k k) numpy work instead of
  ``qml.pauli_decompose``'s per-word loop (8 wires: milliseconds). ``var`` decomposes M @ M the
  same way (never a product of two Pauli sentences).

Indices are PennyLane's: ``obs.wires[0]`` is the most significant bit of a basis index.

Pure: no I/O, clock or device state. Imports numpy and the standard library only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

__all__ = ["ZERO_TOL", "content_key", "dense_matrix", "is_diagonal", "pauli_coefficients",
           "pauli_rows"]

ZERO_TOL = 1e-13
"""Pauli coefficients smaller than this times the largest one are dropped (round-off)."""

_LETTERS = np.frombuffer(b"IZXY", dtype=np.uint8)  # index 2*x_bit + z_bit


def dense_matrix(obs) -> np.ndarray:
    """The observable's matrix over ``obs.wires`` (sparse ones made dense)."""
    if obs.has_sparse_matrix and not obs.has_matrix:
        return np.asarray(obs.sparse_matrix(wire_order=obs.wires).toarray())
    return np.asarray(obs.matrix(wire_order=obs.wires))


def _popcount(values: np.ndarray) -> np.ndarray:
    out = np.zeros(values.shape, dtype=np.int64)
    v = values.copy()
    while np.any(v):
        out += v & 1
        v >>= 1
    return out


def pauli_coefficients(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nonzero Pauli coefficients of a 2^k x 2^k matrix: ``(x_masks, z_masks, coeffs)``.

    ``M = Σ coeffs[i] P(x_masks[i], z_masks[i])`` where P has X on the bits of x only, Z on
    the bits of z only and Y on both (bit k-1-j is wire j). Coefficients are complex; a
    Hermitian M has real ones.

    >>> x, z, c = pauli_coefficients(np.array([[0.0, 1.0], [1.0, 0.0]]))  # Pauli X
    >>> x.tolist(), z.tolist(), np.round(c, 12).tolist()
    ([1], [0], [(1+0j)])
    """
    size = matrix.shape[0]
    cols = np.arange(size)
    xs = cols[:, None]
    f = matrix[cols[None, :] ^ xs, cols[None, :]].astype(np.complex128)  # f[x, c] = M[c^x, c]
    h = 1
    while h < size:  # in-place Walsh-Hadamard transform along axis 1
        f = f.reshape(size, -1, 2, h)
        a, b = f[:, :, 0, :].copy(), f[:, :, 1, :]
        f[:, :, 0, :] += b
        f[:, :, 1, :] = a - b
        f = f.reshape(size, size)
        h *= 2
    zs = cols[None, :]
    phase = (-1j) ** (_popcount(xs & zs) % 4)
    coeffs = f * phase / size
    scale = np.max(np.abs(coeffs)) if coeffs.size else 0.0
    x_idx, z_idx = np.nonzero(np.abs(coeffs) > ZERO_TOL * max(scale, 1e-300))
    return x_idx, z_idx, coeffs[x_idx, z_idx]


def _dense_terms(x: np.ndarray, z: np.ndarray, positions: Sequence[int], n: int) -> list[str]:
    """Dense term strings (character i is qubit i) of Pauli masks over the observable wires
    placed at ``positions`` of an ``n``-qubit register."""
    k = len(positions)
    grid = np.full((len(x), n), ord("I"), dtype=np.uint8)
    for j, pos in enumerate(positions):
        bit = k - 1 - j
        grid[:, pos] = _LETTERS[2 * ((x >> bit) & 1) + ((z >> bit) & 1)]
    raw = grid.tobytes()
    return [raw[i * n:(i + 1) * n].decode("ascii") for i in range(len(x))]


def pauli_rows(matrices: Sequence[np.ndarray], positions: Sequence[int],
               n: int) -> tuple[tuple[str, ...], np.ndarray]:
    """The real Pauli coefficients of each matrix as rows over one shared term table.

    Args:
        matrices (Sequence[np.ndarray]): Hermitian 2^k x 2^k matrices over the same wires.
        positions (Sequence[int]): qubit index of each of those wires in the register.
        n (int): register width (terms are dense strings of this length).

    Returns:
        tuple: ``(terms, rows)`` with ``rows[i] @ [<t> for t in terms] = <matrices[i]>``.

    >>> pauli_rows([np.diag([1.0, -1.0])], [1], 2)
    (('IZ',), array([[1.]]))
    """
    table: dict[str, int] = {}
    found = []
    for m in matrices:
        x, z, c = pauli_coefficients(m)
        cols = [table.setdefault(t, len(table)) for t in _dense_terms(x, z, positions, n)]
        found.append((np.asarray(cols, dtype=np.int64), np.real(c)))
    out = np.zeros((len(found), len(table)))
    for i, (cols, coeffs) in enumerate(found):
        np.add.at(out[i], cols, coeffs)
    return tuple(table), out


def content_key(*arrays) -> bytes:
    """A digest of arrays' shapes, types and values (a cache key); sparse matrices by their
    CSR parts."""
    digest = hashlib.blake2b(digest_size=16)
    for value in arrays:
        parts = ((value.data, value.indices, value.indptr) if hasattr(value, "indptr")
                 else (value,))
        for part in parts:
            array = np.ascontiguousarray(part)
            digest.update(f"{array.dtype}{array.shape}".encode())
            digest.update(array.tobytes())
    return digest.digest()


def is_diagonal(matrix: np.ndarray) -> bool:
    """Whether every off-diagonal entry is exactly zero."""
    return not np.any(matrix - np.diag(np.diagonal(matrix)))
