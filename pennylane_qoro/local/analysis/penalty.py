"""The penalty split and the constraint descriptors (characterization.md §3.9).

Owns :func:`penalty_split` (the weight of P in the submitted problem = C + w P, the safe and
the smallest feasible lambda, whether w is well tuned, each reference's feasibility) and
:func:`constraint_diagnostics` (violation rates of the ``options.constraints`` descriptors over
all states and under the p=1 distribution, redundancy).

Imports numpy and this package only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .baseline import trivial_lower_bound, trivial_upper_bound
from .bits import bits_matrix, bits_to_index
from .spectrum import exact_energies
from .state import AnalysisState


def penalty_split(st: AnalysisState, refs_rows: list[dict]) -> dict | None:
    sub = st.sub
    if sub.penalty is None or sub.cost is None:
        return None
    T, C, P = sub.problem.terms(), sub.cost.terms(), sub.penalty.terms()
    keys = sorted(set(T) | set(C) | set(P))
    t = np.array([T.get(k, 0.0) for k in keys])
    c = np.array([C.get(k, 0.0) for k in keys])
    p = np.array([P.get(k, 0.0) for k in keys])
    w = float(np.dot(t - c, p) / np.dot(p, p))
    resid = float(np.linalg.norm(t - c - w * p) / max(np.linalg.norm(t), 1e-300))
    pc = sub.penalty.coefficients()
    g = float(np.abs(pc).min())
    lam_safe = None
    safe_reason = None
    if np.allclose(pc / g, np.round(pc / g), atol=1e-9):
        lam_safe = (trivial_upper_bound(sub.cost) - trivial_lower_bound(sub.cost)) / g
    else:
        safe_reason = "penalty coefficients are not integer multiples of one step"
    res: dict[str, Any] = {
        "current_weight": w, "split_residual": resid, "penalty_step": g,
        "penalty_lambda_safe": lam_safe, "penalty_lambda_safe_reason": safe_reason,
        "penalty_lambda_min_feasible": None, "penalty_lambda_min_feasible_estimated": None,
        "objective_range_share": None, "feasible_mask": None,
    }
    if st.E is not None:
        Ec, Ep = exact_energies(sub.cost), exact_energies(sub.penalty)
        tau_p = 1e-9 * max(1.0, float(np.abs(Ep).max()))
        pmin = float(Ep.min())
        feas = Ep <= pmin + tau_p
        cstar = float(Ec[feas].min())
        bad = (~feas) & (Ec < cstar)
        lam_min = float(((cstar - Ec[bad]) / (Ep[bad] - pmin)).max()) if bad.any() else 0.0
        erange = float(st.E.max() - st.E.min())
        res.update(
            penalty_lambda_min_feasible=lam_min, penalty_lambda_min_feasible_estimated=False,
            objective_range_share=float(Ec.max() - Ec.min()) / erange if erange > 0 else None,
            feasible_mask=feas, penalty_min=pmin, uniform_feasibility=float(feas.mean()))
        for row in refs_rows:
            s = bits_to_index(row["state"])
            row["penalty"] = float(Ep[s])
            row["feasible"] = bool(feas[s])
    vals = [v for v in (res["penalty_lambda_min_feasible"], lam_safe) if v is not None]
    res["penalty_recommendation"] = max(vals) if vals else None
    lm = res["penalty_lambda_min_feasible"]
    res["is_well_tuned"] = (bool(lm < w <= 10 * lam_safe)
                            if lm is not None and lam_safe is not None else None)
    return res


def _constraint_values(n: int, c: dict) -> np.ndarray:
    w = np.zeros(n)
    if "weights" in c:
        for i, v in c["weights"].items():
            w[i] = v
    else:
        w[c.get("qubits", list(range(n)))] = 1.0
    lo = n // 2
    vl = bits_matrix(1 << lo, lo) @ w[:lo]
    vh = bits_matrix(1 << (n - lo), n - lo) @ w[lo:]
    return (vh[:, None] + vl[None, :]).reshape(-1)


def _satisfied(v: np.ndarray, c: dict) -> np.ndarray:
    b, tol = c["bound"], 1e-9 * max(1.0, abs(c["bound"]))
    kind = c["type"]
    if kind in ("max_cardinality", "inequality"):
        return v <= b + tol
    if kind == "min_cardinality":
        return v >= b - tol
    return np.abs(v - b) <= tol


def constraint_diagnostics(st: AnalysisState) -> tuple[list[dict] | None, np.ndarray | None]:
    cons = st.sub.options.constraints
    if not cons:
        return None, None
    if st.E is None or len(cons) > 16:
        return [{"index": i, "type": c["type"], "violation_rate": None,
                 "violation_rate_qaoa": None, "is_redundant": None, "recommended_lambda": None}
                for i, c in enumerate(cons)], None
    sats = [_satisfied(_constraint_values(st.n, c), c) for c in cons]
    allsat = np.logical_and.reduce(sats)
    rows = []
    probs = st.psi_probs
    for i, (c, s) in enumerate(zip(cons, sats, strict=True)):
        others = np.logical_and.reduce([x for j, x in enumerate(sats) if j != i]) if len(
            sats) > 1 else np.ones_like(s)
        rows.append({
            "index": i, "type": c["type"],
            "violation_rate": float(1.0 - s.mean()),
            "violation_rate_qaoa": float(probs[~s].sum()) if probs is not None else None,
            "is_redundant": bool(np.all(s | ~others)),
            "recommended_lambda": None,
        })
    return rows, allsat
