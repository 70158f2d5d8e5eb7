"""All assignments of n variables, as the characterization tests' independent oracle."""

from __future__ import annotations

import numpy as np


def all_states(n: int) -> np.ndarray:
    """Rows x for every assignment; row k is the bitstring format(k, '0nb') (x_0 left-most)."""
    return np.array([[int(c) for c in format(k, f"0{n}b")] for k in range(2**n)], dtype=float)
