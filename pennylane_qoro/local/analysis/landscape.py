"""The p=1 QAOA stage: regime, landscape, best angles, ratio and probabilities (§3.7).

Owns :func:`qaoa_p1`: it picks how <C>(gamma, beta) is computed (identity mixer, closed form
for a QUBO, statevector up to ``STATEVECTOR_MAX_N`` variables, else a refusal with its reason),
sweeps the angle grid within a work budget, refines the best angles, and reports the
approximation ratio (an interval beyond the exact tier) and, with a statevector, the state
probabilities and the concentration on the reference states.

Imports numpy, scipy and this package only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from .bits import bits_to_index, index_to_bits
from .definitions import DEFINITIONS, clip
from .limits import CLOSED_FORM_MAX_ENTRIES, STATEVECTOR_MAX_N
from .qaoa import ClosedFormP1, qaoa_expectation_sv, qaoa_state
from .spectrum import TOP_STATES
from .state import AnalysisState, Budget

QAOA_WORK = 2e8               # elementary operations allowed for one p=1 sweep


def _lightcone(n: int, edges: np.ndarray) -> int | None:
    if len(edges) == 0:
        return 1
    if len(edges) > 200_000:
        return None
    Adj = sp.coo_matrix((np.ones(2 * len(edges) + n),
                         (np.concatenate([edges[:, 0], edges[:, 1], np.arange(n)]),
                          np.concatenate([edges[:, 1], edges[:, 0], np.arange(n)]))),
                        shape=(n, n)).tocsr()
    Adj.data[:] = 1.0
    M = Adj[edges[:, 0]] + Adj[edges[:, 1]]
    return int(M.getnnz(axis=1).max())


def _lambda_scale(st: AnalysisState) -> float:
    ising = st.ising
    s = np.abs(ising.h).copy()
    for col in (0, 1):
        s += np.bincount(ising.J_idx[:, col], np.abs(ising.J), minlength=st.n)
    for key, v in ising.higher.items():
        for i in key:
            s[i] += abs(v)
    return float(s.max()) if s.size else 0.0


def _best_closed_form(cf: ClosedFormP1, gammas: np.ndarray,
                      maxiter: int) -> tuple[float, float, float]:
    from scipy.optimize import minimize_scalar

    fine_b = np.linspace(0, np.pi, 256, endpoint=False)

    def over_beta(T: np.ndarray) -> np.ndarray:
        b = fine_b[None, :]
        return (cf.c0 + np.sin(2 * b) * T[0][:, None] + np.sin(4 * b) * T[1][:, None]
                + np.sin(2 * b) ** 2 * T[2][:, None])

    V = over_beta(cf.terms(gammas))
    gi, bi = np.unravel_index(int(V.argmin()), V.shape)
    lo = gammas[max(gi - 1, 0)]
    hi = gammas[min(gi + 1, len(gammas) - 1)]
    g_best, b_best, v_best = float(gammas[gi]), float(fine_b[bi]), float(V[gi, bi])
    if hi > lo:
        r = minimize_scalar(lambda g: over_beta(cf.terms(np.array([g]))).min(),
                            bounds=(lo, hi), method="bounded",
                            options={"xatol": 1e-6, "maxiter": maxiter})
        if r.fun < v_best:
            row = over_beta(cf.terms(np.array([r.x])))[0]
            g_best, b_best, v_best = float(r.x), float(fine_b[row.argmin()]), float(row.min())
    step = np.pi / 256
    r = minimize_scalar(lambda b: cf.grid(np.array([g_best]), np.array([b]))[0, 0],
                        bounds=(b_best - step, b_best + step), method="bounded",
                        options={"xatol": 1e-8})
    if r.fun < v_best:
        b_best, v_best = float(r.x), float(r.fun)
    return g_best, b_best % np.pi, v_best


Expectation = Callable[[float, float], float]


def qaoa_p1(st: AnalysisState, budget: Budget, refs: tuple[str, ...], spectrum: dict | None,
            base: dict) -> dict:
    """Landscape, best angles, approximation ratio, probabilities. Returns report fields."""
    opts, n = st.sub.options, st.n
    out: dict[str, Any] = {
        "regime": None, "confidence": None, "refuse_reason": None,
        "regime_diagnostics": {"max_lightcone_k": _lightcone(n, st.edges), "n": n, "layers": 1},
        "approximation_ratio": None, "approximation_ratio_error_bound": None,
        "best_parameters": None, "energy_landscape": None, "state_probabilities": None,
        "concentration_ratio": None, "reference_concentration_score": None,
    }
    local: dict[str, Any] = {"convention": DEFINITIONS["qaoa_convention"], "layers_analysed": 1}
    if opts.layers > 1:
        local["note_layers"] = f"ansatz.layers={opts.layers} requested; the local engine " \
                               "analyses p=1 only"
    method = _method(st, out, local)
    if method is None:
        return {"fields": out, "local": local}
    expect, cf = method
    best = None
    if opts.gamma is not None or opts.beta is not None:
        g = opts.gamma if opts.gamma is not None else 1.0
        b = opts.beta if opts.beta is not None else 0.5
        local["fixed_angles"] = {"gamma": g, "beta": b, "expectation": expect(g, b)}
        best = (g, b, local["fixed_angles"]["expectation"])
    if opts.parameter_sweep and opts.mixer == "x":
        res = budget.run("qaoa_sweep", lambda: _sweep(st, expect, cf, out))
        if res is not None:
            best = res if best is None or res[2] < best[2] else best
    elif opts.mixer == "I":
        best = (0.0, 0.0, st.ising.c0)
    if best is None:
        local["note"] = "no parameter sweep and no fixed angles: p=1 QAOA not evaluated"
        return {"fields": out, "local": local}
    g, b, val = best
    out["best_parameters"] = {"gamma": g, "beta": b, "expectation": val, "probability": None}
    _ratio(out, local, val, spectrum, base)
    if st.E is not None and n <= STATEVECTOR_MAX_N:
        _probabilities(st, out, local, refs, g, b, opts.mixer)
    return {"fields": out, "local": local}


def _method(st: AnalysisState, out: dict, local: dict
            ) -> tuple[Expectation, ClosedFormP1 | None] | None:
    """How <C>(gamma, beta) is computed (and the closed form, if it is one), or None: refused.

    Fills the regime, confidence and refusal reason of ``out`` and the method of ``local``.
    """
    opts, n, ising = st.sub.options, st.n, st.ising
    if opts.mixer == "xy":
        out.update(regime="refuse", confidence="open", refuse_reason="mixer_not_supported_locally")
        return None
    if ising is None:
        out.update(regime="refuse", confidence="open", refuse_reason="walsh_expansion_too_large")
        return None
    cf = None
    if opts.mixer == "I":
        def expect(g: float, b: float) -> float:
            return ising.c0
        local["method"] = "identity mixer: <C> is the uniform mean for every angle"
    elif st.poly.is_quadratic and opts.mixer == "x":
        if ClosedFormP1.cost_entries(ising, n) > CLOSED_FORM_MAX_ENTRIES:
            out.update(regime="refuse", confidence="open", refuse_reason="closed_form_budget")
            return None
        cf = ClosedFormP1(ising, n)

        def expect(g: float, b: float) -> float:
            return float(cf.grid(np.array([g]), np.array([b]))[0, 0])
        local["method"] = "closed_form_p1"
    elif st.E is not None and n <= STATEVECTOR_MAX_N:
        E = st.E

        def expect(g: float, b: float) -> float:
            return qaoa_expectation_sv(E, n, g, b)
        local["method"] = "statevector"
    else:
        out.update(regime="refuse", confidence="open", refuse_reason="hubo_beyond_statevector")
        return None
    out.update(regime="exact", confidence="proven")
    return expect, cf


def _sweep(st: AnalysisState, expect: Expectation, cf: ClosedFormP1 | None,
           out: dict) -> tuple[float, float, float]:
    """The angle grid within ``QAOA_WORK`` (stored as ``energy_landscape``) and its best point.

    The closed form also refines the best gamma and beta; the statevector takes the grid's
    best point.
    """
    n = st.n
    ng, nb = st.sub.options.grid
    maxiter = 25
    if cf is not None:  # each gamma costs ~4 cosines per neighbourhood entry
        per_gamma = 4.0 * (cf.entries + len(cf.node_J))
        ng = int(np.clip(QAOA_WORK / per_gamma, 8, ng))
        maxiter = int(np.clip(QAOA_WORK / per_gamma / 2, 4, 25))
    else:  # statevector grid: n 2^n per point
        side = int(np.clip(math.sqrt(QAOA_WORK / (n * 2.0**n)), 4, ng))
        ng, nb = side, max(4, side // 2)
    gammas = np.linspace(0.0, np.pi / (_lambda_scale(st) or 1.0), ng)
    betas = np.linspace(0.0, np.pi, nb, endpoint=False)
    if cf is not None:
        grid = cf.grid(gammas, betas)
        res = _best_closed_form(cf, gammas, maxiter)
    else:
        grid = np.array([[expect(g, b) for b in betas] for g in gammas])
        gi, bi = np.unravel_index(int(grid.argmin()), grid.shape)
        res = (float(gammas[gi]), float(betas[bi]), float(grid[gi, bi]))
    out["energy_landscape"] = {"gammas": gammas.tolist(), "betas": betas.tolist(),
                               "expectation": grid.tolist()}
    return res


def _ratio(out: dict, local: dict, val: float, spectrum: dict | None, base: dict) -> None:
    if spectrum:
        cmin, cmax = spectrum["energy_min"], spectrum["energy_max"]
        if cmax > cmin:
            out["approximation_ratio"] = (cmax - val) / (cmax - cmin)
            out["approximation_ratio_error_bound"] = 0.0
        return
    local["cost_spectrum_estimated"] = True
    cmin_lo, cmin_hi = base["lower_bound"], base["best_energy"]
    cmax_lo, cmax_hi = base["best_found_max_energy"], base["trivial_upper_bound"]

    def r(cmax: float, cmin: float) -> float | None:
        return (cmax - val) / (cmax - cmin) if cmax > cmin else None

    local["approximation_ratio_interval"] = [r(cmax_lo, cmin_lo), r(cmax_hi, cmin_hi)]


def _probabilities(st: AnalysisState, out: dict, local: dict, refs: tuple[str, ...], g: float,
                   b: float, mixer: str) -> None:
    n, E = st.n, st.E
    probs = np.abs(qaoa_state(E, n, g, 0.0 if mixer == "I" else b)) ** 2
    st.psi_probs = probs
    ref_idx = np.array([bits_to_index(t) for t in refs], dtype=np.int64)
    top = np.argsort(probs)[::-1][:TOP_STATES]
    shown = list(dict.fromkeys([*top.tolist(), *ref_idx.tolist()]))
    ref_set = set(ref_idx.tolist())
    out["state_probabilities"] = [
        {"state": index_to_bits(s, n), "is_reference": s in ref_set,
         "probability": float(probs[s]), "energy": float(E[s])} for s in shown]
    p_ref = float(probs[ref_idx].sum())
    out["best_parameters"]["probability"] = p_ref
    ratio = p_ref / (len(ref_idx) / 2.0**n)
    out["concentration_ratio"] = ratio
    span = math.log2(2.0**n / len(ref_idx))
    out["reference_concentration_score"] = (100.0 * clip(math.log2(ratio) / span)
                                            if span > 0 and ratio > 0 else None)
    local["reference_probabilities"] = {index_to_bits(s, n): float(probs[s]) for s in ref_idx}
