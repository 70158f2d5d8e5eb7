"""The local characterization engine: from a validated submission to the response of §2.

Owns :func:`analyze` (characterization.md §3.4-3.12): it runs the stages of this package in
tiers (exact spectrum while n <= ``exact_max_n``, labelled heuristics above), fills the cloud's
``hardness`` / ``report`` / ``recommendations`` shape with the documented ``local-v1`` formulas,
and puts everything else under ``report.local``.

Rules kept here: a number not computed is ``None``; estimated numbers carry ``*_estimated`` or
an interval; recommendations cite the response path and the value that fired them; every
number is a function of the submission and a recorded seed (§3.1).

Imports numpy and this package only: no web framework, no client code.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .baseline import baseline
from .bits import bits_to_index
from .definitions import DEFINITIONS, ENGINE, METHOD
from .hardness import formulation_quality, hardness
from .landscape import qaoa_p1
from .limits import EXACT_MAX_N
from .options import Options
from .penalty import constraint_diagnostics, penalty_split
from .polynomial import seed_for
from .recommendations import recommendations
from .references import pairwise_hamming, reference_rows, sensitivity
from .spectrum import spectrum
from .state import AnalysisState, Budget
from .structure import frustration, structure
from .submission import Submission

DEFAULT_TIME_BUDGET = 120.0
_PENALTY_FIELDS = ("penalty_lambda_safe", "penalty_lambda_min_feasible",
                   "penalty_lambda_min_feasible_estimated", "penalty_recommendation")
_BASELINE_FIELDS = ("greedy_energy", "sa_energy", "best_energy", "distinct_optima",
                    "exact_ground_energy", "relaxation_bound", "relaxation_method",
                    "sa_success_rate")


def _f(v: Any) -> float | None:
    """JSON-safe float: None for missing or non-finite values."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def _clean(obj: Any) -> Any:
    """Convert numpy scalars/arrays to JSON types; non-finite floats become None."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_clean(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _f(obj)
    return obj


def analyze(sub: Submission, *, seed: int | None = None,
            time_budget: float = DEFAULT_TIME_BUDGET, exact_max_n: int = EXACT_MAX_N) -> dict:
    """Run the local analysis of one submission.

    Returns ``{"hardness", "report", "recommendations"}`` (characterization.md §2), JSON-safe.
    ``hardness``, ``certificate``, ``classical_baseline`` and ``formulation_quality`` are
    returned only when the options ask for the hardness analysis (preset ``deep``), like the
    cloud; ``report.local`` always carries the structure, spectrum, baseline and reference
    tables the engine computed. ``exact_max_n`` is the largest n enumerated exactly.
    """
    seed = seed_for(sub.problem) if seed is None else seed
    st = AnalysisState(sub=sub, rng=np.random.default_rng(seed), seed=seed,
                       exact_max_n=exact_max_n)
    budget = Budget(time_budget)
    struct = budget.run("structure", lambda: structure(st, budget), optional=False)
    spec = (budget.run("spectrum", lambda: spectrum(st), optional=False)
            if st.n <= exact_max_n else None)
    base = budget.run("baseline", lambda: baseline(st, budget, spec), optional=False)
    refs, refs_source = sub.references, "submitted"
    if not refs:
        refs, refs_source = (base["best_state"],), "best_known (none submitted)"
    frus = frustration(st)
    ref_rows = reference_rows(st, refs, base, struct)
    qaoa = budget.run("qaoa", lambda: qaoa_p1(st, budget, refs, spec, base), optional=False)
    for row in ref_rows:
        if st.psi_probs is not None:
            row["qaoa_probability"] = float(st.psi_probs[bits_to_index(row["state"])])
    pen = penalty_split(st, ref_rows)
    cons, allsat = constraint_diagnostics(st)
    report = _report(st, refs, qaoa["fields"], pen, cons, allsat)
    greedy_ar = _greedy_ratio(st, spec)
    markers = _lowdepth_markers(struct, report, greedy_ar)
    hard = hardness(st, struct, spec, base, frus) if sub.options.hardness else None
    if hard is not None:
        report.update(_hardness_fields(struct, spec, base, markers))
    report["local"] = {
        "source": "local", "engine": ENGINE, "method": METHOD, "seed": seed,
        "tier": "exact" if spec else "heuristic",
        "preset": sub.options.preset, "encoding": sub.encoding,
        "reference_states_source": refs_source,
        "reference_states": ref_rows,
        "reference_hamming": pairwise_hamming(refs),
        "structure": struct, "spectrum": spec, "classical_baseline": base,
        "frustration": frus, "qaoa": qaoa["local"],
        "greedy_random_start_mean_ar": greedy_ar, "lowdepth_markers": markers,
        "penalty": {k: v for k, v in pen.items() if k != "feasible_mask"} if pen else None,
        "uniform_feasibility": float(allsat.mean()) if allsat is not None else None,
        "definitions": DEFINITIONS,
        "notes": list(sub.notes) + st.notes + _option_notes(sub.options),
        "skipped": budget.skipped, "timings": budget.timings,
    }
    response = _clean({"hardness": hard, "report": report})
    response["recommendations"] = recommendations(response, layers=sub.options.layers)
    return response


def _report(st: AnalysisState, refs: tuple[str, ...], qaoa_fields: dict, pen: dict | None,
            cons: list[dict] | None, allsat: np.ndarray | None) -> dict[str, Any]:
    """The cloud's ``report`` fields (before the hardness-only ones and ``local``)."""
    report: dict[str, Any] = {"num_qubits": st.n, "reference_states": list(refs)}
    report.update(qaoa_fields)
    report["structural_sensitivity"] = (sensitivity(st) if st.sub.options.structural_sensitivity
                                        else None)
    feas_mask = allsat if allsat is not None else (pen or {}).get("feasible_mask")
    report["feasibility_rate"] = (float(st.psi_probs[feas_mask].sum())
                                  if feas_mask is not None and st.psi_probs is not None else None)
    report["constraint_diagnostics"] = cons
    if pen:
        for k in _PENALTY_FIELDS:
            report[k] = pen[k]
        report["penalty_tuning"] = {"is_well_tuned": pen["is_well_tuned"],
                                    "optimal_lambda": pen["penalty_recommendation"]}
    return report


def _greedy_ratio(st: AnalysisState, spec: dict | None) -> float | None:
    """Mean approximation ratio of the greedy descents from random starts (exact tier)."""
    if not spec or spec["energy_max"] <= spec["energy_min"]:
        return None
    return float(np.mean((spec["energy_max"] - st.greedy_energies)
                         / (spec["energy_max"] - spec["energy_min"])))


def _lowdepth_markers(struct: dict, report: dict, greedy_ar: float | None) -> list[str]:
    markers = []
    if struct["global_flip_symmetric"]:
        markers.append("bitflip_symmetric")
    r1 = report.get("approximation_ratio")
    if r1 is not None and greedy_ar is not None and r1 < greedy_ar:
        markers.append("p1_below_greedy")
    return markers


def _hardness_fields(struct: dict, spec: dict | None, base: dict, markers: list[str]) -> dict:
    """``certificate``, ``classical_baseline`` and ``formulation_quality`` (preset deep)."""
    certified = bool(struct["easy_witnesses"])
    no_adv = certified or "p1_below_greedy" in markers
    certificate = {
        "certified_easy": certified, "no_lowdepth_advantage_expected": no_adv,
        "uncertain": not certified and not no_adv,
        "easy_witnesses": struct["easy_witnesses"], "lowdepth_markers": markers,
        "quantum_curiosity": None,
        "structural": {"is_psd": struct["is_psd"], "rank": struct["rank"],
                       "submodular": struct["submodular"],
                       "bounded_treewidth": struct["bounded_treewidth"],
                       "certified_easy": certified, "witnesses": struct["easy_witnesses"]},
    }
    return {"certificate": certificate,
            "classical_baseline": {k: base[k] for k in _BASELINE_FIELDS},
            "formulation_quality": formulation_quality(struct, spec)}


def _option_notes(opts: Options) -> list[str]:
    notes = []
    if opts.subspace:
        notes.append("subspace options accepted; the local engine analyses the full space "
                     "(statevector up to 20 variables, closed forms above)")
    return notes
