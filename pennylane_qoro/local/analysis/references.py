"""The reference states against the problem, and the structural sensitivity (§3.4).

Owns :func:`reference_rows` (energy, gap, rank and ties in the exact tier; a Monte Carlo
percentile with its Wilson interval above it; Hamming distance to the optimum; local
minimality), :func:`sensitivity` (normalised flip costs at the best-known state) and the
pairwise Hamming table of the references.

Imports numpy and this package only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .bits import bits_to_index, popcount
from .heuristics import FieldBlock
from .state import AnalysisState

MC_SAMPLES = 4096


def _wilson(k: int, m: int, z: float = 1.96) -> tuple[float, float]:
    p = k / m
    den = 1 + z * z / m
    centre = (p + z * z / (2 * m)) / den
    half = z * math.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def _flip_costs(st: AnalysisState, x: np.ndarray) -> np.ndarray:
    if st.full is None:
        st.full = FieldBlock(st.poly, np.arange(st.n))
    return (1.0 - 2.0 * x) * st.full(x[None, :])[0]


def reference_rows(
    st: AnalysisState, refs: tuple[str, ...], base: dict, struct: dict
) -> list[dict]:
    """One ``report.local.reference_states`` row per reference state."""
    poly, n, ev = st.poly, st.n, st.E
    mu, sigma = struct.get("mean_energy"), struct.get("std_energy")
    emin = base["best_energy"]
    emax = float(ev.max()) if ev is not None else None
    rows = []
    mc = None
    if ev is None:
        mc = poly.energies(st.rng.integers(0, 2, size=(MC_SAMPLES, n)).astype(float))
    ground = st.ground.astype(np.uint64) if st.ground is not None else None
    for t in refs:
        x = np.frombuffer(t.encode(), dtype=np.uint8).astype(np.float64) - 48.0
        e = float(poly.energies(x[None, :])[0])
        d = _flip_costs(st, x)
        improving = np.flatnonzero(d < -st.tau)
        row: dict[str, Any] = {
            "state": t, "energy": e,
            "gap_to_optimum": e - emin,
            "z_score": (e - mu) / sigma if sigma else None,
            "is_optimal": bool(e <= emin + st.tau),
            "local_minimum": bool(improving.size == 0),
            "improving_flips": improving[:16].tolist(),
            "best_flip_delta": float(d.min()),
        }
        if ev is not None:
            s = bits_to_index(t)
            row["rank"] = 1 + int(np.count_nonzero(ev < e - st.tau))
            row["ties"] = int(np.count_nonzero(np.abs(ev - e) <= st.tau))
            row["gap_normalized"] = (e - emin) / (emax - emin) if emax > emin else 0.0
            row["hamming_to_ground"] = int(popcount(ground ^ np.uint64(s)).min())
            row["estimated"] = False
        else:
            k = int(np.count_nonzero(mc < e - st.tau))
            lo, hi = _wilson(k, MC_SAMPLES)
            row["rank"] = None
            row["percentile_below"] = k / MC_SAMPLES
            row["percentile_interval_95"] = [lo, hi]
            row["gap_normalized"] = None
            row["hamming_to_ground"] = int(np.abs(x - st.best_x).sum())
            row["hamming_is_to_best_known"] = True
            row["estimated"] = True
        rows.append(row)
    return rows


def sensitivity(st: AnalysisState) -> list[dict]:
    d = np.abs(_flip_costs(st, st.best_x))
    top = d.max()
    scores = d / top if top > 0 else np.zeros_like(d)
    return [{"qubit": int(i), "score": float(s)} for i, s in enumerate(scores)]


def pairwise_hamming(refs: tuple[str, ...]) -> list[list[int]] | None:
    if len(refs) > 32:
        return None
    return [[sum(a != b for a, b in zip(s, t, strict=True)) for t in refs] for s in refs]
