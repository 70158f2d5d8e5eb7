"""The exact tier: all 2^n energies and what they tell (characterization.md §3.3, §3.4).

Owns :func:`exact_energies` (E = e_L (+) e_H + crossing terms, one GEMM per batch of terms),
:func:`count_local_minima` (1-flip minima without a gather) and :func:`spectrum`, the stage
that reports optimum, degeneracy, gap, local minima and the density of states.

Imports numpy and this package only.
"""

from __future__ import annotations

import numpy as np

from .bits import bits_matrix, index_to_bits, min_hamming
from .polynomial import Polynomial
from .state import AnalysisState

TOP_STATES = 16               # states listed by name in a report table
_TERM_BATCH = 256


def exact_energies(poly: Polynomial) -> np.ndarray:
    """All 2^n energies, index s = sum x_i 2^i. Peak memory ~ the output + O(2^(n/2) * 256)."""
    n = poly.n
    low = n // 2
    high = n - low
    XL = np.hstack([bits_matrix(1 << low, low), np.ones((1 << low, 1))])  # last col = 1
    XH = np.hstack([bits_matrix(1 << high, high), np.ones((1 << high, 1))])
    eL = XL[:, :low] @ poly.linear[:low]
    eH = XH[:, :high] @ poly.linear[low:]
    E2 = np.empty((1 << high, 1 << low))
    E2[:] = eH[:, None]
    E2 += eL[None, :] + poly.constant
    for idx, coef in poly.groups:
        in_low = idx < low
        for start in range(0, len(coef), _TERM_BATCH):
            sl = slice(start, start + _TERM_BATCH)
            il = np.where(in_low[sl], idx[sl], low)             # column `low` of XL is all-ones
            ih = np.where(in_low[sl], high, idx[sl] - low)
            IL = XL[:, il].prod(axis=2) * coef[sl]              # (2^low, B)
            IH = XH[:, ih].prod(axis=2)                          # (2^high, B)
            E2 += IH @ IL.T
    return E2.reshape(-1)


def count_local_minima(E: np.ndarray, n: int, tol: float) -> np.ndarray:
    """Mask of 1-flip local minima (no single flip lowers E by more than ``tol``), no gather."""
    mask = np.ones(E.shape[0], dtype=bool)
    for i in range(n):
        V = E.reshape(1 << (n - i - 1), 2, 1 << i)
        M = mask.reshape(1 << (n - i - 1), 2, 1 << i)
        M[:, 0, :] &= V[:, 0, :] <= V[:, 1, :] + tol
        M[:, 1, :] &= V[:, 1, :] <= V[:, 0, :] + tol
    return mask


def spectrum(st: AnalysisState) -> dict:
    """The ``report.local.spectrum`` table; leaves E, tau and the ground states on ``st``."""
    n = st.n
    ev = exact_energies(st.poly)
    st.E = ev
    emin, emax = float(ev.min()), float(ev.max())
    rng_ = emax - emin
    st.tau = tau = 1e-9 * max(1.0, abs(emin), rng_)
    ground = np.flatnonzero(ev <= emin + tau)
    st.ground = ground
    above = ev[ev > emin + tau]
    e1 = float(above.min()) if above.size else None
    first = np.flatnonzero(np.abs(ev - e1) <= tau) if e1 is not None else np.zeros(0, int)
    lm = count_local_minima(ev, n, tau)
    n_lm = int(lm.sum())
    counts, edges = np.histogram(ev, bins=40)
    comp = (~ground) & ((1 << n) - 1)
    return {
        "exact": True,
        "energy_min": emin, "energy_max": emax, "tolerance": tau,
        "ground_state_degeneracy": len(ground),
        "ground_states": [index_to_bits(s, n) for s in ground[:TOP_STATES]],
        "cost_gap": e1 - emin if e1 is not None else None,
        "cost_gap_normalized": (e1 - emin) / rng_ if e1 is not None and rng_ > 0 else None,
        "first_excited_degeneracy": len(first) if e1 is not None else None,
        "hamming_first_excited_to_ground": min_hamming(first, ground),
        "states_within_1pct": int(np.count_nonzero(ev <= emin + 0.01 * rng_)),
        "states_within_5pct": int(np.count_nonzero(ev <= emin + 0.05 * rng_)),
        "uniform_success_probability": len(ground) / float(1 << n),
        "n_local_minima": n_lm,
        "local_minima_density": n_lm / float(1 << n),
        "n_local_minima_global": int(np.count_nonzero(lm[ground])),
        "complement_of_ground_is_ground": bool(np.all(ev[comp] <= emin + tau)),
        "histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
    }
