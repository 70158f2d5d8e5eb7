"""The hardness index and the formulation quality of the local method (characterization.md §3.10).

Owns :func:`hardness`: the weighted components (exact cost, heuristic hit rate, frustration,
ruggedness, gap, precision), the score, and the difficulty with its reason (a certificate or a
cheap exact solution says easy before any score); and :func:`formulation_quality`. The design
constants are module data and are echoed in the output.

Imports this package only.
"""

from __future__ import annotations

import math

from .definitions import METHOD, clip
from .labels import MISSING_COMPONENT
from .state import AnalysisState

# Hardness design constants (§3.10), exposed in the output.
HARDNESS_WEIGHTS = {
    "exact_cost": 0.30, "heuristic": 0.25, "frustration": 0.15, "ruggedness": 0.10,
    "gap": 0.10, "precision": 0.10,
}
EASY_LOG2_OPS = 20.0
DIFFICULTY_THRESHOLDS = {"moderate": 33.0, "hard": 66.0}


def hardness(st: AnalysisState, s: dict, spec: dict | None, base: dict, frus: dict) -> dict:
    """The ``hardness`` object: weighted components, score, difficulty and the key numbers."""
    L = _log2_exact_cost(s)
    comps = _components(st.n, L, s, spec, base, frus)
    missing = {k: MISSING_COMPONENT[k] for k in HARDNESS_WEIGHTS if k not in comps}
    wsum = sum(v["weight"] for v in comps.values())
    score = 100.0 * sum(v["weight"] * v["score"] for v in comps.values()) / wsum
    span = _score_range(comps, missing)
    basis, diff, reason = _difficulty(s["easy_witnesses"], L, score, span, missing)
    return {
        "difficulty": diff, "difficulty_reason": reason, "difficulty_basis": basis,
        "hardness_score": score, "hardness_score_range": span,
        "method": METHOD, "components": comps, "components_missing": missing,
        "thresholds": {"easy_log2_ops": EASY_LOG2_OPS, **DIFFICULTY_THRESHOLDS},
        "n_variables": st.n, "n_terms": s["n_terms"], "density": s["density"],
        "weight_range": s["weight_range"], "weight_ratio": s["weight_ratio"],
        "advice": reason,
        "cost_spectrum_estimated": spec is None,
        "cost_gap": spec["cost_gap"] if spec else None,
        "cost_gap_normalized": spec["cost_gap_normalized"] if spec else None,
        "ground_state_degeneracy": spec["ground_state_degeneracy"] if spec else None,
        "energy_min": spec["energy_min"] if spec else base["best_energy"],
        "energy_max": spec["energy_max"] if spec else base["best_found_max_energy"],
        "frustration_index": frus["frustration_index"],
        "global_flip_symmetric": s["global_flip_symmetric"],
        "treewidth_estimate": s["treewidth_estimate"],
        "matrix_spectral_gap": s["matrix_spectral_gap"],
        "matrix_condition_number": s["matrix_condition_number"],
    }


def _log2_exact_cost(s: dict) -> float:
    """log2 of the operations an exact solver needs: min(n_eff, treewidth + log2 n_eff)."""
    n_eff = s["largest_reduced_component"]
    tw = s["treewidth_estimate"]
    L = float(n_eff)
    if tw is not None and n_eff > 0:
        L = min(L, tw + math.log2(n_eff))
    return L


def _components(n: int, L: float, s: dict, spec: dict | None, base: dict,
                frus: dict) -> dict[str, dict]:
    """Each available component's raw value, [0, 1] score, formula and weight."""
    comps: dict[str, dict] = {}
    comps["exact_cost"] = {"raw": L, "score": clip((L - 20) / 40),
                           "formula": "clip((log2 ops - 20) / 40), log2 ops = min(n_eff, tw + "
                                      "log2 n_eff)"}
    if base.get("sa_success_rate") is not None:
        p = base["sa_success_rate"]
        comps["heuristic"] = {"raw": p, "score": 1.0 - p, "formula": "1 - SA hit rate"}
    if frus["frustration_index"] is not None:
        f = frus["frustration_index"]
        comps["frustration"] = {"raw": f, "score": clip(2 * f), "formula": "clip(2 f)"}
    if spec:
        nlm = spec["n_local_minima"]
        comps["ruggedness"] = {"raw": nlm, "score": clip(math.log2(nlm) / (0.2 * n)),
                               "formula": "clip(log2 N_lm / (0.2 n))"}
        if spec["cost_gap_normalized"]:
            d = spec["cost_gap_normalized"]
            comps["gap"] = {"raw": d, "score": clip(math.log10(1 / d) / 4),
                            "formula": "clip(log10(1/delta) / 4)"}
    else:
        R = base["greedy_runs"]
        dr = base["distinct_greedy_minima"]
        comps["ruggedness"] = {"raw": dr, "score": (dr - 1) / (R - 1),
                               "formula": "(D_R - 1) / (R - 1), R greedy descents"}
    if s["precision_bits"] is not None:
        b = s["precision_bits"]
        comps["precision"] = {"raw": b, "score": clip((b - 8) / 12),
                              "formula": "clip((log2 weight_ratio - 8) / 12)"}
    for k, v in comps.items():
        v["weight"] = HARDNESS_WEIGHTS[k]
    return comps


def _score_range(comps: dict[str, dict], missing: dict[str, str]) -> list[float]:
    """[lowest, highest] score the full index could have, whatever the missing components are."""
    w_miss = sum(HARDNESS_WEIGHTS[k] for k in missing)
    w_all = sum(v["weight"] for v in comps.values()) + w_miss
    known = sum(v["weight"] * v["score"] for v in comps.values())
    return [100.0 * known / w_all, 100.0 * (known + w_miss) / w_all]


def _label(score: float) -> str:
    return ("hard" if score >= DIFFICULTY_THRESHOLDS["hard"] else
            "moderate" if score >= DIFFICULTY_THRESHOLDS["moderate"] else "easy")


def _difficulty(witnesses: list[str], L: float, score: float, span: list[float],
                missing: dict[str, str]) -> tuple[str, str, str]:
    """(basis, difficulty, reason): a certificate or a cheap exact solution is easy before any
    score; otherwise the label is the score's, and the reason says which components it rests
    on and whether the missing ones could change it."""
    if witnesses:
        return "certificate", "easy", (f"certificate: {witnesses[0]}; an exact classical "
                                       "method solves it in polynomial time")
    if L <= EASY_LOG2_OPS:
        return "exact_cost", "easy", (f"an exact solution costs about 2^{L:.1f} operations "
                                      f"(at most 2^{EASY_LOG2_OPS:.0f}: a laptop solves it "
                                      "exactly)")
    diff = _label(score)
    n_all = len(HARDNESS_WEIGHTS)
    reason = (f"hardness index {score:.0f}/100 (below {DIFFICULTY_THRESHOLDS['moderate']:.0f} "
              f"easy, below {DIFFICULTY_THRESHOLDS['hard']:.0f} moderate, else hard) from "
              f"{n_all - len(missing)} of {n_all} components")
    if missing:
        lo, hi = span
        settled = _label(lo) == _label(hi)
        reason += (f"; not computed: {', '.join(f'{k} ({why})' for k, why in missing.items())}; "
                   "with any value of "
                   f"{'it' if len(missing) == 1 else 'them'} the index lies in "
                   f"{lo:.0f}-{hi:.0f}, " + ("so the label holds" if settled else
                                              f"so it could be {_label(hi)}"))
    return "score", diff, reason


def formulation_quality(s: dict, spec: dict | None) -> float | None:
    if not spec or not spec["cost_gap_normalized"] or s["weight_ratio"] is None:
        return None
    d = spec["cost_gap_normalized"]
    return (35 * (1 - clip(math.log10(s["weight_ratio"]) / 6))
            + 35 * clip(1 - math.log10(1 / d) / 4)
            + 10 * (1 - s["density"]) + 20 / spec["ground_state_degeneracy"])
