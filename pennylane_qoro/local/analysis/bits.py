"""States as integers and bitstrings (characterization.md §1.3).

State index s = sum_i x_i 2^i; bitstring character i = x_i (left-most = variable 0), the
protocol's order (:mod:`pennylane_qoro.protocol.polynomial`). Also popcounts and the smallest
Hamming distance between two sets of states.

Imports numpy and ``protocol`` only.
"""

from __future__ import annotations

import numpy as np

from ...protocol.polynomial import row_to_bits

__all__ = ["bits_matrix", "bits_to_index", "index_to_bits", "min_hamming", "popcount",
           "row_to_bits"]


def bits_matrix(count: int, nbits: int) -> np.ndarray:
    """Rows = x for s = 0..count-1, as float64 0/1 (shape (count, nbits))."""
    s = np.arange(count, dtype=np.int64)[:, None]
    return ((s >> np.arange(nbits, dtype=np.int64)) & 1).astype(np.float64)


def index_to_bits(s: int, n: int) -> str:
    return "".join("1" if (int(s) >> i) & 1 else "0" for i in range(n))


def bits_to_index(bits: str) -> int:
    return sum(1 << i for i, ch in enumerate(bits) if ch == "1")


def popcount(a: np.ndarray) -> np.ndarray:
    return np.bitwise_count(a.astype(np.uint64)).astype(np.int64)


def min_hamming(targets: np.ndarray, pool: np.ndarray, *, max_work: int = 50_000_000) -> int | None:
    """min over (t, p) of popcount(t ^ p); None when the pair count exceeds ``max_work``."""
    if len(targets) == 0 or len(pool) == 0 or len(targets) * len(pool) > max_work:
        return None
    best = 1 << 30
    step = max(1, max_work // max(1, len(pool)) // 8)
    for start in range(0, len(targets), step):
        t = targets[start:start + step].astype(np.uint64)[:, None]
        best = min(best, int(popcount(t ^ pool.astype(np.uint64)[None, :]).min()))
    return best
