"""The names and documented formulas of the local engine's method, ``local-v1`` (§3.10-3.12).

Owns :data:`METHOD`, :data:`ENGINE`, :data:`DEFINITIONS` (echoed in ``report.local`` so every
number says how it was computed) and :func:`clip`, the [0, 1] clamp the formulas share.

Imports nothing but the standard library.
"""

from __future__ import annotations

METHOD = "local-v1"
ENGINE = "pennylane-qoro/local-v1"

DEFINITIONS = {
    "hardness_score": "100 * sum w_k s_k / sum w_k over hardness.components (local-v1)",
    "difficulty": "easy if a certificate holds (difficulty_basis 'certificate') or "
                  "log2(exact cost) <= 20 ('exact_cost'), else by the hardness score over the "
                  "components computed ('score'): < 33 easy, < 66 moderate, else hard; "
                  "hardness_score_range bounds the score for any value of the missing "
                  "components (local-v1)",
    "regime": "how <C> at p=1 was obtained: 'exact' (closed form or statevector) or 'refuse' "
              "(refuse_reason); it says nothing about the optimum",
    "matrix_spectral_gap": "lambda_2 - lambda_1 of the symmetric QUBO matrix (transparency only)",
    "structural_sensitivity": "|flip cost of x_i| / max_j |flip cost of x_j| at the best-known "
                              "state",
    "reference_concentration_score": "100 * clip(log2(concentration_ratio) / log2(2^n / |refs|))"
                                     " at the best p=1 angles (local-v1)",
    "concentration_ratio": "P(reference states) / (|refs| / 2^n), uniform full-space baseline",
    "approximation_ratio": "(C_max - <C>) / (C_max - C_min) at the best p=1 angles",
    "formulation_quality": "balance 35(1-clip(log10 R/6)) + gap 35 clip(1-log10(1/delta)/4) + "
                           "density 10(1-density) + degeneracy 20/|G| (local-v1)",
    "frustration_index": "weighted fraction of two-body Ising couplings unsatisfied at the "
                         "best-known state",
    "no_lowdepth_advantage_expected": "certified classically easy, or p=1 QAOA below greedy "
                                      "descent from random starts (local-v1)",
    "qaoa_convention": "|gamma,beta> = exp(-i beta sum X) exp(-i gamma C) |+>^n, C = the QUBO "
                       "energy as a diagonal operator (qml.qaoa.cost_layer / mixer_layer)",
    "bit_order": "character i of a bitstring is variable i (left-most = index 0)",
}


def clip(x: float) -> float:
    """x clamped to [0, 1]."""
    return float(min(1.0, max(0.0, x)))
