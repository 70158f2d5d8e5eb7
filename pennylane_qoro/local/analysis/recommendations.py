"""The recommendations of a finished analysis (characterization.md §3.11).

Owns :func:`recommendations`: deterministic rules over the response, each citing the response
path of the metric that fired it (``metric``), its value and threshold, as plain ``text`` and
as ``html`` (escaped, key values bold).

Imports the standard library only: it reads the JSON-safe response, not the engine's state.
"""

from __future__ import annotations

import html
from typing import Any


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _rec(rid: str, level: str, metric: str, value: Any, threshold: Any,
         parts: list[tuple[str, bool]]) -> dict:
    """``parts``: (text, emphasised). ``text`` is plain; ``html`` escapes and bolds."""
    text = "".join(t for t, _ in parts)
    markup = "".join(f"<strong>{html.escape(t)}</strong>" if b else html.escape(t)
                     for t, b in parts)
    return {"id": rid, "level": level, "metric": metric, "value": value,
            "threshold": threshold, "text": text, "html": markup}


_LOCAL = "report.local."  # prefix of the metric paths in report.local


def recommendations(resp: dict, *, layers: int = 1) -> list[dict]:
    """The rules of §3.11 evaluated on a finished response (deterministic), in a fixed order."""
    rep = resp["report"]
    loc = rep["local"]
    return [*_optimum_recs(rep, loc), *_structure_recs(loc["structure"]),
            *_spectrum_recs(loc["structure"], loc["spectrum"]), *_penalty_recs(loc, rep),
            *_qaoa_recs(rep, loc), *_cost_recs(resp, loc, layers)]


def _optimum_recs(rep: dict, loc: dict) -> list[dict]:
    """The optimum found by enumeration; submitted references that miss it or are infeasible."""
    spec = loc["spectrum"]
    out: list[dict] = []
    if spec:
        g = spec["ground_state_degeneracy"]
        out.append(_rec("exact_solved", "info", _LOCAL + "spectrum.energy_min", spec["energy_min"],
                        None, [("Optimum E* = ", False), (_fmt(spec["energy_min"]), True),
                               (f" ({g} minimiser(s), e.g. ", False),
                               (spec["ground_states"][0], True),
                               (") found by enumeration; use it as the reference.", False)]))
    if loc["reference_states_source"] == "submitted":
        for i, r in enumerate(loc["reference_states"]):
            if r["gap_to_optimum"] > (spec["tolerance"] if spec else 1e-9):
                where = (f"rank {r['rank']} of 2^{rep['num_qubits']}" if r.get("rank")
                         else "compared with the best known state")
                out.append(_rec("reference_suboptimal", "warn",
                                f"{_LOCAL}reference_states[{i}].gap_to_optimum",
                                r["gap_to_optimum"], 0.0,
                                [("Reference ", False), (r["state"], True),
                                 (" has E = ", False), (_fmt(r["energy"]), True),
                                 (f", {where}, ", False), (_fmt(r["gap_to_optimum"]), True),
                                 (" above the optimum." if spec else " above the best known.",
                                  False)]))
            if r.get("feasible") is False:
                out.append(_rec("reference_infeasible", "action",
                                f"{_LOCAL}reference_states[{i}].penalty", r["penalty"],
                                loc["penalty"].get("penalty_min"),
                                [("Reference ", False), (r["state"], True),
                                 (" violates the penalty terms (P = ", False),
                                 (_fmt(r["penalty"]), True), (").", False)]))
    return out


def _structure_recs(s: dict) -> list[dict]:
    """Certificates, decomposition, fixable variables, flip symmetry."""
    out: list[dict] = []
    if s["easy_witnesses"]:
        out.append(_rec("certified_easy", "action", _LOCAL + "structure.easy_witnesses",
                        s["easy_witnesses"], None,
                        [("Solvable exactly by a classical method: ", False),
                         (s["easy_witnesses"][0], True),
                         ("; QAOA is not needed for the optimum.", False)]))
    if s["n_components"] > 1:
        out.append(_rec("decompose", "action", _LOCAL + "structure.n_components", s["n_components"],
                        1, [("Problem splits into ", False), (str(s["n_components"]), True),
                            (" independent parts (largest sizes ", False),
                            (", ".join(map(str, s["component_sizes"][:8])), True),
                            ("); solve them separately.", False)]))
    if s["n_fixable"] > 0:
        out.append(_rec("fix_variables", "action", _LOCAL + "structure.n_fixable",
                        s["n_fixable"], 0,
                        [(str(s["n_fixable"]), True),
                         (" variables are fixed by dominance; the reduced problem has ", False),
                         (str(s["reduced_n"]), True), (" variables.", False)]))
    if s["global_flip_symmetric"]:
        out.append(_rec("flip_symmetry", "warn", _LOCAL + "structure.global_flip_symmetric", True,
                        None, [("Every state has the energy of its complement", True),
                               ("; fix one variable to halve the space and break the pairing "
                                "(the X mixer cannot).", False)]))
    return out


def _spectrum_recs(s: dict, spec: dict | None) -> list[dict]:
    """Small gap, degenerate optimum, coefficient precision."""
    out: list[dict] = []
    if spec and spec["cost_gap_normalized"] is not None and spec["cost_gap_normalized"] < 1e-3:
        out.append(_rec("small_gap", "warn", _LOCAL + "spectrum.cost_gap_normalized",
                        spec["cost_gap_normalized"], 1e-3,
                        [("First excited level is ", False),
                         (_fmt(spec["cost_gap_normalized"]), True),
                         (" of the range above the optimum.", False)]))
    if spec and spec["ground_state_degeneracy"] > 1:
        out.append(_rec("degenerate", "info", _LOCAL + "spectrum.ground_state_degeneracy",
                        spec["ground_state_degeneracy"], 1,
                        [(str(spec["ground_state_degeneracy"]), True),
                         (" optimal assignments.", False)]))
    b = s["precision_bits"]
    if b is not None and b > 12:
        out.append(_rec("precision", "warn", _LOCAL + "structure.precision_bits", b, 12,
                        [("Coefficients span ", False), (_fmt(b), True),
                         (" bits; rescale or reformulate.", False)]))
    return out


def _qaoa_recs(rep: dict, loc: dict) -> list[dict]:
    """p=1 below greedy descent; little concentration on the references."""
    out: list[dict] = []
    r1, rg = rep.get("approximation_ratio"), loc["greedy_random_start_mean_ar"]
    if r1 is not None and rg is not None and r1 < rg:
        out.append(_rec("p1_weak", "warn", "report.approximation_ratio", r1, rg,
                        [("The p=1 QAOA output is on average worse (r = ", False),
                         (_fmt(r1), True),
                         (") than a greedy descent from a random start (mean r = ", False),
                         (_fmt(rg), True), (").", False)]))
    c = rep.get("concentration_ratio")
    if c is not None and c < 1.5:
        out.append(_rec("low_concentration", "warn", "report.concentration_ratio", c, 1.5,
                        [("p=1 puts only ", False), (_fmt(c), True),
                         ("x uniform mass on the references; add layers.", False)]))
    return out


def _cost_recs(resp: dict, loc: dict, layers: int) -> list[dict]:
    """Classical ease, the hardness verdict, and the circuit cost per layer."""
    s, base = loc["structure"], loc["classical_baseline"]
    out: list[dict] = []
    if (base["sa_success_rate"] is not None and base["sa_success_rate"] >= 0.9
            and base["proven_optimal"]):
        out.append(_rec("heuristic_easy", "info", _LOCAL + "classical_baseline.sa_success_rate",
                        base["sa_success_rate"], 0.9,
                        [("Simulated annealing reaches the proven optimum in ", False),
                         (f"{100 * base['sa_success_rate']:.0f}%", True), (" of runs.", False)]))
    hard = resp.get("hardness")
    if hard and hard["difficulty"] == "hard":
        out.append(_rec("hard", "info", "hardness.difficulty", "hard", None,
                        [("Hard by the local index (", False),
                         (f"{hard['hardness_score']:.0f}/100", True),
                         ("): consider decomposition or classical preprocessing.", False)]))
    if s["degree"] <= 2 and s["n_couplings"]:
        m = s["n_couplings"]
        out.append(_rec("circuit_cost", "info", _LOCAL + "structure.n_couplings", m, None,
                        [(f"{layers} layer(s) need ", False), (str(m * layers), True),
                         (" ZZ rotations; depth at least the max degree ", False),
                         (str(s["degree_max"]), True), (" per layer.", False)]))
    return out


def _penalty_recs(loc: dict, rep: dict) -> list[dict]:
    pen = loc.get("penalty")
    if not pen:
        return []
    out = []
    lm, w = pen.get("penalty_lambda_min_feasible"), pen["current_weight"]
    if lm is not None and w <= lm:
        out.append(_rec("penalty_too_small", "action", "report.penalty_lambda_min_feasible", lm,
                        w, [("Raise the penalty weight above ", False), (_fmt(lm), True),
                            (" (now ", False), (_fmt(w), True), (").", False)]))
    rho = pen.get("objective_range_share")
    if rho is not None and rho < 0.05:
        target = rep.get("penalty_recommendation")
        out.append(_rec("penalty_too_large", "warn", "report.local.penalty.objective_range_share",
                        rho, 0.05, [("The objective spans only ", False), (_fmt(rho), True),
                                    (" of the energy range; lower the weight toward ", False),
                                    (_fmt(target), True), (".", False)]))
    return out
