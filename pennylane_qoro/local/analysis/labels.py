"""Human names and one-line explanations of the report's numbers (the HTML report's words).

Owns :func:`fmt`, the one rounding rule of the report (4 significant digits; a 0-100 score as
a whole number; the client's text summary follows the same rule), :func:`metric_label` (the
words for a response path such as ``report.local.spectrum.energy_min``), the
explanations of the structure and baseline tables, of the hardness components, of the p=1
evaluation ``regime`` and of the difficulty label. Keeping them in one module lets every
place that shows a number say what it is in the same words.

Imports the standard library only.
"""

from __future__ import annotations

import re
from typing import Any

NOT_COMPUTED = "not computed"


def fmt(value: Any) -> str:
    """Display text of one number: 4 significant digits, ``not computed`` for None."""
    if value is None:
        return NOT_COMPUTED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = f"{value:.4g}"
        return "0" if text == "-0" else text
    if isinstance(value, list | tuple):
        return ", ".join(fmt(v) for v in value)
    return str(value)


def fmt_score(value: Any) -> str:
    """A 0-100 score as a whole number (``17``), as the text summary shows it."""
    return f"{value:.0f}" if isinstance(value, int | float) else fmt(value)


# response path (with list indices removed) -> words shown instead of the path
_METRICS = {
    "report.local.spectrum.energy_min": "optimum energy E* (exact enumeration)",
    "report.local.spectrum.cost_gap_normalized": "gap to the first excited level, "
                                                 "as a fraction of the energy range",
    "report.local.spectrum.ground_state_degeneracy": "number of optimal assignments",
    "report.local.reference_states.gap_to_optimum": "energy of the reference above the optimum",
    "report.local.reference_states.penalty": "penalty energy of the reference",
    "report.local.structure.easy_witnesses": "classical exactness certificates",
    "report.local.structure.n_components": "independent parts of the coupling graph",
    "report.local.structure.n_fixable": "variables fixed by dominance",
    "report.local.structure.global_flip_symmetric": "every state has its complement's energy",
    "report.local.structure.precision_bits": "coefficient span in bits, log2(max|w| / min|w|)",
    "report.local.structure.n_couplings": "two-variable couplings (one ZZ rotation each)",
    "report.local.classical_baseline.sa_success_rate": "share of simulated-annealing runs "
                                                       "that reach the best energy",
    "report.local.penalty.objective_range_share": "objective's share of the energy range",
    "report.penalty_lambda_min_feasible": "smallest penalty weight whose optimum is feasible",
    "report.approximation_ratio": "p=1 approximation ratio",
    "report.concentration_ratio": "concentration ratio on the reference states",
    "hardness.difficulty": "difficulty label",
}


def metric_label(path: str | None) -> str:
    """The words for a response path; an unknown path is shown with its dots as spaces."""
    if not path:
        return "metric"
    key = re.sub(r"\[\d+\]", "", path)
    if key in _METRICS:
        return _METRICS[key]
    return key.rsplit(".", 1)[-1].replace("_", " ")


# (label, explanation) of the structure table rows
STRUCTURE_ROWS = {
    "n_variables": ("variables", "binary variables x_i in {0, 1}"),
    "n_couplings": ("couplings", "pairs (i, j) with a non-zero x_i x_j coefficient"),
    "density": ("coupling density", "couplings / (n(n-1)/2); 1 = every pair is coupled"),
    "degree_max": ("largest degree", "most couplings on one variable (QAOA layer depth bound)"),
    "n_components": ("independent parts", "connected components of the coupling graph"),
    "weight_ratio": ("coefficient ratio", "max |w| / min |w| over the non-zero coefficients"),
    "treewidth_estimate": ("treewidth (upper bound)", "min-fill elimination; exact dynamic "
                                                      "programming costs about 2^treewidth"),
    "n_fixable": ("fixable variables", "variables whose optimal value follows from dominance"),
    "global_flip_symmetric": ("flip symmetric", "every state has the energy of its complement"),
    "frustrated_triangles": ("frustrated triangles", "coupling triangles that no assignment "
                                                     "satisfies on all three edges"),
    "correlation_length": ("correlation length", "random-walk autocorrelation length of the "
                                                 "landscape (flips); larger = smoother"),
}

BASELINE_ROWS = {
    "greedy_energy": ("greedy descent", "best of the steepest-descent runs from random starts"),
    "sa_energy": ("simulated annealing", "best energy over the annealing replicas"),
    "sa_success_rate": ("annealing hit rate", "share of annealing replicas that reach the best "
                                              "energy"),
    "best_energy": ("best energy", "lowest energy any method found"),
    "lower_bound": ("lower bound", "no state has a lower energy (LP relaxation, or the "
                                   "trivial coefficient bound)"),
    "proven_optimal": ("proven optimal", "by enumeration (exact tier), or because the best "
                                         "energy meets the lower bound"),
}

# hardness component -> (name, what its raw value is)
COMPONENTS = {
    "exact_cost": ("exact cost", "log2 of the operations of the cheapest exact method"),
    "heuristic": ("heuristic", "share of annealing runs that reach the best-known energy"),
    "frustration": ("frustration", "weighted share of couplings unsatisfied at the best state"),
    "ruggedness": ("ruggedness", "local minima (exact tier) or distinct greedy minima"),
    "gap": ("gap", "gap to the first excited level / energy range"),
    "precision": ("precision", "log2 of the coefficient ratio (bits)"),
}

# why a hardness component can be missing
MISSING_COMPONENT = {
    "heuristic": "no simulated-annealing run",
    "frustration": "no two-body coupling",
    "gap": "needs the exact spectrum (at most 22 variables) with two or more levels",
    "precision": "all coefficients are equal",
}

TIER_TEXT = {
    "exact": "exact tier: all 2^n energies enumerated (optimum, gap and degeneracy exact)",
    "heuristic": "heuristic tier: too many variables to enumerate; optimum, gap and degeneracy "
                 "not computed, best energy from heuristics",
}

ENCODING_TEXT = {
    "legacy": "comma-key coefficient dictionary (the 'legacy' wire encoding)",
    "factored_v1": "low-rank factors F diag(s) F^T + diag(d) (the 'factored_v1' encoding)",
}

CARD_HINTS = {
    "approximation_ratio": "(C_max - <C>) / (C_max - C_min) at the best p=1 angles; "
                           "1 = always optimal, 0 = always the worst state",
    "concentration_ratio": "P(reference states) at the best p=1 angles / their share "
                           "|refs| / 2^n under uniform guessing; 1 = no better than guessing",
    "reference_concentration_score": "0-100: log2(concentration ratio) / log2(2^n / |refs|); "
                                     "100 = all probability on the references",
}
