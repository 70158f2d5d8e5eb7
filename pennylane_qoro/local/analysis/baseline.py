"""The classical baseline: heuristics, bounds and proof of optimality (characterization.md §3.8).

Owns the trivial bounds, the McCormick LP relaxation bound (QUBO, scipy HiGHS) and
:func:`baseline`, the stage that runs seeded greedy descents and simulated annealing, proves
optimality when a bound meets the best energy, and estimates the maximum for C_max.

Imports numpy, scipy and this package only.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .bits import row_to_bits
from .heuristics import FieldBlock, anneal, colour_classes, field_scale, steepest_descent
from .limits import LP_MAX_PAIRS
from .polynomial import Polynomial
from .state import AnalysisState, Budget

GREEDY_RUNS = 32
SA_REPLICAS = 32


def trivial_lower_bound(poly: Polynomial) -> float:
    """c + sum of negative coefficients: every monomial is in {0, 1}."""
    c = poly.coefficients()
    return float(poly.constant + c[c < 0].sum())


def trivial_upper_bound(poly: Polynomial) -> float:
    c = poly.coefficients()
    return float(poly.constant + c[c > 0].sum())


def mccormick_bound(poly: Polynomial) -> float | None:
    """LP relaxation min a.x + b.y with McCormick envelopes (QUBO only, scipy HiGHS, §3.8)."""
    if not poly.is_quadratic:
        return None
    from scipy.optimize import linprog

    n = poly.n
    pidx, b = poly.pairs
    m = len(b)
    if m > LP_MAX_PAIRS:
        return None
    if m == 0:
        return trivial_lower_bound(poly)
    rows, cols, vals, rhs = [], [], [], []
    r = 0
    neg = np.flatnonzero(b < 0)
    pos = np.flatnonzero(b > 0)
    for k in neg:  # y <= x_i, y <= x_j
        for v in pidx[k]:
            rows += [r, r]
            cols += [n + k, int(v)]
            vals += [1.0, -1.0]
            rhs.append(0.0)
            r += 1
    for k in pos:  # y >= x_i + x_j - 1  <=>  x_i + x_j - y <= 1
        rows += [r, r, r]
        cols += [int(pidx[k, 0]), int(pidx[k, 1]), n + k]
        vals += [1.0, 1.0, -1.0]
        rhs.append(1.0)
        r += 1
    A = sp.csr_matrix((vals, (rows, cols)), shape=(r, n + m))
    cvec = np.concatenate([poly.linear, b])
    res = linprog(cvec, A_ub=A, b_ub=np.array(rhs), bounds=(0.0, 1.0), method="highs")
    if res.status != 0:
        return None
    return float(res.fun + poly.constant)


def baseline(st: AnalysisState, budget: Budget, spectrum: dict | None) -> dict:
    """The ``classical_baseline`` table; leaves the best-known state and greedy energies on ``st``.

    The seeded generator is drawn in a fixed order: greedy starts, annealing, maximum side.
    """
    poly, n, rng = st.poly, st.n, st.rng
    scale = field_scale(poly)
    tol = 1e-12 * max(scale, 1.0)
    full = st.full = FieldBlock(poly, np.arange(n))
    starts = rng.integers(0, 2, size=(GREEDY_RUNS, n)).astype(np.float64)
    G = steepest_descent(poly, starts, full, tol)
    gE = poly.energies(G)
    st.greedy_energies = gE
    sweeps, sa_out = _annealing(st, budget, full, scale, tol)
    allX = np.vstack([G] + ([sa_out[0]] if sa_out else []))
    energies = np.concatenate([gE] + ([sa_out[1]] if sa_out else []))
    k = int(energies.argmin())
    best = float(energies[k])
    exact_min = spectrum["energy_min"] if spectrum else None
    tau = st.tau if spectrum else 1e-9 * max(1.0, abs(best))
    st.tau = tau
    target = exact_min if exact_min is not None else best
    if spectrum:
        s = int(st.ground[0])
        st.best_x = ((s >> np.arange(n)) & 1).astype(np.float64)
        st.best_energy = exact_min
    else:
        st.best_x = allX[k]
        st.best_energy = best
    hits = np.abs(energies - target) <= tau
    distinct = {row_to_bits(x) for x, h in zip(allX, hits, strict=True) if h}
    lp = budget.run("relaxation_bound", lambda: mccormick_bound(poly))
    triv = trivial_lower_bound(poly)
    bound = max(lp, triv) if lp is not None else triv
    return {
        "greedy_energy": float(gE.min()),
        "greedy_runs": GREEDY_RUNS,
        "greedy_mean_energy": float(gE.mean()),
        "greedy_hit_rate": float(np.mean(np.abs(gE - target) <= tau)),
        "distinct_greedy_minima": len({row_to_bits(x) for x in G}),
        "sa_energy": float(sa_out[1].min()) if sa_out else None,
        "sa_replicas": SA_REPLICAS if sa_out else None,
        "sa_sweeps": sweeps if sa_out else None,
        "sa_success_rate": float(np.mean(np.abs(sa_out[1] - target) <= tau)) if sa_out
        else None,
        "best_energy": target if spectrum else best,
        "best_state": row_to_bits(st.best_x),
        "distinct_optima": len(distinct),
        "exact_ground_energy": exact_min,
        "relaxation_bound": lp,
        "relaxation_method": "lp_mccormick" if lp is not None else None,
        "trivial_bound": triv,
        "lower_bound": bound,
        "proven_optimal": bool(spectrum) or bound >= best - tau,
        "best_found_max_energy": _best_found_max(st, tol),
        "trivial_upper_bound": trivial_upper_bound(poly),
        "seed": st.seed,
    }


def _annealing(st: AnalysisState, budget: Budget, full: FieldBlock, scale: float,
               tol: float) -> tuple[int, tuple[np.ndarray, np.ndarray] | None]:
    """(sweeps, (states, energies) of SA + descent, or None when the budget skipped it)."""
    poly, n = st.poly, st.n
    blocks = [FieldBlock(poly, c) for c in colour_classes(n, st.edges)]
    incid = max(1, sum(c.size for _, c in poly.groups) * 2 + n)
    sweeps = int(np.clip(min(60_000 / len(blocks), 3e8 / (SA_REPLICAS * incid)), 20, 1000))

    def sa() -> tuple[np.ndarray, np.ndarray]:
        X, _ = anneal(poly, blocks, st.rng, replicas=SA_REPLICAS, sweeps=sweeps,
                      t0=max(scale, 1e-12))
        X = steepest_descent(poly, X, full, tol)
        return X, poly.energies(X)

    return sweeps, budget.run("simulated_annealing", sa)


def _best_found_max(st: AnalysisState, tol: float) -> float:
    """The largest energy 8 seeded ascents find: C_max for the ratio interval beyond exact."""
    neg = st.poly.negated()
    M = steepest_descent(neg, st.rng.integers(0, 2, size=(8, st.n)).astype(float),
                         FieldBlock(neg, np.arange(st.n)), tol)
    return float(neg.energies(M).max() * -1.0)
